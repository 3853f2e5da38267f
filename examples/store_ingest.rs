//! Durable ingest throughput of the store: events per second through
//! `invsync_store::DurableLedger::append` in batches (each batch one transaction, one
//! fsync, full ledger semantics), and the replay rate when reopening the store.
//!
//! ```text
//! cargo run --release --features store --example store_ingest [-- EVENTS KEYS BATCH [--peer PEER.py]]
//! ```
//!
//! Workload: the ledger benches' seeded events (`benches/common`, seed 7), EVENTS (default
//! 200,000) over KEYS item x locations (default 10,000), in order and with 1 % of them
//! receipts delivered 50,000 positions late, appended in batches of BATCH (default 1,000)
//! to a fresh store in the system's temporary directory. With `--peer`, it then runs the
//! SQLite peer (`python3 PEER.py wal EVENTS KEYS 1`, e.g. `../shared/peers/sqlite_peer.py`)
//! in the same invocation so both figures come from the same machine state.
//!
//! Each stream is ingested twice: by one caller appending its batches one after the other
//! (`DurableLedger::append`: the next batch is applied only after the previous one's
//! fsync), and pipelined by 4 callers through `GroupCommit`, each appending the batches
//! of its share of the item x locations (key index mod 4, in stream order), so that
//! batches arriving during a commit share the next one. Either way every batch is
//! acknowledged only once durable, with full ledger semantics.
//!
//! Then many callers: 8 threads appending 10 events at a time (the first 8,000 events, or
//! EVENTS if fewer), once through one `Mutex<DurableLedger>` (one transaction and fsync
//! per append) and once through `GroupCommit` (appends waiting together share one).

use std::path::PathBuf;
use std::time::Instant;

use std::sync::Mutex;

use invsync::ledger::Event;
use invsync::store::{DurableLedger, GroupCommit, GroupConfig, SqliteStore};

#[path = "../benches/common/mod.rs"]
mod common;

/// A fresh store path under the temporary directory, removed with its side files on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("invsync-store-ingest-{}-{name}.db", std::process::id()));
        let s = Scratch(path);
        s.remove();
        s
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm", "-lock"] {
            let mut p = self.0.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.remove();
    }
}

