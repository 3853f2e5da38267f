//! A JSON Lines event journal: one ledger event per line.
//!
//! Each append writes the event as one JSON object followed by `\n`, in a single write,
//! then flushes or fsyncs as asked, so an append that returned with [`Durability::Sync`]
//! survives a crash. A crash mid-write can leave a *torn tail*: a last line without its
//! `\n`. The reader returns every complete line and reports a torn tail as a recoverable
//! [`Record::TornTail`] (it was never acknowledged, so it is not applied, but it is not
//! dropped silently either); a line that is complete but not a valid event is corruption
//! and an error naming its line. [`open_append`] truncates a torn tail before appending.
//!
//! Field names are the serde names of [`invsync_core::ledger::Event`] (stable, snake_case;
//! instants are integer milliseconds since the Unix epoch, money a decimal string).
//!
//! ```
//! use invsync_core::ledger::{Event, Movement};
//! use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
//! use invsync_json::journal::{Durability, JournalReader, JournalWriter, Record};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let e = Event::new(EventId::new("e1")?, SourceId::new("wms")?, ItemId::new("A")?,
//!                    LocationId::new("L")?, Timestamp::from_days(1), Movement::receipt(5));
//! let mut w = JournalWriter::new(Vec::new());
//! w.append(&e, Durability::Flush)?;
//! let mut bytes = w.into_inner();
//! bytes.extend_from_slice(b"{\"id\":\"e2\",\"sou"); // a crash mid-write
//! let records: Vec<Record> = JournalReader::new(&bytes[..]).collect::<Result<_, _>>()?;
//! assert!(matches!(&records[0], Record::Event { line: 1, event } if *event == e));
//! assert!(matches!(&records[1], Record::TornTail { line: 2, .. }));
//! # Ok(()) }
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use invsync_core::ledger::Event;

/// How far an append goes before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Written to the writer (it may still buffer).
    Buffered,
    /// Flushed to the operating system.
    Flush,
    /// Flushed and fsynced (data reaches the disk before the append returns).
    Sync,
}

/// A writer that can force its data to stable storage.
pub trait SyncWrite: Write {
    /// Flushes and forces written data to stable storage.
    ///
    /// # Errors
    ///
    /// The I/O error, if any.
    fn sync_data(&mut self) -> io::Result<()>;
}

impl SyncWrite for File {
    fn sync_data(&mut self) -> io::Result<()> {
        self.flush()?;
        File::sync_data(self)
    }
}

impl SyncWrite for Vec<u8> {
    fn sync_data(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why the journal could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading or writing failed.
    #[error("journal i/o error: {0}")]
    Io(#[from] io::Error),
    /// A complete line is not a valid event.
    #[error("journal line {line}: {message}")]
    Corrupt {
        /// One-based line number.
        line: u64,
        /// Why it is not an event.
        message: String,
    },
    /// An event could not be serialised.
    #[error("cannot serialise event: {0}")]
    Serialise(String),
}

/// Appends events.
#[derive(Debug)]
pub struct JournalWriter<W: SyncWrite> {
    inner: W,
    line: Vec<u8>,
}

impl<W: SyncWrite> JournalWriter<W> {
    /// A journal writing to `inner` (positioned at its end).
    pub fn new(inner: W) -> Self {
        JournalWriter { inner, line: Vec::new() }
    }

    /// Appends one event as one line.
    ///
    /// # Errors
    ///
    /// [`JournalError`] when serialising, writing, flushing or syncing fails.
    pub fn append(&mut self, event: &Event, durability: Durability) -> Result<(), JournalError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, event).map_err(|e| JournalError::Serialise(e.to_string()))?;
        self.line.push(b'\n');
        self.inner.write_all(&self.line)?;
        match durability {
            Durability::Buffered => {}
            Durability::Flush => self.inner.flush()?,
            Durability::Sync => self.inner.sync_data()?,
        }
        Ok(())
    }

    /// The inner writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// What a journal read found.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A complete line holding an event.
    Event {
        /// One-based line number.
        line: u64,
        /// The event.
        event: Event,
    },
    /// A last line without its newline: a write interrupted by a crash. Never applied.
    TornTail {
        /// One-based line number.
        line: u64,
        /// Its bytes.
        bytes: Vec<u8>,
    },
}

/// Reads a journal line by line; memory holds one line at a time.
#[derive(Debug)]
pub struct JournalReader<R> {
    inner: BufReader<R>,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: Read> JournalReader<R> {
    /// A reader over `inner`.
    pub fn new(inner: R) -> Self {
        JournalReader { inner: BufReader::new(inner), line: 0, buf: Vec::new(), done: false }
    }
}

impl<R: Read> Iterator for JournalReader<R> {
    type Item = Result<Record, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            let n = match self.inner.read_until(b'\n', &mut self.buf) {
                Ok(n) => n,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.into()));
                }
            };
            if n == 0 {
                self.done = true;
                return None;
            }
            self.line += 1;
            if self.buf.last() != Some(&b'\n') {
                self.done = true;
                return Some(Ok(Record::TornTail { line: self.line, bytes: std::mem::take(&mut self.buf) }));
            }
            let text = &self.buf[..self.buf.len() - 1];
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(match serde_json::from_slice::<Event>(text) {
                Ok(event) => Ok(Record::Event { line: self.line, event }),
                Err(e) => {
                    self.done = true;
                    Err(JournalError::Corrupt { line: self.line, message: e.to_string() })
                }
            });
        }
    }
}

/// What [`open_append`] recovered.
#[derive(Debug)]
pub struct Recovered {
    /// Every complete event, in order.
    pub events: Vec<Event>,
    /// The torn tail that was truncated, if any.
    pub torn_tail: Option<Vec<u8>>,
}

/// Opens (or creates) a journal for appending: reads every complete event, truncates a torn
/// tail, and returns a writer positioned at the end.
///
/// # Errors
///
/// [`JournalError::Corrupt`] when a complete line is not an event (nothing is truncated
/// then), or an I/O error.
pub fn open_append(path: &Path) -> Result<(JournalWriter<File>, Recovered), JournalError> {
    let mut file = OpenOptions::new().read(true).append(false).write(true).create(true).truncate(false).open(path)?;
    let mut events = Vec::new();
    let mut torn = None;
    for rec in JournalReader::new(&mut file) {
        match rec? {
            Record::Event { event, .. } => events.push(event),
            Record::TornTail { bytes, .. } => torn = Some(bytes),
        }
    }
    // The complete part is everything before the torn bytes.
    let good_len = file.metadata()?.len() - torn.as_ref().map_or(0, |t| t.len() as u64);
    if torn.is_some() {
        file.set_len(good_len)?;
        file.sync_data()?;
    }
    file.seek(SeekFrom::Start(good_len))?;
    Ok((JournalWriter::new(file), Recovered { events, torn_tail: torn }))
}
