//! The native half of the `invsync` Python package (the Python half, in `python/invsync`,
//! turns data frames into column buffers and results into data frames).
//!
//! Everything here is the command line's `invsync plan` glue over the same library code:
//! the history is read by the CSV readers' rules from columns
//! ([`invsync_csv::WideColumns`], [`invsync_csv::LongColumns`]), seasonality is pooled over
//! the history as the command line pools it, in-stock flags are aligned with
//! [`invsync_csv::align_in_stock`], state, item settings and overrides are read by the
//! CSV readers themselves, items are planned by [`invsync_core::plan::plan_batch`] and
//! written by [`invsync_csv::PlanWriter`]. So a plan is bit for bit the command line's for
//! the same inputs and seed (tested from Python against the binary).

#![deny(missing_docs)]

use std::collections::HashMap;

use invsync_core::demand::{DemandConfig, DemandHistory, Seasonality, generate};
use invsync_core::ledger::{Ledger, LedgerConfig, NegativeStock};
use invsync_core::plan::{ItemInput, ItemPlan, PlanConfig, SeasonalPool, plan_batch, plan_item};
use invsync_core::policy::{ItemSettings, Override, StockPosition};
use invsync_core::sync::{ReconcileConfig, reconcile};
use invsync_core::{ItemId, LocationId, Timestamp};
use invsync_csv::{
    BalanceWriter, CsvError, EventReaderBuilder, HistoryReaderBuilder, HistoryRecord, HistoryWriter, InStockRecord,
    Key, LongColumns, PLAN_COLUMNS, PlanWriter, WideColumns, align_in_stock, bounded, key_text, read_counts,
    read_item_settings, read_overrides, write_reconciliation,
};
use numpy::ndarray::Array2;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

create_exception!(_native, InvsyncError, PyException, "Base class of every error invsync raises.");
create_exception!(
    _native,
    InputError,
    InvsyncError,
    "Bad input or settings: `file`, `line`, `row`, `column`, `column_index`, `value` and `item` say where."
);

/// Where an error is, in the terms of the table it came from.
#[derive(Debug, Default)]
struct Place {
    file: Option<String>,
    line: Option<u64>,
    column: Option<(usize, String)>,
    value: Option<String>,
    item: Option<String>,
}

/// An error on its way to Python: a message and where.
#[derive(Debug)]
struct Failure {
    message: String,
    place: Box<Place>,
}

impl Failure {
    fn new(message: impl Into<String>) -> Self {
        Failure { message: message.into(), place: Box::default() }
    }

    fn at(mut self, file: &str, line: u64, item: Option<&str>) -> Self {
        self.place.file = Some(file.to_owned());
        self.place.line = Some(line);
        self.place.item = item.map(str::to_owned);
        self
    }

    /// An error of one item as a whole (the planner's): the history, no line.
    fn of_item(mut self, item: &str) -> Self {
        self.place.file = Some("history".to_owned());
        self.place.item = Some(item.to_owned());
        self
    }

    /// A reader's error; `keys` are the table's row keys (to name the item at the line).
    fn csv(e: &CsvError, keys: Option<&[Key]>) -> Self {
        let line = (e.line() > 0).then_some(e.line());
        let item =
            line.filter(|l| *l >= 2).and_then(|l| keys.and_then(|k| k.get((l - 2) as usize))).map(|k| key_text(k));
        Failure {
            message: e.to_string(),
            place: Box::new(Place {
                file: e.file().map(str::to_owned),
                line,
                column: e.column().map(|(i, n)| (i, n.to_owned())),
                value: e.value().map(str::to_owned),
                item,
            }),
        }
    }

    fn into_py(self, py: Python<'_>) -> PyErr {
        let err = InputError::new_err(self.message);
        let v = err.value(py);
        let p = *self.place;
        let row = p.line.filter(|l| *l >= 2).map(|l| l - 2);
        let set = || -> PyResult<()> {
            v.setattr("file", p.file)?;
            v.setattr("line", p.line)?;
            v.setattr("row", row)?;
            v.setattr("column_index", p.column.as_ref().map(|c| c.0))?;
            v.setattr("column", p.column.map(|c| c.1))?;
            v.setattr("value", p.value)?;
            v.setattr("item", p.item)?;
            Ok(())
        };
        match set() {
            Ok(()) => err,
            Err(e) => e,
        }
    }
}

type Res<T> = Result<T, Failure>;

/// The planner settings of a profile with the caller's periods, costs, scenario count and
/// seed, checked: as the command line's `plan_config`.
#[allow(clippy::too_many_arguments)]
fn plan_config(
    profile: &str,
    lead_time: usize,
    review_period: usize,
    holding: f64,
    shortage: f64,
    scenarios: usize,
    seed: u64,
) -> Res<PlanConfig> {
    let mut c = match profile {
        "default" => {
            let mut c = PlanConfig::default();
            c.policy.carryover = PlanConfig::carryover_for(lead_time);
            c
        }
        "vn2" => PlanConfig::vn2(),
        other => {
            return Err(Failure::new(format!("profile {:?}: expected \"default\" or \"vn2\"", bounded(other))));
        }
    };
    c.policy.lead_time = lead_time;
    c.policy.review_period = review_period;
    c.policy.holding = holding;
    c.policy.shortage = shortage;
    c.demand.scenarios = scenarios;
    c.seed = seed;
    c.validate().map_err(|e| Failure::new(e.to_string()))?;
    Ok(c)
}

