//! The sync hub kept durably: every command that changes a [`Hub`] is stored before its
//! caller goes on, and reopening replays them into a fresh hub.

use invsync_core::ledger::{Event, Ledger, LedgerError, Outcome};
use invsync_core::sync::{
    Channel, Endpoint, Exception, Hub, HubConfig, Ingest, LatencyReport, Publication, ReconcileReport, Snapshot,
    SnapshotIngest, SyncError,
};
use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};

use crate::{DurableLedger, Record, SqliteStore, Store, StoreError};

/// One call that changes a hub, as stored (JSON, externally tagged).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Command {
    AddEndpoint(Endpoint),
    SetChannels(Vec<Channel>),
    Receive { endpoint: SourceId, event: Event, at: Timestamp },
    ReceiveSnapshot { endpoint: SourceId, snapshot: Snapshot, at: Timestamp },
    Advance(Timestamp),
    Flush,
    Post(Event),
    SyncTo { id: EventId, source: SourceId, item: ItemId, location: LocationId, target: i64, at: Timestamp },
    Acknowledge { endpoint: SourceId, version: u64, at: Timestamp },
    Publish,
    RaiseMismatches(ReconcileReport),
    TakeExceptions,
    TakeLatency,
}

/// A [`Hub`] whose state survives a restart: held events, sequence ranges and gaps,
/// acknowledgements, exceptions, publication versions, endpoints, channels, latencies and
/// the ledger. Changes go through [`DurableHub::apply`]: the commands a call makes are
/// stored, with the ledger events they led to, as one transaction before `apply`
/// returns; [`DurableHub::open`] replays the stored commands into a fresh hub, which (the
/// hub being a deterministic function of its commands: no clock, no entropy) reaches
/// exactly the state it had.
///
/// ```
/// use invsync_core::ledger::{Event, LedgerConfig, Movement};
/// use invsync_core::sync::{Endpoint, EndpointKind, HubConfig, Ingest};
/// use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
/// use invsync_store::{DurableHub, DurableLedger, SqliteStore};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("hub.db");
/// let ledger = DurableLedger::open(SqliteStore::create(&path, &LedgerConfig::default())?)?;
/// let mut hub = DurableHub::create(ledger, HubConfig::default())?;
/// let pos = SourceId::new("pos")?;
/// let e = Event::new(EventId::new("r1")?, pos.clone(), ItemId::new("SKU-1")?, LocationId::new("S1")?,
///                    Timestamp::from_millis(0), Movement::receipt(10));
/// let got = hub.apply(|h| -> Result<Ingest, Box<dyn std::error::Error>> {
///     h.add_endpoint(Endpoint::new(pos.clone(), EndpointKind::Pos))?;
///     Ok(h.receive(&pos, e, Timestamp::from_millis(5))?)
/// })??; // durable here
/// assert_eq!(got, Ingest::Held);
/// drop(hub);
/// let hub = DurableHub::open(SqliteStore::open(&path)?)?;
/// assert_eq!(hub.hub().held(), 1); // still held after the restart
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DurableHub {
    store: SqliteStore,
    hub: Hub,
    /// Commands stored so far.
    commands: u64,
    poisoned: bool,
    buf: Vec<u8>,
}

/// The changes of one [`DurableHub::apply`]: the hub's own methods, each recorded.
#[derive(Debug)]
pub struct HubTx<'a> {
    hub: &'a mut Hub,
    log: Vec<Command>,
}

impl DurableHub {
    /// Starts a hub on `ledger`'s store, with `config`. The store must hold no events
    /// (registrations made beforehand are the hub ledger's).
    ///
    /// # Errors
    ///
    /// [`StoreError::HubState`] when the store holds events or a hub; the store's errors.
    pub fn create(ledger: DurableLedger<SqliteStore>, config: HubConfig) -> Result<Self, StoreError> {
        if !ledger.ledger().is_empty() {
            return Err(StoreError::HubState {
                path: ledger.store().path().to_path_buf(),
                message: "it holds events: a hub starts on a store without events".into(),
            });
        }
        let (mut store, base) = ledger.into_parts();
        let json = serde_json::to_string(&config).map_err(|e| StoreError::BadRecord {
            path: store.path().to_path_buf(),
            table: "hub_config",
            row: 1,
            message: e.to_string(),
        })?;
        store.init_hub(&json)?;
        Ok(DurableHub { store, hub: Hub::new(base, config), commands: 0, poisoned: false, buf: Vec::new() })
    }

