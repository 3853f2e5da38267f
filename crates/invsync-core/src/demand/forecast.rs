//! Built-in point forecasters. None needs machine learning; all skip missing and censored
//! periods (`NaN`).
//!
//! ```text
//! With seasonal indices, every method works on deseasonalised values y / idx and its
//! forecast is reseasonalised: f_h = level x idx(position of T+h). Without, idx = 1.
//!
//! naive            f = last known value
//! moving average   f = mean of the last n known values
//! seasonal MA      the moving average (kept as a name for seasonal configurations)
//! SES              l = a y + (1 - a) l, started at the first known value; f = l
//! damped Holt      l = a y' + (1-a)(l + phi b); b = beta (l - l_prev) + (1-beta) phi b;
//!                  f_h = (l + (phi + ... + phi^h) b) x idx   (y' = y / idx)
//! Croston          SES (alpha) of non-zero sizes z and of intervals p; f = z / p
//! SBA              Croston x (1 - alpha / 2)
//! TSB              SES (alpha_p) of the occurrence indicator x SES (alpha_d) of sizes
//! ```
//!
//! Intervals are counted from the series start (docs/oracles.md E). Forecasts are floored at 0.

use super::classify::mean;

/// A point-forecasting method.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "method", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ForecastMethod {
    /// Last known value.
    Naive,
    /// Mean of the last `window` known values.
    MovingAverage {
        /// Number of values averaged.
        window: usize,
    },
    /// The moving average, named for seasonal configurations (every method deseasonalises
    /// when indices are in use).
    SeasonalMovingAverage {
        /// Number of values averaged.
        window: usize,
    },
    /// Simple exponential smoothing.
    Ses {
        /// Smoothing constant in (0, 1].
        alpha: f64,
    },
    /// SES with the smoothing constant chosen per item from its measured one-step errors:
    /// every alpha of [`SES_FIT_GRID`] runs side by side, each started as the running mean
    /// (alpha_t = max(alpha, 1 / t) at the t-th known value), and the forecast comes from
    /// the smallest alpha whose mean squared one-step error is within one standard error
    /// of the lowest (the one-standard-error rule: the smoother forecaster unless the data
    /// show a clearly better one).
    SesFitted,
    /// Holt's damped trend on deseasonalised values.
    HoltDamped {
        /// Level smoothing in (0, 1].
        alpha: f64,
        /// Trend smoothing in [0, 1].
        beta: f64,
        /// Damping in [0, 1].
        phi: f64,
    },
    /// Croston's method.
    Croston {
        /// Smoothing constant of sizes and intervals.
        alpha: f64,
    },
    /// Syntetos-Boylan approximation.
    Sba {
        /// Smoothing constant of sizes and intervals.
        alpha: f64,
    },
    /// Teunter-Syntetos-Babai.
    Tsb {
        /// Smoothing constant of sizes.
        alpha_d: f64,
        /// Smoothing constant of the occurrence probability.
        alpha_p: f64,
    },
}

impl ForecastMethod {
    /// Short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            ForecastMethod::Naive => "naive",
            ForecastMethod::MovingAverage { .. } => "moving_average",
            ForecastMethod::SeasonalMovingAverage { .. } => "seasonal_moving_average",
            ForecastMethod::Ses { .. } => "ses",
            ForecastMethod::SesFitted => "ses_fitted",
            ForecastMethod::HoltDamped { .. } => "holt_damped",
            ForecastMethod::Croston { .. } => "croston",
            ForecastMethod::Sba { .. } => "sba",
            ForecastMethod::Tsb { .. } => "tsb",
        }
    }
}

/// The smoothing constants [`ForecastMethod::SesFitted`] chooses from (0: the running mean
/// of every known value, the best forecaster of a stationary series).
pub const SES_FIT_GRID: [f64; 9] = [0.0, 0.01, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5];

/// Multiplicative seasonal indices, one per seasonal position, averaging 1.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SeasonalIndices(Vec<f64>);

