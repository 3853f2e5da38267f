//! Scenario sets and the uncertainty models that generate them.

use rand::Rng;
use rand_distr::{
    Binomial, Distribution, Gamma as GammaD, LogNormal as LogNormalD, Poisson as PoissonD, StandardNormal,
};

use super::fit::{Family, lognormal_params};
use crate::float::round_nonnegative;
use crate::rng::{ItemStream, PREFETCH_CHUNK, Prefetched, bounded, unit_f64};

/// S scenarios x W periods of demand, stored contiguously (scenario-major), with their
/// window totals.
///
/// ```text
/// mu_W    = mean of the window totals
/// sigma_W = sample standard deviation (n - 1) of the window totals
/// q(p)    = smallest total t with (number of totals <= t) / S >= p   (inverse ECDF)
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScenarioSet {
    w: usize,
    values: Vec<f64>,
    totals: Vec<f64>,
    mu_w: f64,
    sigma_w: f64,
}

impl ScenarioSet {
    /// A set from scenario-major `values` (`len = S x w`); `None` when the length does not
    /// divide, `w` is zero or a value is negative or not finite.
    pub fn from_values(w: usize, values: Vec<f64>) -> Option<Self> {
        if w == 0 || !values.len().is_multiple_of(w) || values.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return None;
        }
        Some(Self::from_checked(w, values))
    }

    /// Builds the set from values known to be finite and >= 0, with `w` dividing their
    /// number.
    fn from_checked(w: usize, values: Vec<f64>) -> Self {
        let totals: Vec<f64> = values.chunks_exact(w).map(|c| c.iter().sum()).collect();
        Self::from_totals(w, values, totals)
    }

    /// Builds the set from checked values and their per-scenario totals (each summed left
    /// to right from 0, as [`ScenarioSet::from_checked`] does).
    fn from_totals(w: usize, values: Vec<f64>, totals: Vec<f64>) -> Self {
        let (mu_w, sigma_w) = moments(&totals);
        ScenarioSet { w, values, totals, mu_w, sigma_w }
    }

    /// Empties the set, keeping its buffers.
    fn clear(&mut self) {
        self.values.clear();
        self.totals.clear();
        (self.w, self.mu_w, self.sigma_w) = (0, 0.0, 0.0);
    }

    /// The value and total buffers sized for `s` scenarios of `w` periods. The contents
    /// are unspecified (old values are not zeroed again): the caller writes every element,
    /// then calls [`ScenarioSet::finish`].
    fn buffers(&mut self, s: usize, w: usize) -> (&mut [f64], &mut [f64]) {
        self.values.resize(s * w, 0.0);
        self.totals.resize(s, 0.0);
        (&mut self.values, &mut self.totals)
    }

    /// Sets `w` and the moments once values and totals are written; `sum` is the totals
    /// summed left to right from 0 (the generating loop keeps it, saving a pass).
    fn finish(&mut self, w: usize, sum: f64) {
        let (mu_w, sigma_w) = moments_with_sum(&self.totals, sum);
        (self.w, self.mu_w, self.sigma_w) = (w, mu_w, sigma_w);
    }

    /// Number of scenarios S.
    pub fn len(&self) -> usize {
        self.totals.len()
    }

    /// Whether there are no scenarios.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// Periods per scenario W.
    pub fn w(&self) -> usize {
        self.w
    }

    /// Scenario `i` (W values).
    pub fn path(&self, i: usize) -> &[f64] {
        &self.values[i * self.w..(i + 1) * self.w]
    }

    /// All values, scenario-major.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The values (scenario-major) and the window totals, taken out of the set without
    /// copying them (for callers that hand the buffers on, as the Python package does).
    ///
    /// ```
    /// # use invsync_core::demand::ScenarioSet;
    /// let set = ScenarioSet::from_values(2, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    /// let (values, totals) = set.into_parts();
    /// assert_eq!((values, totals), (vec![1.0, 2.0, 3.0, 4.0], vec![3.0, 7.0]));
    /// ```
    pub fn into_parts(self) -> (Vec<f64>, Vec<f64>) {
        (self.values, self.totals)
    }

    /// Window totals, one per scenario.
    pub fn totals(&self) -> &[f64] {
        &self.totals
    }

    /// Mean window total.
    pub fn mu_w(&self) -> f64 {
        self.mu_w
    }

    /// Sample standard deviation of the window totals.
    pub fn sigma_w(&self) -> f64 {
        self.sigma_w
    }

    /// The inverse-ECDF quantile of the window totals (`p` clamped to `[0, 1]`).
    pub fn quantile(&self, p: f64) -> f64 {
        let mut sorted = self.totals.clone();
        sorted.sort_by(f64::total_cmp);
        quantile_sorted(&sorted, p)
    }
}

