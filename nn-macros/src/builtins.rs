//! The built-in layers of `network!`: one row each in [`BUILTINS`], read by the checks
//! ([`validate`](crate::validate): which names exist, which take a width) and by the code
//! generation ([`expand`](crate::expand): field types, doc lines, fused paths, loss targets).
//!
//! Adding a built-in layer is adding its row here and its type to `nn::__private` (under
//! the same name); nothing else in the macro names a built-in.

/// One built-in layer (or loss): everything the macro knows about it.
pub struct Builtin {
    /// The name as written in `network!`, and the name of its type in `nn::__private`.
    pub name: &'static str,
    /// Whether it takes an output width argument: `Affine(10)`, field type
    /// `Affine<T, IN, OUT>`. Without one, the layer keeps the width: `Sigmoid`, field type
    /// `Sigmoid<T, IN>`.
    pub takes_width: bool,
    /// Its scalar arguments, in order (`Dropout(0.2)`, `BatchNorm(1e-5, 0.1)`): each optional
    /// from the right, the default filled in by the macro, passed to `Type::new` as `f64`.
    /// Empty for a layer written without arguments (and for `takes_width` layers).
    pub args: &'static [Arg],
    /// Whether its `forward` depends on the `Mode` or a random stream (`Dropout`,
    /// `BatchNorm`): the generated methods call its `set_mode` and `reseed`.
    pub modal: bool,
    /// Its trainable parameters.
    pub params: Params,
    /// Whether `InitScheme::Auto` draws the layer before this one by He (else Xavier).
    pub he_before: bool,
    /// `Some` for a loss (the last entry, no arguments): the name of its target type in
    /// `nn::__private`, generated as `Target<'t, T, WIDTH>`.
    pub loss_target: Option<&'static str>,
    /// The doc line of its field, from the input and output widths (equal for a loss).
    pub field_doc: fn(usize, usize) -> String,
}

/// A scalar argument of a built-in layer.
pub struct Arg {
    /// Its name (PyTorch's), for messages and docs.
    pub name: &'static str,
    /// Its value when not written (PyTorch's default).
    pub default: f64,
    /// The check of a written value: `Err(what is allowed)`.
    pub check: fn(f64) -> Result<(), &'static str>,
}

fn probability(p: f64) -> Result<(), &'static str> {
    if (0.0..1.0).contains(&p) {
        Ok(())
    } else {
        Err("a drop probability in [0, 1)")
    }
}

fn positive(v: f64) -> Result<(), &'static str> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err("a positive number")
    }
}

fn fraction(v: f64) -> Result<(), &'static str> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err("a number in [0, 1]")
    }
}

fn finite(v: f64) -> Result<(), &'static str> {
    if v.is_finite() {
        Ok(())
    } else {
        Err("a finite number")
    }
}

/// The trainable parameters of a built-in layer.
#[derive(Clone, Copy)]
pub enum Params {
    /// None.
    None,
    /// A weight matrix `W` (out × in), and with `bias` a bias vector `b` (out).
    Linear {
        /// Whether there is a bias vector.
        bias: bool,
    },
    /// A per-feature scale γ and shift β (`BatchNorm`, `LayerNorm`): 2 × width.
    Norm,
    /// A lookup table `weight`, vocabulary × width (`Embedding`; the "input width" of its
    /// shapes is the vocabulary).
    Embedding,
    /// A recurrent layer's `weight_ih_l0` (G·H × IN), `weight_hh_l0` (G·H × H), `bias_ih_l0` and
    /// `bias_hh_l0` (G·H), with G gates (`Rnn` 1, `Gru` 3, `Lstm` 4).
    Recurrent {
        /// G.
        gates: usize,
    },
}

