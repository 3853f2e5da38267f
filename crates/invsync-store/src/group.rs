//! Group commit: appends from many callers batched into one transaction and one fsync.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use invsync_core::ledger::{Event, Ledger, NegativeStock, Outcome, ValuationMethod};
use invsync_core::{ItemId, LocationId};

use crate::{DurableLedger, Store, StoreError};

/// How a [`GroupCommit`] forms its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupConfig {
    /// The longest an append waits for other appends to join its group before the group
    /// is written (measured from the moment the append reached the committer). Appends
    /// that arrive while a group is being written join the next group without waiting
    /// once they are this old. `Duration::ZERO`: a group is whatever is queued when the
    /// committer is free.
    pub max_wait: Duration,
    /// A group is written as soon as it holds this many events (at least one append is
    /// always taken, however large).
    pub max_events: usize,
}

impl Default for GroupConfig {
    /// `max_wait` 1 ms, `max_events` 10,000.
    fn default() -> Self {
        GroupConfig { max_wait: Duration::from_millis(1), max_events: 10_000 }
    }
}

/// What a [`GroupCommit`] has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupStats {
    /// Groups written (transactions committed, each one fsync).
    pub groups: u64,
    /// Appends acknowledged (accepted or refused).
    pub appends: u64,
    /// Events stored.
    pub events: u64,
}

/// One caller's append, waiting for its group.
struct Request {
    events: Vec<Event>,
    arrived: Instant,
    reply: SyncSender<Result<Vec<Outcome>, StoreError>>,
}

#[derive(Debug)]
struct Shared<S: Store> {
    ledger: Mutex<DurableLedger<S>>,
    stats: Mutex<GroupStats>,
}

/// A [`DurableLedger`] shared by many threads whose appends are committed in groups: the
/// appends waiting at the same moment are applied one after the other (each all or
/// nothing, in the order they reached the committer) and their accepted events written
/// as **one** transaction with one fsync. [`GroupCommit::append`] returns only when its
/// events are durable; how long an append waits for its group is bounded by
/// [`GroupConfig::max_wait`].
///
/// A background thread (the committer) owns the writes; `GroupCommit` is `Send + Sync`,
/// so share it by reference (scoped threads) or in an `Arc`. Dropping it, or
/// [`GroupCommit::close`], lets the committer finish the appends already queued.
///
/// ```
/// use invsync_core::ledger::{Event, LedgerConfig, Movement};
/// use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
/// use invsync_store::{DurableLedger, GroupCommit, GroupConfig, SqliteStore};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let ledger = DurableLedger::open(SqliteStore::create(dir.path().join("g.db"), &LedgerConfig::default())?)?;
/// let group = GroupCommit::new(ledger, GroupConfig::default());
/// let (item, loc) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
/// std::thread::scope(|s| {
///     for t in 0..4 {
///         let (group, item, loc) = (&group, item.clone(), loc.clone());
///         s.spawn(move || {
///             let e = Event::new(EventId::new(format!("r{t}")).unwrap(), SourceId::new("erp").unwrap(),
///                                item, loc, Timestamp::from_days(1), Movement::receipt(5));
///             group.append(vec![e]).unwrap(); // durable when it returns
///         });
///     }
/// });
/// assert_eq!(group.read(|l| l.levels(&item, &loc).on_hand()), 20);
/// let ledger = group.close()?;
/// assert_eq!(ledger.ledger().len(), 4);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct GroupCommit<S: Store + Send + 'static> {
    shared: Arc<Shared<S>>,
    sender: Option<Sender<Request>>,
    committer: Option<JoinHandle<()>>,
}

