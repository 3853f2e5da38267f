//! One item x location: its entries in event-time order and the re-posting machinery.
//!
//! The state after entry `i` is a pure fold of the ops of entries `0..=i` in
//! `(occurred_at, seq)` order. Each entry stores the scalar part of that state (levels and
//! value) for audit and as-of queries; every [`CHECKPOINT_EVERY`]-th entry also stores the
//! full state (FIFO layers, open receipt lines). Inserting or removing an entry in the
//! middle rebuilds the state just before it from the nearest checkpoint, then re-applies
//! the later entries until the recomputed state equals a stored checkpoint: from there on
//! nothing changed, so nothing more is touched. An absolute count makes on hand converge at
//! once; a receipt with no later count changes every later balance and re-posts to the end.

use super::NegativeStock;
use super::event::Bucket;
use super::levels::Levels;
use super::valuation::{ValState, ValuationMethod};
use crate::Timestamp;

/// Entries between full-state checkpoints.
pub(crate) const CHECKPOINT_EVERY: u32 = 16;

/// What an open line is: a scheduled receipt (incoming) or a transfer (in transit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Incoming,
    InTransit,
}

/// An open scheduled receipt or inbound transfer, named by the seq of the event opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenLine {
    pub(crate) seq: u64,
    pub(crate) kind: LineKind,
    pub(crate) remaining: i64,
    pub(crate) expected_at: Option<Timestamp>,
}

/// A receipt's claim on an open line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineRef {
    pub(crate) seq: u64,
    pub(crate) kind: LineKind,
    pub(crate) close: bool,
}

/// The per-key operation an event lowers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    Add { bucket: Bucket, qty: i64, rate: Option<i64>, line: Option<LineRef> },
    Remove { bucket: Bucket, qty: i64, rate: Option<i64> },
    Adjust { bucket: Bucket, delta: i64, rate: Option<i64> },
    Set { bucket: Bucket, qty: i64, rate: Option<i64> },
    Count { on_hand: i64, rate: Option<i64> },
    Move { from: Bucket, to: Bucket, qty: i64 },
    Open { kind: LineKind, qty: i64, expected_at: Option<Timestamp> },
}

/// Full state of a key after some entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct KeyState {
    pub(crate) levels: Levels,
    pub(crate) val: ValState,
    pub(crate) lines: Vec<OpenLine>,
}

/// Why an op could not be applied at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpError {
    /// A bucket would go below zero under the reject policy; `at` is the entry where.
    Negative { at_seq: u64, bucket: &'static str, qty: i64 },
    /// Compare-and-set mismatch.
    Stale { bucket: Bucket, expected: i64, actual: i64 },
    /// A level left the i64 range.
    Overflow,
}

/// Admission checks for the op being posted; re-posted entries only face `negative`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Guard {
    pub(crate) negative: NegativeStock,
    pub(crate) expected: Option<(Bucket, i64)>,
}

impl Guard {
    pub(crate) const NONE: Guard = Guard { negative: NegativeStock::Allow, expected: None };
}

