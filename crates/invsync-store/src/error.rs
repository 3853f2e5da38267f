use std::path::PathBuf;

use invsync_core::ledger::BatchError;

/// Why a store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file operation outside the database failed (the writer's lock file).
    #[error("store {}: {op}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// [`SqliteStore::open`](crate::SqliteStore::open) of a file that does not exist.
    #[error("store {}: no such file", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// [`SqliteStore::create`](crate::SqliteStore::create) of a file that already exists.
    #[error("store {}: the file already exists", path.display())]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// Another writer has the store open (in this process or another).
    #[error("store {}: another writer has it open (it is locked)", path.display())]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// The file is an SQLite database but not an invsync store.
    #[error("store {}: not an invsync store (no schema version table)", path.display())]
    NotAStore {
        /// The file.
        path: PathBuf,
    },
    /// The store was written by a newer invsync (a schema version this one does not know).
    #[error("store {}: schema version {found} is newer than the supported {supported}", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// The file is damaged: not a database (a bad header), truncated, or its pages do not
    /// hold together.
    #[error("store {}: the database is corrupt while {op}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// SQLite's description.
        message: String,
    },
    /// Any other database error.
    #[error("store {}: database error while {op}: {message} ({code})", path.display())]
    Database {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// SQLite's primary result code name (as `SQLITE_BUSY`), or `rusqlite` for errors
        /// of the binding itself.
        code: String,
        /// The description.
        message: String,
    },
    /// A stored row does not decode (a well-formed database holding a bad record).
    #[error("store {}: {table} row {row}: {message}", path.display())]
    BadRecord {
        /// The file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row's key (sequence number or position).
        row: i64,
        /// What is wrong with it.
        message: String,
    },
    /// The store's hub state does not fit the request: a hub started on a store with
    /// events or twice, opened where none was started, or whose replayed ledger does not
    /// match the stored events.
    #[error("store {}: hub: {message}", path.display())]
    HubState {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A stored event was refused on replay, or landed elsewhere than its stored
    /// sequence number: the store does not describe a ledger this build rebuilds.
    #[error("replaying stored event {seq}: {message}")]
    Replay {
        /// The event's stored sequence number.
        seq: u64,
        /// Why.
        message: String,
    },
    /// The ledger refused the batch; nothing was applied or stored.
    #[error("batch refused: {0}")]
    Rejected(#[source] BatchError),
    /// The store was opened read-only.
    #[error("the store is open read-only")]
    ReadOnly,
    /// Writing the group an append was part of ([`GroupCommit`](crate::GroupCommit))
    /// failed; every append of the group gets the same error, and the ledger is poisoned.
    #[error("the group commit failed: {0}")]
    GroupFailed(#[source] std::sync::Arc<StoreError>),
    /// An earlier write failed after the ledger in memory had accepted its events: the
    /// ledger refuses every further change. Reopen the store.
    #[error("the store is unusable after a failed write; reopen it")]
    Poisoned,
}
