//! Accuracy of the fast functions against `f64` libm references, over dense sweeps of the
//! `f32` line, for every instruction-set level this CPU runs (baseline and FMA variants round
//! differently, so each is checked).

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Exp,
    Sigmoid,
    Tanh,
}

impl Func {
    fn run(self, isa: Supported, x: &[f32], y: &mut [f32]) {
        match self {
            Func::Exp => {
                y.copy_from_slice(x);
                exp_isa(isa, y)
            }
            Func::Sigmoid => sigmoid_isa(isa, x, y),
            Func::Tanh => tanh_isa(isa, x, y),
        }
    }

    /// The exact value, computed in `f64` with libm (its error, ~1e−16, is far below `f32`'s).
    fn reference(self, x: f32) -> f64 {
        let x = x as f64;
        match self {
            Func::Exp => x.exp(),
            Func::Sigmoid => {
                if x >= 0.0 {
                    1.0 / (1.0 + (-x).exp())
                } else {
                    let e = x.exp();
                    e / (1.0 + e)
                }
            }
            Func::Tanh => x.tanh(),
        }
    }
}

/// The spacing of `f32` at `v` (for subnormals, the smallest subnormal).
fn ulp(v: f64) -> f64 {
    let e = if v == 0.0 { -126 } else { v.abs().log2().floor() as i32 };
    2f64.powi(e.max(-126) - 23)
}

/// Worst errors seen over a sweep.
#[derive(Debug, Default)]
struct Stats {
    points: u64,
    /// Max |y − ref| / |ref| over references that are normal `f32` numbers, and where.
    max_rel: f64,
    at_rel: f32,
    /// Max |y − ref| / ulp(ref) over all finite references, and where.
    max_ulp: f64,
    at_ulp: f32,
}

fn sweep(func: Func, isa: Supported, xs: impl Iterator<Item = f32>, stats: &mut Stats) {
    const CHUNK: usize = 4099; // not a multiple of the block, so tails are exercised too
    let mut xbuf = Vec::with_capacity(CHUNK);
    let mut ybuf = vec![0.0f32; CHUNK];
    let mut xs = xs.peekable();
    while xs.peek().is_some() {
        xbuf.clear();
        xbuf.extend((&mut xs).take(CHUNK));
        let y = &mut ybuf[..xbuf.len()];
        func.run(isa, &xbuf, y);
        for (&x, &y) in xbuf.iter().zip(y.iter()) {
            let r = func.reference(x);
            stats.points += 1;
            if x.is_nan() || (x.is_infinite() && func != Func::Exp) {
                assert!(y.is_nan(), "{func:?}/{isa:?}({x}) = {y}, expected NaN");
                continue;
            }
            let rf = r as f32;
            if rf.is_infinite() || r == 0.0 {
                assert_eq!(y, rf, "{func:?}/{isa:?}({x:e}) = {y:e}, expected {rf:e} (ref {r:e})");
                continue;
            }
            assert!(y.is_finite(), "{func:?}/{isa:?}({x:e}) = {y}, expected {r:e}");
            let err = (y as f64 - r).abs();
            let u = err / ulp(r);
            if u > stats.max_ulp {
                stats.max_ulp = u;
                stats.at_ulp = x;
            }
            if rf.is_normal() {
                let rel = err / r.abs();
                if rel > stats.max_rel {
                    stats.max_rel = rel;
                    stats.at_rel = x;
                }
            }
        }
    }
}

/// Every `step`-th bit pattern of the non-negative finite floats, with both signs: covers every
/// binade from the subnormals to `f32::MAX` evenly in the exponent.
fn strided(step: u32) -> impl Iterator<Item = f32> {
    (0..0x7f80_0000u32)
        .step_by(step as usize)
        .flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)])
}

/// Every float from `lo` to `hi` (same sign, `lo` ≤ `hi` in magnitude).
fn every(lo: f32, hi: f32) -> impl Iterator<Item = f32> {
    let (a, b) = (lo.to_bits(), hi.to_bits());
    (a.min(b)..=a.max(b)).map(f32::from_bits)
}

/// Every float within `k` ulps of `c` (both sides), for both signs.
fn around(c: f32, k: u32) -> impl Iterator<Item = f32> {
    let b = c.abs().to_bits();
    (b.saturating_sub(k)..=b + k).flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)])
}

