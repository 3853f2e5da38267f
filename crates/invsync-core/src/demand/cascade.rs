//! The four-level cascade: how to model an item's demand uncertainty from how much
//! forecast-error evidence it has.
//!
//! `n` = complete rows of the error matrix (see [`backtest`](super::backtest)).
//!
//! | level | when (defaults) | model | warning |
//! | --- | --- | --- | --- |
//! | 0 | n < 2 | blocked: no recommendation | - |
//! | 1 | 2 <= n < 12 | method-of-moments fits, chosen by AIC, parameter bootstrap | high |
//! | 2 | 12 <= n < 30 | maximum-likelihood fits; Normal unless Anderson-Darling rejects it at 5 %, else the best AIC | medium |
//! | 3 | n >= 30 | bootstrap of whole error rows (or moving blocks); Markov bootstrap for intermittent items | low |
//!
//! Errors are never de-meaned: a biased forecast shifts the scenarios. The bias is flagged
//! when `|mean window error| / (sd / sqrt(n)) > 2`.

use crate::rng::ItemStream;

use super::classify::{Classification, classify};
use super::cold;
use super::errors::{ErrorMatrix, backtest};
use super::fit::{Family, Fit, WindowData, anderson_darling_normal};
use super::forecast::{ForecastInput, ForecastMethod, SeasonalIndices, forecast};
use super::scenario::{ErrorForm, ScenarioSet, UncertaintyModel};
use super::series::DemandHistory;

/// How severe a warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Severity {
    /// Rich evidence.
    Low,
    /// Moderate evidence.
    Medium,
    /// Little evidence: treat the numbers with care.
    High,
}

/// A warning attached to a result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Warning {
    /// Severity.
    pub severity: Severity,
    /// What to know.
    pub message: String,
}

/// How level 3 resamples errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Level3Method {
    /// Whole rows of the error matrix.
    #[default]
    Rows,
    /// Moving blocks of one-step errors of this length.
    Blocks(usize),
}

/// Cascade thresholds and options.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CascadeConfig {
    /// Fewest complete rows for level 1 (below: level 0, blocked).
    pub level1_min_rows: usize,
    /// Fewest complete rows for level 2.
    pub level2_min_rows: usize,
    /// Fewest complete rows for level 3.
    pub level3_min_rows: usize,
    /// Significance level of the normality test at level 2.
    pub gof_alpha: f64,
    /// |t| above which the forecast is flagged as biased.
    pub bias_t: f64,
    /// Level 3 resampling.
    pub level3: Level3Method,
    /// Use the Markov bootstrap for intermittent items at level 3.
    pub markov_for_intermittent: bool,
    /// Jitter Markov sizes.
    pub jitter: bool,
    /// Additive or multiplicative errors at level 3.
    pub error_form: ErrorForm,
    /// Carry parameter uncertainty at level 1 by a parametric bootstrap.
    pub parameter_bootstrap: bool,
    /// Use only the most recent complete error rows, at most this many (None: all).
    pub recent_rows: Option<usize>,
}

impl Default for CascadeConfig {
    fn default() -> Self {
        CascadeConfig {
            level1_min_rows: 2,
            level2_min_rows: 12,
            level3_min_rows: 30,
            gof_alpha: 0.05,
            bias_t: 2.0,
            level3: Level3Method::Rows,
            markov_for_intermittent: true,
            jitter: true,
            error_form: ErrorForm::Additive,
            parameter_bootstrap: true,
            recent_rows: None,
        }
    }
}

