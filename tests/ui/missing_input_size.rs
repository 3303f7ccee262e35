use nn::network;

// `input:` without a size is one error (it used to add "missing input size" at the next
// entry).
network! {
    pub struct Net {
        input: ,
        a: Affine(3),
    }
}

fn main() {}