    /// Reopens the hub of `store`: its ledger's configuration and registrations, then
    /// every stored command replayed in order. Opened read-only, the hub can be read but
    /// [`DurableHub::apply`] fails.
    ///
    /// # Errors
    ///
    /// [`StoreError::HubState`] when no hub was started on the store, or the replayed
    /// ledger does not hold the stored events; [`StoreError::BadRecord`] for a command
    /// that does not decode; the store's errors.
    pub fn open(mut store: SqliteStore) -> Result<Self, StoreError> {
        let path = store.path().to_path_buf();
        let json = store.hub_config()?.ok_or_else(|| StoreError::HubState {
            path: path.clone(),
            message: "no hub was started on this store (DurableHub::create)".into(),
        })?;
        let config: HubConfig = serde_json::from_str(&json).map_err(|e| StoreError::BadRecord {
            path: path.clone(),
            table: "hub_config",
            row: 1,
            message: e.to_string(),
        })?;
        // The base ledger: configuration and registrations (all made before the hub
        // started); the events come back through the commands.
        let mut base = Ledger::new(store.config().clone());
        let mut stored_events = 0u64;
        store.load(&mut |r| {
            match r {
                Record::Registration(r) => crate::register(&mut base, r),
                Record::Event { .. } => stored_events += 1,
            }
            Ok(())
        })?;
        let mut hub = Hub::new(base, config);
        let mut commands = 0u64;
        store.load_hub(&mut |n, line| {
            let command: Command = serde_json::from_slice(line).map_err(|e| StoreError::BadRecord {
                path: path.clone(),
                table: "hub_log",
                row: n as i64,
                message: format!("command {n}: {e}"),
            })?;
            // Results are those the live hub got: replay only needs the state.
            run(&mut hub, command);
            commands = n + 1;
            Ok(())
        })?;
        if hub.ledger().len() as u64 != stored_events {
            return Err(StoreError::HubState {
                path,
                message: format!(
                    "the replayed commands give {} ledger events but the store holds {stored_events}",
                    hub.ledger().len()
                ),
            });
        }
        Ok(DurableHub { store, hub, commands, poisoned: false, buf: Vec::new() })
    }

    /// The hub (read only: changes go through [`DurableHub::apply`]).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The hub, leaving the store.
    pub fn into_hub(self) -> Hub {
        self.hub
    }

    /// Runs `f` on the hub and stores every change it made (the commands and the ledger
    /// events they led to) as one transaction; returns `f`'s result once that is durable.
    /// Group many calls into one `apply` to share a transaction and its fsync.
    ///
    /// # Errors
    ///
    /// [`StoreError::ReadOnly`], [`StoreError::Poisoned`] (nothing run); the store's
    /// error when writing failed: the hub in memory is then ahead of the store and this
    /// `DurableHub` refuses every further change (reopen to go on from what is durable).
    pub fn apply<T>(&mut self, f: impl FnOnce(&mut HubTx<'_>) -> T) -> Result<T, StoreError> {
        if self.store.is_read_only() {
            return Err(StoreError::ReadOnly);
        }
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        let before = self.hub.ledger().len();
        let mut tx = HubTx { hub: &mut self.hub, log: Vec::new() };
        let out = f(&mut tx);
        let log = tx.log;
        if log.is_empty() {
            return Ok(out);
        }
        self.buf.clear();
        for (i, c) in log.iter().enumerate() {
            if i > 0 {
                self.buf.push(b'\n');
            }
            if let Err(e) = serde_json::to_writer(&mut self.buf, c) {
                self.poisoned = true;
                return Err(StoreError::BadRecord {
                    path: self.store.path().to_path_buf(),
                    table: "hub_log",
                    row: (self.commands + i as u64) as i64,
                    message: e.to_string(),
                });
            }
        }
        let written = self.store.append_hub(
            self.commands,
            &self.buf,
            log.len() as i64,
            before as u64,
            &mut self.hub.ledger().events().skip(before),
        );
        if let Err(e) = written {
            self.poisoned = true;
            return Err(e);
        }
        self.commands += log.len() as u64;
        Ok(out)
    }
}

/// Runs one stored command on `hub` (results are dropped: see [`DurableHub::open`]).
fn run(hub: &mut Hub, command: Command) {
    match command {
        Command::AddEndpoint(e) => drop(hub.add_endpoint(e)),
        Command::SetChannels(c) => drop(hub.set_channels(c)),
        Command::Receive { endpoint, event, at } => drop(hub.receive(&endpoint, event, at)),
        Command::ReceiveSnapshot { endpoint, snapshot, at } => drop(hub.receive_snapshot(&endpoint, snapshot, at)),
        Command::Advance(t) => hub.advance(t),
        Command::Flush => hub.flush(),
        Command::Post(e) => drop(hub.post(e)),
        Command::SyncTo { id, source, item, location, target, at } => {
            drop(hub.sync_to(id, source, item, location, target, at));
        }
        Command::Acknowledge { endpoint, version, at } => drop(hub.acknowledge(&endpoint, version, at)),
        Command::Publish => drop(hub.publish()),
        Command::RaiseMismatches(r) => hub.raise_mismatches(&r),
        Command::TakeExceptions => drop(hub.take_exceptions()),
        Command::TakeLatency => drop(hub.take_latency()),
    }
}

/// Each method is the [`Hub`] method of the same name; the call is recorded and stored
/// when the [`DurableHub::apply`] it runs in returns.
impl HubTx<'_> {
    /// The hub as it is now, inside the transaction.
    pub fn hub(&self) -> &Hub {
        self.hub
    }