/// The most worker threads, and the run's memory budget in scenario values: the command
/// line's limits.
const MAX_THREADS: usize = 256;
const MAX_RUN_SCENARIO_VALUES: usize = 100_000_000;

fn thread_count(threads: Option<usize>, config: &PlanConfig) -> Res<usize> {
    let per_thread = config.demand.scenarios.saturating_mul(config.policy.simulated_periods()).max(1);
    let fit = (MAX_RUN_SCENARIO_VALUES / per_thread).max(1);
    match threads {
        None => Ok(std::thread::available_parallelism().map_or(1, usize::from).min(MAX_THREADS).min(fit)),
        Some(n) if !(1..=MAX_THREADS).contains(&n) => {
            Err(Failure::new(format!("threads must be between 1 and {MAX_THREADS}, got {n}")))
        }
        Some(n) if n > fit => Err(Failure::new(format!(
            "threads {n} x {} scenarios x {} simulated periods is above the run's memory budget of {MAX_RUN_SCENARIO_VALUES} scenario values: at most {fit} threads with these settings",
            config.demand.scenarios,
            config.policy.simulated_periods()
        ))),
        Some(n) => Ok(n),
    }
}

/// Row keys from key columns (one list of strings per key column).
fn row_keys(columns: Vec<Vec<String>>, rows: usize) -> Res<Vec<Key>> {
    if columns.iter().any(|c| c.len() != rows) {
        return Err(Failure::new("key columns of different lengths"));
    }
    let mut keys: Vec<Key> = (0..rows).map(|_| Vec::with_capacity(columns.len())).collect();
    for col in columns {
        for (k, v) in keys.iter_mut().zip(col) {
            k.push(v.trim().to_owned());
        }
    }
    Ok(keys)
}

/// The column layout of a wide table: (key column indices, period column indices).
#[pyfunction]
#[pyo3(signature = (names, key_columns, file))]
fn wide_layout(
    py: Python<'_>,
    names: Vec<String>,
    key_columns: Option<Vec<String>>,
    file: &str,
) -> PyResult<(Vec<usize>, Vec<usize>)> {
    let w =
        WideColumns::new(&names, key_columns.as_deref(), Some(file)).map_err(|e| Failure::csv(&e, None).into_py(py))?;
    Ok((w.key_columns().to_vec(), w.period_columns().to_vec()))
}

/// The column layout of a long table: (key column indices, date, quantity, in_stock).
#[pyfunction]
#[pyo3(signature = (names, key_columns, file))]
fn long_layout(
    py: Python<'_>,
    names: Vec<String>,
    key_columns: Option<Vec<String>>,
    file: &str,
) -> PyResult<(Vec<usize>, usize, usize, Option<usize>)> {
    let l =
        LongColumns::new(&names, key_columns.as_deref(), Some(file)).map_err(|e| Failure::csv(&e, None).into_py(py))?;
    let (d, q, s) = l.value_columns();
    Ok((l.key_columns().to_vec(), d, q, s))
}

/// One item ready to plan.
#[derive(Debug, Clone)]
struct Item {
    key: Key,
    text: String,
    history: DemandHistory,
    position: StockPosition,
    settings: Option<ItemSettings>,
    planner_override: Option<Override>,
}

/// A history, flags, state, settings and overrides read and checked as `invsync plan`
/// reads them, with the planner settings: ready to plan, or to draw one item's scenarios.
#[pyclass(frozen, module = "invsync._native")]
struct Prepared {
    key_names: Vec<String>,
    items: Vec<Item>,
    /// The settings with seasonality pooled over the history (what `plan` uses).
    config: PlanConfig,
    /// The settings as given (the backtest pools per origin itself).
    raw_config: PlanConfig,
    threads: usize,
    warnings: Vec<String>,
}

