//! The layout of a hot item x location: one that received an event dated more than
//! [`HOT_DEPTH`] entries before its end (a feed exported newest first, a long back-fill).
//!
//! A plain key ([`KeyLedger`](super::key::KeyLedger)) keeps its entries in a `Vec` and
//! re-posts every later entry, one by one, after a back-dated one: cheap when the event is
//! a few entries late, quadratic when every event lands at the front. A hot key keeps:
//!
//! * its entries in a `VecDeque`, so inserting or removing near either end moves few of
//!   them (`O(min(pos, len - pos))`);
//! * beside each entry, the levels after it, stored relative to one key-wide offset: adding
//!   the same change to every entry after `pos` is adding it to the offset and taking it off
//!   the (fewer) entries before `pos`, or adding it to those after, whichever side is
//!   shorter;
//! * conservative per-field bounds of those levels, which answer the future-negative guard
//!   and the overflow check for a whole suffix at once in the common case (a scan of the
//!   suffix otherwise);
//! * the valuation and open lines (the rest of the state) only up to a dirty mark: after a
//!   back-dated event they are re-computed lazily, from the last checkpoint before the mark,
//!   when something needs them (an in-order append, a read of the valuation, history, as-of
//!   value, an exact re-post).
//!
//! An event (or cancellation) that fills no open line is posted on the levels alone
//! ([`Hot::walk`]): the difference it makes to the levels passes unchanged through every
//! later entry but a count or a set, which absorbs part or all of it (a count fixes on
//! hand, a set its bucket). The walk writes entries one by one up to the point where the
//! difference is zero (the levels agree from there on: stop) or where no later count or set
//! can change it (add it to the whole suffix, `O(min(pos, len - pos))`). A newest-first
//! feed with a count every `k` events thus costs about `k` entries per event, not the key's
//! length. The entries counted as re-posted, and guarded against negative stock, are those
//! whose levels change, as on a plain key (`KeyLedger::repost`). A fill is re-posted entry by
//! entry as on a plain key (exact convergence; levels, checkpoints and the final state
//! written back), so the results are those of the plain layout in every case (proptested
//! against it in `key.rs`).

// Levels are handled field by field over parallel arrays (stored, offset, bounds, change).
#![allow(clippy::needless_range_loop)]

use std::borrow::Cow;
use std::collections::VecDeque;

use super::NegativeStock;
use super::event::Bucket;
use super::key::{Entry, Guard, KeyState, Op, OpError, Removed, checkpoint_due};
use super::levels::{Levels, QuantityState};
use super::valuation::ValuationMethod;
use crate::Timestamp;

/// A back-dated event this many entries (or more) before a plain key's end turns the key
/// hot (a late event a few entries behind, the common case, stays on the plain layout).
pub(crate) const HOT_DEPTH: usize = 128;

/// Levels as an array, in [`Levels`]' field order (the buckets, then incoming, in transit).
type Lv = [i64; 8];

/// Bound under which per-field levels are kept for the fast path: six of them sum without
/// overflow, so no `Overflow` can arise where the fast path runs.
const SAFE: i128 = 1 << 59;

fn arr(l: &Levels) -> Lv {
    [l.available, l.committed, l.reserved, l.damaged, l.safety_stock, l.quality_control, l.incoming, l.in_transit]
}

fn levels(a: Lv) -> Levels {
    Levels {
        available: a[0],
        committed: a[1],
        reserved: a[2],
        damaged: a[3],
        safety_stock: a[4],
        quality_control: a[5],
        incoming: a[6],
        in_transit: a[7],
    }
}

/// Kinds of absolute entries, for [`Census`]: a count, or a set of one bucket.
const KINDS: usize = 1 + Bucket::ALL.len();

/// The kind of an absolute entry, a count or a set, whose change of levels depends on the
/// levels before it (`None`: not absolute).
fn kind(op: &Op) -> Option<usize> {
    match *op {
        Op::Count { .. } => Some(0),
        Op::Set { bucket, .. } => Some(1 + bucket.index()),
        _ => None,
    }
}

