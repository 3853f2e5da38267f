//! Ledger events, one per row.
//!
//! Columns (header required, any order; optional columns may be left out):
//!
//! ```text
//! event_id, item, location, occurred_at, type      required
//! source                                           default: the reader's default source
//! source_seq, recorded_at (default occurred_at), qty, bucket, to_bucket, unit_cost,
//! expected, target, to_location, expected_at, close, reason, reference
//! ```
//!
//! `type` is the movement's name (`receipt`, `issue`, `adjust`, `set`, `count`, `move`,
//! `reserve`, `release`, `commit`, `fulfil`, `transfer_out`, `transfer_in`, `return`,
//! `damage`, `quality_hold`, `quality_release`, `schedule_receipt`, `cancel`). `qty` is the
//! quantity (the signed delta of `adjust`, the target of `set` and `count`). `bucket` is
//! the bucket acted on (destination of receipts and returns, source of everything else);
//! `to_bucket` the destination of `move` and `quality_release`. `target` is the event a
//! `cancel`, `transfer_in` or scheduled-receipt fill refers to. Timestamps are RFC 3339
//! (`2024-04-08T09:30:00Z`) or dates.

use std::io;

use invsync_core::ledger::{Bucket, Event, Movement};
use invsync_core::{EventId, ItemId, LocationId, Money, ReasonCode, SourceId, Timestamp};

use crate::error::{CsvError, CsvErrorKind, writer_with_header};

/// Every column, in the order the writer uses.
pub const EVENT_COLUMNS: [&str; 19] = [
    "event_id",
    "source",
    "source_seq",
    "item",
    "location",
    "occurred_at",
    "recorded_at",
    "type",
    "qty",
    "bucket",
    "to_bucket",
    "unit_cost",
    "expected",
    "target",
    "to_location",
    "expected_at",
    "close",
    "reason",
    "reference",
];

const REQUIRED: [&str; 5] = ["event_id", "item", "location", "occurred_at", "type"];

/// An event and the line it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// One-based line number of the row.
    pub line: u64,
    /// The event.
    pub event: Event,
}

/// Configures an [`EventReader`].
#[derive(Debug, Clone)]
pub struct EventReaderBuilder {
    file: Option<String>,
    default_source: String,
}

impl Default for EventReaderBuilder {
    fn default() -> Self {
        EventReaderBuilder { file: None, default_source: "csv".to_owned() }
    }
}

impl EventReaderBuilder {
    /// A builder with no file name and the default source `csv`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The file name errors should carry.
    pub fn file(&mut self, name: impl Into<String>) -> &mut Self {
        self.file = Some(name.into());
        self
    }

    /// The source system of rows without a `source` value.
    pub fn default_source(&mut self, source: impl Into<String>) -> &mut Self {
        self.default_source = source.into();
        self
    }

    /// Reads the header of `rdr` and returns a streaming reader.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when the header is unreadable, lacks a required column, or names an
    /// unknown or duplicate one, or when the default source is not a valid id.
    pub fn from_reader<R: io::Read>(&self, rdr: R) -> Result<EventReader<R>, CsvError> {
        let mut inner = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(rdr);
        let at = |e: CsvError| e.in_file(self.file.as_deref());
        let headers = inner.headers().map_err(|e| at(e.into()))?.clone();
        let mut index = [None; EVENT_COLUMNS.len()];
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim();
            let Some(c) = EVENT_COLUMNS.iter().position(|&c| c == h) else {
                return Err(at(CsvError::new(CsvErrorKind::UnknownColumn(h.to_owned())).at_line(1)));
            };
            if index[c].replace(i).is_some() {
                return Err(at(CsvError::new(CsvErrorKind::DuplicateColumn(h.to_owned())).at_line(1)));
            }
        }
        for r in REQUIRED {
            if index.get(col(r)).copied().flatten().is_none() {
                return Err(at(CsvError::new(CsvErrorKind::MissingColumn(r)).at_line(1)));
            }
        }
        let default_source = SourceId::new(&self.default_source).map_err(|e| {
            at(CsvError::new(CsvErrorKind::Invalid { expected: "a source id", message: e.to_string() }))
        })?;
        Ok(EventReader { inner, index, file: self.file.clone(), default_source, record: csv::StringRecord::new() })
    }
}

