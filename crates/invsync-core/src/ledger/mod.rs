//! The inventory ledger: stock per item x location as a log of auditable events.
//!
//! ```
//! use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
//! use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
//! let ev = |id: &str, day: i64, m: Movement| -> Result<Event, Box<dyn std::error::Error>> {
//!     Ok(Event::new(EventId::new(id)?, SourceId::new("erp")?, item.clone(), store.clone(),
//!                   Timestamp::from_days(day), m))
//! };
//! let mut ledger = Ledger::new(LedgerConfig::default());
//! ledger.apply(ev("r1", 1, Movement::receipt(10))?)?;
//! ledger.apply(ev("s1", 3, Movement::issue(4))?)?;
//! // A receipt that happened on day 2 arrives late: it is posted in its place.
//! let late = ledger.apply(ev("r2", 2, Movement::receipt(5))?)?;
//! assert!(late.late);
//! assert_eq!(ledger.levels(&item, &store).on_hand(), 11);
//! assert_eq!(ledger.levels_at(&item, &store, Timestamp::from_days(2)).on_hand(), 15);
//! // Delivering the same event again changes nothing.
//! assert!(ledger.apply(ev("r2", 2, Movement::receipt(5))?)?.duplicate);
//! # Ok(()) }
//! ```
//!
//! # Semantics
//!
//! * **Order.** Entries are ordered by `(occurred_at, seq)`, `seq` being the recording
//!   order. A back-dated event is inserted where it belongs and later balances and values
//!   are re-posted, stopping where the state converges (after an absolute count at the
//!   latest, for quantities: A1, A3).
//! * **Idempotency.** The event id is the key: same id and payload is a no-op returning the
//!   original [`Outcome`]; same id with another payload is
//!   [`LedgerError::IdempotencyConflict`] (A9).
//! * **Compare-and-set.** `expected` on adjust / set / move is checked against the bucket
//!   at the event's own instant (A8). It is an admission check: a later back-dated event
//!   does not re-check earlier compare-and-sets.
//! * **Negative stock.** Per location, reject by default. The check covers every later
//!   entry the event re-posts (the future-negative guard, A2), and cancellations.
//! * **Atomicity.** An event touching two keys (transfers), and a whole
//!   [`Ledger::apply_batch`], apply entirely or not at all.
//! * **Persistence.** The ledger is a pure function of its configuration, its
//!   registrations and its accepted events in recording order: [`Ledger::replay`] of
//!   [`Ledger::registrations`] (each in its place among the events) and
//!   [`Ledger::events`] reproduces it exactly.

mod error;
mod event;
mod hot;
mod index;
mod key;
mod levels;
mod replay;
mod shared;
mod valuation;

use foldhash::HashMap;

pub use error::{BatchError, InvalidMovementReason, InvalidTargetReason, LedgerError, QueryError};
pub use event::{Bucket, Event, Movement, UnknownBucket};
pub use levels::{Levels, QuantityState};
pub use replay::{Misplacement, Registered, Registration, ReplayError};
pub use shared::SharedLedger;
pub use valuation::{Layer, MAX_UNIT_COST_MICROS, ValuationMethod};

use index::Index;
use key::{Guard, KeyLedger, LineKind, LineRef, Op, OpError, Removed};

use crate::{EventId, ItemId, LocationId, Money, Timestamp};

/// Whether a location may hold negative quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum NegativeStock {
    /// Refuse any event that would make a quantity negative, now or at a later entry.
    #[default]
    Reject,
    /// Allow negative quantities (valued as in docs/oracles.md A4, A6).
    Allow,
}

/// Ledger-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LedgerConfig {
    /// Refuse events for items and locations that were not registered.
    pub strict: bool,
    /// How far (ms) an event's `occurred_at` may lie after its `recorded_at`.
    pub max_future_skew_ms: i64,
    /// The largest quantity one event may carry (guards sums against overflow).
    pub max_quantity: i64,
    /// Valuation of items that were not registered.
    pub default_valuation: ValuationMethod,
    /// Negative-stock policy of locations that were not registered.
    pub default_negative: NegativeStock,
}

/// ```
/// use std::time::Duration;
/// use invsync_core::ledger::LedgerConfig;
/// let config = LedgerConfig::default().with_max_future_skew(Duration::from_secs(60));
/// assert_eq!(config.max_future_skew_ms, 60_000);
/// assert_eq!(config.max_future_skew(), Duration::from_secs(60));
/// ```
impl LedgerConfig {
    /// Sets [`max_future_skew_ms`](LedgerConfig::max_future_skew_ms) (whole milliseconds,
    /// saturating).
    #[must_use]
    pub fn with_max_future_skew(mut self, d: std::time::Duration) -> Self {
        self.max_future_skew_ms = crate::time::saturating_millis(d);
        self
    }

    /// [`max_future_skew_ms`](LedgerConfig::max_future_skew_ms) as a `Duration` (zero when
    /// negative: no event may then lie after its recording).
    pub fn max_future_skew(&self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(self.max_future_skew_ms).unwrap_or(0))
    }
}

