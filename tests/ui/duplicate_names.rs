use nn::network;

network! {
    pub struct Net {
        input: 2,
        affine: Affine(10),
        act: Sigmoid,
        affine: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
