//! The decision rules under test: invsync's planner (any [`PlanConfig`]), the textbook
//! order-up-to formula, or any closure.

use invsync_core::demand::DemandHistory;
use invsync_core::plan::{ItemInput, PlanConfig, PlanError, plan_item};
use invsync_core::policy::{StockPosition, z_for_service};

/// The settings of one decision: lead time, review period and costs (lost sales unless
/// `backorders`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Lead time L: an order placed now arrives at the start of period L + 1.
    pub lead_time: usize,
    /// Review period R (>= 1): the order covers periods L + 1 ..= L + R.
    pub review_period: usize,
    /// Holding cost per unit of end-of-period stock.
    pub holding: f64,
    /// Shortage cost per unit short (lost, or backordered per period with `backorders`).
    pub shortage: f64,
    /// Backorders instead of lost sales.
    pub backorders: bool,
}

impl Settings {
    /// Lost-sales settings.
    pub fn lost_sales(lead_time: usize, review_period: usize, holding: f64, shortage: f64) -> Self {
        Settings { lead_time, review_period, holding, shortage, backorders: false }
    }

    /// The critical ratio p / (p + h).
    pub fn critical_ratio(&self) -> f64 {
        self.shortage / (self.shortage + self.holding)
    }

    /// The settings grid of the suites: L in {1, 2, 4}, R in {1, 2}, p/h in {1, 4, 20}
    /// (h = 1), lost sales.
    pub fn grid() -> Vec<Settings> {
        let mut v = Vec::new();
        for l in [1, 2, 4] {
            for r in [1, 2] {
                for ph in [1.0, 4.0, 20.0] {
                    v.push(Settings::lost_sales(l, r, 1.0, ph));
                }
            }
        }
        v
    }
}

/// Why a rule could not decide (a blocked item is not an error: it orders 0).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The planner refused its settings or inputs.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The rule returned an order that is negative or not a finite number.
    #[error("order {0} is not a finite number >= 0")]
    BadOrder(f64),
}

/// A rule failed in a suite: which rule, item and settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rule {rule}, item {key} (L = {l}, R = {r}, h = {h}, p = {p}): {source}",
    l = .settings.lead_time, r = .settings.review_period, h = .settings.holding, p = .settings.shortage)]
pub struct SuiteError {
    /// The rule's name.
    pub rule: String,
    /// The item key.
    pub key: String,
    /// The settings of the decision.
    pub settings: Settings,
    /// Why (boxed: the planner's errors are large).
    pub source: Box<RuleError>,
}

/// A rule that decides one order: from the history known now (sales, out-of-stock weeks
/// flagged), the stock position and the settings, the quantity to order now (>= 0).
pub trait DecisionRule: Sync {
    /// Name shown in the tables.
    fn name(&self) -> &str;
    /// The order for item `key`.
    ///
    /// # Errors
    ///
    /// [`RuleError`] when the rule cannot decide; the suites stop with a [`SuiteError`].
    fn order(
        &self,
        key: &str,
        history: &DemandHistory,
        position: &StockPosition,
        settings: &Settings,
    ) -> Result<f64, RuleError>;
}

/// `rule`'s order, checked to be a finite number >= 0, or the error naming the rule, item
/// and settings.
///
/// # Errors
///
/// [`SuiteError`] when the rule fails or returns a bad order.
pub fn decide(
    rule: &dyn DecisionRule,
    key: &str,
    history: &DemandHistory,
    position: &StockPosition,
    settings: &Settings,
) -> Result<f64, SuiteError> {
    let fail = |source| SuiteError {
        rule: rule.name().to_owned(),
        key: key.to_owned(),
        settings: *settings,
        source: Box::new(source),
    };
    match rule.order(key, history, position, settings) {
        Ok(q) if q.is_finite() && q >= 0.0 => Ok(q),
        Ok(q) => Err(fail(RuleError::BadOrder(q))),
        Err(e) => Err(fail(e)),
    }
}

/// Any closure as a rule.
pub struct FnRule<F> {
    name: String,
    f: F,
}

impl<F> FnRule<F>
where
    F: Fn(&str, &DemandHistory, &StockPosition, &Settings) -> f64 + Sync,
{
    /// A rule named `name` deciding with `f`.
    pub fn new(name: impl Into<String>, f: F) -> Self {
        FnRule { name: name.into(), f }
    }
}

impl<F> DecisionRule for FnRule<F>
where
    F: Fn(&str, &DemandHistory, &StockPosition, &Settings) -> f64 + Sync,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn order(
        &self,
        key: &str,
        history: &DemandHistory,
        position: &StockPosition,
        settings: &Settings,
    ) -> Result<f64, RuleError> {
        Ok((self.f)(key, history, position, settings))
    }
}

