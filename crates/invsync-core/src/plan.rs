//! Planning items end to end (demand scenarios, then the policy optimizer), in batches,
//! and replaying a periodic-review system over history to measure a planner.
//!
//! ```
//! use invsync_core::demand::{Calendar, DemandHistory};
//! use invsync_core::plan::{plan_item, ItemInput, PlanConfig};
//! use invsync_core::policy::StockPosition;
//! use invsync_core::Timestamp;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sales: Vec<f64> = (0..104).map(|t| 20.0 + (t % 5) as f64).collect();
//! let history = DemandHistory::uncensored(Timestamp::from_date(2022, 1, 3)?, Calendar::Week, sales)?;
//! let position = StockPosition { on_hand: 30.0, arrivals: vec![20.0, 0.0] };
//! let input = ItemInput::new("S1/SKU-1", &history, position);
//! let plan = plan_item(&input, &PlanConfig::default())?;
//! let rec = plan.recommendation.expect("enough history");
//! assert!(rec.order_qty >= 0.0 && rec.order_qty.fract() == 0.0);
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::cell::RefCell;

use crate::demand::{
    DemandConfig, DemandError, DemandHistory, DemandOutcome, Diagnostics, ErrorMatrix, ScenarioSet, SeasonalIndices,
    Seasonality, generate_into,
};
use crate::policy::{
    ErrorStats, ItemSettings, Override, PolicyConfig, PolicyError, Recommendation, Report, StockPosition,
    optimize_report,
};
use crate::rng;

/// Everything the planner needs for every item.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PlanConfig {
    /// Demand engine settings (its `window` is set to L + R + carry-over of `policy`).
    pub demand: DemandConfig,
    /// Policy settings.
    pub policy: PolicyConfig,
    /// Master seed; each item's stream is derived from it and the item's key.
    pub seed: u64,
}

/// The memory budget of one item's plan: at most this many scenario values
/// (`scenarios x simulated periods`, the periods being L + R + carry-over). Each value
/// costs about 24 bytes of the thread's scenario buffers, so the budget is about 600 MB
/// per worker thread. Each size has its own limit too (100,000 scenarios, 1,000 periods
/// of lead time, review period or carry-over); this one holds their product.
pub const MAX_SCENARIO_VALUES: usize = 25_000_000;

impl PlanConfig {
    /// Checks the settings before any item is planned: the policy
    /// ([`PolicyConfig::validate`]), the scenario count (2 to
    /// [`MAX_SCENARIOS`](crate::demand::MAX_SCENARIOS)) and the memory budget
    /// ([`MAX_SCENARIO_VALUES`]). [`plan_item`] calls it too, so a library caller never
    /// allocates past the budget.
    ///
    /// # Errors
    ///
    /// [`PlanError::Config`] naming the first bad setting.
    ///
    /// ```
    /// let mut c = invsync_core::plan::PlanConfig::vn2();
    /// c.policy.lead_time = 1_000;
    /// c.policy.review_period = 1_000;
    /// c.demand.scenarios = 100_000;
    /// assert!(c.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), PlanError> {
        self.policy.validate().map_err(|source| PlanError::Config(ConfigError::Policy(source)))?;
        let scenarios = self.demand.scenarios;
        if !(2..=crate::demand::MAX_SCENARIOS).contains(&scenarios) {
            return Err(PlanError::Config(ConfigError::Scenarios(scenarios)));
        }
        let periods = self.policy.simulated_periods();
        match scenarios.checked_mul(periods) {
            Some(v) if v <= MAX_SCENARIO_VALUES => Ok(()),
            _ => Err(PlanError::Config(ConfigError::OverBudget { scenarios, periods })),
        }
    }

    /// The configuration to plan a batch of items with: when the demand settings ask for
    /// pooled seasonality, the indices pooled over these histories
    /// ([`SeasonalIndices::pooled`], over each history's whole length) replace it. `invsync
    /// plan` and the backtest both call this, so they decide alike for the same inputs.
    pub fn for_batch<'a>(&self, histories: impl Iterator<Item = &'a DemandHistory>) -> PlanConfig {
        if self.demand.seasonality != Seasonality::Pooled {
            return self.clone();
        }
        let mut pool = SeasonalPool::default();
        histories.for_each(|h| pool.add(h));
        self.with_pool(&pool)
    }

    /// This configuration with pooled seasonality resolved from `pool` (unchanged when the
    /// demand settings do not ask for pooling). When the pool has no indices (no history,
    /// or with `seasonal_evidence` less than one season of present periods) it is
    /// [`Seasonality::None`] with `seasonal_evidence` (a short series gets no seasonality:
    /// indices fitted to its own few weeks only echo its noise) and unchanged without it.
    pub fn with_pool(&self, pool: &SeasonalPool) -> PlanConfig {
        let mut c = self.clone();
        if c.demand.seasonality != Seasonality::Pooled {
            return c;
        }
        let indices = if c.demand.seasonal_evidence { pool.shrunk_indices() } else { pool.indices() };
        match indices {
            Some(indices) => c.demand.seasonality = Seasonality::Given(indices),
            None if c.demand.seasonal_evidence => c.demand.seasonality = Seasonality::None,
            None => {}
        }
        c
    }
}

