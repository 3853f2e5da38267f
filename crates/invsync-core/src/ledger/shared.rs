//! A thread-safe ledger handle for services, sharded by item.

use foldhash::HashMap;
use std::cell::Cell;
use std::sync::{Mutex, MutexGuard};

use super::{
    BatchError, Event, Ledger, LedgerConfig, LedgerError, Levels, Movement, NegativeStock, Outcome, QueryError,
    Registered, ValuationMethod,
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
/// * **Idempotency** holds ledger-wide and is linearizable: the ids of accepted events
///   are kept in a separate sharded index, and an event's id is looked up, the event
///   applied and the id recorded while the id's index lock is held. An id reused for
///   another item (another shard) is an [`LedgerError::IdempotencyConflict`], exactly as
///   in one [`Ledger`]; an event that is refused never blocks another event with its id
///   (every outcome is that of some serial order of the calls).
/// * Each shard's state is what its events, in its recording order, produce; the
///   negative-stock policy is enforced per shard as in [`Ledger`].
/// * **No deadlock by re-entry.** Calling any `SharedLedger` method from inside a
///   [`SharedLedger::with_shard`] closure (on the same thread) is refused with
///   [`LedgerError::Reentrant`] (a query: [`QueryError::Reentrant`]) instead of waiting
///   for a lock the thread holds.
/// * **A shard whose apply panicked is out of service.** Its state may be half-updated,
///   so every later call touching it is refused with [`LedgerError::ShardPoisoned`]
///   (a query: [`QueryError::ShardPoisoned`]) until [`SharedLedger::rebuild_shard`] replays it from its events.
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
/// assert_eq!(ledger.levels(&item, &store)?.on_hand(), 400);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SharedLedger {
    shards: Vec<Mutex<Shard>>,
    /// Event id -> the shard that holds it, for accepted events only, itself sharded by id.
    ids: Vec<Mutex<HashMap<EventId, u32>>>,
}

/// One shard: a ledger and whether a mutation of it was interrupted by a panic.
#[derive(Debug)]
struct Shard {
    ledger: Ledger,
    /// Set before every mutation and cleared after it returns: still set means a panic
    /// unwound through the mutation, and the ledger may be half-updated.
    broken: bool,
    /// Tests only: panic after the next mutation (the ledger changed, the caller not told).
    #[cfg(test)]
    inject_panic: bool,
}

impl Shard {
    /// Runs a mutation, leaving the shard marked broken if it panics.
    fn mutate<T>(&mut self, f: impl FnOnce(&mut Ledger) -> T) -> T {
        self.broken = true;
        let out = f(&mut self.ledger);
        #[cfg(test)]
        if std::mem::take(&mut self.inject_panic) {
            panic!("injected panic after a shard mutation");
        }
        self.broken = false;
        out
    }
}

thread_local! {
    /// How many `with_shard` closures the current thread is running (re-entry guard).
    static IN_CLOSURE: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as running a `with_shard` closure until dropped (also when
/// the closure panics).
struct ClosureScope;

impl ClosureScope {
    fn enter() -> Self {
        IN_CLOSURE.with(|c| c.set(c.get() + 1));
        ClosureScope
    }
}

impl Drop for ClosureScope {
    fn drop(&mut self) {
        IN_CLOSURE.with(|c| c.set(c.get() - 1));
    }
}

/// Refuses a call made from inside a `with_shard` closure: the thread holds a shard lock,
/// and taking another (or the same) one could deadlock.
fn not_reentrant() -> Result<(), Refusal> {
    if IN_CLOSURE.with(Cell::get) > 0 { Err(Refusal::Reentrant) } else { Ok(()) }
}

/// Why the handle refused a call before reaching a ledger: a [`LedgerError`] for an apply
/// or registration, a [`QueryError`] for a query.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Reentrant,
    Poisoned(usize),
}

impl From<Refusal> for LedgerError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Reentrant => LedgerError::Reentrant,
            Refusal::Poisoned(shard) => LedgerError::ShardPoisoned { shard },
        }
    }
}

