//! Built-in point forecasters. None needs machine learning; all skip missing and censored
//! periods (`NaN`).
//!
//! ```text
//! naive            f = last known value
//! moving average   f = mean of the last n known values
//! seasonal MA      f_h = mean of the last n deseasonalised values x idx(position of T+h)
//! SES              l = a y + (1 - a) l, started at the first known value; f = l
//! damped Holt      l = a y' + (1-a)(l + phi b); b = beta (l - l_prev) + (1-beta) phi b;
//!                  f_h = (l + (phi + ... + phi^h) b) x idx   (y' = y / idx)
//! Croston          SES (alpha) of non-zero sizes z and of intervals p; f = z / p
//! SBA              Croston x (1 - alpha / 2)
//! TSB              SES (alpha_p) of the occurrence indicator x SES (alpha_d) of sizes
//! ```
//!
//! Intervals are counted from the series start (ORACLES.md E). Forecasts are floored at 0.

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
    /// Moving average of deseasonalised values, reseasonalised with multiplicative indices.
    SeasonalMovingAverage {
        /// Number of values averaged.
        window: usize,
    },
    /// Simple exponential smoothing.
    Ses {
        /// Smoothing constant in (0, 1].
        alpha: f64,
    },
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
            ForecastMethod::HoltDamped { .. } => "holt_damped",
            ForecastMethod::Croston { .. } => "croston",
            ForecastMethod::Sba { .. } => "sba",
            ForecastMethod::Tsb { .. } => "tsb",
        }
    }
}

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
            let window: Vec<f64> = y[lo..hi].iter().copied().filter(|x| !x.is_nan()).collect();
            let level = mean(&window);
            if level > 0.0 {
                let p = positions.get(t).copied().unwrap_or(t) % length;
                sum[p] += v / level;
                n[p] += 1.0;
            }
        }
        let values = (0..length).map(|p| (sum[p] + shrinkage) / (n[p] + shrinkage).max(f64::MIN_POSITIVE)).collect();
        Self::from_values(values)
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
        self.0[p % self.0.len()]
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
    let ForecastInput { y, positions, indices } = input;
    let known = || y.iter().copied().filter(|v| !v.is_nan());
    known().next()?;
    let t0 = y.len();
    let idx = |t: usize| indices.at(positions.get(t).copied().unwrap_or(t));
    let flat = |f: f64| Some(vec![f.max(0.0); horizon]);
    match *method {
        ForecastMethod::Naive => flat(y.iter().rev().copied().find(|v| !v.is_nan()).unwrap_or(0.0)),
        ForecastMethod::MovingAverage { window } => {
            let last: Vec<f64> = y.iter().rev().copied().filter(|v| !v.is_nan()).take(window.max(1)).collect();
            flat(mean(&last))
        }
        ForecastMethod::SeasonalMovingAverage { window } => {
            let last: Vec<f64> =
                (0..t0).rev().filter(|&t| !y[t].is_nan()).take(window.max(1)).map(|t| y[t] / idx(t)).collect();
            let level = mean(&last);
            Some((1..=horizon).map(|h| (level * idx(t0 + h - 1)).max(0.0)).collect())
        }
        ForecastMethod::Ses { alpha } => flat(ses(known(), alpha)),
        ForecastMethod::HoltDamped { alpha, beta, phi } => {
            let mut it = (0..t0).filter(|&t| !y[t].is_nan()).map(|t| y[t] / idx(t));
            let mut level = it.next().unwrap_or(0.0);
            let mut trend = 0.0;
            for v in it {
                let prev = level;
                level = alpha * v + (1.0 - alpha) * (level + phi * trend);
                trend = beta * (level - prev) + (1.0 - beta) * phi * trend;
            }
            let mut damp = 0.0;
            let mut pow = 1.0;
            Some(
                (1..=horizon)
                    .map(|h| {
                        pow *= phi;
                        damp += pow;
                        ((level + damp * trend) * idx(t0 + h - 1)).max(0.0)
                    })
                    .collect(),
            )
        }
        ForecastMethod::Croston { alpha } => flat(croston(known(), alpha)),
        ForecastMethod::Sba { alpha } => flat(croston(known(), alpha) * (1.0 - alpha / 2.0)),
        ForecastMethod::Tsb { alpha_d, alpha_p } => {
            let sizes = known().filter(|&v| v > 0.0);
            let occurrence = known().map(|v| if v > 0.0 { 1.0 } else { 0.0 });
            let z = if known().any(|v| v > 0.0) { ses(sizes, alpha_d) } else { 0.0 };
            flat(ses(occurrence, alpha_p) * z)
        }
    }
}

/// Simple exponential smoothing started at the first value; the final level.
fn ses(mut x: impl Iterator<Item = f64>, alpha: f64) -> f64 {
    let Some(mut level) = x.next() else { return 0.0 };
    for v in x {
        level = alpha * v + (1.0 - alpha) * level;
    }
    level
}

/// Croston's z / p with intervals counted from the series start.
fn croston(x: impl Iterator<Item = f64>, alpha: f64) -> f64 {
    let mut sizes = Vec::new();
    let mut intervals = Vec::new();
    let mut since = 0.0;
    for v in x {
        since += 1.0;
        if v > 0.0 {
            sizes.push(v);
            intervals.push(since);
            since = 0.0;
        }
    }
    if sizes.is_empty() {
        return 0.0;
    }
    ses(sizes.into_iter(), alpha) / ses(intervals.into_iter(), alpha)
}
