//! Exact `f64` rounding without libm calls.
//!
//! The crate is built for the baseline x86-64 target, which has no rounding instruction
//! (SSE4.1's `roundsd`), so `f64::ceil`, `f64::round` and `f64::fract` are calls into
//! libm. On the hot paths they are replaced by these, which give the same bits: adding
//! and taking back 2^52 rounds any |x| < 2^52 to a whole number (ties to even), exactly;
//! larger values are whole already.

/// 2^52: from here on every `f64` is a whole number.
pub(crate) const TWO_52: f64 = 4_503_599_627_370_496.0;

/// `x` rounded to the nearest whole number, ties to even, for `|x| < 2^52` (any other `x`
/// comes back as itself or NaN). No branch and no conversion, so loops over it vectorise.
#[inline(always)]
pub(crate) fn nearest_whole(x: f64) -> f64 {
    let m = TWO_52.copysign(x);
    (x + m) - m
}

/// `x.ceil()`, bit for bit (NaN stays NaN, -0.5 gives -0.0).
#[inline(always)]
pub(crate) fn ceil(x: f64) -> f64 {
    if x.abs() < TWO_52 {
        let t = nearest_whole(x);
        // t is x rounded to nearest; one up if that was down. ceil keeps x's sign (a zero
        // result of a negative x is -0.0).
        (if t < x { t + 1.0 } else { t }).copysign(x)
    } else {
        x // whole, infinite or NaN
    }
}

/// `x.round()` for `x >= 0` (half away from zero), bit for bit, except that -0.0 gives
/// +0.0.
#[inline(always)]
pub(crate) fn round_nonnegative(x: f64) -> f64 {
    if x < TWO_52 {
        // t and x are within 1 of each other, so x - t is exact, and a tie rounded down
        // (x - t = 0.5) goes up instead, away from zero.
        // `nearest_whole` for x >= 0, without the sign copy.
        let t = (x + TWO_52) - TWO_52;
        if x - t == 0.5 { t + 1.0 } else { t }
    } else {
        x.round()
    }
}

/// `x.fract() == 0.0`: whether `x` is a whole number (false for NaN and infinities).
#[inline(always)]
pub(crate) fn is_whole(x: f64) -> bool {
    if x.abs() < TWO_52 { nearest_whole(x) == x } else { x.is_finite() }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn values() -> impl Strategy<Value = f64> {
        prop_oneof![
            -1e3f64..1e3,
            (-2_000_000i32..2_000_000).prop_map(|k| f64::from(k) / 2.0),
            -1e17f64..1e17,
            any::<f64>(),
            Just(-0.0),
            Just(0.0),
            Just(-1e-9),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::NAN),
            Just(4_503_599_627_370_495.5),
            Just(-4_503_599_627_370_495.5),
        ]
    }

    #[test]
    fn rounding_matches_std_on_known_edges() {
        for v in [0.0, 0.49999999999999994, 0.5, 1.5, 2.5, 2.4999999, 7.0, 1e15 + 0.5, 3.9e15, 5e15, 1e300] {
            assert_eq!(super::round_nonnegative(v), v.round(), "{v}");
        }
    }

    proptest! {
        #[test]
        fn ceil_is_std_ceil(x in values()) {
            prop_assert_eq!(super::ceil(x).to_bits(), x.ceil().to_bits());
        }

        #[test]
        fn round_is_std_round_for_nonnegative(x in values().prop_map(f64::abs)) {
            let want = if x == 0.0 { 0.0 } else { x.round() };
            prop_assert_eq!(super::round_nonnegative(x).to_bits(), want.to_bits());
        }

        #[test]
        fn is_whole_is_fract_zero(x in values()) {
            prop_assert_eq!(super::is_whole(x), x.fract() == 0.0);
        }
    }
}