impl KeyState {
    /// Applies `op` atomically: on error nothing is changed.
    fn apply(&mut self, op: &Op, method: ValuationMethod, seq: u64, guard: Guard) -> Result<(), OpError> {
        if let Some((bucket, expected)) = guard.expected {
            let actual = self.levels.get(bucket);
            if actual != expected {
                return Err(OpError::Stale { bucket, expected, actual });
            }
        }
        let mut lv = self.levels;
        let add = |slot: &mut i64, d: i64| -> Result<(), OpError> {
            *slot = slot.checked_add(d).ok_or(OpError::Overflow)?;
            Ok(())
        };
        // Change of on-hand quantity, for valuation.
        let mut on_hand_delta: i64 = 0;
        let mut line_take: Option<(usize, i64)> = None;
        match *op {
            Op::Add { bucket, qty, line, .. } => {
                add(lv.slot(bucket), qty)?;
                on_hand_delta = qty;
                if let Some(r) = line
                    && let Some(i) = self.lines.iter().position(|l| l.seq == r.seq)
                {
                    let open = self.lines[i].remaining;
                    let take = if r.close { open } else { qty.min(open) };
                    line_take = Some((i, take));
                    let field = match r.kind {
                        LineKind::Incoming => &mut lv.incoming,
                        LineKind::InTransit => &mut lv.in_transit,
                    };
                    add(field, -take)?;
                }
            }
            Op::Remove { bucket, qty, .. } => {
                add(lv.slot(bucket), -qty)?;
                on_hand_delta = -qty;
            }
            Op::Adjust { bucket, delta, .. } => {
                add(lv.slot(bucket), delta)?;
                on_hand_delta = delta;
            }
            Op::Set { bucket, qty, .. } => {
                let d = qty.checked_sub(lv.get(bucket)).ok_or(OpError::Overflow)?;
                *lv.slot(bucket) = qty;
                on_hand_delta = d;
            }
            Op::Count { on_hand, .. } => {
                let others = lv.on_hand().checked_sub(lv.available).ok_or(OpError::Overflow)?;
                let d = on_hand.checked_sub(lv.on_hand()).ok_or(OpError::Overflow)?;
                lv.available = on_hand.checked_sub(others).ok_or(OpError::Overflow)?;
                on_hand_delta = d;
            }
            Op::Move { from, to, qty } => {
                add(lv.slot(from), -qty)?;
                add(lv.slot(to), qty)?;
            }
            Op::Open { kind, qty, .. } => {
                let field = match kind {
                    LineKind::Incoming => &mut lv.incoming,
                    LineKind::InTransit => &mut lv.in_transit,
                };
                add(field, qty)?;
            }
        }
        // Every bucket must stay in range for on_hand to be meaningful.
        Bucket::ALL.iter().try_fold(0i64, |acc, &b| acc.checked_add(lv.get(b))).ok_or(OpError::Overflow)?;
        if guard.negative == NegativeStock::Reject
            && let Some((bucket, qty)) = lv.first_negative()
        {
            return Err(OpError::Negative { at_seq: seq, bucket, qty });
        }
        // Committed from here on: nothing below can fail.
        self.levels = lv;
        let rate = match *op {
            Op::Add { rate, .. }
            | Op::Remove { rate, .. }
            | Op::Adjust { rate, .. }
            | Op::Set { rate, .. }
            | Op::Count { rate, .. } => rate.map(i128::from),
            Op::Move { .. } | Op::Open { .. } => None,
        };
        if on_hand_delta > 0 {
            self.val.receive(method, on_hand_delta, rate);
        } else if on_hand_delta < 0 {
            self.val.remove(method, -on_hand_delta, rate);
        }
        if let Some((i, take)) = line_take {
            self.lines[i].remaining -= take;
            if self.lines[i].remaining == 0 {
                self.lines.remove(i);
            }
        }
        if let Op::Open { kind, qty, expected_at } = *op {
            self.lines.push(OpenLine { seq, kind, remaining: qty, expected_at });
        }
        Ok(())
    }
}

/// An [`Op`] as an entry stores it: 24 bytes where the enum takes 48 (a key's entries are
/// most of its memory, and appending one is a write to memory no other event touched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedOp {
    tag: u8,
    /// The bucket (`from` of a move).
    a: u8,
    /// `to` of a move; the line kind of an open line or of a receipt's line.
    b: u8,
    /// [`HAS_X`], [`HAS_LINE`], [`CLOSE`].
    flags: u8,
    /// The seq of the line a receipt fills (a log position: 32 bits, see `MAX_EVENTS`).
    line: u32,
    /// Quantity, delta or absolute target.
    qty: i64,
    /// Unit cost (micro-units) or expected date (ms), present when `flags & HAS_X`.
    x: i64,
}

// `PackedOp::tag`, one per `Op` variant.
const ADD: u8 = 0;
const REMOVE: u8 = 1;
const ADJUST: u8 = 2;
const SET: u8 = 3;
const COUNT: u8 = 4;
const MOVE: u8 = 5;
const OPEN: u8 = 6;

// `PackedOp::flags`.
const HAS_X: u8 = 1;
const HAS_LINE: u8 = 2;
const CLOSE: u8 = 4;

impl LineKind {
    const fn from_u8(v: u8) -> LineKind {
        if v == 0 { LineKind::Incoming } else { LineKind::InTransit }
    }
}

