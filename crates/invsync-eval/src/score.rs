//! The controllable expected cost of one order under the true demand, and the best
//! integer order, by common random draws of the true future.
//!
//! The cost model is the planner's window model (docs/policy.md) without carry-over: an
//! order Q placed now arrives at the start of period L + 1; the stock on hand and in
//! transit meets the demand of periods 1..=L (their costs do not depend on Q and are left
//! out); from period L + 1 on, with x the stock at the end of period L in a draw, y = x + Q
//! and C_k the demand of the first k periods after the arrival:
//!
//! ```text
//! lost sales   cost(Q) = h sum_{k=1..R} (y - C_k)+ + p (C_R - y)+
//! backorders   cost(Q) = h sum_{k=1..R} (y - C_k)+ + p sum_{k=1..R} (C_k - y)+
//! ```
//!
//! With a_k = C_k - x per draw, each term is E[(Q - a_k)+] or E[(a_k - Q)+], read off the
//! sorted draws and their prefix sums for any Q: the cost is exact for the draws, and all
//! orders are compared on the same draws (common random numbers). The cost is convex in
//! Q, so the best integer order is found by walking up from 0.

use invsync_core::policy::StockPosition;
use rand_chacha::ChaCha8Rng;

use crate::rules::Settings;
use crate::truth::Truth;

/// The expected controllable cost of any order, for one decision, from a fixed set of
/// draws of the true future.
#[derive(Debug, Clone)]
pub struct Scorer {
    settings: Settings,
    /// `a[k]` sorted, for k = 0..R.
    a: Vec<Vec<f64>>,
    /// Prefix sums of each `a[k]` (len + 1).
    prefix: Vec<Vec<f64>>,
}

impl Scorer {
    /// Draws `draws` futures of `truth` from period `from` (the first period after the
    /// decision) on, starting from `position`.
    pub fn new(
        truth: &Truth,
        from: usize,
        position: &StockPosition,
        settings: &Settings,
        draws: usize,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let (l, r) = (settings.lead_time, settings.review_period.max(1));
        let mut a = vec![Vec::with_capacity(draws); r];
        for _ in 0..draws {
            let mut stock = position.on_hand;
            for i in 0..l {
                stock += position.arrivals.get(i).copied().unwrap_or(0.0);
                let d = truth.draw(from + i, rng);
                stock = if settings.backorders { stock - d } else { (stock - d).max(0.0) };
            }
            let mut c = 0.0;
            for (k, ak) in a.iter_mut().enumerate() {
                c += truth.draw(from + l + k, rng);
                ak.push(c - stock);
            }
        }
        Scorer::from_offsets(*settings, a)
    }

    /// A scorer from the per-draw offsets `a[k][draw] = C_{k+1} - x` (R rows of equal
    /// length), for tests and callers with their own draws.
    pub fn from_offsets(settings: Settings, mut a: Vec<Vec<f64>>) -> Self {
        let prefix = a
            .iter_mut()
            .map(|ak| {
                ak.sort_by(f64::total_cmp);
                let mut p = Vec::with_capacity(ak.len() + 1);
                p.push(0.0);
                let mut s = 0.0;
                for v in ak.iter() {
                    s += v;
                    p.push(s);
                }
                p
            })
            .collect();
        Scorer { settings, a, prefix }
    }

    /// E[(q - a_k)+] and E[a_k].
    fn below(&self, k: usize, q: f64) -> (f64, f64) {
        let (ak, p) = (&self.a[k], &self.prefix[k]);
        let n = ak.len().max(1) as f64;
        let i = ak.partition_point(|v| *v < q);
        ((i as f64 * q - p[i]) / n, p[ak.len()] / n)
    }

    /// The expected controllable cost of ordering `q` (negative or non-finite orders
    /// count as 0).
    pub fn cost(&self, q: f64) -> f64 {
        let q = if q.is_finite() { q.max(0.0) } else { 0.0 };
        let (h, p) = (self.settings.holding, self.settings.shortage);
        let r = self.a.len();
        let mut cost = 0.0;
        for k in 0..r {
            let (over, mean) = self.below(k, q);
            cost += h * over;
            // E[(a - q)+] = E[a] - q + E[(q - a)+]
            if self.settings.backorders || k + 1 == r {
                cost += p * (mean - q + over);
            }
        }
        cost
    }

    /// The best integer order and its cost (the smallest one if several tie).
    pub fn best(&self) -> (f64, f64) {
        // Past the largest offset the cost only grows (by h R per unit, or stays flat when
        // h = 0): stop there.
        let top = self.a.iter().filter_map(|ak| ak.last()).fold(0.0f64, |m, v| m.max(*v)).ceil();
        let mut q = 0.0;
        let mut c = self.cost(0.0);
        loop {
            let next = self.cost(q + 1.0);
            if next >= c || q > top {
                return (q, c);
            }
            q += 1.0;
            c = next;
        }
    }
}

/// `cost / best`, with 1 when both are 0 and infinity when only the best is 0.
pub fn ratio(cost: f64, best: f64) -> f64 {
    if best > 1e-12 {
        cost / best
    } else if cost <= 1e-12 {
        1.0
    } else {
        f64::INFINITY
    }
}
