use nn::network;

// A missing comma is one error (it used to add "empty network" for the whole list).
network! {
    pub struct Net {
        input: 2
        a: Affine(3),
        b: Relu,
    }
}

fn main() {}
