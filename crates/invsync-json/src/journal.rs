//! A JSON Lines event journal: one ledger event per line, each with its checksum.
//!
//! # Format
//!
//! Each record is one line, one JSON object holding the event and the CRC-32C
//! (Castagnoli) of the event's JSON text, as 8 lowercase hex digits:
//!
//! ```text
//! {"crc32c":"<8 hex digits>","event":<the event's JSON>}\n
//! ```
//!
//! The layout is exact (the writer's, byte for byte), so a reader can check the sum over
//! the event's bytes as written. Field names of the event are the serde names of
//! [`invsync_core::ledger::Event`] (stable, snake_case; instants are integer milliseconds
//! since the Unix epoch, money a decimal string). **Journals written before checksums**
//! (a line holding just the event's JSON object) are still read, line by line, and a
//! journal may mix both (an old journal reopened with [`open_append`] gets checksummed
//! records appended); only checksummed lines are protected against alterations that
//! still parse.
//!
//! # Guarantees
//!
//! * An append that returned `Ok` with [`Durability::Sync`] survives a crash, and a
//!   reader gets it back.
//! * A failed append leaves no bytes later appends could glue onto: the writer removes
//!   what it wrote of the record (and syncs) when the inner writer can
//!   ([`SyncWrite::discard_tail`]; files and vectors can), or else refuses every later
//!   append ([`JournalError::Poisoned`]).
//! * A crash mid-write can leave a *torn tail*: a last line without its `\n`. It was
//!   never acknowledged; the reader reports it ([`Record::TornTail`]) and [`open_append`]
//!   truncates it.
//! * A complete line that is not a valid record (torn or altered in the middle, a
//!   checksum that does not match) is reported as [`Record::Damaged`] with its line and
//!   byte offset, and reading goes on: every intact record after it is kept. A valid
//!   record glued after damaged bytes on one line is recovered too.
//! * [`open_append`] takes an exclusive lock on the file: a second writer gets
//!   [`JournalError::Locked`]. A journal it creates is made durable by syncing its
//!   directory.
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
//! bytes.extend_from_slice(b"{\"crc32c\":\"0badf00d\",\"ev"); // a crash mid-write
//! let records: Vec<Record> = JournalReader::new(&bytes[..]).collect::<Result<_, _>>()?;
//! assert!(matches!(&records[0], Record::Event { line: 1, event } if *event == e));
//! assert!(matches!(&records[1], Record::TornTail { line: 2, .. }));
//! # Ok(()) }
//! ```

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

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

    /// Removes the last `n` bytes written (the part of a failed append that got through)
    /// and makes the removal durable, so the next write follows the last complete record.
    /// The default cannot, and returns an [`io::ErrorKind::Unsupported`] error: a
    /// [`JournalWriter`] over such a writer refuses every append after a failed one.
    ///
    /// # Errors
    ///
    /// The I/O error, if any.
    fn discard_tail(&mut self, n: u64) -> io::Result<()> {
        let _ = n;
        Err(io::ErrorKind::Unsupported.into())
    }
}

impl SyncWrite for File {
    fn sync_data(&mut self) -> io::Result<()> {
        self.flush()?;
        File::sync_data(self)
    }

    fn discard_tail(&mut self, n: u64) -> io::Result<()> {
        let len = self.metadata()?.len().checked_sub(n).ok_or(io::ErrorKind::InvalidInput)?;
        self.set_len(len)?;
        self.seek(SeekFrom::Start(len))?;
        File::sync_data(self)
    }
}