impl SeasonalIndices {
    /// No seasonality: every index 1.
    pub fn flat(length: usize) -> Self {
        SeasonalIndices(vec![1.0; length.max(1)])
    }

    /// Indices from given values (floored at 0.05, renormalised to average 1).
    pub fn from_values(values: Vec<f64>) -> Self {
        let mut s =
            SeasonalIndices(values.into_iter().map(|v| if v.is_finite() { v.max(0.05) } else { 1.0 }).collect());
        s.normalise();
        s
    }

    /// Estimates indices from known values `y` (NaN skipped) at seasonal `positions`:
    /// each value's ratio to a centred moving average of `level_window` periods, averaged
    /// per position and shrunk towards 1 with weight `shrinkage` (in pseudo-observations).
    pub fn estimate(y: &[f64], positions: &[usize], length: usize, level_window: usize, shrinkage: f64) -> Self {
        let length = length.max(1);
        let half = level_window.max(1) / 2;
        let mut sum = vec![0.0; length];
        let mut n = vec![0.0; length];
        for (t, &v) in y.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let lo = t.saturating_sub(half);
            let hi = (t + half + 1).min(y.len());
            // The mean of the window's known values, without collecting them.
            let (total, known) =
                y[lo..hi].iter().filter(|x| !x.is_nan()).fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
            let level = if known == 0 { 0.0 } else { total / known as f64 };
            if level > 0.0 {
                let p = positions.get(t).copied().unwrap_or(t) % length;
                sum[p] += v / level;
                n[p] += 1.0;
            }
        }
        let values = (0..length).map(|p| (sum[p] + shrinkage) / (n[p] + shrinkage).max(f64::MIN_POSITIVE)).collect();
        Self::from_values(values)
    }

    /// Indices pooled over many items: the per-period total of their recorded values
    /// (censored sales included, missing as 0) over periods `0..=upto`, each total's ratio
    /// to its centred 52-period moving average, averaged per seasonal position.
    /// `positions[t]` is period t's seasonal position; `length` the number of positions.
    pub fn pooled<'a>(
        histories: impl IntoIterator<Item = &'a [f64]>,
        upto: usize,
        positions: &[usize],
        length: usize,
    ) -> Self {
        let mut total = vec![0.0; upto + 1];
        for y in histories {
            for (acc, v) in total.iter_mut().zip(y) {
                if !v.is_nan() {
                    *acc += v;
                }
            }
        }
        Self::estimate(&total, positions, length, 52, 0.0)
    }

    /// Weighted average of several items' indices (pooled seasonality over a group).
    pub fn pool<'a>(parts: impl IntoIterator<Item = (&'a SeasonalIndices, f64)>) -> Option<Self> {
        let mut acc: Option<(Vec<f64>, f64)> = None;
        for (s, w) in parts {
            if w.is_nan() || w <= 0.0 {
                continue;
            }
            let (sum, total) = acc.get_or_insert_with(|| (vec![0.0; s.0.len()], 0.0));
            if sum.len() != s.0.len() {
                continue;
            }
            for (a, b) in sum.iter_mut().zip(&s.0) {
                *a += w * b;
            }
            *total += w;
        }
        acc.map(|(sum, total)| Self::from_values(sum.into_iter().map(|v| v / total).collect()))
    }

    fn normalise(&mut self) {
        let m = mean(&self.0);
        if m > 0.0 {
            self.0.iter_mut().for_each(|v| *v /= m);
        }
    }

    /// The index of seasonal position `p`.
    pub fn at(&self, p: usize) -> f64 {
        // Positions are normally in range: no division for them.
        let n = self.0.len();
        self.0[if p < n { p } else { p % n }]
    }

    /// Every index.
    pub fn values(&self) -> &[f64] {
        &self.0
    }
}

/// What a forecaster sees: known values up to the origin (NaN = unknown) and the seasonal
/// position of every period, history and horizon alike.
#[derive(Debug, Clone, Copy)]
pub struct ForecastInput<'a> {
    /// Values of periods `0..=origin` (NaN: missing or censored).
    pub y: &'a [f64],
    /// Seasonal position of periods `0..y.len() + horizon`.
    pub positions: &'a [usize],
    /// Seasonal indices (flat when the item has no seasonality).
    pub indices: &'a SeasonalIndices,
}

