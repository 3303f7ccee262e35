use nn::network;

network! {
    pub struct Filter {
        input: 1,
        gru: Gru(16),
        lstm: Lstm(8 -> 32),
        fc: Affine(1),
        loss: MeanSquaredError,
    }
}

fn main() {}
