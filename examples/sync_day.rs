//! A simulated trading day through the sync hub, printed as a readable report.
//!
//! Three endpoints (an ERP posting purchase receipts at the DC, a WMS moving stock to two
//! stores and sending snapshots, a POS selling at the stores) report 12 hours of activity
//! over 40 items. Delivery is at-least-once and imperfect: 5 % of messages arrive twice,
//! 3 % are reordered within the hold window, 0.5 % of the POS sales arrive after it (6 to 12 minutes late), one
//! WMS message never arrives and one snapshot arrives two hours after its capture. At
//! 20:00 the stores and the DC are counted and reconciled.
//!
//! ```sh
//! cargo run --release --example sync_day [seed]
//! ```
//!
//! `tests/sync_day.rs` runs the same day and asserts the final state, the exceptions and
//! the measures.

use std::collections::BTreeMap;

use invsync::ledger::{Event, Ledger, LedgerConfig, Movement, NegativeStock};
use invsync::sync::{
    Allocation, Channel, CountRecord, Endpoint, EndpointKind, EndpointStats, Exception, Hub, HubConfig, LatencySummary,
    ReconcileConfig, ReconcileReport, Snapshot, fill_rate, inventory_turnover, reconcile, stockout_rate,
    turnover_inputs,
};
use invsync::{EventId, ItemId, LocationId, Money, SourceId, Timestamp};

const MIN: i64 = 60_000;
const ITEMS: usize = 40;
const WINDOW_MS: i64 = 5 * MIN;
const UNIT_COST: i64 = 60;

/// Everything the day produced.
pub struct Day {
    /// The hub at the end of the day.
    pub hub: Hub,
    /// Every event that happened, once, in event-time order, without the dropped one.
    pub delivered_once: Vec<Event>,
    /// Deliveries made (duplicates included).
    pub deliveries: usize,
    /// Duplicates injected.
    pub duplicates_injected: u64,
    /// Deliveries sent after the hold window.
    pub late_injected: u64,
    /// Availability publications sent, and whether every publication round kept each
    /// item x location's channels within its available stock.
    pub publications: usize,
    /// Channels never promised more than available.
    pub never_oversold: bool,
    /// The end-of-day reconciliation.
    pub reconciliation: ReconcileReport,
    /// POS units demanded and sold.
    pub demanded: i64,
    /// Units sold.
    pub sold: i64,
    /// Share of hourly store observations with nothing available.
    pub stockout_rate: Option<f64>,
    /// Cost of goods issued / average stock value over the day (all keys).
    pub turnover: Option<f64>,
    /// Store on hand at close / units sold per day.
    pub days_of_supply: Option<f64>,
}

#[path = "../benches/common/mod.rs"]
mod common;

/// `per_mille` chances in a thousand.
fn chance(rng: &mut common::SplitMix, per_mille: u64) -> bool {
    rng.below(1000) < per_mille
}

/// What arrives at the hub, and when.
enum Action {
    Event(usize, Event),
    Snapshot(usize, Snapshot),
    Ack(usize),
    Publish,
}

fn id(s: String) -> EventId {
    EventId::new(s).expect("generated ids are valid")
}

/// 08:00 on 2024-04-08 plus `ms`.
fn at(ms: i64) -> Timestamp {
    Timestamp::from_days(19_821).add_millis(8 * 60 * MIN + ms)
}

