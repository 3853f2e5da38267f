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
//!
//! Two configurations, side by side on the same items (each chunk planned by both, in
//! turn, so both see the same machine):
//!
//! * `invsync plan`: what the command runs without `--profile`, `PlanConfig::default()`
//!   with its pooled seasonal indices resolved over the items planned together
//!   ([`PlanConfig::for_batch`], here each chunk of 1,000), carry-over E = L - 1 = 1;
//! * `library`: `PlanConfig::default()` handed to `plan_item` as it is (pooled seasonality
//!   left unresolved falls back to each item's own indices).

use std::time::Instant;

use invsync::Timestamp;
use invsync::demand::{Calendar, DemandHistory};
use invsync::plan::{ItemInput, PlanConfig, plan_item};
use invsync::policy::StockPosition;

#[path = "../benches/common/mod.rs"]
mod common;
#[path = "../benches/common/counting_alloc.rs"]
mod counting_alloc;

/// Per-configuration totals.
#[derive(Default)]
struct Totals {
    planned: usize,
    values: u64,
    elapsed: f64,
    // The fastest full chunk: what the planner does when nothing else on the machine
    // interferes (a shared machine's slow spells drag the overall figure down).
    best_chunk: f64,
    checksum: f64,
    allocations: u64,
}

fn main() {
    let items: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let library = PlanConfig::default();
    let w = library.policy.window();
    let sim_w = library.policy.simulated_periods();
    let mut seq = common::SplitMix::new(3);
    let start = Timestamp::from_date(2021, 4, 12).expect("a valid date");
    let names = ["invsync plan", "library"];
    let mut totals: [Totals; 2] = Default::default();
    for t in &mut totals {
        t.best_chunk = f64::INFINITY;
    }

    // Generate the histories in chunks so memory stays flat for any item count.
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
        let cli = library.for_batch(hs.iter().map(|(_, h)| h));
        for (config, t) in [&cli, &library].into_iter().zip(&mut totals) {
            let allocations_before = counting_alloc::allocations();
            let started = Instant::now();
            for (key, h) in &hs {
                let input = ItemInput::new(
                    key,
                    h,
                    StockPosition { on_hand: 10.0, arrivals: vec![5.0; config.policy.lead_time] },
                );
                let plan = plan_item(&input, config).expect("valid settings");
                if plan.recommendation.is_some() {
                    t.planned += 1;
                    t.values += (config.demand.scenarios * sim_w) as u64;
                }
                t.checksum += plan.order_qty();
            }
            let dt = started.elapsed().as_secs_f64();
            t.elapsed += dt;
            if n == chunk {
                t.best_chunk = t.best_chunk.min(dt);
            }
            t.allocations += counting_alloc::allocations() - allocations_before;
        }
        done += n;
    }

    // The RNG floor: seconds per 32-bit ChaCha8 draw, measured now.
    let per_draw = common::chacha_floor_secs(50_000_000);

    println!(
        "items             {items}, W = {w} + carry-over {} = {sim_w} simulated periods, {} scenarios",
        library.policy.carryover, library.demand.scenarios
    );
    println!("                  {:>14}  {:>14}", names[0], names[1]);
    let row = |label: &str, f: &dyn Fn(&Totals) -> String, note: &str| {
        println!("{label:<18}{:>14}  {:>14}  {note}", f(&totals[0]), f(&totals[1]));
    };
    row("planned", &|t| t.planned.to_string(), "");
    row("items/s", &|t| format!("{:.0}", items as f64 / t.elapsed), "");
    row(
        "items/s, best",
        &|t| if t.best_chunk.is_finite() { format!("{:.0}", chunk as f64 / t.best_chunk) } else { "-".into() },
        "(fastest chunk of 1,000 items)",
    );
    row("values/s", &|t| format!("{:.0}", t.values as f64 / t.elapsed), "(simulated demand values)");
    row(
        "ns per value",
        &|t| format!("{:.2}", t.elapsed / t.values.max(1) as f64 * 1e9),
        "(whole plan, per simulated value)",
    );
    println!("ns per draw       {:>14.2}  (ChaCha8 next_u32, this run)", per_draw * 1e9);
    row(
        "rng-floor ratio",
        &|t| format!("{:.1}", t.elapsed / t.values.max(1) as f64 / per_draw),
        "(ns per value / ns per draw)",
    );
    row(
        "allocations/item",
        &|t| format!("{:.1}", t.allocations as f64 / items.max(1) as f64),
        "(heap allocations and reallocations while planning, outputs included)",
    );
    row("checksum", &|t| format!("{:.0}", t.checksum), "(sum of order quantities)");
    println!("time ratio        {:>14.2}  (invsync plan / library, same items)", totals[0].elapsed / totals[1].elapsed);
}
