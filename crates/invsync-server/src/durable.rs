//! Everything the server keeps on disk, behind one small interface (so that the store's
//! durable hub, when it lands, replaces this module alone).
//!
//! * The **inbox** (`<store>.inbox`, SQLite, WAL, `synchronous=FULL`): every accepted
//!   request that changes state (an event batch, a snapshot batch, a count, a clock tick),
//!   as received, with the arrival time the server gave it. Requests are written in groups,
//!   one transaction (one fsync) per group, and acknowledged only after that commit. The
//!   hub reads no clock, so replaying the inbox into a fresh hub rebuilds exactly the
//!   state the server had: the ledger, held events, sequence gaps, exceptions and
//!   publication versions.
//! * The **store** (`invsync-store`'s `SqliteStore`): the ledger's accepted events, written
//!   after each group from the hub's ledger, so other tools read the ledger from it. It is
//!   derived from the inbox: on start its events are checked against the replay and the
//!   missing tail is written.

use std::path::{Path, PathBuf};

use invsync_core::ledger::{Event, Ledger, LedgerConfig};
use invsync_store::{Record, Registration, SqliteStore, Store, StoreError};
use rusqlite::{Connection, OpenFlags, params};

/// What kind of request a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Events = 0,
    Snapshots = 1,
    Counts = 2,
    Tick = 3,
}

impl Kind {
    fn from_i64(v: i64) -> Option<Kind> {
        Some(match v {
            0 => Kind::Events,
            1 => Kind::Snapshots,
            2 => Kind::Counts,
            3 => Kind::Tick,
            _ => return None,
        })
    }
}

/// One state-changing request as journalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub(crate) kind: Kind,
    /// The endpoint (events, snapshots) or empty.
    pub(crate) principal: String,
    /// Arrival time (ms since the epoch, server clock, never decreasing).
    pub(crate) arrived_at: i64,
    /// The request body as received.
    pub(crate) body: Vec<u8>,
}

/// Why the server's storage failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The ledger store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The inbox.
    #[error("{path}: {op}: {message}")]
    Inbox {
        /// The inbox file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// SQLite's message.
        message: String,
    },
    /// The store and the inbox disagree.
    #[error("{path}: {message}")]
    Mismatch {
        /// The store file.
        path: PathBuf,
        /// What differs.
        message: String,
    },
}

/// The inbox and the store.
pub(crate) struct Durable {
    store: SqliteStore,
    inbox: Connection,
    inbox_path: PathBuf,
    /// Events in the store.
    stored: u64,
}

/// The inbox file beside `store`.
pub(crate) fn inbox_path(store: &Path) -> PathBuf {
    let mut s = store.as_os_str().to_owned();
    s.push(".inbox");
    PathBuf::from(s)
}

