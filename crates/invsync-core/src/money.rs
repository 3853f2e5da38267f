//! Fixed-point money for valuation.
//!
//! [`Money`] is an exact count of micro-units (10^-6 of the currency unit) held in an
//! `i128`, so a stock value of 10^15 units at a price of 10^9 is still exact. Sums and
//! products by integer quantities are exact. The only rounding happens in
//! [`Money::mul_div`] (a value times a quantity over a quantity, e.g. the cost of goods of a
//! partial issue at moving average), and it rounds **half to even** to the nearest
//! micro-unit, so repeated valuations carry no systematic bias.
//!
//! ```
//! use invsync_core::Money;
//! # fn main() -> Result<(), invsync_core::MoneyError> {
//! let price: Money = "12.5".parse()?;
//! assert_eq!(price.times(4), Some(Money::from_units(50)));
//! assert_eq!(price.to_string(), "12.5");
//! assert_eq!(Money::from_micros(5).mul_div(1, 2), Some(Money::from_micros(2))); // 2.5 -> 2
//! # Ok(()) }
//! ```

use std::fmt;
use std::str::FromStr;

/// Micro-units per currency unit.
pub const MICROS_PER_UNIT: i128 = 1_000_000;

/// An exact amount of money in micro-units.
///
/// `Display` prints the plain decimal in currency units (`12.5`); `Debug` wraps the same
/// decimal as `Money(12.5)`, so logs and assertion failures show the amount, not a count
/// of micro-units.
///
/// ```
/// use invsync_core::Money;
/// assert_eq!(format!("{:?}", Money::from_micros(12_500_000)), "Money(12.5)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i128);

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Not a decimal number.
    #[error("invalid amount {text:?}: expected a decimal number such as 12.50")]
    Syntax {
        /// The text.
        text: String,
    },
    /// More than six decimals: the amount cannot be held exactly.
    #[error("amount {text:?} has more than 6 decimals")]
    TooPrecise {
        /// The text.
        text: String,
    },
    /// The amount does not fit.
    #[error("amount {text:?} is out of range")]
    Range {
        /// The text.
        text: String,
    },
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// An amount of whole currency units.
    pub const fn from_units(units: i64) -> Self {
        Money(units as i128 * MICROS_PER_UNIT)
    }

    /// An amount of micro-units.
    pub const fn from_micros(micros: i128) -> Self {
        Money(micros)
    }

    /// The amount in micro-units.
    pub const fn as_micros(self) -> i128 {
        self.0
    }

    /// The amount as the nearest `f64` in currency units (for reports, never for sums).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_UNIT as f64
    }

    /// `self * qty`, exact, or `None` on overflow.
    pub fn times(self, qty: i64) -> Option<Money> {
        self.0.checked_mul(i128::from(qty)).map(Money)
    }

    /// `self * num / den` rounded half to even to a micro-unit; `None` when `den` is zero
    /// or on overflow.
    pub fn mul_div(self, num: i64, den: i64) -> Option<Money> {
        let p = self.0.checked_mul(i128::from(num))?;
        div_round_half_even(p, i128::from(den)).map(Money)
    }

    /// Checked sum.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Checked difference.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }
}

/// `n / d` rounded half to even; `None` when `d == 0` or on overflow.
pub(crate) fn div_round_half_even(n: i128, d: i128) -> Option<i128> {
    if d == 0 {
        return None;
    }
    let (n, d) = if d < 0 { (n.checked_neg()?, d.checked_neg()?) } else { (n, d) };
    // Values and quantities mostly fit 64 bits, where one hardware division does (a 128-bit
    // one is a library call of two); the result is the same.
    if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d)) {
        return Some(half_even(i128::from(n.div_euclid(d)), i128::from(n.rem_euclid(d)), i128::from(d)));
    }
    Some(half_even(n.div_euclid(d), n.rem_euclid(d), d))
}

/// `quotient + r / d` rounded half to even, for `0 <= r < d`: the one rounding step of
/// every division in the crate (compared as `r` against `d - r`, which cannot overflow).
pub(crate) fn half_even(quotient: i128, r: i128, d: i128) -> i128 {
    debug_assert!(0 <= r && r < d);
    match r.cmp(&(d - r)) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient & 1),
    }
}

