//! The memory work under the ledger's in-order path, without the ledger: what this machine
//! charges for the bytes and cache lines one in-order event touches, in the ledger's own
//! layout and in five others, run in the same rounds as the ledger itself.
//!
//! ```text
//! cargo run --release --example ledger_floor [-- EVENTS KEYS ROUNDS]
//! ```
//!
//! Workload: the in-order stream of `ledger_throughput` and `benches/ledger.rs`, EVENTS
//! events over KEYS item x locations (default 1,000,000 over 10,000). Every layout does per
//! event what any ledger keeping every event does: it takes the event by value, hashes its
//! id and claims it in an index of 8-byte entries (as the ledger's id index does), finds the
//! item x location in a second such index, and reads and writes the key's 256-byte slot.
//! Then it stores:
//!
//! * `as built`: the event and 32 bytes of outcome in a 256-byte log record, and a 48-byte
//!   entry appended to the key's own vector: the ledger's layout;
//! * `no key entry`: the same record, nothing per key;
//! * `key entries in one stream`: the record, and the 48 bytes appended to one vector in
//!   arrival order, as a layout chaining a key's entries through the log writes them;
//! * `compact record`: a 128-byte record (the id and 112 bytes), nothing per key;
//! * `compact + key entry`: the 128-byte record and the 48-byte entry appended to the key's
//!   own vector: the least a ledger that keeps a key's entries together can write;
//! * `compact + entries via slot`: the same, but each entry is first written into the key's
//!   slot (whose lines the event touches anyway) and two at a time appended to the vector.
//!
//! No layout validates, lowers, values or re-posts anything: each line is a floor under a
//! ledger with that layout, not a ledger. The ledger's own line is the distance from its
//! floor to what it does. Each round runs every line once, in the same order, on a fresh
//! copy of the events (copied outside the timing); the ratios are medians of per-round
//! ratios, so they hold on a noisy machine where the absolute times do not.

use std::hash::BuildHasher;
use std::time::Instant;

use hashbrown::HashTable;
use invsync::ledger::{Event, Ledger};
use invsync::{EventId, ItemId, LocationId};

#[path = "../benches/common/mod.rs"]
mod common;

/// The ledger's log record: the event and 32 bytes of outcome.
struct Record {
    _event: Event,
    _outcome: [u64; 4],
}

/// A log record holding only the id and 112 bytes.
struct CompactRecord {
    _id: EventId,
    _rest: [u64; 14],
}

/// A key's per-event entry, as large as the ledger's.
type KeyEntry = [u64; 6];

/// A key's slot, as large and as aligned as the ledger's.
#[repr(align(64))]
struct Slot {
    item: ItemId,
    location: LocationId,
    state: [i64; 24],
    entries: Vec<KeyEntry>,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Slot>() == 256 && size_of::<KeyEntry>() == 48 && size_of::<CompactRecord>() == 128);

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    AsBuilt,
    NoKeyEntry,
    KeyEntriesInOneStream,
    CompactRecord,
    CompactKeyEntry,
    CompactBufferedEntry,
}

impl Layout {
    const ALL: [Layout; 6] = [
        Layout::AsBuilt,
        Layout::NoKeyEntry,
        Layout::KeyEntriesInOneStream,
        Layout::CompactRecord,
        Layout::CompactKeyEntry,
        Layout::CompactBufferedEntry,
    ];

    fn name(self) -> &'static str {
        match self {
            Layout::AsBuilt => "as built",
            Layout::NoKeyEntry => "no key entry",
            Layout::KeyEntriesInOneStream => "key entries in one stream",
            Layout::CompactRecord => "compact record",
            Layout::CompactKeyEntry => "compact + key entry",
            Layout::CompactBufferedEntry => "compact + entries via slot",
        }
    }
}

/// The ledger's index entry hash: low bits from the 32-bit hash, top bits mixing all 32.
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(h)
}

