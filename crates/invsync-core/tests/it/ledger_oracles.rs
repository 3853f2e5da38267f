//! docs/oracles.md section A, cases A1-A11, through the public ledger API.

use invsync_core::Money;
use invsync_core::ledger::{
    Bucket, Layer, Ledger, LedgerConfig, LedgerError, Movement, NegativeStock, QuantityState, ValuationMethod,
};

use crate::fixture::*;

fn ledger() -> Ledger {
    Ledger::new(LedgerConfig::default())
}

fn ledger_with(valuation: ValuationMethod, negative: NegativeStock) -> Ledger {
    let mut l = ledger();
    l.register_item(item("I"), valuation);
    l.register_location(loc("L"), negative);
    l
}

/// A1: back-dated absolute counts are anchors that stop propagation.
#[test]
fn a1_backdated_counts() {
    let mut l = ledger();
    l.apply(ev("r-3", day(-3), Movement::receipt(10))).unwrap();
    l.apply(ev("r-2", day(-2), Movement::receipt(1))).unwrap();
    l.apply(ev("r0", day(0), Movement::receipt(1))).unwrap();
    assert_eq!(balances(&l), [10, 11, 12]);

    l.apply(ev("c-1", day(-1), Movement::count(6))).unwrap();
    assert_eq!(balances(&l), [10, 11, 6, 7]);

    let o = l.apply(ev("c-4", day(-4), Movement::count(8))).unwrap();
    assert!(o.late);
    assert_eq!(balances(&l), [8, 18, 19, 6, 7]);
    // Only the two early receipts change: the state converges at the day -1 count, so
    // neither it nor the day 0 receipt is re-posted.
    assert_eq!(o.reposted, 2, "re-posting must stop at the day -1 count");

    l.apply(ev("x", day(0), Movement::cancel(id("c-4")))).unwrap();
    assert_eq!(balances(&l), [10, 11, 6, 7]);
    assert!(l.is_cancelled(&id("c-4")));
}

/// A1 with values (issue 20): a back-dated receipt at a cost before a count, under moving
/// average. The count absorbs the quantity, so the re-post stops there: later entries keep
/// their levels and are not counted as re-posted, though their values follow the new one
/// (exactly as the same events applied in order). Before, the values never met again on a
/// growing stock, every later entry counted as re-posted, and a newest-first feed with
/// counts was quadratic.
#[test]
fn a1_backdated_counts_stop_the_repost_with_values() {
    for method in [ValuationMethod::MovingAverage, ValuationMethod::Fifo] {
        let events: Vec<_> = (0..400i64)
            .map(|i| {
                let m = if i % 10 == 9 {
                    // The stock at this point, oldest first: 2 received per event so far.
                    Movement::count(2 * (i - i / 10))
                } else {
                    Movement::receipt_at(2, Money::from_units(1 + i % 7))
                };
                ev(&format!("e{i}"), day(i), m)
            })
            .collect();
        let mut back = ledger_with(method, NegativeStock::Reject);
        for e in events.iter().rev() {
            let o = back.apply(e.clone()).unwrap();
            // Up to the next count (at most nine receipts); never the rest of the key.
            assert!(o.reposted <= 9, "{} re-posted {}", e.id, o.reposted);
        }
        let mut fwd = ledger_with(method, NegativeStock::Reject);
        for e in &events {
            fwd.apply(e.clone()).unwrap();
        }
        assert_eq!(fingerprint(&back), fingerprint(&fwd), "{method:?}");
        let history = |l: &Ledger| -> Vec<_> {
            l.history(&item("I"), &loc("L")).map(|h| (h.levels, h.value, h.value_change)).collect()
        };
        assert_eq!(history(&back), history(&fwd));
        // One receipt at another cost before everything: the first count absorbs it.
        let o = back.apply(ev("early", day(-1), Movement::receipt_at(5, Money::from_units(100)))).unwrap();
        assert_eq!(o.reposted, 9);
        assert_eq!(balances(&back)[10], 18, "the first count");
        fwd.apply(ev("early", day(-1), Movement::receipt_at(5, Money::from_units(100)))).unwrap();
        assert_eq!(history(&back), history(&fwd));
        assert_ne!(back.valuation(&item("I"), &loc("L")).value, Money::ZERO);
    }
}