/// Forecasts the next `horizon` periods; `None` when there is no known value at all.
pub fn forecast(method: &ForecastMethod, input: ForecastInput<'_>, horizon: usize) -> Option<Vec<f64>> {
    let mut f = Forecaster::new(method);
    for (t, &v) in input.y.iter().enumerate() {
        f.push(v, input.indices.at(input.positions.get(t).copied().unwrap_or(t)));
    }
    f.predict(input.y.len(), horizon, input.positions, input.indices)
}

/// A forecaster fed one period at a time: `forecast` and the rolling-origin backtest share
/// it, so a backtest's forecast at origin t is exactly `forecast` on the first t + 1 values.
#[derive(Debug, Clone)]
pub(crate) struct Forecaster {
    method: ForecastMethod,
    /// Known values seen.
    known: usize,
    /// Last known value (naive).
    last: f64,
    /// Last `window` known (deseasonalised) values, oldest first (moving averages).
    buf: std::collections::VecDeque<f64>,
    /// Smoothed level / sizes (SES, Holt, Croston, TSB sizes).
    level: Option<f64>,
    /// Trend (Holt) or smoothed interval (Croston) or occurrence probability (TSB).
    second: Option<f64>,
    /// Periods since the last non-zero demand (Croston), counted from the series start.
    since: f64,
    /// Fitted SES: (level, sum of squared one-step errors, sum of their squares) per alpha
    /// of the grid.
    fitted: [(f64, f64, f64); SES_FIT_GRID.len()],
}

impl Forecaster {
    pub(crate) fn new(method: &ForecastMethod) -> Self {
        Forecaster {
            method: *method,
            known: 0,
            last: 0.0,
            buf: std::collections::VecDeque::new(),
            level: None,
            second: None,
            since: 0.0,
            fitted: [(f64::NAN, 0.0, 0.0); SES_FIT_GRID.len()],
        }
    }

    /// Feeds period value `v` (NaN: unknown) with seasonal index `idx`.
    pub(crate) fn push(&mut self, v: f64, idx: f64) {
        if v.is_nan() {
            return;
        }
        self.known += 1;
        // Every method works on deseasonalised values (idx = 1 without seasonality).
        let v = v / idx;
        self.last = v;
        let smooth = |s: &mut Option<f64>, x: f64, a: f64| *s = Some(s.map_or(x, |l| a * x + (1.0 - a) * l));
        match self.method {
            ForecastMethod::Naive => {}
            ForecastMethod::MovingAverage { window } | ForecastMethod::SeasonalMovingAverage { window } => {
                self.buf.push_back(v);
                if self.buf.len() > window.max(1) {
                    self.buf.pop_front();
                }
            }
            ForecastMethod::Ses { alpha } => smooth(&mut self.level, v, alpha),
            ForecastMethod::SesFitted => {
                // Running-mean start: the t-th known value weighs max(alpha, 1 / t).
                let start = 1.0 / self.known as f64;
                for ((level, sse, sse2), a) in self.fitted.iter_mut().zip(SES_FIT_GRID) {
                    if level.is_nan() {
                        *level = v;
                    } else {
                        let e2 = (v - *level) * (v - *level);
                        *sse += e2;
                        *sse2 += e2 * e2;
                        let a = a.max(start);
                        *level = a * v + (1.0 - a) * *level;
                    }
                }
            }
            ForecastMethod::HoltDamped { alpha, beta, phi } => {
                let x = v;
                match self.level {
                    None => {
                        self.level = Some(x);
                        self.second = Some(0.0);
                    }
                    Some(prev) => {
                        let trend = self.second.unwrap_or(0.0);
                        let level = alpha * x + (1.0 - alpha) * (prev + phi * trend);
                        self.second = Some(beta * (level - prev) + (1.0 - beta) * phi * trend);
                        self.level = Some(level);
                    }
                }
            }
            ForecastMethod::Croston { alpha } | ForecastMethod::Sba { alpha } => {
                self.since += 1.0;
                if v > 0.0 {
                    smooth(&mut self.level, v, alpha);
                    smooth(&mut self.second, self.since, alpha);
                    self.since = 0.0;
                }
            }
            ForecastMethod::Tsb { alpha_d, alpha_p } => {
                smooth(&mut self.second, if v > 0.0 { 1.0 } else { 0.0 }, alpha_p);
                if v > 0.0 {
                    smooth(&mut self.level, v, alpha_d);
                }
            }
        }
    }

