//! The hub: ingests what endpoints report, keeps the ledger, publishes availability.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use foldhash::HashMap;

use super::channel::{Channel, allocate};
use super::kpi::{LATENCY_TARGET_MS, LatencySummary};
use super::reconcile::{MatchStatus, ReconcileReport};
use crate::ledger::{Event, Ledger, LedgerError, Movement, Outcome};
use crate::time::saturating_millis;
use crate::{EventId, ItemId, LocationId, Money, SourceId, Timestamp};

/// What kind of system an endpoint is (informational: every kind is treated alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EndpointKind {
    /// Enterprise resource planning.
    Erp,
    /// Warehouse management.
    Wms,
    /// Point of sale.
    Pos,
    /// A marketplace or web shop.
    Marketplace,
    /// Anything else.
    Other,
}

/// A connected system.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Endpoint {
    /// Its id: the [`Event::source`] of everything it sends.
    pub id: SourceId,
    /// Its kind.
    pub kind: EndpointKind,
    /// How far (ms) its clock runs ahead of the hub's. Its timestamps (event, recording
    /// and capture times) are moved back by this much on arrival.
    pub clock_offset_ms: i64,
    /// The first sequence number it sends (gaps are counted from here).
    pub first_seq: u64,
}

impl Endpoint {
    /// An endpoint whose clock agrees with the hub's and whose sequence starts at 1.
    pub fn new(id: SourceId, kind: EndpointKind) -> Self {
        Endpoint { id, kind, clock_offset_ms: 0, first_seq: 1 }
    }

    /// Sets the clock offset.
    #[must_use]
    pub fn with_clock_offset(mut self, ms: i64) -> Self {
        self.clock_offset_ms = ms;
        self
    }

    /// Sets the clock offset: this endpoint's clock runs `d` ahead of the hub's (the
    /// [`Duration`] form of [`with_clock_offset`](Endpoint::with_clock_offset); the
    /// sub-millisecond part is dropped, and offsets beyond `i64::MAX` ms saturate).
    ///
    /// ```
    /// use std::time::Duration;
    /// use invsync_core::SourceId;
    /// use invsync_core::sync::{Endpoint, EndpointKind};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pos = Endpoint::new(SourceId::new("pos")?, EndpointKind::Pos).with_clock_ahead(Duration::from_secs(90));
    /// assert_eq!(pos.clock_offset_ms, 90_000);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_clock_ahead(self, d: Duration) -> Self {
        self.with_clock_offset(saturating_millis(d))
    }

    /// Sets the clock offset: this endpoint's clock runs `d` behind the hub's.
    ///
    /// ```
    /// use std::time::Duration;
    /// use invsync_core::SourceId;
    /// use invsync_core::sync::{Endpoint, EndpointKind};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let wms = Endpoint::new(SourceId::new("wms")?, EndpointKind::Wms).with_clock_behind(Duration::from_millis(250));
    /// assert_eq!(wms.clock_offset_ms, -250);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_clock_behind(self, d: Duration) -> Self {
        self.with_clock_offset(saturating_millis(d).saturating_neg())
    }

    /// Sets the first sequence number.
    #[must_use]
    pub fn with_first_seq(mut self, seq: u64) -> Self {
        self.first_seq = seq;
        self
    }

    /// `t` on this endpoint's clock, read on the hub's (the offset taken off).
    fn to_hub_time(&self, t: Timestamp) -> Timestamp {
        t.add_millis(self.clock_offset_ms.saturating_neg())
    }
}

/// What to do with a snapshot that disagrees with the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SnapshotPolicy {
    /// Post a count at the capture time: later movements are replayed on top (A12).
    #[default]
    Apply,
    /// Post nothing; variances beyond the tolerance go to the exceptions queue.
    Review,
}

/// Hub settings.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HubConfig {
    /// Out-of-order hold window (ms, event time): an event is applied once the hub's clock
    /// is this far past it, so events reordered by less than this are applied in
    /// event-time order. Later arrivals are applied as late events and flagged.
    pub hold_window_ms: i64,
    /// A sequence gap still open this long (ms, hub clock) after it was noticed is
    /// reported as an exception (the message is presumed lost; it is still applied, late,
    /// if it comes).
    pub gap_timeout_ms: i64,
    /// A snapshot that arrives more than this long (ms) after its capture is stale.
    pub max_snapshot_age_ms: i64,
    /// What to do with snapshot variances.
    pub snapshot_policy: SnapshotPolicy,
    /// Snapshot variances up to this many units (absolute) raise no exception.
    pub snapshot_tolerance: i64,
    /// Latency target for the KPIs (ms).
    pub latency_target_ms: i64,
}