/// Why the cascade chose what it chose.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Diagnostics {
    /// Cascade level, 0 to 3.
    pub level: u8,
    /// Complete rows of the error matrix.
    pub n: usize,
    /// The model chosen ("blocked", "gamma+parameter_bootstrap", "row_bootstrap" ...).
    pub model: String,
    /// Why, in words.
    pub reason: String,
    /// Warnings, most severe first.
    pub warnings: Vec<Warning>,
    /// Demand classification of the known history.
    pub classification: Classification,
    /// The point forecast method.
    pub forecast_method: String,
    /// Mean window error (actual - forecast); positive = under-forecasting.
    pub bias: f64,
    /// Its t statistic.
    pub bias_t: f64,
    /// Whether the bias is significant.
    pub biased: bool,
    /// Parametric fits compared (levels 1 and 2).
    pub fits: Vec<Fit>,
    /// Anderson-Darling p-value of normality (level 2).
    pub normality_p: Option<f64>,
    /// Cold start (level 0 with demand evidence): the fitted mean demand per period, which
    /// replaces the point forecast.
    #[cfg_attr(feature = "serde", serde(default))]
    pub cold_start_mean: Option<f64>,
}

/// How overlapping rolling-origin windows bias the spread of their window errors.
///
/// ```text
/// Rows from consecutive origins share W - 1 periods. Per-period errors are modelled as
/// AR(1) with phi = lag-1 autocorrelation of the one-step errors (bias-corrected, clamped
/// to [0, 0.9]; 0 below 8 of them), so window errors k origins apart correlate as
///   rho_k = S(k) / S(0),  S(k) = sum_{i,j < W} phi^|i - j + k|   (phi = 0: max(0, 1 - k/W))
/// E[sample variance] = sigma_W^2 c,  c = 1 - 2 / (n (n - 1)) sum_{k<n} (n - k) rho_k
/// effective sample size  n_eff = n / (1 + 2 sum_{k<n} (1 - k/n) rho_k)
/// sigma_W = sd / sqrt(c)   (c floored at 0.05)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Overlap {
    /// Bias factor of the sample variance.
    pub c: f64,
    /// Effective sample size.
    pub n_eff: f64,
}

impl Overlap {
    pub(crate) fn new(n: usize, w: usize, phi: f64) -> Self {
        if n < 2 || (w < 2 && phi == 0.0) {
            return Overlap { c: 1.0, n_eff: n.max(1) as f64 };
        }
        let w = w.max(1);
        let s = |k: usize| -> f64 {
            let mut t = 0.0;
            for i in 0..w {
                for j in 0..w {
                    t += phi.powi((i as i64 + k as i64 - j as i64).unsigned_abs() as i32);
                }
            }
            t
        };
        let s0 = s(0);
        let nf = n as f64;
        let (mut pairs, mut ess) = (0.0, 0.0);
        for k in 1..n {
            let rho = s(k) / s0;
            if rho < 1e-6 {
                break;
            }
            pairs += (nf - k as f64) * rho;
            ess += (1.0 - k as f64 / nf) * rho;
        }
        let c = (1.0 - 2.0 * pairs / (nf * (nf - 1.0))).max(0.05);
        Overlap { c, n_eff: (nf / (1.0 + 2.0 * ess)).max(1.0) }
    }
}

/// Lag-1 autocorrelation of `e` with Kendall's small-sample bias correction
/// ((r + 1/m) / (1 - 3/m)), clamped to [0, 0.9]; 0 below 8 values.
pub(crate) fn lag1_autocorrelation(e: &[f64]) -> f64 {
    if e.len() < 8 {
        return 0.0;
    }
    let m = e.iter().sum::<f64>() / e.len() as f64;
    let var: f64 = e.iter().map(|x| (x - m).powi(2)).sum();
    if var <= 0.0 {
        return 0.0;
    }
    let cov: f64 = e.windows(2).map(|p| (p[0] - m) * (p[1] - m)).sum();
    let r = cov / var;
    // Kendall's small-sample correction: E[r] ~ phi - (1 + 3 phi) / m.
    ((r + 1.0 / e.len() as f64) / (1.0 - 3.0 / e.len() as f64)).clamp(0.0, 0.9)
}