impl PackedOp {
    fn pack(op: &Op) -> PackedOp {
        let flag_x = |v: Option<i64>| (if v.is_some() { HAS_X } else { 0 }, v.unwrap_or(0));
        let p = |tag, a: Bucket, b: u8, qty, x: Option<i64>| {
            let (f, x) = flag_x(x);
            PackedOp { tag, a: a.index() as u8, b, flags: f, line: 0, qty, x }
        };
        match *op {
            Op::Add { bucket, qty, rate, line } => {
                let mut o = p(ADD, bucket, 0, qty, rate);
                if let Some(r) = line {
                    debug_assert!(u32::try_from(r.seq).is_ok());
                    o.flags |= HAS_LINE | if r.close { CLOSE } else { 0 };
                    o.b = r.kind as u8;
                    o.line = r.seq as u32;
                }
                o
            }
            Op::Remove { bucket, qty, rate } => p(REMOVE, bucket, 0, qty, rate),
            Op::Adjust { bucket, delta, rate } => p(ADJUST, bucket, 0, delta, rate),
            Op::Set { bucket, qty, rate } => p(SET, bucket, 0, qty, rate),
            Op::Count { on_hand, rate } => p(COUNT, Bucket::Available, 0, on_hand, rate),
            Op::Move { from, to, qty } => p(MOVE, from, to.index() as u8, qty, None),
            Op::Open { kind, qty, expected_at } => {
                p(OPEN, Bucket::Available, kind as u8, qty, expected_at.map(Timestamp::as_millis))
            }
        }
    }

    fn unpack(&self) -> Op {
        let bucket = |v: u8| Bucket::ALL[usize::from(v)];
        let x = (self.flags & HAS_X != 0).then_some(self.x);
        let (a, qty) = (bucket(self.a), self.qty);
        match self.tag {
            ADD => Op::Add {
                bucket: a,
                qty,
                rate: x,
                line: (self.flags & HAS_LINE != 0).then(|| LineRef {
                    seq: u64::from(self.line),
                    kind: LineKind::from_u8(self.b),
                    close: self.flags & CLOSE != 0,
                }),
            },
            REMOVE => Op::Remove { bucket: a, qty, rate: x },
            ADJUST => Op::Adjust { bucket: a, delta: qty, rate: x },
            SET => Op::Set { bucket: a, qty, rate: x },
            COUNT => Op::Count { on_hand: qty, rate: x },
            MOVE => Op::Move { from: a, to: bucket(self.b), qty },
            _ => {
                debug_assert_eq!(self.tag, OPEN);
                Op::Open { kind: LineKind::from_u8(self.b), qty, expected_at: x.map(Timestamp::from_millis) }
            }
        }
    }
}

/// One posted entry: its place, its op, and on checkpoint entries the full state after it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) at: Timestamp,
    checkpoint: Option<Box<KeyState>>,
    op: PackedOp,
    /// Recording order; also the event's index in the ledger's log (which holds at most
    /// `MAX_EVENTS`, so it fits 32 bits).
    seq: u32,
}

impl Entry {
    fn new(at: Timestamp, seq: u64, op: &Op, checkpoint: Option<Box<KeyState>>) -> Entry {
        debug_assert!(u32::try_from(seq).is_ok());
        Entry { at, checkpoint, op: PackedOp::pack(op), seq: seq as u32 }
    }

    pub(crate) fn seq(&self) -> u64 {
        u64::from(self.seq)
    }

    pub(crate) fn op(&self) -> Op {
        self.op.unpack()
    }

    fn place(&self) -> (Timestamp, u64) {
        (self.at, self.seq())
    }
}

/// An entry taken out by [`KeyLedger::remove`], enough to put it back.
#[derive(Debug, Clone)]
pub(crate) struct Removed {
    pub(crate) at: Timestamp,
    pub(crate) seq: u64,
    pub(crate) op: Op,
}

/// The ledger of one item x location.
#[derive(Debug, Clone)]
pub(crate) struct KeyLedger {
    pub(crate) method: ValuationMethod,
    pub(crate) entries: Vec<Entry>,
    /// State after the last entry.
    pub(crate) state: KeyState,
    since_checkpoint: u32,
    /// `(at, seq)` of the last entry, kept beside the state so the in-order test does not
    /// read the entries (a cache miss per event: they are the ledger's bulk).
    /// Meaningless while there are no entries.
    last_at: Timestamp,
    last_seq: u32,
}

/// The outcome of re-applying later entries after a change at `pos`.
struct Repost {
    /// Entries whose state changed.
    changed: u32,
    /// New checkpoint states, by entry index (pre-change indices).
    checkpoints: Vec<(usize, KeyState)>,
    /// `Some` when the change reached the last entry: the new final state.
    final_state: Option<KeyState>,
}