/// Accumulates the per-period total of many histories (aligned by period date) for
/// pooled seasonal indices, one history at a time: memory is one value per period.
#[derive(Debug, Clone, Default)]
pub struct SeasonalPool {
    anchor: Option<(crate::Timestamp, crate::demand::Calendar)>,
    total: Vec<f64>,
    /// Per period: the sum of each present series' value over its own level (values above
    /// [`SeasonalPool::CAP`] times its median left out), and how many series were present.
    shape: Vec<(f64, u32)>,
    /// Series with a value above CAP times their mean (capped).
    capped: usize,
}

impl SeasonalPool {
    /// Adds a history's recorded values (censored sales included, missing as 0). A
    /// history on another calendar than the first one is ignored.
    pub fn add(&mut self, h: &DemandHistory) {
        let (start, cal) = *self.anchor.get_or_insert((h.start(), h.calendar()));
        if cal != h.calendar() {
            return;
        }
        let Some(offset) = periods_between(cal, start, h.start()) else { return };
        if offset < 0 {
            // Re-anchor earlier: shift what was accumulated.
            let shift = (-offset) as usize;
            let mut t = vec![0.0; shift];
            t.append(&mut self.total);
            self.total = t;
            let mut t = vec![(0.0, 0); shift];
            t.append(&mut self.shape);
            self.shape = t;
            self.anchor = Some((h.start(), cal));
            return self.add(h);
        }
        let offset = offset as usize;
        if self.total.len() < offset + h.len() {
            self.total.resize(offset + h.len(), 0.0);
        }
        for (acc, v) in self.total[offset..].iter_mut().zip(h.values()) {
            if !v.is_nan() {
                *acc += v;
            }
        }
        // The shape: each series weighs alike whatever its volume, scaled by a level one
        // absurd cell cannot move: the mean of its known values at most CAP x their median.
        let mut known: Vec<f64> = h.values().iter().copied().filter(|v| !v.is_nan()).collect();
        known.sort_by(f64::total_cmp);
        let median = if known.is_empty() { 0.0 } else { known[known.len() / 2] };
        // The mean of the values at most CAP x the median (all of them when the median is 0).
        let limit = if median > 0.0 { Self::CAP * median } else { f64::MAX };
        let kept: Vec<f64> = known.iter().copied().filter(|v| *v <= limit).collect();
        let scale = kept.iter().sum::<f64>() / kept.len().max(1) as f64;
        if self.shape.len() < self.total.len() {
            self.shape.resize(self.total.len(), (0.0, 0));
        }
        if scale > 0.0 && scale.is_finite() {
            let mut capped = false;
            for (acc, v) in self.shape[offset..].iter_mut().zip(h.values()) {
                if !v.is_nan() {
                    // A value above CAP x the median is left out (absent), not summed.
                    if *v > limit {
                        capped = true;
                        continue;
                    }
                    acc.0 += v / scale;
                    acc.1 += 1;
                }
            }
            self.capped += usize::from(capped);
        }
    }

