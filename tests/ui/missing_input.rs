use nn::network;

network! {
    pub struct Net {
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
