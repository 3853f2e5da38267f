//! The rolling suite: each item operated week after week under lost sales.
//!
//! ```text
//! start        nothing on hand or on order; the item's history of its family's length
//! round r      (r = 0..rounds, every R-th) plan with the history so far and the stock
//!              position; the order arrives at the start of week r + L + 1
//! week w       receive, sell min(stock, demand), lose the rest; h per unit held at the
//!              end of the week, p per unit lost; the week's SALES are appended to the
//!              history, flagged out of stock when the stock ran out (end stock 0)
//! counted      weeks L + 1 ..= rounds + L: the weeks the decisions affect (weeks 1..=L
//!              are lost alike by every rule)
//! oracle       the best base-stock policy in hindsight on the same demand path: order
//!              max(0, S - inventory position) each round, integer S searched over
//!              0 ..= the largest L + R week demand of the path + 1
//! ```

use crate::truth::stream;
use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::plan::{SimResult, SimState};
use invsync_core::policy::StockPosition;
use rayon::prelude::*;

use crate::rules::{DecisionRule, Settings, SuiteError, decide};
use crate::score::ratio;
use crate::truth::{Family, history_start};

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct RollingConfig {
    /// Master seed of histories and demand paths.
    pub seed: u64,
    /// Items per family.
    pub items: usize,
    /// Weekly rounds.
    pub rounds: usize,
    /// The settings every item is operated under.
    pub settings: Vec<Settings>,
}

impl RollingConfig {
    /// The full run: 30 items per family, 26 rounds, the whole [`Settings::grid`].
    pub fn full(seed: u64) -> Self {
        RollingConfig { seed, items: 30, rounds: 26, settings: Settings::grid() }
    }

    /// The CI subset: 2 items per family, 26 rounds, three settings (L = 1, R = 1,
    /// p/h = 4; L = 2, R = 2, p/h = 20; L = 4, R = 1, p/h = 1).
    pub fn quick(seed: u64) -> Self {
        RollingConfig {
            seed,
            items: 2,
            rounds: 26,
            settings: vec![
                Settings::lost_sales(1, 1, 1.0, 4.0),
                Settings::lost_sales(2, 2, 1.0, 20.0),
                Settings::lost_sales(4, 1, 1.0, 1.0),
            ],
        }
    }
}

/// The outcome of operating one item under one rule.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Outcome {
    /// Costs, units demanded and sold over the counted weeks.
    pub result: SimResult,
    /// Rounds where the rule ordered 0 with an inventory position <= 0 while the history
    /// held a positive value.
    pub zero_at_empty: u32,
}

/// Operates one item: `path[w - 1]` is the demand of week w (at least `rounds + L`
/// weeks), `history` what was recorded before week 1, `decide` the rule.
///
/// # Errors
///
/// The first error of `decide`; the run stops there.
pub fn operate<E>(
    history: &DemandHistory,
    path: &[f64],
    settings: &Settings,
    rounds: usize,
    mut decide: impl FnMut(&DemandHistory, &StockPosition) -> Result<f64, E>,
) -> Result<Outcome, E> {
    let (l, r) = (settings.lead_time, settings.review_period.max(1));
    let mut values = history.values().to_vec();
    let mut flags = history.censored().to_vec();
    let mut state = SimState::empty(l);
    let mut out = Outcome::default();
    for (w, &demand) in (1..=rounds + l).zip(path) {
        let round = w - 1;
        if round < rounds && round % r == 0 {
            let known = DemandHistory::new(history.start(), history.calendar(), values.clone(), flags.clone())
                .unwrap_or_else(|e| unreachable!("sales are finite and >= 0: {e}"));
            let position = state.position(l);
            let q = decide(&known, &position)?;
            if q <= 0.0 && position.inventory_position() <= 0.0 && values.iter().any(|v| *v > 0.0) {
                out.zero_at_empty += 1;
            }
            state.place(l, q);
        }
        let week = state.sell_period(demand, settings.holding, settings.shortage);
        if w > l {
            out.result.add(&week);
        }
        values.push(week.sold);
        flags.push(state.on_hand <= 0.0);
    }
    Ok(out)
}

