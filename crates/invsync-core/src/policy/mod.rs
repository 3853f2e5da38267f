//! The policy optimizer: safety stock as the result of the cheapest policy.
//!
//! For one item, given its scenarios of demand over W = L + R periods and its stock
//! position, every candidate policy is evaluated on the same scenarios (common random
//! numbers) and the cheapest kept. The safety stock reported is what that decision implies:
//! the buffer over mean demand in the periods the order covers (see [`Recommendation`]),
//! set beside the classic `z sigma_d sqrt(L)`.
//!
//! ```
//! use invsync_core::demand::{Family, UncertaintyModel};
//! use invsync_core::policy::{optimize, PolicyConfig, StockPosition};
//! use invsync_core::rng;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = UncertaintyModel::Parametric { family: Family::Normal, bias: 0.0, sd: 8.0, resample: None };
//! let scenarios = model.simulate(&[50.0], 1000, false, &mut rng::stream(1, "C1")).unwrap();
//! let config = PolicyConfig { lead_time: 0, review_period: 1, holding: 0.18, shortage: 0.70,
//!                             integer_orders: false, ..PolicyConfig::default() };
//! let rec = optimize(&scenarios, &StockPosition::empty(), &config, None)?;
//! assert!((rec.target_stock - 56.6).abs() < 1.0); // docs/oracles.md C1
//! # Ok(()) }
//! ```
//!
//! # Policies
//!
//! ```text
//! coverage            B = N x mu_W / W              N in coverage_grid
//! newsvendor          B = q_{p/(p+h)}(window demand)
//! scenario_k          B = mu_W + k sigma_W          sigma_W of the scenarios
//! proportional_k      B = mu_W + k sigma_1 sqrt(W)  sigma_1: sd of one-step errors
//! historical_k        B = mu_W + k RMSE_W           RMSE of historical W-period errors
//! scenario_optimum    the order minimising the sample-average cost (one of the breakpoints)
//! Q = max(0, B - inventory position), then minimum / pack / maximum order constraints
//! ```
//!
//! The lowest expected cost wins. A candidate with a lower B ties with it when its extra
//! expected cost is within one Monte Carlo standard error of the paired cost difference
//! (both are evaluated on the same scenarios, so the paired error is the right yardstick);
//! ties go to the lowest B.

mod classic;
mod window;

pub use classic::{
    classic_safety_stock, k_for_fill_rate, normal_loss, normal_newsvendor_cost, service_of_z, z_for_service,
};

use crate::Timestamp;
use crate::demand::{ScenarioSet, quantile_rank};
use window::Window;

/// Order constraints, applied in this order: a positive order below `min_order` is raised
/// to it; the order is rounded up to a multiple of `pack`; an order above `max_order` is
/// cut to the largest pack multiple not above it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OrderConstraints {
    /// Minimum order quantity (0: none).
    pub min_order: f64,
    /// Order multiple (1: whole units; 0 or less: none).
    pub pack: f64,
    /// Maximum order quantity.
    pub max_order: Option<f64>,
}

impl Default for OrderConstraints {
    fn default() -> Self {
        OrderConstraints { min_order: 0.0, pack: 1.0, max_order: None }
    }
}

impl OrderConstraints {
    /// The constrained order for a raw order `q >= 0`.
    pub fn apply(&self, q: f64) -> f64 {
        let mut q = q.max(0.0);
        if q > 0.0 && q < self.min_order {
            q = self.min_order;
        }
        if self.pack > 0.0 {
            q = crate::float::ceil(q / self.pack - 1e-9).max(0.0) * self.pack;
        }
        if let Some(max) = self.max_order
            && q > max
        {
            q = if self.pack > 0.0 { (max / self.pack + 1e-9).floor() * self.pack } else { max };
        }
        q
    }
}

