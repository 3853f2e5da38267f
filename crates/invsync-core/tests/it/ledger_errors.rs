//! Bad input: typed errors and nothing changed. Transfers, scheduled receipts, ATP, batches.

use invsync_core::Timestamp;
use invsync_core::ledger::{
    AtpBucket, BatchError, Bucket, InvalidMovementReason, InvalidTargetReason, Ledger, LedgerConfig, LedgerError,
    Movement, NegativeStock, QuantityState, QueryError,
};

use crate::fixture::*;

#[track_caller]
fn check_refused(l: &mut Ledger, e: invsync_core::ledger::Event, want: fn(&LedgerError) -> bool) {
    let before = fingerprint(l);
    let n = l.len();
    let err = l.apply(e).unwrap_err();
    assert!(want(&err), "unexpected error: {err}");
    assert_eq!(fingerprint(l), before, "a refused event changed the ledger");
    assert_eq!(l.len(), n);
}

fn seeded() -> Ledger {
    let mut l = Ledger::new(LedgerConfig::default());
    l.apply(ev("r", day(0), Movement::receipt(10))).unwrap();
    l
}

/// The typed reasons carry the same sentences the messages always had.
#[test]
fn typed_reasons_keep_their_messages() {
    let mut l = seeded();
    let err = l.apply(ev("a0", day(1), Movement::adjust(0))).unwrap_err();
    assert!(matches!(err, LedgerError::InvalidMovement { reason: InvalidMovementReason::ZeroAdjustment, .. }));
    assert_eq!(err.to_string(), "event a0: an adjustment needs a non-zero delta");
    let err = l.apply(ev("c", day(1), Movement::cancel(id("c")))).unwrap_err();
    assert!(matches!(err, LedgerError::InvalidMovement { reason: InvalidMovementReason::CancelsItself, .. }));
    assert_eq!(err.to_string(), "event c: an event cannot cancel itself");
    l.apply(ev("x", day(1), Movement::cancel(id("r")))).unwrap();
    let err = l.apply(ev("y", day(2), Movement::cancel(id("r")))).unwrap_err();
    assert!(matches!(err, LedgerError::InvalidTarget { reason: InvalidTargetReason::AlreadyCancelled, .. }));
    assert_eq!(err.to_string(), "event y cannot refer to event r: it is already cancelled");
    let err = l.apply(ev("z", day(2), Movement::cancel(id("x")))).unwrap_err();
    assert!(matches!(err, LedgerError::InvalidTarget { reason: InvalidTargetReason::CancelsCancellation, .. }));
    assert_eq!(err.to_string(), "event z cannot refer to event x: a cancellation cannot be cancelled");
    let err = l.apply(ev("i", day(3), Movement::issue(1))).unwrap_err();
    assert!(matches!(
        err,
        LedgerError::NegativeStock { bucket: QuantityState::Bucket(Bucket::Available), qty: -1, .. }
    ));
    assert!(err.to_string().contains(": available would be -1 after event i,"), "{err}");
    let names: Vec<String> = QuantityState::ALL.iter().map(ToString::to_string).collect();
    let want =
        ["available", "committed", "reserved", "damaged", "safety_stock", "quality_control", "incoming", "in_transit"];
    assert_eq!(names, want);
}

#[test]
fn bad_quantities() {
    let mut l = seeded();
    check_refused(&mut l, ev("z", day(1), Movement::receipt(0)), |e| {
        matches!(e, LedgerError::NonPositiveQuantity { qty: 0, .. })
    });
    check_refused(&mut l, ev("n", day(1), Movement::issue(-3)), |e| {
        matches!(e, LedgerError::NonPositiveQuantity { .. })
    });
    check_refused(&mut l, ev("big", day(1), Movement::receipt(i64::MAX)), |e| {
        matches!(e, LedgerError::QuantityTooLarge { .. })
    });
    check_refused(&mut l, ev("a0", day(1), Movement::adjust(0)), |e| matches!(e, LedgerError::InvalidMovement { .. }));
    check_refused(&mut l, ev("amin", day(1), Movement::adjust(i64::MIN)), |e| {
        matches!(e, LedgerError::QuantityTooLarge { .. })
    });
    check_refused(&mut l, ev("cneg", day(1), Movement::count(-1)), |e| matches!(e, LedgerError::NegativeTarget { .. }));
    check_refused(&mut l, ev("cost", day(1), Movement::receipt_at(1, money(-1))), |e| {
        matches!(e, LedgerError::UnitCostOutOfRange { .. })
    });
    let same = Movement::Move { from: Bucket::Reserved, to: Bucket::Reserved, qty: 1, expected: None };
    check_refused(&mut l, ev("mv", day(1), same), |e| matches!(e, LedgerError::InvalidMovement { .. }));
    check_refused(&mut l, ev("over", day(1), Movement::issue(11)), |e| matches!(e, LedgerError::NegativeStock { .. }));
}