impl KeyLedger {
    pub(crate) fn new(method: ValuationMethod) -> Self {
        KeyLedger {
            method,
            entries: Vec::new(),
            state: KeyState::default(),
            since_checkpoint: 0,
            last_at: Timestamp::from_millis(0),
            last_seq: 0,
        }
    }

    /// `(at, seq)` of the last entry (meaningless while there are no entries).
    fn last(&self) -> (Timestamp, u64) {
        (self.last_at, u64::from(self.last_seq))
    }

    /// Copies the last entry's place beside the state, after the entries' end changed.
    fn remember_last(&mut self) {
        if let Some(e) = self.entries.last() {
            (self.last_at, self.last_seq) = (e.at, e.seq);
        }
    }

    fn position(&self, at: Timestamp, seq: u64) -> usize {
        self.entries.partition_point(|e| e.place() < (at, seq))
    }

    /// The full state after `entries[..pos]`: the nearest checkpoint, then at most
    /// [`CHECKPOINT_EVERY`] entries replayed.
    pub(crate) fn state_before(&self, pos: usize) -> KeyState {
        if pos == self.entries.len() {
            return self.state.clone();
        }
        let start = self.entries[..pos].iter().rposition(|e| e.checkpoint.is_some());
        let (mut state, from) = match start {
            Some(c) => (self.entries[c].checkpoint.as_deref().cloned().unwrap_or_default(), c + 1),
            None => (KeyState::default(), 0),
        };
        for e in &self.entries[from..pos] {
            // These entries were admitted; replaying them without guards cannot fail.
            let res = state.apply(&e.op(), self.method, e.seq(), Guard::NONE);
            debug_assert!(res.is_ok(), "replay of an admitted entry failed: {res:?}");
        }
        state
    }

    /// Re-applies `entries[from..]` to the changed state `new` and, in lockstep, to the
    /// unchanged state `old`, until the two agree: from there on nothing changes.
    fn repost(
        &self,
        mut new: KeyState,
        mut old: KeyState,
        from: usize,
        negative: NegativeStock,
    ) -> Result<Repost, OpError> {
        let guard = Guard { negative, expected: None };
        let mut out = Repost { changed: 0, checkpoints: Vec::new(), final_state: None };
        if new == old {
            return Ok(out);
        }
        for (i, e) in self.entries.iter().enumerate().skip(from) {
            let op = e.op();
            new.apply(&op, self.method, e.seq(), guard)?;
            let res = old.apply(&op, self.method, e.seq(), Guard::NONE);
            debug_assert!(res.is_ok());
            if new == old {
                return Ok(out);
            }
            out.changed += 1;
            if e.checkpoint.is_some() {
                out.checkpoints.push((i, new.clone()));
            }
        }
        out.final_state = Some(new);
        Ok(out)
    }

    fn commit(&mut self, repost: Repost, shift: impl Fn(usize) -> usize) {
        for (i, s) in repost.checkpoints {
            self.entries[shift(i)].checkpoint = Some(Box::new(s));
        }
        if let Some(s) = repost.final_state {
            self.state = s;
        }
    }

    /// Posts `op` at its place in event-time order. Returns (late, entries re-posted).
    pub(crate) fn insert(&mut self, at: Timestamp, seq: u64, op: Op, guard: Guard) -> Result<(bool, u32), OpError> {
        // In order (the common case) is decided by the last entry alone: no search.
        debug_assert!(self.entries.last().is_none_or(|e| e.place() == self.last()));
        if self.entries.is_empty() || self.last() < (at, seq) {
            self.state.apply(&op, self.method, seq, guard)?;
            self.since_checkpoint += 1;
            let checkpoint = if self.since_checkpoint >= CHECKPOINT_EVERY {
                self.since_checkpoint = 0;
                Some(Box::new(self.state.clone()))
            } else {
                None
            };
            self.entries.push(Entry::new(at, seq, &op, checkpoint));
            self.remember_last();
            return Ok((false, 0));
        }
        let pos = self.position(at, seq);
        let old = self.state_before(pos);
        let mut new = old.clone();
        new.apply(&op, self.method, seq, guard)?;
        let repost = self.repost(new, old, pos, guard.negative)?;
        let n = repost.changed;
        self.entries.insert(pos, Entry::new(at, seq, &op, None));
        self.commit(repost, |i| i + 1);
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
        let Some(target) = self.entries.get(pos).filter(|e| e.seq() == seq) else {
            return Ok(None);
        };
        let new = self.state_before(pos);
        let mut old = new.clone();
        let res = old.apply(&target.op(), self.method, seq, Guard::NONE);
        debug_assert!(res.is_ok());
        let repost = self.repost(new, old, pos + 1, negative)?;
        let n = repost.changed;
        let e = self.entries.remove(pos);
        self.remember_last();
        if e.checkpoint.is_some() {
            // Keep checkpoints dense enough after removing one.
            self.since_checkpoint = self.since_checkpoint.saturating_add(CHECKPOINT_EVERY / 2);
        }
        self.commit(repost, |i| i - 1);
        Ok(Some((Removed { at: e.at, seq: e.seq(), op: e.op() }, n)))
    }

