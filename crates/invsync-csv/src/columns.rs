//! Demand history and in-stock flags given as columns (a data frame or an Arrow table
//! already in memory) instead of CSV text, read by the CSV readers' own rules: the same
//! header rules (key columns, ISO date headers, calendar inference), the same value rules
//! (NaN is a missing period, negative or infinite demand is refused), the same long-format
//! grouping and calendar, the same errors.
//!
//! A table has rows, not lines: errors carry `line` = row + 2, the line the row would have
//! were the table written as CSV under one header line (row 0 on line 2; the header is
//! line 1), so a message reads like the command line's for the same data.
//!
//! ```
//! use invsync_csv::WideColumns;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let names = ["store", "2024-01-01", "2024-01-08"].map(String::from);
//! let wide = WideColumns::new(&names, None, Some("history"))?;
//! assert_eq!(wide.key_names(), ["store"]);
//! let records = wide.histories(vec![vec!["S1".into()]], &[3.0, f64::NAN])?;
//! assert_eq!(records[0].history.len(), 2);
//! assert_eq!(records[0].line, 2);
//! # Ok(()) }
//! ```

use std::collections::{HashMap, HashSet};

use invsync_core::Timestamp;
use invsync_core::demand::{Calendar, DemandHistory};

use crate::error::{CsvError, CsvErrorKind, bounded, unique_headers};
use crate::history::{HistoryReaderBuilder, HistoryRecord, InStockRecord, Key, Layout, assemble, key_text, parse_date};

/// The line a table's row stands for in messages (row 0 on line 2, under the header).
pub fn row_line(row: usize) -> u64 {
    row as u64 + 2
}