/// Runs the day with `seed`.
pub fn run(seed: u64) -> Day {
    let mut rng = common::SplitMix::new(seed);
    let names = ["erp", "wms", "pos"];
    let kinds = [EndpointKind::Erp, EndpointKind::Wms, EndpointKind::Pos];
    let sources: Vec<SourceId> = names.iter().map(|n| SourceId::new(*n).expect("valid")).collect();
    let items: Vec<ItemId> = (0..ITEMS).map(|i| ItemId::new(format!("SKU-{i:03}")).expect("valid")).collect();
    let locs: Vec<LocationId> = ["DC", "S1", "S2"].iter().map(|l| LocationId::new(*l).expect("valid")).collect();

    // The truth, generated minute by minute in event-time order.
    let mut stock = vec![[0i64; 3]; ITEMS];
    let mut events: Vec<(usize, Event)> = Vec::new();
    let mut snapshots: Vec<(i64, usize, Snapshot)> = Vec::new();
    let mut transfers_due: BTreeMap<i64, Vec<(usize, usize, i64, EventId)>> = BTreeMap::new();
    let (mut demanded, mut sold) = (0i64, 0i64);
    let mut n = 0usize;
    let mut next_id = |kind: &str| {
        n += 1;
        id(format!("{kind}-{n:05}"))
    };
    for (i, item) in items.iter().enumerate() {
        for (l, loc) in locs.iter().enumerate() {
            let qty = if l == 0 { 200 + rng.below(200) as i64 } else { 20 + rng.below(40) as i64 };
            stock[i][l] = qty;
            let m = Movement::Count { on_hand: qty, unit_cost: Some(Money::from_units(UNIT_COST)) };
            let e = Event::new(
                next_id("open"),
                sources[0].clone(),
                item.clone(),
                loc.clone(),
                at(1 + (i * 3 + l) as i64),
                m,
            );
            events.push((0, e));
        }
    }
    for minute in 1..720i64 {
        let base = minute * MIN;
        if minute == 360 {
            // 14:00: the WMS sends a snapshot of every DC item, captured on the minute.
            for (i, item) in items.iter().enumerate() {
                let s = Snapshot {
                    item: item.clone(),
                    location: locs[0].clone(),
                    on_hand: stock[i][0],
                    captured_at: at(base),
                };
                snapshots.push((base + 30_000, 1, s));
            }
        }
        let mut j = 0i64;
        let mut slot = |rng: &mut common::SplitMix| {
            j += 1;
            at(base + 1 + 400 * j + rng.below(300) as i64)
        };
        for (i, l, qty, out) in transfers_due.remove(&minute).unwrap_or_default() {
            stock[i][l] += qty;
            let m = Movement::TransferIn { transfer: out, qty, close: false };
            events.push((
                1,
                Event::new(next_id("tin"), sources[1].clone(), items[i].clone(), locs[l].clone(), slot(&mut rng), m),
            ));
        }
        if minute % 30 == 0 {
            for _ in 0..3 {
                let i = rng.below(ITEMS as u64) as usize;
                let qty = 50 + rng.below(100) as i64;
                stock[i][0] += qty;
                let m = Movement::receipt_at(qty, Money::from_units(UNIT_COST));
                events.push((
                    0,
                    Event::new(next_id("po"), sources[0].clone(), items[i].clone(), locs[0].clone(), slot(&mut rng), m),
                ));
            }
        }
        if minute % 20 == 0 {
            for l in 1..3 {
                for i in 0..ITEMS {
                    let qty = 40.min(stock[i][0]);
                    if stock[i][l] < 15 && qty > 0 {
                        stock[i][0] -= qty;
                        let out = next_id("tout");
                        let m = Movement::TransferOut { to: locs[l].clone(), qty, expected_at: None, unit_cost: None };
                        events.push((
                            1,
                            Event::new(
                                out.clone(),
                                sources[1].clone(),
                                items[i].clone(),
                                locs[0].clone(),
                                slot(&mut rng),
                                m,
                            ),
                        ));
                        transfers_due.entry(minute + 45).or_default().push((i, l, qty, out));
                    }
                }
            }
        }
        for l in 1..3 {
            for _ in 0..rng.below(5) {
                let i = rng.below(ITEMS as u64) as usize;
                let want = 1 + rng.below(3) as i64;
                let qty = want.min(stock[i][l]);
                demanded += want;
                sold += qty;
                if qty > 0 {
                    stock[i][l] -= qty;
                    let e = Event::new(
                        next_id("sale"),
                        sources[2].clone(),
                        items[i].clone(),
                        locs[l].clone(),
                        slot(&mut rng),
                        Movement::issue(qty),
                    );
                    events.push((2, e));
                }
            }
        }
    }
    let closing = stock;

    // Sequence numbers per endpoint in event-time order, recording lags, arrivals.
    events.sort_by_key(|(_, e)| e.occurred_at);
    let mut seqs = [0u64; 3];
    let dropped = events
        .iter()
        .position(|(ep, e)| {
            *ep == 1 && e.occurred_at >= at(4 * 60 * MIN) && matches!(e.movement, Movement::TransferIn { .. })
        })
        .expect("the WMS moves stock in the afternoon");
    let mut actions: Vec<(Timestamp, usize, Action)> = Vec::new();
    let (mut duplicates_injected, mut late_injected) = (0, 0);
    let mut delivered_once = Vec::new();
    for (k, (ep, e)) in events.into_iter().enumerate() {
        seqs[ep] += 1;
        let lag_ms = match ep {
            0 => 30_000 + rng.below(90_000),
            1 => 5_000 + rng.below(55_000),
            _ => 1_000 + rng.below(19_000),
        } as i64;
        let e = e.with_source_seq(seqs[ep]);
        let e = e.clone().with_recorded_at(e.occurred_at.add_millis(lag_ms));
        let mut arrival = e.recorded_at.add_millis(200 + rng.below(4_800) as i64);
        if k == dropped {
            continue;
        }
        delivered_once.push(e.clone());
        if chance(&mut rng, 30) {
            arrival = arrival.add_millis(10_000 + rng.below(100_000) as i64);
        } else if ep == 2 && chance(&mut rng, 5) {
            arrival = e.occurred_at.add_millis(6 * MIN + rng.below(6 * MIN as u64) as i64);
            late_injected += 1;
        }
        if chance(&mut rng, 50) {
            duplicates_injected += 1;
            actions.push((arrival.add_millis(1_000 + rng.below(89_000) as i64), 0, Action::Event(ep, e.clone())));
        }
        actions.push((arrival, 0, Action::Event(ep, e)));
    }
    for (arrive, ep, s) in snapshots {
        actions.push((at(arrive), 0, Action::Snapshot(ep, s)));
    }
    // The stale one: a DC snapshot captured at 09:00 that arrives at 11:00, and is wrong.
    let stale = Snapshot { item: items[0].clone(), location: locs[0].clone(), on_hand: 7, captured_at: at(60 * MIN) };
    actions.push((at(180 * MIN), 0, Action::Snapshot(1, stale)));
    for minute in 0..=735 {
        for (ep, every) in [(0, 10), (1, 5), (2, 3)] {
            if minute % every == 0 {
                actions.push((at(minute * MIN + 500), 1, Action::Ack(ep)));
            }
        }
        if minute % 5 == 0 {
            actions.push((at(minute * MIN + 700), 2, Action::Publish));
        }
    }
    actions.sort_by_key(|(t, order, _)| (*t, *order));

    // The hub.
    let mut ledger = Ledger::new(LedgerConfig::default());
    for store in &locs[1..] {
        // Sales are facts: a store may go negative rather than refuse a sale.
        ledger.register_location(store.clone(), NegativeStock::Allow);
    }
    let config = HubConfig { hold_window_ms: WINDOW_MS, ..HubConfig::default() };
    let mut hub = Hub::new(ledger, config);
    for (s, kind) in sources.iter().zip(kinds) {
        hub.add_endpoint(Endpoint::new(s.clone(), kind)).expect("distinct endpoints");
    }
    let web = Channel::new(SourceId::new("web").expect("valid")).with_buffer(2);
    let market = Channel::new(SourceId::new("marketplace").expect("valid"))
        .with_allocation(Allocation::Share { basis_points: 5_000 })
        .with_priority(1);
    hub.set_channels(vec![web, market]).expect("distinct channels");
    let deliveries = actions.iter().filter(|a| matches!(a.2, Action::Event(..))).count();
    let (mut publications, mut never_oversold) = (0, true);
    let mut told: BTreeMap<(ItemId, LocationId, SourceId), i64> = BTreeMap::new();
    for (t, _, action) in actions {
        match action {
            Action::Event(ep, e) => {
                hub.receive(&sources[ep], e, t).expect("known endpoints, matching sources");
            }
            Action::Snapshot(ep, s) => {
                hub.receive_snapshot(&sources[ep], s, t).expect("known endpoint");
            }
            Action::Ack(ep) => {
                hub.advance(t);
                let v = hub.version();
                hub.acknowledge(&sources[ep], v, t).expect("a version the ledger has");
            }
            Action::Publish => {
                hub.advance(t);
                let p = hub.publish();
                publications += p.len();
                for x in p {
                    told.insert((x.item, x.location, x.channel), x.quantity);
                }
                let mut promised: BTreeMap<(&ItemId, &LocationId), i64> = BTreeMap::new();
                for ((i, l, _), q) in &told {
                    *promised.entry((i, l)).or_default() += q;
                }
                never_oversold &= promised.iter().all(|((i, l), &q)| q <= hub.ledger().levels(i, l).available.max(0));
            }
        }
    }
    let close = at(720 * MIN);
    hub.advance(close.add_millis(WINDOW_MS + 1));
    hub.flush();

    // Closing count and measures.
    let counts: Vec<CountRecord> = (0..ITEMS)
        .flat_map(|i| (0..3).map(move |l| (i, l)))
        .map(|(i, l)| CountRecord { item: items[i].clone(), location: locs[l].clone(), counted: closing[i][l] })
        .collect();
    let reconciliation =
        reconcile(hub.ledger(), &counts, close, &ReconcileConfig::default()).expect("one count per item x location");
    hub.raise_mismatches(&reconciliation);
    let ledger = hub.ledger();
    let mut hourly = Vec::new();
    for h in 1..=12 {
        for i in &items {
            for l in &locs[1..] {
                hourly.push(ledger.levels_at(i, l, at(h * 60 * MIN)).available);
            }
        }
    }
    let stockout_rate = stockout_rate(hourly);
    let (mut cogs, mut avg) = (Money::ZERO, Money::ZERO);
    for i in &items {
        for l in &locs {
            if let Some((c, a)) = turnover_inputs(ledger, i, l, at(0), close) {
                cogs = cogs.checked_add(c).unwrap_or(cogs);
                avg = avg.checked_add(a).unwrap_or(avg);
            }
        }
    }
    let store_on_hand: i64 = items.iter().flat_map(|i| locs[1..].iter().map(|l| ledger.levels(i, l).on_hand())).sum();
    Day {
        delivered_once,
        deliveries,
        duplicates_injected,
        late_injected,
        publications,
        never_oversold,
        reconciliation,
        demanded,
        sold,
        stockout_rate,
        turnover: inventory_turnover(cogs, avg),
        days_of_supply: invsync::sync::days_of_supply(store_on_hand, sold as f64),
        hub,
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |x| format!("{:.2} %", 100.0 * x))
}