/// A2: the future-negative guard refuses a back-dated count, and nothing changes.
#[test]
fn a2_future_negative_guard() {
    let mut l = ledger();
    l.apply(ev("r", day(-2), Movement::receipt(10))).unwrap();
    l.apply(ev("i", day(0), Movement::issue(2))).unwrap();
    assert_eq!(balances(&l), [10, 8]);
    let before = fingerprint(&l);
    let err = l.apply(ev("c", day(-1), Movement::count(1))).unwrap_err();
    assert!(
        matches!(&err, LedgerError::NegativeStock { at_event, qty: -1, bucket: QuantityState::Bucket(Bucket::Available), .. } if *at_event == id("i")),
        "{err}"
    );
    assert_eq!(fingerprint(&l), before);
    assert!(l.event(&id("c")).is_none());
    // Cancelling the receipt would strand the later issue: refused too.
    assert!(matches!(l.apply(ev("x", day(0), Movement::cancel(id("r")))), Err(LedgerError::NegativeStock { .. })));
    assert_eq!(fingerprint(&l), before);
}

/// A3: entries at the same instant keep recording order.
#[test]
fn a3_same_timestamp() {
    let mut l = ledger();
    l.apply(ev("a", day(0), Movement::receipt(10))).unwrap();
    l.apply(ev("b", day(0), Movement::receipt(1))).unwrap();
    assert_eq!(balances(&l), [10, 11]);
    l.apply(ev("x", day(0), Movement::cancel(id("a")))).unwrap();
    assert_eq!(balances(&l), [1]);
    l.apply(ev("c", day(-1), Movement::receipt(1))).unwrap();
    assert_eq!(balances(&l), [1, 2]);
}

fn layers(l: &Ledger) -> Vec<(i64, Money)> {
    l.valuation(&item("I"), &loc("L")).layers.iter().map(|&Layer { qty, rate }| (qty, rate)).collect()
}

fn value(l: &Ledger) -> Money {
    l.valuation(&item("I"), &loc("L")).value
}

/// A4: FIFO with negative stock allowed.
#[test]
fn a4_fifo_negative() {
    let mut l = ledger_with(ValuationMethod::Fifo, NegativeStock::Allow);
    l.apply(ev("r1", day(0), Movement::receipt_at(10, money(10)))).unwrap();
    l.apply(ev("i1", day(1), Movement::issue(15))).unwrap();
    assert_eq!((value(&l), layers(&l)), (money(-50), vec![(-5, money(10))]));
    l.apply(ev("i2", day(2), Movement::issue(5))).unwrap();
    assert_eq!((value(&l), layers(&l)), (money(-100), vec![(-10, money(10))]));
    l.apply(ev("r2", day(3), Movement::receipt_at(15, money(15)))).unwrap();
    assert_eq!(layers(&l), vec![(5, money(15))]);
    let last = l.history(&item("I"), &loc("L")).last().unwrap();
    assert_eq!(last.value_change, money(175));
}

/// A5: FIFO unit cases: equal-rate bins merge; removing from empty makes a negative bin.
#[test]
fn a5_fifo_units() {
    let mut l = ledger_with(ValuationMethod::Fifo, NegativeStock::Allow);
    for (n, (q, r)) in [(1, 10), (2, 20), (1, 20), (5, 20)].into_iter().enumerate() {
        l.apply(ev(&format!("r{n}"), day(n as i64), Movement::receipt_at(q, money(r)))).unwrap();
    }
    assert_eq!(layers(&l), vec![(1, money(10)), (8, money(20))]);
    l.apply(ev("i", day(9), Movement::issue(4))).unwrap();
    assert_eq!(layers(&l), vec![(5, money(20))]);

    let mut e = ledger_with(ValuationMethod::Fifo, NegativeStock::Allow);
    e.apply(ev("i", day(0), Movement::Issue { qty: 1, from: Bucket::Available, unit_cost: Some(money(5)) })).unwrap();
    assert_eq!(layers(&e), vec![(-1, money(5))]);
}

/// A6: moving average.
#[test]
fn a6_moving_average() {
    let mut l = ledger_with(ValuationMethod::MovingAverage, NegativeStock::Allow);
    l.apply(ev("r1", day(0), Movement::receipt_at(10, money(200)))).unwrap();
    l.apply(ev("r2", day(1), Movement::receipt_at(10, money(150)))).unwrap();
    assert_eq!(l.valuation(&item("I"), &loc("L")).unit_cost, Some(money(175)));
    // A receipt into a non-positive position takes the incoming rate.
    l.apply(ev("i", day(2), Movement::issue(25))).unwrap();
    assert_eq!(l.levels(&item("I"), &loc("L")).on_hand(), -5);
    l.apply(ev("r3", day(3), Movement::receipt_at(10, money(30)))).unwrap();
    let v = l.valuation(&item("I"), &loc("L"));
    assert_eq!((v.quantity, v.value, v.unit_cost), (5, money(150), Some(money(30))));
}

