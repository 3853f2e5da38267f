//! Planner throughput per core and its speed-up on two threads, measured in one process in
//! interleaved rounds so every figure of a round saw the same machine.
//!
//! ```text
//! cargo run --release --features parallel --example scaling [-- ROUNDS BATCHES]
//! ```
//!
//! Each round plans 64 items (the histories of `benches/plan.rs`; VN2-shaped: 156 weeks, 1,000
//! scenarios, W = 3, every policy and the k grid) BATCHES times (default 30) three ways:
//! on this thread; on two plain threads, each planning all of them; and, with the
//! `parallel` feature, through `plan_batch` on a two-thread rayon pool, all batches in one
//! `install`. The last two also check that every plan equals the sequential one. Each
//! round first times ChaCha8 output words (`ns/word`): the shared machine's own speed
//! changes by a third at times, and a slow round shows there too.
//!
//! Why beside criterion: `benches/plan.rs` hands the pool one batch per iteration and the
//! thread that waits for it sleeps in between; on the shared development VM the pool's
//! figures there read lower than a sequential run for reasons only partly explained
//! (docs/performance.md). Here every figure of a round runs in one process, one after the
//! other, with the machine's speed measured beside them.

use std::time::Instant;

use invsync::plan::{ItemInput, ItemPlan, PlanConfig, plan_item};
use invsync::policy::StockPosition;

#[path = "../benches/common/mod.rs"]
mod common;

const ITEMS: usize = 64;

/// `batches` passes over `inputs`, planned in order on this thread; the last pass's plans.
fn sequential(inputs: &[ItemInput<'_>], config: &PlanConfig, batches: usize) -> Vec<ItemPlan> {
    let mut last = Vec::new();
    for _ in 0..batches {
        last = inputs.iter().map(|i| plan_item(i, config).expect("valid settings")).collect();
    }
    last
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let rounds = args.next().and_then(Result::ok).unwrap_or(6).max(1);
    let batches = args.next().and_then(Result::ok).unwrap_or(30).max(1);

    let histories = common::plan_histories(ITEMS, 3);
    let keys: Vec<String> = (0..ITEMS).map(|i| format!("S{}/P{i}", i % 7)).collect();
    let config = PlanConfig::default();
    let inputs: Vec<ItemInput<'_>> = histories
        .iter()
        .zip(&keys)
        .map(|(h, k)| {
            ItemInput::new(k, h, StockPosition { on_hand: 10.0, arrivals: vec![5.0; config.policy.lead_time] })
        })
        .collect();
    let planned = (ITEMS * batches) as f64;
    #[cfg(feature = "parallel")]
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("a thread pool");

    println!("{ITEMS} items x {batches} batches per figure, {rounds} interleaved rounds (items/s)");
    println!(
        "{:>6} {:>10} {:>12} {:>14} {:>8} {:>14} {:>8}",
        "round", "ns/word", "one thread", "two threads", "ratio", "rayon, two", "ratio"
    );
    for round in 0..rounds {
        let floor = common::chacha_floor_secs(5_000_000) * 1e9;
        let t = Instant::now();
        let reference = sequential(&inputs, &config, batches);
        let one = planned / t.elapsed().as_secs_f64();

        let t = Instant::now();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| sequential(&inputs, &config, batches));
            let b = s.spawn(|| sequential(&inputs, &config, batches));
            (a.join().expect("no panic"), b.join().expect("no panic"))
        });
        let two = 2.0 * planned / t.elapsed().as_secs_f64();
        assert!(a == reference && b == reference, "plans differ between threads");

        #[cfg(feature = "parallel")]
        let rayon = {
            let t = Instant::now();
            let last = pool.install(|| {
                let mut last = Vec::new();
                for _ in 0..batches {
                    last = invsync::plan::plan_batch(&inputs, &config);
                }
                last
            });
            let rate = planned / t.elapsed().as_secs_f64();
            assert!(last.into_iter().map(|p| p.expect("valid settings")).eq(reference), "rayon plans differ");
            format!("{rate:>14.0} {:>8.2}", rate / one)
        };
        #[cfg(not(feature = "parallel"))]
        let rayon = format!("{:>14} {:>8}", "(parallel off)", "");
        println!("{round:>6} {floor:>10.2} {one:>12.0} {two:>14.0} {:>8.2} {rayon}", two / one);
    }
}