fn ingest(name: &str, events: &[Event], batch: usize) -> Result<(), Box<dyn std::error::Error>> {
    let scratch = Scratch::new(name);
    let mut store = DurableLedger::open(SqliteStore::create(&scratch.0, &common::ledger_config())?)?;
    let batches: Vec<Vec<Event>> = events.chunks(batch).map(<[Event]>::to_vec).collect();
    let t = Instant::now();
    for b in &batches {
        store.append(b)?;
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(store.ledger().len(), events.len());
    drop(store);
    let bytes = std::fs::metadata(&scratch.0)?.len();
    let t = Instant::now();
    let reopened = DurableLedger::open(SqliteStore::open(&scratch.0)?)?;
    let replay = t.elapsed().as_secs_f64();
    assert_eq!(reopened.ledger().len(), events.len());
    let n = events.len() as f64;
    println!(
        "store  sqlite {name:10} {:>9.0} ev/s durable ({} batches of {batch}, {:.1} ms per batch)  reopen {:>9.0} ev/s  file {:.0} B/event",
        n / secs,
        batches.len(),
        secs / batches.len() as f64 * 1e3,
        n / replay,
        bytes as f64 / n,
    );
    Ok(())
}

/// `callers` threads each appending every `callers`-th slice of `per` events.
fn callers(events: &[Event], callers: usize, per: usize) -> Result<(), Box<dyn std::error::Error>> {
    let appends: Vec<Vec<Event>> = events.chunks(per).map(<[Event]>::to_vec).collect();
    let share = |t: usize| appends.iter().skip(t).step_by(callers).cloned().collect::<Vec<_>>();
    let n = events.len() as f64;

    let scratch = Scratch::new("serial");
    let serial = Mutex::new(DurableLedger::open(SqliteStore::create(&scratch.0, &common::ledger_config())?)?);
    let t = Instant::now();
    std::thread::scope(|s| {
        for c in 0..callers {
            let (mine, serial) = (share(c), &serial);
            s.spawn(move || {
                for a in &mine {
                    serial.lock().expect("no panic while appending").append(a).expect("a durable append");
                }
            });
        }
    });
    let serial_secs = t.elapsed().as_secs_f64();
    assert_eq!(serial.into_inner()?.ledger().len(), events.len());

    let scratch = Scratch::new("group");
    let ledger = DurableLedger::open(SqliteStore::create(&scratch.0, &common::ledger_config())?)?;
    let group = GroupCommit::new(ledger, GroupConfig::default());
    let t = Instant::now();
    std::thread::scope(|s| {
        for c in 0..callers {
            let (mine, group) = (share(c), &group);
            s.spawn(move || {
                for a in mine {
                    group.append(a).expect("a durable append");
                }
            });
        }
    });
    let group_secs = t.elapsed().as_secs_f64();
    let stats = group.stats();
    assert_eq!(group.close()?.ledger().len(), events.len());
    println!(
        "store  {callers} callers, appends of {per}: one transaction each {:>8.0} ev/s ({} fsyncs); group commit {:>8.0} ev/s ({} fsyncs, {:.1} appends per group); x{:.2}",
        n / serial_secs,
        appends.len(),
        n / group_secs,
        stats.groups,
        stats.appends as f64 / stats.groups as f64,
        serial_secs / group_secs,
    );
    Ok(())
}

/// The stream split over `callers` by item x location (each caller's share in stream
/// order), appended in batches of `batch` through one `GroupCommit`.
fn pipelined(name: &str, events: &[Event], batch: usize, callers: usize) -> Result<(), Box<dyn std::error::Error>> {
    let scratch = Scratch::new(&format!("{name}-pipelined"));
    let ledger = DurableLedger::open(SqliteStore::create(&scratch.0, &common::ledger_config())?)?;
    let group = GroupCommit::new(ledger, GroupConfig::default());
    let mut shares: Vec<Vec<Event>> = vec![Vec::new(); callers];
    for e in events {
        // The key's number is in its item id (SKU-000123).
        let k: usize = e.item.as_str().trim_start_matches("SKU-").parse().unwrap_or(0);
        shares[k % callers].push(e.clone());
    }
    let shares: Vec<Vec<Vec<Event>>> =
        shares.iter().map(|s| s.chunks(batch).map(<[Event]>::to_vec).collect()).collect();
    let batches: usize = shares.iter().map(Vec::len).sum();
    let t = Instant::now();
    std::thread::scope(|s| {
        for mine in shares {
            let group = &group;
            s.spawn(move || {
                for b in mine {
                    group.append(b).expect("a durable append");
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let stats = group.stats();
    assert_eq!(group.close()?.ledger().len(), events.len());
    println!(
        "store  sqlite {name:10} {:>9.0} ev/s durable, {callers} callers through GroupCommit ({batches} batches of up to {batch}, {} commits, {:.1} batches per commit)",
        events.len() as f64 / secs,
        stats.groups,
        stats.appends as f64 / stats.groups as f64,
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let peer = args.iter().position(|a| a == "--peer").and_then(|i| args.get(i + 1)).cloned();
    let mut nums = args.iter().take_while(|a| *a != "--peer").map(|a| a.parse::<usize>());
    let n = nums.next().transpose()?.unwrap_or(200_000);
    let keys = nums.next().transpose()?.unwrap_or(10_000).max(1);
    let batch = nums.next().transpose()?.unwrap_or(1_000).max(1);

    for (name, late) in [("in order", 0.0), ("1% late", 0.01)] {
        let events = common::ledger_events(n, keys, late, 50_000, 7);
        ingest(name, &events, batch)?;
        pipelined(name, &events, batch, 4)?;
    }
    callers(&common::ledger_events(n.min(8_000), keys, 0.0, 0, 7), 8, 10)?;
    if let Some(peer) = peer {
        let out = std::process::Command::new("python3")
            .args([peer.as_str(), "wal", &n.to_string(), &keys.to_string(), "1"])
            .output()?;
        if !out.status.success() {
            return Err(format!("peer {peer} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}
