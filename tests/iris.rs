//! The Iris example on real data: test accuracy ≥ 0.9 on the held-out 20 % for several
//! split/initialization seeds, and a confusion matrix that agrees with it.

#[path = "../examples/iris.rs"]
#[allow(dead_code)]
mod iris_example;

use nn::train::Progress;

#[test]
fn the_data_set_is_fishers_iris() {
    let d = iris_example::iris();
    assert_eq!(d.len(), 150);
    for class in 0..3 {
        assert_eq!(d.labels().iter().filter(|&&l| l == class).count(), 50);
    }
    // the first flower of Fisher's table: 5.1, 3.5, 1.4, 0.2, setosa
    assert_eq!(d.sample(0), &[5.1, 3.5, 1.4, 0.2]);
    assert_eq!(d.labels()[0], 0);
}

#[test]
fn test_accuracy_is_at_least_0_9() {
    for seed in [0, 1, 2, 3] {
        let r = iris_example::run(seed, Progress::Silent).unwrap();
        let acc = r.test.accuracy;
        println!(
            "seed {seed}: test accuracy {acc:.3} (loss {:.4}) on {} samples (train {:.3})",
            r.test.loss, r.sizes.1, r.train.accuracy
        );
        assert_eq!(r.sizes, (120, 30));
        assert!(acc >= 0.9, "seed {seed}: test accuracy {acc}");

        // The confusion matrix (argmax of the scores, nn::metrics) counts every held-out
        // flower once and agrees with the loss layer's count of correct ones.
        for (part, size) in [(&r.train, r.sizes.0), (&r.test, r.sizes.1)] {
            let cm = &part.confusion;
            assert_eq!(cm.total(), size, "seed {seed}");
            assert_eq!(cm.accuracy(), part.accuracy, "seed {seed}");
            assert_eq!(cm.names(), iris_example::SPECIES, "seed {seed}");
        }
        // The stratified split holds 10 test flowers of each species.
        for species in 0..3 {
            assert_eq!(r.test.confusion.support(species), 10, "seed {seed}");
        }
    }
}
