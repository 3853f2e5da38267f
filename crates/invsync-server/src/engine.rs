//! The single writer: one thread owns every change to the hub, journals each group of
//! requests in one commit and answers them only after it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use invsync_core::ledger::LedgerError;
use invsync_core::sync::{
    Channel, Endpoint, Hub, Ingest, Publication, ReconcileConfig, ReconcileReport, Snapshot, SnapshotIngest,
    SnapshotReport, reconcile,
};
use invsync_core::{ItemId, LocationId, SourceId, Timestamp};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::ServerConfig;
use crate::durable::{Delivery, Durable, Inbox, Kind, StorageError, Tail};
use crate::parse::{self, RecordError};

/// What became of one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventOutcome {
    /// Its position in the request.
    pub index: usize,
    /// `applied`, `duplicate`, `held` or `rejected`.
    pub outcome: &'static str,
    /// The ledger's sequence number (applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Applied after the hold window had passed it (applied).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    /// The ledger's reason, in snake case (rejected), e.g. `negative_stock`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The ledger's message (rejected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What became of one snapshot of a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotOutcome {
    /// Its position in the request.
    pub index: usize,
    /// `held`, `duplicate` or `processed`.
    pub outcome: &'static str,
    /// The report (processed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<SnapshotReport>,
}

/// The body of `POST /v1/counts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountRequest {
    /// The count instant (ms since the epoch).
    pub(crate) at: Timestamp,
    /// What was counted.
    pub(crate) counts: Vec<CountLine>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountLine {
    item: ItemId,
    location: LocationId,
    counted: i64,
}

/// A reply to a state-changing request.
#[derive(Debug)]
pub(crate) enum Reply {
    Events {
        version: u64,
        outcomes: Vec<EventOutcome>,
    },
    Snapshots {
        version: u64,
        outcomes: Vec<SnapshotOutcome>,
    },
    Counts(Box<ReconcileReport>),
    /// Refused as a whole, nothing changed (a count file counting a key twice).
    Invalid(String),
    /// The storage failed: nothing more is accepted until a restart.
    Unavailable(String),
}

/// A parsed state-changing request, on its way to the writer.
pub(crate) enum Parsed {
    Events(Vec<invsync_core::ledger::Event>),
    Snapshots(Vec<Snapshot>),
    Counts(CountRequest),
    Tick,
}

pub(crate) struct Command {
    pub(crate) kind: Kind,
    pub(crate) principal: String,
    pub(crate) body: Vec<u8>,
    pub(crate) parsed: Parsed,
    pub(crate) reply: Option<oneshot::Sender<Reply>>,
}

/// One entry of the publication log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedPublication {
    /// Position in the log, from 1 (the SSE event id).
    pub seq: u64,
    /// The publication.
    #[serde(flatten)]
    pub publication: Publication,
}

/// One channel's quantities: item x location -> (quantity, version).
pub(crate) type ChannelView = BTreeMap<(ItemId, LocationId), (i64, u64)>;

/// Everything readers see.
pub(crate) struct State {
    pub(crate) hub: Hub,
    pub(crate) publications: Vec<LoggedPublication>,
    /// Per channel, item x location -> (quantity, version).
    pub(crate) availability: BTreeMap<SourceId, ChannelView>,
    /// The last count's report accuracy.
    pub(crate) last_accuracy: Option<(Timestamp, f64)>,
    /// Arrival time of the last delivery applied (ms).
    pub(crate) clock: i64,
}

impl State {
    fn new(config: &ServerConfig, ledger: invsync_core::ledger::Ledger) -> Result<State, String> {
        let mut hub = Hub::new(ledger, config.hub);
        for e in &config.endpoints {
            let mut ep = Endpoint::new(e.id.clone(), e.kind).with_clock_offset(e.clock_offset_ms);
            ep = ep.with_first_seq(e.first_seq);
            hub.add_endpoint(ep).map_err(|e| e.to_string())?;
        }
        let channels = config
            .channels
            .iter()
            .map(|c| {
                Channel::new(c.id.clone()).with_buffer(c.buffer).with_allocation(c.allocation).with_priority(c.priority)
            })
            .collect();
        hub.set_channels(channels).map_err(|e| e.to_string())?;
        let mut state =
            State { hub, publications: Vec::new(), availability: BTreeMap::new(), last_accuracy: None, clock: 0 };
        state.publish();
        Ok(state)
    }

    fn publish(&mut self) {
        for p in self.hub.publish() {
            self.availability
                .entry(p.channel.clone())
                .or_default()
                .insert((p.item.clone(), p.location.clone()), (p.quantity, p.version));
            let seq = self.publications.len() as u64 + 1;
            self.publications.push(LoggedPublication { seq, publication: p });
        }
    }