/// Absolute entries by kind.
type Census = [usize; KINDS];

/// How a difference `d` between two states' levels before an absolute entry of kind `k`
/// is after it: a count fixes on hand, so `available` takes back what the other on-hand
/// buckets gained; a set fixes its bucket. Either way the result does not depend on the
/// levels before the entry beyond `d`, and applying it twice changes nothing.
fn project(k: usize, d: &mut [i128; 8]) {
    if k == 0 {
        d[0] = -(1..Bucket::ALL.len()).map(|f| d[f]).sum::<i128>();
    } else {
        d[k - 1] = 0;
    }
}

/// A receipt filling an open line: its change depends on the line's state.
fn is_fill(op: &Op) -> bool {
    matches!(op, Op::Add { line: Some(_), .. })
}

/// What [`Hot::walk`] found: entries' new levels, the suffix that takes the final
/// difference whole, that difference, and the entries whose levels change.
#[derive(Debug)]
struct Walk {
    stores: Vec<(usize, Lv)>,
    suffix: Option<usize>,
    d: [i128; 8],
    reposted: u32,
}

/// One entry and the levels after it, less the key's offset.
#[derive(Debug, Clone)]
struct HotEntry {
    e: Entry,
    lv: Lv,
}

/// The ledger of one hot item x location. See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Hot {
    method: ValuationMethod,
    items: VecDeque<HotEntry>,
    /// Added to every stored level: actual = `lv + base`.
    base: [i128; 8],
    /// Lower and upper bounds of every entry's actual levels, per field (not tight).
    lo: [i128; 8],
    hi: [i128; 8],
    /// Entries that are counts or sets, by kind.
    absolute: Census,
    /// Checkpoints of entries before this index, and `state`'s valuation and lines when it is
    /// `items.len()`, are current; later ones are stale. `state.levels` is always current.
    dirty: usize,
    state: KeyState,
    since_checkpoint: u32,
}

impl Hot {
    /// The hot layout of a plain key's entries (their checkpoints are current) and state.
    pub(crate) fn new(method: ValuationMethod, entries: Vec<Entry>, state: KeyState, since_checkpoint: u32) -> Hot {
        let mut run = KeyState::default();
        let items: VecDeque<HotEntry> = entries
            .into_iter()
            .map(|e| {
                let res = run.apply(&e.op(), method, e.seq(), Guard::NONE);
                debug_assert!(res.is_ok(), "replay of an admitted entry failed: {res:?}");
                HotEntry { lv: arr(&run.levels), e }
            })
            .collect();
        debug_assert_eq!(run.levels, state.levels);
        let mut absolute = [0; KINDS];
        for h in &items {
            if let Some(k) = kind(&h.e.op()) {
                absolute[k] += 1;
            }
        }
        let mut hot = Hot {
            method,
            dirty: items.len(),
            items,
            base: [0; 8],
            lo: [0; 8],
            hi: [0; 8],
            absolute,
            state,
            since_checkpoint,
        };
        hot.tighten();
        hot
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.items.iter().map(|h| &h.e)
    }

    pub(crate) fn levels(&self) -> Levels {
        self.state.levels
    }

