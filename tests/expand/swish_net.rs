use nn::network;

network! {
    /// Layers of our own beside built-in ones: `Swish` keeps the width and takes an
    /// argument, `Project` changes it.
    #[derive(Clone, Debug)]
    pub struct SwishNet {
        input: 4,
        fc1: Affine(8),
        swish: crate::layers::Swish(1.0),
        proj: crate::layers::Project -> 5,
        fc2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}
