//! Ledger invariants by proptest: order independence, idempotency, count anchoring,
//! non-negativity under the reject policy, replay.

use invsync_core::ledger::{
    Bucket, Event, Ledger, LedgerConfig, LedgerError, Misplacement, Movement, NegativeStock, Registered, Registration,
    ReplayError, ValuationMethod,
};
use invsync_core::{Money, Timestamp};
use proptest::prelude::*;

use crate::fixture::*;

const KEYS: [(&str, &str); 4] = [("A", "X"), ("A", "Y"), ("B", "X"), ("B", "Y")];

#[derive(Debug, Clone)]
enum Gen {
    Receipt(i64, Option<i64>),
    Issue(i64),
    Adjust(i64),
    Count(i64),
    Reserve(i64),
    Release(i64),
    Damage(i64),
    Cancel(usize),
}

fn gen_op(with_cancel: bool) -> impl Strategy<Value = Gen> {
    let q = 1i64..30;
    let base = prop_oneof![
        3 => (q.clone(), proptest::option::of(1i64..50)).prop_map(|(q, c)| Gen::Receipt(q, c)),
        2 => q.clone().prop_map(Gen::Issue),
        1 => (-20i64..20).prop_filter("non-zero", |d| *d != 0).prop_map(Gen::Adjust),
        1 => (0i64..60).prop_map(Gen::Count),
        1 => q.clone().prop_map(Gen::Reserve),
        1 => q.clone().prop_map(Gen::Release),
        1 => q.prop_map(Gen::Damage),
    ];
    if with_cancel { prop_oneof![6 => base, 1 => (0usize..64).prop_map(Gen::Cancel)].boxed() } else { base.boxed() }
}

fn movement(g: &Gen) -> Movement {
    match *g {
        Gen::Receipt(q, c) => Movement::Receipt {
            qty: q,
            unit_cost: c.map(Money::from_units),
            to: Bucket::Available,
            against: None,
            close: false,
        },
        Gen::Issue(q) => Movement::issue(q),
        Gen::Adjust(d) => Movement::adjust(d),
        Gen::Count(n) => Movement::count(n),
        Gen::Reserve(q) => Movement::Reserve { qty: q },
        Gen::Release(q) => Movement::Release { qty: q },
        Gen::Damage(q) => Movement::Damage { qty: q, from: Bucket::Available },
        Gen::Cancel(j) => Movement::cancel(id(&format!("e{j}"))),
    }
}

/// Events `e0..` with the given (distinct) instants, over four keys.
fn events(ops: &[(usize, Gen)], times: &[i64]) -> Vec<Event> {
    ops.iter()
        .zip(times)
        .enumerate()
        .map(|(n, ((k, g), &t))| {
            let (i, l) = KEYS[*k];
            ev_at(&format!("e{n}"), i, l, Timestamp::from_secs(t), movement(g))
        })
        .collect()
}

fn new_ledger(negative: NegativeStock) -> Ledger {
    let mut l = Ledger::new(LedgerConfig { default_negative: negative, ..LedgerConfig::default() });
    l.register_item(item("A"), ValuationMethod::Fifo);
    l.register_item(item("B"), ValuationMethod::MovingAverage);
    l
}

