//! A thread-safe ledger handle for services, sharded by item.

use foldhash::HashMap;
use std::collections::hash_map::Entry as MapEntry;
use std::sync::{Mutex, MutexGuard};

use super::{
    BatchError, Event, Ledger, LedgerConfig, LedgerError, Levels, Movement, NegativeStock, Outcome, ValuationMethod,
};
use crate::rng::fnv1a64;
use crate::{EventId, ItemId, LocationId};

/// A [`Ledger`] shared by many threads (`&SharedLedger` is `Send + Sync`).
///
/// Items are spread over shards by a hash of their id; each shard is a [`Ledger`] behind
/// its own lock, so threads working on unrelated items rarely wait for each other. Every
/// location of an item lives in the item's shard, so transfers (which move one item
/// between locations) stay inside one shard and keep their atomicity.
///
/// Guarantees, across threads:
///
/// * **Compare-and-set** is checked and applied under the shard's lock: of two racing
///   writers holding the same expected quantity, one wins and the other gets
///   [`LedgerError::Stale`]. No update is lost.
/// * **Idempotency** holds ledger-wide: event ids are registered in a separate sharded
///   index, so an id reused for another item (another shard) is an
///   [`LedgerError::IdempotencyConflict`], exactly as in one [`Ledger`].
/// * Each shard's state is what its events, in its recording order, produce; the
///   negative-stock policy is enforced per shard as in [`Ledger`].
///
/// Differences from one [`Ledger`]: [`Outcome::seq`] counts per shard; a cancellation,
/// transfer receipt or scheduled-receipt fill must name the item of the event it refers to
/// (it is looked up in that item's shard); a batch must stay within one shard (one item,
/// or items that share a shard), otherwise it is refused whole
/// ([`SharedLedger::apply_batch`]).
///
/// ```
/// use std::sync::Arc;
/// use invsync_core::ledger::{Event, LedgerConfig, Movement, SharedLedger};
/// use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = Arc::new(SharedLedger::new(LedgerConfig::default(), 16));
/// let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
/// let workers: Vec<_> = (0..4)
///     .map(|t| {
///         let (ledger, item, store) = (ledger.clone(), item.clone(), store.clone());
///         std::thread::spawn(move || {
///             for n in 0..100 {
///                 let id = EventId::new(format!("t{t}-{n}")).unwrap();
///                 let e = Event::new(id, SourceId::new("pos").unwrap(), item.clone(), store.clone(),
///                                    Timestamp::from_days(1), Movement::receipt(1));
///                 ledger.apply(e).unwrap();
///             }
///         })
///     })
///     .collect();
/// for w in workers {
///     w.join().unwrap();
/// }
/// assert_eq!(ledger.levels(&item, &store).on_hand(), 400);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SharedLedger {
    shards: Vec<Mutex<Ledger>>,
    /// Event id -> the shard that holds it, itself sharded by id.
    ids: Vec<Mutex<HashMap<EventId, u32>>>,
}

