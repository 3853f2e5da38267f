//! Rolling-origin backtests: the forecast-error matrix.
//!
//! For every origin `t` (data known up to and including period `t`, at least `min_train`
//! known values), the method forecasts periods `t+1 .. t+W`; the row holds
//! `error_h = actual_{t+h} - forecast_h`. A row is *complete* when all W actuals are known
//! (present and not censored); the cascade counts complete rows. Censored and missing
//! actuals never become errors.

use super::forecast::{ForecastMethod, Forecaster, SeasonalIndices};

/// Forecast errors of one item for horizons 1..=W.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ErrorMatrix {
    w: usize,
    /// Complete rows, row-major (`n x w`).
    rows: Vec<f64>,
    /// Forecast of each complete row, row-major (`n x w`).
    forecasts: Vec<f64>,
    /// Every known one-step error, in origin order (complete rows or not).
    one_step: Vec<f64>,
}

impl ErrorMatrix {
    /// A matrix from complete rows of errors and the forecasts they were made against.
    ///
    /// # Panics
    ///
    /// Never; rows whose length differs from `w` are ignored.
    pub fn from_rows(w: usize, rows: &[(Vec<f64>, Vec<f64>)]) -> Self {
        let mut m = ErrorMatrix { w, ..Default::default() };
        for (e, f) in rows.iter().filter(|(e, f)| e.len() == w && f.len() == w) {
            m.rows.extend(e);
            m.forecasts.extend(f);
            m.one_step.push(e[0]);
        }
        m
    }

    /// Window length W.
    pub fn w(&self) -> usize {
        self.w
    }

    /// Number of complete rows.
    pub fn n(&self) -> usize {
        self.rows.len().checked_div(self.w).unwrap_or(0)
    }

    /// Complete row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        &self.rows[r * self.w..(r + 1) * self.w]
    }

    /// The forecast of complete row `r`.
    pub fn forecast_row(&self, r: usize) -> &[f64] {
        &self.forecasts[r * self.w..(r + 1) * self.w]
    }

    /// Window (W-period cumulative) errors of the complete rows.
    pub fn window_errors(&self) -> Vec<f64> {
        (0..self.n()).map(|r| self.row(r).iter().sum()).collect()
    }

    /// Window forecasts of the complete rows.
    pub fn window_forecasts(&self) -> Vec<f64> {
        (0..self.n()).map(|r| self.forecast_row(r).iter().sum()).collect()
    }

    /// Keeps only the `n` most recent complete rows (and one-step errors).
    pub fn keep_recent(&mut self, n: usize) {
        let rows = self.n();
        if rows > n {
            let drop = (rows - n) * self.w;
            self.rows.drain(..drop);
            self.forecasts.drain(..drop);
        }
        if self.one_step.len() > n {
            self.one_step.drain(..self.one_step.len() - n);
        }
    }

    /// Every known one-step error.
    pub fn one_step(&self) -> &[f64] {
        &self.one_step
    }
}

/// Backtests `method` over `y` (NaN = unknown) with horizon `w`.
pub fn backtest(
    method: &ForecastMethod,
    y: &[f64],
    positions: &[usize],
    indices: &SeasonalIndices,
    w: usize,
    min_train: usize,
) -> ErrorMatrix {
    let mut m = ErrorMatrix { w, ..Default::default() };
    // At most one origin per period: the columns are sized once, never regrown.
    let origins = y.len().saturating_sub(min_train.max(1));
    m.one_step.reserve(origins);
    m.rows.reserve(origins * w);
    m.forecasts.reserve(origins * w);
    let mut f = Forecaster::new(method);
    let mut known = 0usize;
    let mut fc = Vec::with_capacity(w);
    for t in 0..y.len() {
        f.push(y[t], indices.at(positions.get(t).copied().unwrap_or(t)));
        if !y[t].is_nan() {
            known += 1;
        }
        if known < min_train.max(1) || t + 1 >= y.len() {
            continue;
        }
        if !f.predict_into(t + 1, w, positions, indices, &mut fc) {
            continue;
        }
        // The actuals of horizons 1..=w that exist (t + 1 < y.len() here).
        let ahead = &y[t + 1..y.len().min(t + 1 + w)];
        if let (Some(&a1), Some(&f1)) = (ahead.first(), fc.first())
            && !a1.is_nan()
        {
            m.one_step.push(a1 - f1);
        }
        if ahead.len() == w && fc.len() == w && ahead.iter().all(|a| !a.is_nan()) {
            m.rows.extend(ahead.iter().zip(&fc).map(|(a, f)| a - f));
            m.forecasts.extend_from_slice(&fc);
        }
    }
    m
}