/// Index of a column name in [`EVENT_COLUMNS`] (`usize::MAX` for a name that is not one,
/// which every lookup below treats as an absent column).
fn col(name: &str) -> usize {
    EVENT_COLUMNS.iter().position(|&c| c == name).unwrap_or(usize::MAX)
}

/// Reads events row by row; memory does not grow with the file.
#[derive(Debug)]
pub struct EventReader<R> {
    inner: csv::Reader<R>,
    index: [Option<usize>; EVENT_COLUMNS.len()],
    file: Option<String>,
    default_source: SourceId,
    record: csv::StringRecord,
}

/// Field access for one row, producing positioned errors.
struct Row<'a> {
    record: &'a csv::StringRecord,
    index: &'a [Option<usize>; EVENT_COLUMNS.len()],
    line: u64,
}

impl Row<'_> {
    fn raw(&self, name: &'static str) -> Option<(usize, &str)> {
        let i = self.index.get(col(name)).copied().flatten()?;
        let v = self.record.get(i)?.trim();
        (!v.is_empty()).then_some((i, v))
    }

    fn err(&self, name: &'static str, i: Option<usize>, value: Option<&str>, kind: CsvErrorKind) -> CsvError {
        let index = i.or(self.index.get(col(name)).copied().flatten()).map_or(0, |i| i + 1);
        CsvError::new(kind).at_line(self.line).at_column(index, name, value)
    }

    fn opt<T>(
        &self,
        name: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, CsvError> {
        match self.raw(name) {
            None => Ok(None),
            Some((i, v)) => parse(v)
                .map(Some)
                .map_err(|message| self.err(name, Some(i), Some(v), CsvErrorKind::Invalid { expected, message })),
        }
    }

    fn req<T>(
        &self,
        name: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, CsvError> {
        self.opt(name, expected, parse)?.ok_or_else(|| self.err(name, None, None, CsvErrorKind::MissingValue))
    }
}

fn int(v: &str) -> Result<i64, String> {
    v.parse::<i64>().map_err(|e| e.to_string())
}

fn uint(v: &str) -> Result<u64, String> {
    v.parse::<u64>().map_err(|e| e.to_string())
}

fn ts(v: &str) -> Result<Timestamp, String> {
    v.parse::<Timestamp>().map_err(|e| e.to_string())
}

fn money(v: &str) -> Result<Money, String> {
    v.parse::<Money>().map_err(|e| e.to_string())
}

fn bucket(v: &str) -> Result<Bucket, String> {
    v.parse::<Bucket>().map_err(|e| e.to_string())
}

fn boolean(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("expected true/false or 1/0".to_owned()),
    }
}

fn id<T: std::str::FromStr<Err = invsync_core::IdError>>(v: &str) -> Result<T, String> {
    v.parse::<T>().map_err(|e| e.to_string())
}

