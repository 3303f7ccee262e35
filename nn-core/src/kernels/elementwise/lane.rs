//! One-element ("lane") versions of the fast functions, written branch-free (selects only, no
//! calls) so that a loop over them vectorises. `FMA` picks fused multiply-adds (only used from
//! functions compiled with the `fma` target feature, where `mul_add` is one instruction) or
//! separate multiply and add (the baseline build, where `mul_add` would be a libm call).

use crate::kernels::elem::Elem;

/// `1.5 · 2²³`: adding it to a float of magnitude < 2²² rounds that float to an integer (round
/// to nearest even) and leaves the integer in the low mantissa bits.
const SHIFTER: f32 = 12_582_912.0;
const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// Cody–Waite split of ln 2: `LN2_HI` = 355/512 (0.693359375) has 9 significant bits, so `n · LN2_HI` is exact for
/// |n| < 2¹⁵; `LN2_HI + LN2_LO` = ln 2 to ~2⁻³².
const LN2_HI: f32 = 355.0 / 512.0;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Minimax coefficients (Cephes `expf`) of `(exp(r) − 1 − r) / r²` on |r| ≤ ln2 / 2.
const EXP_P: [f32; 6] = [
    0.5,
    1.666_666_5e-1,
    4.166_579_6e-2,
    8.333_452e-3,
    1.398_2e-3,
    1.987_569_2e-4,
];

/// Inputs above this overflow `exp` to +∞; clamping to it keeps `n` ≤ 128.
pub(crate) const EXP_HI: f32 = 89.0;
/// Inputs below this underflow `exp` to +0 (exp(−103.98) is half the smallest subnormal);
/// clamping to it keeps `n` ≥ −150.
pub(crate) const EXP_LO: f32 = -104.0;

/// `exp(x)` for `x` in [[`EXP_LO`], [`EXP_HI`]] or NaN (callers clamp).
///
/// `n = round(x · log2 e)`, `r = x − n · ln 2` (Cody–Waite, exact to ~2⁻³²), |r| ≤ ln2/2 (plus a
/// rounding hair), `exp(r) = 1 + r + r² · P(r)`, and `exp(x) = exp(r) · 2ⁿ` with 2ⁿ built from
/// exponent bits in two halves `2^⌊n/2⌋ · 2^(n−⌊n/2⌋)`, so that n in [−150, 128] neither
/// overflows the exponent field nor loses the rounding of a subnormal result (the first
/// product is a normal float, the second rounds once). NaN propagates through `P`.
#[inline(always)]
pub(crate) fn exp_core<const FMA: bool>(x: f32) -> f32 {
    let (em1, ni) = exp_parts::<FMA>(x);
    let n1 = ni >> 1;
    let s1 = pow2(n1);
    let s2 = pow2(ni.wrapping_sub(n1));
    // `(em1 + 1) · s1` as one multiply-add: scaling by a power of two is exact here (`s1` ≥
    // 2⁻⁷⁵ and `em1 + 1` ≥ 0.7 keep the product normal), so rounding `em1 · s1 + s1` once gives
    // the bits of rounding `em1 + 1` and then scaling — one dependent operation fewer.
    em1.madd::<FMA>(s1, s1) * s2
}

/// [`exp_core`] for `x` in [−87, 88] or NaN, where `2ⁿ` is one normal float (n in [−126,
/// 127]): the same bits with one scaling instead of two (tanh's `exp(2|x|)`, |x| ≤ 10).
#[inline(always)]
pub(crate) fn exp_core_normal<const FMA: bool>(x: f32) -> f32 {
    let (em1, ni) = exp_parts::<FMA>(x);
    let s = pow2(ni);
    em1.madd::<FMA>(s, s)
}

/// `2ⁿ` for n in [−126, 127], from exponent bits.
#[inline(always)]
fn pow2(n: i32) -> f32 {
    f32::from_bits((n.wrapping_add(127) as u32) << 23)
}

/// The reduction and polynomial of [`exp_core`]: `exp(r) − 1 = r + r² · P(r)` and the integer
/// `n`, with `exp(x) = (exp(r) − 1 + 1) · 2ⁿ`.
#[inline(always)]
fn exp_parts<const FMA: bool>(x: f32) -> (f32, i32) {
    let t = x.madd::<FMA>(LOG2_E, SHIFTER);
    let n = t - SHIFTER;
    // Integer n sits in the low bits of t's pattern (t's exponent field is that of 1.5 · 2²³).
    let ni = (t.to_bits() as i32).wrapping_sub(SHIFTER.to_bits() as i32);
    let r = (-n).madd::<FMA>(LN2_HI, x);
    let r = (-n).madd::<FMA>(LN2_LO, r);
    // P(r) by Estrin's scheme, `(c0 + c1·r) + r²·((c2 + c3·r) + r²·(c4 + c5·r))`: three
    // dependent multiply-adds instead of Horner's five (the latency of a recurrent step is
    // a chain of these functions), with the same accuracy here (r²·P is ≤ 0.04 of the result).
    let r2 = r * r;
    let p01 = EXP_P[1].madd::<FMA>(r, EXP_P[0]);
    let p23 = EXP_P[3].madd::<FMA>(r, EXP_P[2]);
    let p45 = EXP_P[5].madd::<FMA>(r, EXP_P[4]);
    let p = p45.madd::<FMA>(r2, p23).madd::<FMA>(r2, p01);
    (p.madd::<FMA>(r2, r), ni)
}