/// Mean and sample standard deviation (n - 1; 0 below two values) of window totals.
fn moments(totals: &[f64]) -> (f64, f64) {
    moments_with_sum(totals, totals.iter().sum())
}

/// [`moments`] given the totals' left-to-right sum (a generating loop's sum from 0 gives
/// the same bits as `Iterator::sum`'s from -0.0: its totals, also summed from 0, are
/// never -0.0).
fn moments_with_sum(totals: &[f64], sum: f64) -> (f64, f64) {
    let n = totals.len();
    let mu_w = sum / n.max(1) as f64;
    let sigma_w =
        if n < 2 { 0.0 } else { (totals.iter().map(|t| (t - mu_w).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() };
    (mu_w, sigma_w)
}

/// The 0-based rank of the inverse-ECDF `p` quantile among `n >= 1` sorted values: the
/// smallest k with (k + 1) / n >= p.
pub fn quantile_rank(n: usize, p: f64) -> usize {
    let k = (p.clamp(0.0, 1.0) * n as f64).ceil() as usize;
    k.clamp(1, n.max(1)) - 1
}

/// Inverse-ECDF quantile of sorted data.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[quantile_rank(sorted.len(), p)]
}

/// How forecast errors combine with the forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ErrorForm {
    /// demand = max(0, forecast + error).
    #[default]
    Additive,
    /// demand = forecast x max(0, 1 + error / forecast_at_origin).
    Multiplicative,
}

/// How scenarios are drawn for one item (chosen by the cascade).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "model", rename_all = "snake_case"))]
pub enum UncertaintyModel {
    /// No scenarios: not enough evidence.
    Blocked {
        /// Why.
        reason: String,
    },
    /// A window total from a fitted family, split over the periods around the forecast's
    /// profile with the spread of independent periods (a multinomial split of count
    /// totals, a Dirichlet split otherwise). With `resample`, each scenario first re-estimates (bias, sd) from a
    /// bootstrap resample of these window errors (parameter uncertainty).
    Parametric {
        /// The family.
        family: Family,
        /// Bias b added to the forecast.
        bias: f64,
        /// Standard deviation of the window total.
        sd: f64,
        /// Window errors to resample per scenario, if any.
        resample: Option<Vec<f64>>,
    },
    /// Whole rows of the error matrix drawn with replacement (keeps the correlation
    /// between horizons).
    RowBootstrap {
        /// W.
        w: usize,
        /// Rows (`n x w`): errors, or relative errors under the multiplicative form.
        rows: Vec<f64>,
        /// Additive or multiplicative.
        form: ErrorForm,
    },
    /// Moving blocks of one-step errors, concatenated to W periods.
    BlockBootstrap {
        /// One-step errors in time order.
        errors: Vec<f64>,
        /// Block length.
        block: usize,
    },
    /// Willemain-style bootstrap for intermittent demand: occurrence from a two-state
    /// Markov chain fitted to the history, sizes resampled from past non-zero demands
    /// (optionally jittered: x* = 1 + round(x + z sqrt(x)), kept as x when x* <= 0).
    Markov {
        /// P(demand | no demand last period).
        p01: f64,
        /// P(demand | demand last period).
        p11: f64,
        /// Past non-zero sizes.
        sizes: Vec<f64>,
        /// Jitter the sizes.
        jitter: bool,
        /// Whether the last known period had demand.
        last_nonzero: bool,
    },
}