/// The history's records and key names.
fn read_history(history: &Bound<'_, PyDict>) -> Res<(Vec<String>, Vec<HistoryRecord>)> {
    let get = |name: &str| -> Res<Bound<'_, PyAny>> {
        history
            .get_item(name)
            .map_err(|e| Failure::new(e.to_string()))?
            .ok_or_else(|| Failure::new(format!("history: internal: no {name}")))
    };
    let ex = |e: PyErr| Failure::new(format!("history: {e}"));
    let names: Vec<String> = get("names")?.extract().map_err(ex)?;
    let key_columns: Option<Vec<String>> = get("key_columns")?.extract().map_err(ex)?;
    let keys: Vec<Vec<String>> = get("keys")?.extract().map_err(ex)?;
    let rows: usize = get("rows")?.extract().map_err(ex)?;
    let keys = row_keys(keys, rows)?;
    let shape: String = get("shape")?.extract().map_err(ex)?;
    if shape == "wide" {
        let w =
            WideColumns::new(&names, key_columns.as_deref(), Some("history")).map_err(|e| Failure::csv(&e, None))?;
        let values = get("values")?;
        let values: PyReadonlyArray2<'_, f64> = values.extract().map_err(ex)?;
        let slice = values.as_slice().map_err(|e| Failure::new(format!("history: {e}")))?;
        let k2 = keys.clone();
        let records = w.histories(keys, slice).map_err(|e| Failure::csv(&e, Some(&k2)))?;
        Ok((w.key_names(), records))
    } else {
        let l =
            LongColumns::new(&names, key_columns.as_deref(), Some("history")).map_err(|e| Failure::csv(&e, None))?;
        let dates: Vec<String> = get("dates")?.extract().map_err(ex)?;
        let qty = get("quantities")?;
        let qty: PyReadonlyArray1<'_, f64> = qty.extract().map_err(ex)?;
        let flags = get("in_stock")?;
        let flags: Option<PyReadonlyArray1<'_, bool>> = flags.extract().map_err(ex)?;
        let sorted: bool = get("sorted")?.extract().map_err(ex)?;
        let qs = qty.as_slice().map_err(|e| Failure::new(format!("history: {e}")))?;
        let fs = match &flags {
            Some(f) => Some(f.as_slice().map_err(|e| Failure::new(format!("history: {e}")))?),
            None => None,
        };
        let k2 = keys.clone();
        let records = l.histories(keys, &dates, qs, fs, sorted).map_err(|e| Failure::csv(&e, Some(&k2)))?;
        Ok((l.key_names(), records))
    }
}

/// The in-stock rows by key (a key twice is an error naming both rows).
fn read_in_stock(flags: &Bound<'_, PyDict>, key_names: &[String]) -> Res<HashMap<Key, InStockRecord>> {
    let ex = |e: PyErr| Failure::new(format!("in_stock: {e}"));
    let get = |name: &str| -> Res<Bound<'_, PyAny>> {
        flags.get_item(name).map_err(ex)?.ok_or_else(|| Failure::new(format!("in_stock: internal: no {name}")))
    };
    let names: Vec<String> = get("names")?.extract().map_err(ex)?;
    let w = WideColumns::new(&names, Some(key_names), Some("in_stock")).map_err(|e| Failure::csv(&e, None))?;
    let keys: Vec<Vec<String>> = get("keys")?.extract().map_err(ex)?;
    let rows: usize = get("rows")?.extract().map_err(ex)?;
    let keys = row_keys(keys, rows)?;
    let values = get("values")?;
    let values: PyReadonlyArray2<'_, bool> = values.extract().map_err(ex)?;
    let slice = values.as_slice().map_err(|e| Failure::new(format!("in_stock: {e}")))?;
    let mut out: HashMap<Key, InStockRecord> = HashMap::with_capacity(rows);
    for rec in w.in_stock(keys, slice).map_err(|e| Failure::csv(&e, None))? {
        if let Some(first) = out.get(&rec.key) {
            let text = key_text(&rec.key);
            return Err(Failure::new(format!(
                "in_stock:{}: duplicate in-stock row for item {} (first at line {})",
                rec.line,
                bounded(&text),
                first.line
            ))
            .at("in_stock", rec.line, Some(&text)));
        }
        out.insert(rec.key.clone(), rec);
    }
    Ok(out)
}

/// Every state row by key, read from CSV text by the state reader.
fn read_state(text: &str, key_names: &[String]) -> Res<HashMap<Key, (u64, StockPosition)>> {
    let mut b = HistoryReaderBuilder::new();
    b.file("state");
    let mut m: HashMap<Key, (u64, StockPosition)> = HashMap::new();
    for rec in b.state(text.as_bytes(), key_names).map_err(|e| Failure::csv(&e, None))? {
        let rec = rec.map_err(|e| Failure::csv(&e, None))?;
        if let Some((first, _)) = m.get(&rec.key) {
            let t = key_text(&rec.key);
            return Err(Failure::new(format!(
                "state:{}: duplicate state for item {} (first at line {first})",
                rec.line,
                bounded(&t)
            ))
            .at("state", rec.line, Some(&t)));
        }
        m.insert(rec.key, (rec.line, rec.position));
    }
    Ok(m)
}

