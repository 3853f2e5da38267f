//! The simulated day of `examples/sync_day.rs`: final state, exceptions and measures.

#[allow(dead_code)]
#[path = "../examples/sync_day.rs"]
mod sync_day;

use invsync::ledger::{Ledger, LedgerConfig, NegativeStock};
use invsync::sync::{ExceptionKind, MatchStatus, StaleReason};
use invsync::{LocationId, SourceId};

#[test]
fn a_day_of_imperfect_delivery_ends_where_exactly_once_delivery_would() {
    let day = sync_day::run(7);
    let hub = &day.hub;

    // Final state: what exactly-once, in-order delivery of everything but the dropped
    // message gives.
    let mut reference = Ledger::new(LedgerConfig::default());
    for s in ["S1", "S2"] {
        reference.register_location(LocationId::new(s).unwrap(), NegativeStock::Allow);
    }
    let mut snapshot_counts = 0;
    for e in &day.delivered_once {
        reference.apply(e.clone()).unwrap();
    }
    for e in hub.ledger().events() {
        if e.reference.as_deref() == Some("snapshot") {
            snapshot_counts += 1;
        }
    }
    assert_eq!(snapshot_counts, 0, "every fresh snapshot matched the ledger as of its capture");
    assert_eq!(hub.ledger().len(), reference.len());
    for (i, l) in reference.keys() {
        assert_eq!(hub.ledger().levels(i, l), reference.levels(i, l), "{i} @ {l}");
        let a: Vec<_> = hub.ledger().history(i, l).map(|h| (h.event.id.clone(), h.levels, h.value)).collect();
        let b: Vec<_> = reference.history(i, l).map(|h| (h.event.id.clone(), h.levels, h.value)).collect();
        assert_eq!(a, b, "{i} @ {l}");
    }

    // Exactly once: every injected duplicate dropped, every late arrival flagged.
    let stats: Vec<_> = ["erp", "wms", "pos"].iter().map(|e| hub.stats(&SourceId::new(*e).unwrap()).unwrap()).collect();
    assert_eq!(stats.iter().map(|s| s.duplicates).sum::<u64>(), day.duplicates_injected);
    assert_eq!(stats.iter().map(|s| s.late).sum::<u64>(), day.late_injected);
    assert!(day.late_injected > 0 && day.duplicates_injected > 100);
    assert_eq!(stats.iter().map(|s| s.applied).sum::<u64>(), day.delivered_once.len() as u64);
    assert_eq!(stats.iter().map(|s| s.rejected).sum::<u64>(), 0);

    // Exceptions: the dropped WMS message, the stale snapshot, and the costly mismatch the
    // dropped transfer receipt leaves at its store.
    let ex = hub.exceptions();
    assert_eq!(ex.len(), 3, "{ex:#?}");
    assert!(matches!(ex[0].kind, ExceptionKind::StaleSnapshot { reason: StaleReason::TooOld, .. }));
    assert!(matches!(ex[1].kind, ExceptionKind::SequenceGap { from, to } if from == to));
    assert_eq!(ex[1].endpoint.as_ref().map(|e| e.as_str()), Some("wms"));
    assert!(matches!(ex[2].kind, ExceptionKind::Mismatch { variance, .. } if variance > 0));

    // Measures.
    let r = &day.reconciliation;
    assert_eq!(r.lines.len(), 120);
    assert_eq!(r.lines.iter().filter(|l| l.status == MatchStatus::Mismatch).count(), 1);
    assert_eq!(r.accuracy, 119.0 / 120.0);
    assert!(r.accuracy > invsync::sync::ACCURACY_TARGET);
    let latency = hub.latency();
    for (ep, s) in &latency.per_endpoint {
        let s = s.unwrap();
        assert_eq!(s.within_target, 1.0, "{ep}: every source records within 15 minutes");
        assert!(s.max_ms <= 120_000, "{ep}");
    }
    let reflected = latency.reflected.unwrap();
    assert_eq!(reflected.count, day.delivered_once.len());
    assert!(reflected.p50_ms > 0 && reflected.p99_ms <= reflected.max_ms);
    assert!(reflected.within_target > 0.99 && reflected.within_target < 1.0, "{reflected:?}");
    assert!(day.never_oversold && day.publications > 0);
    let fill = invsync::sync::fill_rate(day.demanded, day.sold).unwrap();
    assert!(fill > 0.5 && fill <= 1.0);
    assert!(day.stockout_rate.is_some_and(|s| (0.0..1.0).contains(&s)));
    assert!(day.turnover.is_some_and(|t| t > 0.0));
    assert!(day.days_of_supply.is_some_and(|d| d > 0.0));
}