/// Dense points: ~8.4 M strided over the whole line plus every float near the switch points.
fn dense(func: Func) -> Box<dyn Iterator<Item = f32>> {
    let common = strided(509)
        .chain(around(0.0, 1 << 16)) // ±0 and the smallest subnormals
        .chain(every(0.25, 0.250_061)) // inside the polynomial ranges
        .chain(every(-1.0, -1.000_122))
        .chain(every(1.0, 1.000_122));
    match func {
        Func::Exp => Box::new(
            common
                .chain(around(88.722_84, 1 << 16)) // overflow to +∞
                .chain(around(87.336_55, 1 << 16)) // results turn subnormal
                .chain(around(103.972_08, 1 << 16)) // underflow to 0
                .chain(around(0.346_573_6, 1 << 14)) // n switches 0 ↔ ±1
                .chain(around(1.0e-7, 1 << 14)),
        ),
        Func::Sigmoid => Box::new(
            common
                .chain(around(87.336_55, 1 << 16))
                .chain(around(103.972_08, 1 << 16))
                .chain(around(16.635_532, 1 << 14)) // σ(x) rounds to 1 from here on
                .chain(around(1.0e-7, 1 << 14)),
        ),
        Func::Tanh => Box::new(
            common
                .chain(around(lane::TANH_SWITCH, 1 << 18)) // polynomial ↔ exp formula
                .chain(around(9.010_913, 1 << 14)) // tanh rounds to 1
                .chain(around(1.0e-4, 1 << 14)),
        ),
    }
}

/// The accuracy every level must reach (the models need 1e−6 relative; we hold tighter).
fn check_dense(func: Func, max_rel: f64, max_ulp: f64) {
    for isa in Supported::all() {
        let mut s = Stats::default();
        sweep(func, isa, dense(func), &mut s);
        eprintln!("{func:?}/{isa:?}: {s:?}");
        assert!(s.points > 8_000_000, "{func:?}: only {} points swept", s.points);
        assert!(
            s.max_rel <= max_rel,
            "{func:?}/{isa:?}: relative error {:e} at x = {:e} exceeds {max_rel:e}",
            s.max_rel,
            s.at_rel
        );
        assert!(
            s.max_ulp <= max_ulp,
            "{func:?}/{isa:?}: error {} ulp at x = {:e} exceeds {max_ulp} ulp",
            s.max_ulp,
            s.at_ulp
        );
    }
}

#[test]
fn exp_is_within_2_ulp_dense() {
    check_dense(Func::Exp, 2.4e-7, 2.0);
}

#[test]
fn sigmoid_is_within_5e_7_relative_dense() {
    check_dense(Func::Sigmoid, 5e-7, 4.0);
}

#[test]
fn tanh_is_within_5e_7_relative_dense() {
    check_dense(Func::Tanh, 5e-7, 4.0);
}

/// The wording: within 1e−6 relative error of libm's `tanhf` (std's `f32::tanh`), for
/// every float in [2⁻²⁰, 12] on both sides taken with a stride (~5 M points) plus the whole
/// binade of the switch point.
#[test]
fn tanh_matches_libm_tanhf() {
    let xs = || {
        every(2f32.powi(-20), 12.0)
            .step_by(61)
            .chain(every(0.5, 0.999_999_94))
            .flat_map(|x| [x, -x])
    };
    for isa in Supported::all() {
        let x: Vec<f32> = xs().collect();
        let mut y = vec![0.0; x.len()];
        tanh_isa(isa, &x, &mut y);
        let (mut worst, mut at) = (0.0f64, 0.0f32);
        for (&x, &y) in x.iter().zip(&y) {
            let t = x.tanh();
            let rel = ((y - t) as f64 / t as f64).abs();
            if rel > worst {
                (worst, at) = (rel, x);
            }
        }
        eprintln!(
            "tanh/{isa:?} vs tanhf: max relative error {worst:e} at {at:e} over {} points",
            x.len()
        );
        assert!(worst <= 1e-6, "tanh/{isa:?}: {worst:e} relative to tanhf at x = {at:e}");
    }
}

