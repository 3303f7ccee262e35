//! The Iris example on real data: test accuracy ≥ 0.9 on the held-out 20 % for several
//! split/initialization seeds.

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
        let acc = r.test.accuracy.unwrap();
        println!(
            "seed {seed}: test accuracy {acc:.3} on {} samples (train {:.3})",
            r.sizes.1,
            r.train.accuracy.unwrap()
        );
        assert_eq!(r.sizes, (120, 30));
        assert!(acc >= 0.9, "seed {seed}: test accuracy {acc}");
    }
}