/// The command line's reading of a plan run, from tables instead of files.
#[allow(clippy::too_many_arguments)]
fn prepare_items(
    history: &Bound<'_, PyDict>,
    in_stock: Option<&Bound<'_, PyDict>>,
    state: Option<&str>,
    items: Option<&str>,
    overrides: Option<&str>,
    config: PlanConfig,
    strict: bool,
) -> Res<Prepared> {
    let (key_names, records) = read_history(history)?;
    let raw_config = config.clone();
    // Seasonality pooled over the history as read (before in-stock flags), as the
    // command line's first pass does.
    let config = if config.demand.seasonality == Seasonality::Pooled {
        let mut pool = SeasonalPool::default();
        records.iter().for_each(|r| pool.add(&r.history));
        config.with_pool(&pool)
    } else {
        config
    };
    let mut flags = match in_stock {
        Some(f) => Some(read_in_stock(f, &key_names)?),
        None => None,
    };
    let state = state.map(|s| read_state(s, &key_names)).transpose()?;
    let base = &config.policy;
    let mut settings: HashMap<Key, (u64, ItemSettings)> = HashMap::new();
    if let Some(text) = items {
        for r in read_item_settings(text.as_bytes(), Some("items"), &key_names).map_err(|e| Failure::csv(&e, None))? {
            let t = key_text(&r.key);
            r.settings
                .apply(base)
                .map_err(|e| Failure::new(format!("items:{}: item {t}: {e}", r.line)).at("items", r.line, Some(&t)))?;
            settings.insert(r.key, (r.line, r.settings));
        }
    }
    let mut overs: HashMap<Key, (u64, Override)> = HashMap::new();
    if let Some(text) = overrides {
        for r in read_overrides(text.as_bytes(), Some("overrides"), &key_names).map_err(|e| Failure::csv(&e, None))? {
            overs.insert(r.key, (r.line, r.planner_override));
        }
    }
    let mut warnings = Vec::new();
    let (mut outside, mut outside_items, mut outside_line) = (0usize, 0usize, 0u64);
    let mut out = Vec::with_capacity(records.len());
    for rec in records {
        let text = key_text(&rec.key);
        let history = match flags.as_mut().and_then(|f| f.remove(&rec.key)) {
            None => rec.history,
            Some(f) => {
                let a = align_in_stock(&rec.history, &f, Some("in_stock")).map_err(|e| Failure::csv(&e, None))?;
                if a.unmatched > 0 {
                    if strict {
                        return Err(Failure::new(format!(
                            "in_stock:{}: item {}: {} flags are dated outside the history's periods (strict)",
                            f.line,
                            bounded(&text),
                            a.unmatched
                        ))
                        .at("in_stock", f.line, Some(&text)));
                    }
                    if outside_items == 0 {
                        outside_line = f.line;
                    }
                    outside += a.unmatched;
                    outside_items += 1;
                }
                a.history
            }
        };
        let mut position = match &state {
            None => StockPosition::empty(),
            Some(m) => m.get(&rec.key).map(|(_, p)| p.clone()).ok_or_else(|| {
                Failure::new(format!("state: no state row for item {} (history:{})", bounded(&text), rec.line)).at(
                    "history",
                    rec.line,
                    Some(&text),
                )
            })?,
        };
        let own = settings.remove(&rec.key).map(|(_, s)| s);
        let lead_time = own.as_ref().and_then(|s| s.lead_time).unwrap_or(base.lead_time);
        if position.arrivals.len() > lead_time && position.arrivals[lead_time..].iter().all(|a| *a == 0.0) {
            position.arrivals.truncate(lead_time);
        }
        let planner_override = overs.remove(&rec.key).map(|(_, o)| o);
        out.push(Item { key: rec.key, text, history, position, settings: own, planner_override });
    }
    for (file, left) in [
        ("items", settings.iter().map(|(k, (l, _))| (k, *l)).min_by_key(|x| x.1)),
        ("overrides", overs.iter().map(|(k, (l, _))| (k, *l)).min_by_key(|x| x.1)),
    ] {
        if let Some((key, line)) = left {
            let t = key_text(key);
            return Err(Failure::new(format!("{file}:{line}: item {} is not in the history", bounded(&t))).at(
                file,
                line,
                Some(&t),
            ));
        }
    }
    if let Some(f) = flags
        && let Some(first) = f.values().min_by_key(|r| r.line)
    {
        let msg = format!(
            "in_stock: {} in-stock rows match no history item (first: line {}, item {})",
            f.len(),
            first.line,
            bounded(&key_text(&first.key))
        );
        if strict {
            let t = key_text(&first.key);
            return Err(Failure::new(format!("{msg} (strict)")).at("in_stock", first.line, Some(&t)));
        }
        warnings.push(format!("{msg}; ignored (strict=True refuses them)"));
    }
    if outside > 0 {
        warnings.push(format!(
            "in_stock: {outside} flags of {outside_items} items are dated outside their history's periods (first: line {outside_line}); ignored (strict=True refuses them)"
        ));
    }
    Ok(Prepared { key_names, items: out, config, raw_config, threads: 0, warnings })
}

