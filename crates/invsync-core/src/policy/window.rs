//! The window model and the exact evaluation of many order quantities at once.
//!
//! One order Q at t = 0; periods 1..=W (W = L + R). In-transit stock arrives at the start
//! of periods 1..=L, the new order at the start of period L + 1. Per period:
//!
//! ```text
//! start = stock + arrivals;  sales = min(start, demand);  end = start - sales
//! cost  = holding x end + shortage x (demand - sales)            (lost sales)
//! ```
//!
//! With backorders, `end = start - demand` may be negative and the shortage cost is charged
//! per unit backordered at the end of each period.
//!
//! Nothing after period L depends on anything but `y = x + Q`, x being the stock left at
//! the end of period L. With no further arrivals, the end stock of post-arrival period k
//! is `max(0, y - C_k)` (lost sales) or `y - C_k` (backorders), C_k the cumulative demand
//! of post-arrival periods 1..=k, and total unmet demand is `max(0, C_R - y)`. So each
//! scenario's cost is piecewise linear in Q with breakpoints `t = C_k - x`, and the mean
//! over scenarios can be evaluated for any set of Q by one sweep over sorted breakpoints.

use crate::pool::{self, Buf};

/// A scenario's pre-arrival flow: (demand, units sold, any unmet demand).
type Flow = (f64, f64, bool);

/// Per-scenario quantities that do not depend on the order.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) s: usize,
    /// Post-arrival periods simulated (R + carry-over).
    post: usize,
    /// Post-arrival periods charged for shortage and counted for service (R).
    charged: usize,
    /// Per scenario: stock at the end of period L.
    x: Buf<f64>,
    /// Per scenario: pre-arrival cost (holding + shortage).
    pre_cost: Buf<f64>,
    /// Per scenario: pre-arrival (demand, units sold, any unmet demand).
    pre_flow: Buf<Flow>,
    /// Per scenario: post-arrival demands, scenario-major (for fill rate with backorders).
    post_demand: Buf<f64>,
    /// Per scenario: cumulative post-arrival demand C_1..C_R (scenario-major).
    cum: Buf<f64>,
    holding: f64,
    shortage: f64,
    backorders: bool,
    /// Mean pre-arrival holding and shortage cost.
    pub(crate) pre_holding: f64,
    pub(crate) pre_shortage: f64,
    /// Holding breakpoints (slope +h above each), sorted.
    holding_bps: Buf<f64>,
    /// Shortage breakpoints (slope -p below each), sorted, with prefix sums.
    shortage_bps: Buf<f64>,
    holding_prefix: Buf<f64>,
    shortage_prefix: Buf<f64>,
    /// One post-arrival period under lost sales (so one charged period, R >= 1 being
    /// validated): the shortage breakpoints are the holding ones (`shortage_*` are then
    /// empty), and the per-scenario loops take their one-period forms.
    shared: bool,
}

/// Inputs of the window model, validated by the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window<'a> {
    pub(crate) lead_time: usize,
    /// Periods simulated per scenario: L + R + carry-over.
    pub(crate) w: usize,
    /// Review period R: post-arrival periods charged for shortage.
    pub(crate) review: usize,
    pub(crate) on_hand: f64,
    /// arrivals[i] arrives at the start of period i + 1 (i < L).
    pub(crate) arrivals: &'a [f64],
    pub(crate) holding: f64,
    pub(crate) shortage: f64,
    pub(crate) backorders: bool,
}

/// The outcome of one order quantity, simulated directly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Direct {
    pub(crate) holding: f64,
    pub(crate) shortage: f64,
    /// Standard error of the mean total cost.
    pub(crate) cost_se: f64,
    pub(crate) fill_rate: f64,
    /// Units sold / units demanded in the periods the order covers (L+1..=L+R).
    pub(crate) covered_fill_rate: f64,
    /// Mean cost of the periods before the order arrives (1..=L): already committed.
    pub(crate) committed: f64,
    /// Share of scenarios with no unmet demand in periods L+1..=W.
    pub(crate) cycle_service: f64,
    /// Share of scenarios with unmet demand in any period.
    pub(crate) stockout_probability: f64,
}