impl UncertaintyModel {
    /// Short name for reports.
    pub fn name(&self) -> String {
        match self {
            UncertaintyModel::Blocked { .. } => "blocked".into(),
            UncertaintyModel::Parametric { family, resample, .. } => {
                format!("{}{}", family.as_str(), if resample.is_some() { "+parameter_bootstrap" } else { "" })
            }
            UncertaintyModel::RowBootstrap { .. } => "row_bootstrap".into(),
            UncertaintyModel::BlockBootstrap { .. } => "block_bootstrap".into(),
            UncertaintyModel::Markov { .. } => "markov_bootstrap".into(),
        }
    }

    /// Draws `s` scenarios around `forecast` (W values). `None` when blocked.
    pub fn simulate(&self, forecast: &[f64], s: usize, round: bool, rng: &mut ItemStream) -> Option<ScenarioSet> {
        let mut out = ScenarioSet::default();
        self.simulate_into(forecast, s, round, rng, &mut out).then_some(out)
    }

    /// [`simulate`](Self::simulate) into `out`, reusing its buffers: drawing set after set
    /// into one `ScenarioSet` allocates nothing once its buffers have grown to S x W (the
    /// level-3 bootstraps' lookup tables live in a per-thread buffer that is reused too).
    /// Returns `false`, leaving `out` empty, when blocked. The values are bit-identical to
    /// [`simulate`](Self::simulate)'s and the generator ends in the same state.
    pub fn simulate_into(
        &self,
        forecast: &[f64],
        s: usize,
        round: bool,
        rng: &mut ItemStream,
        out: &mut ScenarioSet,
    ) -> bool {
        let rng = rng.rng();
        let w = forecast.len();
        if w == 0 || s == 0 {
            out.clear();
            return false;
        }
        let ok = match self {
            // The hot loops (the bootstraps of level 3) are written, rounded and summed in
            // one pass; the other models go through the general loop.
            UncertaintyModel::RowBootstrap { w: rw, rows, form: ErrorForm::Additive } => {
                // One draw per scenario picks a whole row.
                let n = if *rw == w { rows.len() / w } else { 0 };
                n > 0 && {
                    if round {
                        row_bootstrap(forecast, s, rows, n, rng, round_nonnegative, out);
                    } else {
                        row_bootstrap(forecast, s, rows, n, rng, |v| v, out);
                    }
                    true
                }
            }
            UncertaintyModel::BlockBootstrap { errors, block } if *block <= 1 && !errors.is_empty() => {
                // I.i.d. resampling of one-step errors: one draw per value.
                if round {
                    iid_bootstrap(forecast, s, errors, rng, round_nonnegative, out);
                } else {
                    iid_bootstrap(forecast, s, errors, rng, |v| v, out);
                }
                true
            }
            _ => match self.simulate_general(forecast, s, round, rng) {
                Some(set) => {
                    *out = set;
                    true
                }
                None => false,
            },
        };
        if !ok {
            out.clear();
        }
        ok
    }

