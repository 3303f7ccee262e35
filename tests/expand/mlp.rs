use nn::network;

network! {
    /// A deep MLP for MNIST-sized inputs.
    #[derive(Clone, Debug)]
    pub struct Mlp {
        input: 784,
        fc1: Affine(256),
        relu1: Relu,
        fc2: Affine(128),
        relu2: Relu,
        fc3: Affine(10),
        loss: SoftmaxWithLoss,
    }
}
