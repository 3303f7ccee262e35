use nn::network;

// `optimizer` and `trainer` name a checkpoint's own tensors (`optimizer.step`).
network! {
    pub struct Net {
        input: 2,
        optimizer: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn main() {}