fn movement(row: &Row<'_>, kind: &str) -> Result<Movement, CsvError> {
    let qty = || row.req("qty", "an integer quantity", int);
    let bucket_or = |d: Bucket| Ok::<_, CsvError>(row.opt("bucket", "a bucket name", bucket)?.unwrap_or(d));
    let to_bucket_or = |d: Bucket| Ok::<_, CsvError>(row.opt("to_bucket", "a bucket name", bucket)?.unwrap_or(d));
    let cost = || row.opt("unit_cost", "a decimal amount", money);
    let expected = || row.opt("expected", "an integer quantity", int);
    let close = || Ok::<_, CsvError>(row.opt("close", "a boolean", boolean)?.unwrap_or(false));
    let target = || row.req("target", "an event id", id::<EventId>);
    use Bucket::*;
    Ok(match kind {
        "receipt" => Movement::Receipt {
            qty: qty()?,
            unit_cost: cost()?,
            to: bucket_or(Available)?,
            against: row.opt("target", "an event id", id::<EventId>)?,
            close: close()?,
        },
        "schedule_receipt" => {
            Movement::ScheduleReceipt { qty: qty()?, expected_at: row.req("expected_at", "a timestamp", ts)? }
        }
        "issue" => Movement::Issue { qty: qty()?, from: bucket_or(Available)?, unit_cost: cost()? },
        "adjust" => {
            Movement::Adjust { bucket: bucket_or(Available)?, delta: qty()?, expected: expected()?, unit_cost: cost()? }
        }
        "set" => {
            Movement::Set { bucket: bucket_or(Available)?, qty: qty()?, expected: expected()?, unit_cost: cost()? }
        }
        "count" => Movement::Count { on_hand: qty()?, unit_cost: cost()? },
        "move" => Movement::Move {
            from: bucket_or(Available)?,
            to: row.req("to_bucket", "a bucket name", bucket)?,
            qty: qty()?,
            expected: expected()?,
        },
        "reserve" => Movement::Reserve { qty: qty()? },
        "release" => Movement::Release { qty: qty()? },
        "commit" => Movement::Commit { qty: qty()?, from: bucket_or(Available)? },
        "fulfil" => Movement::Fulfil { qty: qty()?, from: bucket_or(Committed)? },
        "transfer_out" => Movement::TransferOut {
            to: row.req("to_location", "a location id", id::<LocationId>)?,
            qty: qty()?,
            expected_at: row.opt("expected_at", "a timestamp", ts)?,
            unit_cost: cost()?,
        },
        "transfer_in" => Movement::TransferIn { transfer: target()?, qty: qty()?, close: close()? },
        "return" => Movement::Return { qty: qty()?, to: bucket_or(Available)?, unit_cost: cost()? },
        "damage" => Movement::Damage { qty: qty()?, from: bucket_or(Available)? },
        "quality_hold" => Movement::QualityHold { qty: qty()? },
        "quality_release" => Movement::QualityRelease { qty: qty()?, to: to_bucket_or(Available)? },
        "cancel" => Movement::Cancel { target: target()? },
        other => {
            return Err(row.err(
                "type",
                None,
                Some(other),
                CsvErrorKind::Invalid { expected: "an event type", message: "unknown event type".to_owned() },
            ));
        }
    })
}

impl<R: io::Read> EventReader<R> {
    fn parse(&self, line: u64) -> Result<Event, CsvError> {
        let row = Row { record: &self.record, index: &self.index, line };
        let kind = row.req("type", "an event type", |v| Ok(v.to_owned()))?;
        let occurred_at = row.req("occurred_at", "a timestamp", ts)?;
        let mut event = Event::new(
            row.req("event_id", "an event id", id::<EventId>)?,
            row.opt("source", "a source id", id::<SourceId>)?.unwrap_or_else(|| self.default_source.clone()),
            row.req("item", "an item id", id::<ItemId>)?,
            row.req("location", "a location id", id::<LocationId>)?,
            occurred_at,
            movement(&row, &kind)?,
        );
        event.recorded_at = row.opt("recorded_at", "a timestamp", ts)?.unwrap_or(occurred_at);
        event.source_seq = row.opt("source_seq", "an unsigned integer", uint)?;
        event.reason = row.opt("reason", "a reason code", id::<ReasonCode>)?;
        event.reference = row.raw("reference").map(|(_, v)| v.to_owned());
        Ok(event)
    }
}

impl<R: io::Read> Iterator for EventReader<R> {
    type Item = Result<EventRecord, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let res = match self.inner.read_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                self.parse(line).map(|event| EventRecord { line, event })
            }
            Err(e) => Err(e.into()),
        };
        Some(res.map_err(|e| e.in_file(self.file.as_deref())))
    }
}

/// Writes events with the columns of [`EVENT_COLUMNS`].
#[derive(Debug)]
pub struct EventWriter<W: io::Write> {
    inner: csv::Writer<W>,
}