    /// The largest value, in multiples of its series' median, that enters the pooled shape
    /// (and the series' level); larger ones are left out: one absurd cell cannot move the
    /// other items' seasonality.
    pub const CAP: f64 = 50.0;

    /// Series with a value left out of the pooled shape (above [`SeasonalPool::CAP`] times
    /// their median).
    pub fn capped(&self) -> usize {
        self.capped
    }

    /// Pooled indices that generalise (the default's): the mean of every present series'
    /// value over its own level (the mean of its values at most [`SeasonalPool::CAP`] times
    /// their median; larger values and periods a series lacks are absent, not zero), each
    /// period's ratio to a straight line fitted by least
    /// squares to that pooled shape over every present period (no moving average shortened
    /// at the ends), averaged per position, then shrunk toward 1 by empirical Bayes:
    ///
    /// ```text
    /// raw_p = mean of the n_p ratios at position p
    /// noise = pooled within-position variance of the ratios (positions with n_p >= 2)
    /// signal = variance of raw_p over positions - mean_p noise / n_p
    /// index_p = 1 + B_p (raw_p - 1),  B_p = signal / (signal + noise / n_p)  (0: signal <= 0)
    /// ```
    ///
    /// `None` before any history, or with less than one complete season of present
    /// periods: then no seasonality.
    pub fn shrunk_indices(&self) -> Option<SeasonalIndices> {
        let (start, cal) = self.anchor?;
        let len = cal.season_length();
        let z: Vec<(f64, f64)> = self
            .shape
            .iter()
            .enumerate()
            .filter(|(_, (_, n))| *n > 0)
            .map(|(t, &(s, n))| (t as f64, s / f64::from(n)))
            .collect();
        if z.len() < len.max(2) {
            return None;
        }
        let m = z.len() as f64;
        let (mt, mz) = (z.iter().map(|p| p.0).sum::<f64>() / m, z.iter().map(|p| p.1).sum::<f64>() / m);
        let stt: f64 = z.iter().map(|p| (p.0 - mt).powi(2)).sum();
        let stz: f64 = z.iter().map(|p| (p.0 - mt) * (p.1 - mz)).sum();
        let slope = if stt > 0.0 { stz / stt } else { 0.0 };
        let mut stats = vec![(0.0, 0.0, 0usize); len];
        for &(t, v) in &z {
            let level = mz + slope * (t - mt);
            if level <= 0.0 {
                continue;
            }
            let r = v / level;
            let p = cal.season_position(cal.period_start(start, t as i64)) % len;
            stats[p].0 += r;
            stats[p].1 += r * r;
            stats[p].2 += 1;
        }
        let raw: Vec<f64> = stats.iter().map(|s| if s.2 > 0 { s.0 / s.2 as f64 } else { 1.0 }).collect();
        let (mut ss, mut df) = (0.0, 0.0);
        for (s, r) in stats.iter().zip(&raw) {
            if s.2 >= 2 {
                ss += (s.1 - s.2 as f64 * r * r).max(0.0);
                df += s.2 as f64 - 1.0;
            }
        }
        let noise = if df > 0.0 { ss / df } else { 0.0 };
        let present: Vec<(f64, usize)> =
            stats.iter().zip(&raw).filter(|(s, _)| s.2 > 0).map(|(s, r)| (*r, s.2)).collect();
        let k = present.len() as f64;
        let grand = present.iter().map(|p| p.0).sum::<f64>() / k;
        let spread = present.iter().map(|p| (p.0 - grand).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
        let mean_noise = present.iter().map(|p| noise / p.1 as f64).sum::<f64>() / k;
        let signal = (spread - mean_noise).max(0.0);
        if df == 0.0 || signal == 0.0 {
            return Some(SeasonalIndices::flat(len));
        }
        Some(SeasonalIndices::from_values(
            stats
                .iter()
                .zip(&raw)
                .map(|(s, r)| {
                    if s.2 == 0 {
                        return 1.0;
                    }
                    let b = signal / (signal + noise / s.2 as f64);
                    1.0 + b * (r / grand - 1.0)
                })
                .collect(),
        ))
    }

    /// The pooled indices, or `None` before any history was added.
    pub fn indices(&self) -> Option<SeasonalIndices> {
        let (start, cal) = self.anchor?;
        let positions: Vec<usize> =
            (0..self.total.len()).map(|t| cal.season_position(cal.period_start(start, t as i64))).collect();
        Some(SeasonalIndices::estimate(&self.total, &positions, cal.season_length(), 52, 0.0))
    }
}

/// Whole periods from `a` to `b` on `cal`, when `b` is on `a`'s calendar.
fn periods_between(cal: crate::demand::Calendar, a: crate::Timestamp, b: crate::Timestamp) -> Option<i64> {
    use crate::demand::Calendar;
    let n = match cal {
        Calendar::Day => b.days() - a.days(),
        Calendar::Week => (b.days() - a.days()).div_euclid(7),
        Calendar::Month => {
            let ((ya, ma, _), (yb, mb, _)) = (a.to_date(), b.to_date());
            (i64::from(yb) - i64::from(ya)) * 12 + i64::from(mb) - i64::from(ma)
        }
    };
    (cal.period_start(a, n) == b).then_some(n)
}

impl Default for PlanConfig {
    /// The general default (`invsync plan` without `--profile`), with no constant fitted to
    /// one data set:
    ///
    /// * point forecast: SES with its smoothing constant chosen per item from the measured
    ///   one-step error ([`ForecastMethod::SesFitted`](crate::demand::ForecastMethod::SesFitted));
    /// * seasonality: week-of-year (month, weekday) indices pooled over the batch
    ///   ([`SeasonalPool`]), each item using them only where its own rolling-origin error
    ///   says they help;
    /// * uncertainty: the cascade, i.i.d. resampling of one-step errors at level 3 (no
    ///   Markov bootstrap: it resamples past sizes whatever the current level), cold start
    ///   below level 2 (fewer than 12 complete error rows: the per-period demand is fitted,
    ///   a few overlapping window errors being too noisy to shift and scale the scenarios);
    ///   histories shorter than one season get no seasonality;
    /// * policy: L = 2, R = 1, h = 0.2, p = 1.0 and carry-over E = L - 1 (stock left at the
    ///   end of the window is still there while the orders already in transit arrive; set
    ///   it again with [`PlanConfig::carryover_for`] after changing L).
    fn default() -> Self {
        let mut demand = DemandConfig {
            seasonality: Seasonality::Pooled,
            method: crate::demand::MethodChoice::Fixed(crate::demand::ForecastMethod::SesFitted),
            seasonal_evidence: true,
            ..DemandConfig::default()
        };
        demand.cascade.markov_for_intermittent = false;
        demand.cascade.level3 = crate::demand::Level3Method::Blocks(1);
        // Cold start below level 2: 2-11 overlapping window errors are too few to shift and
        // scale the scenarios by (docs/demand.md).
        demand.cascade.level1_min_rows = demand.cascade.level2_min_rows;
        let policy = PolicyConfig::default();
        let carryover = Self::carryover_for(policy.lead_time);
        PlanConfig { demand, policy: PolicyConfig { carryover, ..policy }, seed: 42 }
    }
}

impl PlanConfig {
    /// The default's carry-over for lead time `lead_time`: E = L - 1 (0 for L <= 1).
    pub fn carryover_for(lead_time: usize) -> usize {
        lead_time.saturating_sub(1)
    }
}

/// The VN2 profile ([`PlanConfig::vn2`]).
#[deprecated(since = "0.2.0", note = "use PlanConfig::vn2() (`invsync plan --profile vn2`)")]
pub fn vn2_defaults() -> PlanConfig {
    PlanConfig::vn2()
}

impl PlanConfig {
    /// The VN2 profile (`--profile vn2`), chosen on the VN2 backtest windows (docs/vn2.md):
    /// the VN2 rules (L = 2, R = 1, h = 0.2, p = 1.0) and the demand and policy options that
    /// won the ablation there (pooled week-of-year indices, SES alpha 0.1 for every item,
    /// i.i.d. resampling of one-step errors, carry-over 2) and, as the default, a cold
    /// start below 12 complete error rows. Callers override costs and
    /// periods. Tuned on one data set: [`PlanConfig::default`] is the general choice.
    pub fn vn2() -> PlanConfig {
        let mut c = PlanConfig { demand: DemandConfig::default(), policy: PolicyConfig::default(), seed: 42 };
        c.demand.seasonality = Seasonality::Pooled;
        c.demand.method = crate::demand::MethodChoice::Fixed(crate::demand::ForecastMethod::Ses { alpha: 0.1 });
        c.demand.cascade.markov_for_intermittent = false;
        c.demand.cascade.level3 = crate::demand::Level3Method::Blocks(1);
        // The default's cold start below level 2 (docs/demand.md), a general fix.
        c.demand.cascade.level1_min_rows = c.demand.cascade.level2_min_rows;
        c.policy.carryover = 2;
        c
    }
}

/// One item to plan.
#[derive(Debug, Clone)]
pub struct ItemInput<'a> {
    /// Stable key (e.g. `store/product`): names the item's random stream.
    pub key: &'a str,
    /// Demand history.
    pub history: &'a DemandHistory,
    /// Stock position now.
    pub position: StockPosition,
    /// A consensus forecast for the W periods, replacing the built-in one.
    pub consensus: Option<&'a [f64]>,
    /// The item's own settings (lead time, review period, costs, order constraints, lost
    /// sales or backorders), replacing those of the [`PlanConfig`] for this item.
    pub settings: Option<ItemSettings>,
    /// A planner's override of the order quantity: planned beside the optimum, and the
    /// order to place ([`ItemPlan::order_qty`]).
    pub planner_override: Option<Override>,
}