impl Window<'_> {
    /// Stock at the end of period L, the pre-arrival costs, and (demand, sold, any unmet)
    /// for one scenario.
    ///
    /// `arrivals` is `self.arrivals` padded with zeros to L values (a zero arrival is still
    /// added, so the arithmetic is the same whichever the caller passes).
    #[inline(always)]
    fn pre(&self, path: &[f64], arrivals: &[f64]) -> (f64, f64, f64, (f64, f64, bool)) {
        let mut stock = self.on_hand;
        let (mut hold, mut short) = (0.0, 0.0);
        let mut flow = (0.0, 0.0, false);
        for (d, a) in path.iter().zip(arrivals) {
            stock += a;
            let sales = stock.max(0.0).min(*d);
            flow.0 += d;
            flow.1 += sales;
            flow.2 |= d - sales > 1e-9;
            if self.backorders {
                stock -= d;
                hold += self.holding * stock.max(0.0);
                short += self.shortage * (-stock).max(0.0);
            } else {
                short += self.shortage * (d - sales);
                stock -= sales;
                hold += self.holding * stock;
            }
        }
        (stock, hold, short, flow)
    }

    /// Precomputes breakpoints over scenario-major `values` (S x W).
    pub(crate) fn prepare(&self, values: &[f64]) -> Prepared {
        let w = self.w;
        let s = values.len() / w;
        let post = w - self.lead_time;
        let charged = self.review.min(post);
        // One post-arrival period under lost sales: the shortage breakpoints are the holding
        // ones, kept once.
        let shared = !self.backorders && post == 1;
        debug_assert!(!shared || charged == 1, "R >= 1 is validated by the caller");
        // Under lost sales (one period or several: carry-over, R > 1) the loops write every
        // element of their sized columns by index: they come sized, not zeroed again; with
        // backorders the general loop pushes.
        let direct = !self.backorders;
        let column = |n: usize| if direct { pool::take_len(n) } else { pool::take(n) };
        let mut holding_bps = column(s * post);
        let mut shortage_bps = if shared {
            pool::take(0)
        } else if self.backorders {
            pool::take(s * post)
        } else {
            column(s)
        };
        let (mut pre_h, mut pre_s) = (0.0, 0.0);
        let (mut xs, mut pre_cost, mut cum) = (column(s), column(s), column(s * post));
        let mut pre_flow: Buf<Flow> = if direct { pool::take_len(s) } else { pool::take(s) };
        let mut post_demand = column(s * post);
        // The caller validated R >= 1, so there is at least one post-arrival period.
        debug_assert!(post >= 1, "the window has no post-arrival period");
        let mut arrivals = pool::take(self.lead_time);
        arrivals.extend((0..self.lead_time).map(|i| self.arrivals.get(i).copied().unwrap_or(0.0)));
        let l = self.lead_time;
        // The usual lead times get a copy of the loop with the trip count known, so the
        // period loop unrolls (the same operations).
        let pre = |path: &[f64]| match l {
            1 => self.pre(&path[..1], &arrivals[..1]),
            2 => self.pre(&path[..2], &arrivals[..2]),
            3 => self.pre(&path[..3], &arrivals[..3]),
            _ => self.pre(&path[..l], &arrivals),
        };
        if shared {
            // One post-arrival period under lost sales (the VN2 case): the general loop
            // below, unrolled (the same operations), writing sized columns by index so the
            // column pointers stay in registers.
            let (xs, pre_cost, pre_flow) = (&mut xs[..s], &mut pre_cost[..s], &mut pre_flow[..s]);
            let (cum, bps, post_demand) = (&mut cum[..s], &mut holding_bps[..s], &mut post_demand[..s]);
            for i in 0..s {
                let path = &values[i * w..i * w + w];
                let (x, h, sh, flow) = pre(path);
                pre_h += h;
                pre_s += sh;
                (xs[i], pre_cost[i], pre_flow[i]) = (x, h + sh, flow);
                let d = path[l];
                let c = 0.0 + d;
                (cum[i], bps[i], post_demand[i]) = (c, c - x, d);
            }
        } else if direct {
            // Lost sales over several post-arrival periods (carry-over, R > 1): the general
            // loop below (the same operations in the same order), by index. One shortage
            // breakpoint per scenario, at the last charged period; the usual two periods
            // (R = 1 and one carry-over period, the default at L = 2) get their own copy of
            // the inner loop with the trip count known.
            let (xs, pre_cost, pre_flow, sbs) =
                (&mut xs[..s], &mut pre_cost[..s], &mut pre_flow[..s], &mut shortage_bps[..s]);
            let (cum, hbs, post_demand) =
                (&mut cum[..s * post], &mut holding_bps[..s * post], &mut post_demand[..s * post]);
            let mut scenario = |i: usize, path: &[f64], post: usize| {
                let (x, h, sh, flow) = pre(path);
                pre_h += h;
                pre_s += sh;
                (xs[i], pre_cost[i], pre_flow[i]) = (x, h + sh, flow);
                let mut c = 0.0;
                for (k, &d) in path[l..l + post].iter().enumerate() {
                    c += d;
                    let at = i * post + k;
                    (cum[at], hbs[at], post_demand[at]) = (c, c - x, d);
                    if k + 1 == charged {
                        sbs[i] = c - x;
                    }
                }
            };
            for i in 0..s {
                let path = &values[i * w..i * w + w];
                if post == 2 { scenario(i, path, 2) } else { scenario(i, path, post) }
            }
        } else {
            for path in values.chunks_exact(w) {
                let (x, h, sh, flow) = self.pre(&path[..l], &arrivals);
                pre_h += h;
                pre_s += sh;
                xs.push(x);
                pre_cost.push(h + sh);
                pre_flow.push(flow);
                let mut c = 0.0;
                for (k, &d) in path[l..].iter().enumerate() {
                    c += d;
                    cum.push(c);
                    holding_bps.push(c - x);
                    post_demand.push(d);
                    if k < charged && (self.backorders || k + 1 == charged) {
                        shortage_bps.push(c - x);
                    }
                }
            }
        }
        let post = post.max(1);
        sort_total(&mut holding_bps);
        sort_total(&mut shortage_bps);
        let prefix = |v: &[f64]| {
            let mut out = pool::take(v.len() + 1);
            let mut acc = 0.0;
            out.push(0.0);
            out.extend(v.iter().map(|x| {
                acc += x;
                acc
            }));
            out
        };
        let holding_prefix = prefix(&holding_bps);
        let shortage_prefix = if shared { pool::take(0) } else { prefix(&shortage_bps) };
        let n = s.max(1) as f64;
        Prepared {
            shared,
            s,
            post,
            charged,
            x: xs,
            pre_cost,
            pre_flow,
            post_demand,
            cum,
            holding: self.holding,
            shortage: self.shortage,
            backorders: self.backorders,
            pre_holding: pre_h / n,
            pre_shortage: pre_s / n,
            holding_prefix,
            shortage_prefix,
            holding_bps,
            shortage_bps,
        }
    }

    /// The on-hand level below which the sample-average optimum orders, the arrivals as
    /// given, or `None` when it orders at no on-hand level. The policy orders at on hand
    /// `h` exactly when the right derivative of the mean cost at Q = 0,
    /// `h #{holding breakpoints <= 0} - p #{shortage breakpoints > 0}`, is negative
    /// ([`Prepared::saa_minimizer`] is then positive). The stock left at the end of period
    /// L is `h + c` with backorders and, under lost sales (Lindley's recursion),
    /// `max(h + c, m)`, where `c = S_1`, `m = max(0, S_2, .., S_L)` and `S_j` is the
    /// arrivals minus the demand of periods j..=L (a negative `h`, a shortfall on hand,
    /// then stands for arrivals already spoken for). So a breakpoint `C_k - x` is <= 0
    /// exactly when `C_k <= m` (always) or `h >= C_k - c`: the derivative is the
    /// minimiser's walk over the "jumps" `C_k - c`, with the always-counted holding
    /// breakpoints as an offset, and the threshold is the first jump where it turns
    /// non-negative (one sort, one walk).
    pub(crate) fn saa_threshold(&self, values: &[f64]) -> Option<f64> {
        let (w, l) = (self.w, self.lead_time);
        let post = (w - l).max(1);
        let charged = self.review.min(post);
        let mut arrivals: Buf<f64> = pool::take(l);
        arrivals.extend((0..l).map(|i| self.arrivals.get(i).copied().unwrap_or(0.0)));
        let s = values.len() / w.max(1);
        let mut holding_jumps: Buf<f64> = pool::take(s * post);
        let mut shortage_jumps: Buf<f64> = pool::take(if self.backorders { s * charged } else { s });
        let mut always = 0usize;
        for path in values.chunks_exact(w) {
            let (mut c, mut m) = (0.0f64, 0.0f64);
            for j in (0..l).rev() {
                c += arrivals[j] - path[j];
                if j > 0 {
                    m = m.max(c);
                }
            }
            if self.backorders {
                m = f64::NEG_INFINITY;
            }
            let mut ck = 0.0;
            for (k, d) in path[l..].iter().enumerate() {
                ck += d;
                if ck <= m {
                    // Held stock whatever is on hand: no jump, no shortage.
                    always += 1;
                    continue;
                }
                holding_jumps.push(ck - c);
                if k < charged && (self.backorders || k + 1 == charged) {
                    shortage_jumps.push(ck - c);
                }
            }
        }
        if holding_jumps.iter().chain(shortage_jumps.iter()).any(|j| !j.is_finite()) {
            return None;
        }
        let n_short = shortage_jumps.len();
        let turns =
            |i: usize, j: usize| self.holding * ((always + i) as f64) - self.shortage * ((n_short - j) as f64) >= 0.0;
        if turns(0, 0) {
            return None;
        }
        // Whole-unit jumps (the usual case) are walked by their counts, without sorting:
        // every shortage jump is also a holding jump, so one range holds both.
        if let Some(t) = counted_first_turn(&holding_jumps, &shortage_jumps, turns) {
            return t;
        }
        sort_total(&mut holding_jumps);
        sort_total(&mut shortage_jumps);
        let (hb, sb) = (&holding_jumps[..], &shortage_jumps[..]);
        // The merged walk of [`walk_minimizer`], offset by the always-held count.
        first_turn(hb, sb, turns).or_else(|| hb.last().copied())
    }

    /// Every period of every scenario at order `q`.
    pub(crate) fn direct(&self, values: &[f64], q: f64) -> Direct {
        let w = self.w;
        let s = values.len() / w;
        let (mut hold, mut short, mut sum_sq) = (0.0, 0.0, 0.0);
        let (mut demand, mut sold) = (0.0, 0.0);
        let (mut covered_demand, mut covered_sold, mut committed) = (0.0, 0.0, 0.0);
        let (mut covered, mut stockouts) = (0usize, 0usize);
        for path in values.chunks_exact(w) {
            let mut stock = self.on_hand;
            let (mut h, mut sh) = (0.0, 0.0);
            let (mut any_out, mut post_out) = (false, false);
            for (i, d) in path.iter().enumerate() {
                stock += self.arrivals.get(i).copied().unwrap_or(0.0);
                if i == self.lead_time {
                    stock += q;
                }
                // Carry-over periods only charge holding on what is left of this stock.
                let carry = i >= self.lead_time + self.review;
                let (h0, sh0, sold0) = (h, sh, sold);
                let unmet = if self.backorders {
                    let before = stock.max(0.0);
                    if carry {
                        stock = (stock.max(0.0) - d).max(0.0);
                    } else {
                        stock -= d;
                        sold += before.min(*d);
                        sh += self.shortage * (-stock).max(0.0);
                    }
                    h += self.holding * stock.max(0.0);
                    (d - before).max(0.0)
                } else {
                    let sales = stock.max(0.0).min(*d);
                    stock -= sales;
                    h += self.holding * stock;
                    if !carry {
                        sold += sales;
                        sh += self.shortage * (d - sales);
                    }
                    d - sales
                };
                if i < self.lead_time {
                    committed += (h - h0) + (sh - sh0);
                }
                if carry {
                    continue;
                }
                if i >= self.lead_time {
                    covered_demand += d;
                    covered_sold += sold - sold0;
                }
                demand += d;
                if unmet > 1e-9 {
                    any_out = true;
                    post_out |= i >= self.lead_time;
                }
            }
            hold += h;
            short += sh;
            sum_sq += (h + sh) * (h + sh);
            covered += usize::from(!post_out);
            stockouts += usize::from(any_out);
        }
        let n = s.max(1) as f64;
        let mean = (hold + short) / n;
        let var = if s > 1 { (sum_sq / n - mean * mean).max(0.0) * n / (n - 1.0) } else { 0.0 };
        Direct {
            holding: hold / n,
            shortage: short / n,
            cost_se: (var / n).sqrt(),
            fill_rate: if demand > 0.0 { sold / demand } else { 1.0 },
            covered_fill_rate: if covered_demand > 0.0 { covered_sold / covered_demand } else { 1.0 },
            committed: committed / n,
            cycle_service: covered as f64 / n,
            stockout_probability: stockouts as f64 / n,
        }
    }
}

