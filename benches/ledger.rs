//! Ledger throughput: 1,000,000 in-order events over 10,000 item x locations, the same with
//! 1 % of events (receipts) delivered late, and the late events alone on a ledger that
//! already holds the rest, so a late event's cost is measured against an in-order one in
//! the same run.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use invsync::ledger::{Event, Ledger, SharedLedger};

mod common;

const N: usize = 1_000_000;
const KEYS: usize = 10_000;
/// 50,000 positions is about five later entries of the same key.
const DELAY: usize = 50_000;

/// A fresh ledger with every event applied.
fn apply_all(events: Vec<Event>) -> Ledger {
    let mut l = Ledger::new(common::ledger_config());
    for e in events {
        black_box(l.apply(e).unwrap());
    }
    l
}

fn bench(c: &mut Criterion) {
    let in_order = common::ledger_events(N, KEYS, 0.0, 0, 7);
    let with_late = common::ledger_events(N, KEYS, 0.01, DELAY, 7);

    let mut g = c.benchmark_group("ledger");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    for (name, events) in [("apply_1m_in_order", &in_order), ("apply_1m_1pct_late", &with_late)] {
        g.bench_function(name, |b| b.iter_batched(|| events.clone(), apply_all, BatchSize::PerIteration));
    }

    // The late events alone, on top of everything delivered before them in order.
    let late_ids: std::collections::HashSet<_> = {
        let mut seen = std::collections::HashSet::new();
        let mut latest = i64::MIN;
        let mut late = std::collections::HashSet::new();
        for e in &with_late {
            let t = e.occurred_at.as_millis();
            if t < latest {
                late.insert(e.id.clone());
            }
            latest = latest.max(t);
            seen.insert(e.id.clone());
        }
        late
    };
    let (late, rest): (Vec<_>, Vec<_>) = with_late.iter().cloned().partition(|e| late_ids.contains(&e.id));
    let mut base = Ledger::new(common::ledger_config());
    for e in rest {
        base.apply(e).unwrap();
    }
    g.throughput(Throughput::Elements(late.len() as u64));
    g.bench_function("apply_late_only", |b| {
        b.iter_batched(
            || (base.clone(), late.clone()),
            |(mut l, evs)| {
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

/// `events` split over `threads` by `part`, applied concurrently to one shared ledger.
fn apply_shared(parts: Vec<Vec<Event>>) -> SharedLedger {
    let shared = SharedLedger::new(common::ledger_config(), 16);
    std::thread::scope(|s| {
        for part in parts {
            let shared = &shared;
            s.spawn(move || {
                for e in part {
                    black_box(shared.apply(e).unwrap());
                }
            });
        }
    });
    shared
}

/// The shared handle: 200,000 events over 10,000 keys split by key over 2 threads, and
/// over 4 hot keys (one instant) dealt round robin to 8 threads; one plain ledger applying the same
/// events on one thread is the baseline, in the same group.
fn bench_shared(c: &mut Criterion) {
    const M: usize = 200_000;
    let spread = common::ledger_events(M, KEYS, 0.0, 0, 9);
    // Hot keys written by many threads at once: the service stamps events as they come,
    // so they share one instant (distinct instants dealt to racing threads would make
    // most of them back-dated, which is another workload: see `apply_late_only`).
    let hot: Vec<Event> = common::ledger_events(M, 4, 0.0, 0, 9)
        .into_iter()
        .map(|mut e| {
            e.occurred_at = invsync::Timestamp::from_secs(1_700_000_000);
            e.recorded_at = e.occurred_at;
            e
        })
        .collect();
    let by_key = |events: &[Event], threads: usize| {
        let mut parts = vec![Vec::new(); threads];
        for e in events {
            parts[(invsync::rng::fnv1a64(e.item.as_str().as_bytes()) % threads as u64) as usize].push(e.clone());
        }
        parts
    };
    let round_robin = |events: &[Event], threads: usize| {
        let mut parts = vec![Vec::new(); threads];
        for (i, e) in events.iter().enumerate() {
            parts[i % threads].push(e.clone());
        }
        parts
    };
    let mut g = c.benchmark_group("shared");
    g.sample_size(10);
    g.throughput(Throughput::Elements(M as u64));
    g.bench_function("baseline_plain_ledger_1_thread", |b| {
        b.iter_batched(|| spread.clone(), apply_all, BatchSize::PerIteration)
    });
    g.bench_function("spread_2_threads", |b| {
        b.iter_batched(|| by_key(&spread, 2), apply_shared, BatchSize::PerIteration)
    });
    g.bench_function("hot_4_keys_8_threads", |b| {
        b.iter_batched(|| round_robin(&hot, 8), apply_shared, BatchSize::PerIteration)
    });
    g.finish();
}

criterion_group!(benches, bench, bench_shared);
criterion_main!(benches);
