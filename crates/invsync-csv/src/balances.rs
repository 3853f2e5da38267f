//! Balance reports: one row per item x location.

use std::io;

use invsync_core::ledger::{HistoryEntry, Levels};
use invsync_core::{ItemId, LocationId, Money};

use crate::error::{CsvError, writer_with_header};

/// The columns of a balance report.
pub const BALANCE_COLUMNS: [&str; 12] = [
    "item",
    "location",
    "on_hand",
    "available",
    "committed",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
    "incoming",
    "in_transit",
    "value",
];

/// Writes balance rows.
#[derive(Debug)]
pub struct BalanceWriter<W: io::Write> {
    inner: csv::Writer<W>,
}

impl<W: io::Write> BalanceWriter<W> {
    /// Writes the header and returns the writer.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn new(w: W) -> Result<Self, CsvError> {
        let inner = writer_with_header(w, &BALANCE_COLUMNS)?;
        Ok(BalanceWriter { inner })
    }

    /// Writes one item x location.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn write(&mut self, item: &ItemId, location: &LocationId, l: &Levels, value: Money) -> Result<(), CsvError> {
        let n = [
            l.on_hand(),
            l.available,
            l.committed,
            l.reserved,
            l.damaged,
            l.safety_stock,
            l.quality_control,
            l.incoming,
            l.in_transit,
        ];
        let mut row = vec![item.to_string(), location.to_string()];
        row.extend(n.iter().map(i64::to_string));
        row.push(value.to_string());
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

/// The columns of a history report.
pub const HISTORY_COLUMNS: [&str; 9] =
    ["occurred_at", "event_id", "type", "on_hand", "available", "committed", "reserved", "value", "value_change"];

/// Writes the running history of one item x location.
#[derive(Debug)]
pub struct HistoryWriter<W: io::Write> {
    inner: csv::Writer<W>,
}

impl<W: io::Write> HistoryWriter<W> {
    /// Writes the header and returns the writer.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn new(w: W) -> Result<Self, CsvError> {
        let inner = writer_with_header(w, &HISTORY_COLUMNS)?;
        Ok(HistoryWriter { inner })
    }

    /// Writes one history line.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn write(&mut self, h: &HistoryEntry<'_>) -> Result<(), CsvError> {
        let l = &h.levels;
        self.inner.write_record([
            h.event.occurred_at.to_string(),
            h.event.id.to_string(),
            h.event.movement.kind().to_owned(),
            l.on_hand().to_string(),
            l.available.to_string(),
            l.committed.to_string(),
            l.reserved.to_string(),
            h.value.to_string(),
            h.value_change.to_string(),
        ])?;
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
