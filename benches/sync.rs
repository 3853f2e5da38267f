//! Synchronisation throughput: ingesting 1,000,000 events through the hub with 5 %
//! duplicate deliveries and 5 % reordered within the hold window, and reconciling
//! 1,000,000 count records against a ledger of 1,000,000 item x locations. The ledger
//! applying the same events directly is measured in the same run as the baseline.
//!
//! `cargo bench --bench sync`. Under `cargo test --benches` (a smoke run, unoptimised)
//! the workloads shrink to 20,000.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use invsync::ledger::{Event, Ledger, Movement};
use invsync::sync::{CountRecord, Endpoint, EndpointKind, Hub, HubConfig, ReconcileConfig, reconcile};
use invsync::{EventId, ItemId, LocationId, SourceId, Timestamp};

mod common;

fn size() -> usize {
    if std::env::args().any(|a| a == "--bench") { 1_000_000 } else { 20_000 }
}

/// (arrival, event) in arrival order: every event 1 s after it occurred, 5 % of them
/// 10 to 100 s later (reordered within the 2-minute window), and 5 % delivered twice.
fn deliveries(events: &[Event]) -> Vec<(Timestamp, Event)> {
    let mut rng = common::SplitMix::new(11);
    let mut out = Vec::with_capacity(events.len() * 21 / 20);
    for e in events {
        let mut arrival = e.occurred_at.add_millis(1_000);
        if rng.below(100) < 5 {
            arrival = arrival.add_millis(10_000 + rng.below(90_000) as i64);
        }
        if rng.below(100) < 5 {
            out.push((arrival.add_millis(1 + rng.below(60_000) as i64), e.clone()));
        }
        out.push((arrival, e.clone()));
    }
    out.sort_by_key(|d| d.0);
    out
}

fn ingest(deliveries: Vec<(Timestamp, Event)>, source: &SourceId) -> Hub {
    let mut hub = Hub::new(Ledger::new(common::ledger_config()), HubConfig::default());
    hub.add_endpoint(Endpoint::new(source.clone(), EndpointKind::Other)).unwrap();
    for (at, e) in deliveries {
        black_box(hub.receive(source, e, at).unwrap());
    }
    hub.flush();
    hub
}

fn bench_ingest(c: &mut Criterion) {
    let n = size();
    let events = common::ledger_events(n, 10_000, 0.0, 0, 7);
    let source = events[0].source.clone();
    let delivered = deliveries(&events);
    let mut g = c.benchmark_group("sync");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("ingest_1m_5pct_dup_5pct_reordered", |b| {
        b.iter_batched(|| delivered.clone(), |d| ingest(d, &source), BatchSize::PerIteration)
    });
    g.bench_function("baseline_ledger_apply_1m", |b| {
        b.iter_batched(
            || events.clone(),
            |evs| {
                let mut l = Ledger::new(common::ledger_config());
                for e in evs {
                    black_box(l.apply(e).unwrap());
                }
                l
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench_reconcile(c: &mut Criterion) {
    let n = size();
    let source = SourceId::new("bench").unwrap();
    let mut ledger = Ledger::new(common::ledger_config());
    let mut counts = Vec::with_capacity(n);
    let mut rng = common::SplitMix::new(5);
    for k in 0..n {
        let item = ItemId::new(format!("SKU-{k:07}")).unwrap();
        let location = LocationId::new(format!("L{}", k % 50)).unwrap();
        let qty = 1 + rng.below(200) as i64;
        let at = Timestamp::from_secs(1_700_000_000 + k as i64);
        let e = Event::new(
            EventId::new(format!("r{k}")).unwrap(),
            source.clone(),
            item.clone(),
            location.clone(),
            at,
            Movement::receipt(qty),
        );
        ledger.apply(e).unwrap();
        // 2 % of the records are off by a few units.
        let counted = if rng.below(100) < 2 { qty + 1 + rng.below(5) as i64 } else { qty };
        counts.push(CountRecord { item, location, counted });
    }
    let at = Timestamp::from_secs(1_700_000_000 + n as i64);
    let config = ReconcileConfig::default();
    let mut g = c.benchmark_group("sync");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("reconcile_1m_counts", |b| {
        b.iter(|| black_box(reconcile(&ledger, &counts, at, &config).expect("one count per key")))
    });
    g.finish();
}

criterion_group!(benches, bench_ingest, bench_reconcile);
criterion_main!(benches);
