//! The plan output: one row per item.
//!
//! ```text
//! <key columns>, order_qty, target_stock, safety_stock, implied_k, reorder_point, mu_w,
//! sigma_w, policy, parameter, k, cascade_level, expected_cost, controllable_cost,
//! committed_cost, fill_rate, status, reason, forecast_method, optimal_qty,
//! override_cost_difference, override_by, override_why
//! ```
//!
//! Every column is defined, with a worked example, in docs/cli.md. `order_qty` is the
//! order to place, a whole number >= 0: a planner's override when there is one (then
//! `policy` is `override`, the figures describe the overridden order, `optimal_qty` the
//! optimum beside it and `override_cost_difference` what the override costs over it). A
//! blocked item has `order_qty` 0 (or its override), `cascade_level` 0, empty figures and
//! its `reason`; a cold-started item (`cascade_level` 0, planned from its fitted per-period
//! demand) has its figures and its `reason` too, and so has an item ordering 0. Numbers
//! carry at most 4 decimals.

use std::io;

use invsync_core::plan::ItemPlan;

use crate::error::{CsvError, writer_with_header};

/// The columns after the key columns.
pub const PLAN_COLUMNS: [&str; 22] = [
    "order_qty",
    "target_stock",
    "safety_stock",
    "implied_k",
    "reorder_point",
    "mu_w",
    "sigma_w",
    "policy",
    "parameter",
    "k",
    "cascade_level",
    "expected_cost",
    "controllable_cost",
    "committed_cost",
    "fill_rate",
    "status",
    "reason",
    "forecast_method",
    "optimal_qty",
    "override_cost_difference",
    "override_by",
    "override_why",
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
        let opt = |x: Option<f64>| x.map(fmt4).unwrap_or_default();
        let whole = |q: f64| format!("{}", q.max(0.0).round() as u64);
        match &plan.recommendation {
            Some(r) => {
                let e = &r.evaluation;
                let o = r.planner_override.as_ref();
                // The row describes the order to place: the override's figures when there is one.
                let (placed, target, ss, implied, ev) = match o {
                    Some(o) => (o.evaluation.order_qty, o.target_stock, o.safety_stock, o.implied_k, &o.evaluation),
                    None => (r.order_qty, r.target_stock, r.safety_stock, r.implied_k, e),
                };
                row.extend([
                    whole(placed),
                    fmt4(target),
                    fmt4(ss),
                    opt(implied),
                    opt(r.reorder_point),
                    fmt4(r.mu_w),
                    fmt4(r.sigma_w),
                    if o.is_some() { "override".to_owned() } else { r.policy.as_str().to_owned() },
                    opt(r.parameter.filter(|_| o.is_none())),
                    opt(r.k().filter(|_| o.is_none())),
                    d.level.to_string(),
                    fmt4(ev.expected_cost),
                    fmt4(ev.controllable_cost),
                    fmt4(ev.committed_cost),
                    fmt4(ev.fill_rate),
                    r.status.as_str().to_owned(),
                    // A cold-started item says how it was planned; an order of 0 says why.
                    if d.cold_start_mean.is_some() || r.order_qty == 0.0 { d.reason.clone() } else { String::new() },
                    d.forecast_method.clone(),
                ]);
                match o {
                    Some(o) => row.extend([
                        whole(r.order_qty),
                        fmt4(o.cost_difference),
                        o.planner_override.who.clone(),
                        o.planner_override.why.clone(),
                    ]),
                    None => row.extend([String::new(), String::new(), String::new(), String::new()]),
                }
            }
            None => {
                let o = plan.planner_override.as_ref();
                row.push(whole(plan.order_qty()));
                row.extend(std::iter::repeat_n(String::new(), 6));
                row.push(if o.is_some() { "override" } else { "blocked" }.to_owned());
                row.extend([String::new(), String::new(), "0".to_owned()]);
                row.extend(std::iter::repeat_n(String::new(), 4));
                row.extend(["blocked".to_owned(), d.reason.clone(), d.forecast_method.clone()]);
                row.extend([String::new(), String::new()]);
                row.extend([
                    o.map(|o| o.who.clone()).unwrap_or_default(),
                    o.map(|o| o.why.clone()).unwrap_or_default(),
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