impl Default for HubConfig {
    /// A 2-minute hold window, gaps reported after 15 minutes, snapshots stale after 1
    /// hour, variances posted, every variance an exception, the 15-minute latency target.
    fn default() -> Self {
        HubConfig {
            hold_window_ms: 2 * 60 * 1000,
            gap_timeout_ms: LATENCY_TARGET_MS,
            max_snapshot_age_ms: 60 * 60 * 1000,
            snapshot_policy: SnapshotPolicy::Apply,
            snapshot_tolerance: 0,
            latency_target_ms: LATENCY_TARGET_MS,
        }
    }
}

/// [`Duration`] setters beside the `*_ms` fields (the sub-millisecond part is dropped;
/// durations beyond `i64::MAX` ms saturate).
///
/// ```
/// use std::time::Duration;
/// use invsync_core::sync::HubConfig;
/// let config = HubConfig::default()
///     .with_hold_window(Duration::from_secs(30))
///     .with_gap_timeout(Duration::from_secs(10 * 60))
///     .with_max_snapshot_age(Duration::from_secs(2 * 3_600))
///     .with_latency_target(Duration::from_secs(5 * 60));
/// assert_eq!(config.hold_window_ms, 30_000);
/// assert_eq!(config.gap_timeout_ms, 600_000);
/// assert_eq!(config.max_snapshot_age_ms, 7_200_000);
/// assert_eq!(config.latency_target_ms, 300_000);
/// ```
impl HubConfig {
    /// Sets [`hold_window_ms`](HubConfig::hold_window_ms).
    #[must_use]
    pub fn with_hold_window(mut self, d: Duration) -> Self {
        self.hold_window_ms = saturating_millis(d);
        self
    }

    /// Sets [`gap_timeout_ms`](HubConfig::gap_timeout_ms).
    #[must_use]
    pub fn with_gap_timeout(mut self, d: Duration) -> Self {
        self.gap_timeout_ms = saturating_millis(d);
        self
    }

    /// Sets [`max_snapshot_age_ms`](HubConfig::max_snapshot_age_ms).
    #[must_use]
    pub fn with_max_snapshot_age(mut self, d: Duration) -> Self {
        self.max_snapshot_age_ms = saturating_millis(d);
        self
    }

    /// Sets [`latency_target_ms`](HubConfig::latency_target_ms).
    #[must_use]
    pub fn with_latency_target(mut self, d: Duration) -> Self {
        self.latency_target_ms = saturating_millis(d);
        self
    }
}

/// An absolute quantity reported by a system.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Snapshot {
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// On hand as the system saw it.
    pub on_hand: i64,
    /// When it was captured (the endpoint's clock).
    pub captured_at: Timestamp,
}

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingest {
    /// Held in the out-of-order window; applied when the window passes it.
    Held,
    /// Seen before with the same payload: dropped.
    Duplicate,
    /// Applied now: it arrived after the window had passed it (`late_arrival`).
    Applied {
        /// What the ledger did.
        outcome: Outcome,
        /// Arrived after the hold window (the ledger re-posted it as a late event).
        late_arrival: bool,
    },
    /// Refused (also queued as an [`Exception`]).
    Rejected(LedgerError),
}

/// What became of one snapshot delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotIngest {
    /// Held until the window passes its capture time.
    Held,
    /// The same snapshot is already held or was already posted.
    Duplicate,
    /// Processed now (it arrived after the window had passed its capture time).
    Processed(SnapshotReport),
}

/// Why a snapshot was stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum StaleReason {
    /// It arrived more than [`HubConfig::max_snapshot_age_ms`] after its capture.
    TooOld,
    /// A snapshot or count captured later was already applied to this item x location.
    Superseded,
}

/// What a snapshot showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SnapshotStatus {
    /// It agreed with the ledger as of its capture.
    Matched,
    /// It differed and a count was posted at its capture time.
    Posted,
    /// It differed and was left for review ([`SnapshotPolicy::Review`]).
    Review,
    /// It was stale and ignored.
    Stale(StaleReason),
    /// The count it implied was refused by the ledger (see the exceptions).
    Rejected,
}

/// One processed snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SnapshotReport {
    /// The endpoint that sent it.
    pub endpoint: SourceId,
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// Capture time (hub clock).
    pub captured_at: Timestamp,
    /// What the snapshot said.
    pub reported: i64,
    /// Ledger on hand as of the capture, before the snapshot.
    pub ledger: i64,
    /// reported - ledger.
    pub variance: i64,
    /// What was done.
    pub status: SnapshotStatus,
}