impl SyncWrite for Vec<u8> {
    fn sync_data(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn discard_tail(&mut self, n: u64) -> io::Result<()> {
        let n = usize::try_from(n).map_err(|_| io::ErrorKind::InvalidInput)?;
        let len = self.len().checked_sub(n).ok_or(io::ErrorKind::InvalidInput)?;
        self.truncate(len);
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
    /// An event could not be serialised.
    #[error("cannot serialise event: {0}")]
    Serialise(String),
    /// Another writer holds the journal (an open [`JournalWriter`] from [`open_append`],
    /// in this process or another).
    #[error("journal {}: another writer has it open (it is locked)", path.display())]
    Locked {
        /// The journal.
        path: PathBuf,
    },
    /// An earlier append failed and what it wrote could not be removed (or it failed
    /// while flushing or syncing, when earlier data may not have reached the disk): the
    /// writer refuses every further append. Reopen the journal with [`open_append`].
    #[error("journal writer is unusable after a failed append; reopen the journal")]
    Poisoned,
}

/// The start of a checksummed record line, then 8 hex digits, then [`MIDDLE`].
const PREFIX: &[u8] = b"{\"crc32c\":\"";
/// Between the checksum and the event's JSON.
const MIDDLE: &[u8] = b"\",\"event\":";
/// Bytes of a record line around the event's JSON (without the newline).
const FRAME: usize = PREFIX.len() + 8 + MIDDLE.len() + 1;

/// Appends events.
#[derive(Debug)]
pub struct JournalWriter<W: SyncWrite> {
    inner: W,
    line: Vec<u8>,
    poisoned: bool,
}

impl<W: SyncWrite> JournalWriter<W> {
    /// A journal writing to `inner` (positioned at its end). To append to a journal file,
    /// use [`open_append`]: it also locks the file and recovers its tail.
    pub fn new(inner: W) -> Self {
        JournalWriter { inner, line: Vec::new(), poisoned: false }
    }

    /// Appends one event as one line.
    ///
    /// When writing fails part way, the bytes of the record that got through are removed
    /// ([`SyncWrite::discard_tail`]) before the error is returned, and the writer can be
    /// used again; when they cannot be removed, or flushing or syncing fails, the writer
    /// is poisoned.
    ///
    /// # Errors
    ///
    /// [`JournalError`] when serialising, writing, flushing or syncing fails (the event is
    /// then not acknowledged, and no part of it is left for a later append to glue onto),
    /// or [`JournalError::Poisoned`] after an earlier failure that could not be undone.
    pub fn append(&mut self, event: &Event, durability: Durability) -> Result<(), JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned);
        }
        self.line.clear();
        self.line.extend_from_slice(PREFIX);
        self.line.extend_from_slice(b"00000000");
        self.line.extend_from_slice(MIDDLE);
        let start = self.line.len();
        serde_json::to_writer(&mut self.line, event).map_err(|e| JournalError::Serialise(e.to_string()))?;
        let crc = crc32c::crc32c(&self.line[start..]);
        self.line[PREFIX.len()..PREFIX.len() + 8].copy_from_slice(format!("{crc:08x}").as_bytes());
        self.line.extend_from_slice(b"}\n");
        // `write_all` by hand, to know how much of the record got through when it fails.
        let mut done = 0;
        while done < self.line.len() {
            match self.inner.write(&self.line[done..]) {
                Ok(0) => return Err(self.undo(done, io::ErrorKind::WriteZero.into())),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.undo(done, e)),
            }
        }
        let synced = match durability {
            Durability::Buffered => Ok(()),
            Durability::Flush => self.inner.flush(),
            Durability::Sync => self.inner.sync_data(),
        };
        synced.map_err(|e| {
            // Data written earlier may be lost even where this record is not (a failed
            // fsync can drop dirty pages): nothing more is acknowledged.
            self.poisoned = true;
            JournalError::Io(e)
        })
    }

    /// After a failed write of which `written` bytes got through: removes them, or poisons
    /// the writer.
    fn undo(&mut self, written: usize, error: io::Error) -> JournalError {
        if written > 0 && self.inner.discard_tail(written as u64).is_err() {
            self.poisoned = true;
        }
        JournalError::Io(error)
    }

    /// Whether an earlier failure left the writer refusing appends.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The inner writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// A complete line that holds no valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// One-based line number.
    pub line: u64,
    /// Byte offset of the damaged bytes from the start of the journal.
    pub offset: u64,
    /// Why they are not a record.
    pub reason: String,
    /// The damaged bytes (without the newline).
    pub bytes: Vec<u8>,
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
    /// A complete line (or the start of one) that holds no valid record: torn or altered
    /// in the middle, or a checksum that does not match. Never applied; reading goes on.
    Damaged(Damaged),
    /// A last line without its newline: a write interrupted by a crash. Never applied.
    TornTail {
        /// One-based line number.
        line: u64,
        /// Byte offset of the line from the start of the journal.
        offset: u64,
        /// Its bytes.
        bytes: Vec<u8>,
    },
}

