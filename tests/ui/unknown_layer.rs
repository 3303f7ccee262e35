use nn::network;

network! {
    pub struct Net {
        input: 2,
        affine1: Affine(10),
        act: Sigmod,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

network! {
    pub struct Other {
        input: 2,
        hidden: Dense(10),
    }
}

fn main() {}
