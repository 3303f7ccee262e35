//! What a check found: per-entry and per-tensor results, the report and its table, and the
//! error measure they use.

use core::fmt;

/// The floor of the denominator of [`relative_error`]: gradients smaller than this are
/// compared absolutely.
pub const ERROR_FLOOR: f64 = 1e-3;
/// `|a − b| / max(|a|, |b|, 1e-3)`; infinite if either value is NaN or infinite.
pub fn relative_error(a: f64, b: f64) -> f64 {
    if !(a.is_finite() && b.is_finite()) {
        return f64::INFINITY;
    }
    (a - b).abs() / a.abs().max(b.abs()).max(ERROR_FLOOR)
}

/// The result of one checked entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryCheck {
    /// Flat index into the tensor (column-major element order).
    pub index: usize,
    /// The gradient written by `backward`.
    pub analytic: f64,
    /// The central-difference estimate.
    pub numeric: f64,
    /// Their [`relative_error`].
    pub error: f64,
}

/// The result for one tensor (`dx`, `dscore` or a parameter).
#[derive(Clone, Debug, PartialEq)]
pub struct TensorCheck {
    /// `"dx"`, `"dscore"`, the parameter name (`"w"`) or `"layer.name"` in a network.
    pub name: String,
    /// `(rows, cols)` when known (inputs and scores), to print `(feature, sample)` positions.
    pub shape: Option<(usize, usize)>,
    /// Number of entries in the tensor.
    pub len: usize,
    /// Number of entries checked (all, or the sample).
    pub checked: usize,
    /// The entry with the largest error (`None` if nothing was checked).
    pub worst: Option<EntryCheck>,
}

impl TensorCheck {
    /// The largest error in this tensor (0 if nothing was checked).
    pub fn max_error(&self) -> f64 {
        self.worst.as_ref().map_or(0.0, |e| e.error)
    }

    fn position(&self, index: usize) -> String {
        match self.shape {
            Some((rows, _)) if rows > 0 => format!("({}, {})", index % rows, index / rows),
            _ => format!("[{index}]"),
        }
    }
}

/// What a gradient check found: per-tensor errors and any consistency problems.
/// `Display` prints a table; [`assert_ok`](GradReport::assert_ok) panics with it.
#[derive(Clone, Debug, PartialEq)]
pub struct GradReport {
    /// What was checked (`layer nn_core::Affine<f64, 3, 2>`, batch of 4).
    pub subject: String,
    /// The step used.
    pub eps: f64,
    /// The tolerance [`passed`](GradReport::passed) compares against.
    pub tolerance: f64,
    /// One entry per checked tensor, in order (`dx` or `dscore` first, then parameters in
    /// visit order).
    pub tensors: Vec<TensorCheck>,
    /// Consistency problems found besides gradient errors (a `PARAMS` that disagrees
    /// with `visit_params`, `infer` disagreeing with `forward`, a non-finite loss, ...).
    pub problems: Vec<String>,
}

impl GradReport {
    /// The largest error over every checked entry (infinite if any value was not finite).
    pub fn max_error(&self) -> f64 {
        self.tensors.iter().map(TensorCheck::max_error).fold(0.0, f64::max)
    }

    /// The tensor and entry with the largest error.
    pub fn worst(&self) -> Option<(&TensorCheck, &EntryCheck)> {
        self.tensors
            .iter()
            .filter_map(|t| t.worst.as_ref().map(|e| (t, e)))
            .fold(None, |best: Option<(&TensorCheck, &EntryCheck)>, (t, e)| match best {
                Some((_, b)) if e.error <= b.error => best,
                _ => Some((t, e)),
            })
    }

    /// Total number of entries checked.
    pub fn checked(&self) -> usize {
        self.tensors.iter().map(|t| t.checked).sum()
    }

    /// Whether every error is within the tolerance and there is no other problem.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.max_error() <= self.tolerance
    }

    /// Panics with the report when the check did not pass.
    #[track_caller]
    pub fn assert_ok(&self) {
        if !self.passed() {
            panic!("{self}");
        }
    }

    /// Panics with the report when the largest error exceeds `tolerance` (or there is a
    /// consistency problem).
    #[track_caller]
    pub fn assert_within(&self, tolerance: f64) {
        Self {
            tolerance,
            ..self.clone()
        }
        .assert_ok()
    }
}

impl fmt::Display for GradReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        writeln!(
            f,
            "gradient check of {}: {verdict}, max relative error {:.3e} (tolerance {:.1e}, eps {:.1e}, {} entries checked)",
            self.subject,
            self.max_error(),
            self.tolerance,
            self.eps,
            self.checked()
        )?;
        writeln!(
            f,
            "  {:<20} {:>13} {:>11}  {:<12} {:>24} {:>24}",
            "tensor", "checked/len", "max error", "worst at", "analytic", "numeric"
        )?;
        for t in &self.tensors {
            let flag = if t.max_error() > self.tolerance {
                "  <-- too large"
            } else {
                ""
            };
            match &t.worst {
                Some(e) => writeln!(
                    f,
                    "  {:<20} {:>13} {:>11.3e}  {:<12} {:>24.16e} {:>24.16e}{flag}",
                    t.name,
                    format!("{}/{}", t.checked, t.len),
                    e.error,
                    t.position(e.index),
                    e.analytic,
                    e.numeric
                )?,
                None => writeln!(f, "  {:<20} {:>13} {:>11}", t.name, format!("0/{}", t.len), "-")?,
            }
        }
        for p in &self.problems {
            writeln!(f, "  problem: {p}")?;
        }
        Ok(())
    }
}
