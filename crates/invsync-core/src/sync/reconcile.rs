//! Reconciliation: a physical count (or another system's snapshot) against the ledger as
//! of the same instant.
//!
//! ```text
//! variance        = counted - system (system = ledger on hand as of the count instant)
//! within          |variance| <= max(tolerance(class) x system, floor)
//! accuracy        = records within tolerance (match or within) / records compared
//! ```
//!
//! Variances are never netted: +5 and -5 are two wrong records (docs/oracles.md A14). ABC
//! classes rank item x locations by annual value (cost of goods issued in the 365 days
//! before the count): the first 80 % of value is A, the next 15 % B, the rest C (a record
//! straddling a boundary goes by the midpoint of its slice).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ledger::{Event, Ledger, Movement};
use crate::{EventId, ItemId, LocationId, Money, SourceId, Timestamp};

/// ABC class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Abc {
    /// Top 80 % of annual value.
    A,
    /// Next 15 %.
    B,
    /// The rest.
    C,
}

/// Classifies values: sorted by value, descending (ties by key order), each record by the
/// midpoint of its slice of the cumulative share: below 80 % A, below 95 % B, else C.
///
/// ```
/// use invsync_core::sync::{abc_classes, Abc};
/// let c = abc_classes(&[("x", 80.0), ("y", 15.0), ("z", 5.0)]);
/// assert_eq!(c, vec![Abc::A, Abc::B, Abc::C]);
/// ```
pub fn abc_classes<K: Ord>(values: &[(K, f64)]) -> Vec<Abc> {
    let total: f64 = values.iter().map(|v| v.1.max(0.0)).sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].1.total_cmp(&values[a].1).then(values[a].0.cmp(&values[b].0)));
    let mut out = vec![Abc::C; values.len()];
    let mut cum = 0.0;
    for i in order {
        // The class is decided by the midpoint of the record's slice of cumulative value:
        // the share before it would favour the boundary record, the share after it would
        // make a record holding most of the value alone a C.
        let v = values[i].1.max(0.0);
        let share = if total > 0.0 { (cum + v / 2.0) / total } else { 1.0 };
        out[i] = if share < 0.80 - 1e-12 {
            Abc::A
        } else if share < 0.95 - 1e-12 {
            Abc::B
        } else {
            Abc::C
        };
        cum += v;
    }
    out
}

/// Tolerances and thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReconcileConfig {
    /// Relative tolerance of class A (default 0.01).
    pub tolerance_a: f64,
    /// Of class B (0.03).
    pub tolerance_b: f64,
    /// Of class C (0.05).
    pub tolerance_c: f64,
    /// Absolute floor in units: a variance this small is always within tolerance (0).
    pub floor: i64,
    /// Proposed adjustments worth more than this need approval.
    pub approval_threshold: Money,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            tolerance_a: 0.01,
            tolerance_b: 0.03,
            tolerance_c: 0.05,
            floor: 0,
            approval_threshold: Money::from_units(1000),
        }
    }
}

/// One counted (or snapshot) record.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CountRecord {
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// Units counted.
    pub counted: i64,
}

/// How a record compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MatchStatus {
    /// Counted equals system.
    Match,
    /// Different, within tolerance.
    WithinTolerance,
    /// Beyond tolerance.
    Mismatch,
    /// Counted, but the ledger has never seen this item x location.
    MissingInLedger,
    /// The ledger holds stock here at a counted location, but the count has no record.
    MissingInCount,
}

impl MatchStatus {
    /// Snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Match => "match",
            MatchStatus::WithinTolerance => "within_tolerance",
            MatchStatus::Mismatch => "mismatch",
            MatchStatus::MissingInLedger => "missing_in_ledger",
            MatchStatus::MissingInCount => "missing_in_count",
        }
    }

    /// Whether the record counts as accurate.
    pub fn is_accurate(self) -> bool {
        matches!(self, MatchStatus::Match | MatchStatus::WithinTolerance)
    }
}

/// One line of a reconciliation report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReconcileLine {
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// Ledger on hand as of the count instant.
    pub system: i64,
    /// Units counted (`None`: missing in count).
    pub counted: Option<i64>,
    /// counted - system (missing in count: -system).
    pub variance: i64,
    /// Variance at the ledger's unit cost as of the count instant.
    pub variance_value: Money,
    /// ABC class.
    pub class: Abc,
    /// Status.
    pub status: MatchStatus,
    /// A proposed correcting event (a count anchored at the count instant), if any.
    pub proposal: Option<Event>,
    /// The proposal is worth more than the approval threshold.
    pub needs_approval: bool,
}