/// One item's own settings: each field, when given, replaces the [`PolicyConfig`] field of
/// the same meaning for that item (real assortments do not share one lead time).
///
/// ```
/// use invsync_core::policy::{ItemSettings, PolicyConfig};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let item = ItemSettings { lead_time: Some(4), pack: Some(12.0), ..ItemSettings::default() };
/// let config = item.apply(&PolicyConfig::default())?;
/// assert_eq!((config.lead_time, config.constraints.pack), (4, 12.0));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ItemSettings {
    /// Lead time L in periods.
    pub lead_time: Option<usize>,
    /// Review period R in periods.
    pub review_period: Option<usize>,
    /// Holding cost per unit of end-of-period stock.
    pub holding: Option<f64>,
    /// Shortage cost per unit of unmet demand.
    pub shortage: Option<f64>,
    /// Minimum order quantity.
    pub min_order: Option<f64>,
    /// Order multiple.
    pub pack: Option<f64>,
    /// Maximum order quantity.
    pub max_order: Option<f64>,
    /// Backorders (true) or lost sales (false).
    pub backorders: Option<bool>,
}

impl ItemSettings {
    /// Whether no field is given.
    pub fn is_empty(&self) -> bool {
        *self == ItemSettings::default()
    }

    /// `base` with the given fields replaced, validated.
    ///
    /// # Errors
    ///
    /// [`PolicyError`] naming the first bad field of the result.
    pub fn apply(&self, base: &PolicyConfig) -> Result<PolicyConfig, PolicyError> {
        let mut c = base.clone();
        c.lead_time = self.lead_time.unwrap_or(c.lead_time);
        c.review_period = self.review_period.unwrap_or(c.review_period);
        c.holding = self.holding.unwrap_or(c.holding);
        c.shortage = self.shortage.unwrap_or(c.shortage);
        c.constraints.min_order = self.min_order.unwrap_or(c.constraints.min_order);
        c.constraints.pack = self.pack.unwrap_or(c.constraints.pack);
        if self.max_order.is_some() {
            c.constraints.max_order = self.max_order;
        }
        c.backorders = self.backorders.unwrap_or(c.backorders);
        c.validate()?;
        Ok(c)
    }
}

/// Planner settings.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PolicyConfig {
    /// Lead time L in periods (the order arrives at the start of period L + 1).
    pub lead_time: usize,
    /// Review period R in periods (>= 1).
    pub review_period: usize,
    /// Holding cost per unit of end-of-period stock.
    pub holding: f64,
    /// Shortage cost per unit of unmet demand (per unit backordered per period, with
    /// backorders).
    pub shortage: f64,
    /// Fixed cost per order placed.
    pub fixed_order_cost: f64,
    /// Backorders instead of lost sales.
    pub backorders: bool,
    /// Carry-over periods E simulated after the window: stock left from this order keeps
    /// paying holding there, while shortages there are left to later orders. 0 = the plain
    /// window model. Scenarios must then span L + R + E periods.
    pub carryover: usize,
    /// Safety factors k tried by the k policies.
    pub k_grid: Vec<f64>,
    /// Periods of coverage N tried by the coverage policy.
    pub coverage_grid: Vec<f64>,
    /// Also try the exact sample-average optimum.
    pub scenario_optimum: bool,
    /// Whole-unit orders.
    pub integer_orders: bool,
    /// Order constraints.
    pub constraints: OrderConstraints,
}

impl Default for PolicyConfig {
    /// L = 2, R = 1, holding 0.2, shortage 1.0 (the VN2 rules), k 0.1..=5.0 by 0.1,
    /// coverage 1..=12 periods.
    fn default() -> Self {
        PolicyConfig {
            lead_time: 2,
            review_period: 1,
            holding: 0.2,
            shortage: 1.0,
            fixed_order_cost: 0.0,
            backorders: false,
            carryover: 0,
            k_grid: (1..=50).map(|i| f64::from(i) / 10.0).collect(),
            coverage_grid: (1..=12).map(f64::from).collect(),
            scenario_optimum: true,
            integer_orders: true,
            constraints: OrderConstraints::default(),
        }
    }
}

impl PolicyConfig {
    /// W = L + R.
    pub fn window(&self) -> usize {
        self.lead_time + self.review_period
    }

    /// Periods each scenario must span: L + R + carry-over.
    pub fn simulated_periods(&self) -> usize {
        self.window() + self.carryover
    }