fn latency_line(name: &str, s: Option<LatencySummary>) -> String {
    match s {
        None => format!("  {name:<22} no samples"),
        Some(s) => format!(
            "  {name:<22} n={:<5} p50 {:>6.1} s  p95 {:>6.1} s  p99 {:>6.1} s  max {:>6.1} s  within 15 min {}",
            s.count,
            s.p50_ms as f64 / 1e3,
            s.p95_ms as f64 / 1e3,
            s.p99_ms as f64 / 1e3,
            s.max_ms as f64 / 1e3,
            pct(Some(s.within_target))
        ),
    }
}

fn describe(e: &Exception) -> String {
    let who = e.endpoint.as_ref().map_or("-".to_string(), ToString::to_string);
    format!("  {} [{who}] {:?}", e.raised_at, e.kind)
}

fn main() {
    let seed = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(7);
    let day = run(seed);
    let hub = &day.hub;
    println!("invsync sync day (seed {seed})");
    println!(
        "events {} (once), deliveries {} ({} duplicates and {} late injected, 1 dropped), ledger version {}",
        day.delivered_once.len(),
        day.deliveries,
        day.duplicates_injected,
        day.late_injected,
        hub.version()
    );
    println!("\nper endpoint");
    for name in ["erp", "wms", "pos"] {
        let s: EndpointStats = hub.stats(&SourceId::new(name).expect("valid")).expect("registered");
        println!(
            "  {name:<4} received {:>5}  applied {:>5}  duplicates {:>4}  late {:>3}  rejected {}  snapshots {:>3} (stale {})  gaps {}",
            s.received, s.applied, s.duplicates, s.late, s.rejected, s.snapshots, s.stale_snapshots, s.gaps
        );
    }
    println!("\ndata latency (recorded - occurred)");
    let latency = hub.latency();
    for (ep, s) in &latency.per_endpoint {
        println!("{}", latency_line(ep.as_str(), *s));
    }
    println!("{}", latency_line("reflected everywhere", latency.reflected));
    println!("\nexceptions ({})", hub.exceptions().len());
    for e in hub.exceptions() {
        println!("{}", describe(e));
    }
    let r = &day.reconciliation;
    println!("\nclosing count at {}", r.at);
    println!(
        "  records {}  accuracy {} (target 98 %)  |variance| {} units, {}",
        r.lines.len(),
        pct(Some(r.accuracy)),
        r.absolute_variance,
        r.absolute_value
    );
    for l in r.lines.iter().filter(|l| !l.status.is_accurate()) {
        println!("  {} @ {}: system {} counted {:?} -> {}", l.item, l.location, l.system, l.counted, l.status.as_str());
    }
    println!("\nmeasures");
    println!("  availability publications {} (never oversold: {})", day.publications, day.never_oversold);
    println!("  fill rate {} ({} of {} units)", pct(fill_rate(day.demanded, day.sold)), day.sold, day.demanded);
    println!("  stockout rate {} (hourly store observations)", pct(day.stockout_rate));
    println!("  inventory turnover {:.3} over the day", day.turnover.unwrap_or(f64::NAN));
    println!("  days of supply at the stores {:.2}", day.days_of_supply.unwrap_or(f64::NAN));
}