/// `exp(x)` for every `x`: +∞ → +∞, −∞ → +0, NaN → NaN.
#[inline(always)]
pub(crate) fn exp<const FMA: bool>(x: f32) -> f32 {
    // Written so NaN falls through both comparisons unchanged.
    let x = if x > EXP_HI { EXP_HI } else { x };
    let x = if x < EXP_LO { EXP_LO } else { x };
    exp_core::<FMA>(x)
}

/// `v` for a finite `x`, NaN for a non-finite one: `x · 0 + v` (`x · 0` is ±0 or NaN, and
/// `v ± 0 = v` for `v ≠ 0` or `v = +0` with `x ≥ 0`), one fused multiply-add on the FMA levels.
/// What keeps a saturating function from turning an infinity (an overflow upstream, or a
/// poisoned input) into a plausible finite value that would hide it from the loss.
#[inline(always)]
pub(crate) fn poison<const FMA: bool>(x: f32, v: f32) -> f32 {
    x.madd::<FMA>(0.0, v)
}

/// `σ(x) = 1 / (1 + exp(−x))`, computed from `e = exp(−|x|)` ∈ (0, 1] as `1 / (1 + e)` for
/// x ≥ 0 and `e / (1 + e)` for x < 0, so neither side overflows and the negative tail keeps its
/// relative accuracy down to the subnormals (σ(−100) ≈ 3.7e−44). Non-finite `x` (±∞, NaN)
/// gives NaN ([`poison`]): the limits 0 and 1 would let an infinity pass as a finite value.
#[inline(always)]
pub(crate) fn sigmoid<const FMA: bool>(x: f32) -> f32 {
    let m = -f32::from_bits(x.to_bits() & 0x7fff_ffff);
    let m = if m < EXP_LO { EXP_LO } else { m };
    let e = exp_core::<FMA>(m);
    let d = 1.0 + e;
    let num = if x < 0.0 { e } else { 1.0 };
    poison::<FMA>(x, num / d)
}

/// Below this |x| tanh uses the odd polynomial, above it `1 − 2 / (exp(2|x|) + 1)`.
pub(crate) const TANH_SWITCH: f32 = 0.625;
/// tanh(x) rounds to 1 in `f32` from |x| ≈ 9.01 on; clamping keeps `exp(2|x|)` finite.
const TANH_CLAMP: f32 = 10.0;
/// Minimax coefficients (Cephes `tanhf`) of `(tanh(x) − x) / x³` in `x²` on |x| ≤ 0.625.
const TANH_P: [f32; 5] = [
    -3.333_328e-1,
    1.333_144_2e-1,
    -5.373_971_6e-2,
    2.063_909e-2,
    -5.704_988_7e-3,
];

/// `tanh(x)`: for |x| < 0.625 the odd polynomial `x + x³ · P(x²)` (accurate near 0, exact for
/// ±0 and subnormals), otherwise `sign(x) · (1 − 2 / (exp(2|x|) + 1))` with |x| clamped to 10
/// (the result is ≥ 0.55 there, so the subtraction loses nothing). Non-finite `x` (±∞, NaN)
/// gives NaN ([`poison`], applied to |tanh| before the sign, so tanh(−0) = −0 stays).
#[inline(always)]
pub(crate) fn tanh<const FMA: bool>(x: f32) -> f32 {
    let sign = x.to_bits() & 0x8000_0000;
    let ax = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    // Both branches on |x|; the sign goes back on at the end (keeps tanh(−0) = −0).
    let z = ax * ax;
    let mut p = TANH_P[4];
    p = p.madd::<FMA>(z, TANH_P[3]);
    p = p.madd::<FMA>(z, TANH_P[2]);
    p = p.madd::<FMA>(z, TANH_P[1]);
    p = p.madd::<FMA>(z, TANH_P[0]);
    let small = (p * z).madd::<FMA>(ax, ax);
    // NaN falls through the clamp; ±∞ is clamped here and made NaN by `poison` below.
    let axc = if ax > TANH_CLAMP { TANH_CLAMP } else { ax };
    let e = exp_core_normal::<FMA>(axc + axc);
    let big = 1.0 - 2.0 / (e + 1.0);
    let y = if ax < TANH_SWITCH { small } else { big };
    let y = poison::<FMA>(ax, y);
    f32::from_bits(y.to_bits() | sign)
}
