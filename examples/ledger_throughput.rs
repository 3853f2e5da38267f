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
//!
//! On Linux it also prints what the best in-order run cost the kernel: minor page faults
//! per 1,000 events (first touches of fresh memory) and the share of the run spent in
//! system time, read from `/proc/self/stat`. On a VM with 4 KB pages that share is large;
//! see docs/performance.md, Ledger, for huge pages as a deployment setting.

use std::time::Instant;

use invsync::ledger::{Event, Ledger};

#[path = "../benches/common/mod.rs"]
mod common;

/// What the kernel did for this process: minor page faults and system CPU seconds.
#[derive(Clone, Copy)]
struct Kernel {
    faults: u64,
    sys_secs: f64,
}

impl Kernel {
    /// The counters so far, from `/proc/self/stat` (Linux only).
    fn now() -> Option<Kernel> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name, which is in parentheses and may contain spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let faults = fields.get(7)?.parse().ok()?;
        let ticks: f64 = fields.get(12)?.parse().ok()?;
        // USER_HZ: 100 ticks per second on the Linux targets Rust supports.
        Some(Kernel { faults, sys_secs: ticks / 100.0 })
    }

    /// What happened between `before` and `self`.
    fn since(self, before: Kernel) -> Kernel {
        Kernel { faults: self.faults.saturating_sub(before.faults), sys_secs: self.sys_secs - before.sys_secs }
    }
}

/// One timed application: wall seconds, and the kernel's part when known.
struct Run {
    secs: f64,
    kernel: Option<Kernel>,
}

/// Applies `events` to `ledger`, timed.
fn time(ledger: &mut Ledger, events: &[Event]) -> Run {
    let events = events.to_vec();
    let before = Kernel::now();
    let t = Instant::now();
    for e in events {
        ledger.apply(e).expect("the workload applies in full");
    }
    let secs = t.elapsed().as_secs_f64();
    let kernel = Kernel::now().zip(before).map(|(after, before)| after.since(before));
    Run { secs, kernel }
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let n = args.next().and_then(Result::ok).unwrap_or(1_000_000);
    let keys = args.next().and_then(Result::ok).unwrap_or(10_000);
    let repeats = args.next().and_then(Result::ok).unwrap_or(3).max(1);

    let in_order = common::ledger_events(n, keys, 0.0, 0, 7);
    let mixed = common::ledger_events(n, keys, 0.01, 50_000, 7);

    time(&mut Ledger::new(common::ledger_config()), &in_order); // warm-up
    if std::env::var_os("INVSYNC_PROFILE_IN_ORDER").is_some() {
        return;
    }
    let mut best_in_order = Run { secs: f64::INFINITY, kernel: None };
    let mut best_ratio = f64::INFINITY;
    let mut late_events = 0;
    for _ in 0..repeats {
        let run = time(&mut Ledger::new(common::ledger_config()), &in_order);
        if run.secs < best_in_order.secs {
            best_in_order = run;
        }
        // The mixed stream as delivered, each event timed: late ones against the others.
        let mut ledger = Ledger::new(common::ledger_config());
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
    let per_event = best_in_order.secs / n as f64;
    println!("workload          {n} events over {keys} item x locations, best of {repeats}");
    println!("in order          {:>12.0} events/s  ({:.0} ns/event)", 1.0 / per_event, per_event * 1e9);
    println!(
        "late / in-order   {:>12.2} x  ({late_events} late events, timed one by one in the same stream)",
        best_ratio
    );
    match best_in_order.kernel {
        Some(k) => println!(
            "kernel, in order  {:>12.1} page faults per 1,000 events, {:.0} % of the run in system time",
            k.faults as f64 * 1000.0 / n as f64,
            100.0 * k.sys_secs / best_in_order.secs
        ),
        None => println!("kernel, in order  (not measured: no /proc/self/stat)"),
    }
}
