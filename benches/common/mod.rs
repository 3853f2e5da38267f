//! Seeded workload generators shared by the benches and the throughput and sync-day examples.

#![allow(dead_code)]

use std::time::Instant;

use invsync::demand::{Calendar, DemandHistory};
use invsync::ledger::{Event, LedgerConfig, Movement, NegativeStock};
use invsync::{EventId, ItemId, LocationId, SourceId, Timestamp};

/// A tiny, deterministic generator (the core's SplitMix64 step) so workloads do not depend
/// on `rand`.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        invsync::rng::splitmix64(&mut self.0)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// The ledger settings every ledger workload here runs under. Late receipts arrive after
/// issues that needed them: negative stock is allowed so a workload applies in full in
/// every order.
pub fn ledger_config() -> LedgerConfig {
    LedgerConfig { default_negative: NegativeStock::Allow, ..LedgerConfig::default() }
}

/// `n` ledger events over `keys` item x locations, one second apart, in event-time order:
/// receipts of 10 to 40 units, issues and reservations that never exceed what is there.
/// With `late_share > 0`, that share of the receipts is delivered `delay` positions later
/// than it occurred (so it lands behind later entries of its own key).
pub fn ledger_events(n: usize, keys: usize, late_share: f64, delay: usize, seed: u64) -> Vec<Event> {
    let mut rng = SplitMix::new(seed);
    let source = SourceId::new("bench").unwrap();
    let ids: Vec<(ItemId, LocationId)> = (0..keys)
        .map(|k| (ItemId::new(format!("SKU-{k:06}")).unwrap(), LocationId::new(format!("L{}", k % 50)).unwrap()))
        .collect();
    let mut stock = vec![0i64; keys];
    let mut reserved = vec![0i64; keys];
    let mut in_order = Vec::with_capacity(n);
    let mut late_flags = Vec::with_capacity(n);
    for i in 0..n {
        let k = rng.below(keys as u64) as usize;
        let roll = rng.below(100);
        let free = stock[k] - reserved[k];
        let movement = if roll < 45 || free < 5 {
            let q = 10 + rng.below(31) as i64;
            stock[k] += q;
            Movement::receipt(q)
        } else if roll < 85 {
            let q = 1 + rng.below(free.min(8) as u64) as i64;
            stock[k] -= q;
            Movement::issue(q)
        } else if roll < 95 || reserved[k] == 0 {
            reserved[k] += 1;
            Movement::Reserve { qty: 1 }
        } else {
            reserved[k] -= 1;
            Movement::Release { qty: 1 }
        };
        let is_receipt = matches!(movement, Movement::Receipt { .. });
        let late = is_receipt && (rng.below(1_000_000) as f64) < late_share / 0.45 * 1e6;
        let (item, location) = ids[k].clone();
        let at = Timestamp::from_secs(1_700_000_000 + i as i64);
        in_order.push(Event::new(
            EventId::new(format!("e{i:08}")).unwrap(),
            source.clone(),
            item,
            location,
            at,
            movement,
        ));
        late_flags.push(late);
    }
    if late_share <= 0.0 {
        return in_order;
    }
    // Deliver late events `delay` positions after they occurred.
    let mut out = Vec::with_capacity(n);
    let mut held: std::collections::VecDeque<(usize, Event)> = Default::default();
    for (i, (e, late)) in in_order.into_iter().zip(late_flags).enumerate() {
        if late {
            held.push_back((i + delay, e));
        } else {
            out.push(e);
        }
        while held.front().is_some_and(|(due, _)| *due <= i) {
            out.push(held.pop_front().unwrap().1);
        }
    }
    out.extend(held.into_iter().map(|(_, e)| e));
    out
}

/// `n` VN2-shaped weekly histories (156 weeks around a level of 5 to 44 units, from
/// 2021-04-12), seeded: the planner benches' items.
pub fn plan_histories(n: usize, seed: u64) -> Vec<DemandHistory> {
    let mut rng = SplitMix::new(seed);
    let start = Timestamp::from_date(2021, 4, 12).expect("a valid date");
    (0..n)
        .map(|_| {
            let level = 5.0 + rng.below(40) as f64;
            let values = (0..156).map(|_| (level + rng.below(21) as f64 - 10.0).max(0.0).round()).collect();
            DemandHistory::uncensored(start, Calendar::Week, values).expect("a valid history")
        })
        .collect()
}

/// Seconds per 32-bit ChaCha8 output word over `draws` draws, measured now: the
/// planner's floor, and the shared machine's own speed at the moment.
pub fn chacha_floor_secs(draws: u64) -> f64 {
    let mut r = invsync::rng::stream(1, "floor");
    let t = Instant::now();
    let mut acc = 0u32;
    for _ in 0..draws {
        acc = acc.wrapping_add(r.next_u32());
    }
    std::hint::black_box(acc);
    t.elapsed().as_secs_f64() / draws as f64
}