/// Reads and checks a plan run's inputs (see the Python `invsync.plan`).
#[pyfunction]
#[pyo3(signature = (history, in_stock, state, items, overrides, lead_time, review_period, holding_cost, shortage_cost, scenarios, seed, profile, threads, strict))]
#[allow(clippy::too_many_arguments)]
fn prepare(
    py: Python<'_>,
    history: &Bound<'_, PyDict>,
    in_stock: Option<&Bound<'_, PyDict>>,
    state: Option<&str>,
    items: Option<&str>,
    overrides: Option<&str>,
    lead_time: usize,
    review_period: usize,
    holding_cost: f64,
    shortage_cost: f64,
    scenarios: usize,
    seed: u64,
    profile: &str,
    threads: Option<usize>,
    strict: bool,
) -> PyResult<Prepared> {
    let run = || -> Res<Prepared> {
        let config = plan_config(profile, lead_time, review_period, holding_cost, shortage_cost, scenarios, seed)?;
        let threads = thread_count(threads, &config)?;
        let prepared = prepare_items(history, in_stock, state, items, overrides, config, strict)?;
        Ok(Prepared { threads, ..prepared })
    };
    run().map_err(|f| f.into_py(py))
}

/// The plan columns holding numbers (empty cells become NaN).
fn is_number(column: &str) -> bool {
    !matches!(column, "policy" | "status" | "reason" | "forecast_method" | "override_by" | "override_why")
}

/// One column of the plan table on its way to a data frame.
enum Column {
    Text(Vec<String>),
    Whole(Vec<i64>),
    Number(Vec<f64>),
}

impl Prepared {
    fn inputs(&self) -> Vec<ItemInput<'_>> {
        self.items
            .iter()
            .map(|i| ItemInput {
                key: &i.text,
                history: &i.history,
                position: i.position.clone(),
                consensus: None,
                settings: i.settings.clone(),
                planner_override: i.planner_override.clone(),
            })
            .collect()
    }

    fn pool(&self) -> Res<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| Failure::new(format!("cannot start {} threads: {e}", self.threads)))
    }

    /// Plans every item on `threads` workers (the GIL released by the caller).
    fn plan_all(&self) -> Res<Vec<ItemPlan>> {
        let pool = self.pool()?;
        let inputs = self.inputs();
        let plans = pool.install(|| plan_batch(&inputs, &self.config));
        plans
            .into_iter()
            .zip(&self.items)
            .map(|(p, item)| p.map_err(|e| Failure::new(format!("history: {e}")).of_item(&item.text)))
            .collect()
    }

    /// The plan as the command line's `--out` CSV text.
    fn csv_text(&self, plans: &[ItemPlan]) -> Res<String> {
        let mut buf = Vec::new();
        let mut w = PlanWriter::new(&mut buf, &self.key_names).map_err(|e| Failure::new(e.to_string()))?;
        for (item, plan) in self.items.iter().zip(plans) {
            w.write(&item.key, plan).map_err(|e| Failure::new(e.to_string()))?;
        }
        w.flush().map_err(|e| Failure::new(e.to_string()))?;
        drop(w);
        String::from_utf8(buf).map_err(|e| Failure::new(e.to_string()))
    }

    /// The CSV text's columns, typed: key columns and words as text, `order_qty` and
    /// `cascade_level` whole, every other column a number (NaN where the CSV is empty).
    /// The numbers are the CSV's, parsed: exactly what the command line's file holds.
    fn columns(&self, text: &str) -> Res<Vec<(String, Column)>> {
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let header: Vec<String> =
            r.headers().map_err(|e| Failure::new(e.to_string()))?.iter().map(str::to_owned).collect();
        let nkeys = self.key_names.len();
        let mut cols: Vec<(String, Column)> = header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let c = if i < nkeys || !is_number(name) {
                    Column::Text(Vec::new())
                } else if name == "order_qty" || name == "cascade_level" {
                    Column::Whole(Vec::new())
                } else {
                    Column::Number(Vec::new())
                };
                (name.clone(), c)
            })
            .collect();
        for rec in r.records() {
            let rec = rec.map_err(|e| Failure::new(e.to_string()))?;
            for ((name, col), cell) in cols.iter_mut().zip(rec.iter()) {
                let bad = |e: String| Failure::new(format!("plan column {name}: {cell:?}: {e}"));
                match col {
                    Column::Text(v) => v.push(cell.to_owned()),
                    Column::Whole(v) => v.push(cell.parse().map_err(|e: std::num::ParseIntError| bad(e.to_string()))?),
                    Column::Number(v) => v.push(if cell.is_empty() {
                        f64::NAN
                    } else {
                        cell.parse().map_err(|e: std::num::ParseFloatError| bad(e.to_string()))?
                    }),
                }
            }
        }
        Ok(cols)
    }
}

#[pymethods]
impl Prepared {
    /// Names of the key columns.
    #[getter]
    fn key_names(&self) -> Vec<String> {
        self.key_names.clone()
    }

    /// The items' keys as the planner names them (`a/b`), in input order.
    #[getter]
    fn item_keys(&self) -> Vec<String> {
        self.items.iter().map(|i| i.text.clone()).collect()
    }