#[test]
fn special_values() {
    let cases: &[(Func, f32, f32)] = &[
        (Func::Exp, 0.0, 1.0),
        (Func::Exp, -0.0, 1.0),
        (Func::Exp, f32::INFINITY, f32::INFINITY),
        (Func::Exp, f32::NEG_INFINITY, 0.0),
        (Func::Exp, 89.0, f32::INFINITY),
        (Func::Exp, 1e30, f32::INFINITY),
        (Func::Exp, -1e30, 0.0),
        (Func::Exp, -104.0, 0.0),
        (Func::Exp, f32::MIN_POSITIVE / 4.0, 1.0),
        (Func::Exp, -f32::MIN_POSITIVE / 4.0, 1.0),
        (Func::Sigmoid, 0.0, 0.5),
        (Func::Sigmoid, -0.0, 0.5),
        (Func::Sigmoid, 100.0, 1.0),
        (Func::Sigmoid, 20.0, 1.0),
        (Func::Sigmoid, f32::MIN, 0.0),
        (Func::Sigmoid, -200.0, 0.0),
        (Func::Tanh, 20.0, 1.0),
        (Func::Tanh, -20.0, -1.0),
        (Func::Tanh, f32::MAX, 1.0),
        (Func::Tanh, f32::MIN, -1.0),
        (Func::Tanh, 1e-30, 1e-30),
        (Func::Tanh, -1e-30, -1e-30),
        (Func::Tanh, f32::from_bits(1), f32::from_bits(1)),
    ];
    for isa in Supported::all() {
        for &(func, x, want) in cases {
            let mut y = [f32::NAN];
            func.run(isa, &[x], &mut y);
            assert_eq!(y[0], want, "{func:?}/{isa:?}({x:e})");
        }
        // ±∞ is not saturated to a limit: it would hide an overflow from the loss.
        for func in [Func::Sigmoid, Func::Tanh] {
            for x in [f32::INFINITY, f32::NEG_INFINITY] {
                let mut y = [0.0];
                func.run(isa, &[x], &mut y);
                assert!(y[0].is_nan(), "{func:?}/{isa:?}({x}) = {}", y[0]);
            }
        }
        for func in [Func::Exp, Func::Sigmoid, Func::Tanh] {
            for x in [f32::NAN, -f32::NAN, f32::from_bits(0x7fa0_0001)] {
                let mut y = [0.0];
                func.run(isa, &[x], &mut y);
                assert!(y[0].is_nan(), "{func:?}/{isa:?}(NaN) = {}", y[0]);
            }
        }
        // Signs of zero survive tanh; σ(−100) is the subnormal e^−100, not 0.
        let mut y = [1.0];
        tanh_isa(isa, &[-0.0], &mut y);
        assert!(y[0] == 0.0 && y[0].is_sign_negative(), "tanh(-0) = {}", y[0]);
        sigmoid_isa(isa, &[-100.0], &mut y);
        let r = (-100f64).exp() as f32;
        assert!(
            y[0] > 0.0 && (y[0] - r).abs() <= f32::from_bits(1),
            "σ(−100) = {:e}, want {r:e}",
            y[0]
        );
    }
}

/// Every length (the block tails) and every level give the element-wise same result as one
/// long run on the same level: elements are independent of their neighbours and position.
#[test]
fn tails_and_offsets_match_long_runs() {
    let x: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin() * 12.0 - 0.5).collect();
    for isa in Supported::all() {
        for func in [Func::Exp, Func::Sigmoid, Func::Tanh] {
            let mut full = vec![0.0; x.len()];
            func.run(isa, &x, &mut full);
            for start in 0..3 {
                for len in 0..=(2 * BLOCK + 3) {
                    let mut y = vec![f32::NAN; len];
                    func.run(isa, &x[start..start + len], &mut y);
                    assert_eq!(y, full[start..start + len], "{func:?}/{isa:?} start {start} len {len}");
                }
            }
        }
    }
}