impl From<Refusal> for QueryError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Reentrant => QueryError::Reentrant,
            Refusal::Poisoned(shard) => QueryError::ShardPoisoned { shard },
        }
    }
}

/// Locks an id-index shard. The index only ever holds ids of accepted events and is
/// changed by single `insert`/`retain` calls after the ledger accepted them, so a panic
/// while the lock is held (in a shard's apply) leaves it consistent: its poison is
/// recovered. (A shard's own poison is tracked by [`Shard::broken`], not by the lock.)
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Id-index shards per ledger shard: the id lock is held while an event is applied, so
/// more of them make two threads on unrelated items meet on one less often.
const ID_SHARDS_PER_SHARD: usize = 4;

impl SharedLedger {
    /// A handle with `shards` shards (at least one; a few per core is a good start).
    pub fn new(config: LedgerConfig, shards: usize) -> Self {
        let n = shards.max(1);
        SharedLedger {
            shards: (0..n)
                .map(|_| {
                    Mutex::new(Shard {
                        ledger: Ledger::new(config.clone()),
                        broken: false,
                        #[cfg(test)]
                        inject_panic: false,
                    })
                })
                .collect(),
            ids: (0..(n * ID_SHARDS_PER_SHARD).max(64)).map(|_| Mutex::new(HashMap::default())).collect(),
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

    fn id_shard_of(&self, id: &EventId) -> usize {
        (fnv1a64(id.as_str().as_bytes()) % self.ids.len() as u64) as usize
    }

    /// Locks shard `shard` for work: refused from inside a `with_shard` closure, and
    /// while the shard is out of service after a panic.
    fn shard(&self, shard: usize) -> Result<MutexGuard<'_, Shard>, Refusal> {
        not_reentrant()?;
        let guard = lock(&self.shards[shard]);
        if guard.broken {
            return Err(Refusal::Poisoned(shard));
        }
        Ok(guard)
    }

    /// Registers an item's valuation method (in its shard).
    ///
    /// # Errors
    ///
    /// [`LedgerError::Reentrant`] from inside a [`with_shard`](Self::with_shard) closure,
    /// [`LedgerError::ShardPoisoned`] when the item's shard is out of service.
    pub fn register_item(&self, item: ItemId, valuation: ValuationMethod) -> Result<(), LedgerError> {
        self.shard(self.shard_of(&item))?.mutate(|l| l.register_item(item, valuation));
        Ok(())
    }

    /// Registers a location's negative-stock policy (in every shard, all or none).
    ///
    /// # Errors
    ///
    /// [`LedgerError::Reentrant`] from inside a [`with_shard`](Self::with_shard) closure,
    /// [`LedgerError::ShardPoisoned`] when any shard is out of service (nothing is
    /// registered then).
    pub fn register_location(&self, location: LocationId, negative: NegativeStock) -> Result<(), LedgerError> {
        // Every shard locked at once, in ascending order (see the lock order in `apply`).
        let mut all = (0..self.shards.len()).map(|s| self.shard(s)).collect::<Result<Vec<_>, _>>()?;
        for s in &mut all {
            s.mutate(|l| l.register_location(location.clone(), negative));
        }
        Ok(())
    }

    /// A cancellation whose target is held by another shard names another item (every event
    /// of an item is in the item's shard): refused as one [`Ledger`] refuses it, whatever
    /// the shard count. Takes one lock at a time (the target's id lock, released, then the
    /// target's shard, only read) and is called holding none.
    fn cross_shard_cancel(&self, e: &Event, shard: usize) -> Option<LedgerError> {
        let Movement::Cancel { target } = &e.movement else { return None };
        let held = lock(&self.ids[self.id_shard_of(target)]).get(target).copied()?;
        if held as usize == shard {
            return None;
        }
        let owner = lock(self.shards.get(held as usize)?);
        let t = owner.ledger.event(target)?;
        Some(super::cancel_mismatch(e, t))
    }

    /// Applies one event under its shard's lock. See [`Ledger::apply`].
    ///
    /// Lock order, everywhere: shard locks in ascending order, then id-index locks in
    /// ascending order; a thread never waits for a shard while holding an id lock.
    ///
    /// # Errors
    ///
    /// The [`LedgerError`] saying why it was refused; nothing is applied. Also
    /// [`LedgerError::Reentrant`] and [`LedgerError::ShardPoisoned`].
    pub fn apply(&self, event: Event) -> Result<Outcome, LedgerError> {
        let shard = self.shard_of(&event.item);
        not_reentrant()?;
        if let Some(error) = self.cross_shard_cancel(&event, shard) {
            return Err(error);
        }
        let mut guard = self.shard(shard)?;
        // The id's lock is held from the look-up until the id is recorded: another
        // shard's event with this id waits for this one's outcome instead of seeing a
        // claim that may be given back.
        let mut ids = lock(&self.ids[self.id_shard_of(&event.id)]);
        if ids.get(&event.id).is_some_and(|&s| s != shard as u32) {
            return Err(LedgerError::IdempotencyConflict { event: event.id });
        }
        let id = event.id.clone();
        let res = guard.mutate(|l| l.apply(event));
        if res.is_ok() {
            ids.insert(id, shard as u32);
        }
        res
    }

    /// Applies events atomically, all in one shard. See [`Ledger::apply_batch`].
    ///
    /// The id-index locks of all the batch's ids are held while it is applied, so a large
    /// batch briefly excludes other threads' events whose ids share one of them.
    ///
    /// # Errors
    ///
    /// A [`BatchError`] naming the first refused event, or
    /// [`LedgerError::BatchSpansShards`] (at the first event of another shard) when the
    /// events live in more than one shard; nothing is applied. [`LedgerError::Reentrant`]
    /// and [`LedgerError::ShardPoisoned`] are reported at index 0.
    pub fn apply_batch(&self, events: Vec<Event>) -> Result<Vec<Outcome>, BatchError> {
        let Some(first) = events.first() else { return Ok(Vec::new()) };
        let shard = self.shard_of(&first.item);
        if let Some(index) = events.iter().position(|e| self.shard_of(&e.item) != shard) {
            let error = LedgerError::BatchSpansShards { event: events[index].id.clone() };
            return Err(BatchError { index, error });
        }
        not_reentrant().map_err(|r| BatchError { index: 0, error: r.into() })?;
        if let Some((index, error)) =
            events.iter().enumerate().find_map(|(i, e)| Some((i, self.cross_shard_cancel(e, shard)?)))
        {
            return Err(BatchError { index, error });
        }
        let mut guard = self.shard(shard).map_err(|r| BatchError { index: 0, error: r.into() })?;
        let slots: Vec<usize> = events.iter().map(|e| self.id_shard_of(&e.id)).collect();
        let mut order = slots.clone();
        order.sort_unstable();
        order.dedup();
        let mut locked: Vec<MutexGuard<'_, HashMap<EventId, u32>>> =
            order.iter().map(|&i| lock(&self.ids[i])).collect();
        let at = |slot: usize| order.binary_search(&slot).unwrap_or_default();
        for (index, (e, &slot)) in events.iter().zip(&slots).enumerate() {
            if locked[at(slot)].get(&e.id).is_some_and(|&s| s != shard as u32) {
                let error = LedgerError::IdempotencyConflict { event: e.id.clone() };
                return Err(BatchError { index, error });
            }
        }
        let ids: Vec<EventId> = events.iter().map(|e| e.id.clone()).collect();
        let res = guard.mutate(|l| l.apply_batch(events));
        if res.is_ok() {
            for (id, &slot) in ids.into_iter().zip(&slots) {
                locked[at(slot)].insert(id, shard as u32);
            }
        }
        res
    }

    /// Current quantities of one item x location.
    ///
    /// # Errors
    ///
    /// [`QueryError::Reentrant`] from inside a [`with_shard`](Self::with_shard) closure,
    /// [`QueryError::ShardPoisoned`] when the item's shard is out of service.
    pub fn levels(&self, item: &ItemId, location: &LocationId) -> Result<Levels, QueryError> {
        Ok(self.shard(self.shard_of(item))?.ledger.levels(item, location))
    }

    /// Runs `f` on the ledger shard holding `item`, under its lock (for any read the
    /// handle does not offer directly: history, valuation, as-of queries ...).
    ///
    /// `f` must not call back into a `SharedLedger` (it holds a shard lock): such calls
    /// are refused (`Reentrant`) instead of deadlocking. (A call from another
    /// thread that `f` waits for is not detected and would deadlock.)
    ///
    /// ```
    /// use invsync_core::ledger::{LedgerConfig, QueryError, SharedLedger};
    /// use invsync_core::{ItemId, LocationId};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let shared = SharedLedger::new(LedgerConfig::default(), 4);
    /// let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
    /// let entries = shared.with_shard(&item, |l| l.history(&item, &store).count())?;
    /// assert_eq!(entries, 0);
    /// let inner = shared.with_shard(&item, |_| shared.levels(&item, &store))?;
    /// assert_eq!(inner, Err(QueryError::Reentrant));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`QueryError::Reentrant`] when called from inside another `with_shard` closure,
    /// [`QueryError::ShardPoisoned`] when the item's shard is out of service.
    pub fn with_shard<T>(&self, item: &ItemId, f: impl FnOnce(&Ledger) -> T) -> Result<T, QueryError> {
        let guard = self.shard(self.shard_of(item))?;
        let _scope = ClosureScope::enter();
        Ok(f(&guard.ledger))
    }

    /// Number of accepted events over all shards.
    ///
    /// # Errors
    ///
    /// [`QueryError::Reentrant`] from inside a [`with_shard`](Self::with_shard) closure,
    /// [`QueryError::ShardPoisoned`] when a shard is out of service.
    pub fn len(&self) -> Result<usize, QueryError> {
        (0..self.shards.len()).map(|s| Ok(self.shard(s)?.ledger.len())).sum()
    }

    /// Whether no event was accepted yet.
    ///
    /// # Errors
    ///
    /// As [`len`](Self::len).
    pub fn is_empty(&self) -> Result<bool, QueryError> {
        Ok(self.len()? == 0)
    }

    /// The shards that are out of service (an apply panicked in them), ascending.
    ///
    /// # Errors
    ///
    /// [`QueryError::Reentrant`] from inside a [`with_shard`](Self::with_shard) closure.
    pub fn poisoned_shards(&self) -> Result<Vec<usize>, QueryError> {
        not_reentrant()?;
        Ok((0..self.shards.len()).filter(|&s| lock(&self.shards[s]).broken).collect())
    }

    /// Replaces shard `shard` by the ledger its `events` produce, and puts it back in
    /// service: the way out of [`LedgerError::ShardPoisoned`]. Returns the number of
    /// events accepted (duplicates are not counted).
    ///
    /// `events` are the shard's accepted events in their recording order, as the caller
    /// recorded them (a journal, say: keep those whose item is in this shard). The new
    /// ledger keeps the shard's configuration and registrations (as they are now, so a
    /// location policy tightened since an event was accepted can refuse it here). The id
    /// index is rebuilt with the new ledger's ids. A shard in service can be rebuilt too;
    /// its contents are replaced.
    ///
    /// ```
    /// use invsync_core::ledger::{Event, LedgerConfig, Movement, SharedLedger};
    /// use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let shared = SharedLedger::new(LedgerConfig::default(), 4);
    /// let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
    /// let e = Event::new(EventId::new("r1")?, SourceId::new("erp")?, item.clone(), store.clone(),
    ///                    Timestamp::from_days(1), Movement::receipt(3));
    /// let shard = shared.shard_of(&item);
    /// assert_eq!(shared.rebuild_shard(shard, vec![e])?, 1);
    /// assert_eq!(shared.levels(&item, &store)?.on_hand(), 3);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`BatchError`] naming the first event that is refused, belongs to another shard
    /// ([`LedgerError::BatchSpansShards`]) or whose id another shard holds
    /// ([`LedgerError::IdempotencyConflict`]); the shard is then left as it was (out of
    /// service if it was). [`LedgerError::NoSuchShard`] and [`LedgerError::Reentrant`]
    /// are reported at index 0.
    pub fn rebuild_shard(&self, shard: usize, events: impl IntoIterator<Item = Event>) -> Result<usize, BatchError> {
        let at0 = |error| BatchError { index: 0, error };
        not_reentrant().map_err(|r| at0(r.into()))?;
        let Some(cell) = self.shards.get(shard) else {
            return Err(at0(LedgerError::NoSuchShard { shard, shards: self.shards.len() }));
        };
        // Out of service or not, the shard is replaced: the lock is taken without the
        // `broken` check, and the old ledger is only read for its settings.
        let mut guard = lock(cell);
        let old = &guard.ledger;
        let mut fresh = Ledger::new(old.config.clone());
        fresh.items.clone_from(&old.items);
        fresh.locations.clone_from(&old.locations);
        // Every registration is in force from the first replayed event: recorded so.
        fresh.registrations = old
            .registrations
            .iter()
            .map(|r| Registered { before_seq: 0, registration: r.registration.clone() })
            .collect();
        fresh.max_events = old.max_events;
        // Every id lock, ascending (after the shard lock, as everywhere), held until the
        // index is rebuilt: a rare recovery step, it briefly stops every other apply.
        let mut ids: Vec<_> = self.ids.iter().map(lock).collect();
        for (index, event) in events.into_iter().enumerate() {
            let error = if self.shard_of(&event.item) != shard {
                Some(LedgerError::BatchSpansShards { event: event.id.clone() })
            } else if ids[self.id_shard_of(&event.id)].get(&event.id).is_some_and(|&s| s != shard as u32) {
                Some(LedgerError::IdempotencyConflict { event: event.id.clone() })
            } else {
                None
            };
            if let Some(error) = error {
                return Err(BatchError { index, error });
            }
            fresh.apply(event).map_err(|error| BatchError { index, error })?;
        }
        for map in &mut ids {
            map.retain(|_, s| *s != shard as u32);
        }
        for e in fresh.events() {
            let slot = self.id_shard_of(&e.id);
            ids[slot].insert(e.id.clone(), shard as u32);
        }
        let accepted = fresh.len();
        guard.ledger = fresh;
        guard.broken = false;
        Ok(accepted)
    }

    /// The shards' ledgers, giving up the handle (shard `i` is `shard_of(item) == i`).
    ///
    /// # Errors
    ///
    /// [`LedgerError::ShardPoisoned`] when a shard is out of service (rebuild it first).
    pub fn into_shards(self) -> Result<Vec<Ledger>, LedgerError> {
        self.shards
            .into_iter()
            .enumerate()
            .map(|(shard, m)| {
                let s = m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
                if s.broken { Err(LedgerError::ShardPoisoned { shard }) } else { Ok(s.ledger) }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Movement;
    use crate::{SourceId, Timestamp};

    fn receipt(id: &str, item: &ItemId, qty: i64) -> Event {
        let (src, loc) = (SourceId::new("erp").unwrap(), LocationId::new("S").unwrap());
        Event::new(EventId::new(id).unwrap(), src, item.clone(), loc, Timestamp::from_days(1), Movement::receipt(qty))
    }

    /// A panic inside a shard's apply (injected after the ledger changed, before the
    /// caller is told) puts the shard out of service: every call touching it is a typed
    /// error until it is rebuilt from its events; other shards keep working. Before, the
    /// poisoned lock was recovered and the half-applied shard served as if nothing happened.
    #[test]
    fn a_shard_whose_apply_panicked_refuses_work_until_rebuilt() {
        let shared = SharedLedger::new(LedgerConfig::default(), 4);
        let a = ItemId::new("A").unwrap();
        let b =
            (0..).map(|i| ItemId::new(format!("B{i}")).unwrap()).find(|b| shared.shard_of(b) != shared.shard_of(&a));
        let b = b.unwrap();
        let (sa, loc) = (shared.shard_of(&a), LocationId::new("S").unwrap());
        shared.apply(receipt("a1", &a, 5)).unwrap();
        shared.apply(receipt("b1", &b, 1)).unwrap();
        for batch in [false, true] {
            lock(&shared.shards[sa]).inject_panic = true;
            let e = receipt("a2", &a, 7);
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if batch {
                    shared.apply_batch(vec![e]).map(drop).map_err(|e| e.error)
                } else {
                    shared.apply(e).map(drop)
                }
            }));
            assert!(caught.is_err(), "the injected panic reaches the caller");
            let poisoned = Err(LedgerError::ShardPoisoned { shard: sa });
            let query_poisoned = Err(QueryError::ShardPoisoned { shard: sa });
            assert_eq!(shared.poisoned_shards(), Ok(vec![sa]));
            assert_eq!(shared.levels(&a, &loc).map(drop), query_poisoned);
            assert_eq!(shared.apply(receipt("a3", &a, 1)).map(drop), poisoned);
            assert_eq!(shared.apply_batch(vec![receipt("a3", &a, 1)]).map_err(|e| e.error).map(drop), poisoned);
            assert_eq!(shared.with_shard(&a, |_| ()), query_poisoned);
            assert_eq!(shared.register_item(a.clone(), ValuationMethod::Fifo), poisoned);
            assert_eq!(shared.register_location(loc.clone(), NegativeStock::Allow), poisoned);
            assert_eq!(shared.len().map(drop), query_poisoned);
            // The other shard is untouched and in service.
            assert_eq!(shared.levels(&b, &loc).unwrap().on_hand(), 1);
            // A rebuild that fails leaves the shard out of service.
            let err = shared.rebuild_shard(sa, vec![receipt("a1", &a, 5), receipt("b1", &b, 1)]).unwrap_err();
            assert_eq!(
                (err.index, &err.error),
                (1, &LedgerError::BatchSpansShards { event: EventId::new("b1").unwrap() })
            );
            let err = shared.rebuild_shard(sa, vec![receipt("b1", &a, 5)]).unwrap_err();
            assert_eq!(err.error, LedgerError::IdempotencyConflict { event: EventId::new("b1").unwrap() });
            assert_eq!(
                shared.rebuild_shard(99, Vec::new()).unwrap_err().error,
                LedgerError::NoSuchShard { shard: 99, shards: 4 }
            );
            assert_eq!(shared.poisoned_shards(), Ok(vec![sa]));
            // Rebuilt from its acknowledged events: a2 was never acknowledged, so it is not
            // there, and its id is free again.
            assert_eq!(shared.rebuild_shard(sa, vec![receipt("a1", &a, 5)]), Ok(1));
            assert_eq!(shared.poisoned_shards(), Ok(Vec::new()));
            assert_eq!(shared.levels(&a, &loc).unwrap().on_hand(), 5);
            assert_eq!(shared.len(), Ok(2));
        }
        shared.apply(receipt("a2", &a, 7)).unwrap();
        assert_eq!(shared.levels(&a, &loc).unwrap().on_hand(), 12);
        // A redelivery of an event rebuilt into the shard is a duplicate; its id is held.
        assert!(shared.apply(receipt("a1", &a, 5)).unwrap().duplicate);
        assert_eq!(
            shared.apply(receipt("a1", &b, 5)).map(drop),
            Err(LedgerError::IdempotencyConflict { event: EventId::new("a1").unwrap() })
        );
        assert_eq!(shared.into_shards().map(|s| s.iter().map(Ledger::len).sum::<usize>()), Ok(3));
    }
}
