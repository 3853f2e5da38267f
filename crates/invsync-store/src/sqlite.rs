//! The embedded backend: one SQLite database file.
//!
//! Schema (version [`SCHEMA_VERSION`]):
//!
//! ```text
//! schema_version(version INTEGER NOT NULL)                      one row
//! config(id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT)      the LedgerConfig as JSON
//! registrations(pos INTEGER PRIMARY KEY, at_seq INTEGER, kind TEXT, id TEXT, policy TEXT)
//! event_batches(first_seq INTEGER PRIMARY KEY, count INTEGER, events BLOB)
//!                                     one row per appended batch: its events as JSON
//!                                     lines (`count` of them, separated by '\n'),
//!                                     sequence numbers first_seq .. first_seq + count
//! hub_config(id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT)  a DurableHub's HubConfig
//! hub_log(first INTEGER PRIMARY KEY, count INTEGER, commands BLOB)
//!                                     a DurableHub's commands, one row per transaction,
//!                                     as JSON lines, numbered first .. first + count
//! ```
//!
//! JSON is the core's serde form (the field names of [`Event`], snake_case). Version 1
//! kept one row per event (`events(seq INTEGER PRIMARY KEY, event TEXT)`); version 2 keeps
//! one per batch (a B-tree insert per batch instead of per event), and the migration
//! turns each version-1 event into a batch of one. Version 3 adds the hub tables.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use invsync_core::ledger::{Event, LedgerConfig};
use invsync_core::{ItemId, LocationId};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use crate::{Record, Registration, Store, StoreError};

/// The schema version this build writes, and the newest it reads.
pub const SCHEMA_VERSION: i64 = 3;

/// A migration step: `MIGRATIONS[v]` takes a store from version `v` to `v + 1`.
type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// The steps from an empty file to [`SCHEMA_VERSION`].
const MIGRATIONS: [Migration; SCHEMA_VERSION as usize] = [create_v1, v1_to_v2, v2_to_v3];

fn create_v1(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);
         INSERT INTO schema_version (version) VALUES (0);
         CREATE TABLE config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
         CREATE TABLE registrations (
             pos INTEGER PRIMARY KEY,
             at_seq INTEGER NOT NULL,
             kind TEXT NOT NULL CHECK (kind IN ('item', 'location')),
             id TEXT NOT NULL,
             policy TEXT NOT NULL
         );
         CREATE TABLE events (seq INTEGER PRIMARY KEY, event TEXT NOT NULL);",
    )
}

fn v2_to_v3(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE hub_config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
         CREATE TABLE hub_log (
             first INTEGER PRIMARY KEY,
             count INTEGER NOT NULL CHECK (count > 0),
             commands BLOB NOT NULL
         );",
    )
}

fn v1_to_v2(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE event_batches (
             first_seq INTEGER PRIMARY KEY,
             count INTEGER NOT NULL CHECK (count > 0),
             events BLOB NOT NULL
         );
         INSERT INTO event_batches (first_seq, count, events)
             SELECT seq, 1, CAST(event AS BLOB) FROM events ORDER BY seq;
         DROP TABLE events;",
    )
}

/// A [`Store`] in one SQLite database file (and its `-wal` and `-shm` files while open).
///
/// * **Durability.** WAL mode with `synchronous=FULL`: a transaction is on disk when its
///   commit returns; each [`Store::append_events`] is one transaction.
/// * **One writer.** A writer holds an exclusive lock on the file `<db>-lock` (next to the
///   database) for as long as it is open; a second writer gets [`StoreError::Locked`].
///   The operating system releases the lock when the process dies.
/// * **Readers** ([`SqliteStore::open_read_only`]) run beside the writer and see what was
///   committed when they read.
/// * **Errors.** Every SQLite error is mapped to a [`StoreError`]; a damaged file
///   (bad header, truncated) is [`StoreError::Corrupt`].
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    config: LedgerConfig,
    read_only: bool,
    /// The writer's lock, held while the store is open.
    _lock: Option<File>,
    /// Reused serialisation buffer.
    buf: Vec<u8>,
}

