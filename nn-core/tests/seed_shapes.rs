//! The seed's shapes (the book's chapter 1) and label equivalence.
//!
//! The book writes batches `N × D` (one sample per row); nn stores them `D × N` (one sample
//! per column, the same memory). So the book's Repeat `(1, 8) → (7, 8)` is `8 × 1 → 8 × 7`
//! here, its backward `(7, 8) → (1, 8)` is `8 × 7 → 8 × 1`, and likewise for Sum.

use nn_core::gradcheck::random_batch;
use nn_core::{Batch, Labels, LossLayer, Repeat, SoftmaxWithLoss, Sum};

#[test]
fn repeat_1x8_to_7x8_and_back() {
    let x: Batch<f64, 8> = random_batch(1, -1.0, 1.0, 1);
    let mut rep = Repeat::<f64, 8>::new();
    let y = rep.forward(x.as_view(), 7);
    assert_eq!(y.shape(), (8, 7), "book (1, 8) → (7, 8) is 8 × 1 → 8 × 7 here");
    for n in 0..7 {
        assert_eq!(y.column(n), x.column(0), "sample {n} is a copy of x");
    }

    // backward (7, 8) → (1, 8): the sum over the batch, keepdims.
    let dout: Batch<f64, 8> = random_batch(7, -1.0, 1.0, 2);
    let dx = rep.backward(dout.as_view());
    assert_eq!(dx.shape(), (8, 1));
    for d in 0..8 {
        let expected: f64 = (0..7).map(|n| dout[(d, n)]).sum();
        assert!((dx[(d, 0)] - expected).abs() < 1e-15, "feature {d}");
    }
}

#[test]
fn sum_7x8_to_1x8_and_back() {
    let x: Batch<f64, 8> = random_batch(7, -1.0, 1.0, 3);
    let mut sum = Sum::<f64, 8>::new();
    let y = sum.forward(x.as_view());
    assert_eq!(y.shape(), (8, 1), "book (7, 8) → (1, 8) is 8 × 7 → 8 × 1 here");
    for d in 0..8 {
        let expected: f64 = (0..7).map(|n| x[(d, n)]).sum();
        assert!((y[(d, 0)] - expected).abs() < 1e-15, "feature {d}");
    }

    // backward (1, 8) → (7, 8): dout repeated over the batch of the last forward.
    let dout: Batch<f64, 8> = random_batch(1, -1.0, 1.0, 4);
    let dx = sum.backward(dout.as_view());
    assert_eq!(dx.shape(), (8, 7));
    for n in 0..7 {
        assert_eq!(dx.column(n), dout.column(0), "sample {n}");
    }
}

#[test]
fn repeat_and_sum_are_adjoint() {
    // ⟨repeat(x), g⟩ = ⟨x, sum(g)⟩ for any x (D × 1) and g (D × N).
    let x: Batch<f64, 8> = random_batch(1, -1.0, 1.0, 5);
    let g: Batch<f64, 8> = random_batch(7, -1.0, 1.0, 6);
    let lhs = Repeat::<f64, 8>::new().forward(x.as_view(), 7).dot(&g);
    let rhs = x.dot(&Sum::<f64, 8>::new().forward(g.as_view()));
    assert!((lhs - rhs).abs() < 1e-14, "{lhs} vs {rhs}");
}

#[test]
fn a_shorter_batch_reuses_the_buffers() {
    let mut rep = Repeat::<f64, 8>::new();
    let x: Batch<f64, 8> = random_batch(1, -1.0, 1.0, 7);
    assert_eq!(rep.forward(x.as_view(), 7).ncols(), 7);
    assert_eq!(rep.forward(x.as_view(), 3).ncols(), 3);
    let mut sum = Sum::<f64, 8>::new();
    let g7: Batch<f64, 8> = random_batch(7, -1.0, 1.0, 8);
    let g3: Batch<f64, 8> = random_batch(3, -1.0, 1.0, 9);
    sum.forward(g7.as_view());
    sum.forward(g3.as_view());
    assert_eq!(
        sum.backward(x.as_view()).ncols(),
        3,
        "backward follows the last forward's batch"
    );
}

#[test]
fn softmax_with_loss_index_and_one_hot_labels_agree() {
    fn run<const D: usize>(n: usize, seed: u64) {
        let s: Batch<f64, D> = random_batch(n, -4.0, 4.0, seed);
        let t: Vec<usize> = (0..n).map(|i| (i * 5 + seed as usize) % D).collect();
        let one_hot = Batch::<f64, D>::from_fn(n, |d, i| if t[i] == d { 1.0 } else { 0.0 });

        let mut by_index = SoftmaxWithLoss::<f64, D>::new();
        let mut by_one_hot = SoftmaxWithLoss::<f64, D>::new();
        let l1 = by_index.forward(s.as_view(), Labels::Classes(&t));
        let l2 = by_one_hot.forward(s.as_view(), Labels::OneHot(one_hot.as_view()));
        assert_eq!(l1.to_bits(), l2.to_bits(), "identical loss");
        assert_eq!(by_index.backward(), by_one_hot.backward(), "identical dscore");
        assert_eq!(
            by_index.correct(s.as_view(), Labels::Classes(&t)),
            by_one_hot.correct(s.as_view(), Labels::OneHot(one_hot.as_view()))
        );
        // Through the From conversions a network's forward(x, &labels) accepts.
        let l3 = by_index.forward(s.as_view(), (&t).into());
        let l4 = by_one_hot.forward(s.as_view(), (&one_hot).into());
        assert_eq!((l3.to_bits(), l4.to_bits()), (l1.to_bits(), l1.to_bits()));
    }
    run::<3>(1, 1);
    run::<3>(30, 2);
    run::<10>(17, 3);
}
