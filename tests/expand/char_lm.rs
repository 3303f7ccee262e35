use nn::network;

network! {
    /// A character-level language model: token ids → embedding → LSTM → scores per step.
    #[derive(Clone, Debug)]
    pub struct CharLm {
        input: tokens(65),
        embed: Embedding(16),
        lstm: Lstm(32),
        drop: Dropout(0.1),
        fc: Affine(65),
        loss: SoftmaxWithLoss,
    }
}
