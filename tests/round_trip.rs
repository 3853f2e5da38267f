//! Round trips of ledger events through the CSV and JSON Lines adapters (proptest).

#![cfg(all(feature = "csv", feature = "json"))]

use invsync::csv::{EventReaderBuilder, EventWriter};
use invsync::json::journal::{Durability, JournalReader, JournalWriter, Record};
use invsync::ledger::{Bucket, Event, Movement};
use invsync::{EventId, ItemId, LocationId, Money, ReasonCode, SourceId, Timestamp};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = String> {
    // Ids may hold commas, quotes and non-ASCII text; no control characters or outer spaces.
    "[A-Za-z0-9][A-Za-z0-9 ,\"é_-]{0,10}[A-Za-z0-9]"
}

fn bucket() -> impl Strategy<Value = Bucket> {
    proptest::sample::select(Bucket::ALL.to_vec())
}

fn money() -> impl Strategy<Value = Option<Money>> {
    proptest::option::of((0i64..10_000_000_000).prop_map(|m| Money::from_micros(i128::from(m))))
}

fn ts() -> impl Strategy<Value = Timestamp> {
    (0i64..4_000_000_000_000).prop_map(Timestamp::from_millis)
}

fn movement() -> impl Strategy<Value = Movement> {
    let q = 1i64..1_000_000;
    prop_oneof![
        (q.clone(), money(), bucket(), proptest::option::of(id()), any::<bool>()).prop_map(
            |(qty, unit_cost, to, a, close)| {
                Movement::Receipt { qty, unit_cost, to, against: a.map(|a| EventId::new(a).unwrap()), close }
            }
        ),
        (q.clone(), ts()).prop_map(|(qty, expected_at)| Movement::ScheduleReceipt { qty, expected_at }),
        (q.clone(), bucket(), money()).prop_map(|(qty, from, unit_cost)| Movement::Issue { qty, from, unit_cost }),
        (bucket(), -1000i64..1000, proptest::option::of(0i64..100), money())
            .prop_map(|(bucket, delta, expected, unit_cost)| Movement::Adjust { bucket, delta, expected, unit_cost }),
        (bucket(), 0i64..1000, proptest::option::of(0i64..100), money())
            .prop_map(|(bucket, qty, expected, unit_cost)| Movement::Set { bucket, qty, expected, unit_cost }),
        (0i64..1000, money()).prop_map(|(on_hand, unit_cost)| Movement::Count { on_hand, unit_cost }),
        (bucket(), bucket(), q.clone(), proptest::option::of(0i64..100))
            .prop_map(|(from, to, qty, expected)| Movement::Move { from, to, qty, expected }),
        q.clone().prop_map(|qty| Movement::Reserve { qty }),
        q.clone().prop_map(|qty| Movement::Release { qty }),
        (q.clone(), bucket()).prop_map(|(qty, from)| Movement::Commit { qty, from }),
        (q.clone(), bucket()).prop_map(|(qty, from)| Movement::Fulfil { qty, from }),
        (id(), q.clone(), proptest::option::of(ts()), money()).prop_map(|(to, qty, expected_at, unit_cost)| {
            Movement::TransferOut { to: LocationId::new(to).unwrap(), qty, expected_at, unit_cost }
        }),
        (id(), q.clone(), any::<bool>()).prop_map(|(t, qty, close)| Movement::TransferIn {
            transfer: EventId::new(t).unwrap(),
            qty,
            close
        }),
        (q.clone(), bucket(), money()).prop_map(|(qty, to, unit_cost)| Movement::Return { qty, to, unit_cost }),
        (q.clone(), bucket()).prop_map(|(qty, from)| Movement::Damage { qty, from }),
        q.clone().prop_map(|qty| Movement::QualityHold { qty }),
        (q, bucket()).prop_map(|(qty, to)| Movement::QualityRelease { qty, to }),
        id().prop_map(|t| Movement::Cancel { target: EventId::new(t).unwrap() }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (
        id(),
        id(),
        proptest::option::of(any::<u64>()),
        id(),
        id(),
        ts(),
        ts(),
        proptest::option::of(id()),
        proptest::option::of(id()),
        movement(),
    )
        .prop_map(|(eid, src, seq, item, loc, occurred, recorded, reason, reference, movement)| {
            let mut e = Event::new(
                EventId::new(eid).unwrap(),
                SourceId::new(src).unwrap(),
                ItemId::new(item).unwrap(),
                LocationId::new(loc).unwrap(),
                occurred,
                movement,
            )
            .with_recorded_at(recorded);
            e.source_seq = seq;
            e.reason = reason.map(|r| ReasonCode::new(r).unwrap());
            e.reference = reference;
            e
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn csv_round_trip(events in proptest::collection::vec(event(), 0..20)) {
        let mut w = EventWriter::new(Vec::new()).unwrap();
        for e in &events {
            w.write(e).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let back: Vec<Event> = EventReaderBuilder::new().from_reader(&bytes[..]).unwrap().map(|r| r.unwrap().event).collect();
        prop_assert_eq!(back, events);
    }

    #[test]
    fn json_lines_round_trip(events in proptest::collection::vec(event(), 0..20)) {
        let mut w = JournalWriter::new(Vec::new());
        for e in &events {
            w.append(e, Durability::Buffered).unwrap();
        }
        let bytes = w.into_inner();
        let back: Vec<Event> = JournalReader::new(&bytes[..])
            .map(|r| match r.unwrap() { Record::Event { event, .. } => event, other => panic!("{other:?}") })
            .collect();
        prop_assert_eq!(back, events);
    }
}
