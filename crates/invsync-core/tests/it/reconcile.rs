//! Reconciliation: docs/oracles.md A14 and A15, statuses, ABC, proposals.

use invsync_core::ledger::{Ledger, LedgerConfig, Movement};
use invsync_core::sync::*;

use crate::fixture::*;

fn count(i: &str, l: &str, n: i64) -> CountRecord {
    CountRecord { item: item(i), location: loc(l), counted: n }
}

/// A14: +5 and -5 against 100 net to zero but are two wrong records at +/-1 %.
#[test]
fn a14_never_net() {
    let mut l = Ledger::new(LedgerConfig::default());
    for (i, k) in ["X", "Y"].iter().enumerate() {
        l.apply(ev_at(&format!("r{i}"), k, "L", day(0), Movement::receipt(100))).unwrap();
    }
    let config =
        ReconcileConfig { tolerance_a: 0.01, tolerance_b: 0.01, tolerance_c: 0.01, ..ReconcileConfig::default() };
    let r = reconcile(&l, &[count("X", "L", 95), count("Y", "L", 105)], day(1), &config).unwrap();
    assert_eq!(r.accuracy, 0.0);
    assert_eq!(r.net_variance, 0);
    assert_eq!(r.absolute_variance, 10);
    assert!(r.lines.iter().all(|x| x.status == MatchStatus::Mismatch && x.proposal.is_some()));
    // 485 of 500 records within tolerance -> 97 %.
    let mut big = Ledger::new(LedgerConfig::default());
    let mut counts = Vec::new();
    for i in 0..500 {
        let k = format!("I{i:03}");
        big.apply(ev_at(&format!("r{i}"), &k, "L", day(0), Movement::receipt(100))).unwrap();
        counts.push(count(&k, "L", if i < 15 { 90 } else { 100 }));
    }
    assert!((reconcile(&big, &counts, day(1), &ReconcileConfig::default()).unwrap().accuracy - 0.97).abs() < 1e-12);
}

#[test]
fn statuses_classes_and_proposals() {
    let mut l = Ledger::new(LedgerConfig::default());
    // Usage over the year makes A the big mover, C the small one.
    for (k, q, cost) in [("A", 1000, 10), ("B", 300, 5), ("C", 100, 1)] {
        l.apply(ev_at(&format!("r{k}"), k, "L", day(0), Movement::receipt_at(q, money(cost)))).unwrap();
        l.apply(ev_at(&format!("i{k}"), k, "L", day(10), Movement::issue(q / 2))).unwrap();
    }
    l.apply(ev_at("rD", "D", "L", day(0), Movement::receipt(7))).unwrap();
    l.apply(ev_at("rE", "E", "OTHER", day(0), Movement::receipt(7))).unwrap();
    let counts = [count("A", "L", 500), count("B", "L", 146), count("C", "L", 40), count("N", "L", 3)];
    let r = reconcile(&l, &counts, day(20), &ReconcileConfig::default()).unwrap();
    let by = |k: &str| r.lines.iter().find(|x| x.item.as_str() == k).unwrap();
    assert_eq!((by("A").status, by("A").class), (MatchStatus::Match, Abc::A));
    assert_eq!((by("B").status, by("B").class), (MatchStatus::WithinTolerance, Abc::B)); // 4 of 150 at 3 %
    assert_eq!((by("C").status, by("C").class), (MatchStatus::Mismatch, Abc::C)); // 10 of 50 at 5 %
    assert_eq!(by("N").status, MatchStatus::MissingInLedger);
    assert_eq!(by("D").status, MatchStatus::MissingInCount);
    assert!(r.lines.iter().all(|x| x.item.as_str() != "E"), "uncounted locations are out of scope");
    assert_eq!(by("C").variance_value, money(-10));
    // Applying the proposal re-anchors C at the count instant; later moves replay on top.
    l.apply(ev_at("late", "C", "L", day(25), Movement::issue(5))).unwrap();
    l.apply(by("C").proposal.clone().unwrap()).unwrap();
    assert_eq!(l.levels(&item("C"), &loc("L")).on_hand(), 35);
    // An approval threshold below the variance value flags it.
    let strict = ReconcileConfig { approval_threshold: money(5), ..ReconcileConfig::default() };
    assert!(reconcile(&l, &[count("B", "L", 100)], day(20), &strict).unwrap().lines[0].needs_approval);
}

#[test]
fn a15_conflict_choices() {
    assert_eq!(count_adjustment(50, 50, 45, ConflictChoice::KeepCounted), 5);
    assert_eq!(count_adjustment(50, 50, 45, ConflictChoice::KeepDifference), 0);
    assert_eq!(abc_classes(&[("a", 50.0), ("b", 30.0), ("c", 14.0), ("d", 6.0)]), [Abc::A, Abc::A, Abc::B, Abc::C]);
}

/// Two records for one item x location (issue 20): the library refuses them as the command
/// line does, naming both records, whatever else the counts hold; one record per key passes.
#[test]
fn duplicate_counts_are_refused() {
    let mut l = Ledger::new(LedgerConfig::default());
    l.apply(ev_at("r", "A", "L", day(0), Movement::receipt(10))).unwrap();
    let config = ReconcileConfig::default();
    #[track_caller]
    fn check(l: &Ledger, counts: &[CountRecord], expected: Option<(&str, &str, usize, usize)>) {
        let got = reconcile(l, counts, day(1), &ReconcileConfig::default());
        match (got, expected) {
            (Ok(r), None) => assert_eq!(r.lines.len(), counts.len()),
            (Err(ReconcileError::DuplicateCount { item, location, first, second }), Some(e)) => {
                assert_eq!((item.as_str(), location.as_str(), first, second), e);
            }
            (got, expected) => panic!("{got:?}, expected {expected:?}"),
        }
    }
    // The same key twice: before, a "match" and a "mismatch" line for one key.
    check(&l, &[count("A", "L", 10), count("A", "L", 9)], Some(("A", "L", 0, 1)));
    check(&l, &[count("A", "L", 10), count("B", "L", 1), count("A", "L", 10)], Some(("A", "L", 0, 2)));
    check(&l, &[count("N", "L", 1), count("A", "L", 10), count("N", "L", 1)], Some(("N", "L", 0, 2)));
    // Same item, other location; same location, other item: distinct keys.
    check(&l, &[count("A", "L", 10), count("A", "M", 1), count("B", "L", 1)], None);
    let err = reconcile(&l, &[count("A", "L", 10), count("A", "L", 9)], day(1), &config).unwrap_err();
    assert_eq!(err.to_string(), "counts record 1 counts item A at location L again (first at record 0)");
}