    /// Applies one delivery (live or replayed: the same code, so a replay rebuilds the same
    /// state).
    fn apply(&mut self, principal: &str, arrived_at: i64, parsed: Parsed) -> Reply {
        self.clock = self.clock.max(arrived_at);
        let at = Timestamp::from_millis(arrived_at);
        let reply = match parsed {
            Parsed::Events(events) => {
                let Ok(endpoint) = SourceId::new(principal) else {
                    return Reply::Unavailable(format!("bad endpoint {principal}"));
                };
                let mut outcomes = Vec::with_capacity(events.len());
                for (index, e) in events.into_iter().enumerate() {
                    let out = match self.hub.receive(&endpoint, e, at) {
                        Ok(Ingest::Held) => simple(index, "held"),
                        Ok(Ingest::Duplicate) => simple(index, "duplicate"),
                        Ok(Ingest::Applied { outcome, late_arrival }) => {
                            EventOutcome { seq: Some(outcome.seq), late: late_arrival, ..simple(index, "applied") }
                        }
                        Ok(Ingest::Rejected(err)) => rejected(index, &err),
                        // `Ingest` is non-exhaustive: an outcome this server does not know
                        // is reported as such, never guessed.
                        Ok(other) => EventOutcome {
                            reason: Some("unknown".into()),
                            message: Some(format!("{other:?}")),
                            ..simple(index, "unknown")
                        },
                        Err(err) => EventOutcome {
                            reason: Some("sync".into()),
                            message: Some(err.to_string()),
                            ..simple(index, "rejected")
                        },
                    };
                    outcomes.push(out);
                }
                Reply::Events { version: self.hub.version(), outcomes }
            }
            Parsed::Snapshots(snapshots) => {
                let Ok(endpoint) = SourceId::new(principal) else {
                    return Reply::Unavailable(format!("bad endpoint {principal}"));
                };
                let mut outcomes = Vec::with_capacity(snapshots.len());
                for (index, s) in snapshots.into_iter().enumerate() {
                    let (outcome, report) = match self.hub.receive_snapshot(&endpoint, s, at) {
                        Ok(SnapshotIngest::Held) => ("held", None),
                        Ok(SnapshotIngest::Duplicate) => ("duplicate", None),
                        Ok(SnapshotIngest::Processed(r)) => ("processed", Some(r)),
                        Err(_) => ("rejected", None),
                    };
                    outcomes.push(SnapshotOutcome { index, outcome, report });
                }
                Reply::Snapshots { version: self.hub.version(), outcomes }
            }
            Parsed::Counts(request) => {
                self.hub.advance(at);
                let counts: Vec<_> = request
                    .counts
                    .into_iter()
                    .map(|c| invsync_core::sync::CountRecord { item: c.item, location: c.location, counted: c.counted })
                    .collect();
                match reconcile(self.hub.ledger(), &counts, request.at, &ReconcileConfig::default()) {
                    Ok(report) => {
                        self.hub.raise_mismatches(&report);
                        self.last_accuracy = Some((request.at, report.accuracy));
                        Reply::Counts(Box::new(report))
                    }
                    // Nothing was compared or queued.
                    Err(e) => Reply::Invalid(e.to_string()),
                }
            }
            Parsed::Tick => {
                self.hub.advance(at);
                Reply::Events { version: self.hub.version(), outcomes: Vec::new() }
            }
        };
        self.publish();
        reply
    }
}

fn simple(index: usize, outcome: &'static str) -> EventOutcome {
    EventOutcome { index, outcome, seq: None, late: false, reason: None, message: None }
}

fn rejected(index: usize, err: &LedgerError) -> EventOutcome {
    EventOutcome { reason: Some(reason_code(err)), message: Some(err.to_string()), ..simple(index, "rejected") }
}

