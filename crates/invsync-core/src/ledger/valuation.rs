//! Stock valuation per item x location: FIFO layers or moving average.
//!
//! Values are exact micro-units ([`Money`]). Unit costs are bounded by the ledger
//! ([`MAX_UNIT_COST_MICROS`]) and quantities by `i64`, so every product and sum below fits
//! an `i128` without overflow. The only rounding is the moving-average cost of a partial
//! issue, rounded half to even; the last unit out takes whatever value remains, so the
//! value of an empty position is exactly zero.
//!
//! Negative stock (where allowed) follows ERPNext (docs/oracles.md A4-A6): FIFO keeps a negative
//! layer at the outgoing rate, and the next receipt first fills it; moving average values a
//! receipt into a non-positive position at the incoming rate.

use std::collections::VecDeque;

use crate::Money;
use crate::money::{div_round_half_even, half_even};

/// The largest unit cost accepted, in micro-units (10^12 currency units).
pub const MAX_UNIT_COST_MICROS: i128 = 1_000_000_000_000_000_000;

/// How an item x location values its stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ValuationMethod {
    /// Weighted moving average cost.
    #[default]
    MovingAverage,
    /// First in, first out, with cost layers.
    Fifo,
}

/// A FIFO cost layer: `qty` units at `rate` per unit (negative `qty` = a negative layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Layer {
    /// Units in the layer.
    pub qty: i64,
    /// Cost per unit.
    pub rate: Money,
}

/// Running valuation state. `qty` mirrors on hand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ValState {
    pub(crate) qty: i64,
    pub(crate) value: i128,
    /// Rate of the most recent receipt (used when nothing better is known).
    pub(crate) last_rate: i128,
    /// FIFO layers, oldest first; empty under moving average. A deque, and `value` kept
    /// as the layers' sum by every change: a receipt or issue costs the layers it touches,
    /// not all of them (a key can hold hundreds of thousands).
    pub(crate) fifo: Layers,
}

/// FIFO layers `(qty, rate)`, oldest first: a deque behind one pointer (nothing allocated
/// while empty, which moving-average keys always are), so a key's state stays small.
// The box is the point: 8 bytes in the key's state where a `VecDeque` takes 32, which keeps
// the key slot at four cache lines (`Slot`'s size assertion in `mod.rs`).
#[allow(clippy::box_collection)]
#[derive(Debug, Clone, Default)]
pub(crate) struct Layers(Option<Box<VecDeque<(i64, i128)>>>);

impl PartialEq for Layers {
    fn eq(&self, other: &Layers) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Layers {}

impl Layers {
    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |d| d.len())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &(i64, i128)> + '_ {
        self.0.iter().flat_map(|d| d.iter())
    }

    fn front_mut(&mut self) -> Option<&mut (i64, i128)> {
        self.0.as_mut().and_then(|d| d.front_mut())
    }

    fn back(&self) -> Option<&(i64, i128)> {
        self.0.as_ref().and_then(|d| d.back())
    }

    fn back_mut(&mut self) -> Option<&mut (i64, i128)> {
        self.0.as_mut().and_then(|d| d.back_mut())
    }

    fn push_back(&mut self, layer: (i64, i128)) {
        self.0.get_or_insert_default().push_back(layer);
    }

    fn pop_front(&mut self) {
        if let Some(d) = &mut self.0 {
            d.pop_front();
            if d.is_empty() {
                self.0 = None;
            }
        }
    }

    fn clear(&mut self) {
        self.0 = None;
    }
}

impl ValState {
    /// The rate a receipt without an explicit cost is valued at.
    pub(crate) fn current_rate(&self, method: ValuationMethod) -> i128 {
        match method {
            ValuationMethod::MovingAverage if self.qty > 0 => {
                div_round_half_even(self.value, i128::from(self.qty)).unwrap_or(self.last_rate)
            }
            ValuationMethod::Fifo => self.fifo.back().map_or(self.last_rate, |l| l.1),
            ValuationMethod::MovingAverage => self.last_rate,
        }
    }

    /// Adds `q > 0` units at `rate` (or the current rate).
    pub(crate) fn receive(&mut self, method: ValuationMethod, q: i64, rate: Option<i128>) {
        let rate = rate.unwrap_or_else(|| self.current_rate(method));
        self.last_rate = rate;
        let new_qty = self.qty + q;
        match method {
            ValuationMethod::MovingAverage => {
                if self.qty <= 0 {
                    self.value = i128::from(new_qty) * rate;
                } else {
                    self.value += i128::from(q) * rate;
                }
            }
            ValuationMethod::Fifo => {
                match self.fifo.front_mut() {
                    Some(front) if front.0 < 0 => {
                        // Fill the negative layer (the only layer then) first; the
                        // remainder starts a fresh layer.
                        let filled = front.0 + q;
                        self.fifo.clear();
                        self.value = 0;
                        if filled != 0 {
                            // Still negative, or positive: either way at the incoming rate.
                            self.fifo.push_back((filled, rate));
                            self.value = i128::from(filled) * rate;
                        }
                    }
                    _ => {
                        match self.fifo.back_mut() {
                            Some(last) if last.1 == rate => last.0 += q,
                            _ => self.fifo.push_back((q, rate)),
                        }
                        self.value += i128::from(q) * rate;
                    }
                }
            }
        }
        self.qty = new_qty;
    }