impl Prepared {
    /// The sorted shortage breakpoints and their prefix sums.
    fn shortage_breakpoints(&self) -> (&[f64], &[f64]) {
        if self.shared {
            (&self.holding_bps, &self.holding_prefix)
        } else {
            (&self.shortage_bps, &self.shortage_prefix)
        }
    }

    /// Mean (holding, shortage) cost at each order in `qs` (any order), exact.
    pub(crate) fn evaluate(&self, qs: &[f64], holding: f64, shortage: f64) -> Vec<(f64, f64)> {
        let n = self.s.max(1) as f64;
        let (shortage_bps, shortage_prefix) = self.shortage_breakpoints();
        let total_s = *shortage_prefix.last().unwrap_or(&0.0);
        // An order's place is the number of breakpoints below it. The breakpoints are sorted
        // and finite (the caller refuses overflowed ones), so `t < q` holds on a prefix of
        // them and a binary search finds it (O(log S) per order, each evaluated on its own:
        // equal orders give equal bits). With shared breakpoints the two places coincide.
        debug_assert!(self.breakpoints_finite(), "the caller refuses non-finite breakpoints");
        let place = |bps: &[f64], q: f64| bps.partition_point(|&t| t < q);
        qs.iter()
            .map(|&q| {
                let ih = place(&self.holding_bps, q);
                let is = if self.shared { ih } else { place(shortage_bps, q) };
                // sum over t < q of (q - t), and over t >= q of (t - q)
                let hold = ih as f64 * q - self.holding_prefix[ih];
                let short = (total_s - shortage_prefix[is]) - (shortage_bps.len() - is) as f64 * q;
                (self.pre_holding + holding * hold / n, self.pre_shortage + shortage * short / n)
            })
            .collect()
    }