/// Operations, distinct instants for them, and a delivery order.
fn scenario(with_cancel: bool) -> impl Strategy<Value = (Vec<(usize, Gen)>, Vec<i64>, Vec<usize>)> {
    proptest::collection::vec((0usize..4, gen_op(with_cancel)), 1..40).prop_flat_map(|ops| {
        let n = ops.len();
        let times: Vec<i64> = (0..n as i64).map(|t| t * 60).collect();
        (Just(ops), Just(times).prop_shuffle(), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// (1) Any delivery order of events with distinct instants gives the same state and history.
    #[test]
    fn order_independent((ops, times, order) in scenario(false)) {
        let evs = events(&ops, &times);
        let mut sorted = evs.clone();
        sorted.sort_by_key(|e| e.occurred_at);
        let mut a = new_ledger(NegativeStock::Allow);
        for e in sorted { a.apply(e).unwrap(); }
        let mut b = new_ledger(NegativeStock::Allow);
        for &i in &order { b.apply(evs[i].clone()).unwrap(); }
        prop_assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    /// (2) Applying any event twice equals applying it once.
    #[test]
    fn twice_is_once((ops, times, order) in scenario(true)) {
        let evs = events(&ops, &times);
        let mut l = new_ledger(NegativeStock::Reject);
        let first: Vec<_> = evs.iter().map(|e| l.apply(e.clone())).collect();
        let fp = fingerprint(&l);
        for &i in &order {
            let Ok(o) = &first[i] else { continue };
            let again = l.apply(evs[i].clone().with_recorded_at(Timestamp::from_secs(10_000)));
            prop_assert_eq!(again, Ok(invsync_core::ledger::Outcome { duplicate: true, ..*o }));
            prop_assert_eq!(&fingerprint(&l), &fp);
        }
    }

    /// (3) on_hand = the last count plus the signed movements after it.
    #[test]
    fn count_anchors((ops, times, order) in scenario(false)) {
        let evs = events(&ops, &times);
        let mut l = new_ledger(NegativeStock::Allow);
        for &i in &order { l.apply(evs[i].clone()).unwrap(); }
        for (k, (i, loc_)) in KEYS.iter().enumerate() {
            let mut mine: Vec<_> = ops.iter().zip(&times).filter(|((kk, _), _)| *kk == k).collect();
            mine.sort_by_key(|(_, t)| **t);
            let mut on_hand = 0i64;
            for ((_, g), _) in mine {
                match *g {
                    Gen::Count(n) => on_hand = n,
                    Gen::Receipt(q, _) => on_hand += q,
                    Gen::Issue(q) => on_hand -= q,
                    Gen::Adjust(d) => on_hand += d,
                    _ => {}
                }
            }
            prop_assert_eq!(l.levels(&item(i), &loc(loc_)).on_hand(), on_hand);
        }
    }

    /// (4) Under the reject policy no balance is ever negative, in any entry of any history.
    #[test]
    fn reject_policy_never_negative((ops, times, order) in scenario(true)) {
        let evs = events(&ops, &times);
        let mut l = new_ledger(NegativeStock::Reject);
        for &i in &order { let _ = l.apply(evs[i].clone()); }
        for (i, lc) in l.keys().map(|(i, l)| (i.clone(), l.clone())).collect::<Vec<_>>() {
            for h in l.history(&i, &lc) {
                let lv = h.levels;
                for v in [lv.available, lv.committed, lv.reserved, lv.damaged, lv.safety_stock, lv.quality_control, lv.incoming, lv.in_transit] {
                    prop_assert!(v >= 0, "negative {:?} after {}", lv, h.event.id);
                }
                prop_assert!(h.value.as_micros() >= 0);
            }
        }
    }

    /// (5) Replaying the recorded registrations and events into a fresh ledger reproduces
    /// it exactly, registrations made between events included (a location's policy
    /// changed twice, an item registered after it had entries).
    #[test]
    fn replay_reproduces(
        (ops, times, order) in scenario(true),
        allow in any::<bool>(),
        at in (0usize..40, 0usize..40, 0usize..40),
    ) {
        let negative = if allow { NegativeStock::Allow } else { NegativeStock::Reject };
        let evs = events(&ops, &times);
        let mut l = new_ledger(NegativeStock::Reject);
        for (k, &i) in order.iter().enumerate() {
            if k == at.0 { l.register_location(loc("X"), negative); }
            if k == at.1 { l.register_location(loc("X"), NegativeStock::Reject); }
            if k == at.2 { l.register_item(item("B"), ValuationMethod::Fifo); }
            let _ = l.apply(evs[i].clone());
        }
        l.register_location(loc("Y"), negative);
        let r = Ledger::replay(l.config().clone(), l.registrations().iter().cloned(), l.events().cloned()).unwrap();
        prop_assert_eq!(fingerprint(&l), fingerprint(&r));
        prop_assert_eq!(l.len(), r.len());
        prop_assert_eq!(l.registrations(), r.registrations());
    }
}

/// The two cases the events alone cannot rebuild: a FIFO item (the default valuation is
/// the moving average) and a location that allows negative stock (the default rejects).
#[test]
fn replay_carries_a_fifo_item_and_a_negative_stock_location() {
    let mut l = Ledger::new(LedgerConfig::default());
    l.apply(ev_at("r0", "A", "X", day(0), Movement::receipt_at(10, money(5)))).unwrap();
    // Registered after A/X has entries: A/X keeps the moving average, A/Y gets FIFO.
    l.register_item(item("A"), ValuationMethod::Fifo);
    l.register_location(loc("Y"), NegativeStock::Allow);
    l.apply(ev_at("r1", "A", "Y", day(1), Movement::receipt_at(10, money(10)))).unwrap();
    l.apply(ev_at("r2", "A", "Y", day(2), Movement::receipt_at(10, money(20)))).unwrap();
    l.apply(ev_at("s1", "A", "Y", day(3), Movement::issue(25))).unwrap();
    l.apply(ev_at("s2", "A", "X", day(3), Movement::issue(4))).unwrap();
    assert_eq!(l.levels(&item("A"), &loc("Y")).on_hand(), -5);
    assert_eq!(
        l.registrations(),
        [
            Registered {
                before_seq: 1,
                registration: Registration::Item { item: item("A"), valuation: ValuationMethod::Fifo }
            },
            Registered {
                before_seq: 1,
                registration: Registration::Location { location: loc("Y"), negative: NegativeStock::Allow },
            },
        ]
    );

    let r = Ledger::replay(l.config().clone(), l.registrations().iter().cloned(), l.events().cloned()).unwrap();
    assert_eq!(fingerprint(&r), fingerprint(&l));
    assert_eq!(r.registrations(), l.registrations());
    assert_eq!(r.valuation(&item("A"), &loc("Y")).method, ValuationMethod::Fifo);
    assert_eq!(r.valuation(&item("A"), &loc("X")).method, ValuationMethod::MovingAverage);

    // The events alone do not rebuild it: the negative issue is refused ...
    let mut bare = Ledger::new(l.config().clone());
    let refused = l.events().cloned().map(|e| bare.apply(e)).find_map(Result::err);
    assert!(matches!(refused, Some(LedgerError::NegativeStock { .. })), "{refused:?}");
    // ... and with the location registered up front the FIFO item is valued otherwise.
    let mut bare = Ledger::new(l.config().clone());
    bare.register_location(loc("Y"), NegativeStock::Allow);
    for e in l.events() {
        bare.apply(e.clone()).unwrap();
    }
    assert_ne!(bare.valuation(&item("A"), &loc("Y")), l.valuation(&item("A"), &loc("Y")));
}

#[test]
fn replay_refuses_what_no_ledger_recorded() {
    let reg = |before_seq| Registered {
        before_seq,
        registration: Registration::Location { location: loc("L"), negative: NegativeStock::Allow },
    };
    let r1 = ev("r1", day(1), Movement::receipt(3));
    let s1 = ev("s1", day(2), Movement::issue(5));
    let replay =
        |regs: Vec<Registered>, evs: Vec<Event>| Ledger::replay(LedgerConfig::default(), regs, evs).map(|l| l.len());
    assert_eq!(replay(vec![reg(1)], vec![r1.clone(), s1.clone()]), Ok(2));
    // Registered after the issue: the issue is refused, at its place.
    let refused = replay(vec![reg(2)], vec![r1.clone(), s1.clone()]);
    assert!(
        matches!(refused, Err(ReplayError::Refused { seq: 1, error: LedgerError::NegativeStock { .. } })),
        "{refused:?}"
    );
    assert_eq!(
        replay(vec![reg(0), reg(2)], vec![r1.clone()]),
        Err(ReplayError::Misplaced { index: 1, before_seq: 2, reason: Misplacement::PastTheEnd { events: 1 } })
    );
    assert_eq!(
        replay(vec![reg(1), reg(0)], vec![r1.clone()]),
        Err(ReplayError::Misplaced { index: 1, before_seq: 0, reason: Misplacement::OutOfOrder { previous: 1 } })
    );
    assert_eq!(
        replay(vec![], vec![r1.clone(), r1.clone()]),
        Err(ReplayError::Duplicate { seq: 1, event: id("r1"), original: 0 })
    );
}

/// Hot keys (issue 20): a long feed delivered newest first (each event before all of its
/// key's entries, past the depth that switches a key to its hot layout), then deep
/// cancellations, ends exactly where the surviving events delivered oldest first end:
/// levels, valuation (FIFO and moving average), every history line. Under the reject
/// policy, what the newest-first feed accepted is what is compared.
fn hot_feed() -> impl Strategy<Value = (Vec<(usize, Gen)>, Vec<usize>, bool)> {
    let one = (0usize..2, gen_op(false));
    (proptest::collection::vec(one, 300..420), proptest::collection::vec(0usize..1000, 0..12), any::<bool>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn hot_key_newest_first_equals_oldest_first((ops, cancels, reject) in hot_feed()) {
        let negative = if reject { NegativeStock::Reject } else { NegativeStock::Allow };
        let times: Vec<i64> = (0..ops.len() as i64).map(|t| t * 60).collect();
        let evs = events(&ops, &times);
        let mut back = new_ledger(negative);
        let mut accepted = Vec::new();
        for e in evs.iter().rev() {
            if back.apply(e.clone()).is_ok() {
                accepted.push(e.clone());
            }
        }
        // Cancel some accepted events, oldest ones included (deep in the hot keys).
        let mut cancelled = Vec::new();
        for (n, &c) in cancels.iter().enumerate() {
            let Some(t) = accepted.get(c % accepted.len().max(1)) else { continue };
            let x = ev_at(&format!("x{n}"), t.item.as_str(), t.location.as_str(), Timestamp::from_secs(1 << 30),
                          Movement::cancel(t.id.clone()));
            if back.apply(x).is_ok() {
                cancelled.push(t.id.clone());
            }
        }
        let mut fwd = new_ledger(NegativeStock::Allow);
        let mut survivors: Vec<_> = accepted.into_iter().filter(|e| !cancelled.contains(&e.id)).collect();
        survivors.reverse();
        for e in survivors {
            fwd.apply(e).unwrap();
        }
        prop_assert_eq!(fingerprint(&back), fingerprint(&fwd));
        for &(i, l) in &KEYS[..2] {
            for t in [0, 7_000, 12_345, 20_000] {
                let at = Timestamp::from_secs(t);
                prop_assert_eq!(back.levels_at(&item(i), &loc(l), at), fwd.levels_at(&item(i), &loc(l), at));
                prop_assert_eq!(back.value_at(&item(i), &loc(l), at), fwd.value_at(&item(i), &loc(l), at));
            }
        }
    }
}