/// A NaN or an infinity at any position of any length (every lane of a vector, the
/// element-by-element short path, the overlapping tail block, in-place and not) gives the
/// non-finite result at that position only, on every level this CPU runs: NaN for sigmoid and
/// tanh (NaN and ±∞), and IEEE `exp` (NaN → NaN, +∞ → +∞, −∞ → 0).
#[test]
fn non_finite_inputs_give_non_finite_results_in_every_lane() {
    let base: Vec<f32> = (0..(2 * BLOCK + 5)).map(|i| (i as f32 * 0.61).cos() * 9.0).collect();
    let poisons = [
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7fa0_0001),
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    for isa in Supported::all() {
        for func in [Func::Exp, Func::Sigmoid, Func::Tanh] {
            for len in 1..=base.len() {
                let x = &base[..len];
                let mut clean = vec![0.0; len];
                func.run(isa, x, &mut clean);
                for pos in 0..len {
                    for v in poisons {
                        let mut xp = x.to_vec();
                        xp[pos] = v;
                        let mut y = vec![0.0; len];
                        func.run(isa, &xp, &mut y);
                        let ok = if func == Func::Exp && v.is_infinite() {
                            y[pos] == v.exp()
                        } else {
                            y[pos].is_nan()
                        };
                        assert!(ok, "{func:?}/{isa:?} len {len}: x[{pos}] = {v} gave {}", y[pos]);
                        for (i, (&a, &b)) in y.iter().zip(&clean).enumerate() {
                            assert!(
                                i == pos || a == b,
                                "{func:?}/{isa:?} len {len}, {v} at {pos}: y[{i}] = {a}, not {b}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn public_functions_use_the_kernels() {
    let x: Vec<f32> = (0..100).map(|i| i as f32 * 0.25 - 12.0).collect();
    let mut y = vec![0.0; x.len()];
    let mut want = vec![0.0; x.len()];
    let best = Supported::best();
    assert_eq!(Some(best), Supported::all().next());
    tanh_f32(&x, &mut y);
    tanh_isa(best, &x, &mut want);
    assert_eq!(y, want);
    sigmoid_f32(&x, &mut y);
    sigmoid_isa(best, &x, &mut want);
    assert_eq!(y, want);
    y.copy_from_slice(&x);
    exp_f32_in_place(&mut y);
    want.copy_from_slice(&x);
    exp_isa(best, &mut want);
    assert_eq!(y, want);
}

#[test]
#[should_panic(expected = "lengths differ")]
fn tanh_rejects_length_mismatch() {
    tanh_f32(&[1.0, 2.0], &mut [0.0]);
}

/// Every one of the 2³² floats, for every level, with the bounds of the dense tests. Slow
/// (~3–6 min per function and level in release on a busy 2-core box); run with
/// `cargo test --release -p nn-core exhaustive -- --ignored --nocapture`.
#[test]
#[ignore]
fn exhaustive() {
    for func in [Func::Exp, Func::Sigmoid, Func::Tanh] {
        for isa in Supported::all() {
            let mut s = Stats::default();
            sweep(func, isa, (0..=u32::MAX).map(f32::from_bits), &mut s);
            eprintln!("{func:?}/{isa:?}: {s:?}");
            let (max_rel, max_ulp) = if func == Func::Exp { (2.4e-7, 2.0) } else { (5e-7, 4.0) };
            assert!(s.max_rel <= max_rel && s.max_ulp <= max_ulp, "{func:?}/{isa:?}: {s:?}");
        }
    }
}

/// The vectorised SGD step rounds exactly as the scalar `p − a·g` at every level, for every
/// length around the vector widths, in `f32` and `f64`.
#[test]
fn sub_scaled_matches_the_scalar_step_bit_for_bit() {
    fn check<T: crate::float::Float>(isa: Supported) {
        for len in 0..70 {
            let p0: Vec<T> = (0..len).map(|i| T::cast((i as f64 * 0.37).sin() * 3.0)).collect();
            let g: Vec<T> = (0..len).map(|i| T::cast((i as f64 * 1.3).cos() / 7.0)).collect();
            let a = T::cast(0.1);
            let mut p = p0.clone();
            sub_scaled_isa(isa, &mut p, a, &g);
            for i in 0..len {
                let want = p0[i] - a * g[i];
                assert!(p[i] == want, "{isa:?} len {len} [{i}]: {} vs {}", p[i], want);
            }
        }
    }
    for isa in Supported::all() {
        check::<f32>(isa);
        check::<f64>(isa);
    }
}