/// invsync's planner with a base configuration whose lead time, review period and costs
/// are replaced by the decision's settings, as `invsync plan` does with its flags. Pooled
/// seasonality is resolved over the item's own history ([`PlanConfig::for_batch`]), as
/// `invsync plan` does for a file holding this one item. A blocked item orders 0; a
/// planner error is a [`RuleError::Plan`].
#[derive(Debug, Clone)]
pub struct Invsync {
    name: String,
    config: PlanConfig,
    /// Set the carry-over from each setting's lead time ([`PlanConfig::carryover_for`]), as
    /// `invsync plan` does for the default profile.
    carryover_follows_lead_time: bool,
}

impl Invsync {
    /// The planner named `name` with `config` as its base.
    pub fn new(name: impl Into<String>, config: PlanConfig) -> Self {
        Invsync { name: name.into(), config, carryover_follows_lead_time: false }
    }

    /// What `invsync plan` runs today: [`PlanConfig::default`] with the carry-over of each
    /// setting's lead time, 1,000 scenarios and seed 42.
    pub fn cli() -> Self {
        Invsync { carryover_follows_lead_time: true, ..Invsync::new("invsync", PlanConfig::default()) }
    }

    /// `invsync plan --profile vn2`: [`PlanConfig::vn2`].
    pub fn vn2() -> Self {
        Invsync::new("vn2", PlanConfig::vn2())
    }

    /// The configuration planning under `settings`.
    pub fn config_for(&self, settings: &Settings) -> PlanConfig {
        let mut c = self.config.clone();
        if self.carryover_follows_lead_time {
            c.policy.carryover = PlanConfig::carryover_for(settings.lead_time);
        }
        c.policy.lead_time = settings.lead_time;
        c.policy.review_period = settings.review_period;
        c.policy.holding = settings.holding;
        c.policy.shortage = settings.shortage;
        c.policy.backorders = settings.backorders;
        c
    }
}

impl DecisionRule for Invsync {
    fn name(&self) -> &str {
        &self.name
    }

    fn order(
        &self,
        key: &str,
        history: &DemandHistory,
        position: &StockPosition,
        settings: &Settings,
    ) -> Result<f64, RuleError> {
        let config = self.config_for(settings).for_batch(std::iter::once(history));
        let input = ItemInput::new(key, history, position.clone());
        Ok(plan_item(&input, &config)?.order_qty())
    }
}

/// The textbook order-up-to rule:
///
/// ```text
/// mu, sd  mean and sample sd of the last 52 in-stock weeks (not flagged, not missing)
/// S       mu (L + R) + z sd sqrt(L + R),  z = Phi^-1(p / (p + h))
/// order   max(0, ceil(S - inventory position))
/// ```
///
/// With fewer than 2 in-stock weeks it uses every recorded week (sales of out-of-stock
/// weeks included); with none it orders 0.
#[derive(Debug, Clone, Copy, Default)]
pub struct Textbook;

impl Textbook {
    /// The order-up-to level S for `history` under `settings` (`None` without data).
    pub fn target(history: &DemandHistory, settings: &Settings) -> Option<f64> {
        let recent = |in_stock_only: bool| -> Vec<f64> {
            let mut v: Vec<f64> = history
                .values()
                .iter()
                .zip(history.censored())
                .rev()
                .filter(|(x, c)| !(x.is_nan() || (in_stock_only && **c)))
                .map(|(x, _)| *x)
                .take(52)
                .collect();
            v.reverse();
            v
        };
        let mut x = recent(true);
        if x.len() < 2 {
            x = recent(false);
        }
        if x.is_empty() {
            return None;
        }
        let n = x.len() as f64;
        let mu = x.iter().sum::<f64>() / n;
        let sd = if x.len() > 1 { (x.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
        let w = (settings.lead_time + settings.review_period) as f64;
        Some(mu * w + z_for_service(settings.critical_ratio()) * sd * w.sqrt())
    }
}

impl DecisionRule for Textbook {
    fn name(&self) -> &str {
        "textbook"
    }

    fn order(
        &self,
        _key: &str,
        history: &DemandHistory,
        position: &StockPosition,
        settings: &Settings,
    ) -> Result<f64, RuleError> {
        Ok(Textbook::target(history, settings)
            .map_or(0.0, |s| (s - position.inventory_position() - 1e-9).ceil().max(0.0)))
    }
}