/// Chooses the uncertainty model for an item.
pub fn choose_model(
    errors: &ErrorMatrix,
    history: &DemandHistory,
    class: Classification,
    method: &ForecastMethod,
    config: &CascadeConfig,
) -> (UncertaintyModel, Diagnostics) {
    let n = errors.n();
    let window_errors = errors.window_errors();
    let data_forecast = errors.window_forecasts();
    let data_actual: Vec<f64> = window_errors.iter().zip(&data_forecast).map(|(e, f)| e + f).collect();
    let wd = WindowData { actual: &data_actual, forecast: &data_forecast, counts: history.is_count_data() };
    let (bias, sd) = wd.moments();
    let overlap = Overlap::new(n, errors.w(), lag1_autocorrelation(errors.one_step()));
    // With no spread at all, any non-zero bias is as significant as it gets. Overlapping
    // rows: the bias's standard error uses the effective sample size and corrected sd.
    let bias_t = match (n > 1, sd > 0.0) {
        (true, true) => bias / (sd / overlap.c.sqrt() / overlap.n_eff.sqrt()),
        (true, false) if bias != 0.0 => f64::INFINITY.copysign(bias),
        _ => 0.0,
    };
    let biased = bias_t.abs() > config.bias_t;
    let mut d = Diagnostics {
        level: 0,
        n,
        model: String::new(),
        reason: String::new(),
        warnings: Vec::new(),
        classification: class,
        forecast_method: method.name().to_owned(),
        bias,
        bias_t,
        biased,
        fits: Vec::new(),
        normality_p: None,
        cold_start_mean: None,
    };
    if biased {
        d.warnings.push(Warning {
            severity: Severity::Medium,
            message: format!(
                "forecast is biased: mean window error {bias:.3} (t = {bias_t:.2}); scenarios are shifted by it"
            ),
        });
    }
    let model = if n < config.level1_min_rows {
        let w = errors.w().max(1);
        match cold::fit(history, w) {
            None => {
                d.reason = format!(
                    "blocked: no usable demand observation ({n} complete forecast-error rows, and no known or censored period with demand evidence)"
                );
                UncertaintyModel::Blocked { reason: d.reason.clone() }
            }
            Some(c) => {
                d.cold_start_mean = Some(c.mean);
                let censored = match (c.censored, c.lower_bound) {
                    (0, _) => String::new(),
                    (k, false) => format!(", {k} of them out of stock (censored: demand at least the sales)"),
                    (k, true) => format!(", {k} of them out of stock, whose sales stand in for demand (a lower bound)"),
                };
                d.reason = format!(
                    "cold start: {n} complete forecast-error rows (< {}), so the per-period demand itself is fitted: {} observations{censored}, mean {:.3} per period; {} window total, sd {:.3} inflated for estimation uncertainty",
                    config.level1_min_rows,
                    c.n,
                    c.mean,
                    c.family.as_str(),
                    c.sd_w
                );
                d.warnings.push(Warning {
                    severity: Severity::High,
                    message: format!(
                        "cold start ({} observations, {n} error rows): demand fitted directly, wide uncertainty",
                        c.n
                    ),
                });
                UncertaintyModel::Parametric { family: c.family, bias: 0.0, sd: c.sd_w, resample: None }
            }
        }
    } else if n < config.level2_min_rows {
        d.level = 1;
        let fits = wd.fit_moments();
        let mut best = best_aic(&fits).unwrap_or(Fit { family: Family::Normal, bias, sd, log_lik: 0.0, aic: 0.0 });
        best.sd /= overlap.c.sqrt();
        d.reason = format!(
            "level 1: {n} rows (< {}): method-of-moments fits, {} has the lowest AIC; sd {:.3} corrected for overlapping windows (x {:.3}); parameters re-estimated per scenario",
            config.level2_min_rows,
            best.family.as_str(),
            best.sd,
            1.0 / overlap.c.sqrt()
        );
        d.warnings.push(Warning {
            severity: Severity::High,
            message: format!("little history ({n} error rows): parametric model, wide uncertainty"),
        });
        d.fits = fits;
        // The resampled errors' spread, widened like sd: overlap shrinks it alike.
        let widen = 1.0 / overlap.c.sqrt();
        UncertaintyModel::Parametric {
            family: best.family,
            bias: best.bias,
            sd: best.sd,
            resample: config
                .parameter_bootstrap
                .then(|| window_errors.iter().map(|e| best.bias + (e - best.bias) * widen).collect()),
        }
    } else if n < config.level3_min_rows {
        d.level = 2;
        let fits = wd.fit_mle();
        let p = anderson_darling_normal(&window_errors).map(|(_, p)| p);
        d.normality_p = p;
        let normal = fits.iter().find(|f| f.family == Family::Normal).copied();
        let chosen = match (p, normal) {
            (Some(p), Some(nf)) if p >= config.gof_alpha => {
                d.reason = format!("level 2: {n} rows: normality not rejected (Anderson-Darling p = {p:.3})");
                nf
            }
            _ => {
                let alt = best_aic(&fits.iter().filter(|f| f.family != Family::Normal).copied().collect::<Vec<_>>())
                    .or(normal)
                    .unwrap_or(Fit { family: Family::Normal, bias, sd, log_lik: 0.0, aic: 0.0 });
                d.reason = format!(
                    "level 2: {n} rows: normality rejected (Anderson-Darling p = {:.3}); {} has the lowest AIC",
                    p.unwrap_or(0.0),
                    alt.family.as_str()
                );
                alt
            }
        };
        d.warnings.push(Warning {
            severity: Severity::Medium,
            message: format!("moderate history ({n} error rows): fitted distribution"),
        });
        d.fits = fits;
        // Overlap-corrected, and widened for the bias's own estimation error.
        let sd = chosen.sd / overlap.c.sqrt() * (1.0 + 1.0 / overlap.n_eff).sqrt();
        d.reason.push_str(&format!(
            "; sd {sd:.3} corrected for overlapping windows (effective sample size {:.1})",
            overlap.n_eff
        ));
        UncertaintyModel::Parametric { family: chosen.family, bias: chosen.bias, sd, resample: None }
    } else {
        d.level = 3;
        d.warnings.push(Warning { severity: Severity::Low, message: format!("rich history ({n} error rows)") });
        // The sizes the Markov bootstrap would resample, read only when it may be chosen.
        let markov_candidate = config.markov_for_intermittent && class.class.is_intermittent();
        let known = if markov_candidate { history.observed_values() } else { Vec::new() };
        let nonzero: Vec<f64> = known.iter().copied().filter(|v| *v > 0.0).collect();
        if markov_candidate && nonzero.len() >= 2 {
            d.reason =
                format!("level 3: {n} rows, {} demand: Markov occurrence + size bootstrap", class.class.as_str());
            markov(&known, nonzero, config.jitter)
        } else {
            match config.level3 {
                Level3Method::Blocks(block) if !errors.one_step().is_empty() => {
                    d.reason = format!("level 3: {n} rows: moving-block bootstrap of one-step errors (block {block})");
                    UncertaintyModel::BlockBootstrap { errors: errors.one_step().to_vec(), block }
                }
                _ => {
                    d.reason = format!("level 3: {n} rows: bootstrap of whole error rows");
                    let w = errors.w();
                    let rows = match config.error_form {
                        ErrorForm::Additive => {
                            let mut rows = Vec::with_capacity(n * w);
                            for r in 0..n {
                                rows.extend_from_slice(errors.row(r));
                            }
                            rows
                        }
                        ErrorForm::Multiplicative => (0..n)
                            .flat_map(|r| {
                                errors
                                    .row(r)
                                    .iter()
                                    .zip(errors.forecast_row(r))
                                    .map(|(e, f)| if *f > 0.0 { e / f } else { 0.0 })
                                    .collect::<Vec<_>>()
                            })
                            .collect(),
                    };
                    UncertaintyModel::RowBootstrap { w, rows, form: config.error_form }
                }
            }
        }
    };
    d.model = model.name();
    d.warnings.sort_by_key(|w| std::cmp::Reverse(w.severity));
    (model, d)
}