/// Something a person should look at.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum ExceptionKind {
    /// Sequence numbers `from ..= to` never arrived within the hold window.
    SequenceGap {
        /// First missing.
        from: u64,
        /// Last missing.
        to: u64,
    },
    /// A stale snapshot was ignored.
    StaleSnapshot {
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// Its capture time.
        captured_at: Timestamp,
        /// Why it is stale.
        reason: StaleReason,
    },
    /// A snapshot differed from the ledger beyond the tolerance.
    SnapshotVariance {
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// Its capture time.
        captured_at: Timestamp,
        /// Ledger on hand as of the capture.
        ledger: i64,
        /// What the snapshot said.
        reported: i64,
    },
    /// The ledger refused an event.
    Rejected {
        /// The event.
        event: EventId,
        /// Why.
        #[cfg_attr(feature = "serde", serde(skip))]
        error: LedgerError,
        /// The error's message.
        message: String,
    },
    /// A reconciliation mismatch worth more than the approval threshold.
    Mismatch {
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// Variance in units.
        variance: i64,
        /// Variance in value.
        value: Money,
    },
}

/// An entry of the exceptions queue.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Exception {
    /// When the hub raised it (hub clock).
    pub raised_at: Timestamp,
    /// The endpoint concerned, if one is.
    pub endpoint: Option<SourceId>,
    /// What happened.
    pub kind: ExceptionKind,
}

/// Counters of one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EndpointStats {
    /// Event deliveries received (duplicates included).
    pub received: u64,
    /// Events applied.
    pub applied: u64,
    /// Deliveries dropped as duplicates.
    pub duplicates: u64,
    /// Events that arrived after the hold window (applied late, flagged).
    pub late: u64,
    /// Events refused.
    pub rejected: u64,
    /// Snapshots processed.
    pub snapshots: u64,
    /// Of which stale.
    pub stale_snapshots: u64,
    /// Sequence gaps reported.
    pub gaps: u64,
}

/// One published availability change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Publication {
    /// The channel.
    pub channel: SourceId,
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// Available to sell on the channel.
    pub quantity: i64,
    /// Version of this item x location x channel, from 1, increasing by one per change:
    /// receivers drop updates older than what they hold.
    pub version: u64,
}

/// Latency KPIs.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyReport {
    /// Per endpoint, recorded-at minus occurred-at of its events (`None`: no events).
    pub per_endpoint: Vec<(SourceId, Option<LatencySummary>)>,
    /// Time from an event's occurrence until every endpoint acknowledged a ledger version
    /// holding it.
    pub reflected: Option<LatencySummary>,
}

/// Misuse of the hub API (distinct from refused events, which are [`Ingest::Rejected`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// No endpoint has this id.
    #[error("unknown endpoint {endpoint}")]
    UnknownEndpoint {
        /// The id given.
        endpoint: SourceId,
    },
    /// An endpoint with this id is already registered.
    #[error("endpoint {endpoint} is already registered")]
    DuplicateEndpoint {
        /// The id given.
        endpoint: SourceId,
    },
    /// The event names another source than the endpoint delivering it.
    #[error("event {event} from endpoint {endpoint} names source {named}")]
    WrongSource {
        /// The event.
        event: EventId,
        /// The endpoint it came through.
        endpoint: SourceId,
        /// The source it names.
        named: SourceId,
    },
    /// An acknowledgement of a version the ledger has not reached.
    #[error("endpoint {endpoint} acknowledged version {version}, beyond the ledger's {current}")]
    AckBeyondVersion {
        /// The endpoint.
        endpoint: SourceId,
        /// The version acknowledged.
        version: u64,
        /// The ledger's version.
        current: u64,
    },
    /// Two channels share an id.
    #[error("channel {channel} is listed twice")]
    DuplicateChannel {
        /// The id.
        channel: SourceId,
    },
}

#[derive(Debug, Clone)]
struct Gap {
    /// Exclusive end.
    end: u64,
    noticed_at: Timestamp,
    reported: bool,
}

#[derive(Debug, Clone)]
struct EndpointState {
    endpoint: Endpoint,
    next_seq: u64,
    /// Missing ranges by start.
    gaps: BTreeMap<u64, Gap>,
    acked: u64,
    stats: EndpointStats,
    latencies: Vec<i64>,
}

#[derive(Debug, Clone)]
enum Pending {
    Event(Event),
    Snapshot(Snapshot),
}

/// Order of held items: event time, events before snapshots, then id.
type HeldKey = (Timestamp, u8, EventId);

#[derive(Debug, Clone)]
struct Held {
    endpoint: u32,
    arrived_at: Timestamp,
    item: Pending,
}

type Key = (ItemId, LocationId);

/// What an applied event touched: its key, a transfer's destination, its instant, and
/// whether it anchors the key (a count).
struct Touched {
    key: Key,
    other: Option<Key>,
    at: Timestamp,
    count: bool,
}

