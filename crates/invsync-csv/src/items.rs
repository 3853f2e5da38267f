//! Per-item settings and planner overrides in.
//!
//! ```text
//! items:      <key columns>, lead_time, review_period, holding_cost, shortage_cost, moq,
//!             pack_size, max_order, lost_sales | backorders        (every setting optional)
//! overrides:  <key columns>, order_qty, who, why[, at]
//! ```
//!
//! The key columns are the history's. In an items file every setting column is optional,
//! and so is every cell: an empty cell keeps the default (the command line's flag). Each
//! item appears at most once per file. Errors name the file, line, column and value.
//!
//! ```
//! use invsync_csv::read_item_settings;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = "store,product,lead_time,pack_size,lost_sales\nS1,P1,4,12,\nS1,P2,,,false\n";
//! let keys = vec!["store".to_owned(), "product".to_owned()];
//! let items = read_item_settings(data.as_bytes(), Some("items.csv"), &keys)?;
//! assert_eq!((items[0].settings.lead_time, items[0].settings.pack), (Some(4), Some(12.0)));
//! assert_eq!(items[1].settings.backorders, Some(true));
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::io;

use invsync_core::Timestamp;
use invsync_core::policy::{ItemSettings, MAX_PERIODS, Override};

use crate::error::{CsvError, CsvErrorKind};
use crate::history::{Key, key_text};

/// The setting columns of an items file.
pub const ITEM_COLUMNS: [&str; 9] = [
    "lead_time",
    "review_period",
    "holding_cost",
    "shortage_cost",
    "moq",
    "pack_size",
    "max_order",
    "lost_sales",
    "backorders",
];

/// The value columns of an overrides file (`at` is optional).
pub const OVERRIDE_COLUMNS: [&str; 4] = ["order_qty", "who", "why", "at"];

/// One item's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSettingsRecord {
    /// Line of the row.
    pub line: u64,
    /// The key values.
    pub key: Key,
    /// The settings given (empty cells are `None`).
    pub settings: ItemSettings,
}

/// One item's override.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideRecord {
    /// Line of the row.
    pub line: u64,
    /// The key values.
    pub key: Key,
    /// The override, with who, when (if given) and why.
    pub planner_override: Override,
}

/// A header: the key columns' indexes and each other column's index by name.
struct Header {
    names: Vec<String>,
    keys: Vec<usize>,
    columns: HashMap<String, usize>,
}

fn header(
    inner: &mut csv::Reader<impl io::Read>,
    file: Option<&str>,
    key_names: &[String],
    known: &[&str],
) -> Result<Header, CsvError> {
    let err = |kind| CsvError::new(kind).at_line(1).in_file(file);
    let names: Vec<String> = inner
        .headers()
        .map_err(|e| CsvError::from(e).in_file(file))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut keys = Vec::with_capacity(key_names.len());
    for k in key_names {
        keys.push(
            names
                .iter()
                .position(|n| n == k)
                .ok_or_else(|| err(CsvErrorKind::UnknownColumn(format!("{k} (a key column of the history)"))))?,
        );
    }
    let mut columns = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if keys.contains(&i) {
            continue;
        }
        if !known.contains(&n.as_str()) {
            return Err(CsvError::new(CsvErrorKind::UnknownColumn(n.clone()))
                .at_line(1)
                .at_column(i + 1, n, None)
                .in_file(file));
        }
        if columns.insert(n.clone(), i).is_some() {
            return Err(err(CsvErrorKind::DuplicateColumn(n.clone())));
        }
    }
    Ok(Header { names, keys, columns })
}