    /// Every model, by filling a zeroed buffer and rounding it afterwards.
    fn simulate_general<R: Rng + ?Sized>(
        &self,
        forecast: &[f64],
        s: usize,
        round: bool,
        rng: &mut R,
    ) -> Option<ScenarioSet> {
        let w = forecast.len();
        let mut values = vec![0.0f64; s * w];
        match self {
            UncertaintyModel::Blocked { .. } => return None,
            UncertaintyModel::Parametric { family, bias, sd, resample } => {
                let total_f: f64 = forecast.iter().sum();
                let shares: Vec<f64> =
                    forecast.iter().map(|f| if total_f > 0.0 { f / total_f } else { 1.0 / w as f64 }).collect();
                let mut scratch = Vec::new();
                for path in values.chunks_exact_mut(w) {
                    let (b, sd) = match resample {
                        Some(e) if e.len() >= 2 => resampled_moments(e, &mut scratch, rng),
                        _ => (*bias, *sd),
                    };
                    let total = draw(*family, total_f + b, sd, rng);
                    let counts = round || matches!(family, Family::Poisson | Family::NegBinomial);
                    split_total(total, total_f + b, sd, &shares, counts, rng, path);
                }
            }
            UncertaintyModel::RowBootstrap { w: rw, rows, form } => {
                let n = if *rw == w { rows.len() / w } else { 0 };
                if n == 0 {
                    return None;
                }
                for path in values.chunks_exact_mut(w) {
                    let r = bounded(rng, n as u32) as usize;
                    let row = &rows[r * w..(r + 1) * w];
                    for ((v, f), e) in path.iter_mut().zip(forecast).zip(row) {
                        *v = match form {
                            ErrorForm::Additive => (f + e).max(0.0),
                            ErrorForm::Multiplicative => f * (1.0 + e).max(0.0),
                        };
                    }
                }
            }
            UncertaintyModel::BlockBootstrap { errors, block } => {
                let m = errors.len();
                let block = (*block).clamp(1, m.max(1));
                if m == 0 {
                    return None;
                }
                for path in values.chunks_exact_mut(w) {
                    let mut h = 0;
                    while h < w {
                        let start = bounded(rng, (m - block + 1) as u32) as usize;
                        for e in &errors[start..start + block] {
                            if h == w {
                                break;
                            }
                            path[h] = (forecast[h] + e).max(0.0);
                            h += 1;
                        }
                    }
                }
            }
            UncertaintyModel::Markov { p01, p11, sizes, jitter, last_nonzero } => {
                if sizes.is_empty() {
                    return Some(ScenarioSet::from_checked(w, values));
                }
                for path in values.chunks_exact_mut(w) {
                    let mut state = *last_nonzero;
                    for v in path.iter_mut() {
                        let p = if state { *p11 } else { *p01 };
                        state = unit_f64(rng) < p;
                        if state {
                            let x = sizes[bounded(rng, sizes.len() as u32) as usize];
                            *v = if *jitter {
                                let z: f64 = StandardNormal.sample(rng);
                                let j = 1.0 + (x + z * x.sqrt()).round();
                                if j <= 0.0 { x } else { j }
                            } else {
                                x
                            };
                        }
                    }
                }
            }
        }
        if round {
            values.iter_mut().for_each(|v| *v = round_nonnegative(*v));
        }
        // Every value above is finite and >= 0 by construction (NaN.max(0.0) is 0).
        Some(ScenarioSet::from_checked(w, values))
    }
}

/// Per-thread lookup tables of the level-3 bootstraps, reused from set to set. (Their own
/// thread-locals rather than `crate::pool` buffers: taking and giving back per set measured
/// 15-20 % slower in `examples/hot_loop.rs`.)
mod tables {
    use std::cell::RefCell;

    thread_local! {
        static TABLE: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
        static WORDS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    }

    /// Runs `f` with the thread's word buffer (contents unspecified).
    pub(super) fn with_words<T>(f: impl FnOnce(&mut Vec<u32>) -> T) -> T {
        crate::pool::with_local(&WORDS, f)
    }

    /// Runs `f` with the thread's table, emptied.
    pub(super) fn with<T>(f: impl FnOnce(&mut Vec<f64>) -> T) -> T {
        crate::pool::with_local(&TABLE, |table| {
            table.clear();
            f(table)
        })
    }
}