impl Touched {
    fn of(e: &Event) -> Touched {
        Touched {
            key: (e.item.clone(), e.location.clone()),
            other: match &e.movement {
                Movement::TransferOut { to, .. } => Some((e.item.clone(), to.clone())),
                _ => None,
            },
            at: e.occurred_at,
            count: matches!(e.movement, Movement::Count { .. }),
        }
    }
}

/// Keeps a [`Ledger`] in step with many systems. See the [module docs](super).
#[derive(Debug, Clone)]
pub struct Hub {
    config: HubConfig,
    ledger: Ledger,
    endpoints: Vec<EndpointState>,
    by_endpoint: HashMap<SourceId, u32>,
    now: Timestamp,
    watermark: Timestamp,
    held: BTreeMap<HeldKey, Held>,
    held_ids: HashMap<EventId, (Timestamp, u8)>,
    /// Unreported gaps by (noticed, endpoint, start).
    open_gaps: BTreeSet<(Timestamp, u32, u64)>,
    anchors: HashMap<Key, Timestamp>,
    dirty: BTreeSet<Key>,
    channels: Vec<Channel>,
    published: HashMap<(Key, SourceId), (i64, u64)>,
    unreflected: VecDeque<(u64, Timestamp)>,
    reflected: Vec<i64>,
    exceptions: Vec<Exception>,
    snapshots: Vec<SnapshotReport>,
}

impl Hub {
    /// A hub around `ledger` (usually empty, or restored from a journal).
    pub fn new(ledger: Ledger, config: HubConfig) -> Self {
        Hub {
            config,
            ledger,
            endpoints: Vec::new(),
            by_endpoint: HashMap::default(),
            now: Timestamp::from_millis(i64::MIN),
            watermark: Timestamp::from_millis(i64::MIN),
            held: BTreeMap::new(),
            held_ids: HashMap::default(),
            open_gaps: BTreeSet::new(),
            anchors: HashMap::default(),
            dirty: BTreeSet::new(),
            channels: Vec::new(),
            published: HashMap::default(),
            unreflected: VecDeque::new(),
            reflected: Vec::new(),
            exceptions: Vec::new(),
            snapshots: Vec::new(),
        }
    }

    /// Registers an endpoint.
    ///
    /// # Errors
    ///
    /// [`SyncError::DuplicateEndpoint`] when its id is taken.
    pub fn add_endpoint(&mut self, endpoint: Endpoint) -> Result<(), SyncError> {
        match self.by_endpoint.entry(endpoint.id.clone()) {
            MapEntry::Occupied(_) => Err(SyncError::DuplicateEndpoint { endpoint: endpoint.id }),
            MapEntry::Vacant(v) => {
                v.insert(self.endpoints.len() as u32);
                self.endpoints.push(EndpointState {
                    next_seq: endpoint.first_seq,
                    endpoint,
                    gaps: BTreeMap::new(),
                    acked: 0,
                    stats: EndpointStats::default(),
                    latencies: Vec::new(),
                });
                Ok(())
            }
        }
    }

    /// Sets the sales channels availability is published to. Every item x location is
    /// re-evaluated at the next [`Hub::publish`].
    ///
    /// # Errors
    ///
    /// [`SyncError::DuplicateChannel`] when two channels share an id (nothing changes).
    pub fn set_channels(&mut self, channels: Vec<Channel>) -> Result<(), SyncError> {
        let mut seen = BTreeSet::new();
        if let Some(c) = channels.iter().find(|c| !seen.insert(&c.id)) {
            return Err(SyncError::DuplicateChannel { channel: c.id.clone() });
        }
        self.channels = channels;
        let keys: Vec<Key> = self.ledger.keys().map(|(i, l)| (i.clone(), l.clone())).collect();
        self.dirty.extend(keys);
        Ok(())
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger, giving up the hub.
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }

    /// The configuration.
    pub fn config(&self) -> &HubConfig {
        &self.config
    }

    /// The ledger version: the number of events it accepted.
    pub fn version(&self) -> u64 {
        self.ledger.len() as u64
    }