#[test]
fn overflow_is_typed() {
    let mut l = Ledger::new(LedgerConfig { max_quantity: i64::MAX, ..LedgerConfig::default() });
    l.apply(ev("a", day(0), Movement::receipt(i64::MAX - 1))).unwrap();
    check_refused(&mut l, ev("b", day(1), Movement::receipt(10)), |e| matches!(e, LedgerError::Overflow { .. }));
    // On hand is a sum over buckets: it must not overflow either.
    l.apply(ev(
        "c",
        day(1),
        Movement::Receipt { qty: 5, unit_cost: None, to: Bucket::Damaged, against: None, close: false },
    ))
    .unwrap_err();
}

#[test]
fn strict_registration() {
    let mut l = Ledger::new(LedgerConfig { strict: true, ..LedgerConfig::default() });
    check_refused(&mut l, ev("e", day(0), Movement::receipt(1)), |e| matches!(e, LedgerError::UnknownItem { .. }));
    l.register_item(item("I"), Default::default());
    check_refused(&mut l, ev("e", day(0), Movement::receipt(1)), |e| matches!(e, LedgerError::UnknownLocation { .. }));
    l.register_location(loc("L"), NegativeStock::Reject);
    l.apply(ev("e", day(0), Movement::receipt(1))).unwrap();
    let t = Movement::TransferOut { to: loc("ELSEWHERE"), qty: 1, expected_at: None, unit_cost: None };
    check_refused(&mut l, ev("t", day(1), t), |e| matches!(e, LedgerError::UnknownLocation { .. }));
}

#[test]
fn cancel_errors() {
    let mut l = seeded();
    check_refused(&mut l, ev("x", day(1), Movement::cancel(id("nope"))), |e| {
        matches!(e, LedgerError::UnknownTarget { .. })
    });
    check_refused(&mut l, ev("x", day(1), Movement::cancel(id("x"))), |e| {
        matches!(e, LedgerError::InvalidMovement { .. })
    });
    l.apply(ev("i", day(1), Movement::issue(1))).unwrap();
    l.apply(ev("x1", day(2), Movement::cancel(id("i")))).unwrap();
    check_refused(&mut l, ev("x2", day(2), Movement::cancel(id("i"))), |e| {
        matches!(e, LedgerError::InvalidTarget { .. })
    });
    check_refused(&mut l, ev("x3", day(2), Movement::cancel(id("x1"))), |e| {
        matches!(e, LedgerError::InvalidTarget { .. })
    });
}

/// A cancellation of another item's or another location's event would reverse stock it
/// does not speak for (issue 20): refused, naming both, for every kind of target.
#[test]
fn cancel_of_another_key_is_refused_naming_both() {
    let mut l = seeded();
    l.apply(ev_at("j", "J", "L", day(0), Movement::receipt(7))).unwrap();
    l.apply(ev_at("m", "I", "M", day(0), Movement::receipt(4))).unwrap();
    let out = Movement::TransferOut { to: loc("B"), qty: 2, expected_at: None, unit_cost: None };
    l.apply(ev("t", day(1), out)).unwrap();
    for (cancel_item, cancel_loc, target, t_item, t_loc) in [
        ("I", "L", "j", "J", "L"),
        ("J", "L", "r", "I", "L"),
        ("I", "M", "r", "I", "L"),
        ("I", "L", "m", "I", "M"),
        ("J", "M", "r", "I", "L"),
        // A transfer lives at its source: cancelling it at the destination is refused too.
        ("I", "B", "t", "I", "L"),
    ] {
        let e = ev_at("x", cancel_item, cancel_loc, day(2), Movement::cancel(id(target)));
        let before = fingerprint(&l);
        let err = l.apply(e).unwrap_err();
        assert_eq!(
            err,
            LedgerError::CancelMismatch {
                event: id("x"),
                item: item(cancel_item),
                location: loc(cancel_loc),
                target: id(target),
                target_key: Box::new((item(t_item), loc(t_loc))),
            }
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("{cancel_item}/{cancel_loc}")) && msg.contains(&format!("{t_item}/{t_loc}")),
            "{msg}"
        );
        assert_eq!(fingerprint(&l), before);
        assert!(!l.is_cancelled(&id(target)));
    }
    // Mismatched and already cancelled: the mismatch is reported (as a shared ledger does).
    l.apply(ev_at("xj", "J", "L", day(2), Movement::cancel(id("j")))).unwrap();
    let err = l.apply(ev("x", day(2), Movement::cancel(id("j")))).unwrap_err();
    assert!(matches!(err, LedgerError::CancelMismatch { .. }), "{err}");
    // The same cancellation at the target's own key is accepted.
    l.apply(ev_at("xm", "I", "M", day(2), Movement::cancel(id("m")))).unwrap();
    assert_eq!(l.levels(&item("I"), &loc("M")).on_hand(), 0);
    assert_eq!(l.levels(&item("I"), &loc("L")).on_hand(), 8);
}