    /// The change in stock value the entry `(at, seq)` made, if it exists.
    pub(crate) fn value_change_of(&self, at: Timestamp, seq: u64) -> Option<i128> {
        let pos = self.position(at, seq);
        let e = self.entries.get(pos).filter(|e| e.seq() == seq)?;
        let mut state = self.state_before(pos);
        let before = state.val.value;
        state.apply(&e.op(), self.method, e.seq(), Guard::NONE).ok()?;
        Some(state.val.value - before)
    }

    /// Levels and value (micro-units) as of `t` (every entry with `occurred_at <= t`).
    pub(crate) fn levels_at(&self, t: Timestamp) -> (Levels, i128) {
        let n = self.entries.partition_point(|e| e.at <= t);
        let s = self.state_before(n);
        (s.levels, s.val.value)
    }

    /// Every entry with the levels and value after it, in event-time order.
    pub(crate) fn running(&self) -> impl Iterator<Item = (&Entry, Levels, i128)> + '_ {
        let mut state = KeyState::default();
        self.entries.iter().map(move |e| {
            let res = state.apply(&e.op(), self.method, e.seq(), Guard::NONE);
            debug_assert!(res.is_ok());
            (e, state.levels, state.val.value)
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn bucket() -> impl Strategy<Value = Bucket> {
        proptest::sample::select(Bucket::ALL.to_vec())
    }

    fn kind() -> impl Strategy<Value = LineKind> {
        prop_oneof![Just(LineKind::Incoming), Just(LineKind::InTransit)]
    }

    fn op() -> impl Strategy<Value = Op> {
        let rate = proptest::option::of(any::<i64>());
        let line = proptest::option::of((0..=u64::from(u32::MAX), kind(), any::<bool>()))
            .prop_map(|l| l.map(|(seq, kind, close)| LineRef { seq, kind, close }));
        prop_oneof![
            (bucket(), any::<i64>(), rate.clone(), line).prop_map(|(bucket, qty, rate, line)| Op::Add {
                bucket,
                qty,
                rate,
                line
            }),
            (bucket(), any::<i64>(), rate.clone()).prop_map(|(bucket, qty, rate)| Op::Remove { bucket, qty, rate }),
            (bucket(), any::<i64>(), rate.clone()).prop_map(|(bucket, delta, rate)| Op::Adjust { bucket, delta, rate }),
            (bucket(), any::<i64>(), rate.clone()).prop_map(|(bucket, qty, rate)| Op::Set { bucket, qty, rate }),
            (any::<i64>(), rate).prop_map(|(on_hand, rate)| Op::Count { on_hand, rate }),
            (bucket(), bucket(), any::<i64>()).prop_map(|(from, to, qty)| Op::Move { from, to, qty }),
            (kind(), any::<i64>(), proptest::option::of(any::<i64>())).prop_map(|(kind, qty, at)| Op::Open {
                kind,
                qty,
                expected_at: at.map(Timestamp::from_millis)
            }),
        ]
    }

    proptest! {
        /// An entry gives back exactly the op it was given, extreme values and `None`s included.
        #[test]
        fn packed_op_round_trips(op in op(), seq in 0..=u64::from(u32::MAX)) {
            let e = Entry::new(Timestamp::from_millis(0), seq, &op, None);
            prop_assert_eq!(e.op(), op);
            prop_assert_eq!(e.seq(), seq);
        }
    }
}
