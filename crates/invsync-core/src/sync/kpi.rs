//! The measures of how well systems are synchronised and stock is managed.
//!
//! Every function returns `None` where the measure is undefined (no samples, a zero
//! denominator) rather than a made-up number.

use crate::ledger::{Ledger, Movement};
use crate::{ItemId, LocationId, Money, Timestamp};

/// The data-latency target of the mission: 15 minutes.
pub const LATENCY_TARGET_MS: i64 = 15 * 60 * 1000;

/// The record-accuracy target of the mission: 98 %.
pub const ACCURACY_TARGET: f64 = 0.98;

/// Distribution of latencies (milliseconds).
///
/// Percentiles are nearest-rank: the smallest sample with at least p % of the samples at
/// or below it, so every reported value is an observed one.
///
/// ```
/// use invsync_core::sync::LatencySummary;
/// let s = LatencySummary::from_samples(&[1_000, 2_000, 3_000, 1_200_000], 900_000).unwrap();
/// assert_eq!((s.p50_ms, s.p95_ms, s.max_ms), (2_000, 1_200_000, 1_200_000));
/// assert_eq!(s.within_target, 0.75);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LatencySummary {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50_ms: i64,
    /// 95th percentile.
    pub p95_ms: i64,
    /// 99th percentile.
    pub p99_ms: i64,
    /// Largest.
    pub max_ms: i64,
    /// Share of samples at or below the target.
    pub within_target: f64,
}

impl LatencySummary {
    /// Summarises `samples` against `target_ms`; `None` when there are none.
    pub fn from_samples(samples: &[i64], target_ms: i64) -> Option<LatencySummary> {
        if samples.is_empty() {
            return None;
        }
        let mut s = samples.to_vec();
        s.sort_unstable();
        let n = s.len();
        let rank = |p: usize| s[(n * p).div_ceil(100).clamp(1, n) - 1];
        Some(LatencySummary {
            count: n,
            p50_ms: rank(50),
            p95_ms: rank(95),
            p99_ms: rank(99),
            max_ms: s[n - 1],
            within_target: s.partition_point(|&x| x <= target_ms) as f64 / n as f64,
        })
    }
}

/// Record accuracy: records within tolerance / records compared (docs/oracles.md A14).
///
/// ```
/// assert_eq!(invsync_core::sync::accuracy_rate(485, 500), Some(0.97));
/// ```
pub fn accuracy_rate(within_tolerance: usize, compared: usize) -> Option<f64> {
    (compared > 0).then(|| within_tolerance as f64 / compared as f64)
}

/// Stockout rate: the share of observations (say, item x location x day closing
/// quantities) at or below zero.
///
/// ```
/// assert_eq!(invsync_core::sync::stockout_rate([5, 0, 3, 0]), Some(0.5));
/// ```
pub fn stockout_rate(observations: impl IntoIterator<Item = i64>) -> Option<f64> {
    let (mut n, mut out) = (0usize, 0usize);
    for q in observations {
        n += 1;
        out += usize::from(q <= 0);
    }
    (n > 0).then(|| out as f64 / n as f64)
}

/// Fill rate: units delivered from stock / units demanded.
///
/// ```
/// assert_eq!(invsync_core::sync::fill_rate(200, 190), Some(0.95));
/// ```
pub fn fill_rate(demanded: i64, filled: i64) -> Option<f64> {
    (demanded > 0).then(|| filled as f64 / demanded as f64)
}

/// Inventory turnover: cost of goods sold / average inventory value, over one period.
///
/// ```
/// use invsync_core::Money;
/// let t = invsync_core::sync::inventory_turnover(Money::from_units(1_200), Money::from_units(300));
/// assert_eq!(t, Some(4.0));
/// ```
pub fn inventory_turnover(cost_of_goods: Money, average_value: Money) -> Option<f64> {
    (average_value.as_micros() > 0).then(|| cost_of_goods.to_f64() / average_value.to_f64())
}

/// Days of supply: on hand / average daily demand.
///
/// ```
/// assert_eq!(invsync_core::sync::days_of_supply(140, 20.0), Some(7.0));
/// ```
pub fn days_of_supply(on_hand: i64, daily_demand: f64) -> Option<f64> {
    (daily_demand.is_finite() && daily_demand > 0.0).then(|| on_hand as f64 / daily_demand)
}

/// Cost of goods issued and time-weighted average stock value of one item x location over
/// `(from, to]`, straight from the ledger: the inputs of [`inventory_turnover`].
///
/// Cost of goods is the value that left through issues and fulfilments; the average
/// weights each stock value by how long it was held. `None` when `to <= from`.
///
/// ```
/// use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
/// use invsync_core::{EventId, ItemId, LocationId, Money, SourceId, Timestamp};
/// use invsync_core::sync::{inventory_turnover, turnover_inputs};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (i, l) = (ItemId::new("A")?, LocationId::new("S")?);
/// let ev = |id: &str, d, m| -> Result<Event, Box<dyn std::error::Error>> {
///     Ok(Event::new(EventId::new(id)?, SourceId::new("erp")?, i.clone(), l.clone(), Timestamp::from_days(d), m))
/// };
/// let mut ledger = Ledger::new(LedgerConfig::default());
/// ledger.apply(ev("r", 0, Movement::receipt_at(100, Money::from_units(1)))?)?;
/// ledger.apply(ev("s", 5, Movement::issue(50))?)?;
/// // 100 held for 5 days, 50 for 5: average 75; 50 issued.
/// let (cogs, avg) = turnover_inputs(&ledger, &i, &l, Timestamp::from_days(0), Timestamp::from_days(10)).unwrap();
/// assert_eq!((cogs, avg), (Money::from_units(50), Money::from_units(75)));
/// assert_eq!(inventory_turnover(cogs, avg), Some(50.0 / 75.0));
/// # Ok(()) }
/// ```
pub fn turnover_inputs(
    ledger: &Ledger,
    item: &ItemId,
    location: &LocationId,
    from: Timestamp,
    to: Timestamp,
) -> Option<(Money, Money)> {
    let span = i128::from(to.millis_since(from));
    if span <= 0 {
        return None;
    }
    let mut cogs = 0i128;
    let mut area = 0i128;
    let mut value = ledger.value_at(item, location, from).as_micros();
    let mut since = from;
    for h in ledger.history(item, location) {
        let at = h.event.occurred_at;
        if at <= from {
            continue;
        }
        if at > to {
            break;
        }
        area = area.saturating_add(value.saturating_mul(i128::from(at.millis_since(since))));
        value = h.value.as_micros();
        since = at;
        if matches!(h.event.movement, Movement::Issue { .. } | Movement::Fulfil { .. }) {
            cogs = cogs.saturating_sub(h.value_change.as_micros());
        }
    }
    area = area.saturating_add(value.saturating_mul(i128::from(to.millis_since(since))));
    Some((Money::from_micros(cogs), Money::from_micros(area / span)))
}