/// Reads a journal line by line; memory holds one line at a time.
#[derive(Debug)]
pub struct JournalReader<R> {
    inner: BufReader<R>,
    line: u64,
    /// Byte offset of the next line.
    offset: u64,
    buf: Vec<u8>,
    /// A record recovered after damaged bytes on the same line, returned next.
    pending: Option<Record>,
    done: bool,
}

impl<R: Read> JournalReader<R> {
    /// A reader over `inner`.
    pub fn new(inner: R) -> Self {
        JournalReader { inner: BufReader::new(inner), line: 0, offset: 0, buf: Vec::new(), pending: None, done: false }
    }
}

/// Why `text` (a line without its newline) is not a valid record, or its event.
fn parse_line(text: &[u8]) -> Result<Event, String> {
    if !text.starts_with(PREFIX) {
        // A line written before checksums: the event's JSON alone.
        return serde_json::from_slice::<Event>(text).map_err(|e| format!("not a journal record: {}", bounded(&e)));
    }
    if text.len() < FRAME + 2
        || !text.ends_with(b"}")
        || &text[PREFIX.len() + 8..PREFIX.len() + 8 + MIDDLE.len()] != MIDDLE
    {
        return Err("not a journal record: the record's frame is incomplete".to_owned());
    }
    let hex = std::str::from_utf8(&text[PREFIX.len()..PREFIX.len() + 8]).ok();
    let Some(stored) =
        hex.filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit())).and_then(|h| u32::from_str_radix(h, 16).ok())
    else {
        return Err("the checksum is not 8 hex digits".to_owned());
    };
    let json = &text[PREFIX.len() + 8 + MIDDLE.len()..text.len() - 1];
    let actual = crc32c::crc32c(json);
    if actual != stored {
        return Err(format!("checksum mismatch: stored {stored:08x}, computed {actual:08x}"));
    }
    serde_json::from_slice::<Event>(json)
        .map_err(|e| format!("the checksum matches but the event is not valid: {}", bounded(&e)))
}

/// A parser message cut to about 120 characters (it can quote a whole value).
fn bounded(e: &serde_json::Error) -> String {
    const MAX: usize = 120;
    let text = e.to_string();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

impl<R: Read> Iterator for JournalReader<R> {
    type Item = Result<Record, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(r) = self.pending.take() {
            return Some(Ok(r));
        }
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
            let offset = self.offset;
            self.offset += n as u64;
            if self.buf.last() != Some(&b'\n') {
                self.done = true;
                let bytes = std::mem::take(&mut self.buf);
                return Some(Ok(Record::TornTail { line: self.line, offset, bytes }));
            }
            let text = &self.buf[..self.buf.len() - 1];
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let reason = match parse_line(text) {
                Ok(event) => return Some(Ok(Record::Event { line: self.line, event })),
                Err(reason) => reason,
            };
            // A record glued after damaged bytes (a torn write followed by a good one).
            // An event's JSON cannot hold the prefix unescaped, so only the last place it
            // occurs can start a valid record (and the line is scanned once).
            let glued = (1..text.len())
                .rev()
                .find(|&i| text[i..].starts_with(PREFIX))
                .and_then(|i| parse_line(&text[i..]).ok().map(|event| (i, event)));
            let end = glued.as_ref().map_or(text.len(), |(i, _)| *i);
            if let Some((_, event)) = glued {
                self.pending = Some(Record::Event { line: self.line, event });
            }
            let damaged = Damaged { line: self.line, offset, reason, bytes: text[..end].to_vec() };
            return Some(Ok(Record::Damaged(damaged)));
        }
    }
}