    /// Checks every field.
    ///
    /// # Errors
    ///
    /// [`PolicyError`] naming the first bad field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let cost = |name: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 { Ok(()) } else { Err(PolicyError::BadCost { name, value: v }) }
        };
        cost("holding", self.holding)?;
        cost("shortage", self.shortage)?;
        cost("fixed_order_cost", self.fixed_order_cost)?;
        if self.review_period == 0 {
            return Err(PolicyError::ZeroReviewPeriod);
        }
        for (name, value) in
            [("lead_time", self.lead_time), ("review_period", self.review_period), ("carryover", self.carryover)]
        {
            if value > MAX_PERIODS {
                return Err(PolicyError::TooManyPeriods { name, value });
            }
        }
        if self.k_grid.iter().any(|k| !k.is_finite()) {
            return Err(PolicyError::BadGrid { name: "k_grid" });
        }
        if self.coverage_grid.iter().any(|n| !(n.is_finite() && *n > 0.0)) {
            return Err(PolicyError::BadGrid { name: "coverage_grid" });
        }
        let c = &self.constraints;
        if !(c.min_order.is_finite() && c.min_order >= 0.0 && c.pack.is_finite())
            || c.max_order.is_some_and(|m| !(m.is_finite() && m >= c.min_order))
        {
            return Err(PolicyError::BadConstraints);
        }
        Ok(())
    }
}

/// Stock on hand and what is on its way.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StockPosition {
    /// Units on hand now.
    pub on_hand: f64,
    /// `arrivals[i]` arrives at the start of period `i + 1` (at most L entries).
    pub arrivals: Vec<f64>,
}

impl StockPosition {
    /// Nothing on hand, nothing coming.
    pub fn empty() -> Self {
        StockPosition::default()
    }

    /// On hand plus everything in transit.
    pub fn inventory_position(&self) -> f64 {
        self.on_hand + self.arrivals.iter().sum::<f64>()
    }
}

/// Why the planner refused its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A cost is negative or not finite.
    #[error("{name} cost {value} must be a finite number >= 0")]
    BadCost {
        /// Which cost.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// R = 0: there is no window to plan.
    #[error("the review period must be at least one period")]
    ZeroReviewPeriod,
    /// L, R or the carry-over exceeds [`MAX_PERIODS`].
    #[error("{name} is {value} periods, more than the {max} allowed", max = MAX_PERIODS)]
    TooManyPeriods {
        /// Which setting.
        name: &'static str,
        /// Its value.
        value: usize,
    },
    /// A grid holds a value that is not finite (or a non-positive coverage).
    #[error("{name} holds a value that is not a finite number (coverage must be > 0)")]
    BadGrid {
        /// Which grid.
        name: &'static str,
    },
    /// Order constraints are inconsistent.
    #[error("order constraints must be finite, >= 0, with max_order >= min_order")]
    BadConstraints,
    /// The scenarios do not span W = L + R periods.
    #[error("scenarios span {got} periods but lead time + review period = {expected}")]
    WindowMismatch {
        /// W.
        expected: usize,
        /// The scenarios' length.
        got: usize,
    },
    /// The stock position is not finite, or has more arrivals than the lead time allows.
    #[error("stock position must be finite with at most {lead_time} arrivals (one per lead-time period)")]
    BadPosition {
        /// L.
        lead_time: usize,
    },
    /// The stock position and scenario demand are too large for `f64` arithmetic: a
    /// window total, sigma_W or a simulated stock level is not finite.
    #[error(
        "stock position and scenario demand are too large to plan: a window total, sigma_W or a simulated stock level overflows f64"
    )]
    Overflow,
}

/// The largest lead time, review period or carry-over (periods) a policy may have.
pub const MAX_PERIODS: usize = 1_000;

/// Which policy produced a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum PolicyKind {
    /// B = N periods of mean demand.
    Coverage,
    /// B = critical-ratio quantile of window demand.
    Newsvendor,
    /// B = mu_W + k sigma_W (scenarios).
    ScenarioK,
    /// B = mu_W + k sigma_1 sqrt(W).
    ProportionalK,
    /// B = mu_W + k RMSE of historical window errors.
    HistoricalK,
    /// The sample-average optimum.
    ScenarioOptimum,
    /// A planner's override.
    Override,
}

impl PolicyKind {
    /// Snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Coverage => "coverage",
            PolicyKind::Newsvendor => "newsvendor",
            PolicyKind::ScenarioK => "scenario_k",
            PolicyKind::ProportionalK => "proportional_k",
            PolicyKind::HistoricalK => "historical_k",
            PolicyKind::ScenarioOptimum => "scenario_optimum",
            PolicyKind::Override => "override",
        }
    }
}