/// Reads the rows of `inner`, parsing each with `row`, refusing an item seen before.
fn rows<T>(
    mut inner: csv::Reader<impl io::Read>,
    file: Option<&str>,
    h: &Header,
    mut row: impl FnMut(&Cell<'_>) -> Result<T, CsvError>,
) -> Result<Vec<(u64, Key, T)>, CsvError> {
    let mut seen: HashMap<Key, u64> = HashMap::new();
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match inner.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(CsvError::from(e).in_file(file)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let key: Key = h.keys.iter().map(|&i| record.get(i).unwrap_or("").trim().to_owned()).collect();
        let cell = Cell { record: &record, header: h, line };
        if let Some(&first) = seen.get(&key) {
            return Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "each item once",
                message: format!("item {} appears again (first on line {first})", key_text(&key)),
            })
            .at_line(line)
            .in_file(file));
        }
        for &i in &h.keys {
            if record.get(i).unwrap_or("").trim().is_empty() {
                return Err(CsvError::new(CsvErrorKind::MissingValue)
                    .at_line(line)
                    .at_column(i + 1, &h.names[i], Some(""))
                    .in_file(file));
            }
        }
        let value = row(&cell).map_err(|e| e.in_file(file))?;
        seen.insert(key.clone(), line);
        out.push((line, key, value));
    }
    Ok(out)
}

/// One row's cells by column name.
struct Cell<'a> {
    record: &'a csv::StringRecord,
    header: &'a Header,
    line: u64,
}

impl Cell<'_> {
    /// The trimmed text of column `name`, `None` when the column is absent or the cell empty.
    fn text(&self, name: &str) -> Option<(usize, &str)> {
        let i = *self.header.columns.get(name)?;
        let v = self.record.get(i).unwrap_or("").trim();
        (!v.is_empty()).then_some((i, v))
    }

    fn error(&self, i: usize, raw: &str, kind: CsvErrorKind) -> CsvError {
        CsvError::new(kind).at_line(self.line).at_column(i + 1, &self.header.names[i], Some(raw))
    }

    fn invalid(&self, i: usize, raw: &str, expected: &'static str, message: &str) -> CsvError {
        self.error(i, raw, CsvErrorKind::Invalid { expected, message: message.to_owned() })
    }

    /// A number accepted by `ok` (described by `expected`).
    fn number(&self, name: &str, expected: &'static str, ok: fn(f64) -> bool) -> Result<Option<f64>, CsvError> {
        let Some((i, raw)) = self.text(name) else { return Ok(None) };
        match raw.parse::<f64>() {
            Ok(v) if ok(v) => Ok(Some(v)),
            Ok(_) => Err(self.invalid(i, raw, expected, "out of range")),
            Err(_) => Err(self.invalid(i, raw, expected, "not a number")),
        }
    }

    /// A whole number of periods in `min..=MAX_PERIODS`.
    fn periods(&self, name: &str, min: usize) -> Result<Option<usize>, CsvError> {
        let Some((i, raw)) = self.text(name) else { return Ok(None) };
        match raw.parse::<usize>() {
            Ok(v) if (min..=MAX_PERIODS).contains(&v) => Ok(Some(v)),
            Ok(_) => Err(self.invalid(i, raw, "a whole number of periods", &format!("must be {min} to {MAX_PERIODS}"))),
            Err(_) => Err(self.invalid(i, raw, "a whole number of periods", "not a whole number >= 0")),
        }
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, CsvError> {
        let Some((i, raw)) = self.text(name) else { return Ok(None) };
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(self.invalid(i, raw, "true or false", "not a boolean")),
        }
    }

    fn required(&self, name: &str) -> Result<(usize, &str), CsvError> {
        let i = self.header.columns[name];
        self.text(name).ok_or_else(|| self.error(i, "", CsvErrorKind::MissingValue))
    }
}

fn csv_reader<R: io::Read>(rdr: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(rdr)
}

