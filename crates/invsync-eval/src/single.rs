//! The single-decision suite: one order at a time, scored by its controllable expected
//! cost under the true demand against the best integer order ([`crate::score`]).

use crate::truth::stream;
use invsync_core::policy::StockPosition;
use rayon::prelude::*;

use crate::rules::{DecisionRule, Settings, SuiteError, decide};
use crate::score::{Scorer, ratio};
use crate::truth::{Family, Truth};

/// The stock an item starts a decision with, in units of the true mean demand m of the
/// first period after the decision (rounded to whole units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartState {
    /// Nothing on hand, nothing on order.
    Empty,
    /// m on hand and m / 2 arriving in each of the L periods.
    Partial,
    /// m (L + R) on hand and m arriving in each of the L periods.
    Generous,
}

impl StartState {
    /// All three.
    pub const ALL: [StartState; 3] = [StartState::Empty, StartState::Partial, StartState::Generous];

    /// The stock position for mean demand `m` under `settings`.
    pub fn position(self, m: f64, settings: &Settings) -> StockPosition {
        let l = settings.lead_time;
        let (on_hand, each) = match self {
            StartState::Empty => (0.0, 0.0),
            StartState::Partial => (m.round(), (m / 2.0).round()),
            StartState::Generous => ((m * (l + settings.review_period) as f64).round(), m.round()),
        };
        StockPosition { on_hand, arrivals: vec![each; l] }
    }

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            StartState::Empty => "empty",
            StartState::Partial => "partial",
            StartState::Generous => "generous",
        }
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleConfig {
    /// Master seed of histories and draws.
    pub seed: u64,
    /// Histories per (family, start state, settings).
    pub reps: usize,
    /// Keep only every `stride`-th (start state, settings) combination (1: all 54).
    pub stride: usize,
    /// Draws of the true future per case (>= 100,000 for the published figures).
    pub draws: usize,
}

impl SingleConfig {
    /// The full run: 3 histories x 54 combinations per family, 100,000 draws.
    pub fn full(seed: u64) -> Self {
        SingleConfig { seed, reps: 3, stride: 1, draws: 100_000 }
    }

    /// The CI subset: one history for every 7th combination (8 per family, every L, R,
    /// p/h and start state represented).
    pub fn quick(seed: u64) -> Self {
        SingleConfig { seed, reps: 1, stride: 7, draws: 100_000 }
    }
}

/// One scored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleCase {
    /// Family name.
    pub family: &'static str,
    /// The item key the rules saw.
    pub key: String,
    /// Settings.
    pub settings: Settings,
    /// Starting stock.
    pub state: StartState,
    /// Each rule's order, in the order of the rules.
    pub orders: Vec<f64>,
    /// Each rule's expected controllable cost.
    pub costs: Vec<f64>,
    /// The best integer order.
    pub best_order: f64,
    /// Its expected controllable cost.
    pub best_cost: f64,
}

impl SingleCase {
    /// Rule `i`'s cost over the best order's (see [`ratio`]).
    pub fn ratio(&self, i: usize) -> f64 {
        ratio(self.costs[i], self.best_cost)
    }
}

/// Plans and scores one decision of `truth` (history of `history_len` periods).
///
/// # Errors
///
/// [`SuiteError`] when a rule fails.
#[allow(clippy::too_many_arguments)]
pub fn score_case(
    family: &'static str,
    key: String,
    truth: &Truth,
    history_len: usize,
    state: StartState,
    settings: &Settings,
    rules: &[&dyn DecisionRule],
    seed: u64,
    draws: usize,
) -> Result<SingleCase, SuiteError> {
    let history = truth.history(history_len, &mut stream(seed, &format!("history/{key}")));
    let position = state.position(truth.mean(history_len), settings);
    let orders =
        rules.iter().map(|r| decide(*r, &key, &history, &position, settings)).collect::<Result<Vec<f64>, _>>()?;
    let scorer =
        Scorer::new(truth, history_len, &position, settings, draws, &mut stream(seed, &format!("future/{key}")));
    let costs = orders.iter().map(|q| scorer.cost(*q)).collect();
    let (best_order, best_cost) = scorer.best();
    Ok(SingleCase { family, key, settings: *settings, state, orders, costs, best_order, best_cost })
}

/// The results in case order, or the first error in case order (so the error reported
/// does not depend on the thread count).
pub(crate) fn first_error<T>(results: Vec<Result<T, SuiteError>>) -> Result<Vec<T>, SuiteError> {
    results.into_iter().collect()
}

/// Runs every family's cases (in parallel over cases; results in a fixed order and
/// independent of the thread count).
///
/// # Errors
///
/// The first [`SuiteError`] in case order.
pub fn run(
    families: &[Family],
    rules: &[&dyn DecisionRule],
    config: &SingleConfig,
) -> Result<Vec<SingleCase>, SuiteError> {
    let grid = Settings::grid();
    let mut units = Vec::new();
    for f in 0..families.len() {
        for rep in 0..config.reps {
            let mut c = 0;
            for state in StartState::ALL {
                for (s, settings) in grid.iter().enumerate() {
                    if c % config.stride.max(1) == rep % config.stride.max(1) {
                        units.push((f, rep, state, s, *settings));
                    }
                    c += 1;
                }
            }
        }
    }
    let results = units
        .par_iter()
        .map(|&(f, rep, state, s, settings)| {
            let fam = &families[f];
            let key = format!("{}/{rep}/{}/{s}", fam.name, state.name());
            let truth = fam.item(config.seed, &key);
            score_case(fam.name, key, &truth, fam.history_len, state, &settings, rules, config.seed, config.draws)
        })
        .collect();
    first_error(results)
}

/// The newsvendor case of issue 27: `items` i.i.d. Normal(50, 8) items with 260 weeks of
/// history, L = R = 1, nothing on hand, h = 0.18, p = 0.70 (docs/oracles.md C1: optimum 56.6).
///
/// # Errors
///
/// The first [`SuiteError`] in item order.
pub fn newsvendor(
    rules: &[&dyn DecisionRule],
    items: usize,
    seed: u64,
    draws: usize,
) -> Result<Vec<SingleCase>, SuiteError> {
    let fam = crate::truth::newsvendor_family();
    let settings = Settings::lost_sales(1, 1, 0.18, 0.70);
    let results = (0..items)
        .into_par_iter()
        .map(|i| {
            let key = format!("newsvendor/{i}");
            let truth = fam.item(seed, &key);
            score_case(fam.name, key, &truth, fam.history_len, StartState::Empty, &settings, rules, seed, draws)
        })
        .collect();
    first_error(results)
}