impl Default for LedgerConfig {
    /// Lenient about registration; 5 minutes of clock skew; quantities up to 10^15;
    /// moving average; negative stock rejected.
    fn default() -> Self {
        LedgerConfig {
            strict: false,
            max_future_skew_ms: 5 * 60 * 1000,
            max_quantity: 1_000_000_000_000_000,
            default_valuation: ValuationMethod::MovingAverage,
            default_negative: NegativeStock::Reject,
        }
    }
}

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Outcome {
    /// Recording order of the event (its position in [`Ledger::events`]).
    pub seq: u64,
    /// It was posted before existing entries (back-dated or out of order).
    pub late: bool,
    /// How many later entries of the item x location had their levels changed by the
    /// re-post (a late event or a cancellation). Entries past a count that absorbed the
    /// change keep their levels and are not counted, though their values follow the new
    /// history (moving average carries a value change on).
    pub reposted: u32,
    /// The event had been applied before; this delivery changed nothing and the fields
    /// above are the original outcome.
    pub duplicate: bool,
}

/// One line of an item x location's running history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry<'a> {
    /// The event that caused it.
    pub event: &'a Event,
    /// Quantities after it.
    pub levels: Levels,
    /// Stock value after it.
    pub value: Money,
    /// Change in stock value (negative: cost of goods out).
    pub value_change: Money,
}

/// Valuation of one item x location now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Valuation {
    /// The method.
    pub method: ValuationMethod,
    /// Units on hand.
    pub quantity: i64,
    /// Their value.
    pub value: Money,
    /// Value per unit, rounded half to even (`None` when nothing is on hand).
    pub unit_cost: Option<Money>,
    /// FIFO layers, oldest first (empty under moving average).
    pub layers: Vec<Layer>,
}

/// One period bucket of an available-to-promise projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AtpBucket {
    /// End of the bucket (inclusive).
    pub end: Timestamp,
    /// Scheduled receipts and inbound transfers expected in the bucket.
    pub receipts: i64,
    /// Cumulative available to promise at the bucket's end.
    pub cumulative: i64,
}

/// One accepted event and what the ledger keeps about it. Its position in the log is its
/// `seq`. The optional fields are stored with sentinels (fewer bytes per event than
/// `Option`s and a full `Outcome`: the log is most of the ledger's memory).
#[derive(Debug, Clone)]
struct LogEntry {
    event: Event,
    /// Unit cost a transfer out carries to its destination (micro-units), or `NONE_RATE`.
    carried: i64,
    /// Later entries re-posted when it was admitted.
    reposted: u32,
    /// Keys the event posted entries to (`NONE_U32`: none).
    keys: [u32; 2],
    /// A later event cancelled it.
    cancelled: bool,
    /// Live events that refer to this one (transfer receipts, scheduled-receipt fills).
    dependents: u32,
    /// It was posted before existing entries.
    late: bool,
}

/// The kinds of event another event may refer to: a receipt fills a scheduled receipt, a
/// transfer receipt receives a transfer out.
#[derive(Debug, Clone, Copy)]
enum Referenced {
    ScheduledReceipt,
    TransferOut,
}

impl Referenced {
    fn is(self, m: &Movement) -> bool {
        match self {
            Referenced::ScheduledReceipt => matches!(m, Movement::ScheduleReceipt { .. }),
            Referenced::TransferOut => matches!(m, Movement::TransferOut { .. }),
        }
    }

    /// Why an event of another kind is refused.
    fn otherwise(self) -> InvalidTargetReason {
        match self {
            Referenced::ScheduledReceipt => InvalidTargetReason::NotScheduledReceipt,
            Referenced::TransferOut => InvalidTargetReason::NotTransferOut,
        }
    }
}

/// The "none" of a stored key.
const NONE_U32: u32 = u32::MAX;

/// The "none" of a stored carried rate (no admitted rate is this low: unit costs are at most
/// 10^18 micro-units in magnitude).
const NONE_RATE: i64 = i64::MIN;

/// The most events one ledger holds: log positions are stored in 32 bits (in the id index
/// and the key entries), `u32::MAX` being kept for "none". About 4.3 billion events, more
/// than fit the memory of a machine at ~300 bytes each; shard by item beyond that.
pub const MAX_EVENTS: usize = NONE_U32 as usize;

/// Whether a log of `len` events has room for one more, `max` (at most [`MAX_EVENTS`])
/// being its limit.
fn check_room(len: usize, max: usize, id: &EventId) -> Result<(), LedgerError> {
    if len >= max.min(MAX_EVENTS) {
        return Err(LedgerError::Full { event: id.clone(), max });
    }
    Ok(())
}

impl LogEntry {
    fn new(event: Event, outcome: Outcome, posted: Posted) -> Self {
        let key = |k: Option<u32>| k.unwrap_or(NONE_U32);
        LogEntry {
            event,
            carried: posted.carried_rate.unwrap_or(NONE_RATE),
            reposted: outcome.reposted,
            keys: posted.keys.map(key),
            cancelled: false,
            dependents: 0,
            late: outcome.late,
        }
    }

    /// The outcome it was admitted with, `seq` being its position.
    fn outcome(&self, seq: u32) -> Outcome {
        Outcome { seq: u64::from(seq), late: self.late, reposted: self.reposted, duplicate: false }
    }

    fn keys(&self) -> [Option<u32>; 2] {
        self.keys.map(|k| (k != NONE_U32).then_some(k))
    }

    fn carried_rate(&self) -> Option<i64> {
        (self.carried != NONE_RATE).then_some(self.carried)
    }
}

/// The error of a cancellation `e` naming `target`, an event of another item x location.
pub(crate) fn cancel_mismatch(e: &Event, target: &Event) -> LedgerError {
    LedgerError::CancelMismatch {
        event: e.id.clone(),
        item: e.item.clone(),
        location: e.location.clone(),
        target: target.id.clone(),
        target_key: Box::new((target.item.clone(), target.location.clone())),
    }
}

