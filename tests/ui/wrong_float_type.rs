use nn::network;
use nn::rand::SeedableRng;

// An `f64` batch given to an `f32` network: the width is right, the float type is not.
network! {
    pub struct Net {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
        loss: SoftmaxWithLoss,
    }
}

fn main() {
    let mut rng = nn::rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut net = Net::new(&mut rng); // `Net` is `Net<f32>`
    let x = nn::Batch::<f64, 2>::zeros(4);
    let labels = vec![0, 1, 2, 0];
    net.predict(&x);
    net.train_step(&x, &labels, &mut nn::Sgd::new(0.1));
}
