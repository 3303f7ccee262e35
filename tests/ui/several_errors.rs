use nn::network;

// Several mistakes are reported at once, and the struct is still declared, so code using
// it adds no errors of its own.
network! {
    #[derive(Clone)]
    pub struct Net {
        input: 2,
        affine1: Affine(0),
        act: Sigmod,
        affine1: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn uses_the_struct(net: &Net) -> Net {
    net.clone()
}

fn main() {
    let _ = uses_the_struct;
}