impl SqliteStore {
    /// Creates a new store at `path` for a ledger with `config`, and opens it for writing.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// use invsync_core::ledger::LedgerConfig;
    /// let store = invsync_store::SqliteStore::create(dir.path().join("a.db"), &LedgerConfig::default())?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError::AlreadyExists`] when the file exists; [`StoreError::Locked`],
    /// [`StoreError::Io`], [`StoreError::Database`] when it cannot be created.
    pub fn create(path: impl AsRef<Path>, config: &LedgerConfig) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(StoreError::AlreadyExists { path });
        }
        let lock = lock(&path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(sql(&path, "creating the database"))?;
        writer_pragmas(&conn, &path)?;
        let json = serde_json::to_string(config).map_err(|e| StoreError::BadRecord {
            path: path.clone(),
            table: "config",
            row: 1,
            message: e.to_string(),
        })?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&path, "creating the schema"))?;
        migrate(&tx, 0, &path)?;
        tx.execute("INSERT INTO config (id, json) VALUES (1, ?1)", [&json])
            .map_err(sql(&path, "storing the configuration"))?;
        tx.commit().map_err(sql(&path, "creating the schema"))?;
        Ok(SqliteStore {
            path,
            conn: Mutex::new(conn),
            config: config.clone(),
            read_only: false,
            _lock: Some(lock),
            buf: Vec::new(),
        })
    }

    /// Opens an existing store for writing, migrating it to [`SCHEMA_VERSION`] if it is
    /// older.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], [`StoreError::Locked`] (another writer has it),
    /// [`StoreError::Corrupt`], [`StoreError::NotAStore`],
    /// [`StoreError::UnsupportedVersion`], [`StoreError::BadRecord`] (the stored
    /// configuration does not decode), [`StoreError::Database`], [`StoreError::Io`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path.as_ref(), false)
    }

    /// Opens an existing store for reading only, beside a writer if there is one. The
    /// append methods of a read-only store fail with [`StoreError::ReadOnly`].
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`], except that it is never [`StoreError::Locked`] and an older
    /// schema is [`StoreError::UnsupportedVersion`] (it cannot be migrated read-only).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path.as_ref(), true)
    }

    fn open_with(path: &Path, read_only: bool) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        if !path.is_file() {
            return Err(StoreError::NotFound { path });
        }
        let lock = if read_only { None } else { Some(lock(&path)?) };
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let mut conn = Connection::open_with_flags(&path, flags).map_err(sql(&path, "opening the database"))?;
        if !read_only {
            writer_pragmas(&conn, &path)?;
        }
        let behavior = if read_only { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
        let tx = conn.transaction_with_behavior(behavior).map_err(sql(&path, "reading the schema"))?;
        let has_version: bool = tx
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(sql(&path, "reading the schema"))?;
        if !has_version {
            return Err(StoreError::NotAStore { path });
        }
        let version: i64 = tx
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .optional()
            .map_err(sql(&path, "reading the schema version"))?
            .ok_or_else(|| StoreError::BadRecord {
                path: path.clone(),
                table: "schema_version",
                row: 1,
                message: "no version row".into(),
            })?;
        if !(1..=SCHEMA_VERSION).contains(&version) || (read_only && version < SCHEMA_VERSION) {
            return Err(StoreError::UnsupportedVersion { path, found: version, supported: SCHEMA_VERSION });
        }
        if version < SCHEMA_VERSION {
            migrate(&tx, version, &path)?;
        }
        let json: String = tx
            .query_row("SELECT json FROM config WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(sql(&path, "reading the configuration"))?
            .ok_or_else(|| StoreError::BadRecord {
                path: path.clone(),
                table: "config",
                row: 1,
                message: "no configuration row".into(),
            })?;
        let config: LedgerConfig = serde_json::from_str(&json).map_err(|e| StoreError::BadRecord {
            path: path.clone(),
            table: "config",
            row: 1,
            message: e.to_string(),
        })?;
        tx.commit().map_err(sql(&path, "reading the schema"))?;
        Ok(SqliteStore { path, conn: Mutex::new(conn), config, read_only, _lock: lock, buf: Vec::new() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number of stored events.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when it cannot be read.
    pub fn event_count(&mut self) -> Result<u64, StoreError> {
        let path = &self.path;
        let conn = self.conn.get_mut().map_err(|_| StoreError::Poisoned)?;
        let n: i64 = conn
            .query_row("SELECT coalesce(sum(count), 0) FROM event_batches", [], |r| r.get(0))
            .map_err(sql(path, "counting events"))?;
        Ok(n as u64)
    }

    fn writable(&mut self) -> Result<&mut Connection, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        self.conn.get_mut().map_err(|_| StoreError::Poisoned)
    }
}

impl Store for SqliteStore {
    fn config(&self) -> &LedgerConfig {
        &self.config
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn load(&mut self, visit: &mut dyn FnMut(Record) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let path = &self.path;
        let conn = self.conn.get_mut().map_err(|_| StoreError::Poisoned)?;
        // One read transaction: registrations and events from one snapshot, even beside a
        // writer.
        let tx = conn.transaction().map_err(sql(path, "reading the store"))?;
        let mut registrations = read_registrations(&tx, path)?.into_iter().peekable();
        {
            let op = "reading events";
            let mut stmt = tx
                .prepare("SELECT first_seq, count, events FROM event_batches ORDER BY first_seq")
                .map_err(sql(path, op))?;
            let mut rows = stmt.query([]).map_err(sql(path, op))?;
            let mut expected: i64 = 0;
            while let Some(row) = rows.next().map_err(sql(path, op))? {
                let first: i64 = row.get(0).map_err(sql(path, op))?;
                let count: i64 = row.get(1).map_err(sql(path, op))?;
                let bad = |message: String| StoreError::BadRecord {
                    path: path.clone(),
                    table: "event_batches",
                    row: first,
                    message,
                };
                if first != expected {
                    return Err(bad(format!("expected sequence number {expected} (a gap in the events)")));
                }
                let bytes = row.get_ref(2).map_err(sql(path, op))?.as_bytes().map_err(|e| bad(e.to_string()))?;
                let mut lines = bytes.split(|&b| b == b'\n');
                for seq in first..first.saturating_add(count) {
                    let line =
                        lines.next().ok_or_else(|| bad(format!("{count} events stored, event {seq} missing")))?;
                    let event: Event = serde_json::from_slice(line).map_err(|e| bad(format!("event {seq}: {e}")))?;
                    while let Some((_, _, r)) = registrations.next_if(|(_, at, _)| *at <= seq as u64) {
                        visit(Record::Registration(r))?;
                    }
                    visit(Record::Event { seq: seq as u64, event })?;
                }
                if count < 1 || lines.next().is_some() {
                    return Err(bad(format!("the batch does not hold the {count} events it says")));
                }
                expected = first + count;
            }
            for (pos, at, r) in registrations {
                if at > expected as u64 {
                    return Err(StoreError::BadRecord {
                        path: path.clone(),
                        table: "registrations",
                        row: pos,
                        message: format!("stored after event {at} but the store holds {expected} events"),
                    });
                }
                visit(Record::Registration(r))?;
            }
        }
        tx.commit().map_err(sql(path, "reading the store"))
    }

    fn append_registration(&mut self, at_seq: u64, registration: &Registration) -> Result<(), StoreError> {
        let path = self.path.clone();
        let conn = self.writable()?;
        let (kind, id, policy) = match registration {
            Registration::Item { item, valuation } => ("item", item.as_str(), serde_json::to_string(valuation)),
            Registration::Location { location, negative } => {
                ("location", location.as_str(), serde_json::to_string(negative))
            }
        };
        let policy = policy.map_err(|e| StoreError::BadRecord {
            path: path.clone(),
            table: "registrations",
            row: -1,
            message: e.to_string(),
        })?;
        let at = i64::try_from(at_seq).map_err(|_| StoreError::BadRecord {
            path: path.clone(),
            table: "registrations",
            row: -1,
            message: format!("sequence number {at_seq} out of range"),
        })?;
        conn.execute(
            "INSERT INTO registrations (at_seq, kind, id, policy) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![at, kind, id, policy],
        )
        .map_err(sql(&path, "storing a registration"))?;
        Ok(())
    }

    fn append_events(&mut self, first_seq: u64, events: &mut dyn Iterator<Item = &Event>) -> Result<(), StoreError> {
        self.writable()?;
        let mut buf = std::mem::take(&mut self.buf);
        let count = encode_events(&self.path, first_seq, events, &mut buf)?;
        if count == 0 {
            self.buf = buf;
            return Ok(());
        }
        let path = self.path.clone();
        let op = "storing events";
        let conn = self.writable()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(&path, op))?;
        insert_batch(&tx, &path, first_seq, count, &buf)?;
        // Dropping an uncommitted transaction rolls it back: nothing half-stored.
        tx.commit().map_err(sql(&path, op))?;
        self.buf = buf;
        Ok(())
    }
}

/// What [`SqliteStore::load_hub`] calls with each command: its number and JSON.
pub(crate) type VisitCommand<'a> = dyn FnMut(u64, &[u8]) -> Result<(), StoreError> + 'a;

/// Hub state ([`DurableHub`](crate::DurableHub)).
impl SqliteStore {
    /// The stored hub configuration (JSON), if a hub was started on this store.
    pub(crate) fn hub_config(&mut self) -> Result<Option<String>, StoreError> {
        let path = &self.path;
        let conn = self.conn.get_mut().map_err(|_| StoreError::Poisoned)?;
        conn.query_row("SELECT json FROM hub_config WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(sql(path, "reading the hub configuration"))
    }

    /// Starts a hub on this store: stores its configuration. The store must hold no event
    /// and no hub yet.
    pub(crate) fn init_hub(&mut self, json: &str) -> Result<(), StoreError> {
        let path = self.path.clone();
        let op = "starting a hub";
        let conn = self.writable()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(&path, op))?;
        let (events, hubs): (i64, i64) = tx
            .query_row("SELECT (SELECT count(*) FROM event_batches), (SELECT count(*) FROM hub_config)", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(sql(&path, op))?;
        if events > 0 || hubs > 0 {
            return Err(StoreError::HubState {
                path,
                message: if hubs > 0 {
                    "a hub was already started on it (open it with DurableHub::open)".into()
                } else {
                    "it holds events: a hub starts on a store without events".into()
                },
            });
        }
        tx.execute("INSERT INTO hub_config (id, json) VALUES (1, ?1)", [json]).map_err(sql(&path, op))?;
        tx.commit().map_err(sql(&path, op))
    }

    /// Calls `visit` with every stored hub command (number, JSON) in order.
    pub(crate) fn load_hub(&mut self, visit: &mut VisitCommand<'_>) -> Result<(), StoreError> {
        let path = &self.path;
        let op = "reading the hub's commands";
        let conn = self.conn.get_mut().map_err(|_| StoreError::Poisoned)?;
        let tx = conn.transaction().map_err(sql(path, op))?;
        {
            let mut stmt =
                tx.prepare("SELECT first, count, commands FROM hub_log ORDER BY first").map_err(sql(path, op))?;
            let mut rows = stmt.query([]).map_err(sql(path, op))?;
            let mut expected: i64 = 0;
            while let Some(row) = rows.next().map_err(sql(path, op))? {
                let first: i64 = row.get(0).map_err(sql(path, op))?;
                let count: i64 = row.get(1).map_err(sql(path, op))?;
                let bad = |message: String| StoreError::BadRecord {
                    path: path.clone(),
                    table: "hub_log",
                    row: first,
                    message,
                };
                if first != expected {
                    return Err(bad(format!("expected command {expected} (a gap in the hub's commands)")));
                }
                let bytes = row.get_ref(2).map_err(sql(path, op))?.as_bytes().map_err(|e| bad(e.to_string()))?;
                let mut lines = bytes.split(|&b| b == b'\n');
                for n in first..first.saturating_add(count) {
                    let line = lines.next().ok_or_else(|| bad(format!("{count} commands stored, {n} missing")))?;
                    visit(n as u64, line)?;
                }
                if count < 1 || lines.next().is_some() {
                    return Err(bad(format!("the row does not hold the {count} commands it says")));
                }
                expected = first + count;
            }
        }
        tx.commit().map_err(sql(path, op))
    }

    /// Stores `count` hub commands (JSON lines in `commands`, numbered from `first`) and
    /// the ledger events they led to (from sequence number `first_seq`) as one
    /// transaction, durably.
    pub(crate) fn append_hub(
        &mut self,
        first: u64,
        commands: &[u8],
        count: i64,
        first_seq: u64,
        events: &mut dyn Iterator<Item = &Event>,
    ) -> Result<(), StoreError> {
        self.writable()?;
        let mut buf = std::mem::take(&mut self.buf);
        let n = encode_events(&self.path, first_seq, events, &mut buf)?;
        let path = self.path.clone();
        let op = "storing hub commands";
        let conn = self.writable()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(&path, op))?;
        if count > 0 {
            let key = i64::try_from(first).map_err(|_| StoreError::BadRecord {
                path: path.clone(),
                table: "hub_log",
                row: -1,
                message: format!("command number {first} out of range"),
            })?;
            tx.prepare_cached("INSERT INTO hub_log (first, count, commands) VALUES (?1, ?2, ?3)")
                .and_then(|mut stmt| stmt.execute(rusqlite::params![key, count, commands]))
                .map_err(sql(&path, op))?;
        }
        if n > 0 {
            insert_batch(&tx, &path, first_seq, n, &buf)?;
        }
        tx.commit().map_err(sql(&path, op))?;
        self.buf = buf;
        Ok(())
    }
}

/// Serialises `events` as JSON lines into `buf` (cleared first); their count.
fn encode_events(
    path: &Path,
    first_seq: u64,
    events: &mut dyn Iterator<Item = &Event>,
    buf: &mut Vec<u8>,
) -> Result<i64, StoreError> {
    buf.clear();
    let mut count: i64 = 0;
    for event in events {
        if count > 0 {
            buf.push(b'\n');
        }
        serde_json::to_writer(&mut *buf, event).map_err(|e| StoreError::BadRecord {
            path: path.to_path_buf(),
            table: "event_batches",
            row: first_seq as i64,
            message: format!("event {}: {e}", first_seq as i64 + count),
        })?;
        count += 1;
    }
    Ok(count)
}

/// Inserts one batch row: `count` events encoded in `buf` from `first_seq`.
fn insert_batch(tx: &Transaction<'_>, path: &Path, first_seq: u64, count: i64, buf: &[u8]) -> Result<(), StoreError> {
    let key = i64::try_from(first_seq).map_err(|_| StoreError::BadRecord {
        path: path.to_path_buf(),
        table: "event_batches",
        row: -1,
        message: format!("sequence number {first_seq} out of range"),
    })?;
    tx.prepare_cached("INSERT INTO event_batches (first_seq, count, events) VALUES (?1, ?2, ?3)")
        .and_then(|mut stmt| stmt.execute(rusqlite::params![key, count, buf]))
        .map_err(sql(path, "storing events"))?;
    Ok(())
}

/// Every stored registration as (position, events before it, registration), in order.
fn read_registrations(tx: &Transaction<'_>, path: &Path) -> Result<Vec<(i64, u64, Registration)>, StoreError> {
    let op = "reading registrations";
    let mut stmt =
        tx.prepare("SELECT pos, at_seq, kind, id, policy FROM registrations ORDER BY pos").map_err(sql(path, op))?;
    let mut rows = stmt.query([]).map_err(sql(path, op))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql(path, op))? {
        let pos: i64 = row.get(0).map_err(sql(path, op))?;
        let at: i64 = row.get(1).map_err(sql(path, op))?;
        let kind: String = row.get(2).map_err(sql(path, op))?;
        let id: String = row.get(3).map_err(sql(path, op))?;
        let policy: String = row.get(4).map_err(sql(path, op))?;
        let bad = |message: String| StoreError::BadRecord {
            path: path.to_path_buf(),
            table: "registrations",
            row: pos,
            message,
        };
        let at = u64::try_from(at).map_err(|_| bad(format!("negative sequence number {at}")))?;
        let registration = match kind.as_str() {
            "item" => Registration::Item {
                item: ItemId::new(&id).map_err(|e| bad(e.to_string()))?,
                valuation: serde_json::from_str(&policy).map_err(|e| bad(format!("valuation {policy}: {e}")))?,
            },
            "location" => Registration::Location {
                location: LocationId::new(&id).map_err(|e| bad(e.to_string()))?,
                negative: serde_json::from_str(&policy).map_err(|e| bad(format!("negative policy {policy}: {e}")))?,
            },
            other => return Err(bad(format!("unknown kind {other:?}"))),
        };
        out.push((pos, at, registration));
    }
    Ok(out)
}

/// Runs the migration steps from `from` to [`SCHEMA_VERSION`] inside `tx` and records the
/// new version.
fn migrate(tx: &Transaction<'_>, from: i64, path: &Path) -> Result<(), StoreError> {
    for step in &MIGRATIONS[from as usize..] {
        step(tx).map_err(sql(path, "migrating the schema"))?;
    }
    tx.execute("UPDATE schema_version SET version = ?1", [SCHEMA_VERSION])
        .map_err(sql(path, "migrating the schema"))?;
    Ok(())
}

fn writer_pragmas(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let mode: String =
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(sql(path, "setting WAL mode"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database {
            path: path.to_path_buf(),
            op: "setting WAL mode",
            code: "SQLITE_OK".into(),
            message: format!("journal mode is {mode}, not wal"),
        });
    }
    conn.execute_batch("PRAGMA synchronous = FULL;").map_err(sql(path, "setting synchronous=FULL"))
}

/// Takes the writer's lock on `<path>-lock`.
fn lock(path: &Path) -> Result<File, StoreError> {
    let mut name = path.as_os_str().to_owned();
    name.push("-lock");
    let lock_path = PathBuf::from(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| StoreError::Io { path: lock_path.clone(), op: "opening the lock file", source })?;
    // A lock is held by an open file description, which a child process shares from
    // fork to exec: a writer closed a moment ago can still hold it while another thread of
    // its process spawns a program. Such a lock goes within milliseconds; a real second
    // writer holds it for good. So the lock is tried for up to LOCK_PATIENCE before
    // `Locked` is returned.
    let deadline = std::time::Instant::now() + LOCK_PATIENCE;
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(50));
            }
            Err(TryLockError::WouldBlock) => return Err(StoreError::Locked { path: path.to_path_buf() }),
            Err(TryLockError::Error(source)) => {
                return Err(StoreError::Io { path: lock_path, op: "locking the lock file", source });
            }
        }
    }
}

/// How long opening a writer waits for a lock held by someone else before it reports
/// [`StoreError::Locked`] (see `lock`).
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

/// Maps a rusqlite error to a [`StoreError`] for `path` while doing `op`.
fn sql<'a>(path: &'a Path, op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
    move |e| {
        let path = path.to_path_buf();
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) =>
            {
                StoreError::Corrupt { path, op, message: e.to_string() }
            }
            rusqlite::Error::SqliteFailure(f, _) => {
                StoreError::Database { path, op, code: format!("{:?}", f.code), message: e.to_string() }
            }
            _ => StoreError::Database { path, op, code: "rusqlite".into(), message: e.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(SqliteStore::create(&path, &LedgerConfig::default()).unwrap());
        (dir, path)
    }

    /// Stores `events` (JSON texts) as one batch from `first`.
    fn insert_batch(conn: &Connection, first: i64, events: &[&str]) {
        conn.execute(
            "INSERT INTO event_batches (first_seq, count, events) VALUES (?1, ?2, ?3)",
            rusqlite::params![first, events.len() as i64, events.join("\n").as_bytes()],
        )
        .unwrap();
    }

    fn set_version(path: &Path, version: i64) {
        let conn = Connection::open(path).unwrap();
        conn.execute("UPDATE schema_version SET version = ?1", [version]).unwrap();
    }

    #[test]
    fn a_new_store_is_at_the_current_version_with_every_table() {
        let (_dir, path) = created();
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn.query_row("SELECT version FROM schema_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        for table in ["schema_version", "config", "registrations", "event_batches", "hub_config", "hub_log"] {
            let n: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(n, 1, "table {table}");
        }
    }

    #[test]
    fn a_newer_schema_version_is_refused() {
        let (_dir, path) = created();
        set_version(&path, SCHEMA_VERSION + 1);
        for read_only in [false, true] {
            let r = if read_only { SqliteStore::open_read_only(&path) } else { SqliteStore::open(&path) };
            match r {
                Err(StoreError::UnsupportedVersion { found, supported, .. }) => {
                    assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
                }
                other => panic!("expected UnsupportedVersion, got {other:?}"),
            }
        }
        set_version(&path, 0);
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::UnsupportedVersion { found: 0, .. })));
    }

    #[test]
    fn a_database_without_the_version_table_is_not_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (x INTEGER);").unwrap();
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::NotAStore { .. })));
    }

    #[test]
    fn bad_rows_are_reported_with_their_table_and_key() {
        let (_dir, path) = created();
        let conn = Connection::open(&path).unwrap();
        insert_batch(&conn, 0, &["{\"id\":"]);
        conn.execute("INSERT INTO registrations (at_seq, kind, id, policy) VALUES (0, 'item', 'A', '\"lifo\"')", [])
            .unwrap();
        drop(conn);
        let mut store = SqliteStore::open(&path).unwrap();
        match store.load(&mut |_| Ok(())) {
            Err(StoreError::BadRecord { table: "registrations", row: 1, message, .. }) => {
                assert!(message.contains("lifo"))
            }
            other => panic!("expected a bad registration, got {other:?}"),
        }
        Connection::open(&path).unwrap().execute("DELETE FROM registrations", []).unwrap();
        let r = store.load(&mut |_| Ok(()));
        assert!(matches!(r, Err(StoreError::BadRecord { table: "event_batches", row: 0, .. })), "{r:?}");
    }

    #[test]
    fn a_registration_after_the_last_event_is_reported() {
        let (_dir, path) = created();
        let conn = Connection::open(&path).unwrap();
        conn.execute("INSERT INTO registrations (at_seq, kind, id, policy) VALUES (3, 'item', 'A', '\"fifo\"')", [])
            .unwrap();
        drop(conn);
        let r = SqliteStore::open(&path).unwrap().load(&mut |_| Ok(()));
        assert!(matches!(r, Err(StoreError::BadRecord { table: "registrations", row: 1, .. })), "{r:?}");
    }

    /// Stored events the ledger does not rebuild into the same positions: refused on
    /// replay, or a duplicate.
    #[test]
    fn events_that_do_not_replay_are_reported_with_their_sequence_number() {
        use invsync_core::ledger::Movement;
        use invsync_core::{EventId, SourceId, Timestamp};
        let ev = |id: &str, m: Movement| {
            let e = Event::new(
                EventId::new(id).unwrap(),
                SourceId::new("s").unwrap(),
                ItemId::new("A").unwrap(),
                LocationId::new("L").unwrap(),
                Timestamp::from_days(1),
                m,
            );
            serde_json::to_string(&e).unwrap()
        };
        for (events, bad_seq) in [
            // Negative stock is refused by the default configuration.
            (vec![ev("r", Movement::receipt(2)), ev("i", Movement::issue(5))], 1),
            (vec![ev("r", Movement::receipt(2)), ev("r", Movement::receipt(2))], 1),
        ] {
            let (_dir, path) = created();
            let conn = Connection::open(&path).unwrap();
            insert_batch(&conn, 0, &events.iter().map(String::as_str).collect::<Vec<_>>());
            drop(conn);
            match crate::DurableLedger::open(SqliteStore::open(&path).unwrap()) {
                Err(StoreError::Replay { seq, .. }) => assert_eq!(seq, bad_seq),
                other => panic!("expected a replay error, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_gap_in_the_events_is_reported() {
        let (_dir, path) = created();
        let conn = Connection::open(&path).unwrap();
        insert_batch(&conn, 1, &["{}"]);
        drop(conn);
        let r = SqliteStore::open(&path).unwrap().load(&mut |_| Ok(()));
        assert!(matches!(r, Err(StoreError::BadRecord { table: "event_batches", row: 1, .. })), "{r:?}");
    }

    /// A batch row holding fewer or more events than its count says.
    #[test]
    fn a_batch_with_the_wrong_count_is_reported() {
        use invsync_core::ledger::Movement;
        use invsync_core::{EventId, SourceId, Timestamp};
        let json = serde_json::to_string(&Event::new(
            EventId::new("e").unwrap(),
            SourceId::new("s").unwrap(),
            ItemId::new("A").unwrap(),
            LocationId::new("L").unwrap(),
            Timestamp::from_days(1),
            Movement::receipt(1),
        ))
        .unwrap();
        for (count, message) in [(2, "event 1 missing"), (0, "does not hold"), (-1, "does not hold")] {
            let (_dir, path) = created();
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("DROP TABLE event_batches; CREATE TABLE event_batches (first_seq INTEGER PRIMARY KEY, count INTEGER, events BLOB);").unwrap();
            conn.execute(
                "INSERT INTO event_batches (first_seq, count, events) VALUES (0, ?1, ?2)",
                rusqlite::params![count, json.as_bytes()],
            )
            .unwrap();
            drop(conn);
            match SqliteStore::open(&path).unwrap().load(&mut |_| Ok(())) {
                Err(StoreError::BadRecord { table: "event_batches", row: 0, message: m, .. }) => {
                    assert!(m.contains(message), "count {count}: {m}")
                }
                other => panic!("count {count}: expected a bad batch, got {other:?}"),
            }
        }
    }

    /// A store written by version 1 (one row per event) opens for writing, is migrated to
    /// the current version in place, and rebuilds the same ledger; appending goes on.
    #[test]
    fn a_version_1_store_is_migrated() {
        use invsync_core::ledger::{Ledger, Movement, NegativeStock};
        use invsync_core::{EventId, SourceId, Timestamp};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let config = LedgerConfig { default_negative: NegativeStock::Allow, ..LedgerConfig::default() };
        let events: Vec<Event> = (0..40)
            .map(|i| {
                Event::new(
                    EventId::new(format!("e{i}")).unwrap(),
                    SourceId::new("s").unwrap(),
                    ItemId::new(format!("A{}", i % 3)).unwrap(),
                    LocationId::new("L").unwrap(),
                    Timestamp::from_days(100 - i),
                    if i % 2 == 0 { Movement::receipt(5) } else { Movement::issue(2) },
                )
            })
            .collect();
        {
            // The version-1 file, as the first release wrote it.
            let mut conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
            let tx = conn.transaction().unwrap();
            create_v1(&tx).unwrap();
            tx.execute("UPDATE schema_version SET version = 1", []).unwrap();
            tx.execute("INSERT INTO config (id, json) VALUES (1, ?1)", [serde_json::to_string(&config).unwrap()])
                .unwrap();
            tx.execute(
                "INSERT INTO registrations (at_seq, kind, id, policy) VALUES (10, 'item', 'A9', '\"fifo\"')",
                [],
            )
            .unwrap();
            for (seq, e) in events.iter().enumerate() {
                tx.execute(
                    "INSERT INTO events (seq, event) VALUES (?1, ?2)",
                    rusqlite::params![seq as i64, serde_json::to_string(e).unwrap()],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        // Read-only cannot migrate.
        assert!(matches!(SqliteStore::open_read_only(&path), Err(StoreError::UnsupportedVersion { found: 1, .. })));
        let mut live = Ledger::new(config.clone());
        live.apply_batch(events[..10].iter().cloned()).unwrap();
        live.register_item(ItemId::new("A9").unwrap(), invsync_core::ledger::ValuationMethod::Fifo);
        live.apply_batch(events[10..].iter().cloned()).unwrap();

        let mut migrated = crate::DurableLedger::open(SqliteStore::open(&path).unwrap()).unwrap();
        assert!(migrated.ledger().events().eq(live.events()));
        for k in 0..3 {
            let (item, loc) = (ItemId::new(format!("A{k}")).unwrap(), LocationId::new("L").unwrap());
            assert_eq!(migrated.ledger().levels(&item, &loc), live.levels(&item, &loc));
        }
        let more = Event::new(
            EventId::new("more").unwrap(),
            SourceId::new("s").unwrap(),
            ItemId::new("A0").unwrap(),
            LocationId::new("L").unwrap(),
            Timestamp::from_days(200),
            Movement::receipt(1),
        );
        migrated.append(std::slice::from_ref(&more)).unwrap();
        drop(migrated);
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn.query_row("SELECT version FROM schema_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let old: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'events'", [], |r| r.get(0)).unwrap();
        assert_eq!(old, 0, "the version-1 table is gone");
        drop(conn);
        let reopened = crate::DurableLedger::open(SqliteStore::open_read_only(&path).unwrap()).unwrap();
        assert_eq!(reopened.ledger().len(), 41);
        assert_eq!(reopened.ledger().events().last(), Some(&more));
    }
}
