use nn::network;

network! {
    /// The book's chapter-1 network.
    #[derive(Clone, Debug)]
    pub struct TwoLayerNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}