/// Every built-in, the layers before the losses (the order of the "built-in layers are ..."
/// list in error messages).
pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "Affine",
        takes_width: true,
        args: &[],
        modal: false,
        params: Params::Linear { bias: true },
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Affine` {i} → {o}: `W` {o} × {i}, `b` {o}; output {o} × N."),
    },
    Builtin {
        name: "MatMul",
        takes_width: true,
        args: &[],
        modal: false,
        params: Params::Linear { bias: false },
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `MatMul` {i} → {o}: `W` {o} × {i}; output {o} × N."),
    },
    Builtin {
        name: "Sigmoid",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Sigmoid` on {i} features; output {o} × N."),
    },
    Builtin {
        name: "Tanh",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Tanh` on {i} features; output {o} × N."),
    },
    Builtin {
        name: "Relu",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: true,
        loss_target: None,
        field_doc: |i, o| format!(" `Relu` on {i} features; output {o} × N."),
    },
    Builtin {
        name: "Softmax",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Softmax` on {i} features; output {o} × N."),
    },
    Builtin {
        name: "LeakyRelu",
        takes_width: false,
        args: &[Arg {
            name: "negative_slope",
            default: 0.01,
            check: finite,
        }],
        modal: false,
        params: Params::None,
        he_before: true,
        loss_target: None,
        field_doc: |i, o| format!(" `LeakyRelu` on {i} features; output {o} × N."),
    },
    Builtin {
        name: "Gelu",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Gelu` (exact, with erf) on {i} features; output {o} × N."),
    },
    Builtin {
        name: "GeluTanh",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `GeluTanh` (GELU, tanh approximation) on {i} features; output {o} × N."),
    },
    Builtin {
        name: "Softplus",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Softplus` on {i} features; output {o} × N."),
    },
    Builtin {
        name: "Identity",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Identity` on {i} features; output {o} × N."),
    },
    Builtin {
        name: "Dropout",
        takes_width: false,
        args: &[Arg {
            name: "p",
            default: 0.5,
            check: probability,
        }],
        modal: true,
        params: Params::None,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `Dropout` on {i} features (training only); output {o} × N."),
    },
    Builtin {
        name: "BatchNorm",
        takes_width: false,
        args: &[
            Arg {
                name: "eps",
                default: 1e-5,
                check: positive,
            },
            Arg {
                name: "momentum",
                default: 0.1,
                check: fraction,
            },
        ],
        modal: true,
        params: Params::Norm,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| {
            format!(" `BatchNorm` over {i} features: γ {i}, β {i}, running mean and variance {i}; output {o} × N.")
        },
    },
    Builtin {
        name: "LayerNorm",
        takes_width: false,
        args: &[Arg {
            name: "eps",
            default: 1e-5,
            check: positive,
        }],
        modal: false,
        params: Params::Norm,
        he_before: false,
        loss_target: None,
        field_doc: |i, o| format!(" `LayerNorm` over {i} features: γ {i}, β {i}; output {o} × N."),
    },
    Builtin {
        name: "Embedding",
        takes_width: true,
        args: &[],
        modal: false,
        params: Params::Embedding,
        he_before: false,
        loss_target: None,
        // The vocabulary is not the input width (1: a token id); `layers::field_doc` writes it.
        field_doc: |_, o| format!(" `Embedding` of token ids into {o} features; output {o} × N."),
    },
    Builtin {
        name: "Rnn",
        takes_width: true,
        args: &[],
        modal: false,
        params: Params::Recurrent { gates: 1 },
        he_before: false,
        loss_target: None,
        field_doc: |i, o| {
            format!(" `Rnn` (tanh) {i} → {o} over time: `weight_ih_l0` {o} × {i}, `weight_hh_l0` {o} × {o}, biases {o}; output {o} × (T·N).")
        },
    },
    Builtin {
        name: "Lstm",
        takes_width: true,
        args: &[],
        modal: false,
        params: Params::Recurrent { gates: 4 },
        he_before: false,
        loss_target: None,
        field_doc: |i, o| {
            let g = 4 * o;
            format!(" `Lstm` {i} → {o} over time (gates i, f, g, o): `weight_ih_l0` {g} × {i}, `weight_hh_l0` {g} × {o}, biases {g}; output {o} × (T·N).")
        },
    },
    Builtin {
        name: "Gru",
        takes_width: true,
        args: &[],
        modal: false,
        params: Params::Recurrent { gates: 3 },
        he_before: false,
        loss_target: None,
        field_doc: |i, o| {
            let g = 3 * o;
            format!(" `Gru` {i} → {o} over time (gates r, z, n): `weight_ih_l0` {g} × {i}, `weight_hh_l0` {g} × {o}, biases {g}; output {o} × (T·N).")
        },
    },
    Builtin {
        name: "SoftmaxWithLoss",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: Some("Labels"),
        field_doc: |w, _| {
            format!(" `SoftmaxWithLoss` over {w} classes: softmax of the {w} × N scores, mean cross-entropy.")
        },
    },
    Builtin {
        name: "SigmoidWithLoss",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: Some("Labels"),
        field_doc: |w, _| {
            format!(" `SigmoidWithLoss` on {w} outputs: sigmoid of the {w} × N scores, mean binary cross-entropy.")
        },
    },
    Builtin {
        name: "MeanSquaredError",
        takes_width: false,
        args: &[],
        modal: false,
        params: Params::None,
        he_before: false,
        loss_target: Some("BatchRef"),
        field_doc: |w, _| format!(" `MeanSquaredError` on {w} × N outputs against {w} × N targets."),
    },
];

/// The built-in written `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

impl Builtin {
    /// Whether it is a loss layer.
    pub fn is_loss(&self) -> bool {
        self.loss_target.is_some()
    }

    /// Whether it has trainable parameters.
    pub fn has_params(&self) -> bool {
        !matches!(self.params, Params::None)
    }

    /// Whether it is a fully connected layer (`Affine`, `MatMul`): its type implements the
    /// hidden `FusedLinear` trait, whose gathered forward and `dx`-free backward the
    /// generated `train_step` calls.
    pub fn is_fully_connected(&self) -> bool {
        matches!(self.params, Params::Linear { .. })
    }

    /// Whether it is a recurrent layer (`Rnn`, `Lstm`, `Gru`): it walks the steps of a
    /// sequence batch (`set_sequences`), may carry its state (`reset_state`) and streams
    /// (`StepLayer`).
    pub fn is_recurrent(&self) -> bool {
        matches!(self.params, Params::Recurrent { .. })
    }

    /// Whether it is `Embedding`: token ids in, so only right after `input: tokens(V)`.
    pub fn is_embedding(&self) -> bool {
        matches!(self.params, Params::Embedding)
    }
}

impl Params {
    /// Their shapes for a doc line: `10 × 2 + 10` (`W` and `b`), empty without parameters.
    pub fn shapes(self, in_w: usize, out_w: usize) -> String {
        match self {
            Params::None => String::new(),
            Params::Linear { bias: true } => format!("{out_w} × {in_w} + {out_w}"),
            Params::Linear { bias: false } => format!("{out_w} × {in_w}"),
            Params::Norm => format!("{in_w} + {in_w}"),
            Params::Embedding => format!("{in_w} × {out_w}"),
            Params::Recurrent { gates } => {
                let g = gates * out_w;
                format!("{g} × {in_w} + {g} × {out_w} + {g} + {g}")
            }
        }
    }

    /// Their number, `None` if it overflows a `usize`.
    pub fn count(self, in_w: usize, out_w: usize) -> Option<usize> {
        match self {
            Params::None => Some(0),
            Params::Linear { bias } => {
                in_w.checked_mul(out_w)
                    .and_then(|p| if bias { p.checked_add(out_w) } else { Some(p) })
            }
            Params::Norm => in_w.checked_mul(2),
            Params::Embedding => in_w.checked_mul(out_w),
            // G·H·(IN + H + 2)
            Params::Recurrent { gates } => gates
                .checked_mul(out_w)
                .and_then(|g| in_w.checked_add(out_w)?.checked_add(2)?.checked_mul(g)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_consistent() {
        for (i, b) in BUILTINS.iter().enumerate() {
            assert!(
                BUILTINS[..i].iter().all(|other| other.name != b.name),
                "`{}` is listed twice",
                b.name
            );
            assert!(
                (b.field_doc)(2, 3).starts_with(&format!(" `{}` ", b.name)),
                "{}",
                b.name
            );
            assert!(
                b.args.is_empty() || !b.takes_width,
                "{}: a width or scalar arguments",
                b.name
            );
            for a in b.args {
                assert!((a.check)(a.default).is_ok(), "{}: default of `{}`", b.name, a.name);
            }
            if b.is_loss() {
                assert!(
                    !b.takes_width && !b.has_params(),
                    "a loss has no width and no parameters"
                );
            }
        }
        // The losses come last (error messages list layers, then losses).
        let first_loss = BUILTINS.iter().position(Builtin::is_loss).expect("there are losses");
        assert!(BUILTINS[first_loss..].iter().all(Builtin::is_loss));
    }

    #[test]
    fn linear_parameter_shapes() {
        let affine = find("Affine").expect("Affine is built in");
        assert_eq!(affine.params.shapes(2, 10), "10 × 2 + 10");
        assert!(affine.is_fully_connected());
        let matmul = find("MatMul").expect("MatMul is built in");
        assert_eq!(matmul.params.shapes(2, 10), "10 × 2");
        assert!(find("Relu").is_some_and(|b| !b.has_params() && !b.is_fully_connected()));
        assert!(find("Dense").is_none());
    }
}