    /// The level of [`ForecastMethod::SesFitted`]: the smallest alpha whose mean squared
    /// one-step error is within one standard error of the lowest.
    fn fitted_level(&self) -> f64 {
        let m = self.known.saturating_sub(1) as f64;
        let pick = if m < 2.0 {
            self.fitted.first()
        } else {
            let best = self.fitted.iter().min_by(|a, b| a.1.total_cmp(&b.1));
            let limit = best.map_or(0.0, |&(_, sse, sse2)| {
                let mse = sse / m;
                let var = (sse2 / m - mse * mse).max(0.0);
                mse + (var / m).sqrt()
            });
            self.fitted.iter().find(|f| f.1 / m <= limit).or(best)
        };
        pick.map_or(0.0, |f| if f.0.is_nan() { 0.0 } else { f.0 })
    }

    /// Forecast of periods `t0 .. t0 + horizon` (t0 = number of periods fed).
    pub(crate) fn predict(
        &self,
        t0: usize,
        horizon: usize,
        positions: &[usize],
        indices: &SeasonalIndices,
    ) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(horizon);
        self.predict_into(t0, horizon, positions, indices, &mut out).then_some(out)
    }

    /// [`Forecaster::predict`] into `out` (cleared first), so a backtest reuses one buffer.
    /// `false` (and `out` empty) when nothing is known yet.
    pub(crate) fn predict_into(
        &self,
        t0: usize,
        horizon: usize,
        positions: &[usize],
        indices: &SeasonalIndices,
        out: &mut Vec<f64>,
    ) -> bool {
        out.clear();
        if self.known == 0 {
            return false;
        }
        let idx = |t: usize| indices.at(positions.get(t).copied().unwrap_or(t));
        // A deseasonalised level, reseasonalised per future period.
        let mut flat = |f: f64| out.extend((0..horizon).map(|h| (f * idx(t0 + h)).max(0.0)));
        let buf_mean = || self.buf.iter().sum::<f64>() / self.buf.len().max(1) as f64;
        match self.method {
            ForecastMethod::Naive => flat(self.last),
            ForecastMethod::MovingAverage { .. } | ForecastMethod::SeasonalMovingAverage { .. } => flat(buf_mean()),
            ForecastMethod::Ses { .. } => flat(self.level.unwrap_or(0.0)),
            ForecastMethod::SesFitted => flat(self.fitted_level()),
            ForecastMethod::HoltDamped { phi, .. } => {
                let (level, trend) = (self.level.unwrap_or(0.0), self.second.unwrap_or(0.0));
                let (mut damp, mut pow) = (0.0, 1.0);
                out.extend((0..horizon).map(|h| {
                    pow *= phi;
                    damp += pow;
                    ((level + damp * trend) * idx(t0 + h)).max(0.0)
                }));
            }
            ForecastMethod::Croston { .. } | ForecastMethod::Sba { .. } => {
                let f = match (self.level, self.second) {
                    (Some(z), Some(p)) if p > 0.0 => z / p,
                    _ => 0.0,
                };
                let f = if let ForecastMethod::Sba { alpha } = self.method { f * (1.0 - alpha / 2.0) } else { f };
                flat(f)
            }
            ForecastMethod::Tsb { .. } => flat(self.second.unwrap_or(0.0) * self.level.unwrap_or(0.0)),
        }
        true
    }
}