    /// The hub's clock: the latest arrival or [`Hub::advance`] time seen.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Events and snapshots waiting in the hold window.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    fn endpoint_index(&self, id: &SourceId) -> Result<u32, SyncError> {
        self.by_endpoint.get(id).copied().ok_or_else(|| SyncError::UnknownEndpoint { endpoint: id.clone() })
    }

    /// Receives one delivery of an event from `endpoint`, arriving at `arrived_at` (hub
    /// clock). The hub first releases what the arrival moves out of the hold window.
    ///
    /// Exactly-once effect from at-least-once delivery: a redelivery (same id and
    /// payload) is dropped, whether the first delivery is applied or still held; a reused
    /// id with another payload is refused. Sequence numbers are tracked per endpoint and
    /// gaps still open one hold window after they were noticed are reported.
    ///
    /// # Errors
    ///
    /// [`SyncError`] for an unknown endpoint or an event naming another source; the hub is
    /// then unchanged.
    pub fn receive(
        &mut self,
        endpoint: &SourceId,
        mut event: Event,
        arrived_at: Timestamp,
    ) -> Result<Ingest, SyncError> {
        let ix = self.endpoint_index(endpoint)?;
        if event.source != *endpoint {
            return Err(SyncError::WrongSource { event: event.id, endpoint: endpoint.clone(), named: event.source });
        }
        let endpoint_clock = &self.endpoints[ix as usize].endpoint;
        event.occurred_at = endpoint_clock.to_hub_time(event.occurred_at);
        event.recorded_at = endpoint_clock.to_hub_time(event.recorded_at);
        self.advance(arrived_at);
        self.endpoints[ix as usize].stats.received += 1;
        let prior = match self.ledger.event(&event.id) {
            Some(p) => Some(p),
            None => self.held_ids.get(&event.id).and_then(|&(at, kind)| {
                match self.held.get(&(at, kind, event.id.clone())) {
                    Some(Held { item: Pending::Event(e), .. }) => Some(e),
                    _ => None,
                }
            }),
        };
        if let Some(p) = prior {
            if p.same_payload(&event) {
                self.endpoints[ix as usize].stats.duplicates += 1;
                return Ok(Ingest::Duplicate);
            }
            let error = LedgerError::IdempotencyConflict { event: event.id.clone() };
            self.reject(ix, &event.id, error.clone());
            return Ok(Ingest::Rejected(error));
        }
        if let Some(seq) = event.source_seq {
            self.track_seq(ix, seq);
        }
        let state = &mut self.endpoints[ix as usize];
        state.latencies.push(event.recorded_at.millis_since(event.occurred_at));
        if event.occurred_at > self.watermark {
            let key = (event.occurred_at, 0u8, event.id.clone());
            self.held_ids.insert(event.id.clone(), (event.occurred_at, 0));
            self.held.insert(key, Held { endpoint: ix, arrived_at, item: Pending::Event(event) });
            return Ok(Ingest::Held);
        }
        Ok(match self.apply_event(ix, event, true) {
            Ok(outcome) => Ingest::Applied { outcome, late_arrival: true },
            Err(e) => Ingest::Rejected(e),
        })
    }

    /// Receives a snapshot from `endpoint`. It is held like an event and processed, in
    /// capture-time order with the events around it, when the window passes its capture
    /// time: compared with the ledger as of the capture (docs/oracles.md A12), a difference
    /// becomes a variance (posted as a count at the capture time, or left for review), a
    /// stale one is ignored and queued as an exception. The report is in
    /// [`Hub::snapshot_reports`].
    ///
    /// # Errors
    ///
    /// [`SyncError::UnknownEndpoint`]; the hub is then unchanged.
    pub fn receive_snapshot(
        &mut self,
        endpoint: &SourceId,
        mut snapshot: Snapshot,
        arrived_at: Timestamp,
    ) -> Result<SnapshotIngest, SyncError> {
        let ix = self.endpoint_index(endpoint)?;
        snapshot.captured_at = self.endpoints[ix as usize].endpoint.to_hub_time(snapshot.captured_at);
        self.advance(arrived_at);
        let id = snapshot_id(endpoint, &snapshot);
        let key = (snapshot.captured_at, 1u8, id.clone());
        if self.held.contains_key(&key) || self.ledger.event(&id).is_some() {
            self.endpoints[ix as usize].stats.duplicates += 1;
            return Ok(SnapshotIngest::Duplicate);
        }
        if key.0 > self.watermark {
            self.held_ids.insert(id, (key.0, 1));
            self.held.insert(key, Held { endpoint: ix, arrived_at, item: Pending::Snapshot(snapshot) });
            return Ok(SnapshotIngest::Held);
        }
        Ok(SnapshotIngest::Processed(self.process_snapshot(ix, snapshot, id, arrived_at)))
    }

    /// Moves the hub's clock to `now` (it never goes back): releases, in event-time order,
    /// everything the hold window has passed, and reports sequence gaps open for longer
    /// than [`HubConfig::gap_timeout_ms`].
    pub fn advance(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        self.watermark = self.watermark.max(self.now.add_millis(self.config.hold_window_ms.saturating_neg()));
        self.release(self.watermark);
        let due = self.now.add_millis(self.config.gap_timeout_ms.saturating_neg());
        self.report_gaps(Some(due));
    }

    /// Releases everything held and reports every open gap, as at the end of a stream.
    pub fn flush(&mut self) {
        self.release(Timestamp::from_millis(i64::MAX));
        self.report_gaps(None);
    }

    fn release(&mut self, upto: Timestamp) {
        while let Some(entry) = self.held.first_entry() {
            if entry.key().0 > upto {
                break;
            }
            let ((_, _, id), held) = entry.remove_entry();
            self.held_ids.remove(&id);
            match held.item {
                Pending::Event(e) => {
                    let _ = self.apply_event(held.endpoint, e, false);
                }
                Pending::Snapshot(s) => {
                    self.process_snapshot(held.endpoint, s, id, held.arrived_at);
                }
            }
        }
    }

    fn report_gaps(&mut self, due: Option<Timestamp>) {
        while let Some(&(noticed, ix, start)) = self.open_gaps.first() {
            if due.is_some_and(|d| noticed > d) {
                break;
            }
            self.open_gaps.pop_first();
            let state = &mut self.endpoints[ix as usize];
            let Some(gap) = state.gaps.get_mut(&start) else { continue };
            gap.reported = true;
            state.stats.gaps += 1;
            let kind = ExceptionKind::SequenceGap { from: start, to: gap.end - 1 };
            let endpoint = Some(state.endpoint.id.clone());
            self.exceptions.push(Exception { raised_at: self.now, endpoint, kind });
        }
    }

    fn track_seq(&mut self, ix: u32, seq: u64) {
        let now = self.now;
        let state = &mut self.endpoints[ix as usize];
        if seq >= state.next_seq {
            if seq > state.next_seq {
                let start = state.next_seq;
                state.gaps.insert(start, Gap { end: seq, noticed_at: now, reported: false });
                self.open_gaps.insert((now, ix, start));
            }
            state.next_seq = seq.saturating_add(1);
            return;
        }
        // A missing number arrives: split the gap that holds it.
        let Some((&start, gap)) = state.gaps.range(..=seq).next_back() else { return };
        if seq >= gap.end {
            return;
        }
        let gap = gap.clone();
        state.gaps.remove(&start);
        if !gap.reported {
            self.open_gaps.remove(&(gap.noticed_at, ix, start));
        }
        for (s, e) in [(start, seq), (seq + 1, gap.end)] {
            if s < e {
                state.gaps.insert(s, Gap { end: e, ..gap.clone() });
                if !gap.reported {
                    self.open_gaps.insert((gap.noticed_at, ix, s));
                }
            }
        }
    }

    /// Missing sequence numbers of `endpoint` right now, as inclusive ranges.
    ///
    /// # Errors
    ///
    /// [`SyncError::UnknownEndpoint`].
    pub fn gaps(&self, endpoint: &SourceId) -> Result<Vec<(u64, u64)>, SyncError> {
        let ix = self.endpoint_index(endpoint)?;
        Ok(self.endpoints[ix as usize].gaps.iter().map(|(&s, g)| (s, g.end - 1)).collect())
    }

    fn reject(&mut self, ix: u32, event: &EventId, error: LedgerError) {
        let state = &mut self.endpoints[ix as usize];
        state.stats.rejected += 1;
        let kind = ExceptionKind::Rejected { event: event.clone(), message: error.to_string(), error };
        let endpoint = Some(state.endpoint.id.clone());
        self.exceptions.push(Exception { raised_at: self.now, endpoint, kind });
    }

    fn apply_event(&mut self, ix: u32, event: Event, late_arrival: bool) -> Result<Outcome, LedgerError> {
        let id = event.id.clone();
        let touched = Touched::of(&event);
        match self.ledger.apply(event) {
            Ok(outcome) => {
                let stats = &mut self.endpoints[ix as usize].stats;
                if outcome.duplicate {
                    stats.duplicates += 1;
                    return Ok(outcome);
                }
                stats.applied += 1;
                stats.late += u64::from(late_arrival);
                self.applied(touched, outcome);
                Ok(outcome)
            }
            Err(e) => {
                self.reject(ix, &id, e.clone());
                Err(e)
            }
        }
    }

    /// Records that `key` is known absolutely as of `at` (a count or a snapshot): older
    /// snapshots of it are stale from now on.
    fn raise_anchor(&mut self, key: Key, at: Timestamp) {
        let anchor = self.anchors.entry(key).or_insert(at);
        *anchor = (*anchor).max(at);
    }

    fn applied(&mut self, t: Touched, outcome: Outcome) {
        if t.count {
            self.raise_anchor(t.key.clone(), t.at);
        }
        if !self.channels.is_empty() {
            self.dirty.insert(t.key);
            self.dirty.extend(t.other);
        }
        if !self.endpoints.is_empty() {
            self.unreflected.push_back((outcome.seq + 1, t.at));
        }
    }

    /// Compares snapshot `s` (whose count would have event id `id`) with the ledger as of
    /// its capture, acts on it, and records the report.
    fn process_snapshot(&mut self, ix: u32, s: Snapshot, id: EventId, arrived_at: Timestamp) -> SnapshotReport {
        let endpoint = self.endpoints[ix as usize].endpoint.id.clone();
        self.endpoints[ix as usize].stats.snapshots += 1;
        let key = (s.item.clone(), s.location.clone());
        let stale = if arrived_at.millis_since(s.captured_at) > self.config.max_snapshot_age_ms {
            Some(StaleReason::TooOld)
        } else if self.anchors.get(&key).is_some_and(|&a| a > s.captured_at) {
            Some(StaleReason::Superseded)
        } else {
            None
        };
        let ledger = self.ledger.levels_at(&s.item, &s.location, s.captured_at).on_hand();
        let variance = s.on_hand.saturating_sub(ledger);
        let mut report = SnapshotReport {
            endpoint: endpoint.clone(),
            item: s.item.clone(),
            location: s.location.clone(),
            captured_at: s.captured_at,
            reported: s.on_hand,
            ledger,
            variance,
            status: SnapshotStatus::Matched,
        };
        if let Some(reason) = stale {
            self.endpoints[ix as usize].stats.stale_snapshots += 1;
            report.status = SnapshotStatus::Stale(reason);
            let kind = ExceptionKind::StaleSnapshot {
                item: s.item.clone(),
                location: s.location.clone(),
                captured_at: s.captured_at,
                reason,
            };
            self.exceptions.push(Exception { raised_at: self.now, endpoint: Some(endpoint), kind });
            self.snapshots.push(report.clone());
            return report;
        }
        if variance != 0 && variance.unsigned_abs() > self.config.snapshot_tolerance.max(0).unsigned_abs() {
            let kind = ExceptionKind::SnapshotVariance {
                item: s.item.clone(),
                location: s.location.clone(),
                captured_at: s.captured_at,
                ledger,
                reported: s.on_hand,
            };
            self.exceptions.push(Exception { raised_at: self.now, endpoint: Some(endpoint.clone()), kind });
        }
        if variance != 0 {
            report.status = match self.config.snapshot_policy {
                SnapshotPolicy::Review => SnapshotStatus::Review,
                SnapshotPolicy::Apply => {
                    let count = Event::new(id, endpoint, s.item, s.location, s.captured_at, Movement::count(s.on_hand))
                        .with_recorded_at(arrived_at.max(s.captured_at))
                        .with_reference("snapshot");
                    match self.apply_event(ix, count, false) {
                        Ok(_) => SnapshotStatus::Posted,
                        Err(_) => SnapshotStatus::Rejected,
                    }
                }
            };
        }
        self.raise_anchor(key, report.captured_at);
        self.snapshots.push(report.clone());
        report
    }

    /// Posts `event` straight to the ledger (the hub's own corrections: reconciliation
    /// proposals, [`Hub::sync_to`]), with dirty tracking; refusals are returned, not
    /// queued.
    ///
    /// # Errors
    ///
    /// The ledger's refusal; nothing is applied.
    pub fn post(&mut self, event: Event) -> Result<Outcome, LedgerError> {
        let touched = Touched::of(&event);
        let outcome = self.ledger.apply(event)?;
        if !outcome.duplicate {
            self.applied(touched, outcome);
        }
        Ok(outcome)
    }

    /// Brings on hand of `item` at `location` to `target` as of `at` by posting only the
    /// difference, as an adjustment of available guarded by compare-and-set (docs/oracles.md
    /// A13). Returns `None` when the quantity already matches: nothing is posted.
    ///
    /// # Errors
    ///
    /// The ledger's refusal (a stale compare-and-set, negative stock ...); nothing is
    /// applied.
    pub fn sync_to(
        &mut self,
        id: EventId,
        source: SourceId,
        item: ItemId,
        location: LocationId,
        target: i64,
        at: Timestamp,
    ) -> Result<Option<Outcome>, LedgerError> {
        let levels = self.ledger.levels_at(&item, &location, at);
        let delta = target.saturating_sub(levels.on_hand());
        if delta == 0 {
            return Ok(None);
        }
        let movement = Movement::Adjust {
            bucket: crate::ledger::Bucket::Available,
            delta,
            expected: Some(levels.available),
            unit_cost: None,
        };
        self.post(Event::new(id, source, item, location, at, movement)).map(Some)
    }

    /// Records that `endpoint` reflects every ledger version up to `version`, at `at`.
    /// Acknowledgements never go back.
    ///
    /// # Errors
    ///
    /// [`SyncError`] for an unknown endpoint or a version beyond the ledger's.
    pub fn acknowledge(&mut self, endpoint: &SourceId, version: u64, at: Timestamp) -> Result<(), SyncError> {
        let ix = self.endpoint_index(endpoint)?;
        let current = self.version();
        if version > current {
            return Err(SyncError::AckBeyondVersion { endpoint: endpoint.clone(), version, current });
        }
        let state = &mut self.endpoints[ix as usize];
        state.acked = state.acked.max(version);
        let all = self.endpoints.iter().map(|e| e.acked).min().unwrap_or(0);
        while let Some(&(v, occurred)) = self.unreflected.front() {
            if v > all {
                break;
            }
            self.unreflected.pop_front();
            self.reflected.push(at.millis_since(occurred));
        }
        Ok(())
    }

    /// How many ledger versions `endpoint` is behind.
    ///
    /// # Errors
    ///
    /// [`SyncError::UnknownEndpoint`].
    pub fn lag(&self, endpoint: &SourceId) -> Result<u64, SyncError> {
        let ix = self.endpoint_index(endpoint)?;
        Ok(self.version() - self.endpoints[ix as usize].acked)
    }

    /// The counters of `endpoint`.
    ///
    /// # Errors
    ///
    /// [`SyncError::UnknownEndpoint`].
    pub fn stats(&self, endpoint: &SourceId) -> Result<EndpointStats, SyncError> {
        Ok(self.endpoints[self.endpoint_index(endpoint)? as usize].stats)
    }

    /// Publishes availability: for every item x location changed since the last call (and
    /// every one after [`Hub::set_channels`]), each channel's quantity from
    /// [`allocate`], emitted only where it differs from what that channel was last told,
    /// with the next version. Sorted by item, location, then channel order.
    pub fn publish(&mut self) -> Vec<Publication> {
        let mut out = Vec::new();
        for key in std::mem::take(&mut self.dirty) {
            let available = self.ledger.levels(&key.0, &key.1).available;
            for (c, qty) in self.channels.iter().zip(allocate(available, &self.channels)) {
                let slot = self.published.entry((key.clone(), c.id.clone())).or_insert((i64::MIN, 0));
                if slot.0 == qty {
                    continue;
                }
                *slot = (qty, slot.1 + 1);
                out.push(Publication {
                    channel: c.id.clone(),
                    item: key.0.clone(),
                    location: key.1.clone(),
                    quantity: qty,
                    version: slot.1,
                });
            }
        }
        out
    }

    /// Queues an exception for every line of `report` that is not accurate and needs
    /// approval (its value is above the report's approval threshold).
    pub fn raise_mismatches(&mut self, report: &ReconcileReport) {
        for l in &report.lines {
            if l.needs_approval && !l.status.is_accurate() && l.status != MatchStatus::Match {
                let kind = ExceptionKind::Mismatch {
                    item: l.item.clone(),
                    location: l.location.clone(),
                    variance: l.variance,
                    value: l.variance_value,
                };
                self.exceptions.push(Exception { raised_at: self.now, endpoint: None, kind });
            }
        }
    }

    /// The exceptions queue, oldest first.
    pub fn exceptions(&self) -> &[Exception] {
        &self.exceptions
    }

    /// Takes the exceptions queue, leaving it empty.
    pub fn take_exceptions(&mut self) -> Vec<Exception> {
        std::mem::take(&mut self.exceptions)
    }

    /// Every snapshot processed, in processing order.
    pub fn snapshot_reports(&self) -> &[SnapshotReport] {
        &self.snapshots
    }

    /// Latency KPIs against [`HubConfig::latency_target_ms`], over every sample since the
    /// hub started or since the last [`Hub::take_latency`].
    pub fn latency(&self) -> LatencyReport {
        let target = self.config.latency_target_ms;
        LatencyReport {
            per_endpoint: self
                .endpoints
                .iter()
                .map(|e| (e.endpoint.id.clone(), LatencySummary::from_samples(&e.latencies, target)))
                .collect(),
            reflected: LatencySummary::from_samples(&self.reflected, target),
        }
    }

    /// [`Hub::latency`], then starts a new measuring period. Samples (8 bytes per event)
    /// are kept until taken, so a long-running service takes them periodically.
    pub fn take_latency(&mut self) -> LatencyReport {
        let report = self.latency();
        for e in &mut self.endpoints {
            e.latencies.clear();
        }
        self.reflected.clear();
        report
    }
}

/// The id of the count a snapshot posts: readable when it fits, hashed when not.
fn snapshot_id(endpoint: &SourceId, s: &Snapshot) -> EventId {
    let text = format!("snapshot:{endpoint}:{}:{}:{}", s.captured_at.as_millis(), s.item, s.location);
    EventId::new(&text).unwrap_or_else(|_| {
        let h = crate::rng::fnv1a64(text.as_bytes());
        EventId::new(format!("snapshot:{h:016x}")).unwrap_or_else(|_| unreachable!("a short ASCII id is valid"))
    })
}
