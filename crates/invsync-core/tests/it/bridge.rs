//! The bridge's invariants (docs/bridge.md): a history and a position are a function of
//! the entries before the as-of instant, whatever order the events were recorded in
//! (back-dated feeds, hot keys included), and the demand is the netted sales of the
//! events that were not cancelled.

use invsync_core::bridge::{Bridge, PlanningCalendar};
use invsync_core::demand::Calendar;
use invsync_core::ledger::{Bucket, Event, Ledger, LedgerConfig, Movement, NegativeStock};
use invsync_core::{EventId, ItemId, LocationId, MS_PER_DAY, SourceId, Timestamp};
use proptest::prelude::*;

/// One generated fact: kind, day (0 .. 70), minute of the day, quantity.
type Fact = (u8, i64, i64, i64);

fn anchor() -> Timestamp {
    Timestamp::from_date(2024, 1, 1).unwrap()
}

fn at(day: i64, minute: i64) -> Timestamp {
    anchor().add_millis(day * MS_PER_DAY + minute * 60_000)
}

/// The events of `facts` at S1 (and the DC), each with the index of the event it refers
/// to (a receipt against a scheduled receipt, a transfer receipt, a cancellation).
fn events(facts: &[Fact]) -> Vec<(Event, Option<usize>)> {
    let (item, s1, dc) = (ItemId::new("SKU").unwrap(), LocationId::new("S1").unwrap(), LocationId::new("DC").unwrap());
    let mut out: Vec<(Event, Option<usize>)> = Vec::new();
    let mut ev = |loc: &LocationId, when: Timestamp, m: Movement, target: Option<usize>| {
        let id = EventId::new(format!("e{}", out.len())).unwrap();
        // Distinct instants (the index in milliseconds): at one instant the ledger orders
        // entries by recording order, which is what the property varies.
        let when = when.add_millis(out.len() as i64);
        out.push((Event::new(id, SourceId::new("t").unwrap(), item.clone(), loc.clone(), when, m), target));
        out.len() - 1
    };
    for &(kind, day, minute, qty) in facts {
        let when = at(day, minute);
        match kind {
            0 => drop(ev(&s1, when, Movement::receipt(qty), None)),
            1 => drop(ev(&s1, when, Movement::issue(qty), None)),
            2 => drop(ev(&s1, when, Movement::customer_return(qty, Bucket::Available), None)),
            3 => drop(ev(&s1, when, Movement::fulfil(qty, Bucket::Available), None)),
            4 => drop(ev(&s1, when, Movement::Issue { qty, from: Bucket::Damaged, unit_cost: None }, None)),
            5 => {
                // A sale, cancelled a minute later.
                let sale = ev(&s1, when, Movement::issue(qty), None);
                let target = out_id(sale);
                ev(&s1, when.add_millis(60_000), Movement::cancel(target), Some(sale));
            }
            6 => {
                // A purchase order, expected `qty % 30` days on, half received 3 days on.
                let po = ev(&s1, when, Movement::schedule_receipt(qty, at(day + qty % 30, 0)), None);
                if qty % 2 == 0 {
                    let m = Movement::Receipt {
                        qty: qty / 2,
                        unit_cost: None,
                        to: Bucket::Available,
                        against: Some(out_id(po)),
                        close: qty % 4 == 0,
                    };
                    ev(&s1, at(day + 3, minute), m, Some(po));
                }
            }
            _ => {
                // A transfer from the DC (dated or not), received 5 days on when even.
                let expected = (qty % 3 != 0).then(|| at(day + qty % 20, 0));
                let m = Movement::TransferOut { to: s1.clone(), qty, expected_at: expected, unit_cost: None };
                let t = ev(&dc, when, m, None);
                if qty % 2 == 0 {
                    ev(
                        &s1,
                        at(day + 5, minute),
                        Movement::TransferIn { transfer: out_id(t), qty, close: false },
                        Some(t),
                    );
                }
            }
        }
    }
    out
}

fn out_id(i: usize) -> EventId {
    EventId::new(format!("e{i}")).unwrap()
}