    /// Warnings (in-stock rows matching no item, flags outside the history).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Plans every item with the GIL released: (CSV text, [(column, values)]).
    fn plan<'py>(&self, py: Python<'py>) -> PyResult<(String, Bound<'py, PyList>)> {
        let run = || -> Res<(String, Vec<(String, Column)>)> {
            let plans = self.plan_all()?;
            let text = self.csv_text(&plans)?;
            let cols = self.columns(&text)?;
            Ok((text, cols))
        };
        let (text, cols) = py.detach(run).map_err(|f| f.into_py(py))?;
        let list = PyList::empty(py);
        for (name, col) in cols {
            let values: Bound<'py, PyAny> = match col {
                Column::Text(v) => PyList::new(py, v)?.into_any(),
                Column::Whole(v) => PyArray1::from_vec(py, v).into_any(),
                Column::Number(v) => PyArray1::from_vec(py, v).into_any(),
            };
            list.append((name, values))?;
        }
        Ok((text, list))
    }

    /// Rolling-origin pseudo-competitions over the histories (in-stock flags applied), as
    /// `invsync backtest`: invsync (the plan's decisions at each origin) against the
    /// replayed VN2 organizer benchmark, with the GIL released. Returns one dict per rule:
    /// `rule`, `origins` (period index of each window's origin), `origin_dates`, and per
    /// window and in total `holding`, `shortage`, `demand`, `sold`, `cost`.
    #[pyo3(signature = (windows, window_periods, decisions, count_from, warmup))]
    fn backtest<'py>(
        &self,
        py: Python<'py>,
        windows: usize,
        window_periods: usize,
        decisions: usize,
        count_from: usize,
        warmup: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        use invsync_core::backtest::{OrganizerBenchmark, PlannerRule, Protocol, Report, Rule, Series, run};
        let p = &self.raw_config.policy;
        let protocol = Protocol {
            windows,
            window_periods,
            decisions,
            count_from,
            warmup,
            lead_time: p.lead_time,
            review_period: p.review_period,
            holding: p.holding,
            shortage: p.shortage,
        };
        let work = || -> Res<Vec<Report>> {
            protocol.validate().map_err(|e| Failure::new(e.to_string()))?;
            let Some(needed) = protocol.periods_needed() else {
                return Err(Failure::new(format!(
                    "windows {windows} x window_periods {window_periods} + warmup {warmup} is too large for any history"
                )));
            };
            if let Some(first) = self.items.first()
                && first.history.len() < needed
            {
                return Err(Failure::new(format!(
                    "history: {needed} periods are needed (warmup {warmup} + windows {windows} x window_periods {window_periods} + 1), the history has {}",
                    first.history.len()
                ))
                .at("history", 2, Some(&first.text)));
            }
            let series: Vec<Series> =
                self.items.iter().map(|i| Series { key: i.text.clone(), history: i.history.clone() }).collect();
            let pool = self.pool()?;
            let rules: [&dyn Rule; 2] = [&PlannerRule(self.raw_config.clone()), &OrganizerBenchmark::default()];
            rules
                .iter()
                .map(|rule| {
                    pool.install(|| run(&series, *rule, &protocol)).map_err(|e| Failure::new(format!("history: {e}")))
                })
                .collect()
        };
        let reports = py.detach(work).map_err(|f| f.into_py(py))?;
        let start = self.items.first().map(|i| (i.history.start(), i.history.calendar()));
        let out = PyList::empty(py);
        for r in reports {
            let d = PyDict::new(py);
            d.set_item("rule", &r.rule)?;
            d.set_item("origins", r.windows.iter().map(|(t, _)| *t).collect::<Vec<_>>())?;
            d.set_item(
                "origin_dates",
                r.windows
                    .iter()
                    .map(|(t, _)| {
                        start.map_or_else(String::new, |(s, c)| {
                            c.period_start(s, *t as i64).to_string().chars().take(10).collect()
                        })
                    })
                    .collect::<Vec<String>>(),
            )?;
            let field = |f: fn(&invsync_core::backtest::Costs) -> f64| -> Vec<f64> {
                r.windows.iter().map(|(_, c)| f(c)).chain(std::iter::once(f(&r.total))).collect()
            };
            d.set_item("holding", field(|c| c.holding))?;
            d.set_item("shortage", field(|c| c.shortage))?;
            d.set_item("demand", field(|c| c.demand))?;
            d.set_item("sold", field(|c| c.sold))?;
            d.set_item("cost", field(|c| c.cost()))?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// One item's scenario set and decision, with the GIL released while drawing and
    /// planning: a dict with `values` (scenarios x simulated periods L + R + carry-over,
    /// a NumPy array over the planner's own buffer, not copied), `totals` (per scenario,
    /// over the simulated periods), the plan's `mu_w`, `sigma_w` (over the `window`
    /// L + R), `cost_curve` (k, expected cost), `candidates` and the plan's words.
    /// `values` is None for a blocked item.
    fn scenarios<'py>(&self, py: Python<'py>, item: &str) -> PyResult<Bound<'py, PyDict>> {
        let Some(found) = self.items.iter().find(|i| i.text == item) else {
            return Err(Failure::new(format!("no item {} in the history", bounded(item))).into_py(py));
        };
        let run = || -> Res<_> {
            let input = ItemInput {
                key: &found.text,
                history: &found.history,
                position: found.position.clone(),
                consensus: None,
                settings: found.settings.clone(),
                planner_override: found.planner_override.clone(),
            };
            let plan = plan_item(&input, &self.config)
                .map_err(|e| Failure::new(format!("history: {e}")).of_item(&found.text))?;
            // The draws plan_item made: the item's own stream, the item's window.
            let policy = match &found.settings {
                Some(s) if !s.is_empty() => s.apply(&self.config.policy).map_err(|e| Failure::new(e.to_string()))?,
                _ => self.config.policy.clone(),
            };
            let demand = DemandConfig { window: policy.simulated_periods(), ..self.config.demand.clone() };
            let mut stream = invsync_core::rng::stream(self.config.seed, &found.text);
            let outcome = generate(&found.history, &demand, None, &mut stream)
                .map_err(|e| Failure::new(format!("item {}: {e}", found.text)))?;
            Ok((plan, outcome.scenarios, policy.window()))
        };
        let (plan, set, policy_window) = py.detach(run).map_err(|f| f.into_py(py))?;
        let d = PyDict::new(py);
        d.set_item("item", &found.text)?;
        d.set_item("cascade_level", plan.diagnostics.level)?;
        d.set_item("reason", &plan.diagnostics.reason)?;
        d.set_item("forecast_method", &plan.diagnostics.forecast_method)?;
        d.set_item("forecast", PyArray1::from_vec(py, plan.forecast.clone()))?;
        match set {
            Some(set) => {
                let (s, w) = (set.len(), set.w());
                let (values, totals) = set.into_parts();
                d.set_item("totals", PyArray1::from_vec(py, totals))?;
                let arr =
                    Array2::from_shape_vec((s, w), values).map_err(|e| Failure::new(e.to_string()).into_py(py))?;
                d.set_item("values", PyArray2::from_owned_array(py, arr))?;
            }
            None => {
                d.set_item("values", py.None())?;
                d.set_item("totals", py.None())?;
            }
        }
        match &plan.recommendation {
            Some(r) => {
                let curve: Vec<f64> = r.cost_curve.iter().flat_map(|(k, c)| [*k, *c]).collect();
                let n = r.cost_curve.len();
                let curve =
                    Array2::from_shape_vec((n, 2), curve).map_err(|e| Failure::new(e.to_string()).into_py(py))?;
                d.set_item("cost_curve", PyArray2::from_owned_array(py, curve))?;
                let c = PyDict::new(py);
                c.set_item("policy", r.candidates.iter().map(|c| c.policy.as_str()).collect::<Vec<_>>())?;
                c.set_item(
                    "parameter",
                    PyArray1::from_vec(py, r.candidates.iter().map(|c| c.parameter.unwrap_or(f64::NAN)).collect()),
                )?;
                c.set_item("target", PyArray1::from_vec(py, r.candidates.iter().map(|c| c.target).collect()))?;
                c.set_item("order_qty", PyArray1::from_vec(py, r.candidates.iter().map(|c| c.order_qty).collect()))?;
                c.set_item(
                    "expected_cost",
                    PyArray1::from_vec(py, r.candidates.iter().map(|c| c.expected_cost).collect()),
                )?;
                d.set_item("candidates", c)?;
                d.set_item("policy", r.policy.as_str())?;
                d.set_item("order_qty", plan.order_qty())?;
                d.set_item("target_stock", r.target_stock)?;
                d.set_item("mu_w", r.mu_w)?;
                d.set_item("sigma_w", r.sigma_w)?;
                d.set_item("window", policy_window)?;
            }
            None => {
                d.set_item("cost_curve", py.None())?;
                d.set_item("candidates", py.None())?;
                d.set_item("policy", "blocked")?;
                d.set_item("order_qty", plan.order_qty())?;
                d.set_item("target_stock", py.None())?;
                d.set_item("mu_w", py.None())?;
                d.set_item("sigma_w", py.None())?;
                d.set_item("window", policy_window)?;
            }
        }
        Ok(d)
    }
}

