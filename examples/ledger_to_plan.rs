//! The ledger feeds the planner (docs/bridge.md): a seeded year of a retailer's events in
//! a ledger, the bridge's weekly histories and stock positions, a plan, and the orders
//! posted back as scheduled receipts (twice: the second time changes nothing).
//!
//! ```text
//! cargo run --release --example ledger_to_plan [-- ITEMS STORES]     # default: 50 4
//! ```
//!
//! Prints the time of each step and the bridge's rate against the ledger's own (applying
//! the same events), measured in the same run.

use std::time::Instant;

use invsync::bridge::{Bridge, PlannedOrder, PlanningCalendar};
use invsync::demand::Calendar;
use invsync::ledger::{Bucket, Event, Ledger, LedgerConfig, Movement};
use invsync::plan::{ItemInput, PlanConfig, plan_batch};
use invsync::rng::stream;
use invsync::{EventId, ItemId, LocationId, MS_PER_DAY, SourceId, Timestamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let items = args.next().transpose()?.unwrap_or(50);
    let stores = args.next().transpose()?.unwrap_or(4);
    let start = Timestamp::from_date(2024, 1, 1)?; // a Monday
    let at = |day: i64, hour: i64| start.add_millis(day * MS_PER_DAY + hour * 3_600_000);

    // A year of daily sales (some shipped as commit + fulfil), returns, sales cancelled
    // right away, and weekly purchase orders received three to ten days later.
    let mut rng = stream(2024, "ledger_to_plan");
    let source = SourceId::new("erp")?;
    let mut events = Vec::new();
    let mut n = 0u64;
    let mut ev =
        |item: &ItemId, loc: &LocationId, t: Timestamp, m: Movement| -> Result<EventId, Box<dyn std::error::Error>> {
            n += 1;
            let id = EventId::new(format!("e{n}"))?;
            events.push(Event::new(id.clone(), source.clone(), item.clone(), loc.clone(), t, m));
            Ok(id)
        };
    for i in 0..items {
        let item = ItemId::new(format!("SKU-{i:05}"))?;
        for s in 0..stores {
            let loc = LocationId::new(format!("S{s:03}"))?;
            let mean = 1 + i64::from(rng.bounded(10));
            let mut available = 20 * mean;
            ev(&item, &loc, at(-3, 8), Movement::receipt(available))?;
            let mut open: Vec<(EventId, i64, i64)> = Vec::new(); // (po, qty, arrives)
            for day in 0..364 {
                for (po, qty, _) in open.iter().filter(|o| o.2 == day) {
                    let m = Movement::Receipt {
                        qty: *qty,
                        unit_cost: None,
                        to: Bucket::Available,
                        against: Some(po.clone()),
                        close: false,
                    };
                    ev(&item, &loc, at(day, 7), m)?;
                    available += qty;
                }
                open.retain(|o| o.2 != day);
                let sale = i64::from(rng.bounded(2 * mean as u32 + 1)).min(available);
                if sale > 0 {
                    if rng.bounded(4) == 0 {
                        ev(&item, &loc, at(day, 10), Movement::commit(sale, Bucket::Available))?;
                        ev(&item, &loc, at(day, 11), Movement::fulfil(sale, Bucket::Committed))?;
                    } else {
                        ev(&item, &loc, at(day, 12), Movement::issue(sale))?;
                    }
                    available -= sale;
                }
                if available > 0 && rng.bounded(50) == 0 {
                    let wrong = ev(&item, &loc, at(day, 13), Movement::issue(1))?;
                    ev(&item, &loc, at(day, 14), Movement::cancel(wrong))?;
                }
                if rng.bounded(30) == 0 {
                    ev(&item, &loc, at(day, 15), Movement::customer_return(1, Bucket::Available))?;
                    available += 1;
                }
                let on_order: i64 = open.iter().map(|o| o.1).sum();
                if day % 7 == 4 && available + on_order < 12 * mean {
                    let qty = 24 * mean - available - on_order;
                    let lead = 3 + i64::from(rng.bounded(8));
                    let po = ev(&item, &loc, at(day, 18), Movement::schedule_receipt(qty, at(day + lead, 0)))?;
                    open.push((po, qty, day + lead + i64::from(rng.bounded(3))));
                }
            }
        }
    }

    let t = Instant::now();
    let mut ledger = Ledger::new(LedgerConfig::default());
    ledger.apply_batch(events.iter().cloned())?;
    let apply = t.elapsed().as_secs_f64();

    let weeks = PlanningCalendar::new(Calendar::Week, start)?;
    let as_of = weeks.start(52);
    let config = PlanConfig::default();
    let lead_time = config.policy.lead_time;
    let t = Instant::now();
    let planned = Bridge::new(&ledger, weeks, as_of)?.ignoring_plan("2024-W53").items(|_, _| lead_time)?;
    let bridge = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let keys: Vec<String> = planned.iter().map(|p| p.key()).collect();
    let inputs: Vec<ItemInput<'_>> =
        planned.iter().zip(&keys).map(|(p, k)| ItemInput::new(k, &p.history, p.position.clone())).collect();
    let config = config.for_batch(planned.iter().map(|p| &p.history));
    let plans = plan_batch(&inputs, &config);
    let plan = t.elapsed().as_secs_f64();

    let mut orders = Vec::with_capacity(plans.len());
    for (p, plan) in planned.iter().zip(plans) {
        orders.push(PlannedOrder {
            item: p.item.clone(),
            location: p.location.clone(),
            qty: plan?.order_qty(),
            lead_time,
        });
    }
    let receipts =
        Bridge::new(&ledger, weeks, as_of)?.ignoring_plan("2024-W53").planned_receipts("2024-W53", &orders)?;
    let posted = ledger.apply_batch(receipts.clone())?.iter().filter(|o| !o.duplicate).count();
    let again = ledger.apply_batch(receipts)?.iter().filter(|o| !o.duplicate).count();

    let censored: usize = planned.iter().map(|p| p.history.censored().iter().filter(|c| **c).count()).sum();
    let periods: usize = planned.iter().map(|p| p.history.len()).sum();
    println!(
        "{} events, {} item x locations, {periods} weekly periods ({censored} censored)",
        events.len(),
        planned.len()
    );
    println!("ledger apply   {apply:>8.3} s  {:>12.0} events/s", events.len() as f64 / apply);
    println!(
        "bridge         {bridge:>8.3} s  {:>12.0} events/s  ({:.2}x the ledger's apply rate)",
        events.len() as f64 / bridge,
        apply / bridge
    );
    println!("plan           {plan:>8.3} s  {:>12.0} items/s", planned.len() as f64 / plan);
    println!("posted {posted} scheduled receipts; posted again: {again} new");
    assert_eq!(again, 0, "a plan posted twice orders once");
    Ok(())
}