impl<S: Store + Send + 'static> GroupCommit<S> {
    /// Starts a committer for `ledger`.
    pub fn new(ledger: DurableLedger<S>, config: GroupConfig) -> Self {
        let shared = Arc::new(Shared { ledger: Mutex::new(ledger), stats: Mutex::new(GroupStats::default()) });
        let (sender, receiver) = mpsc::channel();
        let for_committer = Arc::clone(&shared);
        let committer = std::thread::Builder::new()
            .name("invsync-group-commit".into())
            .spawn(move || run(&for_committer, &receiver, config))
            // No thread could be started: appends are then committed by their callers,
            // one group each (see `append`).
            .ok();
        GroupCommit { shared, sender: committer.is_some().then_some(sender), committer }
    }

    /// Applies `events` as one batch ([`Ledger::apply_batch`]: all or nothing) in the next
    /// group, and returns when the group is durable, with the batch's outcomes.
    ///
    /// # Errors
    ///
    /// [`StoreError::Rejected`] when the ledger refuses the batch (nothing of it applied
    /// or stored; the other appends of the group are unaffected);
    /// [`StoreError::ReadOnly`], [`StoreError::Poisoned`]; [`StoreError::GroupFailed`]
    /// when writing the group failed (the ledger is then poisoned).
    pub fn append(&self, events: Vec<Event>) -> Result<Vec<Outcome>, StoreError> {
        let Some(sender) = &self.sender else {
            // No committer thread: a group of one, written by the caller.
            let mut ledger = lock(&self.shared.ledger);
            let mut results = commit(&mut ledger, vec![events]);
            return results.pop().unwrap_or(Err(StoreError::Poisoned));
        };
        let (reply, answer) = mpsc::sync_channel(1);
        sender.send(Request { events, arrived: Instant::now(), reply }).map_err(|_| StoreError::Poisoned)?;
        answer.recv().unwrap_or(Err(StoreError::Poisoned))
    }

    /// Registers an item ([`DurableLedger::register_item`]) between two groups, once the
    /// registration is durable.
    ///
    /// # Errors
    ///
    /// As [`DurableLedger::register_item`].
    pub fn register_item(&self, item: ItemId, valuation: ValuationMethod) -> Result<(), StoreError> {
        lock(&self.shared.ledger).register_item(item, valuation)
    }

    /// Registers a location ([`DurableLedger::register_location`]) between two groups,
    /// once the registration is durable.
    ///
    /// # Errors
    ///
    /// As [`DurableLedger::register_location`].
    pub fn register_location(&self, location: LocationId, negative: NegativeStock) -> Result<(), StoreError> {
        lock(&self.shared.ledger).register_location(location, negative)
    }

    /// Calls `f` with the ledger between two groups: it holds every acknowledged event
    /// (and possibly those of a group being written).
    pub fn read<T>(&self, f: impl FnOnce(&Ledger) -> T) -> T {
        f(lock(&self.shared.ledger).ledger())
    }

    /// The groups, appends and events committed so far.
    pub fn stats(&self) -> GroupStats {
        *lock(&self.shared.stats)
    }

    /// Lets the committer finish the queued appends, stops it and gives the ledger back.
    ///
    /// # Errors
    ///
    /// [`StoreError::Poisoned`] when a write failed (reopen the store to go on from what
    /// is durable).
    pub fn close(mut self) -> Result<DurableLedger<S>, StoreError> {
        self.stop();
        let shared = Arc::clone(&self.shared);
        drop(self);
        let ledger = Arc::try_unwrap(shared)
            .map_err(|_| StoreError::Poisoned)?
            .ledger
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if ledger.is_poisoned() { Err(StoreError::Poisoned) } else { Ok(ledger) }
    }

    fn stop(&mut self) {
        self.sender = None;
        if let Some(committer) = self.committer.take() {
            // The committer never panics on its own; a panic inside it (a bug) has
            // already answered no caller, who then got `Poisoned`.
            let _ = committer.join();
        }
    }
}

impl<S: Store + Send + 'static> Drop for GroupCommit<S> {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the ledger half-changed in a way the
    // poisoned flag does not cover (apply_batch is all or nothing), so the lock's own
    // poisoning is ignored.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The committer's loop: take the oldest queued append, gather the others until the group
/// is full or the oldest has waited `max_wait`, write the group, answer every append.
fn run<S: Store>(shared: &Shared<S>, receiver: &Receiver<Request>, config: GroupConfig) {
    while let Ok(first) = receiver.recv() {
        let deadline = first.arrived + config.max_wait;
        let mut size = first.events.len();
        let mut group = vec![first];
        while size < config.max_events {
            let next = match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => match receiver.recv_timeout(left) {
                    Ok(r) => r,
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                },
                _ => match receiver.try_recv() {
                    Ok(r) => r,
                    Err(_) => break,
                },
            };
            size += next.events.len();
            group.push(next);
        }
        let (batches, replies): (Vec<Vec<Event>>, Vec<_>) = group.into_iter().map(|r| (r.events, r.reply)).unzip();
        let results = {
            let mut ledger = lock(&shared.ledger);
            let before = ledger.ledger().len();
            let results = commit(&mut ledger, batches);
            let mut stats = lock(&shared.stats);
            stats.groups += 1;
            stats.appends += results.len() as u64;
            stats.events += (ledger.ledger().len() - before) as u64;
            results
        };
        for (reply, result) in replies.into_iter().zip(results) {
            // A caller that is gone no longer needs its answer.
            let _ = reply.send(result);
        }
    }
}

/// Applies the batches and writes them as one group; one result per batch.
fn commit<S: Store>(ledger: &mut DurableLedger<S>, batches: Vec<Vec<Event>>) -> Vec<Result<Vec<Outcome>, StoreError>> {
    let n = batches.len();
    match ledger.append_group(batches) {
        Ok(results) => results.into_iter().map(|r| r.map_err(StoreError::Rejected)).collect(),
        Err(StoreError::ReadOnly) => (0..n).map(|_| Err(StoreError::ReadOnly)).collect(),
        Err(StoreError::Poisoned) => (0..n).map(|_| Err(StoreError::Poisoned)).collect(),
        Err(e) => {
            let e = Arc::new(e);
            (0..n).map(|_| Err(StoreError::GroupFailed(Arc::clone(&e)))).collect()
        }
    }
}