impl Durable {
    /// Opens (creating when missing, with the default ledger configuration) the store at
    /// `path` and its inbox. Returns the base ledger (the store's events from before the
    /// inbox was started, with its registrations) and the journalled deliveries, in order.
    pub(crate) fn open(path: &Path) -> Result<(Durable, Ledger, Vec<Delivery>), StorageError> {
        let mut store =
            if path.exists() { SqliteStore::open(path)? } else { SqliteStore::create(path, &LedgerConfig::default())? };
        let inbox_path = inbox_path(path);
        let ierr = |op: &'static str| {
            let p = inbox_path.clone();
            move |e: rusqlite::Error| StorageError::Inbox { path: p.clone(), op, message: e.to_string() }
        };
        let inbox = Connection::open_with_flags(
            &inbox_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(ierr("opening"))?;
        inbox
            .execute_batch(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
                 CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), base INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS deliveries (n INTEGER PRIMARY KEY, kind INTEGER NOT NULL,
                     principal TEXT NOT NULL, arrived_at INTEGER NOT NULL, body BLOB NOT NULL);",
            )
            .map_err(ierr("creating the schema"))?;
        let stored = store.event_count()?;
        let base: i64 = match inbox.query_row("SELECT base FROM meta", [], |r| r.get(0)) {
            Ok(b) => b,
            Err(rusqlite::Error::QueryReturnedNoRows) => {
                inbox
                    .execute("INSERT INTO meta (id, base) VALUES (1, ?1)", [stored as i64])
                    .map_err(ierr("writing the base"))?;
                stored as i64
            }
            Err(e) => return Err(ierr("reading the base")(e)),
        };
        let base = base as u64;
        if stored < base {
            return Err(StorageError::Mismatch {
                path: path.to_owned(),
                message: format!("the inbox starts after event {base} but the store holds only {stored}"),
            });
        }
        // The base ledger: registrations and the events before the inbox started.
        let mut ledger = Ledger::new(store.config().clone());
        let store_path = path.to_owned();
        store.load(&mut |record| match record {
            Record::Registration(r) => {
                match r {
                    Registration::Item { item, valuation } => ledger.register_item(item, valuation),
                    Registration::Location { location, negative } => ledger.register_location(location, negative),
                }
                Ok(())
            }
            Record::Event { seq, event } if seq < base => match ledger.apply(event) {
                Ok(_) => Ok(()),
                Err(e) => Err(StoreError::Replay { seq, message: e.to_string() }),
            },
            Record::Event { .. } => Ok(()),
        })?;
        let mut deliveries = Vec::new();
        {
            let mut stmt = inbox
                .prepare("SELECT kind, principal, arrived_at, body FROM deliveries ORDER BY n")
                .map_err(ierr("reading deliveries"))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?))
                })
                .map_err(ierr("reading deliveries"))?;
            for row in rows {
                let (kind, principal, arrived_at, body) = row.map_err(ierr("reading deliveries"))?;
                let kind = Kind::from_i64(kind).ok_or_else(|| StorageError::Mismatch {
                    path: inbox_path.clone(),
                    message: format!("delivery {} has unknown kind {kind}", deliveries.len() + 1),
                })?;
                deliveries.push(Delivery { kind, principal, arrived_at, body });
            }
        }
        let _ = store_path;
        Ok((Durable { store, inbox, inbox_path, stored }, ledger, deliveries))
    }

    /// After the inbox was replayed into `ledger`: checks that the store's events are a
    /// prefix of it and writes the missing tail.
    pub(crate) fn reconcile_store(&mut self, ledger: &Ledger) -> Result<(), StorageError> {
        let path = self.store.path().to_owned();
        let have = ledger.len() as u64;
        if self.stored > have {
            return Err(StorageError::Mismatch {
                path,
                message: format!("the store holds {} events, the inbox replays to {have}", self.stored),
            });
        }
        let mut first_diff = None;
        let events: Vec<&Event> = ledger.events().collect();
        self.store.load(&mut |record| {
            if let Record::Event { seq, event } = record
                && first_diff.is_none()
                && events.get(seq as usize).is_none_or(|e| **e != event)
            {
                first_diff = Some(seq);
            }
            Ok(())
        })?;
        if let Some(seq) = first_diff {
            return Err(StorageError::Mismatch {
                path,
                message: format!("stored event {seq} differs from the inbox's replay"),
            });
        }
        self.write_tail(ledger)
    }

    /// Splits into the writer's inbox and the store thread's tail.
    pub(crate) fn split(self) -> (Inbox, Tail) {
        (Inbox { conn: self.inbox, path: self.inbox_path }, Tail { store: self.store, stored: self.stored })
    }

    /// Writes the ledger's events the store does not have yet, in one transaction.
    fn write_tail(&mut self, ledger: &Ledger) -> Result<(), StorageError> {
        let have = ledger.len() as u64;
        if have > self.stored {
            self.store.append_events(self.stored, &mut ledger.events().skip(self.stored as usize))?;
            self.stored = have;
        }
        Ok(())
    }
}

/// The inbox, written by the writer thread.
pub(crate) struct Inbox {
    conn: Connection,
    path: PathBuf,
}

impl Inbox {
    /// Journals `deliveries` in one transaction; returns once it is committed.
    pub(crate) fn journal(&mut self, deliveries: &[&Delivery]) -> Result<(), StorageError> {
        let p = self.path.clone();
        let ierr = move |e: rusqlite::Error| StorageError::Inbox {
            path: p.clone(),
            op: "journalling",
            message: e.to_string(),
        };
        let tx = self.conn.transaction().map_err(&ierr)?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO deliveries (kind, principal, arrived_at, body) VALUES (?1, ?2, ?3, ?4)")
                .map_err(&ierr)?;
            for d in deliveries {
                stmt.execute(params![d.kind as i64, d.principal, d.arrived_at, d.body]).map_err(&ierr)?;
            }
        }
        tx.commit().map_err(&ierr)
    }
}

/// The store's tail, written by the store thread behind the writer.
pub(crate) struct Tail {
    store: SqliteStore,
    stored: u64,
}

impl Tail {
    /// The number of events in the store.
    pub(crate) fn stored(&self) -> u64 {
        self.stored
    }

    /// Stores `events`, the ledger's events from [`Tail::stored`] on, in one transaction.
    pub(crate) fn append(&mut self, events: &[Event]) -> Result<(), StorageError> {
        if !events.is_empty() {
            self.store.append_events(self.stored, &mut events.iter())?;
            self.stored += events.len() as u64;
        }
        Ok(())
    }
}