/// The window-length dispatch of the tabled loops: `f::<W, _>(args)` for the short windows
/// W = 1..=4 of the usual lead times (W a const generic, so the period loop unrolls), and
/// `general` (the same operations with W known only at run time) for longer ones.
macro_rules! by_window {
    ($w:expr, $f:ident($($arg:expr),* $(,)?), $general:expr) => {
        match $w {
            1 => $f::<1, _>($($arg),*),
            2 => $f::<2, _>($($arg),*),
            3 => $f::<3, _>($($arg),*),
            4 => $f::<4, _>($($arg),*),
            _ => $general,
        }
    };
}

/// Row bootstrap (one draw per scenario picks a row of `n` error rows of W): value `h` is
/// `finish(max(0, forecast[h] + row[h]))` and the total is summed left to right from 0.
///
/// With at least as many scenarios as rows, every row's W values and total are computed
/// once into a table (the same operations in the same order, so the same bits) and a
/// scenario copies its row: one draw and W + 1 loads per scenario. Two monomorphic copies
/// (rounded or not), so `finish` is not tested per value.
#[inline(always)]
fn row_bootstrap<R: Rng + ?Sized>(
    forecast: &[f64],
    s: usize,
    rows: &[f64],
    n: usize,
    rng: &mut R,
    finish: impl Fn(f64) -> f64,
    out: &mut ScenarioSet,
) {
    let w = forecast.len();
    let finished_row = |row: &[f64], path: &mut [f64]| {
        let mut t = 0.0;
        for ((v, f), e) in path.iter_mut().zip(forecast).zip(row) {
            *v = finish((f + e).max(0.0));
            t += *v;
        }
        t
    };
    let (values, totals) = out.buffers(s, w);
    let mut sum = 0.0;
    if s < n {
        for (path, total) in values.chunks_exact_mut(w).zip(totals.iter_mut()) {
            let r = bounded(rng, n as u32) as usize;
            *total = finished_row(&rows[r * w..][..w], path);
            sum += *total;
        }
    } else {
        // Table: the n rows' W finished values, then their n totals.
        tables::with(|table| {
            table.resize(n * (w + 1), 0.0);
            let (paths, row_totals) = table.split_at_mut(n * w);
            for ((row, path), total) in rows.chunks_exact(w).zip(paths.chunks_exact_mut(w)).zip(row_totals.iter_mut()) {
                *total = finished_row(row, path);
            }
            let (paths, row_totals) = table.split_at(n * w);
            // As in `iid_bootstrap`: the short windows get a copy with W known.
            sum = by_window!(w, rows_from_table(values, totals, paths, row_totals, rng), {
                let mut sum = 0.0;
                for (path, total) in values.chunks_exact_mut(w).zip(totals.iter_mut()) {
                    let r = bounded(rng, n as u32) as usize;
                    path.copy_from_slice(&paths[r * w..][..w]);
                    *total = row_totals[r];
                    sum += *total;
                }
                sum
            })
        });
    }
    out.finish(w, sum);
}