impl<'a> ItemInput<'a> {
    /// An item with its key, history and stock position, and nothing else: the built-in
    /// forecast, the [`PlanConfig`]'s settings, no override.
    pub fn new(key: &'a str, history: &'a DemandHistory, position: StockPosition) -> Self {
        ItemInput { key, history, position, consensus: None, settings: None, planner_override: None }
    }
}

/// Settings that no item can be planned with ([`PlanConfig::validate`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A policy setting is invalid.
    #[error(transparent)]
    Policy(PolicyError),
    /// The scenario count is outside 2 ..= `MAX_SCENARIOS`.
    #[error("scenarios must be between 2 and {max}, got {0}", max = crate::demand::MAX_SCENARIOS)]
    Scenarios(usize),
    /// `scenarios x simulated periods` is above [`MAX_SCENARIO_VALUES`].
    #[error(
        "{scenarios} scenarios x {periods} simulated periods (lead time + review period + carry-over) is above the memory budget of {MAX_SCENARIO_VALUES} scenario values (about 600 MB per thread): lower the scenarios or the periods"
    )]
    OverBudget {
        /// Scenarios asked for.
        scenarios: usize,
        /// Simulated periods per scenario.
        periods: usize,
    },
}

/// Why an item could not be planned (bad settings; blocked items are not errors).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The settings are invalid for every item ([`PlanConfig::validate`]).
    #[error("invalid settings: {0}")]
    Config(ConfigError),
    /// The demand engine refused its inputs.
    #[error("item {key}: {source}")]
    Demand {
        /// The item.
        key: String,
        /// Why.
        source: DemandError,
    },
    /// The policy optimizer refused its inputs.
    #[error("item {key}: {source}")]
    Policy {
        /// The item.
        key: String,
        /// Why.
        source: PolicyError,
    },
}