/// What a newly admitted event's log entry records besides the event and its outcome.
struct Posted {
    keys: [Option<u32>; 2],
    carried_rate: Option<i64>,
}

/// An effect carried out, with what it takes to undo it.
#[derive(Debug)]
enum Done {
    Inserted { key: u32, at: Timestamp, seq: u64 },
    Removed { key: u32, removed: Removed },
}

/// Undo information of one applied event inside a batch.
#[derive(Debug)]
struct Applied {
    done: [Option<Done>; 2],
    cancel_target: Option<u32>,
    referenced: Option<u32>,
}

/// What an event does, before it is done.
enum Effect {
    Insert { key: u32, op: Op, expected: Option<(Bucket, i64)> },
    Remove { key: u32, at: Timestamp, seq: u64 },
}

/// One item x location: its names, its location's negative-stock policy (kept current by
/// [`Ledger::register_location`]) and its entries.
///
/// Aligned to a cache line: it is 256 bytes, and every event reads most of it.
#[derive(Debug, Clone)]
#[repr(align(64))]
struct Slot {
    item: ItemId,
    location: LocationId,
    negative: NegativeStock,
    ledger: KeyLedger,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Slot>() == 256, "a key slot spans four cache lines");

/// An inventory ledger. See the [module docs](self) for the semantics.
#[derive(Debug, Clone)]
pub struct Ledger {
    config: LedgerConfig,
    items: HashMap<ItemId, ValuationMethod>,
    locations: HashMap<LocationId, NegativeStock>,
    /// Every registration in the order made, with its place among the events.
    registrations: Vec<Registered>,
    /// Item x location -> position in `keys`.
    index: Index,
    keys: Vec<Slot>,
    log: Vec<LogEntry>,
    /// Event id -> position in `log` (an event being applied claims its future position).
    by_id: Index,
    /// [`MAX_EVENTS`], lower in tests.
    max_events: usize,
}

impl Default for Ledger {
    /// An empty ledger with the default configuration.
    fn default() -> Self {
        Ledger::new(LedgerConfig::default())
    }
}