/// I.i.d. bootstrap of one-step `errors` (one draw per value); otherwise as
/// [`row_bootstrap`]. With at least as many scenarios as errors, the W x m finished values
/// `finish(max(0, forecast[h] + e))` are tabled first, so a value is a draw, a bounded
/// index and a load.
#[inline(always)]
fn iid_bootstrap<R: Rng + ?Sized>(
    forecast: &[f64],
    s: usize,
    errors: &[f64],
    rng: &mut R,
    finish: impl Fn(f64) -> f64,
    out: &mut ScenarioSet,
) {
    let w = forecast.len();
    let m = errors.len();
    let (values, totals) = out.buffers(s, w);
    let mut sum = 0.0;
    if s < m {
        for (path, total) in values.chunks_exact_mut(w).zip(totals.iter_mut()) {
            let mut t = 0.0;
            for (v, f) in path.iter_mut().zip(forecast) {
                *v = finish((f + errors[bounded(rng, m as u32) as usize]).max(0.0));
                t += *v;
            }
            *total = t;
            sum += t;
        }
    } else {
        // Table: for each period h, the m finished values of forecast[h] + errors.
        tables::with(|table| {
            for f in forecast {
                table.extend(errors.iter().map(|e| finish((f + e).max(0.0))));
            }
            // The S x W words the draws need (more only on a rare rejection) are taken
            // from the generator in bulk, a chunk at a time (`Prefetched`: the same words in
            // the same order), so a draw does not go through the generator's buffer index.
            sum = tables::with_words(|words| {
                let rng = &mut Prefetched::new(words, s * w, PREFETCH_CHUNK, rng);
                // The short windows of the usual lead times get a copy with W known, so
                // the period loop unrolls (the same operations). W must be a const generic
                // for that: one closure-driven loop behind a width dispatcher, tried, ran
                // 1.4-1.6 x slower.
                by_window!(w, iid_from_table(values, totals, table, m, rng), {
                    let mut sum = 0.0;
                    for (path, total) in values.chunks_exact_mut(w).zip(totals.iter_mut()) {
                        let mut t = 0.0;
                        for (v, column) in path.iter_mut().zip(table.chunks_exact(m)) {
                            *v = column[bounded(rng, m as u32) as usize];
                            t += *v;
                        }
                        *total = t;
                        sum += t;
                    }
                    sum
                })
            })
        });
    }
    out.finish(w, sum);
}

/// The tabled i.i.d. loop for a window of `W` periods: value h of a scenario is
/// `table[h * m + draw]`, the total is summed left to right from 0. Returns the sum of
/// the totals, left to right from 0.
#[inline(always)]
fn iid_from_table<const W: usize, R: Rng + ?Sized>(
    values: &mut [f64],
    totals: &mut [f64],
    table: &[f64],
    m: usize,
    rng: &mut R,
) -> f64 {
    let mut sum = 0.0;
    for (path, total) in values.chunks_exact_mut(W).zip(totals.iter_mut()) {
        let mut t = 0.0;
        for (h, v) in path.iter_mut().enumerate() {
            *v = table[h * m + bounded(rng, m as u32) as usize];
            t += *v;
        }
        *total = t;
        sum += t;
    }
    sum
}

/// The tabled row loop for a window of `W` periods: a scenario copies row `draw` of the
/// table (`paths`: n rows of W values, `row_totals`: their totals). Returns the sum of the
/// totals, left to right from 0.
#[inline(always)]
fn rows_from_table<const W: usize, R: Rng + ?Sized>(
    values: &mut [f64],
    totals: &mut [f64],
    paths: &[f64],
    row_totals: &[f64],
    rng: &mut R,
) -> f64 {
    let n = row_totals.len();
    let (rows, _) = paths.as_chunks::<W>();
    let (values, _) = values.as_chunks_mut::<W>();
    let mut sum = 0.0;
    for (path, total) in values.iter_mut().zip(totals.iter_mut()) {
        let r = bounded(rng, n as u32) as usize;
        *path = rows[r];
        let t = row_totals[r];
        *total = t;
        sum += t;
    }
    sum
}