/// The variant name of a ledger error in snake case (`NegativeStock` -> `negative_stock`).
pub(crate) fn reason_code(err: &LedgerError) -> String {
    let debug = format!("{err:?}");
    let name: String = debug.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Shared between the HTTP handlers and the writer.
pub(crate) struct Engine {
    pub(crate) state: RwLock<State>,
    pub(crate) poisoned: AtomicBool,
    /// The number of publications logged (wakes the streams).
    pub(crate) published: watch::Sender<u64>,
}

/// Opens the storage, replays it, and returns the engine and the writer's storage.
pub(crate) fn open(
    config: &ServerConfig,
    store: &std::path::Path,
) -> Result<(Arc<Engine>, Durable), crate::ServerError> {
    let (mut durable, ledger, deliveries) = Durable::open(store)?;
    let mut state = State::new(config, ledger).map_err(crate::ServerError::Startup)?;
    let replayed = deliveries.len();
    for d in deliveries {
        let parsed = match d.kind {
            Kind::Events => parse::events(&d.body).map(Parsed::Events),
            Kind::Snapshots => parse::records(&d.body).map(Parsed::Snapshots),
            Kind::Counts => parse::object::<CountRequest>(&d.body).map(Parsed::Counts),
            Kind::Tick => Ok(Parsed::Tick),
        };
        let parsed = parsed.map_err(|e: RecordError| {
            crate::ServerError::Startup(format!("a journalled request no longer parses: {e}"))
        })?;
        state.apply(&d.principal, d.arrived_at, parsed);
    }
    durable.reconcile_store(state.hub.ledger())?;
    tracing::info!(replayed, version = state.hub.version(), held = state.hub.held(), "state rebuilt from the inbox");
    let (published, _) = watch::channel(state.publications.len() as u64);
    Ok((Arc::new(Engine { state: RwLock::new(state), poisoned: AtomicBool::new(false), published }), durable))
}

fn wall_clock_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The most requests journalled in one commit.
const GROUP: usize = 256;

/// The writer loop: runs until every sender is dropped, then returns (after the last
/// group is committed and the store written).
pub(crate) fn run_writer(
    engine: Arc<Engine>,
    mut inbox: Inbox,
    mut rx: mpsc::Receiver<Command>,
    wake_store: std::sync::mpsc::Sender<()>,
) {
    let mut group: Vec<Command> = Vec::with_capacity(GROUP);
    while let Some(first) = rx.blocking_recv() {
        group.push(first);
        while group.len() < GROUP {
            match rx.try_recv() {
                Ok(c) => group.push(c),
                Err(_) => break,
            }
        }
        if engine.poisoned.load(Ordering::SeqCst) {
            for c in group.drain(..) {
                if let Some(r) = c.reply {
                    let _ = r.send(Reply::Unavailable("the server's storage failed; restart it".into()));
                }
            }
            continue;
        }
        let mut replies = Vec::with_capacity(group.len());
        let mut deliveries = Vec::with_capacity(group.len());
        {
            let mut state = engine.state.write().unwrap_or_else(|p| p.into_inner());
            for c in group.drain(..) {
                let arrived_at = wall_clock_ms().max(state.clock);
                if c.kind == Kind::Tick && state.hub.held() == 0 {
                    continue;
                }
                let reply = state.apply(&c.principal, arrived_at, c.parsed);
                deliveries.push(Delivery { kind: c.kind, principal: c.principal, arrived_at, body: c.body });
                replies.push((c.reply, reply));
            }
            let _ = engine.published.send(state.publications.len() as u64);
        }
        let refs: Vec<&Delivery> = deliveries.iter().collect();
        let committed = if refs.is_empty() { Ok(()) } else { inbox.journal(&refs) };
        if let Err(e) = &committed {
            tracing::error!(error = %e, "journal commit failed: refusing further changes");
            engine.poisoned.store(true, Ordering::SeqCst);
        }
        for (tx, reply) in replies {
            let reply = match &committed {
                Ok(()) => reply,
                Err(e) => Reply::Unavailable(e.to_string()),
            };
            if let Some(tx) = tx {
                let _ = tx.send(reply);
            }
        }
        if committed.is_ok() {
            let _ = wake_store.send(());
        }
    }
    tracing::info!("writer drained and stopped");
}

/// The store thread: after each committed group, writes the ledger's new events to the
/// store (off the acknowledgement path: the inbox already holds them durably). When the
/// writer stops, writes the rest and returns.
pub(crate) fn run_store(engine: Arc<Engine>, mut tail: Tail, wake: std::sync::mpsc::Receiver<()>) {
    loop {
        let stopping = wake.recv().is_err();
        while wake.try_recv().is_ok() {}
        let events: Vec<invsync_core::ledger::Event> = {
            let state = engine.state.read().unwrap_or_else(|p| p.into_inner());
            state.hub.ledger().events().skip(tail.stored() as usize).cloned().collect()
        };
        if let Err(e) = tail.append(&events) {
            tracing::error!(error = %e, "store write failed: refusing further changes");
            engine.poisoned.store(true, Ordering::SeqCst);
            return;
        }
        if stopping {
            tracing::info!(events = tail.stored(), "store written");
            return;
        }
    }
}

impl From<StorageError> for crate::ServerError {
    fn from(e: StorageError) -> Self {
        crate::ServerError::Storage(e)
    }
}