fn header(names: &[String]) -> csv::StringRecord {
    csv::StringRecord::from(names.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A checked demand value: NaN is a missing period, anything else a number >= 0.
fn demand(v: f64) -> Result<f64, String> {
    if v.is_nan() {
        Ok(f64::NAN)
    } else if !v.is_finite() {
        Err("not a finite number".into())
    } else if v < 0.0 {
        Err("demand cannot be negative".into())
    } else {
        Ok(v)
    }
}

/// The layout of a wide table (one row per item, one column per period) from its column
/// names, by the wide CSV header's rules.
#[derive(Debug, Clone)]
pub struct WideColumns {
    layout: Layout,
    file: Option<String>,
}

impl WideColumns {
    /// Reads the column names: key columns are `key_columns`, else every name that is not
    /// an ISO date; the others must be ascending dates on one calendar. `file` names the
    /// table in errors.
    ///
    /// # Errors
    ///
    /// [`CsvError`] at line 1 (the header) for a name given twice, no period or key column,
    /// or period names that are not ascending dates on one calendar.
    pub fn new(names: &[String], key_columns: Option<&[String]>, file: Option<&str>) -> Result<Self, CsvError> {
        let record = header(names);
        unique_headers(&record, file)?;
        let mut b = HistoryReaderBuilder::new();
        if let Some(f) = file {
            b.file(f);
        }
        if let Some(k) = key_columns {
            b.key_columns(k.to_vec());
        }
        Ok(WideColumns { layout: b.layout(&record)?, file: file.map(str::to_owned) })
    }

    /// Names of the key columns.
    pub fn key_names(&self) -> Vec<String> {
        self.layout.keys.iter().map(|&i| self.layout.names[i].clone()).collect()
    }

    /// Zero-based indices of the key columns, in key order.
    pub fn key_columns(&self) -> &[usize] {
        &self.layout.keys
    }

    /// Zero-based indices of the period columns, in date order.
    pub fn period_columns(&self) -> &[usize] {
        &self.layout.periods
    }

    /// The calendar the period names show.
    pub fn calendar(&self) -> Calendar {
        self.layout.calendar
    }

    /// The start of the first period.
    pub fn start(&self) -> Timestamp {
        self.layout.start
    }

    /// One history per row: `keys[r]` is row r's key, `values` the period columns row by
    /// row (`keys.len() x period_columns().len()` values, NaN for a missing period).
    ///
    /// # Errors
    ///
    /// [`CsvError`] at the row's line and column for a negative or infinite value, at the
    /// row's line for a key seen twice; a `values` of the wrong length is an error too.
    pub fn histories(&self, keys: Vec<Key>, values: &[f64]) -> Result<Vec<HistoryRecord>, CsvError> {
        let l = &self.layout;
        let n = l.periods.len();
        let file = self.file.as_deref();
        if values.len() != keys.len() * n {
            return Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "one value per row and period column",
                message: format!("{} values for {} rows x {n} period columns", values.len(), keys.len()),
            })
            .in_file(file));
        }
        let mut seen: HashMap<Key, u64> = HashMap::with_capacity(keys.len());
        let mut out = Vec::with_capacity(keys.len());
        for (row, (key, vals)) in keys.into_iter().zip(values.chunks_exact(n.max(1))).enumerate() {
            let line = row_line(row);
            let mut checked = Vec::with_capacity(n);
            for (&v, &i) in vals.iter().zip(&l.periods) {
                checked.push(demand(v).map_err(|message| {
                    CsvError::new(CsvErrorKind::Invalid { expected: "a demand quantity >= 0", message })
                        .at_line(line)
                        .at_column(i + 1, &l.names[i], Some(&v.to_string()))
                        .in_file(file)
                })?);
            }
            if let Some(first) = seen.insert(key.clone(), line) {
                return Err(CsvError::new(CsvErrorKind::Invalid {
                    expected: "a key seen once",
                    message: format!("duplicate key {} (first at line {first})", bounded(&key_text(&key))),
                })
                .at_line(line)
                .in_file(file));
            }
            let history = DemandHistory::uncensored(l.start, l.calendar, checked).map_err(|e| {
                CsvError::new(CsvErrorKind::Invalid { expected: "a demand history", message: e.to_string() })
                    .at_line(line)
                    .in_file(file)
            })?;
            out.push(HistoryRecord { line, key, history });
        }
        Ok(out)
    }

    /// One in-stock record per row of a table of flags in this layout (`flags` row by row,
    /// `keys.len() x period_columns().len()` of them; `true` = in stock).
    ///
    /// # Errors
    ///
    /// [`CsvError`] when `flags` has the wrong length.
    pub fn in_stock(&self, keys: Vec<Key>, flags: &[bool]) -> Result<Vec<InStockRecord>, CsvError> {
        let n = self.layout.periods.len();
        if flags.len() != keys.len() * n {
            return Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "one flag per row and period column",
                message: format!("{} flags for {} rows x {n} period columns", flags.len(), keys.len()),
            })
            .in_file(self.file.as_deref()));
        }
        Ok(keys
            .into_iter()
            .zip(flags.chunks_exact(n.max(1)))
            .enumerate()
            .map(|(row, (key, f))| InStockRecord {
                line: row_line(row),
                key,
                in_stock: f.to_vec(),
                start: self.layout.start,
                calendar: self.layout.calendar,
            })
            .collect())
    }
}

/// The layout of a long table (one row per item x period: key columns, `date`,
/// `quantity`, optionally `in_stock`), by the long CSV reader's rules.
#[derive(Debug, Clone)]
pub struct LongColumns {
    names: Vec<String>,
    keys: Vec<usize>,
    date: usize,
    quantity: usize,
    in_stock: Option<usize>,
    file: Option<String>,
}