/// The plan of one item. Blocked items have no recommendation: order nothing and read
/// `diagnostics.reason`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ItemPlan {
    /// The item's key.
    pub key: String,
    /// Point forecast for the W periods.
    pub forecast: Vec<f64>,
    /// The cascade's diagnostics.
    pub diagnostics: Diagnostics,
    /// The decision, unless the cascade blocked the item.
    pub recommendation: Option<Recommendation>,
    /// The planner's override as given, also for a blocked item (for a planned item it
    /// is compared with the optimum in `recommendation.planner_override`).
    pub planner_override: Option<Override>,
}

impl ItemPlan {
    /// The order to place now: the planner's override when there is one, else the
    /// optimum (0 for a blocked item without an override).
    pub fn order_qty(&self) -> f64 {
        match (&self.recommendation, &self.planner_override) {
            (Some(r), _) => r.order_to_place(),
            (None, Some(o)) => o.order_qty.max(0.0),
            (None, None) => 0.0,
        }
    }
}

/// sigma_1 and the RMSE of window errors of an error matrix.
pub fn error_stats(errors: &ErrorMatrix) -> ErrorStats {
    let sd = |x: &[f64]| {
        (x.len() > 1).then(|| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
        })
    };
    let we = errors.window_errors();
    let rmse = (!we.is_empty()).then(|| (we.iter().map(|e| e * e).sum::<f64>() / we.len() as f64).sqrt());
    ErrorStats { sigma_1: sd(errors.one_step()), rmse_w: rmse }
}

