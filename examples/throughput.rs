//! Planner throughput on a standard synthetic workload, for benchmark runs to track:
//! items per second, simulated demand values per second, and the RNG-floor ratio (time
//! per simulated value over the time of one ChaCha8 32-bit draw, measured in this run).
//!
//! ```text
//! cargo run --release --example throughput [-- ITEMS]      # default 100,000 items
//! ```
//!
//! Workload: weekly histories of 156 periods (levels 5..45, noise +/-10, seeded), stock
//! position 10 on hand + 5 in each lead-time period, VN2 rules (L = 2, R = 1, h = 0.2,
//! p = 1.0), 1,000 scenarios per item, every policy and the whole k grid, one thread. The
//! example counts heap allocations (its global allocator is the system one with a counter)
//! and prints them per item.

use std::time::Instant;

use invsync::Timestamp;
use invsync::demand::{Calendar, DemandHistory};
use invsync::plan::{ItemInput, PlanConfig, plan_item};
use invsync::policy::StockPosition;

#[path = "../benches/common/mod.rs"]
mod common;
#[path = "../benches/common/counting_alloc.rs"]
mod counting_alloc;

fn main() {
    let items: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let config = PlanConfig::default();
    let w = config.policy.window();
    let mut seq = common::SplitMix::new(3);
    let start = Timestamp::from_date(2021, 4, 12).expect("a valid date");

    // Generate the histories in chunks so memory stays flat for any item count.
    let mut planned = 0usize;
    let mut values = 0u64;
    let mut elapsed = 0.0f64;
    // The fastest full chunk: what the planner does when nothing else on the machine
    // interferes (a shared machine's slow spells drag the overall figure down).
    let mut best_chunk = f64::INFINITY;
    let mut checksum = 0.0f64;
    let mut allocations = 0u64;
    let chunk = 1000;
    let mut done = 0;
    while done < items {
        let n = chunk.min(items - done);
        let hs: Vec<(String, DemandHistory)> = (0..n)
            .map(|i| {
                let level = 5.0 + seq.below(40) as f64;
                let v = (0..156).map(|_| (level + seq.below(21) as f64 - 10.0).max(0.0).round()).collect();
                (
                    format!("S{}/P{}", (done + i) % 97, done + i),
                    DemandHistory::uncensored(start, Calendar::Week, v).expect("valid"),
                )
            })
            .collect();
        let allocations_before = counting_alloc::allocations();
        let t = Instant::now();
        for (key, h) in &hs {
            let input =
                ItemInput::new(key, h, StockPosition { on_hand: 10.0, arrivals: vec![5.0; config.policy.lead_time] });
            let plan = plan_item(&input, &config).expect("valid settings");
            if plan.recommendation.is_some() {
                planned += 1;
                values += (config.demand.scenarios * w) as u64;
            }
            checksum += plan.order_qty();
        }
        let dt = t.elapsed().as_secs_f64();
        elapsed += dt;
        if n == chunk {
            best_chunk = best_chunk.min(dt);
        }
        allocations += counting_alloc::allocations() - allocations_before;
        done += n;
    }

    // The RNG floor: seconds per 32-bit ChaCha8 draw, measured now.
    let per_draw = common::chacha_floor_secs(50_000_000);
    let per_value = elapsed / values.max(1) as f64;

    println!("items             {items} ({planned} planned), W = {w}, {} scenarios", config.demand.scenarios);
    println!("items/s           {:>14.0}", items as f64 / elapsed);
    if best_chunk.is_finite() {
        println!("items/s, best     {:>14.0}  (fastest chunk of {chunk} items)", chunk as f64 / best_chunk);
    }
    println!("values/s          {:>14.0}  (simulated demand values)", values as f64 / elapsed);
    println!("ns per value      {:>14.2}  (whole plan, per simulated value)", per_value * 1e9);
    println!("ns per draw       {:>14.2}  (ChaCha8 next_u32, this run)", per_draw * 1e9);
    println!("rng-floor ratio   {:>14.1}  (ns per value / ns per draw)", per_value / per_draw);
    println!(
        "allocations/item  {:>14.1}  (heap allocations and reallocations while planning, outputs included)",
        allocations as f64 / items.max(1) as f64
    );
    println!("checksum          {checksum:>14.0}  (sum of order quantities)");
}
