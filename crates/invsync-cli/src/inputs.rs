//! Side files shared by `plan`, `backtest` and `explain`: in-stock flags and stock state,
//! read and checked one way.
//!
//! Errors (exit 2) whatever the flags: a duplicate in-stock or state row (both lines
//! named), flags on another calendar than the history or with no date in common with
//! it, a negative arrival. Warnings with counts on standard error, errors under
//! `--strict`: in-stock rows whose key matches no history item (a shard planned with the
//! full set's flags has them), flags dated outside the history's periods.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use invsync_core::demand::DemandHistory;
use invsync_core::policy::StockPosition;
use invsync_csv::{HistoryReaderBuilder, InStockRecord, Key, align_in_stock, bounded, key_text};

use crate::{Failure, open_input};

/// The side files of one planning run, shared by `plan` and `explain` (read the same way
/// by both).
#[derive(Debug, clap::Args)]
pub(crate) struct SideFiles {
    /// In-stock flags in the history's wide shape (false = out of stock, censored).
    #[arg(long)]
    pub(crate) in_stock: Option<PathBuf>,
    /// Stock state: key columns, `on_hand`, `arriving_1` .. `arriving_L`. Without it every
    /// item starts empty.
    #[arg(long)]
    pub(crate) state: Option<PathBuf>,
    /// Per-item settings: key columns, then any of `lead_time`, `review_period`,
    /// `holding_cost`, `shortage_cost`, `moq`, `pack_size`, `max_order`, `lost_sales` or
    /// `backorders` (empty cells and absent columns keep the flags' values).
    #[arg(long)]
    pub(crate) items: Option<PathBuf>,
    /// Planner overrides: key columns, `order_qty`, `who`, `why` (and optionally `at`).
    /// The override is the order placed; the optimum and the cost difference are shown
    /// beside it.
    #[arg(long)]
    pub(crate) overrides: Option<PathBuf>,
}

fn input(e: invsync_csv::CsvError) -> Failure {
    Failure::Input(e.to_string())
}

fn builder(path: &Path, keys: Option<&[String]>) -> HistoryReaderBuilder {
    let mut b = HistoryReaderBuilder::new();
    b.file(path.display().to_string());
    if let Some(k) = keys {
        b.key_columns(k.to_vec());
    }
    b
}

/// The in-stock flags of a run, consumed item by item.
#[derive(Debug)]
pub(crate) struct InStock {
    path: PathBuf,
    strict: bool,
    rows: HashMap<Key, InStockRecord>,
    /// Flags outside their history's periods: (count, items, first line).
    outside: (usize, usize, u64),
}

impl InStock {
    /// Reads every row of `path` (keys: the history's `key_names`); a key twice is an
    /// error naming both lines.
    pub(crate) fn load(path: &Path, key_names: &[String], strict: bool) -> Result<InStock, Failure> {
        let mut rows: HashMap<Key, InStockRecord> = HashMap::new();
        for rec in builder(path, Some(key_names)).in_stock(open_input(path)?).map_err(input)? {
            let rec = rec.map_err(input)?;
            if let Some(first) = rows.get(&rec.key) {
                return Err(Failure::Input(format!(
                    "{}:{}: duplicate in-stock row for item {} (first at line {})",
                    path.display(),
                    rec.line,
                    bounded(&key_text(&rec.key)),
                    first.line
                )));
            }
            rows.insert(rec.key.clone(), rec);
        }
        Ok(InStock { path: path.to_path_buf(), strict, rows, outside: (0, 0, 0) })
    }

    /// The item's history with its flags applied (unchanged without a row); the row is
    /// used up.
    pub(crate) fn apply(&mut self, key: &[String], history: DemandHistory) -> Result<DemandHistory, Failure> {
        let Some(flags) = self.rows.remove(key) else { return Ok(history) };
        let a = align_in_stock(&history, &flags, Some(&self.path.display().to_string())).map_err(input)?;
        if a.unmatched > 0 {
            if self.strict {
                return Err(Failure::Input(format!(
                    "{}:{}: item {}: {} flags are dated outside the history's periods (--strict)",
                    self.path.display(),
                    flags.line,
                    bounded(&key_text(key)),
                    a.unmatched
                )));
            }
            if self.outside.1 == 0 {
                self.outside.2 = flags.line;
            }
            self.outside.0 += a.unmatched;
            self.outside.1 += 1;
        }
        Ok(a.history)
    }

    /// After the last item: rows no item used, and flags outside the histories, as one
    /// warning each with counts (errors under `--strict`).
    pub(crate) fn finish(self) -> Result<(), Failure> {
        if let Some(first) = self.rows.values().min_by_key(|r| r.line) {
            let msg = format!(
                "{}: {} in-stock rows match no history item (first: line {}, item {})",
                self.path.display(),
                self.rows.len(),
                first.line,
                bounded(&key_text(&first.key))
            );
            if self.strict {
                return Err(Failure::Input(format!("{msg} (--strict)")));
            }
            eprintln!("warning: {msg}; ignored (--strict refuses them)");
        }
        let (n, items, line) = self.outside;
        if n > 0 {
            eprintln!(
                "warning: {}: {n} flags of {items} items are dated outside their history's periods (first: line {line}); ignored (--strict refuses them)",
                self.path.display()
            );
        }
        Ok(())
    }
}

/// Every row of a stock-state file by key (keys: the history's `key_names`); a key
/// twice is an error naming both lines.
pub(crate) fn load_state(path: &Path, key_names: &[String]) -> Result<HashMap<Key, (u64, StockPosition)>, Failure> {
    let mut m: HashMap<Key, (u64, StockPosition)> = HashMap::new();
    for rec in builder(path, None).state(open_input(path)?, key_names).map_err(input)? {
        let rec = rec.map_err(input)?;
        if let Some((first, _)) = m.get(&rec.key) {
            return Err(Failure::Input(format!(
                "{}:{}: duplicate state for item {} (first at line {first})",
                path.display(),
                rec.line,
                bounded(&key_text(&rec.key))
            )));
        }
        m.insert(rec.key, (rec.line, rec.position));
    }
    Ok(m)
}