/// Plans one item: scenarios from its own stream, then the cheapest policy.
///
/// # Errors
///
/// [`PlanError`] when the settings or the item's position are invalid.
pub fn plan_item(input: &ItemInput<'_>, config: &PlanConfig) -> Result<ItemPlan, PlanError> {
    plan_item_report(input, config, Report::Full)
}

/// The order [`plan_item`] places (0 for a blocked item), by the same code, without the
/// output-only figures a backtest never reads (the reorder point).
pub(crate) fn plan_order(input: &ItemInput<'_>, config: &PlanConfig) -> Result<f64, PlanError> {
    plan_item_report(input, config, Report::Decision).map(|p| p.order_qty())
}

fn plan_item_report(input: &ItemInput<'_>, config: &PlanConfig, report: Report) -> Result<ItemPlan, PlanError> {
    let key = || input.key.to_owned();
    config.validate()?;
    let policy: Cow<'_, PolicyConfig> = match &input.settings {
        Some(s) if !s.is_empty() => {
            let own = s.apply(&config.policy).map_err(|source| PlanError::Policy { key: key(), source })?;
            // The item's own periods must fit the scenario budget too.
            PlanConfig { demand: config.demand.clone(), policy: own.clone(), seed: config.seed }.validate()?;
            Cow::Owned(own)
        }
        _ => Cow::Borrowed(&config.policy),
    };
    let policy = policy.as_ref();
    let window = policy.simulated_periods();
    let demand = if config.demand.window == window {
        Cow::Borrowed(&config.demand)
    } else {
        Cow::Owned(DemandConfig { window, ..config.demand.clone() })
    };
    let mut stream = rng::stream(config.seed, input.key);
    // The scenarios are drawn into this thread's set, reused from item to item.
    with_scenario_set(|set| {
        let (DemandOutcome { forecast, errors, mut diagnostics, .. }, drawn) =
            generate_into(input.history, &demand, input.consensus, &mut stream, set)
                .map_err(|source| PlanError::Demand { key: key(), source })?;
        let recommendation = if drawn {
            Some(
                optimize_report(
                    set,
                    &input.position,
                    policy,
                    Some(error_stats(&errors)),
                    input.planner_override.clone(),
                    report,
                )
                .map_err(|source| PlanError::Policy { key: key(), source })?,
            )
        } else {
            None
        };
        if let Some(r) = &recommendation
            && r.order_qty == 0.0
            && input.position.inventory_position() <= 0.0
            && has_demand_evidence(input.history)
        {
            // The optimizer's candidates include the exact sample-average optimum, so 0 is
            // the cheapest order under the scenarios: say why.
            diagnostics.reason.push_str(&format!(
                "; order 0 with nothing on hand or on order despite demand evidence: at holding {} and shortage {} per unit, the units that would go unsold over the simulated periods cost more than the sales they would save (mean window demand {:.3})",
                policy.holding, policy.shortage, r.mu_w
            ));
        }
        Ok(ItemPlan {
            key: key(),
            forecast,
            diagnostics,
            recommendation,
            planner_override: input.planner_override.clone(),
        })
    })
}