/// A7: quantity states; incoming is outside on hand.
#[test]
fn a7_quantity_states() {
    let mut l = ledger();
    let (i, s) = (item("I"), loc("L"));
    l.apply(ev("r", day(0), Movement::receipt(20))).unwrap();
    l.apply(ev("m", day(1), Movement::Move { from: Bucket::Available, to: Bucket::Reserved, qty: 10, expected: None }))
        .unwrap();
    let lv = l.levels(&i, &s);
    assert_eq!((lv.on_hand(), lv.available, lv.reserved), (20, 10, 10));
    l.apply(ev("o", day(2), Movement::Commit { qty: 5, from: Bucket::Available })).unwrap();
    let lv = l.levels(&i, &s);
    assert_eq!((lv.on_hand(), lv.available, lv.committed), (20, 5, 5));
    l.apply(ev("f", day(3), Movement::Fulfil { qty: 5, from: Bucket::Committed })).unwrap();
    let lv = l.levels(&i, &s);
    assert_eq!((lv.on_hand(), lv.committed), (15, 0));
    l.apply(ev("po", day(4), Movement::ScheduleReceipt { qty: 50, expected_at: day(10) })).unwrap();
    l.apply(ev("d", day(5), Movement::Damage { qty: 1, from: Bucket::Available })).unwrap();
    l.apply(ev("q", day(5), Movement::QualityHold { qty: 2 })).unwrap();
    l.apply(ev(
        "ss",
        day(5),
        Movement::Move { from: Bucket::Available, to: Bucket::SafetyStock, qty: 1, expected: None },
    ))
    .unwrap();
    let lv = l.levels(&i, &s);
    assert_eq!((lv.incoming, lv.on_hand()), (50, 15));
    assert_eq!(
        lv.on_hand(),
        lv.available + lv.committed + lv.reserved + lv.damaged + lv.safety_stock + lv.quality_control
    );
    assert_eq!((lv.available, lv.damaged, lv.quality_control, lv.safety_stock), (1, 1, 2, 1));
}

/// A8: compare-and-set on set and adjust.
#[test]
fn a8_compare_and_set() {
    let mut l = ledger();
    l.apply(ev("r", day(0), Movement::receipt(5))).unwrap();
    let set = |eid: &str, expected| {
        ev(eid, day(1), Movement::Set { bucket: Bucket::Available, qty: 12, expected: Some(expected), unit_cost: None })
    };
    let before = fingerprint(&l);
    let err = l.apply(set("s-stale", 6)).unwrap_err();
    assert!(matches!(err, LedgerError::Stale { expected: 6, actual: 5, bucket: Bucket::Available, .. }), "{err}");
    assert_eq!(fingerprint(&l), before);
    l.apply(set("s-ok", 5)).unwrap();
    assert_eq!(l.levels(&item("I"), &loc("L")).available, 12);

    let adj = |eid: &str, expected| {
        ev(
            eid,
            day(2),
            Movement::Adjust { bucket: Bucket::Available, delta: 10, expected: Some(expected), unit_cost: None },
        )
    };
    l.apply(ev("to50", day(2), Movement::count(50))).unwrap();
    assert!(matches!(l.apply(adj("a-stale", 49)), Err(LedgerError::Stale { .. })));
    l.apply(adj("a-ok", 50)).unwrap();
    assert_eq!(l.levels(&item("I"), &loc("L")).available, 60);
}

/// A9: idempotency keys.
#[test]
fn a9_idempotency() {
    let mut l = ledger();
    let first = l.apply(ev("k", day(0), Movement::receipt(2))).unwrap();
    let again = l.apply(ev("k", day(0), Movement::receipt(2)).with_recorded_at(day(1))).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.seq, first.seq);
    assert_eq!(l.levels(&item("I"), &loc("L")).on_hand(), 2);
    assert!(matches!(l.apply(ev("k", day(0), Movement::receipt(3))), Err(LedgerError::IdempotencyConflict { .. })));
    l.apply(ev("k2", day(0), Movement::receipt(2)).with_reference("supplier B")).unwrap();
    assert_eq!(l.levels(&item("I"), &loc("L")).on_hand(), 4);
}

