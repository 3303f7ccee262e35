use nn::network;
use nn::rand::SeedableRng;

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
    let mut net = Net::new(&mut rng);
    let x3 = nn::Batch::<f32, 3>::zeros(4); // 3 features, the network takes 2
    let labels = vec![0, 1, 2, 0];
    net.predict(&x3);
    net.train_step(&x3, &labels, &mut nn::Sgd::new(0.1));
}