#[test]
fn far_future_events_are_refused() {
    let mut l = seeded();
    let e = ev("f", day(30), Movement::receipt(1)).with_recorded_at(day(0));
    check_refused(&mut l, e, |e| matches!(e, LedgerError::FutureEvent { .. }));
    // Within the skew it is fine.
    l.apply(ev("ok", day(1).add_millis(60_000), Movement::receipt(1)).with_recorded_at(day(1))).unwrap();
}

#[test]
fn transfers_partial_over_short() {
    let mut l = seeded();
    let (i, a, b) = (item("I"), loc("L"), loc("B"));
    let out = Movement::TransferOut { to: b.clone(), qty: 6, expected_at: Some(day(5)), unit_cost: Some(money(3)) };
    l.apply(ev("t", day(1), out)).unwrap();
    assert_eq!(l.levels(&i, &a).available, 4);
    assert_eq!(l.levels(&i, &b).in_transit, 6);
    let tin =
        |eid: &str, qty, close| ev_at(eid, "I", "B", day(3), Movement::TransferIn { transfer: id("t"), qty, close });
    l.apply(tin("in1", 2, false)).unwrap();
    assert_eq!((l.levels(&i, &b).available, l.levels(&i, &b).in_transit), (2, 4));
    // Receiving at the wrong location is refused.
    check_refused(
        &mut l,
        ev("in-wrong", day(3), Movement::TransferIn { transfer: id("t"), qty: 1, close: false }),
        |e| matches!(e, LedgerError::InvalidTarget { .. }),
    );
    // The source cannot be cancelled while receipts refer to it.
    check_refused(&mut l, ev("xt", day(4), Movement::cancel(id("t"))), |e| {
        matches!(e, LedgerError::InvalidTarget { .. })
    });
    l.apply(tin("in2", 3, true)).unwrap(); // short by 1, closed
    assert_eq!((l.levels(&i, &b).available, l.levels(&i, &b).in_transit), (5, 0));
    assert_eq!(l.valuation(&i, &b).value, money(15));
    // Over-receipt on a closed transfer is taken in full; in transit stays at zero.
    l.apply(tin("in3", 2, false)).unwrap();
    assert_eq!((l.levels(&i, &b).available, l.levels(&i, &b).in_transit), (7, 0));
    // Cancel the receipts, then the transfer: everything returns.
    // A receipt at B is cancelled at B: the same cancellation filed at L is refused.
    check_refused(&mut l, ev("x-in3-at-l", day(6), Movement::cancel(id("in3"))), |e| {
        matches!(e, LedgerError::CancelMismatch { .. })
    });
    for x in ["in3", "in2", "in1"] {
        l.apply(ev_at(&format!("x-{x}"), "I", "B", day(6), Movement::cancel(id(x)))).unwrap();
    }
    l.apply(ev("x-t", day(6), Movement::cancel(id("t")))).unwrap();
    assert_eq!(l.levels(&i, &a).available, 10);
    assert_eq!(l.levels(&i, &b), Default::default());
}

