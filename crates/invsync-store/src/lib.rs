//! # invsync-store
//!
//! Durable storage for the invsync ledger. A [`Store`] keeps what is needed to rebuild a
//! [`Ledger`] exactly: its [`LedgerConfig`], the registrations of items and locations (in
//! their place among the events) and the accepted events in recording order. A
//! [`DurableLedger`] puts a ledger in front of a store: every append is validated by the
//! ledger, written to the store in one transaction and acknowledged only when durable;
//! opening replays the store into a fresh ledger.
//!
//! [`SqliteStore`] is the embedded backend (SQLite, compiled in; WAL mode,
//! `synchronous=FULL`, one writer at a time, readers concurrent).
//!
//! ```
//! use invsync_core::ledger::{Event, LedgerConfig, Movement};
//! use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
//! use invsync_store::{DurableLedger, SqliteStore};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let path = dir.path().join("ledger.db");
//! let (item, loc) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
//! let ev = |id: &str, day: i64, m: Movement| -> Result<Event, Box<dyn std::error::Error>> {
//!     Ok(Event::new(EventId::new(id)?, SourceId::new("erp")?, item.clone(), loc.clone(),
//!                   Timestamp::from_days(day), m))
//! };
//! let mut ledger = DurableLedger::open(SqliteStore::create(&path, &LedgerConfig::default())?)?;
//! ledger.append(&[ev("r1", 1, Movement::receipt(10))?, ev("s1", 2, Movement::issue(4))?])?;
//! drop(ledger);
//! // A restart: the ledger is rebuilt from the file.
//! let ledger = DurableLedger::open(SqliteStore::open(&path)?)?;
//! assert_eq!(ledger.ledger().levels(&item, &loc).on_hand(), 6);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod group;
mod hub;
mod sqlite;

pub use error::StoreError;
pub use group::{GroupCommit, GroupConfig, GroupStats};
pub use hub::{DurableHub, HubTx};
pub use sqlite::{SCHEMA_VERSION, SqliteStore};

use invsync_core::ledger::{BatchError, Event, Ledger, LedgerConfig, NegativeStock, Outcome, ValuationMethod};
use invsync_core::{ItemId, LocationId};

/// A registration of an item or a location, as the ledger takes and records them.
pub use invsync_core::ledger::Registration;

/// One stored record, as [`Store::load`] gives them.
// Passed by value once per record and never held in bulk: boxing the event would cost an
// allocation per event on replay.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A registration.
    Registration(Registration),
    /// An accepted event and its sequence number (its position in [`Ledger::events`]).
    Event {
        /// The sequence number.
        seq: u64,
        /// The event.
        event: Event,
    },
}

/// Where a ledger's records are kept durably: what a storage backend implements.
///
/// Sequence numbers are positions in the ledger's recording order ([`Outcome::seq`]):
/// events are stored under consecutive numbers from 0, and a registration under the
/// number of events accepted before it (it takes effect before the event with that
/// number). [`DurableLedger`] is the only caller a backend needs to serve.
pub trait Store {
    /// The ledger configuration the store was created with.
    fn config(&self) -> &LedgerConfig;

    /// Whether the store was opened for reading only (the append methods then fail with
    /// [`StoreError::ReadOnly`]).
    fn is_read_only(&self) -> bool;

    /// Calls `visit` with every stored record in replay order, all from one consistent
    /// snapshot: each registration before the event whose sequence number is the number of
    /// events accepted before the registration (those made after the last event at the
    /// end), events in sequence-number order from 0.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the records cannot be read or do not decode (a gap in the
    /// sequence numbers, a registration after the last event is [`StoreError::BadRecord`]),
    /// or the first error of `visit`.
    fn load(&mut self, visit: &mut dyn FnMut(Record) -> Result<(), StoreError>) -> Result<(), StoreError>;

    /// Stores a registration made after `at_seq` events, durably, before returning.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when it could not be stored; nothing was then stored.
    fn append_registration(&mut self, at_seq: u64, registration: &Registration) -> Result<(), StoreError>;

    /// Stores `events` (in order) under the sequence numbers `first_seq`, `first_seq + 1`,
    /// ... as one transaction, durably, before returning.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when they could not be stored; none of them was then stored.
    fn append_events(&mut self, first_seq: u64, events: &mut dyn Iterator<Item = &Event>) -> Result<(), StoreError>;
}

/// A [`Ledger`] whose every accepted event and registration is in a [`Store`].
///
/// After an error while writing to the store, the ledger in memory may hold events the
/// store does not: the `DurableLedger` then refuses every further change
/// ([`StoreError::Poisoned`]); reopen the store to go on from what is durable.
#[derive(Debug)]
pub struct DurableLedger<S: Store> {
    store: S,
    ledger: Ledger,
    poisoned: bool,
}

