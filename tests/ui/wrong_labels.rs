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
    let x = nn::Batch::<f32, 2>::zeros(4);
    let targets = vec![0.0f32, 1.0, 2.0, 0.0]; // floats, not class indices
    net.forward(&x, &targets);
    let one_hot = nn::Batch::<f32, 4>::zeros(4); // 4 classes, the network has 3
    net.forward(&x, &one_hot);
}