/// A ledger replayed from event CSV text, as `invsync replay` and `reconcile` do: the
/// ledger and the refused events' messages (`keep_going`; else the first refusal is an
/// error at its line).
fn replay_events(text: &str, allow_negative: bool, keep_going: bool) -> Res<(Ledger, Vec<String>)> {
    let reader =
        EventReaderBuilder::new().file("events").from_reader(text.as_bytes()).map_err(|e| Failure::csv(&e, None))?;
    let negative = if allow_negative { NegativeStock::Allow } else { NegativeStock::Reject };
    let mut ledger = Ledger::new(LedgerConfig { default_negative: negative, ..LedgerConfig::default() });
    let mut refused = Vec::new();
    for rec in reader {
        let rec = rec.map_err(|e| Failure::csv(&e, None))?;
        let item = format!("{}/{}", rec.event.item, rec.event.location);
        if let Err(e) = ledger.apply(rec.event) {
            let msg = format!("events:{}: {e}", rec.line);
            if !keep_going {
                return Err(Failure::new(msg).at("events", rec.line, Some(&item)));
            }
            refused.push(msg);
        }
    }
    Ok((ledger, refused))
}

fn parse_arg<T: std::str::FromStr>(name: &str, text: &str) -> Res<T>
where
    T::Err: std::fmt::Display,
{
    text.trim().parse().map_err(|e| {
        let mut f = Failure::new(format!("{name} {:?}: {e}", bounded(text)));
        f.place.value = Some(text.to_owned());
        f
    })
}