/// Where the stock stands before this order, from the projected net flow at the order's
/// arrival: on hand plus every arrival within the lead time minus the mean demand of the
/// lead time (`projected_stock`), and the mean demand of the periods the order covers
/// (`mu_covered`, periods L+1..=L+R).
///
/// ```text
/// out_of_stock  projected_stock <= 0: nothing expected to be left when the order arrives
/// depleted      projected_stock < mu_covered: it will not cover the mean demand until
///               the next order arrives
/// reorder       otherwise, and the decision orders
/// optimal       the decision orders nothing, and the position less one review period of
///               mean demand is at or below the reorder point (the next review orders)
/// excess        the decision orders nothing, and even the next review would not order
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum StockStatus {
    /// Nothing expected to be left when the order arrives.
    OutOfStock,
    /// The stock expected at the order's arrival is below the mean demand it must cover.
    Depleted,
    /// The decision orders.
    Reorder,
    /// No order now; the next review is expected to order.
    Optimal,
    /// No order now, nor at the next review.
    Excess,
}

impl StockStatus {
    /// Snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StockStatus::OutOfStock => "out_of_stock",
            StockStatus::Depleted => "depleted",
            StockStatus::Reorder => "reorder",
            StockStatus::Optimal => "optimal",
            StockStatus::Excess => "excess",
        }
    }
}

/// Statistics that describe the item's historical forecast errors, for the
/// proportional-variance and historical-error policies.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ErrorStats {
    /// Standard deviation of one-step errors (sigma_1).
    pub sigma_1: Option<f64>,
    /// Root mean square of historical W-period cumulative errors.
    pub rmse_w: Option<f64>,
}

/// A planner's override of the order quantity, with who, when and why.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Override {
    /// The order quantity to place instead.
    pub order_qty: f64,
    /// Who decided.
    pub who: String,
    /// When, if recorded.
    pub at: Option<Timestamp>,
    /// Why.
    pub why: String,
}

/// How a decision performs on the scenarios.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Evaluation {
    /// Order quantity.
    pub order_qty: f64,
    /// Expected holding cost over the window.
    pub holding_cost: f64,
    /// Expected shortage cost over the window.
    pub shortage_cost: f64,
    /// Fixed order cost (0 when nothing is ordered).
    pub order_cost: f64,
    /// Holding + shortage + order cost: `committed_cost + controllable_cost`.
    pub expected_cost: f64,
    /// The expected cost of the periods before the order arrives (1..=L): already
    /// committed, whatever is ordered now.
    pub committed_cost: f64,
    /// The part of the expected cost the order changes: periods L+1 on (and the fixed
    /// order cost).
    pub controllable_cost: f64,
    /// Standard error of the expected cost.
    pub cost_se: f64,
    /// Units sold / units demanded in the periods the order affects (L+1..=L+R), over
    /// all scenarios.
    pub fill_rate: f64,
    /// Units sold / units demanded over the whole window (1..=L+R), over all scenarios.
    pub window_fill_rate: f64,
    /// Share of scenarios with no unmet demand after the order arrives (periods L+1..=W).
    pub cycle_service: f64,
    /// Share of scenarios with unmet demand in any period of the window.
    pub stockout_probability: f64,
}

/// One candidate decision and its expected cost on the scenarios.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Candidate {
    /// The policy.
    pub policy: PolicyKind,
    /// Its parameter (k, N, critical ratio), if any.
    pub parameter: Option<f64>,
    /// Target B.
    pub target: f64,
    /// Order quantity it implies (constraints applied).
    pub order_qty: f64,
    /// Expected cost (exact over the scenarios, by the breakpoint sweep).
    pub expected_cost: f64,
}

/// A planner's override and how it compares with the optimum on the same scenarios.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OverrideOutcome {
    /// The override as given (who, when, why: the audit trail).
    pub planner_override: Override,
    /// How the overridden order performs.
    pub evaluation: Evaluation,
    /// The inventory position the overridden order reaches (position + order).
    pub target_stock: f64,
    /// The safety stock the overridden order implies (as [`Recommendation::safety_stock`]).
    pub safety_stock: f64,
    /// `safety_stock / sigma_covered`, when that sigma is positive.
    pub implied_k: Option<f64>,
    /// The override's expected cost minus the optimum's (>= 0 up to Monte Carlo noise).
    pub cost_difference: f64,
}

