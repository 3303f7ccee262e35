//! A caller's mistake with the trainer or an optimizer panics with a message saying what
//! was expected, at the caller's line (`#[track_caller]`): the panic hook sees this file
//! and the line of the call, not a line inside nn.
//!
//! One test in this binary: the panic hook is process-wide.

use std::panic::{catch_unwind, set_hook, take_hook, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use nn_core::data::spiral;
use nn_core::optim::clip::ClipGradNorm;
use nn_core::optim::schedule::{CosineAnnealingLr, LinearWarmup, StepLr};
use nn_core::optim::AdamW;
use nn_core::train::{evaluate, Trainer};
use nn_core::{AdaGrad, Adam, InitScheme, Momentum, Optimizer, RmsProp, Sgd};
use rand::SeedableRng;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

/// (message, file, line) of the panic `f` raises.
fn panic_of(f: impl FnOnce()) -> (String, String, u32) {
    let seen = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&seen);
    set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let loc = info.location().expect("a location");
        *sink.lock().unwrap() = Some((msg, loc.file().to_string(), loc.line()));
    }));
    let r = catch_unwind(AssertUnwindSafe(f));
    let _ = take_hook();
    assert!(r.is_err(), "expected a panic");
    let seen = seen.lock().unwrap().take().expect("the hook ran");
    seen
}

/// Checks that the panic of `f` says `message` at line `line` of this file.
#[track_caller]
fn check(line: u32, message: &str, f: impl FnOnce()) {
    let (msg, file, at) = panic_of(f);
    assert_eq!(msg, message);
    assert_eq!((file.as_str(), at), (file!(), line), "{message}");
}

#[test]
#[rustfmt::skip] // one call per line: `line!() + 1` is its line
fn mistakes_panic_at_the_callers_line() {
    let l = line!() + 1;
    check(l, "Trainer::batch_size: expected at least 1 sample per batch, got 0", || { let _ = Trainer::new(Sgd::new(0.1f32)).batch_size(0); });
    let l = line!() + 1;
    check(l, "Trainer::epochs: expected at least 1 epoch, got 0", || { let _ = Trainer::new(Sgd::new(0.1f32)).epochs(0); });
    let l = line!() + 1;
    check(l, "Sgd::new: the learning rate must be finite and greater than 0, got 0", || { let _ = Sgd::new(0.0f32); });
    let l = line!() + 1;
    check(l, "Sgd::new: the learning rate must be finite and greater than 0, got -0.1", || { let _ = Sgd::new(-0.1f64); });
    let l = line!() + 1;
    check(l, "Momentum::new: momentum must lie in [0, 1), got 1", || { let _ = Momentum::new(0.1f32, 1.0); });
    let l = line!() + 1;
    check(l, "AdaGrad::new: the learning rate must be finite and greater than 0, got inf", || { let _ = AdaGrad::new(f32::INFINITY); });
    let l = line!() + 1;
    check(l, "RmsProp::new: decay must lie in [0, 1), got -0.5", || { let _ = RmsProp::new(0.1f32, -0.5); });
    let l = line!() + 1;
    check(l, "Adam::new: beta2 must lie in [0, 1), got 1.5", || { let _ = Adam::new(0.1f32, 0.9, 1.5); });
    let l = line!() + 1;
    check(l, "Adam::new: the learning rate must be finite and greater than 0, got NaN", || { let _ = Adam::with_lr(f32::NAN); });
    let l = line!() + 1;
    check(l, "AdamW::new: beta1 must lie in [0, 1), got 1", || { let _ = AdamW::new(0.1f32, 1.0, 0.999, 0.01); });
    let l = line!() + 1;
    check(l, "Sgd::weight_decay: the weight decay must be finite and at least 0, got -1", || { let _ = Sgd::new(0.1f32).weight_decay(-1.0); });
    let l = line!() + 1;
    check(l, "Adam::set_learning_rate: the learning rate must be finite and at least 0, got NaN", || Adam::<f32>::default().set_learning_rate(f64::NAN));
    let l = line!() + 1;
    check(l, "StepLr: step_size must be at least 1 epoch, got 0", || { let _ = StepLr::new(0.1, 0, 0.5); });
    let l = line!() + 1;
    check(l, "CosineAnnealingLr: eta_min must lie in 0..=lr (0.1), got 0.2", || { let _ = CosineAnnealingLr::new(0.1, 10, 0.2); });
    let l = line!() + 1;
    check(l, "LinearWarmup: the warm-up must last at least 1 step, got 0", || { let _ = LinearWarmup::new(0, StepLr::new(0.1, 1, 0.5)); });
    let l = line!() + 1;
    check(l, "ClipGradNorm: max_norm must be finite and greater than 0, got -1", || { let _ = ClipGradNorm::<f32>::new(-1.0); });
    let l = line!() + 1;
    check(l, "ClipGradNorm: max_norm must be finite and greater than 0, got 0", || { let _ = Trainer::new(Sgd::new(0.1f32)).clip_grad_norm(0.0); });

    let data = spiral::<f32>(1);
    let mut net = TwoLayerNet::<f32>::with_init(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0), InitScheme::Book);
    let l = line!() + 1;
    check(l, "evaluate: the batch size must be at least 1, got 0", || { let _ = evaluate(&mut net, &data, 0); });
    let mut t = Trainer::new(Sgd::new(0.1f32));
    t.batch_size = 0;
    let l = line!() + 1;
    check(l, "Trainer::fit: the batch size is 0; expected at least 1 sample per batch", || { let _ = t.fit(&mut net, &data, None); });
}
