//! Shared helpers: terse event construction and a whole-ledger fingerprint.

use invsync_core::ledger::{Event, Ledger, Levels, Movement, Valuation};
use invsync_core::{EventId, ItemId, LocationId, Money, SourceId, Timestamp};

pub fn item(s: &str) -> ItemId {
    ItemId::new(s).unwrap()
}

pub fn loc(s: &str) -> LocationId {
    LocationId::new(s).unwrap()
}

pub fn id(s: &str) -> EventId {
    EventId::new(s).unwrap()
}

pub fn money(units: i64) -> Money {
    Money::from_units(units)
}

/// Day `d` relative to a base day (so negative days read like the ERPNext tests).
pub fn day(d: i64) -> Timestamp {
    Timestamp::from_days(20_000 + d)
}

/// An event for item "I" at location "L".
pub fn ev(event_id: &str, at: Timestamp, m: Movement) -> Event {
    ev_at(event_id, "I", "L", at, m)
}

pub fn ev_at(event_id: &str, i: &str, l: &str, at: Timestamp, m: Movement) -> Event {
    Event::new(id(event_id), SourceId::new("test").unwrap(), item(i), loc(l), at, m)
}

/// On-hand balances of the running history of I/L.
pub fn balances(ledger: &Ledger) -> Vec<i64> {
    ledger.history(&item("I"), &loc("L")).map(|h| h.levels.on_hand()).collect()
}

/// Everything observable about a ledger's stock, for equality checks.
/// (event id, levels after, value after) of one history line.
pub type Line = (String, Levels, Money);

#[derive(Debug, PartialEq)]
pub struct Fingerprint {
    pub keys: Vec<(String, String, Levels, Valuation, Vec<Line>)>,
}

pub fn fingerprint(ledger: &Ledger) -> Fingerprint {
    let mut keys: Vec<_> = ledger
        .keys()
        .map(|(i, l)| {
            let hist = ledger.history(i, l).map(|h| (h.event.id.to_string(), h.levels, h.value)).collect();
            (i.to_string(), l.to_string(), ledger.levels(i, l), ledger.valuation(i, l), hist)
        })
        .collect();
    keys.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Fingerprint { keys }
}
