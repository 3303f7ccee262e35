use nn::network;

network! {
    pub struct Net {
        input: 2,
        affine1: Affine(2 -> 10),
        sigmoid: Sigmoid,
        affine2: Affine(12 -> 3),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
