use nn::network;

// `Embedding` reads token ids: it needs `input: tokens(V)` ...
network! {
    pub struct FeaturesIntoEmbedding {
        input: 8,
        embed: Embedding(16),
        loss: MeanSquaredError,
    }
}

// ... and must come first: after another layer its inputs are features, not token ids.
network! {
    pub struct EmbeddingAfterLstm {
        input: tokens(100),
        embed: Embedding(16),
        lstm: Lstm(32),
        again: Embedding(8),
    }
}

// Token ids go to an `Embedding` first, not to a layer that reads features.
network! {
    pub struct TokensIntoAffine {
        input: tokens(100),
        fc: Affine(10),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