/// A reconciliation report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReconcileReport {
    /// The count instant.
    pub at: Timestamp,
    /// Lines, sorted by item then location.
    pub lines: Vec<ReconcileLine>,
    /// Records within tolerance / records compared (1 when nothing was compared).
    pub accuracy: f64,
    /// Sum of |variance| in units (never netted).
    pub absolute_variance: i64,
    /// Sum of variance in units (reported, never used for accuracy).
    pub net_variance: i64,
    /// Sum of |variance value|.
    pub absolute_value: Money,
}

/// Why a set of counts cannot be reconciled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// Two records count the same item x location: one report line per record would
    /// compare one key twice (a match and a mismatch for one record).
    #[error("counts record {second} counts item {item} at location {location} again (first at record {first})")]
    DuplicateCount {
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// Index in the counts of the first record for the key.
        first: usize,
        /// Index of the second.
        second: usize,
    },
}

/// Reconciles `counts` against `ledger` as of `at`. Proposals are counts at `at`
/// (applying one re-anchors the ledger there and replays later movements on top: the
/// "keep difference" resolution of docs/oracles.md A15), with ids `recon-<at ms>-<item>-<loc>`
/// from source `reconcile`.
///
/// # Errors
///
/// [`ReconcileError::DuplicateCount`] when two records count the same item x location
/// (naming both by their index in `counts`); nothing is compared.
///
/// ```
/// use invsync_core::ledger::{Ledger, LedgerConfig};
/// use invsync_core::sync::{CountRecord, ReconcileConfig, ReconcileError, reconcile};
/// use invsync_core::{ItemId, LocationId, Timestamp};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = Ledger::new(LedgerConfig::default());
/// let rec = |counted| -> Result<CountRecord, Box<dyn std::error::Error>> {
///     Ok(CountRecord { item: ItemId::new("A")?, location: LocationId::new("L")?, counted })
/// };
/// let at = Timestamp::from_days(1);
/// let report = reconcile(&ledger, &[rec(3)?], at, &ReconcileConfig::default())?;
/// assert_eq!(report.lines.len(), 1);
/// let err = reconcile(&ledger, &[rec(3)?, rec(4)?], at, &ReconcileConfig::default()).unwrap_err();
/// assert!(matches!(err, ReconcileError::DuplicateCount { first: 0, second: 1, .. }));
/// # Ok(())
/// # }
/// ```
pub fn reconcile(
    ledger: &Ledger,
    counts: &[CountRecord],
    at: Timestamp,
    config: &ReconcileConfig,
) -> Result<ReconcileReport, ReconcileError> {
    let mut seen: HashMap<(&ItemId, &LocationId), usize> = HashMap::with_capacity(counts.len());
    for (second, c) in counts.iter().enumerate() {
        if let Some(&first) = seen.get(&(&c.item, &c.location)) {
            return Err(ReconcileError::DuplicateCount {
                item: c.item.clone(),
                location: c.location.clone(),
                first,
                second,
            });
        }
        seen.insert((&c.item, &c.location), second);
    }
    // ABC by annual cost of goods issued (value leaving through issues and fulfilments).
    let year_ago = at.add_millis(-365 * crate::MS_PER_DAY);
    let keys: Vec<(ItemId, LocationId)> = ledger.keys().map(|(i, l)| (i.clone(), l.clone())).collect();
    let usage: Vec<((ItemId, LocationId), f64)> = keys
        .iter()
        .map(|k| {
            let v: f64 = ledger
                .history(&k.0, &k.1)
                .filter(|h| h.event.occurred_at > year_ago && h.event.occurred_at <= at)
                .filter(|h| matches!(h.event.movement, Movement::Issue { .. } | Movement::Fulfil { .. }))
                .map(|h| -h.value_change.to_f64())
                .sum();
            (k.clone(), v)
        })
        .collect();
    let classes: BTreeMap<(ItemId, LocationId), Abc> =
        usage.iter().map(|(k, _)| k.clone()).zip(abc_classes(&usage)).collect();
    let tolerance = |c: Abc| match c {
        Abc::A => config.tolerance_a,
        Abc::B => config.tolerance_b,
        Abc::C => config.tolerance_c,
    };
    let known: HashSet<(ItemId, LocationId)> = keys.iter().cloned().collect();
    let counted_keys: HashSet<(ItemId, LocationId)> =
        counts.iter().map(|c| (c.item.clone(), c.location.clone())).collect();
    let counted_locations: HashSet<&LocationId> = counts.iter().map(|c| &c.location).collect();
    let unit_cost = |k: &(ItemId, LocationId)| {
        let qty = ledger.levels_at(&k.0, &k.1, at).on_hand();
        let value = ledger.value_at(&k.0, &k.1, at);
        if qty > 0 { value.mul_div(1, qty).unwrap_or(Money::ZERO) } else { Money::ZERO }
    };
    let mut lines = Vec::new();
    let mut line = |k: (ItemId, LocationId), counted: Option<i64>| {
        let system = ledger.levels_at(&k.0, &k.1, at).on_hand();
        let class = classes.get(&k).copied().unwrap_or(Abc::C);
        let variance = counted.unwrap_or(0).saturating_sub(system);
        let variance_value = unit_cost(&k).times(variance).unwrap_or(Money::ZERO);
        let status = match counted {
            None => MatchStatus::MissingInCount,
            Some(_) if !known.contains(&k) => MatchStatus::MissingInLedger,
            Some(_) if variance == 0 => MatchStatus::Match,
            Some(_)
                if (variance.unsigned_abs() as f64)
                    <= (tolerance(class) * system.abs() as f64).max(config.floor as f64) =>
            {
                MatchStatus::WithinTolerance
            }
            Some(_) => MatchStatus::Mismatch,
        };
        let proposal = (variance != 0 && !status.is_accurate()).then(|| {
            let id = format!("recon-{}-{}-{}", at.as_millis(), k.0, k.1);
            EventId::new(&id).ok().zip(SourceId::new("reconcile").ok()).map(|(id, src)| {
                Event::new(id, src, k.0.clone(), k.1.clone(), at, Movement::count(counted.unwrap_or(0)))
            })
        });
        let needs_approval =
            variance_value.as_micros().unsigned_abs() > config.approval_threshold.as_micros().unsigned_abs();
        lines.push(ReconcileLine {
            item: k.0,
            location: k.1,
            system,
            counted,
            variance,
            variance_value,
            class,
            status,
            proposal: proposal.flatten(),
            needs_approval: needs_approval && variance != 0,
        });
    };
    for c in counts {
        line((c.item.clone(), c.location.clone()), Some(c.counted));
    }
    for k in &keys {
        if !counted_keys.contains(k)
            && counted_locations.contains(&k.1)
            && ledger.levels_at(&k.0, &k.1, at).on_hand() != 0
        {
            line(k.clone(), None);
        }
    }
    lines.sort_by(|a, b| (&a.item, &a.location).cmp(&(&b.item, &b.location)));
    let compared = lines.len();
    let accurate = lines.iter().filter(|l| l.status.is_accurate()).count();
    Ok(ReconcileReport {
        at,
        accuracy: if compared == 0 { 1.0 } else { accurate as f64 / compared as f64 },
        absolute_variance: lines.iter().map(|l| l.variance.saturating_abs()).fold(0i64, i64::saturating_add),
        net_variance: lines.iter().map(|l| l.variance).fold(0i64, i64::saturating_add),
        absolute_value: lines.iter().fold(Money::ZERO, |acc, l| {
            acc.checked_add(Money::from_micros(l.variance_value.as_micros().abs())).unwrap_or(acc)
        }),
        lines,
    })
}

/// How to apply a count when stock moved between counting and applying (docs/oracles.md A15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictChoice {
    /// Set the quantity to what was counted.
    KeepCounted,
    /// Apply the difference seen at count time to the current quantity.
    KeepDifference,
}

/// The adjustment (signed units) to post now for a count of `counted` taken when the
/// system said `system_at_count`, the system now saying `system_now`.
///
/// ```
/// use invsync_core::sync::{count_adjustment, ConflictChoice};
/// // docs/oracles.md A15: counted 50 while the system said 50; a -5 moved it to 45 since.
/// assert_eq!(count_adjustment(50, 50, 45, ConflictChoice::KeepCounted), 5);
/// assert_eq!(count_adjustment(50, 50, 45, ConflictChoice::KeepDifference), 0);
/// ```
pub fn count_adjustment(counted: i64, system_at_count: i64, system_now: i64, choice: ConflictChoice) -> i64 {
    match choice {
        ConflictChoice::KeepCounted => counted.saturating_sub(system_now),
        ConflictChoice::KeepDifference => counted.saturating_sub(system_at_count),
    }
}