    /// Cost of scenario `i` at order `q`.
    #[inline]
    fn scenario_cost(&self, i: usize, q: f64) -> f64 {
        let y = self.x[i] + q;
        if self.shared {
            // One charged period under lost sales: the general loop below, unrolled (the
            // same operations in the same order).
            let ck = self.cum[i];
            let mut c = self.pre_cost[i];
            c += self.holding * (y - ck).max(0.0);
            c += self.shortage * (ck - y).max(0.0);
            return c;
        }
        let cum = &self.cum[i * self.post..(i + 1) * self.post];
        let mut c = self.pre_cost[i];
        for (k, &ck) in cum.iter().enumerate() {
            c += self.holding * (y - ck).max(0.0);
            if self.backorders && k < self.charged {
                c += self.shortage * (ck - y).max(0.0);
            }
        }
        if !self.backorders && self.charged > 0 {
            c += self.shortage * (cum[self.charged - 1] - y).max(0.0);
        }
        c
    }

    /// The outcome of order `q` from the prepared per-scenario state, in O(S x R): the same
    /// numbers as [`Window::direct`] (tested), without re-running the pre-arrival periods.
    pub(crate) fn outcome(&self, q: f64) -> Direct {
        self.outcome_with(q, true)
    }

    /// [`Prepared::outcome`], with the one-period fast path allowed or not (the two give
    /// the same bits: tested).
    fn outcome_with(&self, q: f64, fast: bool) -> Direct {
        let n = self.s.max(1) as f64;
        let (mut cost, mut sum_sq) = (0.0, 0.0);
        let (mut demand, mut sold) = (0.0, 0.0);
        let (mut covered_demand, mut covered_sold) = (0.0, 0.0);
        let (mut covered, mut stockouts) = (0usize, 0usize);
        let (mut hold, mut short) = (0.0, 0.0);
        let post = self.post.max(1);
        let per_scenario = self
            .x
            .iter()
            .zip(&self.pre_cost)
            .zip(&self.pre_flow)
            .zip(self.cum.chunks_exact(post).zip(self.post_demand.chunks_exact(post)));
        // One charged post-arrival period under lost sales (L + R = W, R = 1, the VN2 case):
        // the loop below with its constants folded, the same operations in the same order.
        let one_period = fast && self.shared;
        for (((&x, &pre_cost), &(pd, ps, pre_out)), (cum, ds)) in per_scenario {
            let y = x + q;
            if one_period {
                let (ck, d) = (cum[0], ds[0]);
                let mut h = 0.0;
                h += self.holding * (y - ck).max(0.0);
                let sales = (y - 0.0).max(0.0).max(0.0).min(d);
                let mut post_sold = 0.0;
                post_sold += sales;
                let post_out = d - sales > 1e-9;
                let mut sh = 0.0;
                sh += self.shortage * (ck - y).max(0.0);
                let c = pre_cost + h + sh;
                hold += h;
                short += sh;
                cost += c;
                sum_sq += c * c;
                demand += pd + ds[..1].iter().sum::<f64>();
                sold += ps + post_sold;
                covered_demand += d;
                covered_sold += post_sold;
                covered += usize::from(!post_out);
                stockouts += usize::from(pre_out || post_out);
                continue;
            }
            let (mut h, mut sh) = (0.0, 0.0);
            let (mut post_sold, mut post_out) = (0.0, false);
            let mut prev = 0.0;
            for (k, (&ck, &d)) in cum.iter().zip(ds).enumerate() {
                h += self.holding * (y - ck).max(0.0);
                if k >= self.charged {
                    continue; // carry-over: holding only
                }
                // Stock at the start of this period, before its demand.
                let before = if self.backorders { y - prev } else { (y - prev).max(0.0) };
                let sales = before.max(0.0).min(d);
                post_sold += sales;
                post_out |= d - sales > 1e-9;
                if self.backorders {
                    sh += self.shortage * (ck - y).max(0.0);
                }
                prev = ck;
            }
            if !self.backorders && self.charged > 0 {
                sh += self.shortage * (cum[self.charged - 1] - y).max(0.0);
            }
            let c = pre_cost + h + sh;
            hold += h;
            short += sh;
            cost += c;
            sum_sq += c * c;
            demand += pd + ds[..self.charged.min(ds.len())].iter().sum::<f64>();
            sold += ps + post_sold;
            covered_demand += ds[..self.charged.min(ds.len())].iter().sum::<f64>();
            covered_sold += post_sold;
            covered += usize::from(!post_out);
            stockouts += usize::from(pre_out || post_out);
        }
        let mean = cost / n;
        let var = if self.s > 1 { (sum_sq / n - mean * mean).max(0.0) * n / (n - 1.0) } else { 0.0 };
        Direct {
            holding: self.pre_holding + hold / n,
            shortage: self.pre_shortage + short / n,
            cost_se: (var / n).sqrt(),
            fill_rate: if demand > 0.0 { sold / demand } else { 1.0 },
            covered_fill_rate: if covered_demand > 0.0 { covered_sold / covered_demand } else { 1.0 },
            committed: self.pre_holding + self.pre_shortage,
            cycle_service: covered as f64 / n,
            stockout_probability: stockouts as f64 / n,
        }
    }