fn best_aic(fits: &[Fit]) -> Option<Fit> {
    fits.iter().filter(|f| f.aic.is_finite()).min_by(|a, b| a.aic.total_cmp(&b.aic)).copied()
}

/// Mean of `e_a^2 - e_b^2` over paired one-step errors (the origins both have), its
/// standard error, and the number of pairs.
fn paired_gain(a: &[f64], b: &[f64]) -> (f64, f64, usize) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x * x - y * y).collect();
    let m = d.len();
    if m < 2 {
        return (0.0, 0.0, m);
    }
    let mean = d.iter().sum::<f64>() / m as f64;
    let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
    (mean, (var / m as f64).sqrt(), m)
}

/// The two-state occurrence chain of a known series (NaN skipped).
fn markov(known: &[f64], sizes: Vec<f64>, jitter: bool) -> UncertaintyModel {
    let seq: Vec<bool> = known.iter().filter(|v| !v.is_nan()).map(|v| *v > 0.0).collect();
    let (mut n0, mut n01, mut n1, mut n11) = (0.0, 0.0, 0.0, 0.0);
    for w in seq.windows(2) {
        if w[0] {
            n1 += 1.0;
            n11 += f64::from(u8::from(w[1]));
        } else {
            n0 += 1.0;
            n01 += f64::from(u8::from(w[1]));
        }
    }
    // Laplace smoothing keeps both transitions possible.
    let p01 = (n01 + 0.5) / (n0 + 1.0);
    let p11 = (n11 + 0.5) / (n1 + 1.0);
    UncertaintyModel::Markov { p01, p11, sizes, jitter, last_nonzero: seq.last().copied().unwrap_or(false) }
}

