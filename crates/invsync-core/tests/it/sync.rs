//! Synchronisation: docs/oracles.md A12 and A13, duplicates, gaps, the hold window, stale
//! snapshots, publishing, acknowledgements and the measures; proptests of convergence under
//! at-least-once delivery and of channel allocation.

use invsync_core::ledger::{Event, Ledger, LedgerConfig, LedgerError, Movement, NegativeStock};
use invsync_core::sync::*;
use invsync_core::{EventId, Money, SourceId, Timestamp};
use proptest::prelude::*;

use crate::fixture::*;

const MIN: i64 = 60_000;

fn src(s: &str) -> SourceId {
    SourceId::new(s).unwrap()
}

/// Minute `m` of the base day.
fn t(m: i64) -> Timestamp {
    day(0).add_millis(m * MIN)
}

fn hub_with(config: HubConfig, endpoints: &[&str]) -> Hub {
    let mut hub = Hub::new(Ledger::new(LedgerConfig::default()), config);
    for e in endpoints {
        hub.add_endpoint(Endpoint::new(src(e), EndpointKind::Other)).unwrap();
    }
    hub
}

/// An event of item I at L from `source`.
fn from(source: &str, event_id: &str, at: Timestamp, m: Movement) -> Event {
    let mut e = ev(event_id, at, m);
    e.source = src(source);
    e
}

fn snap(on_hand: i64, at: Timestamp) -> Snapshot {
    Snapshot { item: item("I"), location: loc("L"), on_hand, captured_at: at }
}

fn on_hand(hub: &Hub) -> i64 {
    hub.ledger().levels(&item("I"), &loc("L")).on_hand()
}

/// A12: capture 102 at 12:02, a -2 at 12:02 -> 100, a snapshot of 100 captured at 12:03,
/// a -1 at 12:04 -> 99. The -1 arrives before the snapshot: it is replayed on top of it.
#[test]
fn a12_snapshot_compared_as_of_capture_and_later_movements_replayed() {
    let mut hub = hub_with(HubConfig::default(), &["wms"]);
    let wms = src("wms");
    let noon = |m: i64, s: i64| t(12 * 60 + m).add_millis(s * 1000);
    hub.receive_snapshot(&wms, snap(102, noon(2, 0)), noon(2, 0)).unwrap();
    hub.receive(&wms, from("wms", "adj-2", noon(2, 30), Movement::adjust(-2)), noon(2, 30)).unwrap();
    hub.receive(&wms, from("wms", "adj-1", noon(4, 0), Movement::adjust(-1)), noon(4, 0)).unwrap();
    hub.receive_snapshot(&wms, snap(100, noon(3, 0)), noon(4, 10)).unwrap();
    hub.flush();
    assert_eq!(on_hand(&hub), 99);
    let reports = hub.snapshot_reports();
    assert_eq!(reports.len(), 2);
    assert_eq!((reports[0].ledger, reports[0].status), (0, SnapshotStatus::Posted));
    assert_eq!((reports[1].ledger, reports[1].variance, reports[1].status), (100, 0, SnapshotStatus::Matched));

    // Had the 12:03 snapshot said 98, the -2 becomes a variance at 12:03 and the -1 is
    // replayed on top: 97, not a blind overwrite to 98.
    let mut hub = hub_with(HubConfig::default(), &["wms"]);
    hub.receive_snapshot(&wms, snap(102, noon(2, 0)), noon(2, 0)).unwrap();
    hub.receive(&wms, from("wms", "adj-2", noon(2, 30), Movement::adjust(-2)), noon(2, 30)).unwrap();
    hub.receive(&wms, from("wms", "adj-1", noon(4, 0), Movement::adjust(-1)), noon(4, 0)).unwrap();
    hub.receive_snapshot(&wms, snap(98, noon(3, 0)), noon(4, 10)).unwrap();
    hub.flush();
    assert_eq!(on_hand(&hub), 97);
    assert_eq!(hub.snapshot_reports()[1].variance, -2);
    let variances: Vec<_> =
        hub.exceptions().iter().filter(|e| matches!(e.kind, ExceptionKind::SnapshotVariance { .. })).collect();
    // The first snapshot (102 against an empty ledger) is a variance too.
    assert_eq!(variances.len(), 2);
}