/// A10: Odoo quants, modelled as locations of one item; available floors at zero.
#[test]
fn a10_quants() {
    let quants = |spec: &[(i64, i64)], negative| {
        let mut l = ledger();
        for (n, &(qty, reserved)) in spec.iter().enumerate() {
            let q = format!("Q{n}");
            l.register_location(loc(&q), negative);
            l.apply(ev_at(&format!("r{n}"), "I", &q, day(0), Movement::receipt(qty))).unwrap();
            if reserved > 0 {
                l.apply(ev_at(&format!("s{n}"), "I", &q, day(1), Movement::Reserve { qty: reserved })).unwrap();
            }
        }
        l
    };
    let l = quants(&[(10, 9), (1, 1)], NegativeStock::Reject);
    assert_eq!(l.levels_across(&item("I")).sellable(), 1);
    let l = quants(&[(10, 20), (5, 0)], NegativeStock::Allow);
    assert_eq!(l.levels_across(&item("I")).sellable(), 0);
    assert_eq!(l.levels_across(&item("I")).available, -5);
    let mut l = quants(&[(20, 10), (18, 9), (12, 6), (8, 4)], NegativeStock::Reject);
    assert_eq!(l.levels_across(&item("I")).sellable(), 29);
    l.apply(ev_at("more", "I", "Q0", day(2), Movement::Reserve { qty: 10 })).unwrap();
    assert_eq!(l.levels_across(&item("I")).sellable(), 19);
}

/// A11: Magento salable quantity and an order's reservations netting to zero.
#[test]
fn a11_reservations() {
    let mut l = ledger();
    for (n, qty) in [20, 25, 10].into_iter().enumerate() {
        l.apply(ev_at(&format!("src{n}"), "I", &format!("S{n}"), day(0), Movement::receipt(qty))).unwrap();
    }
    assert_eq!(l.levels_across(&item("I")).on_hand(), 55);
    l.apply(ev_at("res-a", "I", "S0", day(1), Movement::Reserve { qty: 10 })).unwrap();
    l.apply(ev_at("res-b", "I", "S1", day(1), Movement::Reserve { qty: 5 })).unwrap();
    assert_eq!(l.levels_across(&item("I")).sellable(), 40);
    // An order for 25 at S1 (topped up first): reserve 25, cancel 5 of it, ship 20.
    l.apply(ev_at("top-up", "I", "S1", day(1), Movement::receipt(10))).unwrap();
    let reserved_before = l.levels_across(&item("I")).reserved;
    l.apply(ev_at("placed", "I", "S1", day(2), Movement::Reserve { qty: 25 })).unwrap();
    l.apply(ev_at("cancelled-part", "I", "S1", day(3), Movement::Release { qty: 5 })).unwrap();
    l.apply(ev_at("shipped", "I", "S1", day(4), Movement::Fulfil { qty: 20, from: Bucket::Reserved })).unwrap();
    assert_eq!(l.levels_across(&item("I")).reserved, reserved_before, "-25 + 5 + 20 = 0");
    assert_eq!(l.levels_across(&item("I")).on_hand(), 45);
}

/// Every `Movement` variant has a constructor: the constructors cover all 18 kinds, each
/// with the documented defaults (no guard, no cost override, open transfers and receipts).
#[test]
fn every_movement_kind_has_a_constructor() {
    use invsync_core::{EventId, LocationId, Timestamp};
    let id = EventId::new("e1").unwrap();
    let to = LocationId::new("S1").unwrap();
    let all = [
        Movement::receipt(1),
        Movement::schedule_receipt(1, Timestamp::EPOCH),
        Movement::issue(1),
        Movement::adjust(1),
        Movement::set(Bucket::Damaged, 1),
        Movement::count(1),
        Movement::move_between(Bucket::Available, Bucket::Reserved, 1),
        Movement::reserve(1),
        Movement::release(1),
        Movement::commit(1, Bucket::Reserved),
        Movement::fulfil(1, Bucket::Committed),
        Movement::transfer_out(to.clone(), 1),
        Movement::transfer_in(id.clone(), 1),
        Movement::customer_return(1, Bucket::Damaged),
        Movement::damage(1, Bucket::Reserved),
        Movement::quality_hold(1),
        Movement::quality_release(1, Bucket::Available),
        Movement::cancel(id.clone()),
    ];
    let kinds: std::collections::BTreeSet<_> = all.iter().map(Movement::kind).collect();
    assert_eq!(kinds.len(), 18, "{kinds:?}");
    assert_eq!(all[4], Movement::Set { bucket: Bucket::Damaged, qty: 1, expected: None, unit_cost: None });
    assert_eq!(all[6], Movement::Move { from: Bucket::Available, to: Bucket::Reserved, qty: 1, expected: None });
    assert_eq!(all[11], Movement::TransferOut { to, qty: 1, expected_at: None, unit_cost: None });
    assert_eq!(all[12], Movement::TransferIn { transfer: id, qty: 1, close: false });
    assert_eq!(all[13], Movement::Return { qty: 1, to: Bucket::Damaged, unit_cost: None });
}