impl Ledger {
    /// An empty ledger.
    pub fn new(config: LedgerConfig) -> Self {
        Ledger {
            config,
            items: HashMap::default(),
            locations: HashMap::default(),
            registrations: Vec::new(),
            index: Index::default(),
            keys: Vec::new(),
            log: Vec::new(),
            by_id: Index::default(),
            max_events: MAX_EVENTS,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LedgerConfig {
        &self.config
    }

    /// Registers an item and its valuation method. The method applies to item x
    /// locations that have no entries yet; existing ones keep theirs.
    pub fn register_item(&mut self, item: ItemId, valuation: ValuationMethod) {
        self.register(Registration::Item { item, valuation });
    }

    /// Registers a location and its negative-stock policy (effective for events applied
    /// from now on).
    pub fn register_location(&mut self, location: LocationId, negative: NegativeStock) {
        self.register(Registration::Location { location, negative });
    }

    /// Applies one event.
    ///
    /// # Errors
    ///
    /// A [`LedgerError`] saying why the event was refused; the ledger is then unchanged.
    pub fn apply(&mut self, event: Event) -> Result<Outcome, LedgerError> {
        let keys_before = self.keys.len();
        let res = self.admit(event, None);
        if res.is_err() {
            self.drop_keys_from(keys_before);
        }
        res
    }

    /// Applies events in order, all or nothing.
    ///
    /// # Errors
    ///
    /// A [`BatchError`] naming the first refused event; no event of the batch is applied.
    pub fn apply_batch(&mut self, events: impl IntoIterator<Item = Event>) -> Result<Vec<Outcome>, BatchError> {
        let keys_before = self.keys.len();
        let mut undo: Vec<Applied> = Vec::new();
        let mut outcomes = Vec::new();
        for (index, event) in events.into_iter().enumerate() {
            let mut applied = None;
            match self.admit(event, Some(&mut applied)) {
                Ok(o) => {
                    outcomes.push(o);
                    undo.extend(applied);
                }
                Err(error) => {
                    for a in undo.into_iter().rev() {
                        self.undo_event(a);
                    }
                    self.drop_keys_from(keys_before);
                    return Err(BatchError { index, error });
                }
            }
        }
        Ok(outcomes)
    }

    /// Applies `event` and logs it. The event is only read until it is moved into the log
    /// here, once (it is large: passing it down by value copied it at every call). A batch
    /// passes `applied` to receive what it takes to undo the event.
    fn admit(&mut self, event: Event, applied: Option<&mut Option<Applied>>) -> Result<Outcome, LedgerError> {
        // At most `MAX_EVENTS` (`u32::MAX`), so the position fits the index's 32 bits; a full
        // ledger claims `u32::MAX` for a moment and refuses the event below.
        let seq = self.log.len() as u64;
        // One probe of the id index: claim the id now, give it back if the event is refused.
        // A delivery of a held event is answered here, full ledger or not.
        let h = self.by_id.hash(event.id.as_str());
        let log = &self.log;
        if let Err(prior) =
            self.by_id.claim(h, seq as u32, |p| log.get(p as usize).is_some_and(|l| l.event.id == event.id))
        {
            let entry = &self.log[prior as usize];
            return if entry.event.same_payload(&event) {
                Ok(Outcome { duplicate: true, ..entry.outcome(prior) })
            } else {
                Err(LedgerError::IdempotencyConflict { event: event.id })
            };
        }
        let res =
            check_room(self.log.len(), self.max_events, &event.id).and_then(|()| self.apply_new(&event, seq, applied));
        match res {
            Ok((outcome, posted)) => {
                self.log.push(LogEntry::new(event, outcome, posted));
                Ok(outcome)
            }
            Err(e) => {
                self.by_id.remove(h, seq as u32);
                Err(e)
            }
        }
    }

    /// The position in the log of the accepted event `id`.
    fn position_of(&self, id: &EventId) -> Option<u32> {
        let log = &self.log;
        self.by_id.find(self.by_id.hash(id.as_str()), |p| log.get(p as usize).is_some_and(|l| l.event.id == *id))
    }

    fn apply_new(
        &mut self,
        event: &Event,
        seq: u64,
        applied: Option<&mut Option<Applied>>,
    ) -> Result<(Outcome, Posted), LedgerError> {
        self.validate(event)?;
        let (effects, cancel_target, referenced) = self.lower(event)?;
        let mut done: [Option<Done>; 2] = [None, None];
        let mut late = false;
        let mut reposted = 0u32;
        for (slot, effect) in effects.into_iter().enumerate() {
            let Some(effect) = effect else { continue };
            match self.execute(effect, event, seq) {
                Ok((d, l, n)) => {
                    late |= l;
                    reposted += n;
                    done[slot] = d;
                }
                Err(e) => {
                    for d in done.into_iter().rev().flatten() {
                        self.undo_effect(d);
                    }
                    return Err(e);
                }
            }
        }
        let keys = done.each_ref().map(|d| {
            d.as_ref().map(|d| match d {
                Done::Inserted { key, .. } | Done::Removed { key, .. } => *key,
            })
        });
        let keys = if matches!(event.movement, Movement::Cancel { .. }) { [None, None] } else { keys };
        if let Some(t) = cancel_target {
            self.log[t as usize].cancelled = true;
            if let Some(r) = self.referenced_by(&self.log[t as usize].event) {
                self.log[r as usize].dependents -= 1;
            }
        }
        if let Some(r) = referenced {
            self.log[r as usize].dependents += 1;
        }
        let carried_rate = self.carried_rate(event, seq, keys[0]);
        let outcome = Outcome { seq, late, reposted, duplicate: false };
        if let Some(applied) = applied {
            *applied = Some(Applied { done, cancel_target, referenced });
        }
        Ok((outcome, Posted { keys, carried_rate }))
    }

    /// A transfer's unit cost: the one given, else the source's cost of goods for the
    /// dispatch (value out / units out), fixed when the transfer is admitted.
    fn carried_rate(&self, event: &Event, seq: u64, source: Option<u32>) -> Option<i64> {
        let Movement::TransferOut { qty, unit_cost, .. } = &event.movement else { return None };
        if let Some(c) = unit_cost {
            return i64::try_from(c.as_micros()).ok();
        }
        let change = self.keys[source? as usize].ledger.value_change_of(event.occurred_at, seq)?;
        crate::money::div_round_half_even(-change, i128::from(*qty))
            .and_then(|r| i64::try_from(r).ok())
            .filter(|&r| r != NONE_RATE)
    }

    fn undo_event(&mut self, a: Applied) {
        if let Some(entry) = self.log.pop() {
            // The popped entry's position is the log's new length.
            self.by_id.remove(self.by_id.hash(entry.event.id.as_str()), self.log.len() as u32);
        }
        if let Some(r) = a.referenced {
            self.log[r as usize].dependents -= 1;
        }
        if let Some(t) = a.cancel_target {
            self.log[t as usize].cancelled = false;
            if let Some(r) = self.referenced_by(&self.log[t as usize].event) {
                self.log[r as usize].dependents += 1;
            }
        }
        for d in a.done.into_iter().rev().flatten() {
            self.undo_effect(d);
        }
    }

    fn undo_effect(&mut self, d: Done) {
        match d {
            Done::Inserted { key, at, seq } => {
                let res = self.keys[key as usize].ledger.remove(at, seq, NegativeStock::Allow);
                debug_assert!(matches!(res, Ok(Some(_))), "undo of an insert failed");
            }
            Done::Removed { key, removed } => {
                let Removed { at, seq, op } = removed;
                let res = self.keys[key as usize].ledger.insert(at, seq, op, Guard::NONE);
                debug_assert!(res.is_ok(), "undo of a removal failed");
            }
        }
    }

    fn drop_keys_from(&mut self, n: usize) {
        for (i, slot) in self.keys.iter().enumerate().skip(n) {
            self.index.remove(self.index.hash(&(slot.item.as_str(), slot.location.as_str())), i as u32);
        }
        self.keys.truncate(n);
    }

    /// The position of `item` x `location` in `keys`, if it has one, and the key's hash.
    fn find_key(&self, item: &ItemId, location: &LocationId) -> (Option<u32>, u32) {
        let h = self.index.hash(&(item.as_str(), location.as_str()));
        let keys = &self.keys;
        let found = self.index.find(h, |p| {
            let s = &keys[p as usize];
            s.item == *item && s.location == *location
        });
        (found, h)
    }

    /// The position of `item` x `location` in `keys`, added if it has none.
    fn key_index(&mut self, item: &ItemId, location: &LocationId) -> u32 {
        let (found, h) = self.find_key(item, location);
        if let Some(i) = found {
            return i;
        }
        let method = self.items.get(item).copied().unwrap_or(self.config.default_valuation);
        let negative = self.locations.get(location).copied().unwrap_or(self.config.default_negative);
        let i = self.keys.len() as u32;
        let ledger = KeyLedger::new(method);
        self.keys.push(Slot { item: item.clone(), location: location.clone(), negative, ledger });
        self.index.insert(h, i);
        i
    }

    fn execute(&mut self, effect: Effect, event: &Event, seq: u64) -> Result<(Option<Done>, bool, u32), LedgerError> {
        let key = match effect {
            Effect::Insert { key, .. } | Effect::Remove { key, .. } => key,
        };
        let Slot { negative, ledger, .. } = &mut self.keys[key as usize];
        let negative = *negative;
        let res = match effect {
            Effect::Insert { op, expected, .. } => ledger
                .insert(event.occurred_at, seq, op, Guard { negative, expected })
                .map(|(late, n)| (Some(Done::Inserted { key, at: event.occurred_at, seq }), late, n)),
            Effect::Remove { at, seq: target, .. } => ledger.remove(at, target, negative).map(|r| {
                r.map(|(removed, n)| (Some(Done::Removed { key, removed }), true, n)).unwrap_or((None, false, 0))
            }),
        };
        res.map_err(|e| self.op_error(e, event, key, seq))
    }

    fn op_error(&self, e: OpError, event: &Event, key: u32, seq: u64) -> LedgerError {
        let slot = &self.keys[key as usize];
        let (item, location, id) = (slot.item.clone(), slot.location.clone(), event.id.clone());
        match e {
            OpError::Stale { bucket, expected, actual } => {
                LedgerError::Stale { event: id, item, location, bucket, expected, actual }
            }
            OpError::Negative { at_seq, bucket, qty } => {
                let at_event = if at_seq == seq { id.clone() } else { self.log[at_seq as usize].event.id.clone() };
                LedgerError::NegativeStock { event: id, item, location, bucket, qty, at_event }
            }
            OpError::Overflow => LedgerError::Overflow { event: id, item, location },
        }
    }

    fn validate(&self, e: &Event) -> Result<(), LedgerError> {
        let id = || e.id.clone();
        if e.occurred_at.millis_since(e.recorded_at) > self.config.max_future_skew_ms {
            return Err(LedgerError::FutureEvent {
                event: id(),
                occurred_at: e.occurred_at,
                recorded_at: e.recorded_at,
                max_skew_ms: self.config.max_future_skew_ms,
            });
        }
        if self.config.strict {
            if !self.items.contains_key(&e.item) {
                return Err(LedgerError::UnknownItem { event: id(), item: e.item.clone() });
            }
            let to = match &e.movement {
                Movement::TransferOut { to, .. } => Some(to),
                _ => None,
            };
            for loc in std::iter::once(&e.location).chain(to) {
                if !self.locations.contains_key(loc) {
                    return Err(LedgerError::UnknownLocation { event: id(), location: loc.clone() });
                }
            }
        }
        let max = self.config.max_quantity;
        let positive = |qty: i64| {
            if qty <= 0 {
                Err(LedgerError::NonPositiveQuantity { event: id(), qty })
            } else if qty > max {
                Err(LedgerError::QuantityTooLarge { event: id(), qty, max })
            } else {
                Ok(())
            }
        };
        let absolute = |qty: i64| {
            if qty < 0 {
                Err(LedgerError::NegativeTarget { event: id(), qty })
            } else if qty > max {
                Err(LedgerError::QuantityTooLarge { event: id(), qty, max })
            } else {
                Ok(())
            }
        };
        let cost = |c: &Option<Money>| match c {
            Some(c) if c.as_micros() < 0 || c.as_micros() > MAX_UNIT_COST_MICROS => {
                Err(LedgerError::UnitCostOutOfRange { event: id(), cost: *c })
            }
            _ => Ok(()),
        };
        let invalid = |ok: bool, reason: InvalidMovementReason| {
            if ok { Ok(()) } else { Err(LedgerError::InvalidMovement { event: id(), reason }) }
        };
        match &e.movement {
            Movement::Receipt { against: Some(a), .. } if *a == e.id => {
                invalid(false, InvalidMovementReason::ReceiptFillsItself)
            }
            Movement::TransferIn { transfer, .. } if *transfer == e.id => {
                invalid(false, InvalidMovementReason::TransferInReceivesItself)
            }
            Movement::Receipt { qty, unit_cost, .. } | Movement::Return { qty, unit_cost, .. } => {
                positive(*qty)?;
                cost(unit_cost)
            }
            Movement::Issue { qty, unit_cost, .. } => {
                positive(*qty)?;
                cost(unit_cost)
            }
            Movement::ScheduleReceipt { qty, .. } | Movement::Reserve { qty } | Movement::Release { qty } => {
                positive(*qty)
            }
            Movement::QualityHold { qty } | Movement::Fulfil { qty, .. } | Movement::TransferIn { qty, .. } => {
                positive(*qty)
            }
            Movement::Adjust { delta, unit_cost, .. } => {
                invalid(*delta != 0, InvalidMovementReason::ZeroAdjustment)?;
                positive(delta.checked_abs().unwrap_or(i64::MAX))?;
                cost(unit_cost)
            }
            Movement::Set { qty, unit_cost, .. } | Movement::Count { on_hand: qty, unit_cost } => {
                absolute(*qty)?;
                cost(unit_cost)
            }
            Movement::Move { from, to, qty, .. } => {
                invalid(from != to, InvalidMovementReason::MoveWithinBucket)?;
                positive(*qty)
            }
            Movement::Commit { qty, from } => {
                invalid(*from != Bucket::Committed, InvalidMovementReason::CommitFromCommitted)?;
                positive(*qty)
            }
            Movement::Damage { qty, from } => {
                invalid(*from != Bucket::Damaged, InvalidMovementReason::DamageFromDamaged)?;
                positive(*qty)
            }
            Movement::QualityRelease { qty, to } => {
                invalid(*to != Bucket::QualityControl, InvalidMovementReason::QualityReleaseIntoQualityControl)?;
                positive(*qty)
            }
            Movement::TransferOut { to, qty, unit_cost, .. } => {
                invalid(*to != e.location, InvalidMovementReason::TransferWithinLocation)?;
                positive(*qty)?;
                cost(unit_cost)
            }
            Movement::Cancel { target } => invalid(*target != e.id, InvalidMovementReason::CancelsItself),
        }
    }

    /// The logged event `target` that `e` names (a cancellation's, a fill's or a transfer
    /// receipt's), with its position.
    fn logged(&self, e: &Event, target: &EventId) -> Result<(u32, &LogEntry), LedgerError> {
        // The id map already holds this event's own (claimed) id: only logged events count.
        self.position_of(target)
            .and_then(|t| Some((t, self.log.get(t as usize)?)))
            .ok_or_else(|| LedgerError::UnknownTarget { event: e.id.clone(), target: target.clone() })
    }

    /// The live event `target` refers to, checked to be a `want`.
    fn target(&self, e: &Event, target: &EventId, want: Referenced) -> Result<u32, LedgerError> {
        let (t, entry) = self.logged(e, target)?;
        let bad = |reason| LedgerError::InvalidTarget { event: e.id.clone(), target: target.clone(), reason };
        if !want.is(&entry.event.movement) {
            return Err(bad(want.otherwise()));
        }
        if entry.cancelled {
            return Err(bad(InvalidTargetReason::Cancelled));
        }
        if entry.event.item != e.item {
            return Err(bad(InvalidTargetReason::OtherItem));
        }
        if e.occurred_at < entry.event.occurred_at {
            return Err(bad(InvalidTargetReason::OccursLater));
        }
        Ok(t)
    }

    /// The event a (transfer receipt, scheduled fill) event refers to, if any.
    fn referenced_by(&self, e: &Event) -> Option<u32> {
        match &e.movement {
            Movement::TransferIn { transfer, .. } => self.position_of(transfer),
            Movement::Receipt { against: Some(s), .. } => self.position_of(s),
            _ => None,
        }
    }

    #[allow(clippy::type_complexity)]
    fn lower(&mut self, e: &Event) -> Result<([Option<Effect>; 2], Option<u32>, Option<u32>), LedgerError> {
        // Admitted unit costs are at most 10^18 micro-units, so they fit an i64.
        let rate = |c: &Option<Money>| c.and_then(|m| i64::try_from(m.as_micros()).ok());
        let mv = |from, to, qty| Op::Move { from, to, qty };
        let mut referenced = None;
        let (op, expected) = match &e.movement {
            Movement::Receipt { qty, unit_cost, to, against, close } => {
                let line = match against {
                    Some(s) => {
                        let t = self.target(e, s, Referenced::ScheduledReceipt)?;
                        if self.log[t as usize].event.location != e.location {
                            return Err(LedgerError::InvalidTarget {
                                event: e.id.clone(),
                                target: s.clone(),
                                reason: InvalidTargetReason::OtherLocation,
                            });
                        }
                        referenced = Some(t);
                        Some(LineRef { seq: u64::from(t), kind: LineKind::Incoming, close: *close })
                    }
                    None => None,
                };
                (Op::Add { bucket: *to, qty: *qty, rate: rate(unit_cost), line }, None)
            }
            Movement::ScheduleReceipt { qty, expected_at } => {
                (Op::Open { kind: LineKind::Incoming, qty: *qty, expected_at: Some(*expected_at) }, None)
            }
            Movement::Issue { qty, from, unit_cost } => {
                (Op::Remove { bucket: *from, qty: *qty, rate: rate(unit_cost) }, None)
            }
            Movement::Adjust { bucket, delta, expected, unit_cost } => {
                (Op::Adjust { bucket: *bucket, delta: *delta, rate: rate(unit_cost) }, expected.map(|x| (*bucket, x)))
            }
            Movement::Set { bucket, qty, expected, unit_cost } => {
                (Op::Set { bucket: *bucket, qty: *qty, rate: rate(unit_cost) }, expected.map(|x| (*bucket, x)))
            }
            Movement::Count { on_hand, unit_cost } => (Op::Count { on_hand: *on_hand, rate: rate(unit_cost) }, None),
            Movement::Move { from, to, qty, expected } => (mv(*from, *to, *qty), expected.map(|x| (*from, x))),
            Movement::Reserve { qty } => (mv(Bucket::Available, Bucket::Reserved, *qty), None),
            Movement::Release { qty } => (mv(Bucket::Reserved, Bucket::Available, *qty), None),
            Movement::Commit { qty, from } => (mv(*from, Bucket::Committed, *qty), None),
            Movement::Fulfil { qty, from } => (Op::Remove { bucket: *from, qty: *qty, rate: None }, None),
            Movement::Damage { qty, from } => (mv(*from, Bucket::Damaged, *qty), None),
            Movement::QualityHold { qty } => (mv(Bucket::Available, Bucket::QualityControl, *qty), None),
            Movement::QualityRelease { qty, to } => (mv(Bucket::QualityControl, *to, *qty), None),
            Movement::Return { qty, to, unit_cost } => {
                (Op::Add { bucket: *to, qty: *qty, rate: rate(unit_cost), line: None }, None)
            }
            Movement::TransferOut { to, qty, expected_at, .. } => {
                let src = self.key_index(&e.item, &e.location);
                let dst = self.key_index(&e.item, to);
                let out = Op::Remove { bucket: Bucket::Available, qty: *qty, rate: None };
                let transit = Op::Open { kind: LineKind::InTransit, qty: *qty, expected_at: *expected_at };
                return Ok((
                    [
                        Some(Effect::Insert { key: src, op: out, expected: None }),
                        Some(Effect::Insert { key: dst, op: transit, expected: None }),
                    ],
                    None,
                    None,
                ));
            }
            Movement::TransferIn { transfer, qty, close } => {
                let t = self.target(e, transfer, Referenced::TransferOut)?;
                let out = &self.log[t as usize];
                let (Movement::TransferOut { to, .. }, carried) = (&out.event.movement, out.carried_rate()) else {
                    return Err(LedgerError::InvalidTarget {
                        event: e.id.clone(),
                        target: transfer.clone(),
                        reason: InvalidTargetReason::NotTransferOut,
                    });
                };
                if *to != e.location {
                    return Err(LedgerError::InvalidTarget {
                        event: e.id.clone(),
                        target: transfer.clone(),
                        reason: InvalidTargetReason::BoundElsewhere,
                    });
                }
                referenced = Some(t);
                let line = Some(LineRef { seq: u64::from(t), kind: LineKind::InTransit, close: *close });
                (Op::Add { bucket: Bucket::Available, qty: *qty, rate: carried, line }, None)
            }
            Movement::Cancel { target } => {
                let (t, entry) = self.logged(e, target)?;
                let bad = |reason| LedgerError::InvalidTarget { event: e.id.clone(), target: target.clone(), reason };
                // First, so that the answer does not depend on where the target lives
                // (`SharedLedger` answers it before looking into the target's shard).
                if entry.event.item != e.item || entry.event.location != e.location {
                    return Err(cancel_mismatch(e, &entry.event));
                }
                if matches!(entry.event.movement, Movement::Cancel { .. }) {
                    return Err(bad(InvalidTargetReason::CancelsCancellation));
                }
                if entry.cancelled {
                    return Err(bad(InvalidTargetReason::AlreadyCancelled));
                }
                if entry.dependents > 0 {
                    return Err(bad(InvalidTargetReason::HasDependents));
                }
                let (at, seq) = (entry.event.occurred_at, u64::from(t));
                let effects = entry.keys().map(|k| k.map(|key| Effect::Remove { key, at, seq }));
                return Ok((effects, Some(t), None));
            }
        };
        let key = self.key_index(&e.item, &e.location);
        Ok(([Some(Effect::Insert { key, op, expected }), None], None, referenced))
    }

    fn key(&self, item: &ItemId, location: &LocationId) -> Option<&KeyLedger> {
        self.find_key(item, location).0.map(|i| &self.keys[i as usize].ledger)
    }

    /// Current quantities of one item x location (all zero when it has no entries).
    pub fn levels(&self, item: &ItemId, location: &LocationId) -> Levels {
        self.key(item, location).map(KeyLedger::levels).unwrap_or_default()
    }

    /// Quantities as of instant `at`: every entry with `occurred_at <= at`.
    pub fn levels_at(&self, item: &ItemId, location: &LocationId, at: Timestamp) -> Levels {
        self.key(item, location).map(|k| k.levels_at(at)).unwrap_or_default()
    }

    /// Stock value as of instant `at`.
    pub fn value_at(&self, item: &ItemId, location: &LocationId, at: Timestamp) -> Money {
        Money::from_micros(self.key(item, location).map_or(0, |k| k.value_at(at)))
    }

    /// Quantities of an item summed over every location (docs/oracles.md A10, A11).
    pub fn levels_across(&self, item: &ItemId) -> Levels {
        self.keys
            .iter()
            .filter(|s| s.item == *item)
            .fold(Levels::default(), |acc, s| acc.saturating_add(&s.ledger.levels()))
    }

    /// Current valuation of one item x location.
    pub fn valuation(&self, item: &ItemId, location: &LocationId) -> Valuation {
        let method = self
            .key(item, location)
            .map_or_else(|| self.items.get(item).copied().unwrap_or(self.config.default_valuation), |k| k.method);
        let Some(k) = self.key(item, location) else {
            return Valuation { method, quantity: 0, value: Money::ZERO, unit_cost: None, layers: Vec::new() };
        };
        let state = k.final_state();
        let v = &state.val;
        Valuation {
            method,
            quantity: v.qty,
            value: Money::from_micros(v.value),
            unit_cost: (v.qty > 0).then(|| Money::from_micros(v.value).mul_div(1, v.qty)).flatten(),
            layers: v.fifo.iter().map(|&(qty, r)| Layer { qty, rate: Money::from_micros(r) }).collect(),
        }
    }

    /// The running history of one item x location, in event-time order. Cancelled events
    /// are not in it (they are in [`Ledger::events`], with the cancellation).
    pub fn history<'a>(&'a self, item: &ItemId, location: &LocationId) -> impl Iterator<Item = HistoryEntry<'a>> + 'a {
        let mut prev = 0i128;
        self.key(item, location).into_iter().flat_map(|k| k.running()).map(move |(e, levels, value)| {
            let change = value - prev;
            prev = value;
            HistoryEntry {
                event: &self.log[e.seq() as usize].event,
                levels,
                value: Money::from_micros(value),
                value_change: Money::from_micros(change),
            }
        })
    }

    /// Cumulative available-to-promise at the end of each bucket: current `available`
    /// (on hand less committed, reserved and held stock) plus open scheduled receipts and
    /// inbound transfers expected by then. Lines already overdue, and transfers with no
    /// expected date, count in the first bucket; lines expected after the last end are left
    /// out.
    ///
    /// # Errors
    ///
    /// [`QueryError::BucketsNotAscending`] when `ends` does not increase strictly.
    pub fn atp(&self, item: &ItemId, location: &LocationId, ends: &[Timestamp]) -> Result<Vec<AtpBucket>, QueryError> {
        if ends.windows(2).any(|w| w[0] >= w[1]) {
            return Err(QueryError::BucketsNotAscending);
        }
        let Some(k) = self.key(item, location) else {
            return Ok(ends.iter().map(|&end| AtpBucket { end, receipts: 0, cumulative: 0 }).collect());
        };
        let mut receipts = vec![0i64; ends.len()];
        let state = k.final_state();
        for line in &state.lines {
            let at = line.expected_at.unwrap_or(Timestamp::from_millis(i64::MIN));
            let slot = ends.partition_point(|&end| end < at);
            if let Some(r) = receipts.get_mut(slot) {
                *r = r.saturating_add(line.remaining);
            }
        }
        let mut cumulative = state.levels.available;
        Ok(ends
            .iter()
            .zip(receipts)
            .map(|(&end, r)| {
                cumulative = cumulative.saturating_add(r);
                AtpBucket { end, receipts: r, cumulative }
            })
            .collect())
    }

    /// Every accepted event in recording order, cancellations included. Replaying them
    /// with [`Ledger::registrations`] ([`Ledger::replay`]) reproduces this ledger.
    pub fn events(&self) -> impl ExactSizeIterator<Item = &Event> + '_ {
        self.log.iter().map(|l| &l.event)
    }