impl fmt::Display for Money {
    /// Plain decimal, shortest form: `175`, `17.5`, `-0.000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let units = abs / MICROS_PER_UNIT as u128;
        let frac = abs % MICROS_PER_UNIT as u128;
        if frac == 0 {
            write!(f, "{sign}{units}")
        } else {
            let s = format!("{frac:06}");
            write!(f, "{sign}{units}.{}", s.trim_end_matches('0'))
        }
    }
}

impl fmt::Debug for Money {
    /// `Money(12.5)`: the decimal in currency units, as `Display` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, MoneyError> {
        let syntax = || MoneyError::Syntax { text: text.to_owned() };
        let (neg, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (body.contains('.') && frac.is_empty() && int.is_empty())
        {
            return Err(syntax());
        }
        let frac_trim = frac.trim_end_matches('0');
        if frac_trim.len() > 6 {
            return Err(MoneyError::TooPrecise { text: text.to_owned() });
        }
        let range = || MoneyError::Range { text: text.to_owned() };
        let int_v: i128 = if int.is_empty() { 0 } else { int.parse().map_err(|_| range())? };
        let frac_v: i128 = format!("{frac_trim:0<6}").parse().map_err(|_| syntax())?;
        let v = int_v.checked_mul(MICROS_PER_UNIT).and_then(|v| v.checked_add(frac_v)).ok_or_else(range)?;
        Ok(Money(if neg { -v } else { v }))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_the_decimal_amount() {
        for (micros, want) in
            [(0, "Money(0)"), (12_500_000, "Money(12.5)"), (-1, "Money(-0.000001)"), (175_000_000, "Money(175)")]
        {
            assert_eq!(format!("{:?}", Money::from_micros(micros)), want);
        }
        assert_eq!(format!("{:?}", Some(Money::from_units(3))), "Some(Money(3))");
    }

    /// The 128-bit rounding, as it was before the 64-bit path.
    fn half_even_i128(n: i128, d: i128) -> Option<i128> {
        if d == 0 {
            return None;
        }
        let (n, d) = if d < 0 { (n.checked_neg()?, d.checked_neg()?) } else { (n, d) };
        let (q, r) = (n.div_euclid(d), n.rem_euclid(d));
        Some(match r.checked_mul(2)?.cmp(&d) {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal => q + (q & 1),
        })
    }

    use proptest::prelude::*;

    proptest! {
        /// The 64-bit path gives the 128-bit result, at the i64 edges too.
        #[test]
        fn the_64_bit_path_agrees(
            n in prop_oneof![
                any::<i64>().prop_map(i128::from),
                any::<i128>(),
                proptest::sample::select(vec![i128::from(i64::MIN), i128::from(i64::MAX), -1, 0, 1]),
            ],
            d in prop_oneof![
                any::<i64>().prop_map(i128::from),
                1i128..10,
                proptest::sample::select(vec![i128::from(i64::MIN), i128::from(i64::MAX), -1, 1, 2]),
            ],
        ) {
            prop_assert_eq!(div_round_half_even(n, d), half_even_i128(n, d));
        }
    }

    #[test]
    fn half_even() {
        assert_eq!(div_round_half_even(5, 2), Some(2));
        assert_eq!(div_round_half_even(7, 2), Some(4));
        assert_eq!(div_round_half_even(-5, 2), Some(-2));
        assert_eq!(div_round_half_even(-7, 2), Some(-4));
        assert_eq!(div_round_half_even(10, 3), Some(3));
        assert_eq!(div_round_half_even(11, 3), Some(4));
        assert_eq!(div_round_half_even(5, -2), Some(-2));
        assert_eq!(div_round_half_even(1, 0), None);
    }

    #[test]
    fn parse_display() {
        for (t, m) in
            [("12.5", 12_500_000), ("-0.000001", -1), ("3", 3_000_000), (".5", 500_000), ("1.2500000", 1_250_000)]
        {
            assert_eq!(t.parse::<Money>().unwrap(), Money::from_micros(m), "{t}");
        }
        assert_eq!(Money::from_micros(-1).to_string(), "-0.000001");
        assert_eq!(Money::from_units(175).to_string(), "175");
        for bad in ["", ".", "1.2.3", "abc", "1e5", "--1", "0.0000001"] {
            assert!(bad.parse::<Money>().is_err(), "{bad}");
        }
    }
}