/// Splits a drawn window total over the periods, each period's expected share being
/// `shares` (the forecast's profile), with the spread of independent periods rather than
/// proportionally (which would make the periods perfectly correlated, so that the demand
/// of the periods an order covers had 1 / W of the window's sd instead of about
/// 1 / sqrt(W): far too little under lost sales, where the lead time's own demand is lost
/// whatever is ordered):
///
/// ```text
/// counts      each of the round(total) units falls in period i with probability share_i
///             (multinomial: a Poisson total gives independent Poisson periods)
/// otherwise   total x Dirichlet(a share_1, ..., a share_W),  a = (mean / sd)^2
///             (a gamma total gives independent gamma periods of the same shape per unit)
/// ```
///
/// The total is unchanged; a zero sd or a degenerate share keeps the proportional split.
#[allow(clippy::too_many_arguments)]
fn split_total<R: Rng + ?Sized>(
    total: f64,
    mean: f64,
    sd: f64,
    shares: &[f64],
    counts: bool,
    rng: &mut R,
    path: &mut [f64],
) {
    let proportional = |path: &mut [f64]| {
        for (v, sh) in path.iter_mut().zip(shares) {
            *v = total * sh;
        }
    };
    if total <= 0.0 || !total.is_finite() || shares.len() < 2 {
        return proportional(path);
    }
    if counts {
        let mut left = round_nonnegative(total) as u64;
        let mut rest = 1.0f64;
        let last = shares.len().min(path.len()) - 1;
        for (i, (v, sh)) in path.iter_mut().zip(shares).enumerate() {
            let k = if left == 0 {
                0
            } else if i == last || *sh >= rest {
                left
            } else if *sh <= 0.0 {
                0
            } else {
                Binomial::new(left, (sh / rest).clamp(0.0, 1.0)).map_or(0, |d| d.sample(rng))
            };
            *v = k as f64;
            left -= k;
            rest -= sh;
        }
        return;
    }
    let a = (mean / sd).powi(2);
    if !(sd > 0.0 && mean > 0.0 && a.is_finite()) {
        return proportional(path);
    }
    let mut sum = 0.0;
    for (v, sh) in path.iter_mut().zip(shares) {
        *v = if *sh > 0.0 { GammaD::new(a * sh, 1.0).map_or(0.0, |d| d.sample(rng)) } else { 0.0 };
        sum += *v;
    }
    if sum > 0.0 && sum.is_finite() {
        path.iter_mut().for_each(|v| *v *= total / sum);
    } else {
        proportional(path);
    }
}

/// Mean and sample sd of a bootstrap resample of `e`.
fn resampled_moments<R: Rng + ?Sized>(e: &[f64], scratch: &mut Vec<f64>, rng: &mut R) -> (f64, f64) {
    scratch.clear();
    scratch.extend((0..e.len()).map(|_| e[bounded(rng, e.len() as u32) as usize]));
    let n = scratch.len() as f64;
    let m = scratch.iter().sum::<f64>() / n;
    let var = scratch.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// One window total from `family` with mean `m` and sd `s`, floored at 0.
fn draw<R: Rng + ?Sized>(family: Family, m: f64, s: f64, rng: &mut R) -> f64 {
    if m.is_nan() || m <= 0.0 {
        return 0.0;
    }
    let s = s.max(0.0);
    let v = match family {
        Family::Normal => {
            let z: f64 = StandardNormal.sample(rng);
            m + s * z
        }
        Family::Gamma if s > 0.0 => GammaD::new(m * m / (s * s), s * s / m).map_or(m, |d| d.sample(rng)),
        Family::LogNormal if s > 0.0 => {
            let (mu, sigma) = lognormal_params(m, s);
            LogNormalD::new(mu, sigma).map_or(m, |d| d.sample(rng))
        }
        Family::Poisson => PoissonD::new(m).map_or(m, |d| d.sample(rng)),
        Family::NegBinomial if s * s > m => {
            // Gamma-Poisson mixture: lambda ~ Gamma(r, m / r), y ~ Poisson(lambda).
            let r = m * m / (s * s - m);
            let lambda = GammaD::new(r, m / r).map_or(m, |d| d.sample(rng));
            if lambda > 0.0 { PoissonD::new(lambda).map_or(lambda, |d| d.sample(rng)) } else { 0.0 }
        }
        Family::NegBinomial => PoissonD::new(m).map_or(m, |d| d.sample(rng)),
        Family::Gamma | Family::LogNormal => m,
    };
    v.max(0.0)
}