    /// The event with id `id`, if it was accepted.
    pub fn event(&self, id: &EventId) -> Option<&Event> {
        self.position_of(id).map(|i| &self.log[i as usize].event)
    }

    /// Whether event `id` was cancelled.
    pub fn is_cancelled(&self, id: &EventId) -> bool {
        self.position_of(id).is_some_and(|i| self.log[i as usize].cancelled)
    }

    /// Number of accepted events.
    pub fn len(&self) -> usize {
        self.log.len()
    }

    /// Whether no event was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// Every item x location with entries, in order of first appearance.
    pub fn keys(&self) -> impl Iterator<Item = (&ItemId, &LocationId)> + '_ {
        self.keys.iter().filter(|s| !s.ledger.is_empty()).map(|s| (&s.item, &s.location))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_refuses_the_next_event() {
        let id = EventId::new("e").unwrap();
        assert_eq!(check_room(0, MAX_EVENTS, &id), Ok(()));
        assert_eq!(check_room(MAX_EVENTS - 1, MAX_EVENTS, &id), Ok(()));
        assert_eq!(
            check_room(MAX_EVENTS, MAX_EVENTS, &id),
            Err(LedgerError::Full { event: id.clone(), max: MAX_EVENTS })
        );
        // The last position taken is below the "none" sentinel of stored positions.
        assert!(u64::try_from(MAX_EVENTS - 1).unwrap() < u64::from(NONE_U32));
        // No setting lifts the bound.
        assert!(check_room(MAX_EVENTS, usize::MAX, &id).is_err());
    }