/// Reads an items file (columns in the module docs).
///
/// # Errors
///
/// [`CsvError`] with file, line, column and value: a missing key column, an unknown or
/// repeated column, a value out of range (negative costs or quantities, a review period of
/// 0, more than 1,000 periods, a pack size of 0), `lost_sales` and `backorders` that
/// disagree, an empty key or an item listed twice.
pub fn read_item_settings<R: io::Read>(
    rdr: R,
    file: Option<&str>,
    key_names: &[String],
) -> Result<Vec<ItemSettingsRecord>, CsvError> {
    let mut inner = csv_reader(rdr);
    let h = header(&mut inner, file, key_names, &ITEM_COLUMNS)?;
    let nonneg: fn(f64) -> bool = |v| v.is_finite() && v >= 0.0;
    let rows = rows(inner, file, &h, |c| {
        let lost = c.flag("lost_sales")?;
        let back = c.flag("backorders")?;
        let backorders = match (lost, back) {
            (Some(l), Some(b)) if l == b => {
                let (i, raw) = c.text("backorders").unwrap_or((0, ""));
                return Err(c.invalid(i, raw, "the opposite of lost_sales", "lost_sales and backorders disagree"));
            }
            (_, Some(b)) => Some(b),
            (Some(l), None) => Some(!l),
            (None, None) => None,
        };
        Ok(ItemSettings {
            lead_time: c.periods("lead_time", 0)?,
            review_period: c.periods("review_period", 1)?,
            holding: c.number("holding_cost", "a cost >= 0", nonneg)?,
            shortage: c.number("shortage_cost", "a cost >= 0", nonneg)?,
            min_order: c.number("moq", "a quantity >= 0", nonneg)?,
            pack: c.number("pack_size", "a quantity > 0", |v| v.is_finite() && v > 0.0)?,
            max_order: c.number("max_order", "a quantity >= 0", nonneg)?,
            backorders,
        })
    })?;
    Ok(rows.into_iter().map(|(line, key, settings)| ItemSettingsRecord { line, key, settings }).collect())
}