/// One item's recommendation.
///
/// ```text
/// x            stock left at the end of period L, just before the order arrives (a
///              scenario's value; net of backorders with backorders)
/// C_R          demand of the periods the order covers, L+1..=L+R (up to the next arrival)
/// safety_stock = mean(x) + order_qty - mean(C_R)      the buffer over mean covered demand
/// sigma_covered = sd(x - C_R)                          sd of the stock left at the end
/// implied_k    = safety_stock / sigma_covered
/// ```
///
/// On Normal(100, 20) i.i.d. demand with L = 2, R = 1 and p / h = 4 this is the textbook
/// `z sigma` (z = Phi^-1(0.8) = 0.8416): with backorders, or lost sales and a position
/// that is not run down before the order arrives, sigma_covered = 20 sqrt(3) and the
/// safety stock 29.15; from an empty shelf under lost sales (x = 0) sigma_covered = 20 and
/// the safety stock 16.83 (docs/oracles.md, P1-P3).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Recommendation {
    /// The winning policy.
    pub policy: PolicyKind,
    /// Its parameter: k (k policies), N (coverage), the critical ratio (newsvendor), or
    /// none (scenario optimum).
    pub parameter: Option<f64>,
    /// Target stock B. When the decision orders, the inventory position it reaches
    /// (position + order, so whole units, packs and limits are reflected); when it orders
    /// nothing, the policy's own B, which may lie below the position (excess stock).
    pub target_stock: f64,
    /// The inventory position at or below which the planner orders, the arrivals as given:
    /// the largest whole-unit position at which the sample-average optimum's order is
    /// positive (without whole-unit orders, the position below which it is). It does not
    /// depend on what is on hand now. With a fixed order cost, the winning policy's own
    /// level B (its position at or below which it orders), or `None` for the scenario
    /// optimum, an (s, S) rule; `None` too when no position gets an order (a maximum
    /// order of 0, or arrivals that already cover every scenario).
    pub reorder_point: Option<f64>,
    /// Order quantity now, constraints applied.
    pub order_qty: f64,
    /// The buffer over mean demand in the periods the order covers: the stock expected at
    /// the order's arrival plus the order, minus the mean demand from its arrival to the
    /// next arrival (periods L+1..=L+R). Negative only where under-covering is cheaper.
    pub safety_stock: f64,
    /// Standard deviation of the stock left at the end of the covered periods before the
    /// order (`x - C_R`): the spread the safety stock protects against.
    pub sigma_covered: f64,
    /// `safety_stock / sigma_covered`, when that sigma is positive.
    pub implied_k: Option<f64>,
    /// Mean demand of the covered periods L+1..=L+R.
    pub mu_covered: f64,
    /// On hand plus every arrival within the lead time minus the mean lead-time demand:
    /// the projected net flow at the order's arrival, before the order.
    pub projected_stock: f64,
    /// Mean window demand.
    pub mu_w: f64,
    /// Standard deviation of window demand.
    pub sigma_w: f64,
    /// Per-period demand standard deviation used by the classic formula.
    pub sigma_d: f64,
    /// How the decision performs.
    pub evaluation: Evaluation,
    /// Classic `z sigma_d sqrt(L)` for the decision's own cycle service level.
    pub classic_safety_stock: f64,
    /// Classic `z sigma_d sqrt(L + R)` for the same service level.
    pub classic_safety_stock_window: f64,
    /// Expected cost of B = mu_W + k sigma_W for each k of the grid.
    pub cost_curve: Vec<(f64, f64)>,
    /// Where the stock stands.
    pub status: StockStatus,
    /// Every candidate evaluated.
    pub candidates: Vec<Candidate>,
    /// The planner's override and how it compares with the optimum, if any.
    pub planner_override: Option<OverrideOutcome>,
}

impl Recommendation {
    /// The safety factor k of a k policy (`scenario_k`, `proportional_k`, `historical_k`);
    /// `None` for the other policies (their own parameter is in `parameter`, and
    /// `implied_k` applies to every policy).
    pub fn k(&self) -> Option<f64> {
        match self.policy {
            PolicyKind::ScenarioK | PolicyKind::ProportionalK | PolicyKind::HistoricalK => self.parameter,
            _ => None,
        }
    }

    /// The order to place: the planner's override when there is one, else the optimum.
    pub fn order_to_place(&self) -> f64 {
        self.planner_override.as_ref().map_or(self.order_qty, |o| o.evaluation.order_qty)
    }
}