/// The point forecast method: fixed, or chosen from the demand class.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MethodChoice {
    /// SBA (alpha 0.1) for intermittent and lumpy items; otherwise a 13-period seasonal
    /// moving average when seasonal indices are in use, else SES (alpha 0.2).
    #[default]
    Auto,
    /// This method for every item.
    Fixed(ForecastMethod),
}

/// Where seasonal indices come from.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Seasonality {
    /// No seasonality.
    #[default]
    None,
    /// Estimated from the item's own history.
    Own,
    /// Given (e.g. pooled over the item's product group).
    Given(SeasonalIndices),
    /// Pooled over every item planned together: [`PlanConfig::for_batch`] computes the
    /// indices from the batch's histories and replaces this with `Given`. Planned alone,
    /// an item uses its own history.
    ///
    /// [`PlanConfig::for_batch`]: crate::plan::PlanConfig::for_batch
    Pooled,
}

/// Whether scenario values are rounded to whole units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Rounding {
    /// Round when every known history value is a whole number.
    #[default]
    Auto,
    /// Never round.
    Never,
    /// Always round.
    Always,
}

/// Settings of the demand engine.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DemandConfig {
    /// W = lead time + review period, in periods.
    pub window: usize,
    /// Scenarios per item (S).
    pub scenarios: usize,
    /// Point forecast method.
    pub method: MethodChoice,
    /// Known values needed before the first backtest origin.
    pub min_train: usize,
    /// Seasonal indices.
    pub seasonality: Seasonality,
    /// Cascade settings.
    pub cascade: CascadeConfig,
    /// Rounding of scenario values.
    pub rounding: Rounding,
    /// Seasonality on evidence: pooled indices from [`SeasonalPool::shrunk_indices`]
    /// (per-series shapes, absent periods skipped, shrunk toward 1 by their noise), and an
    /// item drops its indices where they raise its mean squared one-step (rolling-origin)
    /// error by more than one standard error of the paired difference.
    ///
    /// [`SeasonalPool::shrunk_indices`]: crate::plan::SeasonalPool::shrunk_indices
    #[cfg_attr(feature = "serde", serde(default))]
    pub seasonal_evidence: bool,
}