impl<W: io::Write> EventWriter<W> {
    /// Writes the header and returns the writer.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn new(w: W) -> Result<Self, CsvError> {
        let inner = writer_with_header(w, &EVENT_COLUMNS)?;
        Ok(EventWriter { inner })
    }

    /// Writes one event.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when writing fails.
    pub fn write(&mut self, e: &Event) -> Result<(), CsvError> {
        let mut f: [String; EVENT_COLUMNS.len()] = Default::default();
        let mut set = |name: &str, v: String| {
            if let Some(slot) = f.get_mut(col(name)) {
                *slot = v;
            }
        };
        set("event_id", e.id.to_string());
        set("source", e.source.to_string());
        set("source_seq", e.source_seq.map(|s| s.to_string()).unwrap_or_default());
        set("item", e.item.to_string());
        set("location", e.location.to_string());
        set("occurred_at", e.occurred_at.to_string());
        set("recorded_at", e.recorded_at.to_string());
        set("type", e.movement.kind().to_owned());
        set("reason", e.reason.as_ref().map(|r| r.to_string()).unwrap_or_default());
        set("reference", e.reference.clone().unwrap_or_default());
        let s = |v: &dyn ToString| v.to_string();
        let o = |v: &Option<Money>| v.map(|m| m.to_string()).unwrap_or_default();
        match &e.movement {
            Movement::Receipt { qty, unit_cost, to, against, close } => {
                set("qty", s(qty));
                set("unit_cost", o(unit_cost));
                set("bucket", s(to));
                set("target", against.as_ref().map(|t| t.to_string()).unwrap_or_default());
                set("close", s(close));
            }
            Movement::ScheduleReceipt { qty, expected_at } => {
                set("qty", s(qty));
                set("expected_at", s(expected_at));
            }
            Movement::Issue { qty, from, unit_cost } => {
                set("qty", s(qty));
                set("bucket", s(from));
                set("unit_cost", o(unit_cost));
            }
            Movement::Adjust { bucket, delta: qty, expected, unit_cost }
            | Movement::Set { bucket, qty, expected, unit_cost } => {
                set("qty", s(qty));
                set("bucket", s(bucket));
                set("expected", expected.map(|x| x.to_string()).unwrap_or_default());
                set("unit_cost", o(unit_cost));
            }
            Movement::Count { on_hand, unit_cost } => {
                set("qty", s(on_hand));
                set("unit_cost", o(unit_cost));
            }
            Movement::Move { from, to, qty, expected } => {
                set("qty", s(qty));
                set("bucket", s(from));
                set("to_bucket", s(to));
                set("expected", expected.map(|x| x.to_string()).unwrap_or_default());
            }
            Movement::Reserve { qty } | Movement::Release { qty } | Movement::QualityHold { qty } => set("qty", s(qty)),
            Movement::Commit { qty, from } | Movement::Fulfil { qty, from } | Movement::Damage { qty, from } => {
                set("qty", s(qty));
                set("bucket", s(from));
            }
            Movement::TransferOut { to, qty, expected_at, unit_cost } => {
                set("qty", s(qty));
                set("to_location", s(to));
                set("expected_at", expected_at.map(|t| t.to_string()).unwrap_or_default());
                set("unit_cost", o(unit_cost));
            }
            Movement::TransferIn { transfer, qty, close } => {
                set("qty", s(qty));
                set("target", s(transfer));
                set("close", s(close));
            }
            Movement::Return { qty, to, unit_cost } => {
                set("qty", s(qty));
                set("bucket", s(to));
                set("unit_cost", o(unit_cost));
            }
            Movement::QualityRelease { qty, to } => {
                set("qty", s(qty));
                set("to_bucket", s(to));
            }
            Movement::Cancel { target } => set("target", s(target)),
            _ => {}
        }
        self.inner.write_record(&f)?;
        Ok(())
    }

    /// Flushes and returns the inner writer.
    ///
    /// # Errors
    ///
    /// [`CsvError`] when flushing fails.
    pub fn into_inner(self) -> Result<W, CsvError> {
        self.inner.into_inner().map_err(|e| CsvError::from(e.into_error()))
    }
}