#[test]
fn the_day_is_deterministic() {
    let (a, b) = (sync_day::run(11), sync_day::run(11));
    assert_eq!(a.hub.exceptions(), b.hub.exceptions());
    assert_eq!(a.hub.latency(), b.hub.latency());
    assert_eq!(a.hub.ledger().events().collect::<Vec<_>>(), b.hub.ledger().events().collect::<Vec<_>>());
}

/// Issue 23: the day with its hub kept in a store, dropped at noon and reopened from the
/// file, ends in exactly the state of the day without a restart: ledger, versions, held
/// events, gaps, exceptions, snapshots, latencies, endpoint counters, publication versions
/// (what a further publication would send) and every measure of the day.
#[test]
fn a_restart_at_noon_ends_in_the_state_of_the_day_without_one() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [7, 11] {
        let path = dir.path().join(format!("day-{seed}.db"));
        let (plain, restarted) = (sync_day::run(seed), sync_day::run_with_restart(seed, &path));
        let (a, b) = (&plain.hub, &restarted.hub);
        assert!(a.ledger().events().eq(b.ledger().events()), "seed {seed}: ledger events");
        for (i, l) in a.ledger().keys() {
            assert_eq!(a.ledger().levels(i, l), b.ledger().levels(i, l), "seed {seed}: {i} at {l}");
            assert_eq!(a.ledger().valuation(i, l), b.ledger().valuation(i, l), "seed {seed}: {i} at {l}");
        }
        assert_eq!(a.version(), b.version());
        assert_eq!(a.now(), b.now());
        assert_eq!(a.held(), b.held());
        assert_eq!(a.exceptions(), b.exceptions(), "seed {seed}: exceptions");
        assert_eq!(a.snapshot_reports(), b.snapshot_reports());
        assert_eq!(a.latency(), b.latency(), "seed {seed}: latency");
        for name in ["erp", "wms", "pos"] {
            let ep = SourceId::new(name).unwrap();
            assert_eq!(a.stats(&ep).unwrap(), b.stats(&ep).unwrap(), "seed {seed}: {name}");
            assert_eq!(a.gaps(&ep).unwrap(), b.gaps(&ep).unwrap(), "seed {seed}: {name} gaps");
            assert_eq!(a.lag(&ep).unwrap(), b.lag(&ep).unwrap(), "seed {seed}: {name} lag");
        }
        assert_eq!(a.clone().publish(), b.clone().publish(), "seed {seed}: publication state");
        assert_eq!(
            (plain.publications, plain.never_oversold, plain.demanded, plain.sold),
            (restarted.publications, restarted.never_oversold, restarted.demanded, restarted.sold)
        );
        assert_eq!(plain.reconciliation, restarted.reconciliation);
        // The store alone (a third process) gives the same hub and ledger again.
        let reopened =
            invsync::store::DurableHub::open(invsync::store::SqliteStore::open_read_only(&path).unwrap()).unwrap();
        assert!(reopened.hub().ledger().events().eq(a.ledger().events()));
        assert_eq!(reopened.hub().exceptions(), a.exceptions());
        let ledger =
            invsync::store::DurableLedger::open(invsync::store::SqliteStore::open_read_only(&path).unwrap()).unwrap();
        assert!(ledger.ledger().events().eq(a.ledger().events()), "seed {seed}: the store's ledger events");
    }
}