    /// The stock expected at the order's arrival and the demand it covers: the mean of
    /// `x + q - C_R` over the scenarios (x the stock left at the end of period L, C_R the
    /// demand of periods L+1..=L+R) and the standard deviation of `x - C_R`, returned as
    /// (buffer, sd, mean C_R).
    pub(crate) fn covered(&self, q: f64) -> (f64, f64, f64) {
        let n = self.s.max(1) as f64;
        let post = self.post.max(1);
        let last = self.charged.max(1) - 1;
        let net = |i: usize| self.x[i] - self.cum[i * post + last];
        let (mut sum, mut demand) = (0.0, 0.0);
        for i in 0..self.s {
            sum += net(i);
            demand += self.cum[i * post + last];
        }
        let mean = sum / n;
        let var = if self.s > 1 { (0..self.s).map(|i| (net(i) - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
        (mean + q, var.sqrt(), demand / n)
    }

    /// Every scenario's cost at order `q`.
    pub(crate) fn scenario_costs(&self, q: f64) -> Buf<f64> {
        let mut costs = pool::take(self.s);
        costs.extend((0..self.s).map(|i| self.scenario_cost(i, q)));
        costs
    }

    /// Mean and standard error of the paired per-scenario cost difference cost(a) - cost(b)
    /// (common random numbers), given cost(b) per scenario ([`Prepared::scenario_costs`]).
    pub(crate) fn paired_difference(&self, a: f64, costs_b: &[f64]) -> (f64, f64) {
        let n = self.s;
        if n < 2 {
            return (0.0, 0.0);
        }
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for (i, &cb) in costs_b.iter().enumerate().take(n) {
            let d = self.scenario_cost(i, a) - cb;
            sum += d;
            sum_sq += d * d;
        }
        let nf = n as f64;
        let mean = sum / nf;
        let var = ((sum_sq / nf - mean * mean) * nf / (nf - 1.0)).max(0.0);
        (mean, (var / nf).sqrt())
    }

    /// The order minimising the sample-average holding + shortage cost. Every scenario's
    /// cost is convex and piecewise linear in Q, so the mean is too: the minimiser is the
    /// first breakpoint t at which the right derivative
    /// `h #{holding breakpoints <= t} - p #{shortage breakpoints > t}` is >= 0. May be
    /// negative (an overstocked item's ideal level lies below its position).
    pub(crate) fn saa_minimizer(&self) -> f64 {
        debug_assert!(self.breakpoints_finite(), "the caller refuses non-finite breakpoints");
        if self.shared {
            shared_minimizer(&self.holding_bps, self.holding, self.shortage)
        } else {
            walk_minimizer(&self.holding_bps, &self.shortage_bps, self.holding, self.shortage)
        }
    }

    /// Whether every breakpoint is finite: a simulated stock level or cumulative demand
    /// that overflowed shows as an infinity or NaN, which sort to the ends.
    pub(crate) fn breakpoints_finite(&self) -> bool {
        let ends = |v: &[f64]| v.first().is_none_or(|x| x.is_finite()) && v.last().is_none_or(|x| x.is_finite());
        ends(&self.holding_bps) && ends(&self.shortage_bps)
    }
}

/// [`Prepared::saa_minimizer`] over sorted, finite holding breakpoints `hb` and shortage
/// breakpoints `sb`: a merged walk up the distinct breakpoints.
fn walk_minimizer(hb: &[f64], sb: &[f64], holding: f64, shortage: f64) -> f64 {
    first_turn(hb, sb, |i, j| holding * i as f64 - shortage * (sb.len() - j) as f64 >= 0.0)
        .unwrap_or_else(|| hb.last().copied().unwrap_or(0.0).max(sb.last().copied().unwrap_or(0.0)))
}

/// A merged walk up the distinct values of the sorted lists `hb` and `sb`: the first value
/// `t` at which `turns(#{hb <= t}, #{sb <= t})` holds, or `None` when it never does.
fn first_turn(hb: &[f64], sb: &[f64], turns: impl Fn(usize, usize) -> bool) -> Option<f64> {
    let (mut i, mut j) = (0usize, 0usize);
    while i < hb.len() || j < sb.len() {
        let t = match (hb.get(i), sb.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        while i < hb.len() && hb[i] <= t {
            i += 1;
        }
        while j < sb.len() && sb[j] <= t {
            j += 1;
        }
        if turns(i, j) {
            return Some(t);
        }
    }
    None
}

/// `first_turn(sorted hb, sorted sb, turns)`, falling back to the largest of `hb` when it
/// never turns, computed from the counts of each whole value instead of sorted lists:
/// `Some(result)` when `hb` qualifies for [`whole_counts`] (so its values are whole, finite
/// and not `-0.0`) and every value of `sb` is one of `hb`'s (the holding and shortage
/// jumps of [`Window::saa_threshold`]); `None` otherwise, for the caller to sort and walk.
/// The walk visits the same distinct values in the same order with the same counts, and
/// each value is the bits the counting sort would have written (tested).
fn counted_first_turn(hb: &[f64], sb: &[f64], turns: impl Fn(usize, usize) -> bool) -> Option<Option<f64>> {
    use crate::float::TWO_52 as LIMIT;
    if hb.len() < 128 {
        return None;
    }
    let (base, holding) = whole_counts(hb)?;
    let lo = base as f64;
    let mut shortage: Buf<u32> = pool::take(holding.len());
    shortage.resize(holding.len(), 0);
    // Adding and taking back 1.5 x 2^52 gives a value under 2^51 in magnitude back with
    // the same bits exactly when it is whole and not `-0.0` (see `whole_counts`).
    const SHIFT: f64 = 1.5 * LIMIT;
    for &x in sb {
        // Checked, not assumed: a value outside `hb`'s range (NaN included), not whole, or
        // not among `hb`'s values is refused.
        let offset = x - lo;
        if !(offset >= 0.0 && offset < holding.len() as f64) || ((x + SHIFT) - SHIFT).to_bits() != x.to_bits() {
            return None;
        }
        let offset = ((offset + LIMIT).to_bits() & ((1u64 << 52) - 1)) as usize;
        if holding[offset] == 0 {
            return None;
        }
        shortage[offset] += 1;
    }
    let (mut i, mut j) = (0usize, 0usize);
    for (offset, (&h, &s)) in holding.iter().zip(shortage.iter()).enumerate() {
        if h == 0 {
            continue;
        }
        i += h as usize;
        j += s as usize;
        if turns(i, j) {
            return Some(Some((base + offset as i64) as f64));
        }
    }
    // Never turns: the largest holding jump (the last count is never zero).
    Some(Some((base + holding.len() as i64 - 1) as f64))
}

/// [`walk_minimizer`] when the holding and shortage breakpoints are one sorted, finite list
/// `b` (one charged period under lost sales): exactly the walk's result, by bisection.
///
/// Both counts of the walk are then `i = #{b <= t}`, and its test
/// `h i - p (n - i) >= 0` only becomes true as `i` grows (each rounded product is monotone
/// in `i`, and so is their rounded difference). The walk stops at the first distinct value
/// whose count reaches the smallest passing `i*`: the value at position `i* - 1`, taken
/// as the first of its run of equal values (`-0.0` and `0.0` are one run to `<=`).
fn shared_minimizer(b: &[f64], holding: f64, shortage: f64) -> f64 {
    let n = b.len();
    let passes = |i: usize| holding * i as f64 - shortage * (n - i) as f64 >= 0.0;
    // The walk tests counts 1..=n only; the smallest passing one, if any.
    let (mut lo, mut hi) = (1usize, n + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if passes(mid) { hi = mid } else { lo = mid + 1 }
    }
    if lo > n {
        // No count passes (with h >= 0 the test passes at i = n, so `b` is empty): the
        // walk's default.
        return b.last().copied().unwrap_or(0.0);
    }
    let t = b[lo - 1];
    b[b.partition_point(|&x| x < t)]
}

/// When every value of `v` is a whole number of magnitude under 2^51 (no `-0.0`, NaN or
/// infinity) and they span a range under four times their number, the count of each value
/// from the smallest up: `(smallest, counts)`. Values in units of demand usually are.
fn whole_counts(v: &[f64]) -> Option<(i64, Buf<u32>)> {
    use crate::float::TWO_52 as LIMIT;
    // Adding and taking back 1.5 x 2^52 rounds any |x| < 2^51 to a whole number: the sum
    // lies in [2^52, 2^53), where the spacing of doubles is 1. So `x` is whole when it comes
    // back with the same bits (-0.0 comes back as +0.0, so it is flagged too); a magnitude
    // of 2^51 or more shows in `lo` or `hi`, checked once at the end (infinities
    // included); NaN, which may come back unchanged, is flagged on its own. Bit operations
    // and one float comparison: the lanes stay in vector registers.
    const SHIFT: f64 = 1.5 * LIMIT;
    const LANES: usize = 4;
    // Four independent lanes, merged at the end, so the scan runs on vector registers.
    let mut lo = [f64::INFINITY; LANES];
    let mut hi = [f64::NEG_INFINITY; LANES];
    let mut flagged = [0u64; LANES];
    let mut scan = |lane: usize, x: f64| {
        // `lo` and `hi` are only used when nothing was flagged (no NaN).
        flagged[lane] |= (((x + SHIFT) - SHIFT).to_bits() ^ x.to_bits()) | u64::from(x.is_nan());
        lo[lane] = if x < lo[lane] { x } else { lo[lane] };
        hi[lane] = if x > hi[lane] { x } else { hi[lane] };
    };
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (lane, &x) in c.iter().enumerate() {
            scan(lane, x);
        }
    }
    for &x in rest {
        scan(0, x);
    }
    let lo = lo.into_iter().fold(f64::INFINITY, f64::min);
    let hi = hi.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let bound = LIMIT / 2.0;
    if v.is_empty() || flagged.iter().any(|&f| f != 0) || lo <= -bound || hi >= bound || hi - lo >= 4.0 * v.len() as f64
    {
        return None;
    }
    // Room for the widest range accepted, so a pooled buffer grows once per size of `v`,
    // not again whenever a wider range turns up.
    let mut counts: Buf<u32> = pool::take(4 * v.len() + 1);
    counts.resize((hi - lo) as usize + 1, 0);
    for &x in v {
        // x - lo is a whole number in [0, 2^52): adding 2^52 puts it in the low mantissa
        // bits, read without a (saturating, hence slow) float-to-int conversion.
        let offset = ((x - lo) + LIMIT).to_bits() & ((1u64 << 52) - 1);
        counts[offset as usize] += 1;
    }
    Some((lo as i64, counts))
}

/// Sorts `v` ascending in [`f64::total_cmp`] order: exactly the result of
/// `v.sort_unstable_by(f64::total_cmp)`. Whole-unit breakpoints in a range under four
/// times their number (the usual case: demand in units) are sorted by counting; anything
/// else (fractions, `-0.0`, NaN, infinities, wide ranges) by pattern-defeating quicksort.
pub(crate) fn sort_total(v: &mut [f64]) {
    let counted = if v.len() < 128 { None } else { whole_counts(v) };
    let Some((base, counts)) = counted else {
        v.sort_unstable_by(f64::total_cmp);
        return;
    };
    let mut at = 0;
    for (offset, &n) in counts.iter().enumerate() {
        let end = at + n as usize;
        v[at..end].fill((base + offset as i64) as f64);
        at = end;
    }
}

/// The value of rank `k` (0-based) of `totals` in [`f64::total_cmp`] order: exactly
/// `*totals.to_vec().select_nth_unstable_by(k, f64::total_cmp).1`, counted in place for
/// whole-unit values in a narrow range (see [`sort_total`]), else selected in a pooled
/// copy. `k < totals.len()`.
pub(crate) fn quantile_total(totals: &[f64], k: usize) -> f64 {
    if let Some(q) = counted_rank(totals, k) {
        return q;
    }
    let mut v: Buf<f64> = pool::take(totals.len());
    v.extend_from_slice(totals);
    *v.select_nth_unstable_by(k, f64::total_cmp).1
}

/// The value of rank `k` of `v` by counting ([`whole_counts`]), when `v` qualifies.
fn counted_rank(v: &[f64], k: usize) -> Option<f64> {
    if v.len() < 128 {
        return None;
    }
    let (base, counts) = whole_counts(v)?;
    let mut seen = 0usize;
    let rank = counts.iter().position(|&n| {
        seen += n as usize;
        seen > k
    })?;
    Some((base + rank as i64) as f64)
}

#[cfg(test)]
mod sort_tests {
    use proptest::prelude::*;

    proptest! {
        /// `sort_total` gives exactly the comparison sort's result, bit for bit, for any
        /// values (NaN, signed zeros and infinities included).
        #[test]
        fn sort_total_equals_total_cmp_sort(v in proptest::collection::vec(
            prop_oneof![any::<f64>(), (-50i32..50).prop_map(f64::from), (-5000i32..70000).prop_map(f64::from),
                Just(-0.0), Just(f64::NAN), Just(1e300), Just(4.5e15), Just(-4.5e15),
                Just(2_251_799_813_685_247.0), Just(2_251_799_813_685_248.0), Just(-2_251_799_813_685_247.0),
                Just(-2_251_799_813_685_248.0), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(0.5)], 0..600)
        ) {
            let mut a = v.clone();
            let mut b = v;
            super::sort_total(&mut a);
            b.sort_unstable_by(f64::total_cmp);
            prop_assert_eq!(a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), b.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        }

        /// `quantile_total` gives exactly the selection's result, bit for bit.
        #[test]
        fn quantile_total_equals_total_cmp_select(v in proptest::collection::vec(
            prop_oneof![any::<f64>(), (-50i32..50).prop_map(f64::from), (-5000i32..70000).prop_map(f64::from),
                Just(-0.0), Just(f64::NAN), Just(1e300), Just(4.5e15), Just(-4.5e15),
                Just(2_251_799_813_685_247.0), Just(2_251_799_813_685_248.0), Just(-2_251_799_813_685_247.0),
                Just(-2_251_799_813_685_248.0), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(0.5)], 1..600),
            f in 0.0f64..1.0,
        ) {
            let k = ((v.len() as f64 * f) as usize).min(v.len() - 1);
            let got = super::quantile_total(&v, k);
            let mut b = v;
            let want = *b.select_nth_unstable_by(k, f64::total_cmp).1;
            prop_assert_eq!(got.to_bits(), want.to_bits());
        }

        /// Whole values in a narrow range (the counting path) anywhere, edges of its 2^51
        /// magnitude limit included, sort and select exactly.
        #[test]
        fn narrow_whole_ranges_sort_and_select_exactly(
            base in prop_oneof![Just(0.0), Just(-40.0), Just(2_251_799_813_685_000.0),
                Just(2_251_799_813_685_100.0), Just(-2_251_799_813_685_300.0), Just(-2_251_799_813_685_400.0),
                Just(4.5e15), Just(f64::INFINITY), Just(f64::NEG_INFINITY)],
            offsets in proptest::collection::vec(0u32..300, 128..400),
            f in 0.0f64..1.0,
        ) {
            let v: Vec<f64> = offsets.iter().map(|&o| base + f64::from(o)).collect();
            let k = ((v.len() - 1) as f64 * f) as usize;
            let (mut sorted, mut want) = (v.clone(), v.clone());
            super::sort_total(&mut sorted);
            want.sort_unstable_by(f64::total_cmp);
            prop_assert_eq!(sorted.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
            prop_assert_eq!(super::quantile_total(&v, k).to_bits(), want[k].to_bits());
        }
    }
}

#[cfg(test)]
mod minimizer_tests {
    use proptest::prelude::*;

    proptest! {
        /// The bisection gives exactly the merged walk's bits when both lists are one,
        /// for any finite sorted breakpoints (runs of equal values and signed zeros
        /// included) and any costs >= 0.
        #[test]
        fn shared_minimizer_equals_the_walk(
            mut b in proptest::collection::vec(prop_oneof![
                (-40i32..40).prop_map(f64::from), -1e6f64..1e6, Just(0.0), Just(-0.0), Just(0.5)], 0..300),
            holding in prop_oneof![Just(0.0), 0.0f64..5.0, Just(1.0)],
            shortage in prop_oneof![Just(0.0), 0.0f64..20.0, Just(1.0), Just(4.0)],
        ) {
            b.sort_unstable_by(f64::total_cmp);
            let want = super::walk_minimizer(&b, &b, holding, shortage);
            let got = super::shared_minimizer(&b, holding, shortage);
            prop_assert_eq!(got.to_bits(), want.to_bits(), "{:?}", (got, want));
        }
    }
}

#[cfg(test)]
mod outcome_tests {
    use proptest::prelude::*;

    use super::{Window, counted_first_turn, first_turn};

    proptest! {
        /// The one-period fast path of `outcome` gives exactly the general loop's bits
        /// (lost sales; with backorders both take the general loop).
        #[test]
        fn one_period_fast_path_is_bit_identical(
            lead_time in 0usize..4,
            on_hand in -5.0f64..40.0,
            arrival in 0.0f64..10.0,
            values in proptest::collection::vec(prop_oneof![0.0f64..30.0, (0u32..30).prop_map(f64::from)], 40..200),
            q in -5.0f64..60.0,
            holding in 0.0f64..2.0,
            shortage in 0.0f64..5.0,
            backorders in any::<bool>(),
        ) {
            let w = lead_time + 1;
            let n = values.len() / w * w;
            let arrivals = vec![arrival; lead_time];
            let win = Window {
                lead_time, w, review: 1, on_hand, arrivals: &arrivals, holding, shortage, backorders,
            };
            let p = win.prepare(&values[..n]);
            let (a, b) = (p.outcome_with(q, true), p.outcome_with(q, false));
            let bits = |d: super::Direct| [d.holding, d.shortage, d.cost_se, d.fill_rate, d.covered_fill_rate, d.committed, d.cycle_service, d.stockout_probability].map(f64::to_bits);
            prop_assert_eq!(bits(a), bits(b));

        }

        /// The counted walk of `saa_threshold` (whole jumps) visits the same values with the
        /// same counts as the merged walk over the sorted lists, for any turning rule.
        #[test]
        fn counted_first_turn_is_the_sorted_walk(
            hb in proptest::collection::vec((-40i32..60).prop_map(f64::from), 128..400),
            picks in proptest::collection::vec(0usize..400, 0..300),
            holding in 0.0f64..2.0,
            shortage in 0.0f64..5.0,
            always in 0usize..50,
        ) {
            let sb: Vec<f64> = picks.iter().map(|&i| hb[i % hb.len()]).collect();
            let turns = |i: usize, j: usize| holding * ((always + i) as f64) - shortage * ((sb.len() - j) as f64) >= 0.0;
            let got = counted_first_turn(&hb, &sb, turns).expect("whole values in range");
            let (mut h, mut s) = (hb.clone(), sb.clone());
            h.sort_unstable_by(f64::total_cmp);
            s.sort_unstable_by(f64::total_cmp);
            let want = first_turn(&h, &s, turns).or_else(|| h.last().copied());
            prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
            // A shortage value that is no holding value, a fraction or -0.0: not counted.
            for odd in [1000.0, 0.5, -0.0, f64::NAN] {
                let mut sb = sb.clone();
                sb.push(odd);
                let hb: Vec<f64> = hb.iter().map(|&x| if x == 0.0 { 1.0 } else { x }).collect();
                prop_assert!(counted_first_turn(&hb, &sb, |_, _| true).is_none());
            }
        }

        /// The sample-average optimum's reorder threshold is exact: just below it the
        /// optimum orders (its minimiser is positive), at it the optimum orders nothing,
        /// found by re-preparing the window at those on-hand levels (whole units, so the
        /// arithmetic is exact).
        #[test]
        fn saa_threshold_is_where_the_optimum_stops_ordering(
            lead_time in 0usize..4,
            review in 1usize..3,
            values in proptest::collection::vec((0u32..30).prop_map(f64::from), 40..240),
            arrivals in proptest::collection::vec((0u32..25).prop_map(f64::from), 0..4),
            holding in prop_oneof![Just(0.2), Just(1.0), Just(0.0)],
            shortage in prop_oneof![Just(1.0), Just(4.0), Just(0.1), Just(0.0)],
            backorders in any::<bool>(),
        ) {
            let w = lead_time + review;
            let n = values.len() / w * w;
            let arrivals: Vec<f64> = arrivals.into_iter().take(lead_time).collect();
            let at = |on_hand: f64| Window {
                lead_time, w, review, on_hand, arrivals: &arrivals, holding, shortage, backorders,
            };
            let minimizer = |h: f64| at(h).prepare(&values[..n]).saa_minimizer();
            // Lost sales only follow the recursion from a non-negative shelf.
            let lowest = if backorders { f64::NEG_INFINITY } else { 0.0 };
            match at(0.0).saa_threshold(&values[..n]) {
                Some(t) => {
                    if t > lowest {
                        let below = (t - 0.5).max(if backorders { t - 0.5 } else { (t / 2.0).max(0.0) });
                        if below < t && below >= lowest {
                            prop_assert!(minimizer(below) > 0.0, "t {t}: no order at {below}");
                        }
                    }
                    prop_assert!(minimizer(t.max(lowest)) <= 0.0, "t {t}: an order at the threshold");
                }
                None => prop_assert!(minimizer(lowest.max(-1e6)) <= 0.0 || shortage == 0.0),
            }
        }

        /// Evaluating many orders at once (shared orders evaluated once) gives each order
        /// exactly the bits it gets alone, and the costs of a direct simulation.
        #[test]
        fn batch_evaluation_is_per_order_evaluation(
            lead_time in 0usize..3,
            review in 1usize..3,
            values in proptest::collection::vec((0u32..30).prop_map(f64::from), 60..240),
            qs in proptest::collection::vec(prop_oneof![(0u32..60).prop_map(f64::from), 0.0f64..60.0, Just(-0.0)], 1..200),
            backorders in any::<bool>(),
        ) {
            let w = lead_time + review;
            let n = values.len() / w * w;
            let arrivals = vec![2.0; lead_time];
            let win = Window {
                lead_time, w, review, on_hand: 5.0, arrivals: &arrivals, holding: 0.2, shortage: 1.0, backorders,
            };
            let p = win.prepare(&values[..n]);
            let all = p.evaluate(&qs, 0.2, 1.0);
            for (q, got) in qs.iter().zip(&all) {
                let alone = p.evaluate(&[*q], 0.2, 1.0)[0];
                prop_assert_eq!((got.0.to_bits(), got.1.to_bits()), (alone.0.to_bits(), alone.1.to_bits()));
                let d = win.direct(&values[..n], q.max(0.0));
                prop_assert!((got.0 - d.holding).abs() < 1e-9 * (1.0 + d.holding), "{q}: {got:?} vs {d:?}");
                prop_assert!((got.1 - d.shortage).abs() < 1e-9 * (1.0 + d.shortage), "{q}: {got:?} vs {d:?}");
            }
        }
    }
}

#[cfg(test)]
mod sort_cases {
    #[test]
    fn whole_numbers_of_both_signs_and_wide_ranges() {
        for v in [
            (0..1000).map(|i| f64::from((i * 7919) % 2001 - 1000)).collect::<Vec<_>>(),
            (0..500).map(|i| if i % 2 == 0 { 4.0e15 } else { -4.0e15 + f64::from(i) }).collect(),
            (0..300).map(|i| f64::from(i % 3)).collect(),
        ] {
            let (mut a, mut b) = (v.clone(), v);
            super::sort_total(&mut a);
            b.sort_unstable_by(f64::total_cmp);
            assert_eq!(
                a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}
