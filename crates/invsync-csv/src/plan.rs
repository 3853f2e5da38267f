//! The plan output: one row per item.
//!
//! ```text
//! <key columns>, order_qty, target_stock, safety_stock, reorder_point, mu_w, sigma_w,
//! policy, k, level, expected_cost, fill_rate, status, reason
//! ```
//!
//! `order_qty` is a whole number >= 0. `k` is the decision's safety factor: the k of a k
//! policy, otherwise `(target_stock - mu_w) / sigma_w`. A blocked item has `order_qty` 0,
//! `level` 0, empty figures and its `reason`; a cold-started item (level 0, planned from its
//! fitted per-period demand) has its figures and its `reason` too. Numbers carry at most 4 decimals.

use std::io;

use invsync_core::plan::ItemPlan;
use invsync_core::policy::PolicyKind;

use crate::error::{CsvError, writer_with_header};

/// The columns after the key columns.
pub const PLAN_COLUMNS: [&str; 14] = [
    "order_qty",
    "target_stock",
    "safety_stock",
    "reorder_point",
    "mu_w",
    "sigma_w",
    "policy",
    "k",
    "level",
    "expected_cost",
    "fill_rate",
    "status",
    "reason",
    "forecast_method",
];

/// Formats with at most 4 decimals, trailing zeros trimmed (`-0` printed as `0`).
pub fn fmt4(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{:.4}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_owned() } else { s.to_owned() }
}

/// Writes plan rows.
#[derive(Debug)]
pub struct PlanWriter<W: io::Write> {
    inner: csv::Writer<W>,
    keys: usize,
}

impl<W: io::Write> PlanWriter<W> {
    /// Writes the header (`key_names` then [`PLAN_COLUMNS`]).
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn new(w: W, key_names: &[String]) -> Result<Self, CsvError> {
        let header: Vec<&str> = key_names.iter().map(String::as_str).chain(PLAN_COLUMNS).collect();
        Ok(PlanWriter { inner: writer_with_header(w, &header)?, keys: key_names.len() })
    }

    /// Writes one item.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails or the key has the wrong number of values.
    pub fn write(&mut self, key: &[String], plan: &ItemPlan) -> Result<(), CsvError> {
        if key.len() != self.keys {
            return Err(CsvError::new(crate::CsvErrorKind::Invalid {
                expected: "one value per key column",
                message: format!("{} key values for {} key columns", key.len(), self.keys),
            }));
        }
        let mut row: Vec<String> = key.to_vec();
        let d = &plan.diagnostics;
        match &plan.recommendation {
            Some(r) => {
                let k = match r.policy {
                    PolicyKind::ScenarioK | PolicyKind::ProportionalK | PolicyKind::HistoricalK => r.parameter,
                    _ if r.sigma_w > 0.0 => Some(r.safety_stock / r.sigma_w),
                    _ => None,
                };
                row.extend([
                    format!("{}", r.order_qty.max(0.0).round() as u64),
                    fmt4(r.target_stock),
                    fmt4(r.safety_stock),
                    fmt4(r.reorder_point),
                    fmt4(r.mu_w),
                    fmt4(r.sigma_w),
                    r.policy.as_str().to_owned(),
                    k.map(fmt4).unwrap_or_default(),
                    d.level.to_string(),
                    fmt4(r.evaluation.expected_cost),
                    fmt4(r.evaluation.fill_rate),
                    r.status.as_str().to_owned(),
                    // A cold-started item says how it was planned.
                    if d.cold_start_mean.is_some() { d.reason.clone() } else { String::new() },
                    d.forecast_method.clone(),
                ]);
            }
            None => {
                row.extend(["0".to_owned(), String::new(), String::new(), String::new()]);
                row.extend([String::new(), String::new(), "blocked".to_owned(), String::new(), "0".to_owned()]);
                row.extend([
                    String::new(),
                    String::new(),
                    "blocked".to_owned(),
                    d.reason.clone(),
                    d.forecast_method.clone(),
                ]);
            }
        }
        self.inner.write_record(&row)?;
        Ok(())
    }

    /// Flushes.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when flushing fails.
    pub fn flush(&mut self) -> Result<(), CsvError> {
        Ok(self.inner.flush()?)
    }
}
