//! `Network::visit_tensors` / `visit_tensors_mut`: PyTorch's names, shapes and element order
//! for every layer with parameters, in model order, through the inherent and trait forms.

use nn::rand::SeedableRng;
use nn::state::{Order, Shape};
use nn::Network;

nn::network! {
    /// 3 → 4 (tanh) → 2, and a bias-free layer.
    pub struct StateNet {
        input: 3,
        fc1: Affine(4),
        act: Tanh,
        proj: MatMul(2),
        loss: SoftmaxWithLoss,
    }
}

#[test]
fn keys_shapes_and_order_follow_pytorch() {
    let net = StateNet::new(&mut nn::rand_chacha::ChaCha8Rng::seed_from_u64(1));
    let mut seen = Vec::new();
    net.visit_tensors(|layer, t| seen.push((format!("{layer}.{}", t.name), t.shape, t.order, t.data.len())));
    assert_eq!(
        seen,
        [
            ("fc1.weight".to_string(), Shape::matrix(4, 3), Order::ColumnMajor, 12),
            ("fc1.bias".to_string(), Shape::vector(4), Order::RowMajor, 4),
            ("proj.weight".to_string(), Shape::matrix(2, 4), Order::ColumnMajor, 8),
        ]
    );
    // The trait form visits the same tensors, and the data is the layer's storage.
    let mut via_trait = Vec::new();
    Network::visit_tensors(&net, &mut |layer, t| via_trait.push((layer, t.name, t.data.to_vec())));
    assert_eq!(via_trait[0].2, net.fc1.w.as_slice());
    assert_eq!(via_trait[1].2, net.fc1.b.as_slice());
    assert_eq!(via_trait[2].2, net.proj.w.as_slice());
}

#[test]
fn visit_tensors_mut_writes_the_parameters() {
    let mut net = StateNet::zeroed_f64();
    let mut k = 0.0;
    net.visit_tensors_mut(|_, t| {
        for v in t.data.iter_mut() {
            k += 1.0;
            *v = k;
        }
    });
    // Column-major: element (row 1, column 0) of `fc1.weight` is the second value written.
    assert_eq!(net.fc1.w[(1, 0)], 2.0);
    assert_eq!(net.fc1.b[0], 13.0);
    assert_eq!(net.proj.w[(1, 3)], 24.0);
    let mut names = Vec::new();
    Network::visit_tensors_mut(&mut net, &mut |layer, t| names.push((layer, t.name)));
    assert_eq!(names, [("fc1", "weight"), ("fc1", "bias"), ("proj", "weight")]);
}
