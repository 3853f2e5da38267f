//! Crash safety: a child process appends seeded batches through the store and is
//! SIGKILLed at seeded random moments; every batch it acknowledged must be back on reopen.
//!
//! The child is this test binary, re-invoked to run [`child_process_entry`] with
//! `INVSYNC_CRASH_CHILD` set to the store's path. `INVSYNC_CRASH_RUNS` sets the number of
//! kills (default 10; the full run of issue 23 is 100).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use invsync_core::ledger::{Event, Ledger, NegativeStock};
use invsync_core::rng::splitmix64;
use invsync_store::{DurableLedger, SqliteStore};

use crate::common::{assert_same_ledger, config, event, location};

const SEED: u64 = 23;
const CHILD_ENV: &str = "INVSYNC_CRASH_CHILD";

/// The size of the batch starting at sequence number `start` (1 to 64): a function of
/// where it starts, so batch boundaries are the same whichever child wrote them.
fn batch_len(start: u64) -> u64 {
    let mut s = start ^ 0x5EED;
    1 + splitmix64(&mut s) % 64
}

/// Whether the child registers a location before the batch starting at `start` (with the
/// default policy, so the ledger's answers do not depend on it; it exercises the storage
/// and replay of registrations between events).
fn registers_before(start: u64) -> bool {
    let mut s = start ^ 0xBEEF;
    splitmix64(&mut s).is_multiple_of(4)
}

/// The child's work; does nothing unless run as the child of [`sigkill_at_random_moments`].
#[test]
fn child_process_entry() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let mut store = DurableLedger::open(SqliteStore::open(&path).unwrap()).unwrap();
    let mut next = store.ledger().len() as u64;
    let mut out = std::io::stdout();
    loop {
        if registers_before(next) {
            store.register_location(location(next % 2), NegativeStock::Allow).unwrap();
        }
        let end = next + batch_len(next);
        let batch: Vec<Event> = (next..end).map(|i| event(SEED, i)).collect();
        store.append(&batch).unwrap();
        // Acknowledged: the batch is durable.
        writeln!(out, "ACK {}", end - 1).unwrap();
        out.flush().unwrap();
        next = end;
    }
}

#[test]
fn sigkill_at_random_moments() {
    let runs: u64 = std::env::var("INVSYNC_CRASH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    drop(SqliteStore::create(&path, &config()).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut rng = SEED;
    // The generated stream and the batch boundaries, extended as the store grows.
    let mut stream: Vec<Event> = Vec::new();
    let mut boundaries = vec![0u64];
    let mut reference = Ledger::new(config());
    let mut acknowledged_total = 0u64;
    for run in 0..runs {
        let mut child = Command::new(&exe)
            .args(["crash::child_process_entry", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("ACK ").and_then(|n| n.parse::<u64>().ok()))
                .collect::<Vec<u64>>()
        });
        let delay = 20 + splitmix64(&mut rng) % 300;
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "run {run}: the child ended by itself: {status}");
        let acks = reader.join().unwrap();
        acknowledged_total += acks.len() as u64;

        let reopened = DurableLedger::open(SqliteStore::open(&path).unwrap())
            .unwrap_or_else(|e| panic!("run {run}: reopening after SIGKILL: {e}"));
        let len = reopened.ledger().len() as u64;
        if let Some(&last) = acks.last() {
            assert!(len > last, "run {run}: event {last} was acknowledged but the store holds {len} events");
        }
        assert!(acks.windows(2).all(|w| w[0] < w[1]), "run {run}: acknowledgements out of order");
        while *boundaries.last().unwrap() < len {
            let b = *boundaries.last().unwrap();
            boundaries.push(b + batch_len(b));
        }
        assert_eq!(*boundaries.last().unwrap(), len, "run {run}: the store ends inside a batch");
        while (stream.len() as u64) < len {
            stream.push(event(SEED, stream.len() as u64));
        }
        // Every stored event is the stream's, in order: nothing lost, reordered or doubled.
        for (i, (stored, expected)) in reopened.ledger().events().zip(&stream).enumerate() {
            assert_eq!(stored, expected, "run {run}: stored event {i}");
        }
        // And the reopened ledger equals a replay of them.
        reference.apply_batch(stream[reference.len()..len as usize].iter().cloned()).unwrap();
        assert_same_ledger(reopened.ledger(), &reference);
        drop(reopened);
    }
    eprintln!(
        "crash: {runs} SIGKILLs, {acknowledged_total} batches acknowledged, {} events and {} batches recovered",
        stream.len(),
        boundaries.len() - 1
    );
    assert!(acknowledged_total > 0, "no batch was acknowledged in {runs} runs: the kills come too early");
}
