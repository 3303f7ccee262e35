use nn::network;

// Generic arguments on a user layer are one error: the comma inside `<...>` does not split
// the entry (it used to add "expected a layer name" at `3`).
network! {
    pub struct Net {
        input: 2,
        a: crate::Swish<f32, 3>,
        b: Affine(3),
    }
}

fn main() {}
