//! Rolling-origin pseudo-competitions over history: the VN2 protocol and its baselines.
//!
//! A backtest replays a periodic-review, lost-sales system for many items at once,
//! **time-major**: at the end of each period every item's rule decides from the history
//! known then (so rules may pool information across items, as the VN2 organizer's
//! seasonality does), then every item sells the recorded demand of the next period.
//!
//! # Protocol ([`Protocol`], defaults = the VN2 rules)
//!
//! ```text
//! windows      the last `windows` non-overlapping windows of `window_periods` periods
//!              ending at the last period of the history
//! in a window  decisions at the end of periods t0 .. t0 + decisions - 1 (t0 = the period
//!              before the window), sales in t0 + 1 .. t0 + window_periods,
//!              cost counted from the window's period `count_from` (1-based) on
//! start state  each window starts from the stock (on hand and in transit) the same rule
//!              reaches at t0 when it runs every period, continuously, from an empty start
//!              `warmup` periods before the first window
//! demand       recorded sales; a censored period's sales stand for its demand (a lower
//!              bound), a missing period is zero
//! ```

use crate::demand::{DemandHistory, SeasonalIndices};
use crate::plan::{ItemInput, PlanConfig, PlanError, SimResult, SimState, plan_batch_orders, recorded_demand};
use crate::policy::StockPosition;

/// One series of the backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Stable key (names the item's random stream).
    pub key: String,
    /// The whole history (windows included).
    pub history: DemandHistory,
}

/// What a rule sees of one item at a decision.
#[derive(Debug, Clone, Copy)]
pub struct ItemView<'a> {
    /// The item's key.
    pub key: &'a str,
    /// Its history, whole: only periods `0..=t` are known at decision time `t`.
    pub history: &'a DemandHistory,
    /// Its stock position now.
    pub position: &'a StockPosition,
}

/// A decision rule over all items at once.
pub trait Rule: Sync {
    /// Short name for reports.
    fn name(&self) -> String;
    /// Orders (>= 0) for every item at the end of period `t`, from periods `0..=t`.
    ///
    /// # Errors
    ///
    /// The first item's [`PlanError`] when the rule cannot decide for it: [`run`] stops
    /// with it (a failed decision is never an order of 0).
    fn orders(&self, t: usize, items: &[ItemView<'_>]) -> Result<Vec<f64>, PlanError>;
}

/// The protocol of a pseudo-competition backtest.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Protocol {
    /// Number of windows.
    pub windows: usize,
    /// Periods per window.
    pub window_periods: usize,
    /// Decisions per window (one per period from the window's origin).
    pub decisions: usize,
    /// First period of a window (1-based) whose cost counts.
    pub count_from: usize,
    /// Periods of continuous running before the first window.
    pub warmup: usize,
    /// Lead time: an order placed at the end of period t arrives at the start of t + L + 1.
    pub lead_time: usize,
    /// Periods between decisions (decisions fall on the window's origin and every R-th
    /// period after it; `decisions` counts them).
    pub review_period: usize,
    /// Holding cost per unit of end-of-period stock.
    pub holding: f64,
    /// Shortage cost per unit of unmet demand.
    pub shortage: f64,
}

impl Protocol {
    /// Checks the settings that do not depend on the history: at least one window of at
    /// least one period, `count_from` within the window (1-based), a lead time and a
    /// review period of at most [`MAX_PERIODS`](crate::policy::MAX_PERIODS) (the review
    /// period at least 1), finite costs >= 0.
    ///
    /// # Errors
    ///
    /// [`BacktestError::Protocol`] naming the first bad setting, or
    /// [`BacktestError::BadCost`].
    pub fn validate(&self) -> Result<(), BacktestError> {
        let bad = |name, value, why| Err(BacktestError::Protocol { name, value, why });
        if self.windows == 0 {
            return bad("windows", 0, "at least one window is needed");
        }
        if self.window_periods == 0 {
            return bad("window_periods", 0, "a window needs at least one period");
        }
        if self.count_from == 0 || self.count_from > self.window_periods {
            return bad("count_from", self.count_from, "must be a period of the window (1 ..= window_periods)");
        }
        if self.review_period == 0 {
            return bad("review_period", 0, "must be at least 1");
        }
        let max = crate::policy::MAX_PERIODS;
        for (name, value) in [("lead_time", self.lead_time), ("review_period", self.review_period)] {
            if value > max {
                return bad(name, value, "at most 1,000 periods");
            }
        }
        for (name, v) in [("holding", self.holding), ("shortage", self.shortage)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(BacktestError::BadCost { name, value: v });
            }
        }
        Ok(())
    }