impl<S: Store> DurableLedger<S> {
    /// Rebuilds the ledger by replaying `store` (its registrations in their places among
    /// its events) into a fresh ledger with the stored configuration.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be read, or when a stored event is refused on
    /// replay or does not land at its stored sequence number ([`StoreError::Replay`]).
    pub fn open(mut store: S) -> Result<Self, StoreError> {
        let mut ledger = Ledger::new(store.config().clone());
        store.load(&mut |record| {
            let (seq, event) = match record {
                Record::Registration(r) => {
                    register(&mut ledger, r);
                    return Ok(());
                }
                Record::Event { seq, event } => (seq, event),
            };
            let id = event.id.clone();
            match ledger.apply(event) {
                Ok(outcome) if outcome.seq == seq && !outcome.duplicate => Ok(()),
                Ok(outcome) => Err(StoreError::Replay {
                    seq,
                    message: format!(
                        "event {id} replayed as {} {}",
                        if outcome.duplicate { "a duplicate of" } else { "sequence number" },
                        outcome.seq
                    ),
                }),
                Err(e) => Err(StoreError::Replay { seq, message: e.to_string() }),
            }
        })?;
        Ok(DurableLedger { store, ledger, poisoned: false })
    }

    /// The ledger (read only: changes go through [`DurableLedger::append`] and the
    /// registration methods).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The ledger, leaving the store.
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }

    /// The store and the ledger.
    pub fn into_parts(self) -> (S, Ledger) {
        (self.store, self.ledger)
    }

    /// Applies `events` as one batch ([`Ledger::apply_batch`]: all or nothing) and stores
    /// the events it accepted as one transaction; returns when they are durable.
    /// Duplicates of stored events are acknowledged with their original outcome and not
    /// stored again.
    ///
    /// # Errors
    ///
    /// [`StoreError::Rejected`] when the ledger refuses the batch (nothing applied, nothing
    /// stored); [`StoreError::ReadOnly`], [`StoreError::Poisoned`]; or the store's error
    /// when writing failed (this `DurableLedger` is then poisoned).
    pub fn append(&mut self, events: &[Event]) -> Result<Vec<Outcome>, StoreError> {
        self.writable()?;
        let before = self.ledger.len();
        let outcomes = self.ledger.apply_batch(events.iter().cloned()).map_err(StoreError::Rejected)?;
        if self.ledger.len() > before
            && let Err(e) = self.store.append_events(before as u64, &mut self.ledger.events().skip(before))
        {
            self.poisoned = true;
            return Err(e);
        }
        Ok(outcomes)
    }

    /// Applies each batch in turn (each all or nothing, as [`DurableLedger::append`]) and
    /// stores the events they accepted as **one** transaction: one result per batch, a
    /// refused batch leaving the others unaffected.
    ///
    /// # Errors
    ///
    /// [`StoreError::ReadOnly`], [`StoreError::Poisoned`]; or the store's error when
    /// writing failed (this `DurableLedger` is then poisoned, and none of the batches is
    /// stored).
    pub(crate) fn append_group(
        &mut self,
        batches: Vec<Vec<Event>>,
    ) -> Result<Vec<Result<Vec<Outcome>, BatchError>>, StoreError> {
        self.writable()?;
        let before = self.ledger.len();
        let results: Vec<_> = batches.into_iter().map(|b| self.ledger.apply_batch(b)).collect();
        if self.ledger.len() > before
            && let Err(e) = self.store.append_events(before as u64, &mut self.ledger.events().skip(before))
        {
            self.poisoned = true;
            return Err(e);
        }
        Ok(results)
    }

    /// Whether a failed write left the ledger ahead of the store (every change is then
    /// refused with [`StoreError::Poisoned`]).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Registers an item ([`Ledger::register_item`]) once the registration is durable.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when it could not be stored (the ledger is then unchanged).
    pub fn register_item(&mut self, item: ItemId, valuation: ValuationMethod) -> Result<(), StoreError> {
        self.register(Registration::Item { item, valuation })
    }

    /// Registers a location ([`Ledger::register_location`]) once the registration is
    /// durable.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when it could not be stored (the ledger is then unchanged).
    pub fn register_location(&mut self, location: LocationId, negative: NegativeStock) -> Result<(), StoreError> {
        self.register(Registration::Location { location, negative })
    }

    fn register(&mut self, registration: Registration) -> Result<(), StoreError> {
        self.writable()?;
        self.store.append_registration(self.ledger.len() as u64, &registration)?;
        register(&mut self.ledger, registration);
        Ok(())
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.store.is_read_only() {
            Err(StoreError::ReadOnly)
        } else if self.poisoned {
            Err(StoreError::Poisoned)
        } else {
            Ok(())
        }
    }
}

fn register(ledger: &mut Ledger, registration: Registration) {
    ledger.register(registration);
}