#[test]
fn snapshot_review_policy_posts_nothing() {
    let config = HubConfig { snapshot_policy: SnapshotPolicy::Review, snapshot_tolerance: 1, ..HubConfig::default() };
    let mut hub = hub_with(config, &["erp"]);
    let erp = src("erp");
    hub.receive(&erp, from("erp", "r", t(0), Movement::receipt(50)), t(0)).unwrap();
    hub.receive_snapshot(&erp, snap(49, t(1)), t(1)).unwrap();
    hub.receive_snapshot(&erp, snap(45, t(2)), t(2)).unwrap();
    hub.flush();
    assert_eq!(on_hand(&hub), 50);
    let statuses: Vec<_> = hub.snapshot_reports().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [SnapshotStatus::Review, SnapshotStatus::Review]);
    // Only the variance beyond the 1-unit tolerance is an exception.
    assert_eq!(hub.exceptions().len(), 1);
}

#[test]
fn stale_snapshots_are_ignored_and_queued() {
    let mut hub = hub_with(HubConfig::default(), &["erp", "wms"]);
    let (erp, wms) = (src("erp"), src("wms"));
    hub.receive(&erp, from("erp", "r", t(0), Movement::receipt(50)), t(0)).unwrap();
    hub.receive_snapshot(&wms, snap(48, t(30)), t(31)).unwrap();
    hub.advance(t(40));
    // An older capture arriving after a newer one was applied is superseded ...
    let r = hub.receive_snapshot(&erp, snap(50, t(20)), t(41)).unwrap();
    let SnapshotIngest::Processed(r) = r else { panic!("processed at once: {r:?}") };
    assert_eq!(r.status, SnapshotStatus::Stale(StaleReason::Superseded));
    // ... and one arriving more than an hour after capture is too old.
    hub.receive_snapshot(&erp, snap(10, t(45)), t(200)).unwrap();
    assert_eq!(on_hand(&hub), 48);
    let stale: Vec<_> = hub
        .exceptions()
        .iter()
        .filter_map(|e| match e.kind {
            ExceptionKind::StaleSnapshot { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(stale, [StaleReason::Superseded, StaleReason::TooOld]);
    assert_eq!(hub.stats(&erp).unwrap().stale_snapshots, 2);
}

/// A13: syncing to a target posts only the difference, nothing when it matches.
#[test]
fn a13_sync_posts_only_the_difference() {
    let mut hub = hub_with(HubConfig::default(), &[]);
    let s = src("oracle");
    hub.post(ev("r", t(0), Movement::receipt(100))).unwrap();
    let posted = hub.sync_to(id("sync-1"), s.clone(), item("I"), loc("L"), 97, t(1)).unwrap();
    assert!(posted.is_some());
    let adj = hub.ledger().event(&id("sync-1")).unwrap();
    assert!(matches!(adj.movement, Movement::Adjust { delta: -3, expected: Some(100), .. }));
    assert_eq!(hub.sync_to(id("sync-2"), s, item("I"), loc("L"), 97, t(2)).unwrap(), None);
    assert_eq!(hub.ledger().len(), 2);
    assert_eq!(on_hand(&hub), 97);
}

#[test]
fn duplicates_are_dropped_whether_held_or_applied_and_conflicts_refused() {
    let mut hub = hub_with(HubConfig::default(), &["pos"]);
    let pos = src("pos");
    let r = from("pos", "r1", t(0), Movement::receipt(10));
    assert_eq!(hub.receive(&pos, r.clone(), t(0)).unwrap(), Ingest::Held);
    // Redelivered while held, with another recording time: the same event.
    let again = r.clone().with_recorded_at(t(0).add_millis(500));
    assert_eq!(hub.receive(&pos, again, t(1)).unwrap(), Ingest::Duplicate);
    hub.advance(t(10));
    assert_eq!(hub.receive(&pos, r, t(11)).unwrap(), Ingest::Duplicate);
    // Same id, other payload: refused and queued.
    let other = from("pos", "r1", t(0), Movement::receipt(11));
    assert!(matches!(
        hub.receive(&pos, other, t(12)).unwrap(),
        Ingest::Rejected(LedgerError::IdempotencyConflict { .. })
    ));
    assert_eq!(on_hand(&hub), 10);
    let s = hub.stats(&pos).unwrap();
    assert_eq!((s.received, s.applied, s.duplicates, s.rejected), (4, 1, 2, 1));
    assert!(matches!(hub.exceptions()[0].kind, ExceptionKind::Rejected { .. }));
}

#[test]
fn gaps_are_detected_filled_and_reported_after_the_window() {
    let mut hub = hub_with(HubConfig::default(), &["wms"]);
    let wms = src("wms");
    let send = |hub: &mut Hub, seq: u64, at: i64| {
        let e = from("wms", &format!("e{seq}"), t(at), Movement::receipt(1)).with_source_seq(seq);
        hub.receive(&wms, e, t(at)).unwrap()
    };
    send(&mut hub, 1, 0);
    send(&mut hub, 4, 1);
    assert_eq!(hub.gaps(&wms).unwrap(), [(2, 3)]);
    send(&mut hub, 3, 2);
    assert_eq!(hub.gaps(&wms).unwrap(), [(2, 2)]);
    assert!(hub.exceptions().is_empty());
    // Fifteen minutes after it was noticed, seq 2 is reported missing, once.
    send(&mut hub, 5, 15);
    assert!(hub.exceptions().is_empty());
    send(&mut hub, 6, 17);
    let gaps: Vec<_> = hub
        .exceptions()
        .iter()
        .filter_map(|e| match e.kind {
            ExceptionKind::SequenceGap { from, to } => Some((from, to)),
            _ => None,
        })
        .collect();
    assert_eq!(gaps, [(2, 2)]);
    assert_eq!(hub.stats(&wms).unwrap().gaps, 1);
    // When it finally comes, it is applied (late) and the gap closes.
    assert!(matches!(send(&mut hub, 2, 1), Ingest::Applied { late_arrival: true, .. }));
    assert!(hub.gaps(&wms).unwrap().is_empty());
    // A jump of a billion costs one range, not a billion entries.
    send(&mut hub, 1_000_000_000, 18);
    assert_eq!(hub.gaps(&wms).unwrap(), [(7, 999_999_999)]);
    hub.flush();
    assert_eq!(hub.stats(&wms).unwrap().gaps, 2);
}

#[test]
fn out_of_order_events_are_held_and_applied_in_event_time_order() {
    let mut hub = hub_with(HubConfig::default(), &["pos"]);
    let pos = src("pos");
    // The sale overtakes the receipt it needs; within the window this is invisible.
    assert_eq!(hub.receive(&pos, from("pos", "s", t(1), Movement::issue(4)), t(1)).unwrap(), Ingest::Held);
    assert_eq!(hub.receive(&pos, from("pos", "r", t(0), Movement::receipt(10)), t(1)).unwrap(), Ingest::Held);
    assert_eq!(hub.held(), 2);
    hub.advance(t(2));
    assert_eq!((hub.held(), on_hand(&hub)), (1, 10));
    hub.advance(t(3));
    assert_eq!((hub.held(), on_hand(&hub)), (0, 6));
    assert!(hub.ledger().history(&item("I"), &loc("L")).all(|h| h.levels.on_hand() >= 0));
    // Beyond the window: applied at once, re-posted by the ledger, flagged.
    let late = hub.receive(&pos, from("pos", "r0", t(0).add_millis(-1), Movement::receipt(1)), t(10)).unwrap();
    assert!(matches!(late, Ingest::Applied { late_arrival: true, outcome } if outcome.late && outcome.reposted == 2));
    assert_eq!(hub.stats(&pos).unwrap().late, 1);
}

#[test]
fn clock_offsets_are_corrected_and_wrong_sources_refused() {
    let mut hub = Hub::new(Ledger::new(LedgerConfig::default()), HubConfig::default());
    hub.add_endpoint(Endpoint::new(src("pos"), EndpointKind::Pos).with_clock_offset(5 * MIN)).unwrap();
    assert!(matches!(
        hub.add_endpoint(Endpoint::new(src("pos"), EndpointKind::Pos)),
        Err(SyncError::DuplicateEndpoint { .. })
    ));
    // The POS clock runs five minutes fast: its 12:05 is the hub's 12:00.
    hub.receive(&src("pos"), from("pos", "r", t(5), Movement::receipt(3)), t(0)).unwrap();
    hub.flush();
    assert_eq!(hub.ledger().event(&id("r")).unwrap().occurred_at, t(0));
    assert!(matches!(
        hub.receive(&src("pos"), from("erp", "x", t(0), Movement::receipt(3)), t(0)),
        Err(SyncError::WrongSource { .. })
    ));
    assert!(matches!(
        hub.receive(&src("web"), from("web", "x", t(0), Movement::receipt(3)), t(0)),
        Err(SyncError::UnknownEndpoint { .. })
    ));
}

#[test]
fn publishing_sends_only_changes_with_versions() {
    let mut hub = hub_with(HubConfig { hold_window_ms: 0, ..HubConfig::default() }, &["pos"]);
    let pos = src("pos");
    let web = Channel::new(src("web")).with_buffer(2);
    let market = Channel::new(src("market")).with_allocation(Allocation::Cap { units: 5 }).with_priority(1);
    hub.set_channels(vec![web.clone(), market]).unwrap();
    assert!(matches!(hub.set_channels(vec![web.clone(), web]), Err(SyncError::DuplicateChannel { .. })));
    hub.receive(&pos, from("pos", "r", t(0), Movement::receipt(10)), t(0)).unwrap();
    hub.advance(t(0));
    let p = hub.publish();
    let got: Vec<_> = p.iter().map(|p| (p.channel.to_string(), p.quantity, p.version)).collect();
    assert_eq!(got, [("web".to_string(), 8, 1), ("market".to_string(), 2, 1)]);
    assert!(hub.publish().is_empty(), "nothing changed");
    // A sale of 1: web drops to 7, the marketplace keeps its 2: only web is published.
    hub.receive(&pos, from("pos", "s", t(1), Movement::issue(1)), t(1)).unwrap();
    hub.advance(t(1));
    let got: Vec<_> = hub.publish().iter().map(|p| (p.channel.to_string(), p.quantity, p.version)).collect();
    assert_eq!(got, [("web".to_string(), 7, 2)]);
}

#[test]
fn acknowledgements_measure_lag_and_reflection_latency() {
    let mut hub = hub_with(HubConfig { hold_window_ms: 0, ..HubConfig::default() }, &["erp", "pos"]);
    let (erp, pos) = (src("erp"), src("pos"));
    hub.receive(&pos, from("pos", "r", t(0), Movement::receipt(10)), t(0)).unwrap();
    hub.receive(&pos, from("pos", "s", t(1), Movement::issue(1)), t(1)).unwrap();
    hub.advance(t(1));
    assert_eq!(hub.version(), 2);
    assert_eq!(hub.lag(&erp).unwrap(), 2);
    hub.acknowledge(&erp, 2, t(3)).unwrap();
    assert_eq!(hub.lag(&erp).unwrap(), 0);
    assert!(hub.latency().reflected.is_none(), "pos reflects nothing yet");
    hub.acknowledge(&pos, 1, t(4)).unwrap();
    hub.acknowledge(&pos, 2, t(20)).unwrap();
    // Reflected everywhere 4 minutes after the receipt, 19 after the sale.
    let r = hub.latency().reflected.unwrap();
    assert_eq!((r.count, r.p50_ms, r.max_ms), (2, 4 * MIN, 19 * MIN));
    assert_eq!(r.within_target, 0.5);
    assert!(matches!(hub.acknowledge(&pos, 3, t(21)), Err(SyncError::AckBeyondVersion { .. })));
    // Taking the measures starts a new period.
    assert_eq!(hub.take_latency().reflected, Some(r));
    assert!(hub.latency().reflected.is_none() && hub.latency().per_endpoint.iter().all(|(_, s)| s.is_none()));
}

#[test]
fn mismatches_above_the_threshold_are_queued() {
    let mut hub = hub_with(HubConfig::default(), &[]);
    hub.post(ev_at("a", "A", "L", t(0), Movement::receipt_at(100, money(50)))).unwrap();
    hub.post(ev_at("b", "B", "L", t(0), Movement::receipt_at(100, money(1)))).unwrap();
    let counts = [
        CountRecord { item: item("A"), location: loc("L"), counted: 50 },
        CountRecord { item: item("B"), location: loc("L"), counted: 50 },
    ];
    let report = reconcile(hub.ledger(), &counts, t(1), &ReconcileConfig::default()).unwrap();
    hub.raise_mismatches(&report);
    // A: -50 x 50 = 2,500 above the 1,000 threshold; B: -50 x 1 is not.
    assert_eq!(hub.exceptions().len(), 1);
    assert!(matches!(&hub.exceptions()[0].kind, ExceptionKind::Mismatch { variance: -50, .. }));
    assert_eq!(accuracy_rate(0, report.lines.len()), Some(0.0));
}

#[test]
fn measures() {
    let s = LatencySummary::from_samples(&(1..=100).collect::<Vec<_>>(), 90).unwrap();
    assert_eq!((s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms, s.within_target), (50, 95, 99, 100, 0.9));
    assert_eq!(LatencySummary::from_samples(&[], 1), None);
    assert_eq!(accuracy_rate(490, 500), Some(0.98));
    assert_eq!(accuracy_rate(0, 0), None);
    assert_eq!(stockout_rate([1, 2, -1, 0]), Some(0.5));
    assert_eq!(stockout_rate([]), None);
    assert_eq!(fill_rate(0, 0), None);
    assert_eq!(inventory_turnover(Money::from_units(10), Money::ZERO), None);
    assert_eq!(days_of_supply(10, f64::NAN), None);
    let mut l = Ledger::new(LedgerConfig::default());
    l.apply(ev("r", day(0), Movement::receipt_at(10, money(2)))).unwrap();
    l.apply(ev("s", day(1), Movement::issue(10))).unwrap();
    // 20 held for a day of two: average 10; 20 of cost of goods.
    let (cogs, avg) = turnover_inputs(&l, &item("I"), &loc("L"), day(0), day(2)).unwrap();
    assert_eq!((cogs, avg), (money(20), money(10)));
    assert_eq!(turnover_inputs(&l, &item("I"), &loc("L"), day(2), day(2)), None);
}

/// What exactly-once, in-order delivery would produce: a ledger fed in event-time order.
fn fed_in_order(events: &[(usize, Event)]) -> Ledger {
    let mut sorted: Vec<_> = events.iter().map(|(_, e)| e.clone()).collect();
    sorted.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
    let mut l = Ledger::new(LedgerConfig { default_negative: NegativeStock::Reject, ..LedgerConfig::default() });
    for e in sorted {
        let _ = l.apply(e);
    }
    l
}

fn endpoints() -> [&'static str; 3] {
    ["erp", "wms", "pos"]
}

/// Events from three endpoints, with distinct event times a few seconds apart.
fn gen_events() -> impl Strategy<Value = Vec<(usize, Event)>> {
    let op = prop_oneof![
        3 => (1i64..20).prop_map(Movement::receipt),
        3 => (1i64..20).prop_map(Movement::issue),
        1 => (0i64..40).prop_map(Movement::count),
        1 => (1i64..5).prop_map(|q| Movement::Reserve { qty: q }),
    ];
    proptest::collection::vec((0usize..3, 0usize..3, op, 1i64..20), 1..60).prop_map(|v| {
        let mut at = t(0);
        let mut seqs = [0u64; 3];
        v.into_iter()
            .enumerate()
            .map(|(n, (ep, k, m, gap_s))| {
                at = at.add_millis(gap_s * 1000);
                seqs[ep] += 1;
                let name = endpoints()[ep];
                let mut e = ev_at(&format!("{name}-{n}"), ["A", "B", "C"][k], "L", at, m).with_source_seq(seqs[ep]);
                e.source = src(name);
                (ep, e)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any at-least-once delivery (duplicates, reordering within the window, endpoints
    /// interleaved) converges to the ledger of exactly-once in-order delivery, and raises
    /// no gap.
    #[test]
    fn at_least_once_delivery_converges(
        events in gen_events(),
        delays in proptest::collection::vec(0i64..110_000, 60),
        dups in proptest::collection::vec(proptest::option::of(0i64..110_000), 60),
    ) {
        let config = HubConfig::default();
        let mut hub = hub_with(config, &endpoints());
        // Deliveries: (arrival, event); a duplicate arrives with its own delay.
        let mut deliveries = Vec::new();
        for (n, (ep, e)) in events.iter().enumerate() {
            deliveries.push((e.occurred_at.add_millis(delays[n % delays.len()]), *ep, e.clone()));
            if let Some(d) = dups[n % dups.len()] {
                deliveries.push((e.occurred_at.add_millis(d), *ep, e.clone().with_recorded_at(e.occurred_at.add_millis(d))));
            }
        }
        deliveries.sort_by_key(|d| d.0);
        for (arrival, ep, e) in deliveries {
            let r = hub.receive(&src(endpoints()[ep]), e, arrival).unwrap();
            let late = matches!(r, Ingest::Applied { late_arrival: true, .. });
            prop_assert!(!late);
        }
        hub.flush();
        prop_assert_eq!(fingerprint(hub.ledger()), fingerprint(&fed_in_order(&events)));
        let only_rejections = hub.exceptions().iter().all(|e| matches!(e.kind, ExceptionKind::Rejected { .. }));
        prop_assert!(only_rejections);
        let expected_dups = dups.iter().take(events.len()).filter(|d| d.is_some()).count() as u64;
        let got_dups: u64 = endpoints().iter().map(|e| hub.stats(&src(e)).unwrap().duplicates).sum();
        prop_assert_eq!(got_dups, expected_dups);
    }

    /// Channels never promise more than is available, nor anything negative.
    #[test]
    fn allocation_never_oversells(
        available in -50i64..1_000,
        rules in proptest::collection::vec((0i64..200, 0u32..4, 0u32..12_000, -5i64..300), 0..6),
    ) {
        let channels: Vec<Channel> = rules
            .iter()
            .enumerate()
            .map(|(i, &(buffer, kind, bp, cap))| {
                let allocation = match kind {
                    0 => Allocation::All,
                    1 => Allocation::Share { basis_points: bp },
                    _ => Allocation::Cap { units: cap },
                };
                Channel::new(src(&format!("c{i}"))).with_buffer(buffer).with_allocation(allocation).with_priority(kind)
            })
            .collect();
        let q = allocate(available, &channels);
        prop_assert_eq!(q.len(), channels.len());
        prop_assert!(q.iter().all(|&x| x >= 0));
        prop_assert!(q.iter().sum::<i64>() <= available.max(0));
        for (c, &x) in channels.iter().zip(&q) {
            prop_assert!(x <= (available - c.buffer).max(0));
        }
    }
}

#[test]
fn id_types_are_reexported() {
    // The hub's snapshot counts have readable ids.
    let mut hub = hub_with(HubConfig::default(), &["wms"]);
    hub.receive_snapshot(&src("wms"), snap(5, t(0)), t(0)).unwrap();
    hub.flush();
    let posted: Vec<EventId> = hub.ledger().events().map(|e| e.id.clone()).collect();
    assert_eq!(posted.len(), 1);
    assert!(posted[0].as_str().starts_with("snapshot:wms:"));
}

#[test]
fn duration_setters_match_the_ms_fields_and_saturate() {
    use std::time::Duration;
    let c = HubConfig::default().with_hold_window(Duration::from_micros(1_999)).with_gap_timeout(Duration::MAX);
    assert_eq!(c.hold_window_ms, 1);
    assert_eq!(c.gap_timeout_ms, i64::MAX);
    assert_eq!(c.max_snapshot_age_ms, HubConfig::default().max_snapshot_age_ms);
    let id = src("pos");
    let e = Endpoint::new(id.clone(), EndpointKind::Pos);
    assert_eq!(e.clone().with_clock_ahead(Duration::from_secs(2)), e.clone().with_clock_offset(2_000));
    assert_eq!(e.clone().with_clock_behind(Duration::from_secs(2)), e.clone().with_clock_offset(-2_000));
    assert_eq!(e.with_clock_behind(Duration::MAX).clock_offset_ms, -i64::MAX);
}