/// Whether a history shows demand: a known period or an out-of-stock period with sales
/// above 0.
fn has_demand_evidence(h: &DemandHistory) -> bool {
    h.values().iter().any(|v| *v > 0.0)
}

/// Runs `f` with this thread's scenario set (a re-entrant call gets a fresh one).
fn with_scenario_set<T>(f: impl FnOnce(&mut ScenarioSet) -> T) -> T {
    thread_local! {
        static SET: RefCell<ScenarioSet> = RefCell::new(ScenarioSet::default());
    }
    crate::pool::with_local(&SET, f)
}

/// The orders of [`plan_batch`], by the same code without the output-only figures.
pub(crate) fn plan_batch_orders(inputs: &[ItemInput<'_>], config: &PlanConfig) -> Vec<Result<f64, PlanError>> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        inputs.par_iter().map(|i| plan_order(i, config)).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        inputs.iter().map(|i| plan_order(i, config)).collect()
    }
}

/// Plans many items. With the `parallel` feature the items run on the rayon pool current
/// at the call: rayon's global pool, or the caller's own when called inside
/// `ThreadPool::install` (it never builds a pool). Results are in input order and
/// bit-identical to the sequential run whatever the pool and thread count, because every
/// item draws only from its own stream.
///
/// ```
/// # #[cfg(feature = "parallel")]
/// # {
/// use invsync_core::demand::{Calendar, DemandHistory};
/// use invsync_core::plan::{ItemInput, PlanConfig, plan_batch};
/// use invsync_core::policy::StockPosition;
/// use invsync_core::Timestamp;
/// let start = Timestamp::from_date(2024, 1, 1).unwrap();
/// let h = DemandHistory::uncensored(start, Calendar::Week, vec![5.0, 7.0, 6.0, 8.0, 5.0, 9.0]).unwrap();
/// let items = [ItemInput::new("S1/A", &h, StockPosition::empty()), ItemInput::new("S1/B", &h, StockPosition::empty())];
/// let config = PlanConfig::default();
/// // A service's own pool (here 2 threads) instead of the global one.
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let plans = pool.install(|| plan_batch(&items, &config));
/// assert_eq!(plans, plan_batch(&items, &config));
/// # }
/// ```
pub fn plan_batch(inputs: &[ItemInput<'_>], config: &PlanConfig) -> Vec<Result<ItemPlan, PlanError>> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        inputs.par_iter().map(|i| plan_item(i, config)).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        inputs.iter().map(|i| plan_item(i, config)).collect()
    }
}

/// A decision rule for the backtester: the order to place at the end of a period, from
/// the history known then and the stock position.
pub trait OrderRule {
    /// The order quantity (>= 0).
    ///
    /// # Errors
    ///
    /// [`PlanError`] when the rule cannot decide (it is never turned into an order of 0).
    fn order(&self, key: &str, known: &DemandHistory, position: &StockPosition) -> Result<f64, PlanError>;
}

/// invsync's own planner as an [`OrderRule`]: exactly [`plan_item`].
#[derive(Debug, Clone)]
pub struct Planner(pub PlanConfig);

impl OrderRule for Planner {
    fn order(&self, key: &str, known: &DemandHistory, position: &StockPosition) -> Result<f64, PlanError> {
        let input = ItemInput::new(key, known, position.clone());
        plan_order(&input, &self.0)
    }
}

/// Stock state carried between periods of a backtest.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SimState {
    /// Units on hand at the end of the last simulated period.
    pub on_hand: f64,
    /// `pipeline[j]` arrives at the start of the (j+1)-th next period.
    pub pipeline: Vec<f64>,
}

/// What a backtest measured.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SimResult {
    /// Holding cost over the counted periods.
    pub holding: f64,
    /// Shortage cost over the counted periods.
    pub shortage: f64,
    /// Units demanded in the counted periods.
    pub demand: f64,
    /// Units sold in the counted periods.
    pub sold: f64,
}

impl SimState {
    /// An empty state with a pipeline reaching `lead_time` periods ahead.
    pub fn empty(lead_time: usize) -> Self {
        SimState { on_hand: 0.0, pipeline: vec![0.0; lead_time + 1] }
    }