/// Reads an overrides file (columns in the module docs): every row needs a whole
/// `order_qty` >= 0, `who` and `why`; `at` (RFC 3339) is optional.
///
/// # Errors
///
/// [`CsvError`] with file, line, column and value: a missing key or value column, an
/// unknown or repeated column, a bad quantity or instant, an empty `who` or `why`, an
/// empty key or an item listed twice.
pub fn read_overrides<R: io::Read>(
    rdr: R,
    file: Option<&str>,
    key_names: &[String],
) -> Result<Vec<OverrideRecord>, CsvError> {
    let mut inner = csv_reader(rdr);
    let h = header(&mut inner, file, key_names, &OVERRIDE_COLUMNS)?;
    for name in ["order_qty", "who", "why"] {
        if !h.columns.contains_key(name) {
            return Err(CsvError::new(CsvErrorKind::MissingColumn(match name {
                "order_qty" => "order_qty",
                "who" => "who",
                _ => "why",
            }))
            .at_line(1)
            .in_file(file));
        }
    }
    let rows = rows(inner, file, &h, |c| {
        let (i, raw) = c.required("order_qty")?;
        let order_qty = match raw.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 => v,
            Ok(_) => return Err(c.invalid(i, raw, "a whole number of units >= 0", "out of range")),
            Err(_) => return Err(c.invalid(i, raw, "a whole number of units >= 0", "not a number")),
        };
        let at = match c.text("at") {
            None => None,
            Some((i, raw)) => {
                Some(raw.parse::<Timestamp>().map_err(|e| c.invalid(i, raw, "an RFC 3339 instant", &e.to_string()))?)
            }
        };
        Ok(Override { order_qty, who: c.required("who")?.1.to_owned(), at, why: c.required("why")?.1.to_owned() })
    })?;
    Ok(rows.into_iter().map(|(line, key, planner_override)| OverrideRecord { line, key, planner_override }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["store".into(), "product".into()]
    }

    #[track_caller]
    fn item_error(text: &str, line: u64, column: Option<&str>, value: Option<&str>) {
        let e = read_item_settings(text.as_bytes(), Some("items.csv"), &keys()).unwrap_err();
        assert_eq!(
            (e.file(), e.line(), e.column().map(|c| c.1), e.value()),
            (Some("items.csv"), line, column, value),
            "{e}"
        );
    }

    #[track_caller]
    fn override_error(text: &str, line: u64, column: Option<&str>, value: Option<&str>) {
        let e = read_overrides(text.as_bytes(), Some("o.csv"), &keys()).unwrap_err();
        assert_eq!(
            (e.file(), e.line(), e.column().map(|c| c.1), e.value()),
            (Some("o.csv"), line, column, value),
            "{e}"
        );
    }

    #[test]
    fn items_read_every_setting_and_keep_empty_cells_as_defaults() {
        let text = "store,product,lead_time,review_period,holding_cost,shortage_cost,moq,pack_size,max_order,backorders\n\
                    S1,P1,4,2,0.5,3,10,6,120,true\nS1,P2,,,,,,,,\n";
        let rows = read_item_settings(text.as_bytes(), None, &keys()).unwrap();
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].key, ["S1", "P1"]);
        assert_eq!(
            rows[0].settings,
            ItemSettings {
                lead_time: Some(4),
                review_period: Some(2),
                holding: Some(0.5),
                shortage: Some(3.0),
                min_order: Some(10.0),
                pack: Some(6.0),
                max_order: Some(120.0),
                backorders: Some(true),
            }
        );
        assert!(rows[1].settings.is_empty());
    }

    #[test]
    fn bad_items_are_refused_with_their_position() {
        let h = "store,product,lead_time,review_period,holding_cost,pack_size,lost_sales,backorders\n";
        item_error(&format!("{h}S1,P1,-1,,,,,\n"), 2, Some("lead_time"), Some("-1"));
        item_error(&format!("{h}S1,P1,1001,,,,,\n"), 2, Some("lead_time"), Some("1001"));
        item_error(&format!("{h}S1,P1,2,0,,,,\n"), 2, Some("review_period"), Some("0"));
        item_error(&format!("{h}S1,P1,2,1,x,,,\n"), 2, Some("holding_cost"), Some("x"));
        item_error(&format!("{h}S1,P1,2,1,NaN,,,\n"), 2, Some("holding_cost"), Some("NaN"));
        item_error(&format!("{h}S1,P1,2,1,,0,,\n"), 2, Some("pack_size"), Some("0"));
        item_error(&format!("{h}S1,P1,,,,,maybe,\n"), 2, Some("lost_sales"), Some("maybe"));
        item_error(&format!("{h}S1,P1,,,,,true,true\n"), 2, Some("backorders"), Some("true"));
        item_error(&format!("{h}S1,P1,,,,,,\nS1,P1,,,,,,\n"), 3, None, None);
        item_error(&format!("{h},P1,,,,,,\n"), 2, Some("store"), Some(""));
        item_error("store,product,lead_tme\nS1,P1,2\n", 1, Some("lead_tme"), None);
        item_error("store,lead_time\nS1,2\n", 1, None, None);
    }

    #[test]
    fn overrides_keep_who_and_why() {
        let text = "product,store,order_qty,who,why,at\nP1,S1,40,ana,promo week 12,2024-04-08T09:00:00Z\nP2,S1,0,bo,delisted,\n";
        let rows = read_overrides(text.as_bytes(), None, &keys()).unwrap();
        assert_eq!(rows[0].key, ["S1", "P1"]);
        assert_eq!(rows[0].planner_override.order_qty, 40.0);
        assert_eq!(
            (rows[0].planner_override.who.as_str(), rows[0].planner_override.why.as_str()),
            ("ana", "promo week 12")
        );
        assert!(rows[0].planner_override.at.is_some() && rows[1].planner_override.at.is_none());
    }

    #[test]
    fn bad_overrides_are_refused_with_their_position() {
        let h = "store,product,order_qty,who,why\n";
        override_error(&format!("{h}S1,P1,-3,a,b\n"), 2, Some("order_qty"), Some("-3"));
        override_error(&format!("{h}S1,P1,2.5,a,b\n"), 2, Some("order_qty"), Some("2.5"));
        override_error(&format!("{h}S1,P1,,a,b\n"), 2, Some("order_qty"), Some(""));
        override_error(&format!("{h}S1,P1,3,,b\n"), 2, Some("who"), Some(""));
        override_error(&format!("{h}S1,P1,3,a,\n"), 2, Some("why"), Some(""));
        override_error(&format!("{h}S1,P1,3,a,b\nS1,P1,4,a,b\n"), 3, None, None);
        override_error("store,product,order_qty,who,why,at\nS1,P1,3,a,b,yesterday\n", 2, Some("at"), Some("yesterday"));
        override_error("store,product,order_qty,who\nS1,P1,3,a\n", 1, None, None);
    }
}