/// A ledger (negative stock allowed, so any recording order is accepted) of `events`
/// recorded in `order` (indices; a referring event is recorded after its target).
fn ledger(events: &[(Event, Option<usize>)], order: &[usize]) -> Ledger {
    let mut l = Ledger::new(LedgerConfig::default());
    for loc in ["S1", "DC"] {
        l.register_location(LocationId::new(loc).unwrap(), NegativeStock::Allow);
    }
    for &i in order {
        l.apply(events[i].0.clone()).unwrap();
    }
    l
}

/// `priority` turned into a recording order in which every event comes after its target.
fn recording_order(events: &[(Event, Option<usize>)], priority: &[u32]) -> Vec<usize> {
    let mut pending: Vec<usize> = (0..events.len()).collect();
    pending.sort_by_key(|&i| (priority[i % priority.len()], i));
    let mut placed = vec![false; events.len()];
    let mut order = Vec::with_capacity(events.len());
    while order.len() < events.len() {
        let next = pending.iter().position(|&i| events[i].1.is_none_or(|t| placed[t])).unwrap();
        let i = pending.remove(next);
        placed[i] = true;
        order.push(i);
    }
    order
}

fn fact() -> impl Strategy<Value = Fact> {
    (0u8..8, 0i64..70, 0i64..1440, 1i64..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn history_and_position_do_not_depend_on_recording_order(
        facts in proptest::collection::vec(fact(), 1..160),
        priority in proptest::collection::vec(any::<u32>(), 1..64),
        newest_first in any::<bool>(),
        weeks in 1i64..11,
        lead_time in 0usize..4,
    ) {
        let events = events(&facts);
        // Event-time order, and a shuffled (or newest-first: a hot key) recording order.
        let mut in_time: Vec<usize> = (0..events.len()).collect();
        in_time.sort_by_key(|&i| (events[i].0.occurred_at, i));
        let in_time = recording_order(&events, &in_time.iter().enumerate().fold(vec![0u32; events.len()], |mut p, (rank, &i)| {
            p[i] = rank as u32;
            p
        }));
        let shuffled = if newest_first {
            let mut o = in_time.clone();
            o.reverse();
            let rank = o.iter().enumerate().fold(vec![0u32; events.len()], |mut p, (r, &i)| {
                p[i] = r as u32;
                p
            });
            recording_order(&events, &rank)
        } else {
            recording_order(&events, &priority)
        };
        let (a, b) = (ledger(&events, &in_time), ledger(&events, &shuffled));
        let cal = PlanningCalendar::new(Calendar::Week, anchor()).unwrap();
        let as_of = cal.start(weeks);
        let (ba, bb) = (Bridge::new(&a, cal, as_of).unwrap(), Bridge::new(&b, cal, as_of).unwrap());
        let (ia, ib) = (ba.items(|_, _| lead_time).unwrap(), bb.items(|_, _| lead_time).unwrap());
        prop_assert_eq!(&ia, &ib);
        // The demand is the netted sales of the live events, week by week, at least 0.
        let s1 = LocationId::new("S1").unwrap();
        if let Some(i) = ia.iter().find(|i| i.location == s1) {
            let mut want = vec![0i64; weeks as usize];
            for (e, _) in &events {
                if e.location != s1 || a.is_cancelled(&e.id) || e.occurred_at >= as_of {
                    continue;
                }
                let w = (e.occurred_at.millis_since(anchor()) / (7 * MS_PER_DAY)) as usize;
                want[w] += match e.movement {
                    Movement::Issue { qty, from: Bucket::Available, .. } | Movement::Fulfil { qty, .. } => qty,
                    Movement::Return { qty, .. } => -qty,
                    _ => 0,
                };
            }
            let start = weeks as usize - i.history.len();
            let want: Vec<f64> = want[start..].iter().map(|&d| d.max(0) as f64).collect();
            prop_assert_eq!(i.history.values(), &want[..]);
            // Every open line is in the position: on hand plus arrivals is the sellable
            // stock plus what the ledger holds open.
            let lv = a.levels_at(&i.item, &s1, as_of.add_millis(-1));
            let sellable = (lv.available + lv.committed + lv.reserved + lv.safety_stock).max(0);
            prop_assert_eq!(i.position.inventory_position(), (sellable + lv.incoming + lv.in_transit) as f64);
            prop_assert_eq!(i.position.arrivals.len(), lead_time);
        }
    }
}