impl LongColumns {
    /// Reads the column names: `date` and `quantity` (any case) are required, `in_stock`
    /// optional; the key columns are `key_columns`, else every other column.
    ///
    /// # Errors
    ///
    /// [`CsvError`] at line 1 for a name given twice, a missing `date`, `quantity` or key
    /// column, or an unknown key column.
    pub fn new(names: &[String], key_columns: Option<&[String]>, file: Option<&str>) -> Result<Self, CsvError> {
        unique_headers(&header(names), file)?;
        let err = |kind| CsvError::new(kind).at_line(1).in_file(file);
        let find = |name: &'static str| {
            names
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| err(CsvErrorKind::MissingColumn(name)))
        };
        let date = find("date")?;
        let quantity = find("quantity")?;
        let in_stock = names.iter().position(|h| h.trim().eq_ignore_ascii_case("in_stock"));
        let keys: Vec<usize> = match key_columns {
            Some(k) => k
                .iter()
                .map(|n| {
                    names.iter().position(|h| h.trim() == n).ok_or_else(|| err(CsvErrorKind::UnknownColumn(n.clone())))
                })
                .collect::<Result<_, _>>()?,
            None => (0..names.len()).filter(|&i| i != date && i != quantity && Some(i) != in_stock).collect(),
        };
        if keys.is_empty() {
            return Err(err(CsvErrorKind::MissingColumn("a key column (besides date, quantity, in_stock)")));
        }
        Ok(LongColumns {
            names: names.iter().map(|n| n.trim().to_owned()).collect(),
            keys,
            date,
            quantity,
            in_stock,
            file: file.map(str::to_owned),
        })
    }

    /// Names of the key columns.
    pub fn key_names(&self) -> Vec<String> {
        self.keys.iter().map(|&i| self.names[i].clone()).collect()
    }

    /// Zero-based indices of the key columns, in key order.
    pub fn key_columns(&self) -> &[usize] {
        &self.keys
    }

    /// Zero-based indices of the `date`, `quantity` and (if any) `in_stock` columns.
    pub fn value_columns(&self) -> (usize, usize, Option<usize>) {
        (self.date, self.quantity, self.in_stock)
    }

    /// One history per item. Row r is `keys[r]`, `dates[r]` (`YYYY-MM-DD`),
    /// `quantities[r]` (NaN: missing) and `in_stock[r]` (`true` when absent); rows of one
    /// item are together and in date order (with `sorted`, items in ascending key order
    /// too), exactly as the long CSV reader wants them.
    ///
    /// # Errors
    ///
    /// [`CsvError`] at the offending row's line (and column, with the value) as the long
    /// CSV reader reports it; columns of different lengths are an error too.
    pub fn histories(
        &self,
        keys: Vec<Key>,
        dates: &[String],
        quantities: &[f64],
        in_stock: Option<&[bool]>,
        sorted: bool,
    ) -> Result<Vec<HistoryRecord>, CsvError> {
        let file = self.file.as_deref();
        let n = keys.len();
        if dates.len() != n || quantities.len() != n || in_stock.is_some_and(|f| f.len() != n) {
            return Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "columns of one length",
                message: format!("{n} keys, {} dates, {} quantities", dates.len(), quantities.len()),
            })
            .in_file(file));
        }
        let (date_col, qty_col) = (self.date, self.quantity);
        let mut out: Vec<HistoryRecord> = Vec::new();
        let mut done: HashSet<Key> = HashSet::new();
        let mut calendar: Option<Calendar> = None;
        let mut rows: Vec<(u64, Timestamp, f64, bool)> = Vec::new();
        let mut current: Option<(u64, Key)> = None;
        let mut finish = |current: Option<(u64, Key)>,
                          rows: &mut Vec<(u64, Timestamp, f64, bool)>,
                          out: &mut Vec<HistoryRecord>|
         -> Result<(), CsvError> {
            if let Some((line, key)) = current {
                let rec = assemble(line, key, rows, date_col, calendar).map_err(|e| e.in_file(file))?;
                if rows.len() > 1 {
                    calendar = Some(rec.history.calendar());
                }
                out.push(rec);
            }
            rows.clear();
            Ok(())
        };
        for (row, key) in keys.into_iter().enumerate() {
            let line = row_line(row);
            let raw = dates[row].as_str();
            let date = parse_date(raw).ok_or_else(|| {
                CsvError::new(CsvErrorKind::Invalid {
                    expected: "an ISO date",
                    message: "not a date (YYYY-MM-DD)".into(),
                })
                .at_line(line)
                .at_column(date_col + 1, "date", Some(raw))
                .in_file(file)
            })?;
            let q = quantities[row];
            let q = demand(q).map_err(|message| {
                CsvError::new(CsvErrorKind::Invalid { expected: "a demand quantity >= 0", message })
                    .at_line(line)
                    .at_column(qty_col + 1, "quantity", Some(&q.to_string()))
                    .in_file(file)
            })?;
            let flag = in_stock.is_none_or(|f| f[row]);
            let same = current.as_ref().is_some_and(|(_, k)| *k == key);
            if same {
                let prev = rows.last().map(|r| r.1).unwrap_or(date);
                if date <= prev {
                    return Err(CsvError::new(CsvErrorKind::Invalid {
                        expected: "dates ascending within an item",
                        message: format!("{date} is not after {prev}"),
                    })
                    .at_line(line)
                    .at_column(date_col + 1, "date", Some(&date.to_string()))
                    .in_file(file));
                }
                rows.push((line, date, q, flag));
                continue;
            }
            // A new item: close the previous one (its errors come first, as in the file), then
            // check the new one's place.
            let prev_key = current.as_ref().map(|(_, k)| k.clone());
            finish(current.take(), &mut rows, &mut out)?;
            if sorted {
                if let Some(prev) = prev_key.as_ref().filter(|p| **p >= key) {
                    return Err(CsvError::new(CsvErrorKind::Invalid {
                        expected: "items in ascending key order (the file is declared sorted)",
                        message: format!(
                            "item {} comes after item {}",
                            bounded(&key_text(&key)),
                            bounded(&key_text(prev))
                        ),
                    })
                    .at_line(line)
                    .in_file(file));
                }
            } else if !done.insert(key.clone()) {
                return Err(CsvError::new(CsvErrorKind::Invalid {
                    expected: "rows of one item together",
                    message: format!(
                        "item {} appears again after other items: sort the file by key, then date",
                        bounded(&key_text(&key))
                    ),
                })
                .at_line(line)
                .in_file(file));
            }
            current = Some((line, key));
            rows.push((line, date, q, flag));
        }
        finish(current.take(), &mut rows, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn k(v: &str) -> Key {
        v.split('/').map(str::to_owned).collect()
    }

    /// The same table as CSV text and as columns gives the same records.
    #[test]
    fn long_columns_read_as_the_long_csv_reader_does() {
        let text = "store,product,date,quantity,in_stock\nS2,P1,2024-01-01,3,true\nS2,P1,2024-01-08,4,false\nS1,P9,2024-01-01,5,\nS1,P9,2024-01-15,,1\n";
        let csv: Vec<HistoryRecord> =
            HistoryReaderBuilder::new().long(text.as_bytes()).unwrap().collect::<Result<_, _>>().unwrap();
        let cols = LongColumns::new(&names(&["store", "product", "date", "quantity", "in_stock"]), None, None).unwrap();
        let dates = names(&["2024-01-01", "2024-01-08", "2024-01-01", "2024-01-15"]);
        let got = cols
            .histories(
                vec![k("S2/P1"), k("S2/P1"), k("S1/P9"), k("S1/P9")],
                &dates,
                &[3.0, 4.0, 5.0, f64::NAN],
                Some(&[true, false, true, true]),
                false,
            )
            .unwrap();
        assert_eq!((got.len(), got[1].history.len()), (2, 3));
        for (a, b) in csv.iter().zip(&got) {
            assert_eq!(
                (a.line, &a.key, a.history.start(), a.history.calendar()),
                (b.line, &b.key, b.history.start(), b.history.calendar())
            );
            assert_eq!(a.history.censored(), b.history.censored());
            let bits = |h: &DemandHistory| h.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a.history), bits(&b.history));
        }
    }

    #[test]
    fn table_errors_name_the_row_line_column_and_value() {
        let wide = WideColumns::new(&names(&["s", "2024-01-01", "2024-01-08"]), None, Some("history")).unwrap();
        let e = wide.histories(vec![k("a"), k("b")], &[1.0, 2.0, 3.0, -4.0]).unwrap_err();
        assert_eq!(
            (e.file(), e.line(), e.column(), e.value()),
            (Some("history"), 3, Some((3, "2024-01-08")), Some("-4"))
        );
        let e = wide.histories(vec![k("a"), k("a")], &[1.0, 2.0, 3.0, 4.0]).unwrap_err();
        assert_eq!(e.line(), 3);
        let e = WideColumns::new(&names(&["s", "2024-01-01", "2024-01-15"]), None, None).unwrap_err();
        assert_eq!((e.line(), e.column()), (1, Some((3, "2024-01-15"))));
        let long = LongColumns::new(&names(&["i", "date", "quantity"]), None, None).unwrap();
        let e = long.histories(vec![k("a"), k("b"), k("a")], &names(&["2024-01-01"; 3]), &[1.0; 3], None, false);
        assert_eq!(e.unwrap_err().line(), 4);
        let e = long.histories(vec![k("a")], &names(&["2024-13-01"]), &[1.0], None, false).unwrap_err();
        assert_eq!((e.line(), e.value()), (2, Some("2024-13-01")));
    }
}
