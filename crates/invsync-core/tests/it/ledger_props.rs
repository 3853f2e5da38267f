//! Ledger invariants by proptest: order independence, idempotency, count anchoring,
//! non-negativity under the reject policy, replay.

use invsync_core::ledger::{Bucket, Event, Ledger, LedgerConfig, Movement, NegativeStock, ValuationMethod};
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

    /// (5) Replaying the recorded events into a fresh ledger reproduces it exactly.
    #[test]
    fn replay_reproduces((ops, times, order) in scenario(true), allow in any::<bool>()) {
        let negative = if allow { NegativeStock::Allow } else { NegativeStock::Reject };
        let evs = events(&ops, &times);
        let mut l = new_ledger(negative);
        for &i in &order { let _ = l.apply(evs[i].clone()); }
        let mut r = new_ledger(negative);
        for e in l.events() { r.apply(e.clone()).unwrap(); }
        prop_assert_eq!(fingerprint(&l), fingerprint(&r));
        prop_assert_eq!(l.len(), r.len());
    }
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
