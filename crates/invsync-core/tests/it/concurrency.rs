//! The shared ledger under contention: 8 threads, 1,000,000 operations on a few hot items.

use std::sync::{Arc, Barrier};

use invsync_core::ledger::{Bucket, Event, Ledger, LedgerConfig, LedgerError, Movement, SharedLedger};
use invsync_core::rng::splitmix64;
use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};

const THREADS: usize = 8;
const OPS_PER_THREAD: usize = 125_000;
const HOT: [&str; 3] = ["HOT-A", "HOT-B", "HOT-C"];

/// What one thread saw being applied, per hot item.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    on_hand: i64,
    reserved: i64,
    applied: u64,
    cas_attempts: u64,
    cas_applied: u64,
    cas_stale: u64,
    refused_negative: u64,
    duplicates: u64,
}

fn worker(ledger: &SharedLedger, thread: usize, start: &Barrier) -> Vec<Tally> {
    let mut rng = 0x5eed_0000 + thread as u64;
    let mut below = |n: u64| ((u128::from(splitmix64(&mut rng)) * u128::from(n)) >> 64) as i64;
    let source = SourceId::new(format!("w{thread}")).unwrap();
    let items: Vec<ItemId> = HOT.iter().map(|h| ItemId::new(*h).unwrap()).collect();
    let store = LocationId::new("S").unwrap();
    let at = Timestamp::from_days(20_000);
    let mut tally = vec![Tally::default(); HOT.len()];
    let mut last: Option<(usize, Event)> = None;
    start.wait();
    for n in 0..OPS_PER_THREAD {
        let k = below(HOT.len() as u64) as usize;
        let roll = below(100);
        if roll < 5
            && let Some((k, e)) = &last
        {
            let o = ledger.apply(e.clone()).expect("a redelivery is never refused");
            assert!(o.duplicate);
            tally[*k].duplicates += 1;
            continue;
        }
        let q = 1 + below(3);
        let (movement, d_on_hand, d_reserved) = match roll {
            0..30 => (Movement::receipt(q), q, 0),
            30..50 => (Movement::Reserve { qty: q }, 0, q),
            50..65 => (Movement::Release { qty: q }, 0, -q),
            65..80 => (Movement::Fulfil { qty: q, from: Bucket::Reserved }, -q, -q),
            _ => {
                let seen = ledger.levels(&items[k], &store).available;
                let target = (seen + below(7) - 3).max(0);
                let target = if target == seen { seen + 1 } else { target };
                let m = Movement::Set { bucket: Bucket::Available, qty: target, expected: Some(seen), unit_cost: None };
                (m, target - seen, 0)
            }
        };
        let cas = matches!(movement, Movement::Set { .. });
        let id = EventId::new(format!("w{thread}-{n}")).unwrap();
        let e = Event::new(id, source.clone(), items[k].clone(), store.clone(), at, movement);
        let t = &mut tally[k];
        t.cas_attempts += u64::from(cas);
        match ledger.apply(e.clone()) {
            Ok(o) => {
                assert!(!o.duplicate);
                t.on_hand += d_on_hand;
                t.reserved += d_reserved;
                t.applied += 1;
                t.cas_applied += u64::from(cas);
                last = Some((k, e));
            }
            Err(LedgerError::Stale { .. }) if cas => t.cas_stale += 1,
            Err(LedgerError::NegativeStock { .. }) if !cas => t.refused_negative += 1,
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    tally
}

#[test]
fn eight_threads_a_million_operations_no_lost_update() {
    let ledger = Arc::new(SharedLedger::new(LedgerConfig::default(), 8));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (ledger, start) = (ledger.clone(), start.clone());
            std::thread::spawn(move || worker(&ledger, t, &start))
        })
        .collect();
    let tallies: Vec<Vec<Tally>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ledger = Arc::try_unwrap(ledger).unwrap();
    let store = LocationId::new("S").unwrap();
    let mut ops = 0u64;
    let mut stale = 0u64;
    for (k, h) in HOT.iter().enumerate() {
        let item = ItemId::new(*h).unwrap();
        let sum = |f: fn(&Tally) -> u64| tallies.iter().map(|t| f(&t[k])).sum::<u64>();
        let levels = ledger.levels(&item, &store);
        // No lost update: the final state is exactly the sum of what was applied.
        assert_eq!(levels.on_hand(), tallies.iter().map(|t| t[k].on_hand).sum::<i64>(), "{h}");
        assert_eq!(levels.reserved, tallies.iter().map(|t| t[k].reserved).sum::<i64>(), "{h}");
        // Reject policy: never negative, at any entry of the history.
        ledger.with_shard(&item, |l| {
            for e in l.history(&item, &store) {
                assert!(e.levels.available >= 0 && e.levels.reserved >= 0, "{h}: {:?}", e.levels);
            }
        });
        // Every compare-and-set is either applied or rejected as stale.
        assert_eq!(sum(|t| t.cas_attempts), sum(|t| t.cas_applied) + sum(|t| t.cas_stale), "{h}");
        stale += sum(|t| t.cas_stale);
        ops += sum(|t| t.applied) + sum(|t| t.cas_stale) + sum(|t| t.refused_negative) + sum(|t| t.duplicates);
    }
    assert_eq!(ops, (THREADS * OPS_PER_THREAD) as u64, "every operation accounted for");
    let applied: u64 = tallies.iter().flatten().map(|t| t.applied).sum();
    assert_eq!(ledger.len() as u64, applied);
    eprintln!("{ops} operations, {applied} applied, {stale} stale compare-and-sets rejected");
    // Each shard is what its events replay to.
    for shard in ledger.into_shards() {
        let mut fresh = Ledger::new(LedgerConfig::default());
        for e in shard.events() {
            fresh.apply(e.clone()).unwrap();
        }
        for (i, l) in shard.keys() {
            assert_eq!(fresh.levels(i, l), shard.levels(i, l));
        }
    }
}

