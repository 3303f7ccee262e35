use nn::network;

// An unknown `#[nn(...)]` option is one error at it.
network! {
    #[nn(create = ::nn)]
    pub struct Net {
        input: 2,
        a: Affine(3),
    }
}

fn main() {}