/// Locks `m`. A shard is only ever mutated through [`Ledger`] methods, which leave it
/// consistent or unchanged when they return; invsync does not panic while holding a lock,
/// so a poisoned lock (a panic elsewhere in the caller's thread) is recovered.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SharedLedger {
    /// A handle with `shards` shards (at least one; a few per core is a good start).
    pub fn new(config: LedgerConfig, shards: usize) -> Self {
        let n = shards.max(1);
        SharedLedger {
            shards: (0..n).map(|_| Mutex::new(Ledger::new(config.clone()))).collect(),
            ids: (0..n).map(|_| Mutex::new(HashMap::default())).collect(),
        }
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard of `item`: a stable hash (FNV-1a of its text), so the layout is the same
    /// in every process.
    pub fn shard_of(&self, item: &ItemId) -> usize {
        (fnv1a64(item.as_str().as_bytes()) % self.shards.len() as u64) as usize
    }

    fn id_shard(&self, id: &EventId) -> &Mutex<HashMap<EventId, u32>> {
        &self.ids[(fnv1a64(id.as_str().as_bytes()) % self.ids.len() as u64) as usize]
    }

    /// Registers an item's valuation method (in its shard).
    pub fn register_item(&self, item: ItemId, valuation: ValuationMethod) {
        lock(&self.shards[self.shard_of(&item)]).register_item(item, valuation);
    }

    /// Registers a location's negative-stock policy (in every shard).
    pub fn register_location(&self, location: LocationId, negative: NegativeStock) {
        for s in &self.shards {
            lock(s).register_location(location.clone(), negative);
        }
    }

    /// Claims `id` for `shard`: an id held by another shard is a conflict.
    fn claim(&self, id: &EventId, shard: u32) -> Result<bool, LedgerError> {
        match lock(self.id_shard(id)).entry(id.clone()) {
            MapEntry::Occupied(o) if *o.get() != shard => Err(LedgerError::IdempotencyConflict { event: id.clone() }),
            MapEntry::Occupied(_) => Ok(false),
            MapEntry::Vacant(v) => {
                v.insert(shard);
                Ok(true)
            }
        }
    }

    /// Gives back the claims of a refused event or batch. Claims are taken and given back
    /// only under the shard's lock (lock order: shard, then id index), so every claim of a
    /// shard is settled before another thread sees the shard.
    fn unclaim(&self, ids: &[EventId]) {
        for id in ids {
            lock(self.id_shard(id)).remove(id);
        }
    }

    /// A cancellation whose target is held by another shard names another item (every event
    /// of an item is in the item's shard): refused as one [`Ledger`] refuses it, whatever
    /// the shard count. Takes one lock at a time (the id index, then the target's shard),
    /// and none while the caller holds a shard.
    fn cross_shard_cancel(&self, e: &Event, shard: usize) -> Option<LedgerError> {
        let Movement::Cancel { target } = &e.movement else { return None };
        let held = lock(self.id_shard(target)).get(target).copied()?;
        if held as usize == shard {
            return None;
        }
        let owner = lock(self.shards.get(held as usize)?);
        let t = owner.event(target)?;
        Some(super::cancel_mismatch(e, t))
    }

    /// Applies one event under its shard's lock. See [`Ledger::apply`].
    ///
    /// # Errors
    ///
    /// The [`LedgerError`] saying why it was refused; nothing is applied.
    pub fn apply(&self, event: Event) -> Result<Outcome, LedgerError> {
        let shard = self.shard_of(&event.item);
        if let Some(error) = self.cross_shard_cancel(&event, shard) {
            return Err(error);
        }
        let mut ledger = lock(&self.shards[shard]);
        let id = event.id.clone();
        let fresh = self.claim(&id, shard as u32)?;
        let res = ledger.apply(event);
        if res.is_err() && fresh {
            self.unclaim(std::slice::from_ref(&id));
        }
        res
    }

    /// Applies events atomically, all in one shard. See [`Ledger::apply_batch`].
    ///
    /// # Errors
    ///
    /// A [`BatchError`] naming the first refused event, or
    /// [`LedgerError::BatchSpansShards`] (at the first event of another shard) when the
    /// events live in more than one shard; nothing is applied.
    pub fn apply_batch(&self, events: Vec<Event>) -> Result<Vec<Outcome>, BatchError> {
        let Some(first) = events.first() else { return Ok(Vec::new()) };
        let shard = self.shard_of(&first.item);
        if let Some(index) = events.iter().position(|e| self.shard_of(&e.item) != shard) {
            let error = LedgerError::BatchSpansShards { event: events[index].id.clone() };
            return Err(BatchError { index, error });
        }
        if let Some((index, error)) =
            events.iter().enumerate().find_map(|(i, e)| Some((i, self.cross_shard_cancel(e, shard)?)))
        {
            return Err(BatchError { index, error });
        }
        let mut ledger = lock(&self.shards[shard]);
        let mut claimed = Vec::new();
        for (index, e) in events.iter().enumerate() {
            match self.claim(&e.id, shard as u32) {
                Ok(true) => claimed.push(e.id.clone()),
                Ok(false) => {}
                Err(error) => {
                    self.unclaim(&claimed);
                    return Err(BatchError { index, error });
                }
            }
        }
        let res = ledger.apply_batch(events);
        if res.is_err() {
            self.unclaim(&claimed);
        }
        res
    }

    /// Current quantities of one item x location.
    pub fn levels(&self, item: &ItemId, location: &LocationId) -> Levels {
        lock(&self.shards[self.shard_of(item)]).levels(item, location)
    }

    /// Runs `f` on the ledger shard holding `item`, under its lock (for any read the
    /// handle does not offer directly: history, valuation, as-of queries ...).
    pub fn with_shard<T>(&self, item: &ItemId, f: impl FnOnce(&Ledger) -> T) -> T {
        f(&lock(&self.shards[self.shard_of(item)]))
    }

    /// Number of accepted events over all shards.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Whether no event was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shards' ledgers, giving up the handle (shard `i` is `shard_of(item) == i`).
    pub fn into_shards(self) -> Vec<Ledger> {
        self.shards.into_iter().map(|m| m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)).collect()
    }
}