/// Replays events (CSV text) into balances (or one item x location's history), as
/// `invsync replay`: (the CSV text the command writes, the refused events' messages).
#[pyfunction]
#[pyo3(signature = (events, as_of, item, location, allow_negative, keep_going))]
fn replay_csv(
    py: Python<'_>,
    events: &str,
    as_of: Option<&str>,
    item: Option<&str>,
    location: Option<&str>,
    allow_negative: bool,
    keep_going: bool,
) -> PyResult<(String, Vec<String>)> {
    let run = || -> Res<(String, Vec<String>)> {
        let as_of: Option<Timestamp> = as_of.map(|t| parse_arg("as_of", t)).transpose()?;
        let at: Option<(ItemId, LocationId)> = match (item, location) {
            (Some(i), Some(l)) => Some((parse_arg("item", i)?, parse_arg("location", l)?)),
            (None, None) => None,
            _ => return Err(Failure::new("item and location go together: give both or neither")),
        };
        let (ledger, refused) = replay_events(events, allow_negative, keep_going)?;
        let io = |e: CsvError| Failure::new(e.to_string());
        let mut buf = Vec::new();
        match at {
            Some((item, location)) => {
                let mut w = HistoryWriter::new(&mut buf).map_err(io)?;
                for h in ledger.history(&item, &location) {
                    w.write(&h).map_err(io)?;
                }
                w.flush().map_err(io)?;
            }
            None => {
                let mut w = BalanceWriter::new(&mut buf).map_err(io)?;
                let mut keys: Vec<_> = ledger.keys().collect();
                keys.sort();
                for (item, location) in keys {
                    let (levels, value) = match as_of {
                        Some(t) => (ledger.levels_at(item, location, t), ledger.value_at(item, location, t)),
                        None => (ledger.levels(item, location), ledger.valuation(item, location).value),
                    };
                    w.write(item, location, &levels, value).map_err(io)?;
                }
                w.flush().map_err(io)?;
            }
        }
        Ok((String::from_utf8(buf).map_err(|e| Failure::new(e.to_string()))?, refused))
    };
    py.detach(run).map_err(|f| f.into_py(py))
}

/// Counts (CSV text) against the ledger of events (CSV text) as of an instant, as
/// `invsync reconcile`: (the report's CSV text, accuracy, |variance| units, |variance|
/// value as text, net variance units).
#[pyfunction]
#[pyo3(signature = (events, counts, as_of, approval_threshold, floor))]
fn reconcile_csv(
    py: Python<'_>,
    events: &str,
    counts: &str,
    as_of: &str,
    approval_threshold: &str,
    floor: i64,
) -> PyResult<(String, f64, i64, String, i64)> {
    let run = || -> Res<(String, f64, i64, String, i64)> {
        let as_of: Timestamp = parse_arg("as_of", as_of)?;
        let approval_threshold: invsync_core::Money = parse_arg("approval_threshold", approval_threshold)?;
        let (ledger, _) = replay_events(events, false, false)?;
        let counts = read_counts(counts.as_bytes(), Some("counts")).map_err(|e| Failure::csv(&e, None))?;
        let config = ReconcileConfig { approval_threshold, floor, ..ReconcileConfig::default() };
        let report = reconcile(&ledger, &counts, as_of, &config).map_err(|e| Failure::new(e.to_string()))?;
        let mut buf = Vec::new();
        write_reconciliation(&mut buf, &report).map_err(|e| Failure::new(e.to_string()))?;
        let text = String::from_utf8(buf).map_err(|e| Failure::new(e.to_string()))?;
        Ok((text, report.accuracy, report.absolute_variance, report.absolute_value.to_string(), report.net_variance))
    };
    py.detach(run).map_err(|f| f.into_py(py))
}

/// The plan columns after the key columns, in order.
#[pyfunction]
fn plan_columns() -> Vec<&'static str> {
    PLAN_COLUMNS.to_vec()
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(wide_layout, m)?)?;
    m.add_function(wrap_pyfunction!(long_layout, m)?)?;
    m.add_function(wrap_pyfunction!(prepare, m)?)?;
    m.add_function(wrap_pyfunction!(plan_columns, m)?)?;
    m.add_function(wrap_pyfunction!(replay_csv, m)?)?;
    m.add_function(wrap_pyfunction!(reconcile_csv, m)?)?;
    m.add_class::<Prepared>()?;
    m.add("InvsyncError", m.py().get_type::<InvsyncError>())?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    Ok(())
}
