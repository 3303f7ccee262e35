//! A crate that depends on `nn` under another name (`mynn = { package = "nn", ... }`):
//! `network!` finds the name in this crate's `Cargo.toml` and writes every generated path
//! under it. Before, the expansion named `::nn` and failed with "could not find `nn`".

mynn::network! {
    /// A network declared through the renamed dependency; built-ins also by its path.
    pub struct Renamed {
        input: 2,
        hidden: Affine(4),
        act: mynn::Relu,
        out: mynn::layers::Affine(3),
        loss: SoftmaxWithLoss,
    }
}

#[cfg(test)]
mod tests {
    use super::Renamed;
    use mynn::rand::SeedableRng;
    use mynn::rand_chacha::ChaCha8Rng;

    #[test]
    fn a_network_trains_through_the_renamed_dependency() {
        let mut net = Renamed::new(&mut ChaCha8Rng::seed_from_u64(0));
        let x = mynn::batch_from_rows(&[[0.1f32, 0.2], [0.3, -0.4]]);
        let labels = vec![0, 2];
        let mut opt = mynn::Sgd::new(0.1);
        let first = net.train_step(&x, &labels, &mut opt);
        let mut last = first;
        for _ in 0..20 {
            last = net.train_step(&x, &labels, &mut opt);
        }
        assert!(last < first, "loss {first} -> {last}");
        assert_eq!(Renamed::PARAMS, 2 * 4 + 4 + 4 * 3 + 3);
    }
}