    /// Periods the protocol needs: `windows x window_periods + warmup + 1`, or `None`
    /// when that overflows.
    pub fn periods_needed(&self) -> Option<usize> {
        self.windows.checked_mul(self.window_periods)?.checked_add(self.warmup)?.checked_add(1)
    }
}

impl Default for Protocol {
    /// The VN2 rules: 8 windows of 8 weeks, 6 weekly decisions, cost over weeks 3-8,
    /// 8 weeks of warm-up, lead time 2, holding 0.2, shortage 1.0.
    fn default() -> Self {
        Protocol {
            windows: 8,
            window_periods: 8,
            decisions: 6,
            count_from: 3,
            warmup: 8,
            lead_time: 2,
            review_period: 1,
            holding: 0.2,
            shortage: 1.0,
        }
    }
}

/// Costs of one window (or a total): holding, shortage, units demanded and sold.
pub type Costs = SimResult;

/// A backtest's result.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Report {
    /// The rule's name.
    pub rule: String,
    /// Each window: (index of its origin period t0, costs).
    pub windows: Vec<(usize, Costs)>,
    /// Sum over windows.
    pub total: Costs,
}

/// Why a backtest cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// A protocol setting is out of range ([`Protocol::validate`]).
    #[error("invalid protocol: {name} {value}: {why}")]
    Protocol {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: usize,
        /// What it must be.
        why: &'static str,
    },
    /// A cost is negative or not finite.
    #[error("invalid protocol: {name} cost {value}: a cost must be finite and >= 0")]
    BadCost {
        /// `holding` or `shortage`.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// The rule could not decide at the end of a period.
    #[error("{rule} at period {period}: {source}")]
    Rule {
        /// The rule's name.
        rule: String,
        /// The decision's period (0-based index into the history).
        period: usize,
        /// Why.
        source: PlanError,
    },
    /// The series differ in length or there are none.
    #[error("every series must have the same number of periods (and there must be one)")]
    Ragged,
    /// The history is too short for the protocol (`needed` is `usize::MAX` when
    /// `windows x window_periods + warmup + 1` overflows).
    #[error("{needed} periods are needed (warm-up, windows and a first known period), the history has {have}")]
    TooShort {
        /// Periods needed.
        needed: usize,
        /// Periods available.
        have: usize,
    },
}

/// Places every item's order at the end of period `t`, as `rule` decides.
fn decide(
    series: &[Series],
    rule: &dyn Rule,
    t: usize,
    states: &mut [SimState],
    lead: usize,
) -> Result<(), BacktestError> {
    let positions: Vec<StockPosition> = states.iter().map(|s| s.position(lead)).collect();
    let views: Vec<ItemView<'_>> = series
        .iter()
        .zip(&positions)
        .map(|(s, pos)| ItemView { key: &s.key, history: &s.history, position: pos })
        .collect();
    let orders =
        rule.orders(t, &views).map_err(|source| BacktestError::Rule { rule: rule.name(), period: t, source })?;
    for (s, q) in states.iter_mut().zip(orders) {
        s.place(lead, q);
    }
    Ok(())
}

/// Sells period `t + 1` for every item; its costs.
fn sell(series: &[Series], t: usize, states: &mut [SimState], p: &Protocol) -> Costs {
    let mut c = Costs::default();
    for (s, item) in states.iter_mut().zip(series) {
        c.add(&s.sell_period(recorded_demand(&item.history, t + 1), p.holding, p.shortage));
    }
    c
}