#[test]
fn idempotency_holds_across_threads_and_shards() {
    let ledger = Arc::new(SharedLedger::new(LedgerConfig::default(), 64));
    // Items in different shards.
    let items: Vec<ItemId> = (0..200).map(|i| ItemId::new(format!("I{i}")).unwrap()).collect();
    let first = ledger.shard_of(&items[0]);
    let other = items.iter().find(|i| ledger.shard_of(i) != first).unwrap().clone();
    let event = |item: &ItemId, qty: i64| {
        Event::new(
            EventId::new("same-id").unwrap(),
            SourceId::new("erp").unwrap(),
            item.clone(),
            LocationId::new("S").unwrap(),
            Timestamp::from_days(1),
            Movement::receipt(qty),
        )
    };
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (ledger, start) = (ledger.clone(), start.clone());
            // Half the threads send the event for item 0, half the same id for another
            // item in another shard.
            let e = if t % 2 == 0 { event(&items[0], 5) } else { event(&other, 5) };
            std::thread::spawn(move || {
                start.wait();
                ledger.apply(e)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let accepted = results.iter().filter(|r| matches!(r, Ok(o) if !o.duplicate)).count();
    let duplicates = results.iter().filter(|r| matches!(r, Ok(o) if o.duplicate)).count();
    let conflicts = results.iter().filter(|r| matches!(r, Err(LedgerError::IdempotencyConflict { .. }))).count();
    assert_eq!(accepted, 1, "{results:?}");
    assert_eq!((duplicates, conflicts), (3, 4), "{results:?}");
    assert_eq!(ledger.len(), 1);

    // A refused event gives its id back: it can be sent again, for any item.
    let id = EventId::new("refused").unwrap();
    let issue = Event::new(
        id.clone(),
        SourceId::new("erp").unwrap(),
        other.clone(),
        LocationId::new("S").unwrap(),
        Timestamp::from_days(1),
        Movement::issue(100),
    );
    assert!(matches!(ledger.apply(issue.clone()), Err(LedgerError::NegativeStock { .. })));
    let mut receipt = issue;
    receipt.item = items[0].clone();
    receipt.movement = Movement::receipt(1);
    assert!(ledger.apply(receipt).is_ok());

    // Batches stay in one shard.
    let a = event(&items[0], 1);
    let mut b = event(&other, 1);
    b.id = EventId::new("b").unwrap();
    let mut a2 = a.clone();
    a2.id = EventId::new("a2").unwrap();
    let err = ledger.apply_batch(vec![a2, b]).unwrap_err();
    assert_eq!(err.index, 1);
    assert!(matches!(err.error, LedgerError::BatchSpansShards { .. }));
    assert_eq!(ledger.len(), 2);
}

/// A cancellation naming another item's event is refused with the same error whatever the
/// shard count (before, it reversed the other item when both shared a shard and was an
/// unknown target otherwise), single and in a batch, and changes nothing.
#[test]
fn cancel_of_another_item_is_refused_whatever_the_shards() {
    let ev = |id: &str, item: &str, m: Movement| {
        Event::new(
            EventId::new(id).unwrap(),
            SourceId::new("t").unwrap(),
            ItemId::new(item).unwrap(),
            LocationId::new("L").unwrap(),
            Timestamp::from_days(1),
            m,
        )
    };
    let items: Vec<String> = (0..16).map(|i| format!("ITEM-{i}")).collect();
    let mut answers = Vec::new();
    for shards in [1, 2, 3, 8, 64] {
        let l = SharedLedger::new(LedgerConfig::default(), shards);
        for (n, i) in items.iter().enumerate() {
            l.apply(ev(&format!("r{n}"), i, Movement::receipt(10))).unwrap();
        }
        let mut seen = Vec::new();
        for (n, i) in items.iter().enumerate() {
            let target = EventId::new(format!("r{}", (n + 1) % items.len())).unwrap();
            let single = l.apply(ev(&format!("x{n}"), i, Movement::cancel(target.clone()))).unwrap_err();
            assert!(matches!(single, LedgerError::CancelMismatch { .. }), "{shards} shards: {single}");
            let batch =
                vec![ev(&format!("b{n}"), i, Movement::receipt(1)), ev(&format!("y{n}"), i, Movement::cancel(target))];
            let err = l.apply_batch(batch).unwrap_err();
            assert_eq!(err.index, 1);
            seen.push((single.to_string(), err.error.to_string().replace(&format!("y{n}"), &format!("x{n}"))));
        }
        for i in &items {
            assert_eq!(l.levels(&ItemId::new(i.as_str()).unwrap(), &LocationId::new("L").unwrap()).on_hand(), 10);
        }
        assert_eq!(l.len(), items.len());
        answers.push(seen);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert!(answers[0].iter().all(|(a, b)| a == b));
}
