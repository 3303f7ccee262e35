use nn::network;

network! {
    pub struct Net {
        input: 2,
        affine1: Affine(3),
        loss: SoftmaxWithLoss,
        affine2: Affine(3),
    }
}

fn main() {}