/// The base-stock policy `S` operated on `path` (no history needed).
pub fn base_stock(path: &[f64], settings: &Settings, rounds: usize, s: f64) -> SimResult {
    let (l, r) = (settings.lead_time, settings.review_period.max(1));
    let mut state = SimState::empty(l);
    let mut out = SimResult::default();
    for (w, &demand) in (1..=rounds + l).zip(path) {
        let round = w - 1;
        if round < rounds && round % r == 0 {
            let ip = state.position(l).inventory_position();
            state.place(l, (s - ip).max(0.0));
        }
        let week = state.sell_period(demand, settings.holding, settings.shortage);
        if w > l {
            out.add(&week);
        }
    }
    out
}

/// The best base-stock level in hindsight on `path` and its result (the lowest S among
/// equal costs).
pub fn best_base_stock(path: &[f64], settings: &Settings, rounds: usize) -> (f64, SimResult) {
    let w = settings.lead_time + settings.review_period;
    let n = (rounds + settings.lead_time).min(path.len());
    let top = (0..n).map(|i| path[i..(i + w).min(n)].iter().sum::<f64>()).fold(0.0f64, f64::max).ceil() + 1.0;
    let mut best = (0.0, base_stock(path, settings, rounds, 0.0));
    let mut s = 1.0;
    while s <= top {
        let res = base_stock(path, settings, rounds, s);
        if res.cost() < best.1.cost() {
            best = (s, res);
        }
        s += 1.0;
    }
    best
}

/// One item operated under one setting by every rule and the oracle.
#[derive(Debug, Clone, PartialEq)]
pub struct RollingItem {
    /// Family name.
    pub family: &'static str,
    /// The item key the rules saw.
    pub key: String,
    /// Settings.
    pub settings: Settings,
    /// Each rule's outcome, in the order of the rules.
    pub outcomes: Vec<Outcome>,
    /// The hindsight oracle's base-stock level.
    pub oracle_level: f64,
    /// Its result.
    pub oracle: SimResult,
}

impl RollingItem {
    /// Rule `i`'s cost over the oracle's.
    pub fn ratio(&self, i: usize) -> f64 {
        ratio(self.outcomes[i].result.cost(), self.oracle.cost())
    }
}

/// The recorded history and the true demand path of item `key` of `family`.
pub fn item_data(family: &Family, seed: u64, key: &str, weeks: usize) -> (DemandHistory, Vec<f64>) {
    let truth = family.item(seed, key);
    let history = truth.history(family.history_len, &mut stream(seed, &format!("history/{key}")));
    let path = truth.path(family.history_len, weeks, &mut stream(seed, &format!("future/{key}")));
    debug_assert_eq!(history.calendar(), Calendar::Week);
    debug_assert_eq!(history.start(), history_start());
    (history, path)
}

/// Runs every family (in parallel over item x setting; results in a fixed order and
/// independent of the thread count).
///
/// # Errors
///
/// The first [`SuiteError`] in item order.
pub fn run(
    families: &[Family],
    rules: &[&dyn DecisionRule],
    config: &RollingConfig,
) -> Result<Vec<RollingItem>, SuiteError> {
    let mut units = Vec::new();
    for f in 0..families.len() {
        for i in 0..config.items {
            for s in 0..config.settings.len() {
                units.push((f, i, s));
            }
        }
    }
    let weeks = config.rounds + config.settings.iter().map(|s| s.lead_time).max().unwrap_or(0);
    let results = units
        .par_iter()
        .map(|&(f, i, s)| {
            let fam = &families[f];
            let settings = config.settings[s];
            let key = format!("{}/{i}", fam.name);
            let (history, path) = item_data(fam, config.seed, &key, weeks);
            let outcomes = rules
                .iter()
                .map(|rule| {
                    operate(&history, &path, &settings, config.rounds, |h, p| decide(*rule, &key, h, p, &settings))
                })
                .collect::<Result<Vec<Outcome>, SuiteError>>()?;
            let (oracle_level, oracle) = best_base_stock(&path, &settings, config.rounds);
            Ok(RollingItem { family: fam.name, key, settings, outcomes, oracle_level, oracle })
        })
        .collect();
    crate::single::first_error(results)
}
