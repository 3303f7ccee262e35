use nn::network;

network! {
    pub struct Lm {
        input: tokens(100),
        embed: Embedding(1000 -> 16),
        lstm: Lstm(32),
        fc: Affine(100),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