impl Default for DemandConfig {
    /// W = 3, 1,000 scenarios, automatic method, 8 training values, no seasonality.
    fn default() -> Self {
        DemandConfig {
            window: 3,
            scenarios: 1000,
            method: MethodChoice::Auto,
            min_train: 8,
            seasonality: Seasonality::None,
            cascade: CascadeConfig::default(),
            rounding: Rounding::Auto,
            seasonal_evidence: false,
        }
    }
}

impl DemandConfig {
    /// Scenarios per item in batch mode (many items, nightly runs).
    pub const BATCH_SCENARIOS: usize = 200;

    /// The defaults with [`DemandConfig::BATCH_SCENARIOS`] scenarios per item.
    pub fn batch() -> Self {
        DemandConfig { scenarios: Self::BATCH_SCENARIOS, ..DemandConfig::default() }
    }
}

/// Why the demand engine refused its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DemandError {
    /// W must be at least 1.
    #[error("the window W must be at least one period")]
    ZeroWindow,
    /// S must be at least 2 (a standard deviation needs two scenarios).
    #[error("at least 2 scenarios are needed, got {0}")]
    TooFewScenarios(usize),
    /// More scenarios than [`MAX_SCENARIOS`].
    #[error("at most {max} scenarios are allowed, got {0}", max = MAX_SCENARIOS)]
    TooManyScenarios(usize),
    /// A window longer than [`MAX_WINDOW`] periods.
    #[error("the window W may be at most {max} periods, got {0}", max = MAX_WINDOW)]
    WindowTooLong(usize),
    /// A supplied forecast has the wrong length or a bad value.
    #[error("the supplied forecast must have {expected} finite values >= 0, got {got:?}")]
    BadForecast {
        /// W.
        expected: usize,
        /// What was given.
        got: Vec<f64>,
    },
}

/// The most scenarios one item may ask for (memory is scenarios x W values).
pub const MAX_SCENARIOS: usize = 100_000;

/// The longest window W (periods) the engine simulates.
pub const MAX_WINDOW: usize = 3_000;

/// The demand engine's result for one item.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DemandOutcome {
    /// Point forecast for periods 1..=W (empty when there is no known history at all).
    pub forecast: Vec<f64>,
    /// The forecast errors the cascade looked at.
    pub errors: ErrorMatrix,
    /// The uncertainty model.
    pub model: UncertaintyModel,
    /// The cascade's explanation.
    pub diagnostics: Diagnostics,
    /// The scenarios; `None` when the cascade blocked the item.
    pub scenarios: Option<ScenarioSet>,
}

/// Forecasts, backtests, runs the cascade and draws scenarios for one item.
///
/// `consensus` replaces the built-in point forecast (the errors still come from
/// backtesting the built-in method: they describe the item's forecastability).
///
/// # Errors
///
/// [`DemandError`] for a zero window, fewer than two scenarios or a bad `consensus`.
pub fn generate(
    history: &DemandHistory,
    config: &DemandConfig,
    consensus: Option<&[f64]>,
    rng: &mut ItemStream,
) -> Result<DemandOutcome, DemandError> {
    let mut set = ScenarioSet::default();
    let (mut outcome, drawn) = generate_into(history, config, consensus, rng, &mut set)?;
    outcome.scenarios = drawn.then_some(set);
    Ok(outcome)
}