/// Seconds to store `events` in `layout`, fresh structures, nothing but the memory work.
fn floor(layout: Layout, events: Vec<Event>) -> f64 {
    let hasher = foldhash::fast::FixedState::with_seed(0x1d);
    let mut by_id: HashTable<(u32, u32)> = HashTable::new();
    let mut by_key: HashTable<(u32, u32)> = HashTable::new();
    let mut keys: Vec<Slot> = Vec::new();
    let mut log: Vec<Record> = Vec::new();
    let mut compact: Vec<CompactRecord> = Vec::new();
    let mut stream: Vec<KeyEntry> = Vec::new();
    let t = Instant::now();
    for event in events {
        let seq = (log.len() + compact.len()) as u32;
        let h = hasher.hash_one(event.id.as_str()) as u32;
        let fresh = match by_id.entry(
            spread(h),
            |&(p, ph)| {
                ph == h
                    && match layout {
                        Layout::CompactRecord | Layout::CompactKeyEntry | Layout::CompactBufferedEntry => {
                            compact[p as usize]._id == event.id
                        }
                        _ => log[p as usize]._event.id == event.id,
                    }
            },
            |&(_, ph)| spread(ph),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((seq, h));
                true
            }
        };
        assert!(fresh, "the workload's ids are distinct");
        let kh = hasher.hash_one((event.item.as_str(), event.location.as_str())) as u32;
        let found = by_key.find(spread(kh), |&(p, ph)| {
            ph == kh && keys[p as usize].item == event.item && keys[p as usize].location == event.location
        });
        let k = match found {
            Some(&(p, _)) => p as usize,
            None => {
                let slot = Slot {
                    item: event.item.clone(),
                    location: event.location.clone(),
                    state: [0; 24],
                    entries: Vec::new(),
                };
                keys.push(slot);
                by_key.insert_unique(spread(kh), (keys.len() as u32 - 1, kh), |&(_, ph)| spread(ph));
                keys.len() - 1
            }
        };
        let at = event.occurred_at.as_millis();
        let slot = &mut keys[k];
        slot.state[0] += 1;
        slot.state[1] = at;
        slot.state[2] = i64::from(seq);
        let entry: KeyEntry = [at as u64, u64::from(seq), slot.state[0] as u64, 0, 0, 0];
        match layout {
            Layout::AsBuilt | Layout::CompactKeyEntry => slot.entries.push(entry),
            Layout::KeyEntriesInOneStream => stream.push(entry),
            Layout::CompactBufferedEntry => {
                // The slot's last 12 words hold up to two pending entries; slot.state[3]
                // counts them.
                let pending = slot.state[3] as usize;
                for (w, v) in slot.state[12 + 6 * pending..18 + 6 * pending].iter_mut().zip(entry) {
                    *w = v as i64;
                }
                if pending == 1 {
                    let b = &slot.state[12..24];
                    let e = |i: usize| -> KeyEntry { std::array::from_fn(|j| b[6 * i + j] as u64) };
                    slot.entries.extend_from_slice(&[e(0), e(1)]);
                    slot.state[3] = 0;
                } else {
                    slot.state[3] = 1;
                }
            }
            Layout::NoKeyEntry | Layout::CompactRecord => {}
        }
        if matches!(layout, Layout::CompactRecord | Layout::CompactKeyEntry | Layout::CompactBufferedEntry) {
            let mut rest = [0; 14];
            rest[..3].copy_from_slice(&[at as u64, u64::from(seq), k as u64]);
            compact.push(CompactRecord { _id: event.id, _rest: rest });
        } else {
            log.push(Record { _event: event, _outcome: [u64::from(seq), 0, 0, 0] });
        }
    }
    let secs = t.elapsed().as_secs_f64();
    std::hint::black_box((&keys, &log, &compact, &stream, &by_id));
    secs
}

/// Seconds for the ledger itself to apply `events`.
fn ledger(events: Vec<Event>) -> f64 {
    let mut l = Ledger::new(common::ledger_config());
    let t = Instant::now();
    for e in events {
        l.apply(e).expect("the workload applies in full");
    }
    t.elapsed().as_secs_f64()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let n = args.next().and_then(Result::ok).unwrap_or(1_000_000).max(1);
    let keys = args.next().and_then(Result::ok).unwrap_or(10_000).max(1);
    let rounds = args.next().and_then(Result::ok).unwrap_or(5).max(1);
    let events = common::ledger_events(n, keys, 0.0, 0, 7);

    // Line 0 is the ledger, lines 1.. the layouts; secs[line][round].
    let mut secs = vec![Vec::with_capacity(rounds); 1 + Layout::ALL.len()];
    ledger(events.clone()); // warm-up
    for _ in 0..rounds {
        secs[0].push(ledger(events.clone()));
        for (i, layout) in Layout::ALL.into_iter().enumerate() {
            secs[1 + i].push(floor(layout, events.clone()));
        }
    }

    println!("workload                   {n} in-order events over {keys} item x locations, {rounds} rounds");
    println!("{:<27}{:>9}{:>11}{:>16}", "", "best ns", "median ns", "x as built");
    let names = std::iter::once("ledger (Ledger::apply)").chain(Layout::ALL.iter().map(|l| l.name()));
    for (line, name) in names.enumerate() {
        let ns = |s: f64| s * 1e9 / n as f64;
        let best = secs[line].iter().copied().fold(f64::INFINITY, f64::min);
        let mut ratios: Vec<f64> = secs[line].iter().zip(&secs[1]).map(|(a, b)| a / b).collect();
        let mut own = secs[line].clone();
        println!("{name:<27}{:>9.0}{:>11.0}{:>16.2}", ns(best), ns(median(&mut own)), median(&mut ratios));
    }
    println!("(2,000,000 events per second is 500 ns per event)");
}