    /// The full state after the last entry.
    pub(crate) fn final_state(&self) -> Cow<'_, KeyState> {
        if self.dirty >= self.items.len() {
            Cow::Borrowed(&self.state)
        } else {
            Cow::Owned(self.state_before(self.items.len()))
        }
    }

    fn actual(&self, j: usize) -> Lv {
        let h = &self.items[j];
        // Stored levels plus the offset are a key's levels, which are i64.
        std::array::from_fn(|f| (i128::from(h.lv[f]) + self.base[f]) as i64)
    }

    /// Actual levels after entry `pos - 1` (zero before the first).
    fn levels_before(&self, pos: usize) -> Lv {
        if pos == 0 { [0; 8] } else { self.actual(pos - 1) }
    }

    /// Stores `actual` as entry `j`'s levels.
    fn store(&mut self, j: usize, actual: Lv) {
        if self.try_store(j, actual).is_none() {
            self.normalize();
            let ok = self.try_store(j, actual);
            debug_assert!(ok.is_some());
        }
        for f in 0..8 {
            self.lo[f] = self.lo[f].min(i128::from(actual[f]));
            self.hi[f] = self.hi[f].max(i128::from(actual[f]));
        }
    }

    fn try_store(&mut self, j: usize, actual: Lv) -> Option<()> {
        let mut lv = [0i64; 8];
        for f in 0..8 {
            lv[f] = i64::try_from(i128::from(actual[f]) - self.base[f]).ok()?;
        }
        self.items[j].lv = lv;
        Some(())
    }

    /// Folds the offset into the stored levels (when a stored level would leave i64).
    fn normalize(&mut self) {
        for j in 0..self.items.len() {
            self.items[j].lv = self.actual(j);
        }
        self.base = [0; 8];
    }

    /// Exact bounds, recomputed.
    fn tighten(&mut self) {
        let (mut lo, mut hi) = ([0i128; 8], [0i128; 8]);
        for j in 0..self.items.len() {
            let a = self.actual(j);
            for f in 0..8 {
                lo[f] = lo[f].min(i128::from(a[f]));
                hi[f] = hi[f].max(i128::from(a[f]));
            }
        }
        (self.lo, self.hi) = (lo, hi);
    }

    /// Adds `d` to the actual levels of entries `from..`, touching the shorter side.
    fn shift(&mut self, from: usize, d: &[i128; 8]) {
        let n = self.items.len();
        let (range, sign, base) = if from < n - from { (0..from, -1, true) } else { (from..n, 1, false) };
        let fits = |lv: &Lv| (0..8).all(|f| i64::try_from(i128::from(lv[f]) + sign * d[f]).is_ok());
        if !self.items.range(range.clone()).all(|h| fits(&h.lv)) {
            self.normalize();
        }
        for j in range {
            let lv = &mut self.items[j].lv;
            for f in 0..8 {
                lv[f] = (i128::from(lv[f]) + sign * d[f]) as i64;
            }
        }
        if base {
            for f in 0..8 {
                self.base[f] += d[f];
            }
        }
        for f in 0..8 {
            self.lo[f] += d[f].min(0);
            self.hi[f] += d[f].max(0);
        }
    }

    /// Counts and sets among entries `from..`, by kind (scanning the shorter side).
    fn absolute_from(&self, from: usize) -> Census {
        let n = self.items.len();
        let mut c = [0; KINDS];
        if from < n - from {
            c = self.absolute;
            for h in self.items.range(..from) {
                if let Some(k) = kind(&h.e.op()) {
                    c[k] -= 1;
                }
            }
        } else {
            for h in self.items.range(from..) {
                if let Some(k) = kind(&h.e.op()) {
                    c[k] += 1;
                }
            }
        }
        c
    }

    fn count_kind(&mut self, op: &Op, add: bool) {
        if let Some(k) = kind(op) {
            if add {
                self.absolute[k] += 1;
            } else {
                self.absolute[k] -= 1;
            }
        }
    }

    fn position(&self, at: Timestamp, seq: u64) -> usize {
        self.items.partition_point(|h| h.e.place() < (at, seq))
    }

    /// The full state after `items[..pos]`: the last current checkpoint, then the entries up
    /// to `pos` replayed.
    pub(crate) fn state_before(&self, pos: usize) -> KeyState {
        if pos == self.items.len() && self.dirty >= pos {
            return self.state.clone();
        }
        let limit = pos.min(self.dirty);
        let start = (0..limit).rev().find(|&j| self.items[j].e.checkpoint.is_some());
        let (mut state, from) = match start {
            Some(c) => (self.items[c].e.checkpoint.as_deref().cloned().unwrap_or_default(), c + 1),
            None => (KeyState::default(), 0),
        };
        for h in self.items.range(from..pos) {
            let res = state.apply(&h.e.op(), self.method, h.e.seq(), Guard::NONE);
            debug_assert!(res.is_ok(), "replay of an admitted entry failed: {res:?}");
        }
        state
    }

    /// Makes the checkpoints of entries before `end` current (and the final state, when
    /// `end` is the length).
    fn clean_to(&mut self, end: usize) {
        if self.dirty >= end {
            return;
        }
        let start = (0..self.dirty).rev().find(|&j| self.items[j].e.checkpoint.is_some());
        let (mut state, from) = match start {
            Some(c) => (self.items[c].e.checkpoint.as_deref().cloned().unwrap_or_default(), c + 1),
            None => (KeyState::default(), 0),
        };
        let mut since = 0u32;
        for h in self.items.range_mut(from..end) {
            let res = state.apply(&h.e.op(), self.method, h.e.seq(), Guard::NONE);
            debug_assert!(res.is_ok(), "replay of an admitted entry failed: {res:?}");
            since = since.saturating_add(1);
            // Checkpoints are placed afresh over the replayed entries (entries inserted since
            // the last placement left some too close together).
            if checkpoint_due(since, &state) {
                match &mut h.e.checkpoint {
                    Some(c) => (**c).clone_from(&state),
                    None => h.e.checkpoint = Some(Box::new(state.clone())),
                }
                since = 0;
            } else {
                h.e.checkpoint = None;
            }
        }
        self.dirty = end;
        if end == self.items.len() {
            debug_assert_eq!(state.levels, self.state.levels);
            self.state = state;
            self.since_checkpoint = since;
        }
    }

    /// Posts `op` at its place. Returns (late, entries re-posted).
    pub(crate) fn insert(&mut self, at: Timestamp, seq: u64, op: Op, guard: Guard) -> Result<(bool, u32), OpError> {
        let n = self.items.len();
        let pos = self.position(at, seq);
        if pos == n {
            self.append(at, seq, op, guard)?;
            return Ok((false, 0));
        }
        if is_fill(&op) {
            return self.insert_exact(pos, at, seq, op, guard);
        }
        let before = self.levels_before(pos);
        // The op's own admission checks read levels only (lines matter to fills alone).
        let mut probe = KeyState { levels: levels(before), ..KeyState::default() };
        probe.apply(&op, self.method, seq, guard)?;
        let after = arr(&probe.levels);
        let d: [i128; 8] = std::array::from_fn(|f| i128::from(after[f]) - i128::from(before[f]));
        let Some(walk) = self.walk(pos, d, guard.negative)? else {
            return self.insert_exact(pos, at, seq, op, guard);
        };
        self.write_walk(&walk);
        self.items.insert(pos, HotEntry { e: Entry::new(at, seq, &op, None), lv: [0; 8] });
        self.store(pos, after);
        self.count_kind(&op, true);
        self.dirty = self.dirty.min(pos);
        Ok((true, walk.reposted))
    }

    /// The re-post of a change `d` of the levels just before entry `from`, worked out on the
    /// levels alone: a difference between two states' levels passes unchanged through every
    /// entry but a count or a set, which [`project`]s it; once it is zero the levels agree
    /// for good, and once no later count or set can change it, it is added to the whole
    /// suffix at once ([`Hot::shift`]). Entries before that point are written one by one.
    /// So a back-dated event costs the entries up to the next count or set that absorbs its
    /// change (or that no later one changes), not the key's length. The valuation and
    /// lines are left dirty from `from` (re-folded when needed).
    ///
    /// Checks the future-negative guard on every entry whose levels change (an error at the
    /// first). `None` when levels could leave the range where this is exact (no overflow
    /// possible): the caller takes the exact re-post.
    fn walk(&self, from: usize, d: [i128; 8], negative: NegativeStock) -> Result<Option<Walk>, OpError> {
        let n = self.items.len();
        // Every difference met below has fields no larger than the sum of `d`'s.
        let m: i128 = d.iter().map(|x| x.abs()).sum();
        if (0..8).any(|f| self.lo[f] - m <= -SAFE || self.hi[f] + m >= SAFE) {
            return Ok(None);
        }
        let mut census = self.absolute_from(from);
        let fixed = |d: &[i128; 8], census: &Census| {
            (0..KINDS).all(|k| {
                let mut p = *d;
                project(k, &mut p);
                census[k] == 0 || p == *d
            })
        };
        let mut walk = Walk { stores: Vec::new(), suffix: None, d, reposted: 0 };
        let mut is_fixed = fixed(&walk.d, &census);
        let mut j = from;
        while j < n && walk.d != [0; 8] {
            if is_fixed {
                let d = walk.d;
                if negative == NegativeStock::Reject && (0..8).any(|f| self.lo[f] + d[f] < 0) {
                    for i in j..n {
                        let a = self.actual(i);
                        if let Some(f) = (0..8).find(|&f| i128::from(a[f]) + d[f] < 0) {
                            let qty = (i128::from(a[f]) + d[f]) as i64;
                            return Err(OpError::Negative {
                                at_seq: self.items[i].e.seq(),
                                bucket: QuantityState::ALL[f],
                                qty,
                            });
                        }
                    }
                }
                walk.suffix = Some(j);
                walk.reposted += (n - j) as u32;
                break;
            }
            if let Some(k) = kind(&self.items[j].e.op()) {
                census[k] -= 1;
                project(k, &mut walk.d);
                if walk.d == [0; 8] {
                    break;
                }
                is_fixed = fixed(&walk.d, &census);
            }
            let old = self.actual(j);
            // Within the safe range (checked above): no overflow.
            let a: Lv = std::array::from_fn(|f| (i128::from(old[f]) + walk.d[f]) as i64);
            if negative == NegativeStock::Reject
                && let Some(f) = (0..8).find(|&f| a[f] < 0)
            {
                return Err(OpError::Negative {
                    at_seq: self.items[j].e.seq(),
                    bucket: QuantityState::ALL[f],
                    qty: a[f],
                });
            }
            walk.stores.push((j, a));
            walk.reposted += 1;
            j += 1;
        }
        Ok(Some(walk))
    }

    /// Writes a walk's levels (indices before the change's own entry is inserted or
    /// removed) and the final levels.
    fn write_walk(&mut self, walk: &Walk) {
        if let Some(j) = walk.suffix {
            self.shift(j, &walk.d);
        }
        for &(j, a) in &walk.stores {
            self.store(j, a);
        }
        let d = walk.d;
        self.state.levels = levels(std::array::from_fn(|f| (i128::from(arr(&self.state.levels)[f]) + d[f]) as i64));
    }

    fn append(&mut self, at: Timestamp, seq: u64, op: Op, guard: Guard) -> Result<(), OpError> {
        self.clean_to(self.items.len());
        self.state.apply(&op, self.method, seq, guard)?;
        self.since_checkpoint = self.since_checkpoint.saturating_add(1);
        let checkpoint = if checkpoint_due(self.since_checkpoint, &self.state) {
            self.since_checkpoint = 0;
            Some(Box::new(self.state.clone()))
        } else {
            None
        };
        self.items.push_back(HotEntry { e: Entry::new(at, seq, &op, checkpoint), lv: [0; 8] });
        let n = self.items.len();
        self.store(n - 1, arr(&self.state.levels));
        self.count_kind(&op, true);
        self.dirty = n;
        Ok(())
    }

    /// Re-applies entries `from..` to the changed state `new` and the unchanged `old` in
    /// lockstep until they agree. Returns the number of entries re-posted, what to write
    /// back (index, new levels where they changed, new checkpoint state), the index where
    /// the states agreed (`None`: they never did) and the final `new`.
    #[allow(clippy::type_complexity)]
    fn lockstep(
        &self,
        mut new: KeyState,
        mut old: KeyState,
        from: usize,
        negative: NegativeStock,
    ) -> Result<(u32, Vec<(usize, Option<Lv>, Option<KeyState>)>, Option<usize>, KeyState), OpError> {
        let (mut n, mut changed) = (0u32, Vec::new());
        if new == old {
            return Ok((n, changed, Some(from), new));
        }
        for (j, h) in self.items.range(from..).enumerate() {
            let op = h.e.op();
            new.apply(&op, self.method, h.e.seq(), Guard::NONE)?;
            let res = old.apply(&op, self.method, h.e.seq(), Guard::NONE);
            debug_assert!(res.is_ok());
            if new == old {
                return Ok((n, changed, Some(from + j), new));
            }
            // As on a plain key: the guard and the count cover the entries whose levels
            // changed (`KeyLedger::repost`).
            if new.levels != old.levels {
                if negative == NegativeStock::Reject
                    && let Some((bucket, qty)) = new.levels.first_negative()
                {
                    return Err(OpError::Negative { at_seq: h.e.seq(), bucket, qty });
                }
                n += 1;
            }
            // Past a count that re-anchored the levels, only the valuation differs.
            let lv = (new.levels != old.levels).then(|| arr(&new.levels));
            let checkpoint = h.e.checkpoint.is_some().then(|| new.clone());
            if lv.is_some() || checkpoint.is_some() {
                changed.push((from + j, lv, checkpoint));
            }
        }
        Ok((n, changed, None, new))
    }

    /// Writes a lockstep's results back, entry `j` now being at `j + offset`.
    fn write_back(&mut self, changed: Vec<(usize, Option<Lv>, Option<KeyState>)>, offset: isize) {
        for (j, lv, checkpoint) in changed {
            let j = j.wrapping_add_signed(offset);
            if let Some(lv) = lv {
                self.store(j, lv);
            }
            if let Some(s) = checkpoint {
                self.items[j].e.checkpoint = Some(Box::new(s));
            }
        }
    }

    /// The entry-by-entry re-post of a plain key, for changes the fast path does not cover.
    fn insert_exact(
        &mut self,
        pos: usize,
        at: Timestamp,
        seq: u64,
        op: Op,
        guard: Guard,
    ) -> Result<(bool, u32), OpError> {
        self.clean_to(pos);
        let old = self.state_before(pos);
        let mut new = old.clone();
        new.apply(&op, self.method, seq, guard)?;
        let first = arr(&new.levels);
        let (n, changed, agreed, last) = self.lockstep(new, old, pos, guard.negative)?;
        let dirty = self.dirty;
        self.items.insert(pos, HotEntry { e: Entry::new(at, seq, &op, None), lv: [0; 8] });
        self.store(pos, first);
        self.write_back(changed, 1);
        self.count_kind(&op, true);
        self.dirty = match agreed {
            None => {
                self.state = last;
                self.items.len()
            }
            Some(c) if dirty <= c => c + 1,
            Some(_) => dirty + 1,
        };
        Ok((true, n))
    }

    /// Takes out the entry `(at, seq)`; `None` when there is no such entry.
    pub(crate) fn remove(
        &mut self,
        at: Timestamp,
        seq: u64,
        negative: NegativeStock,
    ) -> Result<Option<(Removed, u32)>, OpError> {
        let pos = self.position(at, seq);
        let Some(target) = self.items.get(pos).filter(|h| h.e.seq() == seq) else {
            return Ok(None);
        };
        let op = target.e.op();
        let n = self.items.len();
        // The last entry's removal changes the final state itself: re-posted exactly.
        let walk = if is_fill(&op) || pos + 1 == n {
            None
        } else {
            let (before, after) = (self.levels_before(pos), self.actual(pos));
            let d: [i128; 8] = std::array::from_fn(|f| i128::from(before[f]) - i128::from(after[f]));
            self.walk(pos + 1, d, negative)?
        };
        let Some(walk) = walk else { return self.remove_exact(pos, negative) };
        self.write_walk(&walk);
        let h = self.items.remove(pos).expect("the entry was found above");
        self.count_kind(&op, false);
        self.dirty = self.dirty.min(pos);
        Ok(Some((Removed { at: h.e.at, seq, op }, walk.reposted)))
    }

    fn remove_exact(&mut self, pos: usize, negative: NegativeStock) -> Result<Option<(Removed, u32)>, OpError> {
        self.clean_to(pos);
        let new = self.state_before(pos);
        let mut old = new.clone();
        let target = &self.items[pos].e;
        let (op, seq) = (target.op(), target.seq());
        let res = old.apply(&op, self.method, seq, Guard::NONE);
        debug_assert!(res.is_ok());
        let (n, changed, agreed, last) = self.lockstep(new, old, pos + 1, negative)?;
        let dirty = self.dirty;
        let h = self.items.remove(pos).expect("the entry exists");
        self.write_back(changed, -1);
        self.count_kind(&op, false);
        self.dirty = match agreed {
            // No entry after it (or none changed through the end): `last` is the final state.
            None => {
                self.state = last;
                self.items.len()
            }
            Some(c) if c == self.items.len() + 1 => {
                self.state = last;
                self.items.len()
            }
            Some(c) if dirty <= c => c - 1,
            Some(_) => dirty - 1,
        };
        Ok(Some((Removed { at: h.e.at, seq, op }, n)))
    }

    /// Levels as of `t` (every entry with `occurred_at <= t`).
    pub(crate) fn levels_at(&self, t: Timestamp) -> Levels {
        let n = self.items.partition_point(|h| h.e.at <= t);
        levels(self.levels_before(n))
    }

    /// Stock value (micro-units) as of `t`.
    pub(crate) fn value_at(&self, t: Timestamp) -> i128 {
        let n = self.items.partition_point(|h| h.e.at <= t);
        self.state_before(n).val.value
    }

    /// The change in stock value the entry `(at, seq)` made, if it exists.
    pub(crate) fn value_change_of(&self, at: Timestamp, seq: u64) -> Option<i128> {
        let pos = self.position(at, seq);
        let e = &self.items.get(pos).filter(|h| h.e.seq() == seq)?.e;
        let mut state = self.state_before(pos);
        let before = state.val.value;
        state.apply(&e.op(), self.method, e.seq(), Guard::NONE).ok()?;
        Some(state.val.value - before)
    }

    /// Checks the stored levels against a replay (tests).
    #[cfg(test)]
    pub(crate) fn check(&self) {
        let mut s = KeyState::default();
        for (j, h) in self.items.iter().enumerate() {
            s.apply(&h.e.op(), self.method, h.e.seq(), Guard::NONE).unwrap();
            assert_eq!(self.actual(j), arr(&s.levels), "entry {j}");
            let a = arr(&s.levels);
            for f in 0..8 {
                assert!(self.lo[f] <= i128::from(a[f]) && i128::from(a[f]) <= self.hi[f], "bounds of entry {j}");
            }
            if j < self.dirty
                && let Some(c) = &h.e.checkpoint
            {
                assert_eq!(**c, s, "checkpoint {j}");
            }
        }
        assert_eq!(s.levels, self.state.levels);
        if self.dirty >= self.items.len() {
            assert_eq!(s, self.state);
        }
        let mut census = [0; KINDS];
        for h in &self.items {
            if let Some(k) = kind(&h.e.op()) {
                census[k] += 1;
            }
        }
        assert_eq!(self.absolute, census);
    }
}
