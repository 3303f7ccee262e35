use nn::network;

network! {
    pub struct Net {
        input: 2,
        affine1: Affine(3),
        loss: SoftmaxWithLoss,
        mse: MeanSquaredError,
    }
}

fn main() {}
