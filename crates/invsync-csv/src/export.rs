//! Planner inputs out: a long history (with in-stock flags) and a stock state, in the
//! shapes [`HistoryReaderBuilder::long`](crate::HistoryReaderBuilder::long) and
//! [`HistoryReaderBuilder::state`](crate::HistoryReaderBuilder::state) read back to the
//! same values.
//!
//! ```
//! use invsync_core::demand::{Calendar, DemandHistory};
//! use invsync_core::policy::StockPosition;
//! use invsync_core::Timestamp;
//! use invsync_csv::{HistoryReaderBuilder, LongHistoryWriter, StateWriter};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = vec!["item".to_owned(), "location".to_owned()];
//! let key = vec!["SKU-1".to_owned(), "S1".to_owned()];
//! let h = DemandHistory::new(Timestamp::from_date(2024, 1, 1)?, Calendar::Week,
//!                            vec![6.0, 24.0], vec![false, true])?;
//! let mut out = Vec::new();
//! let mut w = LongHistoryWriter::new(&mut out, &keys)?;
//! w.write(&key, &h)?;
//! w.flush()?;
//! drop(w);
//! assert_eq!(String::from_utf8(out.clone())?,
//!            "item,location,date,quantity,in_stock\nSKU-1,S1,2024-01-01,6,true\nSKU-1,S1,2024-01-08,24,false\n");
//! let back = HistoryReaderBuilder::new().long(out.as_slice())?.next().unwrap()?;
//! assert_eq!(back.history, h);
//!
//! let mut out = Vec::new();
//! let mut w = StateWriter::new(&mut out, &keys, 2)?;
//! w.write(&key, &StockPosition { on_hand: 2.0, arrivals: vec![20.0] })?;
//! w.flush()?;
//! drop(w);
//! assert_eq!(String::from_utf8(out)?, "item,location,on_hand,arriving_1,arriving_2\nSKU-1,S1,2,20,0\n");
//! # Ok(()) }
//! ```

use std::io;

use invsync_core::demand::DemandHistory;
use invsync_core::policy::StockPosition;

use crate::error::{CsvError, CsvErrorKind, writer_with_header};

fn key_count(key: &[String], keys: usize) -> Result<(), CsvError> {
    if key.len() == keys {
        return Ok(());
    }
    Err(CsvError::new(CsvErrorKind::Invalid {
        expected: "one value per key column",
        message: format!("{} key values for {keys} key columns", key.len()),
    }))
}

/// Writes a long history: key columns, `date`, `quantity`, `in_stock` (false on a
/// censored period), one row per period. Missing periods are left out (the reader reads
/// a gap as missing). Values are written exactly (Rust's shortest round-trip form).
#[derive(Debug)]
pub struct LongHistoryWriter<W: io::Write> {
    inner: csv::Writer<W>,
    keys: usize,
}

impl<W: io::Write> LongHistoryWriter<W> {
    /// Writes the header (`key_names`, then `date,quantity,in_stock`).
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn new(w: W, key_names: &[String]) -> Result<Self, CsvError> {
        let header: Vec<&str> = key_names.iter().map(String::as_str).chain(["date", "quantity", "in_stock"]).collect();
        Ok(LongHistoryWriter { inner: writer_with_header(w, &header)?, keys: key_names.len() })
    }

    /// Writes one item's periods.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails or the key has the wrong number of values.
    pub fn write(&mut self, key: &[String], history: &DemandHistory) -> Result<(), CsvError> {
        key_count(key, self.keys)?;
        for (t, (v, c)) in history.values().iter().zip(history.censored()).enumerate() {
            if v.is_nan() {
                continue;
            }
            let at = history.calendar().period_start(history.start(), t as i64).to_string();
            let date = at.get(..10).unwrap_or(&at);
            let qty = v.to_string();
            let row = key.iter().map(String::as_str).chain([date, &qty, if *c { "false" } else { "true" }]);
            self.inner.write_record(row)?;
        }
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

/// Writes a stock state: key columns, `on_hand`, `arriving_1` .. `arriving_n` (an item
/// with fewer arrivals gets 0 in the rest).
#[derive(Debug)]
pub struct StateWriter<W: io::Write> {
    inner: csv::Writer<W>,
    keys: usize,
    arrivals: usize,
}

impl<W: io::Write> StateWriter<W> {
    /// Writes the header with `arrivals` arrival columns.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn new(w: W, key_names: &[String], arrivals: usize) -> Result<Self, CsvError> {
        let mut header: Vec<String> = key_names.to_vec();
        header.push("on_hand".into());
        header.extend((1..=arrivals).map(|h| format!("arriving_{h}")));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        Ok(StateWriter { inner: writer_with_header(w, &header)?, keys: key_names.len(), arrivals })
    }

    /// Writes one item's position.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails, the key has the wrong number of values or the
    /// position more arrivals than the header has columns.
    pub fn write(&mut self, key: &[String], position: &StockPosition) -> Result<(), CsvError> {
        key_count(key, self.keys)?;
        if position.arrivals.len() > self.arrivals {
            return Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "at most one arrival per arrival column",
                message: format!("{} arrivals for {} columns", position.arrivals.len(), self.arrivals),
            }));
        }
        let mut row: Vec<String> = key.to_vec();
        row.push(position.on_hand.to_string());
        row.extend((0..self.arrivals).map(|i| position.arrivals.get(i).copied().unwrap_or(0.0).to_string()));
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