#[test]
fn scheduled_receipts_and_atp() {
    let mut l = seeded();
    let (i, s) = (item("I"), loc("L"));
    l.apply(ev("po1", day(1), Movement::ScheduleReceipt { qty: 20, expected_at: day(7) })).unwrap();
    l.apply(ev("po2", day(1), Movement::ScheduleReceipt { qty: 5, expected_at: day(20) })).unwrap();
    l.apply(ev("res", day(2), Movement::Reserve { qty: 4 })).unwrap();
    let ends = [day(3), day(10), day(30)];
    let atp = l.atp(&i, &s, &ends).unwrap();
    let want = [(0, 6), (20, 26), (5, 31)];
    for (b, (r, c)) in atp.iter().zip(want) {
        assert_eq!((b.receipts, b.cumulative), (r, c), "{b:?}");
    }
    let fill = |eid: &str, qty, close| Movement::Receipt {
        qty,
        unit_cost: None,
        to: Bucket::Available,
        against: Some(id(eid)),
        close,
    };
    l.apply(ev("g1", day(8), fill("po1", 15, false))).unwrap();
    assert_eq!(l.levels(&i, &s).incoming, 10);
    l.apply(ev("g2", day(9), fill("po1", 1, true))).unwrap(); // short-closed
    assert_eq!(l.levels(&i, &s).incoming, 5);
    let atp: Vec<AtpBucket> = l.atp(&i, &s, &ends).unwrap();
    assert_eq!(atp.iter().map(|b| b.cumulative).collect::<Vec<_>>(), [22, 22, 27]);
    assert_eq!(l.atp(&i, &s, &[day(3), day(3)]), Err(QueryError::BucketsNotAscending));
    // A fill dated before its schedule is refused.
    check_refused(&mut l, ev("g0", day(0), fill("po2", 1, false)), |e| matches!(e, LedgerError::InvalidTarget { .. }));
}

#[test]
fn batches_are_atomic() {
    let mut l = seeded();
    let before = fingerprint(&l);
    let batch = vec![
        ev("b1", day(1), Movement::receipt(5)),
        ev("b2", day(2), Movement::TransferOut { to: loc("B"), qty: 12, expected_at: None, unit_cost: None }),
        ev("b3", day(3), Movement::cancel(id("r"))), // would strand the transfer: refused
    ];
    let err = l.apply_batch(batch).unwrap_err();
    assert!(matches!(err, BatchError { index: 2, error: LedgerError::NegativeStock { .. } }), "{err}");
    let source = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<LedgerError>());
    assert_eq!(source, Some(&err.error), "the refused event's error is the batch error's source");
    assert_eq!(fingerprint(&l), before);
    assert_eq!(l.len(), 1);
    assert!(l.event(&id("b1")).is_none());
    assert_eq!(l.keys().count(), 1, "keys created by the refused batch are gone");
    let ok =
        l.apply_batch(vec![ev("b1", day(1), Movement::receipt(5)), ev("b1", day(1), Movement::receipt(5))]).unwrap();
    assert!(!ok[0].duplicate && ok[1].duplicate);
    assert_eq!(l.levels(&item("I"), &loc("L")).on_hand(), 15);
}

#[test]
fn as_of_queries() {
    let mut l = seeded();
    l.apply(ev("i", day(5), Movement::issue(4))).unwrap();
    let (i, s) = (item("I"), loc("L"));
    assert_eq!(l.levels_at(&i, &s, day(-1)).on_hand(), 0);
    assert_eq!(l.levels_at(&i, &s, day(0)).on_hand(), 10);
    assert_eq!(l.levels_at(&i, &s, day(4)).on_hand(), 10);
    assert_eq!(l.levels_at(&i, &s, day(5)).on_hand(), 6);
    assert_eq!(l.levels_at(&i, &s, Timestamp::from_millis(i64::MAX)).on_hand(), 6);
}

#[test]
fn errors_are_send_sync_static() {
    fn check<T: std::error::Error + Send + Sync + 'static>() {}
    check::<LedgerError>();
    check::<BatchError>();
    check::<QueryError>();
    check::<invsync_core::ledger::ReplayError>();
    check::<invsync_core::IdError>();
    check::<invsync_core::gs1::Gs1Error>();
    check::<invsync_core::MoneyError>();
    check::<invsync_core::UomError>();
    check::<invsync_core::TimeError>();
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Ledger>();
}

/// Found by fuzzing (csv_events): an event naming itself as the scheduled receipt it
/// fills, or the transfer it receives, indexed the log out of bounds.
#[test]
fn events_referring_to_themselves() {
    let mut l = seeded();
    let own =
        Movement::Receipt { qty: 1, unit_cost: None, to: Bucket::Available, against: Some(id("self")), close: true };
    check_refused(&mut l, ev("self", day(5), own), |e| matches!(e, LedgerError::InvalidMovement { .. }));
    let own = Movement::TransferIn { transfer: id("self2"), qty: 1, close: false };
    check_refused(&mut l, ev("self2", day(5), own), |e| matches!(e, LedgerError::InvalidMovement { .. }));
    check_refused(&mut l, ev("self3", day(5), Movement::cancel(id("self3"))), |e| {
        matches!(e, LedgerError::InvalidMovement { .. })
    });
}