/// What [`open_append`] recovered.
#[derive(Debug)]
#[non_exhaustive]
pub struct Recovered {
    /// Every intact event, in order (including those after damaged lines).
    pub events: Vec<Event>,
    /// The torn tail that was truncated, if any.
    pub torn_tail: Option<Vec<u8>>,
    /// Damaged lines that were skipped (left in the file, reported on every open).
    pub damaged: Vec<Damaged>,
}

/// Opens (or creates) a journal for appending: takes an exclusive lock on it (held until
/// the writer is dropped), reads every intact event, reports damaged lines, truncates a
/// torn tail, and returns a writer appending at the end. A journal it creates is made
/// durable (its directory is synced) before it returns.
///
/// # Errors
///
/// [`JournalError::Locked`] when another writer has the journal open (nothing is read or
/// changed then), or an I/O error.
pub fn open_append(path: &Path) -> Result<(JournalWriter<File>, Recovered), JournalError> {
    let mut options = OpenOptions::new();
    options.read(true).append(true);
    let (mut file, created) = match options.clone().create_new(true).open(path) {
        Ok(f) => (f, true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => (options.open(path)?, false),
        Err(e) => return Err(e.into()),
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(JournalError::Locked { path: path.to_owned() }),
        Err(TryLockError::Error(e)) => return Err(e.into()),
    }
    if created {
        sync_parent_dir(path)?;
    }
    let mut events = Vec::new();
    let mut damaged = Vec::new();
    let mut torn = None;
    for rec in JournalReader::new(&mut file) {
        match rec? {
            Record::Event { event, .. } => events.push(event),
            Record::Damaged(d) => damaged.push(d),
            Record::TornTail { bytes, .. } => torn = Some(bytes),
        }
    }
    if let Some(t) = &torn {
        // The complete part is everything before the torn bytes.
        let good_len = file.metadata()?.len() - t.len() as u64;
        file.set_len(good_len)?;
        file.sync_data()?;
    }
    file.seek(SeekFrom::End(0))?;
    Ok((JournalWriter::new(file), Recovered { events, torn_tail: torn, damaged }))
}

/// Makes a new directory entry durable (on Unix; elsewhere directories cannot be opened
/// for syncing, and the file system's own ordering is relied on).
fn sync_parent_dir(path: &Path) -> io::Result<()> {
    if cfg!(unix) {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
        #[cfg(test)]
        tests::DIR_SYNCS.with(|d| d.borrow_mut().push(dir.to_path_buf()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::path::PathBuf;

    use super::*;

    thread_local! {
        /// Directories synced by [`sync_parent_dir`] on this thread, in order.
        pub(super) static DIR_SYNCS: RefCell<Vec<PathBuf>> = const { RefCell::new(Vec::new()) };
    }

    /// A journal `open_append` creates has its directory synced before it returns (issue
    /// 20: a new journal could vanish after a power cut; before this test only `strace`
    /// showed the fsync); reopening an existing journal syncs nothing.
    #[test]
    fn creating_a_journal_syncs_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        DIR_SYNCS.with(|d| d.borrow_mut().clear());
        let (writer, _) = open_append(&path).unwrap();
        assert_eq!(DIR_SYNCS.with(|d| d.borrow().clone()), [dir.path().to_path_buf()]);
        drop(writer);
        let (_writer, _) = open_append(&path).unwrap();
        assert_eq!(DIR_SYNCS.with(|d| d.borrow().len()), 1, "an existing journal's directory is not synced again");
    }
}
