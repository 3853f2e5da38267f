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
//! An event (or cancellation) whose change of levels is the same at every later entry (no
//! absolute count or set after it, and it does not fill an open line) is posted this way
//! in `O(min(pos, len - pos))`: every later entry changes, so all of them count as
//! re-posted, exactly as the entry-by-entry re-post would find. Any other change is
//! re-posted entry by entry as on a plain key (exact convergence; levels, checkpoints and the
//! final state written back), so the results are those of the plain layout in every case
//! (proptested against it in `key.rs`).

// Levels are handled field by field over parallel arrays (stored, offset, bounds, change).
#![allow(clippy::needless_range_loop)]

use std::borrow::Cow;
use std::collections::VecDeque;

use super::NegativeStock;
use super::key::{Entry, Guard, KeyState, Op, OpError, Removed, checkpoint_due};
use super::levels::Levels;
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

/// The names [`Levels::first_negative`] reports, by field.
const NAMES: [&str; 8] =
    ["available", "committed", "reserved", "damaged", "safety_stock", "quality_control", "incoming", "in_transit"];

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

/// A count or set: its change of levels depends on the levels before it.
fn is_absolute(op: &Op) -> bool {
    matches!(op, Op::Count { .. } | Op::Set { .. })
}

/// A receipt filling an open line: its change depends on the line's state.
fn is_fill(op: &Op) -> bool {
    matches!(op, Op::Add { line: Some(_), .. })
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
    /// Entries that are counts or sets.
    absolute: usize,
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
        let absolute = items.iter().filter(|h| is_absolute(&h.e.op())).count();
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

    /// Counts and sets among entries `from..`.
    fn absolute_from(&self, from: usize) -> usize {
        let n = self.items.len();
        if from < n - from {
            self.absolute - self.items.range(..from).filter(|h| is_absolute(&h.e.op())).count()
        } else {
            self.items.range(from..).filter(|h| is_absolute(&h.e.op())).count()
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
        if !self.uniform(pos, &d, guard.negative)? {
            return self.insert_exact(pos, at, seq, op, guard);
        }
        self.shift(pos, &d);
        self.items.insert(pos, HotEntry { e: Entry::new(at, seq, &op, None), lv: [0; 8] });
        self.store(pos, after);
        self.absolute += usize::from(is_absolute(&op));
        self.dirty = self.dirty.min(pos);
        self.state.levels = levels(std::array::from_fn(|f| (i128::from(arr(&self.state.levels)[f]) + d[f]) as i64));
        Ok((true, (n - pos) as u32))
    }

    /// Whether adding `d` to the levels after every entry `from..` is the exact re-post: `d`
    /// is not zero, no count or set follows, and no level leaves the safe range. Checks the
    /// future-negative guard over them (an error at the first entry that would go negative).
    fn uniform(&self, from: usize, d: &[i128; 8], negative: NegativeStock) -> Result<bool, OpError> {
        if d.iter().all(|&x| x == 0) || self.absolute_from(from) > 0 {
            return Ok(false);
        }
        if (0..8).any(|f| self.lo[f] + d[f].min(0) <= -SAFE || self.hi[f] + d[f].max(0) >= SAFE) {
            return Ok(false);
        }
        if negative == NegativeStock::Reject && (0..8).any(|f| self.lo[f] + d[f] < 0) {
            for j in from..self.items.len() {
                let a = self.actual(j);
                if let Some(f) = (0..8).find(|&f| i128::from(a[f]) + d[f] < 0) {
                    let qty = (i128::from(a[f]) + d[f]) as i64;
                    return Err(OpError::Negative { at_seq: self.items[j].e.seq(), bucket: NAMES[f], qty });
                }
            }
        }
        Ok(true)
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
        self.absolute += usize::from(is_absolute(&op));
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
        let guard = Guard { negative, expected: None };
        let (mut n, mut changed) = (0u32, Vec::new());
        if new == old {
            return Ok((n, changed, Some(from), new));
        }
        for (j, h) in self.items.range(from..).enumerate() {
            let op = h.e.op();
            new.apply(&op, self.method, h.e.seq(), guard)?;
            let res = old.apply(&op, self.method, h.e.seq(), Guard::NONE);
            debug_assert!(res.is_ok());
            if new == old {
                return Ok((n, changed, Some(from + j), new));
            }
            n += 1;
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
        self.absolute += usize::from(is_absolute(&op));
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
        let reposted = if is_fill(&op) || pos + 1 == n {
            None
        } else {
            let (before, after) = (self.levels_before(pos), self.actual(pos));
            let d: [i128; 8] = std::array::from_fn(|f| i128::from(before[f]) - i128::from(after[f]));
            self.uniform(pos + 1, &d, negative)?.then_some(d)
        };
        let Some(d) = reposted else { return self.remove_exact(pos, negative) };
        let h = self.items.remove(pos).expect("the entry was found above");
        self.shift(pos, &d);
        self.absolute -= usize::from(is_absolute(&op));
        self.dirty = self.dirty.min(pos);
        self.state.levels = levels(std::array::from_fn(|f| (i128::from(arr(&self.state.levels)[f]) + d[f]) as i64));
        Ok(Some((Removed { at: h.e.at, seq, op }, (n - pos - 1) as u32)))
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
        self.absolute -= usize::from(is_absolute(&op));
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
        assert_eq!(self.absolute, self.items.iter().filter(|h| is_absolute(&h.e.op())).count());
    }
}
