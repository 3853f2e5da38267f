//! Ledger throughput on a seeded synthetic workload: in-order events per second, and the
//! cost of a late (back-dated) event as a ratio to an in-order one, measured in one run.
//!
//! ```text
//! cargo run --release --example ledger_throughput [-- EVENTS KEYS REPEATS]
//! ```
//!
//! Workload: EVENTS events over KEYS item x locations (default 1,000,000 over 10,000);
//! 1 % of them are receipts delivered 50,000 positions late, which puts each behind about
//! five later entries of its own key. Each figure is the best of REPEATS (default 3)
//! interleaved runs after a warm-up, so allocator and page-cache state are alike for both.

use std::time::Instant;

use invsync::ledger::{Event, Ledger, LedgerConfig, NegativeStock};

#[path = "../benches/common/mod.rs"]
mod common;

fn config() -> LedgerConfig {
    LedgerConfig { default_negative: NegativeStock::Allow, ..LedgerConfig::default() }
}

/// Seconds to apply `events` to `ledger`.
fn time(ledger: &mut Ledger, events: &[Event]) -> f64 {
    let events = events.to_vec();
    let t = Instant::now();
    for e in events {
        ledger.apply(e).expect("the workload applies in full");
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let n = args.next().and_then(Result::ok).unwrap_or(1_000_000);
    let keys = args.next().and_then(Result::ok).unwrap_or(10_000);
    let repeats = args.next().and_then(Result::ok).unwrap_or(3).max(1);

    let in_order = common::ledger_events(n, keys, 0.0, 0, 7);
    let mixed = common::ledger_events(n, keys, 0.01, 50_000, 7);

    time(&mut Ledger::new(config()), &in_order); // warm-up
    if std::env::var_os("INVSYNC_PROFILE_IN_ORDER").is_some() {
        return;
    }
    let mut best_in_order = f64::INFINITY;
    let mut best_ratio = f64::INFINITY;
    let mut late_events = 0;
    for _ in 0..repeats {
        best_in_order = best_in_order.min(time(&mut Ledger::new(config()), &in_order));
        // The mixed stream as delivered, each event timed: late ones against the others.
        let mut ledger = Ledger::new(config());
        let (mut t_late, mut t_other, mut n_late) = (0.0, 0.0, 0usize);
        for e in mixed.iter().cloned() {
            let t = Instant::now();
            let late = ledger.apply(e).expect("the workload applies in full").late;
            let dt = t.elapsed().as_secs_f64();
            if late {
                t_late += dt;
                n_late += 1;
            } else {
                t_other += dt;
            }
        }
        let ratio = (t_late / n_late.max(1) as f64) / (t_other / (n - n_late) as f64);
        best_ratio = best_ratio.min(ratio);
        late_events = n_late;
    }
    let per_event = best_in_order / n as f64;
    println!("workload          {n} events over {keys} item x locations, best of {repeats}");
    println!("in order          {:>12.0} events/s  ({:.0} ns/event)", 1.0 / per_event, per_event * 1e9);
    println!(
        "late / in-order   {:>12.2} x  ({late_events} late events, timed one by one in the same stream)",
        best_ratio
    );
}