/// Runs `rule` over the protocol's windows.
///
/// # Errors
///
/// [`BacktestError`] when the protocol is invalid ([`Protocol::validate`]), the series
/// are ragged or too short for the protocol, or the rule cannot decide.
pub fn run(series: &[Series], rule: &dyn Rule, p: &Protocol) -> Result<Report, BacktestError> {
    p.validate()?;
    let r = p.review_period;
    let t_len = series.first().map(|s| s.history.len()).ok_or(BacktestError::Ragged)?;
    if series.iter().any(|s| s.history.len() != t_len) {
        return Err(BacktestError::Ragged);
    }
    let needed = p.periods_needed().unwrap_or(usize::MAX);
    if t_len < needed {
        return Err(BacktestError::TooShort { needed, have: t_len });
    }
    let lead = p.lead_time;
    let origins: Vec<usize> = (1..=p.windows).rev().map(|k| t_len - 1 - k * p.window_periods).collect();
    let start = origins[0] - p.warmup;
    let mut states: Vec<SimState> = series.iter().map(|_| SimState::empty(lead)).collect();
    let mut report = Report { rule: rule.name(), windows: Vec::new(), total: Costs::default() };
    let mut t = start;
    for &t0 in &origins {
        while t < t0 {
            if (t - start).is_multiple_of(r) {
                decide(series, rule, t, &mut states, lead)?;
            }
            sell(series, t, &mut states, p);
            t += 1;
        }
        // The window, from a copy of the continuous run's state at t0.
        let mut w = states.clone();
        let mut costs = Costs::default();
        for k in 0..p.window_periods {
            if k.is_multiple_of(r) && k / r < p.decisions {
                decide(series, rule, t0 + k, &mut w, lead)?;
            }
            let sold = sell(series, t0 + k, &mut w, p);
            if k + 1 >= p.count_from {
                costs.add(&sold);
            }
        }
        report.total.add(&costs);
        report.windows.push((t0, costs));
    }
    Ok(report)
}

/// invsync's planner as a rule: exactly `plan_item` on each item's history up to `t`.
#[derive(Debug, Clone)]
pub struct PlannerRule(pub PlanConfig);

impl Rule for PlannerRule {
    fn name(&self) -> String {
        "invsync".into()
    }

    fn orders(&self, t: usize, items: &[ItemView<'_>]) -> Result<Vec<f64>, PlanError> {
        let known: Vec<DemandHistory> = items.iter().map(|i| i.history.prefix(t + 1)).collect();
        let config = self.0.for_batch(known.iter());
        let inputs: Vec<ItemInput<'_>> =
            items.iter().zip(&known).map(|(i, h)| ItemInput::new(i.key, h, i.position.clone())).collect();
        plan_batch_orders(&inputs, &config).into_iter().collect()
    }
}

/// The VN2 organizer's benchmark, replayed: a 13-week moving average of deseasonalised
/// sales (stock-out weeks skipped), multiplicative week-of-year indices pooled over every
/// series (ratio of the weekly total to its centred 52-week moving average, from the
/// history known at the decision), and an order up to 4 weeks of seasonal forecast
/// against on hand plus in transit, rounded to whole units.
#[derive(Debug, Clone, Copy)]
pub struct OrganizerBenchmark {
    /// Weeks averaged (13).
    pub window: usize,
    /// Weeks of coverage of the order-up-to level (4).
    pub coverage: usize,
}

impl Default for OrganizerBenchmark {
    fn default() -> Self {
        OrganizerBenchmark { window: 13, coverage: 4 }
    }
}

/// Week-of-year indices pooled over every item's known periods `0..=t`
/// ([`SeasonalIndices::pooled`]).
pub fn pooled_indices(items: &[ItemView<'_>], t: usize) -> SeasonalIndices {
    let Some(first) = items.first() else { return SeasonalIndices::flat(52) };
    let positions: Vec<usize> = (0..=t).map(|p| first.history.season_position(p)).collect();
    SeasonalIndices::pooled(
        items.iter().map(|i| &i.history.values()[..=t.min(i.history.len().saturating_sub(1))]),
        t,
        &positions,
        first.history.calendar().season_length(),
    )
}

impl Rule for OrganizerBenchmark {
    fn name(&self) -> String {
        "organizer_benchmark".into()
    }

    fn orders(&self, t: usize, items: &[ItemView<'_>]) -> Result<Vec<f64>, PlanError> {
        let idx = pooled_indices(items, t);
        Ok(items
            .iter()
            .map(|i| {
                let h = i.history;
                let known: Vec<f64> = (0..=t)
                    .rev()
                    .filter_map(|p| h.observed(p).map(|v| v / idx.at(h.season_position(p))))
                    .take(self.window)
                    .collect();
                if known.is_empty() {
                    return 0.0;
                }
                let level = known.iter().sum::<f64>() / known.len() as f64;
                let target: f64 = (1..=self.coverage).map(|k| level * idx.at(h.season_position(t + k))).sum();
                (target - i.position.inventory_position()).max(0.0).round()
            })
            .collect())
    }
}