    /// [`Hub::add_endpoint`].
    ///
    /// # Errors
    ///
    /// As [`Hub::add_endpoint`].
    pub fn add_endpoint(&mut self, endpoint: Endpoint) -> Result<(), SyncError> {
        self.log.push(Command::AddEndpoint(endpoint.clone()));
        self.hub.add_endpoint(endpoint)
    }

    /// [`Hub::set_channels`].
    ///
    /// # Errors
    ///
    /// As [`Hub::set_channels`].
    pub fn set_channels(&mut self, channels: Vec<Channel>) -> Result<(), SyncError> {
        self.log.push(Command::SetChannels(channels.clone()));
        self.hub.set_channels(channels)
    }

    /// [`Hub::receive`].
    ///
    /// # Errors
    ///
    /// As [`Hub::receive`].
    pub fn receive(&mut self, endpoint: &SourceId, event: Event, at: Timestamp) -> Result<Ingest, SyncError> {
        self.log.push(Command::Receive { endpoint: endpoint.clone(), event: event.clone(), at });
        self.hub.receive(endpoint, event, at)
    }

    /// [`Hub::receive_snapshot`].
    ///
    /// # Errors
    ///
    /// As [`Hub::receive_snapshot`].
    pub fn receive_snapshot(
        &mut self,
        endpoint: &SourceId,
        snapshot: Snapshot,
        at: Timestamp,
    ) -> Result<SnapshotIngest, SyncError> {
        self.log.push(Command::ReceiveSnapshot { endpoint: endpoint.clone(), snapshot: snapshot.clone(), at });
        self.hub.receive_snapshot(endpoint, snapshot, at)
    }

    /// [`Hub::advance`].
    pub fn advance(&mut self, now: Timestamp) {
        self.log.push(Command::Advance(now));
        self.hub.advance(now);
    }

    /// [`Hub::flush`].
    pub fn flush(&mut self) {
        self.log.push(Command::Flush);
        self.hub.flush();
    }

    /// [`Hub::post`].
    ///
    /// # Errors
    ///
    /// As [`Hub::post`].
    pub fn post(&mut self, event: Event) -> Result<Outcome, LedgerError> {
        self.log.push(Command::Post(event.clone()));
        self.hub.post(event)
    }

    /// [`Hub::sync_to`].
    ///
    /// # Errors
    ///
    /// As [`Hub::sync_to`].
    #[allow(clippy::too_many_arguments)]
    pub fn sync_to(
        &mut self,
        id: EventId,
        source: SourceId,
        item: ItemId,
        location: LocationId,
        target: i64,
        at: Timestamp,
    ) -> Result<Option<Outcome>, LedgerError> {
        self.log.push(Command::SyncTo {
            id: id.clone(),
            source: source.clone(),
            item: item.clone(),
            location: location.clone(),
            target,
            at,
        });
        self.hub.sync_to(id, source, item, location, target, at)
    }

    /// [`Hub::acknowledge`].
    ///
    /// # Errors
    ///
    /// As [`Hub::acknowledge`].
    pub fn acknowledge(&mut self, endpoint: &SourceId, version: u64, at: Timestamp) -> Result<(), SyncError> {
        self.log.push(Command::Acknowledge { endpoint: endpoint.clone(), version, at });
        self.hub.acknowledge(endpoint, version, at)
    }

    /// [`Hub::publish`].
    pub fn publish(&mut self) -> Vec<Publication> {
        self.log.push(Command::Publish);
        self.hub.publish()
    }

    /// [`Hub::raise_mismatches`].
    pub fn raise_mismatches(&mut self, report: &ReconcileReport) {
        self.log.push(Command::RaiseMismatches(report.clone()));
        self.hub.raise_mismatches(report);
    }

    /// [`Hub::take_exceptions`].
    pub fn take_exceptions(&mut self) -> Vec<Exception> {
        self.log.push(Command::TakeExceptions);
        self.hub.take_exceptions()
    }

    /// [`Hub::take_latency`].
    pub fn take_latency(&mut self) -> LatencyReport {
        self.log.push(Command::TakeLatency);
        self.hub.take_latency()
    }
}