/// [`generate`], drawing the scenarios into `set` (reusing its buffers, see
/// [`UncertaintyModel::simulate_into`]) instead of a new set: the outcome's `scenarios` is
/// `None` and the flag says whether `set` holds the item's scenarios (`false`: blocked).
pub(crate) fn generate_into(
    history: &DemandHistory,
    config: &DemandConfig,
    consensus: Option<&[f64]>,
    rng: &mut ItemStream,
    set: &mut ScenarioSet,
) -> Result<(DemandOutcome, bool), DemandError> {
    let w = config.window;
    if w == 0 {
        return Err(DemandError::ZeroWindow);
    }
    if w > MAX_WINDOW {
        return Err(DemandError::WindowTooLong(w));
    }
    if config.scenarios < 2 {
        return Err(DemandError::TooFewScenarios(config.scenarios));
    }
    if config.scenarios > MAX_SCENARIOS {
        return Err(DemandError::TooManyScenarios(config.scenarios));
    }
    if let Some(c) = consensus
        && (c.len() != w || c.iter().any(|v| !(v.is_finite() && *v >= 0.0)))
    {
        return Err(DemandError::BadForecast { expected: w, got: c.to_vec() });
    }
    let y = history.observed_values();
    let class = classify(&y);
    // Seasonal positions need date arithmetic: only compute them when indices are used.
    let positions: Vec<usize> = match config.seasonality {
        Seasonality::None => vec![0; y.len() + w],
        _ => (0..y.len() + w).map(|t| history.season_position(t)).collect(),
    };
    let season_len = history.calendar().season_length();
    let indices = match &config.seasonality {
        Seasonality::None => SeasonalIndices::flat(season_len),
        Seasonality::Own | Seasonality::Pooled => SeasonalIndices::estimate(&y, &positions, season_len, 13, 2.0),
        Seasonality::Given(s) => s.clone(),
    };
    let method = match config.method {
        MethodChoice::Fixed(m) => m,
        MethodChoice::Auto if class.class.is_intermittent() => ForecastMethod::Sba { alpha: 0.1 },
        MethodChoice::Auto if config.seasonality != Seasonality::None => {
            ForecastMethod::SeasonalMovingAverage { window: 13 }
        }
        MethodChoice::Auto => ForecastMethod::Ses { alpha: 0.2 },
    };
    let mut errors = backtest(&method, &y, &positions, &indices, w, config.min_train);
    let mut indices = indices;
    let mut seasonal_note = None;
    let flat_indices = indices.values().iter().all(|v| *v == 1.0);
    if config.seasonal_evidence && config.seasonality != Seasonality::None && !flat_indices {
        let flat = SeasonalIndices::flat(season_len);
        let plain = backtest(&method, &y, &positions, &flat, w, config.min_train);
        let (gain, se, m) = paired_gain(plain.one_step(), errors.one_step());
        // Kept unless they make the item's own one-step forecasts clearly worse: the pooled
        // indices are already shrunk toward 1 by their estimation noise.
        if m < 2 {
            seasonal_note = Some(format!("seasonal indices kept: {m} one-step errors, too few to test them"));
        } else if gain >= -se {
            seasonal_note = Some(format!(
                "seasonal indices kept: mean squared one-step error {:+.3} with them (standard error {se:.3}, {m} origins)",
                -gain
            ));
        } else {
            seasonal_note = Some(format!(
                "no seasonality: the indices raised the mean squared one-step error by {:.3}, more than its standard error {se:.3} ({m} origins)",
                -gain
            ));
            indices = flat;
            errors = plain;
        }
    }
    if let Some(keep) = config.cascade.recent_rows {
        errors.keep_recent(keep);
    }
    let (model, mut diagnostics) = choose_model(&errors, history, class, &method, &config.cascade);
    if let Some(note) = seasonal_note.filter(|_| diagnostics.cold_start_mean.is_none()) {
        diagnostics.reason = format!("{}; {note}", diagnostics.reason);
    }
    let point = match (consensus, diagnostics.cold_start_mean) {
        (Some(c), _) => c.to_vec(),
        (None, Some(m)) => vec![m; w],
        (None, None) => {
            forecast(&method, ForecastInput { y: &y, positions: &positions, indices: &indices }, w).unwrap_or_default()
        }
    };
    let round = match config.rounding {
        Rounding::Auto => history.is_count_data(),
        Rounding::Never => false,
        Rounding::Always => true,
    };
    let drawn = point.len() == w && model.simulate_into(&point, config.scenarios, round, rng, set);
    Ok((DemandOutcome { forecast: point, errors, model, diagnostics, scenarios: None }, drawn))
}