    #[test]
    fn a_full_ledger_still_answers_redeliveries_and_changes_nothing() {
        use crate::{ItemId, LocationId, SourceId};
        let ev = |id: &str, day: i64, m: Movement| {
            Event::new(
                EventId::new(id).unwrap(),
                SourceId::new("erp").unwrap(),
                ItemId::new("SKU").unwrap(),
                LocationId::new("S1").unwrap(),
                Timestamp::from_days(day),
                m,
            )
        };
        assert_eq!(Ledger::default().max_events, MAX_EVENTS);
        let mut l = Ledger::new(LedgerConfig::default());
        l.max_events = 2;
        let first = l.apply(ev("r1", 1, Movement::receipt(10))).unwrap();
        l.apply(ev("s1", 2, Movement::issue(3))).unwrap();
        let before = (l.len(), l.levels(&ItemId::new("SKU").unwrap(), &LocationId::new("S1").unwrap()));
        let third = ev("r2", 3, Movement::receipt(5));
        assert_eq!(l.apply(third.clone()), Err(LedgerError::Full { event: third.id.clone(), max: 2 }));
        assert!(l.apply_batch([third]).is_err());
        assert_eq!(l.apply(ev("r1", 1, Movement::receipt(10))), Ok(Outcome { duplicate: true, ..first }));
        assert_eq!(
            l.apply(ev("r1", 1, Movement::receipt(11))),
            Err(LedgerError::IdempotencyConflict { event: EventId::new("r1").unwrap() })
        );
        assert_eq!((l.len(), l.levels(&ItemId::new("SKU").unwrap(), &LocationId::new("S1").unwrap())), before);
    }
}
