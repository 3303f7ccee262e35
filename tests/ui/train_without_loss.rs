use nn::network;
use nn::rand::SeedableRng;
use nn::train::Trainer;

// A network without a loss layer can predict but not be trained.
network! {
    pub struct Net {
        input: 2,
        affine1: Affine(10),
        sigmoid: Sigmoid,
        affine2: Affine(3),
    }
}

fn main() {
    let mut rng = nn::rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut net = Net::new(&mut rng);
    let data = nn::data::spiral::<f32>(0);
    let _ = Trainer::new(nn::Sgd::new(1.0)).fit(&mut net, &data, None);
}