    /// Removes `q > 0` units; `hint` prices units taken below zero.
    pub(crate) fn remove(&mut self, method: ValuationMethod, q: i64, hint: Option<i128>) {
        match method {
            ValuationMethod::MovingAverage => {
                if self.qty > 0 && q <= self.qty {
                    let cogs = mul_div_round(self.value, q, self.qty);
                    self.value -= cogs;
                } else if self.qty > 0 {
                    let rate = hint.unwrap_or_else(|| self.current_rate(method));
                    self.value = -i128::from(q - self.qty) * rate;
                } else {
                    let rate = hint.unwrap_or(self.last_rate);
                    self.value -= i128::from(q) * rate;
                }
            }
            ValuationMethod::Fifo => {
                let mut left = q;
                let mut last_rate = hint.unwrap_or(self.last_rate);
                while left > 0 {
                    match self.fifo.front_mut() {
                        Some(front) if front.0 > 0 => {
                            last_rate = front.1;
                            let take = left.min(front.0);
                            front.0 -= take;
                            left -= take;
                            self.value -= i128::from(take) * front.1;
                            if front.0 == 0 {
                                self.fifo.pop_front();
                            }
                        }
                        Some(front) => {
                            // Already negative: deepen it.
                            front.0 -= left;
                            self.value -= i128::from(left) * front.1;
                            left = 0;
                        }
                        None => {
                            let rate = hint.unwrap_or(last_rate);
                            self.fifo.push_back((-left, rate));
                            self.value -= i128::from(left) * rate;
                            left = 0;
                        }
                    }
                }
            }
        }
        self.qty -= q;
    }
}

/// `v * q / n`, rounded half to even, for `0 < q <= n` and `|v| <= i64::MAX * MAX_RATE`:
/// split so no intermediate overflows.
fn mul_div_round(v: i128, q: i64, n: i64) -> i128 {
    // The common case, values and quantities of everyday size: one 64-bit division.
    if let Ok(v) = i64::try_from(v)
        && let Some(p) = v.checked_mul(q)
    {
        return half_even(i128::from(p.div_euclid(n)), i128::from(p.rem_euclid(n)), i128::from(n));
    }
    let (q, n) = (i128::from(q), i128::from(n));
    // v = a*n + b with 0 <= b < n, so v*q/n = a*q + b*q/n, and b*q < n*q fits.
    let (a, b) = (v.div_euclid(n), v.rem_euclid(n));
    let (c, r) = ((b * q).div_euclid(n), (b * q).rem_euclid(n));
    half_even(a * q + c, r, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(units: i64) -> i128 {
        i128::from(units) * 1_000_000
    }

    #[test]
    fn mul_div_matches_exact_rounding() {
        let big = i128::from(i64::MAX) * 3;
        for (v, q, n) in [
            (100, 1, 3),
            (-100, 1, 3),
            (5, 1, 2),
            (7, 1, 2),
            (m(3500), 7, 20),
            (big, 5, 7),
            (-big, 5, 7),
            (i128::from(i64::MAX) - 3, 1, i64::MAX - 1),
        ] {
            let exact = div_round_half_even(v * i128::from(q), i128::from(n)).unwrap();
            assert_eq!(mul_div_round(v, q, n), exact, "{v} {q} {n}");
        }
    }

    proptest::proptest! {
        /// Both paths (64-bit and split 128-bit) round `v * q / n` exactly, half to even.
        #[test]
        fn mul_div_is_exact(
            v in proptest::prop_oneof![-1_000_000i128..1_000_000, -10i128.pow(19)..10i128.pow(19)],
            n in proptest::prop_oneof![1i64..100, 1i64..i64::MAX],
            f in 0.0f64..=1.0,
        ) {
            let q = ((n as f64 * f) as i64).clamp(1, n);
            let exact = div_round_half_even(v * i128::from(q), i128::from(n)).unwrap();
            proptest::prop_assert_eq!(mul_div_round(v, q, n), exact);
        }
    }

    proptest::proptest! {
        /// FIFO's value, kept up to date by each receipt and issue (no longer re-summed over
        /// every layer each time), is always the layers' sum, negative layers included.
        #[test]
        fn fifo_value_is_the_sum_of_its_layers(
            moves in proptest::collection::vec((-30i64..30, proptest::option::of(0i128..5_000_000)), 1..200),
        ) {
            let mut s = ValState::default();
            for (q, rate) in moves {
                if q > 0 {
                    s.receive(ValuationMethod::Fifo, q, rate);
                } else if q < 0 {
                    s.remove(ValuationMethod::Fifo, -q, rate);
                }
                let sum: i128 = s.fifo.iter().map(|&(n, r)| i128::from(n) * r).sum();
                proptest::prop_assert_eq!(s.value, sum);
                proptest::prop_assert_eq!(s.qty, s.fifo.iter().map(|l| l.0).sum::<i64>());
                proptest::prop_assert!(s.fifo.iter().all(|l| l.0 != 0));
            }
        }
    }

    #[test]
    fn moving_average_last_unit_takes_the_rest() {
        let mut s = ValState::default();
        s.receive(ValuationMethod::MovingAverage, 3, Some(m(10)));
        s.receive(ValuationMethod::MovingAverage, 1, Some(m(11)));
        for _ in 0..4 {
            s.remove(ValuationMethod::MovingAverage, 1, None);
        }
        assert_eq!((s.qty, s.value), (0, 0));
    }
}