/// Chooses the cheapest policy for one item.
///
/// # Errors
///
/// [`PolicyError`] for invalid settings, a position that does not fit the lead time, or
/// scenarios that do not span W periods.
pub fn optimize(
    scenarios: &ScenarioSet,
    position: &StockPosition,
    config: &PolicyConfig,
    errors: Option<ErrorStats>,
) -> Result<Recommendation, PolicyError> {
    optimize_with_override(scenarios, position, config, errors, None)
}

/// As [`optimize`], also evaluating a planner's override of the order quantity.
///
/// # Errors
///
/// As [`optimize`].
pub fn optimize_with_override(
    scenarios: &ScenarioSet,
    position: &StockPosition,
    config: &PolicyConfig,
    errors: Option<ErrorStats>,
    planner_override: Option<Override>,
) -> Result<Recommendation, PolicyError> {
    optimize_report(scenarios, position, config, errors, planner_override, Report::Full)
}

/// What [`optimize_report`] computes beyond the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Report {
    /// Every figure of the recommendation.
    Full,
    /// The decision and its evaluation only: `reorder_point` is left `None` (a backtest
    /// reads only the order; the decision is computed by the same code either way).
    Decision,
}

/// [`optimize_with_override`], with the output-only reorder point skipped on request.
pub(crate) fn optimize_report(
    scenarios: &ScenarioSet,
    position: &StockPosition,
    config: &PolicyConfig,
    errors: Option<ErrorStats>,
    planner_override: Option<Override>,
    report: Report,
) -> Result<Recommendation, PolicyError> {
    config.validate()?;
    let w = config.window();
    let sim_w = config.simulated_periods();
    if scenarios.w() != sim_w {
        return Err(PolicyError::WindowMismatch { expected: sim_w, got: scenarios.w() });
    }
    if !position.on_hand.is_finite()
        || position.arrivals.len() > config.lead_time
        || position.arrivals.iter().any(|a| !(a.is_finite() && *a >= 0.0))
    {
        return Err(PolicyError::BadPosition { lead_time: config.lead_time });
    }
    let win = Window {
        lead_time: config.lead_time,
        w: sim_w,
        review: config.review_period,
        on_hand: position.on_hand,
        arrivals: &position.arrivals,
        holding: config.holding,
        shortage: config.shortage,
        backorders: config.backorders,
    };
    let values = scenarios.values();
    let prepared = win.prepare(values);
    let ip = position.inventory_position();
    // Window statistics over W = L + R (the carry-over periods are for costing only).
    // (Without carry-over these are the set's own totals, mu_W and sigma_W, computed once
    // by the same formulas.)
    let owned: Vec<f64>;
    let (window_totals, mu_w, sigma_w): (&[f64], f64, f64) = if sim_w == w {
        (scenarios.totals(), scenarios.mu_w(), scenarios.sigma_w())
    } else {
        owned = values.chunks_exact(sim_w).map(|p| p[..w].iter().sum()).collect();
        let n_s = owned.len().max(1) as f64;
        let mu_w = owned.iter().sum::<f64>() / n_s;
        let sigma_w = if owned.len() > 1 {
            (owned.iter().map(|t| (t - mu_w).powi(2)).sum::<f64>() / (n_s - 1.0)).sqrt()
        } else {
            0.0
        };
        (&owned, mu_w, sigma_w)
    };
    // Overflowed sums would make the sweeps over the breakpoints meaningless (NaN compares
    // false), so they are refused here.
    if !(prepared.breakpoints_finite()
        && [mu_w, sigma_w, scenarios.mu_w(), scenarios.sigma_w()].into_iter().all(f64::is_finite))
    {
        return Err(PolicyError::Overflow);
    }
    let order_of = |b: f64| {
        let raw = (b - ip).max(0.0);
        let raw = if config.integer_orders { crate::float::ceil(raw - 1e-9).max(0.0) } else { raw };
        config.constraints.apply(raw)
    };

    // Candidates: (policy, parameter, B).
    let mut cands: Vec<(PolicyKind, Option<f64>, f64)> =
        Vec::with_capacity(config.coverage_grid.len() + 3 * config.k_grid.len() + 4);
    for &n in &config.coverage_grid {
        cands.push((PolicyKind::Coverage, Some(n), n * mu_w / w as f64));
    }
    let ratio =
        if config.holding + config.shortage > 0.0 { config.shortage / (config.holding + config.shortage) } else { 0.5 };
    let newsvendor_b = {
        // The inverse-ECDF quantile by selection (O(S)), as ScenarioSet::quantile.
        if window_totals.is_empty() {
            0.0
        } else {
            window::quantile_total(window_totals, quantile_rank(window_totals.len(), ratio))
        }
    };
    cands.push((PolicyKind::Newsvendor, Some(ratio), newsvendor_b));
    let sigmas = [
        (PolicyKind::ScenarioK, Some(sigma_w)),
        (PolicyKind::ProportionalK, errors.and_then(|e| e.sigma_1).map(|s| s * (w as f64).sqrt())),
        (PolicyKind::HistoricalK, errors.and_then(|e| e.rmse_w)),
    ];
    for (kind, sigma) in sigmas {
        if let Some(sigma) = sigma.filter(|s| s.is_finite()) {
            for &k in &config.k_grid {
                cands.push((kind, Some(k), mu_w + k * sigma));
            }
        }
    }
    if config.scenario_optimum {
        let q = prepared.saa_minimizer();
        let qs = if config.integer_orders { [Some(q.floor()), Some(q.ceil())] } else { [Some(q), None] };
        for q in qs.into_iter().flatten() {
            cands.push((PolicyKind::ScenarioOptimum, None, ip + q));
        }
        if config.fixed_order_cost > 0.0 {
            // With a fixed cost, ordering nothing may beat the variable-cost optimum.
            cands.push((PolicyKind::ScenarioOptimum, None, ip));
        }
    }

    let orders: Vec<f64> = cands.iter().map(|c| order_of(c.2)).collect();
    let costs = prepared.evaluate(&orders, config.holding, config.shortage);
    let total = |i: usize| costs[i].0 + costs[i].1 + if orders[i] > 0.0 { config.fixed_order_cost } else { 0.0 };
    let best = (0..cands.len()).min_by(|&a, &b| total(a).total_cmp(&total(b))).unwrap_or(0);
    // Ties go to the lowest B: a candidate ties with the best when its extra cost is within
    // one standard error of the paired (common-random-number) cost difference. Candidates
    // are tried from the lowest B up; the first tie wins.
    let mut by_b: Vec<usize> = Vec::with_capacity(cands.len());
    by_b.extend((0..cands.len()).filter(|&i| cands[i].2 <= cands[best].2));
    by_b.sort_by(|&a, &b| cands[a].2.total_cmp(&cands[b].2).then(orders[a].total_cmp(&orders[b])));
    let fixed = |q: f64| if q > 0.0 { config.fixed_order_cost } else { 0.0 };
    // The best candidate's per-scenario costs, computed once, when a tie is first checked.
    let mut best_costs = None;
    // Per-scenario cost is Lipschitz in Q with constant max(h, p) R, which bounds the
    // paired standard error: candidates beyond it cannot tie.
    let lip = config.holding.max(config.shortage) * config.review_period as f64;
    let sqrt_s = (scenarios.len() as f64).sqrt();
    let chosen = by_b
        .into_iter()
        .find(|&i| {
            if orders[i] == orders[best] {
                return true;
            }
            let bound = lip * (orders[i] - orders[best]).abs() / sqrt_s;
            if total(i) - total(best) > bound {
                return false;
            }
            let costs_b = best_costs.get_or_insert_with(|| prepared.scenario_costs(orders[best]));
            let (diff, se) = prepared.paired_difference(orders[i], costs_b);
            diff + fixed(orders[i]) - fixed(orders[best]) <= se
        })
        .unwrap_or(best);

    let evaluate = |q: f64, simulate: bool| {
        // The decision's own figures come from the prepared state; an override is
        // simulated period by period (the two agree: see the policy tests).
        let d = if simulate { win.direct(values, q) } else { prepared.outcome(q) };
        let order_cost = if q > 0.0 { config.fixed_order_cost } else { 0.0 };
        let expected_cost = d.holding + d.shortage + order_cost;
        Evaluation {
            order_qty: q,
            holding_cost: d.holding,
            shortage_cost: d.shortage,
            order_cost,
            expected_cost,
            committed_cost: d.committed,
            controllable_cost: expected_cost - d.committed,
            cost_se: d.cost_se,
            fill_rate: d.covered_fill_rate,
            window_fill_rate: d.fill_rate,
            cycle_service: d.cycle_service,
            stockout_probability: d.stockout_probability,
        }
    };
    let (policy, parameter, policy_b) = cands[chosen];
    let order_qty = orders[chosen];
    let evaluation = evaluate(order_qty, false);
    // The level the decision reaches when it orders (whole units, packs and limits
    // applied); the policy's own B when it orders nothing (possibly below the position).
    let target_stock = if order_qty > 0.0 { ip + order_qty } else { policy_b };
    let (safety_stock, sigma_covered, mu_covered) = prepared.covered(order_qty);
    let implied = |ss: f64| (sigma_covered > 0.0).then(|| ss / sigma_covered);
    let mu_l = if w > 0 {
        values.chunks_exact(sim_w).map(|p| p[..config.lead_time].iter().sum::<f64>()).sum::<f64>()
            / scenarios.len().max(1) as f64
    } else {
        0.0
    };
    // The position at or below which ordering pays: where the sample-average optimum's
    // order turns positive, found on the scenarios with the arrivals as given (under lost
    // sales the optimum's level depends on how the position splits between on hand and
    // arrivals, so it is searched by varying on hand). It is the same whatever is on hand
    // now, unlike the winning candidate's own B: under lost sales a different candidate
    // wins from an empty shelf than from a full one, and when nothing is ordered every
    // candidate whose level lies below the position ties and the lowest is reported. With
    // a fixed order cost the optimum is an (s, S) rule and the winner's B stands in.
    let threshold = if report == Report::Decision {
        None
    } else if config.fixed_order_cost > 0.0 {
        (policy != PolicyKind::ScenarioOptimum).then_some(policy_b)
    } else {
        win.saa_threshold(values).map(|h| position.arrivals.iter().sum::<f64>() + h)
    }
    .filter(|_| config.constraints.max_order.is_none_or(|m| config.constraints.apply(m.max(1.0)) > 0.0));
    let reorder_point = threshold.map(|t| if config.integer_orders { crate::float::ceil(t - 1e-9) - 1.0 } else { t });
    let projected_stock = ip - mu_l;
    let sigma_d = errors.and_then(|e| e.sigma_1).unwrap_or(sigma_w / (w as f64).sqrt());
    let z = z_for_service(evaluation.cycle_service);
    let mut cost_curve = Vec::with_capacity(config.k_grid.len());
    cost_curve.extend(
        cands
            .iter()
            .enumerate()
            .filter(|(_, c)| c.0 == PolicyKind::ScenarioK)
            .map(|(i, c)| (c.1.unwrap_or(0.0), total(i))),
    );
    let status = if projected_stock <= 0.0 {
        StockStatus::OutOfStock
    } else if projected_stock < mu_covered {
        StockStatus::Depleted
    } else if order_qty > 0.0 {
        StockStatus::Reorder
    } else if reorder_point.is_some_and(|s| ip - mu_covered <= s) {
        StockStatus::Optimal
    } else {
        StockStatus::Excess
    };
    let planner_override = planner_override.map(|o| {
        let q = o.order_qty.max(0.0);
        let e = evaluate(q, true);
        let (ss, _, _) = prepared.covered(q);
        OverrideOutcome {
            planner_override: o,
            cost_difference: e.expected_cost - evaluation.expected_cost,
            evaluation: e,
            target_stock: ip + q,
            safety_stock: ss,
            implied_k: implied(ss),
        }
    });
    Ok(Recommendation {
        policy,
        parameter,
        target_stock,
        reorder_point,
        order_qty,
        safety_stock,
        sigma_covered,
        implied_k: implied(safety_stock),
        mu_covered,
        projected_stock,
        mu_w,
        sigma_w,
        sigma_d,
        evaluation,
        classic_safety_stock: classic_safety_stock(z, sigma_d, config.lead_time as f64),
        classic_safety_stock_window: classic_safety_stock(z, sigma_d, w as f64),
        cost_curve,
        status,
        candidates: cands
            .iter()
            .enumerate()
            .map(|(i, c)| Candidate {
                policy: c.0,
                parameter: c.1,
                target: c.2,
                order_qty: orders[i],
                expected_cost: total(i),
            })
            .collect(),
        planner_override,
    })
}
