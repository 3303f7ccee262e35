//! Fast `f32` elementwise functions for the hot loops (placeholder: libm until the fast
//! vectorisable versions land).

/// `y = 1 / (1 + exp(-x))`.
pub fn sigmoid_f32(x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "sigmoid_f32: input and output lengths differ");
    for (y, &x) in y.iter_mut().zip(x) {
        *y = 1.0 / (1.0 + (-x).exp());
    }
}

/// `y = tanh(x)`.
pub fn tanh_f32(x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "tanh_f32: input and output lengths differ");
    for (y, &x) in y.iter_mut().zip(x) {
        *y = x.tanh();
    }
}

/// `x = exp(x)` in place.
pub fn exp_f32_in_place(x: &mut [f32]) {
    for v in x {
        *v = v.exp();
    }
}