    /// The stock position a decision sees: on hand and the next `lead_time` arrivals.
    pub fn position(&self, lead_time: usize) -> StockPosition {
        StockPosition { on_hand: self.on_hand, arrivals: self.pipeline[..lead_time.min(self.pipeline.len())].to_vec() }
    }

    /// Places an order at the end of this period: it arrives `lead_time + 1` periods on.
    /// Negative or non-finite orders count as zero.
    pub fn place(&mut self, lead_time: usize, q: f64) {
        if self.pipeline.len() <= lead_time {
            self.pipeline.resize(lead_time + 1, 0.0);
        }
        self.pipeline[lead_time] += if q.is_finite() { q.max(0.0) } else { 0.0 };
    }

    /// Runs one period of a lost-sales system: receives what arrives, sells
    /// min(stock, demand), loses the rest, pays holding on the end stock.
    pub fn sell_period(&mut self, demand: f64, holding: f64, shortage: f64) -> SimResult {
        if !self.pipeline.is_empty() {
            self.on_hand += self.pipeline.remove(0);
            self.pipeline.push(0.0);
        }
        let sales = self.on_hand.max(0.0).min(demand);
        self.on_hand -= sales;
        SimResult { holding: holding * self.on_hand, shortage: shortage * (demand - sales), demand, sold: sales }
    }
}

/// The recorded demand of period `t` used by simulations: the value (a censored period's
/// sales stand for its demand, a lower bound), 0 when missing or past the end.
pub fn recorded_demand(history: &DemandHistory, t: usize) -> f64 {
    history.values().get(t).copied().filter(|v| !v.is_nan()).unwrap_or(0.0)
}

impl SimResult {
    /// Holding + shortage.
    pub fn cost(&self) -> f64 {
        self.holding + self.shortage
    }

    /// Units sold / units demanded (1 when nothing was demanded).
    pub fn fill_rate(&self) -> f64 {
        if self.demand > 0.0 { self.sold / self.demand } else { 1.0 }
    }

    /// Adds another result.
    pub fn add(&mut self, o: &SimResult) {
        self.holding += o.holding;
        self.shortage += o.shortage;
        self.demand += o.demand;
        self.sold += o.sold;
    }
}

/// One backtest window of a periodic-review, lost-sales system.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Replay {
    /// Index of the last period known at the first decision (decisions are made at the
    /// end of a period).
    pub origin: usize,
    /// Periods simulated after the origin.
    pub periods: usize,
    /// Decisions, one every `review_period` periods from the origin.
    pub decisions: usize,
    /// First simulated period (1-based) whose costs count.
    pub count_from: usize,
}

/// Replays `rule` over `history` from `state`: at each decision the rule sees the history
/// up to the current period and the stock position; its order arrives L periods later, at
/// the start of the period after that; each period sells min(stock, demand), loses the
/// rest, and pays holding on the end stock. Demand in the simulated periods is the
/// recorded value (a censored period's sales are used as its demand: a lower bound;
/// missing periods count as zero). Returns the result and the state after the window.
///
/// # Errors
///
/// The rule's [`PlanError`], the first time it cannot decide.
pub fn replay(
    key: &str,
    history: &DemandHistory,
    rule: &dyn OrderRule,
    policy: &PolicyConfig,
    window: &Replay,
    state: &SimState,
) -> Result<(SimResult, SimState), PlanError> {
    let l = policy.lead_time;
    let r = policy.review_period.max(1);
    let mut state = state.clone();
    let mut result = SimResult::default();
    for step in 0..window.periods {
        let t = window.origin + step; // last known period
        if step % r == 0 && step / r < window.decisions {
            let q = rule.order(key, &history.prefix(t + 1), &state.position(l))?;
            state.place(l, q);
        }
        let period = state.sell_period(recorded_demand(history, t + 1), policy.holding, policy.shortage);
        if step + 1 >= window.count_from {
            result.add(&period);
        }
    }
    state.pipeline.truncate(l.max(1));
    Ok((result, state))
}
