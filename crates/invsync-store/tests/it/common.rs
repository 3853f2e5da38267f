//! Seeded workloads and a ledger comparison shared by the tests.

use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement, NegativeStock};
use invsync_core::rng::splitmix64;
use invsync_core::{EventId, ItemId, LocationId, Money, SourceId, Timestamp};

/// Negative stock allowed, so every generated event applies in every order.
pub fn config() -> LedgerConfig {
    LedgerConfig { default_negative: NegativeStock::Allow, ..LedgerConfig::default() }
}

pub fn item(i: u64) -> ItemId {
    ItemId::new(format!("SKU-{i}")).unwrap()
}

pub fn location(l: u64) -> LocationId {
    LocationId::new(format!("L{l}")).unwrap()
}

/// Event number `i` of the seeded stream (a pure function of `seed` and `i`): receipts
/// with unit costs, issues, reservations, back-dated receipts and cancellations of
/// earlier receipts over 3 items x 2 locations.
pub fn event(seed: u64, i: u64) -> Event {
    let mut s = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let r = splitmix64(&mut s);
    let (mut it, mut loc) = (r % 3, (r >> 8) % 2);
    let roll = (r >> 16) % 100;
    let mut at = 1_000 + i as i64 * 10;
    let movement = if roll < 40 {
        Movement::receipt_at(
            1 + ((r >> 24) % 20) as i64,
            Money::from_micros(i128::from(500_000 + (r >> 32) % 3_000_000)),
        )
    } else if roll < 75 {
        Movement::issue(1 + ((r >> 24) % 8) as i64)
    } else if roll < 85 {
        Movement::Reserve { qty: 1 }
    } else if roll < 93 {
        // Back-dated: lands behind later entries and re-posts them.
        at -= 10 * (1 + ((r >> 24) % 30) as i64);
        Movement::receipt_at(5, Money::from_units(2))
    } else if i >= 1 {
        // Cancels the previous event unless that is a cancel itself (each event is
        // cancelled at most once).
        if matches!(event(seed, i - 1).movement, Movement::Cancel { .. }) {
            Movement::issue(1)
        } else {
            // A cancel names its target's item x location.
            let mut p = seed ^ (i - 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let pr = splitmix64(&mut p);
            (it, loc) = (pr % 3, (pr >> 8) % 2);
            Movement::cancel(EventId::new(format!("e{:08}", i - 1)).unwrap())
        }
    } else {
        Movement::issue(1)
    };
    Event::new(
        EventId::new(format!("e{i:08}")).unwrap(),
        SourceId::new("test").unwrap(),
        item(it),
        location(loc),
        Timestamp::from_secs(at),
        movement,
    )
}

pub fn events(seed: u64, range: std::ops::Range<u64>) -> Vec<Event> {
    range.map(|i| event(seed, i)).collect()
}

/// Asserts that two ledgers hold the same events and give the same answers everywhere.
#[track_caller]
pub fn assert_same_ledger(a: &Ledger, b: &Ledger) {
    assert_eq!(a.config(), b.config());
    assert_eq!(a.len(), b.len(), "event count");
    for (x, y) in a.events().zip(b.events()) {
        assert_eq!(x, y);
        assert_eq!(a.is_cancelled(&x.id), b.is_cancelled(&y.id), "cancelled {}", x.id);
    }
    let mut ka: Vec<_> = a.keys().map(|(i, l)| (i.clone(), l.clone())).collect();
    let mut kb: Vec<_> = b.keys().map(|(i, l)| (i.clone(), l.clone())).collect();
    ka.sort();
    kb.sort();
    assert_eq!(ka, kb, "keys");
    for (i, l) in &ka {
        assert_eq!(a.levels(i, l), b.levels(i, l), "levels of {i} at {l}");
        assert_eq!(a.valuation(i, l), b.valuation(i, l), "valuation of {i} at {l}");
        assert!(a.history(i, l).eq(b.history(i, l)), "history of {i} at {l}");
    }
}
