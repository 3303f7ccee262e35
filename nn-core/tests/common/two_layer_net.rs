//! The book's chapter-1 network, shared by the integration tests that need a network (the
//! trainer, its allocations, the plots).

nn::network! {
    /// The book's chapter-1 network: 2 → 10 (sigmoid) → 3, softmax cross-entropy.
    #[derive(Clone)]
    pub struct TwoLayerNet {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}
