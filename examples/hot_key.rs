//! One hot item x location fed newest first: every event is dated before all of the key's
//! existing entries, the worst case of back-dated re-posting (issue 20).
//!
//! ```text
//! cargo run --release --example hot_key [-- EVENTS...]      # default: 10000 40000 1000000
//! ```
//!
//! For each size and workload it prints the time to apply the events newest first, the
//! time to apply the same events oldest first on a fresh ledger, and their ratio; where
//! every event is accepted in both orders it checks that both ledgers end identical (levels,
//! valuation, every history line: the ledger is a fold in event-time order whatever the
//! arrival order). Workloads, all on one key, from the benches' generator (receipts at a
//! unit cost of 1 to 7, issues, reservations, releases):
//!
//! * `moving-average`: negative stock allowed, so everything applies;
//! * `fifo`: the same with FIFO valuation: the generator's stock grows without bound and its
//!   receipts cycle through seven costs, so a key holds hundreds of thousands of layers;
//! * `reject`: negative stock refused; newest first, an issue has nothing before it and is
//!   refused at its own place, so mostly receipts are posted;
//! * `counts`: as `moving-average`, with every 100th event a physical count (an absolute
//!   anchor) of the stock at that point: a back-dated event's change of levels stops at the
//!   next count that absorbs it (docs/performance.md, Hot keys);
//! * `counts-fifo`: `counts` with FIFO valuation;
//! * `hot-then-append`: as `moving-average`, the first 1,000 events newest first (the key
//!   turns hot), the rest in order: the cost of in-order events on a hot key.
//!
//! Targets (issue 20): 1,000,000 newest-first events on one key in under 30 s, 40,000 in
//! under 2 s, on the 2-core development machine in a release build.

use std::time::Instant;

use invsync::ledger::{Event, Ledger, LedgerConfig, Movement, NegativeStock, ValuationMethod};
use invsync::{ItemId, LocationId, Money};

#[path = "../benches/common/mod.rs"]
mod common;

/// Applies `events` in the given order to a fresh ledger; (seconds, accepted, ledger).
fn run(config: &LedgerConfig, fifo: bool, events: impl Iterator<Item = Event>) -> (f64, usize, Ledger) {
    let mut ledger = Ledger::new(config.clone());
    if fifo {
        ledger.register_item(ItemId::new("SKU-000000").expect("a valid id"), ValuationMethod::Fifo);
    }
    let events: Vec<Event> = events.collect();
    let t = Instant::now();
    let mut accepted = 0;
    for e in events {
        accepted += usize::from(ledger.apply(e).is_ok());
    }
    (t.elapsed().as_secs_f64(), accepted, ledger)
}

/// Everything observable about the one key, for the equality check.
fn observe(l: &Ledger) -> impl PartialEq + std::fmt::Debug {
    let (item, loc) = (ItemId::new("SKU-000000").expect("a valid id"), LocationId::new("L0").expect("a valid id"));
    let history: Vec<_> =
        l.history(&item, &loc).map(|h| (h.event.id.clone(), h.levels, h.value, h.value_change)).collect();
    (l.levels(&item, &loc), l.valuation(&item, &loc), history)
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 40_000, 1_000_000] } else { sizes };
    let allow = common::ledger_config();
    let reject = LedgerConfig { default_negative: NegativeStock::Reject, ..allow.clone() };
    println!("workload        events  newest-first s  accepted  oldest-first s  ratio");
    for &n in &sizes {
        // Receipts carry a unit cost (1 to 7 units), so valuation and cost of goods are real.
        let plain: Vec<Event> = common::ledger_events(n, 1, 0.0, 0, 11)
            .into_iter()
            .enumerate()
            .map(|(i, mut e)| {
                if let Movement::Receipt { unit_cost, .. } = &mut e.movement {
                    *unit_cost = Some(Money::from_units(1 + (i % 7) as i64));
                }
                e
            })
            .collect();
        let mut stock = 0i64;
        let counted: Vec<Event> = plain
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut e = e.clone();
                match e.movement {
                    Movement::Receipt { qty, .. } => stock += qty,
                    Movement::Issue { qty, .. } => stock -= qty,
                    _ => {}
                }
                if i % 100 == 99 {
                    e.movement = Movement::count(stock);
                }
                e
            })
            .collect();
        for (name, config, fifo, events) in [
            ("moving-average", &allow, false, &plain),
            ("fifo", &allow, true, &plain),
            ("reject", &reject, false, &plain),
            ("counts", &allow, false, &counted),
            ("counts-fifo", &allow, true, &counted),
        ] {
            let (back, back_ok, back_ledger) = run(config, fifo, events.iter().rev().cloned());
            let (fwd, fwd_ok, fwd_ledger) = run(config, fifo, events.iter().cloned());
            if back_ok == n && fwd_ok == n {
                assert_eq!(observe(&back_ledger), observe(&fwd_ledger), "{name}: the arrival order changed the ledger");
            }
            println!("{name:<14} {n:>7}  {back:>14.3}  {back_ok:>8}  {fwd:>14.3}  {:>5.1}", back / fwd);
        }
        // The first 1,000 events newest first (the key turns hot), then the rest in order:
        // what in-order appends cost once a key is hot.
        let head = n.min(1_000);
        let order = plain[..head].iter().rev().chain(&plain[head..]).cloned();
        let (mixed, mixed_ok, mixed_ledger) = run(&allow, false, order);
        let (fwd, _, fwd_ledger) = run(&allow, false, plain.iter().cloned());
        assert_eq!(
            observe(&mixed_ledger),
            observe(&fwd_ledger),
            "hot-then-append: the arrival order changed the ledger"
        );
        println!("{:<14} {n:>7}  {mixed:>14.3}  {mixed_ok:>8}  {fwd:>14.3}  {:>5.1}", "hot-then-append", mixed / fwd);
    }
}
