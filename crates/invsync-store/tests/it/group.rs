//! Group commit: many callers, one transaction and one fsync per group.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
use invsync_core::rng::splitmix64;
use invsync_core::{EventId, SourceId, Timestamp};
use invsync_store::{DurableLedger, GroupCommit, GroupConfig, SqliteStore, Store, StoreError};

use crate::common::{assert_same_ledger, config, item, location};

/// Event `i` of caller `t`: a receipt of 1 + i % 3 units of item t (its own key, so the
/// callers' streams are independent), id `g{t}-{i}`.
fn event(t: u64, i: u64) -> Event {
    Event::new(
        EventId::new(format!("g{t}-{i:06}")).unwrap(),
        SourceId::new("group").unwrap(),
        item(t),
        location(0),
        Timestamp::from_secs(1_000 + i as i64),
        Movement::receipt(1 + (i % 3) as i64),
    )
}

/// The caller and position of a stored event.
fn owner(e: &Event) -> (u64, u64) {
    let (t, i) = e.id.as_str().strip_prefix('g').unwrap().split_once('-').unwrap();
    (t.parse().unwrap(), i.parse().unwrap())
}

fn group(path: &std::path::Path, cfg: GroupConfig) -> GroupCommit<SqliteStore> {
    GroupCommit::new(DurableLedger::open(SqliteStore::open(path).unwrap()).unwrap(), cfg)
}

#[test]
fn group_commit_is_send_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<GroupCommit<SqliteStore>>();
}

/// Eight callers, 40 appends each: every acknowledged event is stored, at the sequence
/// number its outcome gave, each caller's events in its order; appends shared groups.
#[test]
fn concurrent_appends_are_durable_in_order_and_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(SqliteStore::create(&path, &config()).unwrap());
    let g = group(&path, GroupConfig { max_wait: Duration::from_millis(5), max_events: 10_000 });
    let (callers, appends, per) = (8u64, 40u64, 5u64);
    let acked: Vec<Vec<(u64, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..callers)
            .map(|t| {
                let g = &g;
                s.spawn(move || {
                    let mut acked = Vec::new();
                    for a in 0..appends {
                        let batch: Vec<Event> = (a * per..(a + 1) * per).map(|i| event(t, i)).collect();
                        let outcomes = g.append(batch).unwrap();
                        assert_eq!(outcomes.len() as u64, per);
                        // One append's events are contiguous.
                        assert!(outcomes.windows(2).all(|w| w[1].seq == w[0].seq + 1));
                        acked.extend((a * per..(a + 1) * per).zip(outcomes.iter().map(|o| o.seq)));
                    }
                    acked
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stats = g.stats();
    assert_eq!(stats.appends, callers * appends);
    assert_eq!(stats.events, callers * appends * per);
    assert!(stats.groups < stats.appends, "no append shared a group: {stats:?}");
    let live = g.close().unwrap().into_ledger();

    let reopened = DurableLedger::open(SqliteStore::open(&path).unwrap()).unwrap();
    assert_same_ledger(reopened.ledger(), &live);
    let stored: Vec<&Event> = reopened.ledger().events().collect();
    assert_eq!(stored.len() as u64, callers * appends * per);
    for (t, acked) in acked.iter().enumerate() {
        // Each caller's events in its own order.
        assert!(acked.windows(2).all(|w| w[0].1 < w[1].1), "caller {t}");
        for &(i, seq) in acked {
            assert_eq!(stored[seq as usize], &event(t as u64, i), "caller {t} event {i}");
        }
    }
}

/// A refused append in a group fails alone; the others of the group are stored.
#[test]
fn a_refused_append_leaves_the_rest_of_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(SqliteStore::create(&path, &LedgerConfig::default()).unwrap()); // negative stock refused
    let g = group(&path, GroupConfig { max_wait: Duration::from_millis(300), max_events: 10_000 });
    let mut bad = event(1, 1);
    bad.movement = Movement::issue(50);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = [vec![event(0, 0)], vec![event(1, 0), bad], vec![event(2, 0)]]
            .into_iter()
            .map(|batch| {
                let g = &g;
                s.spawn(move || g.append(batch))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    match &results[1] {
        Err(StoreError::Rejected(e)) => assert_eq!(e.index, 1),
        other => panic!("expected a refusal, got {other:?}"),
    }
    drop(g);
    let reopened = DurableLedger::open(SqliteStore::open(&path).unwrap()).unwrap();
    let ids: Vec<&str> = reopened.ledger().events().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"g0-000000") && ids.contains(&"g2-000000"));
}

/// Appends that arrive within `max_wait` of the first share its group; a group that
/// reaches `max_events` is written without waiting out `max_wait`.
#[test]
fn groups_close_on_max_wait_and_on_max_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(SqliteStore::create(&path, &config()).unwrap());
    let g = group(&path, GroupConfig { max_wait: Duration::from_secs(2), max_events: 10_000 });
    std::thread::scope(|s| {
        s.spawn(|| g.append(vec![event(0, 0)]).unwrap());
        std::thread::sleep(Duration::from_millis(100));
        s.spawn(|| g.append(vec![event(1, 0)]).unwrap());
    });
    assert_eq!(g.stats().groups, 1, "two appends 100 ms apart with max_wait 2 s");
    drop(g);

    let g = group(&path, GroupConfig { max_wait: Duration::from_secs(120), max_events: 3 });
    let t = Instant::now();
    g.append((1..4).map(|i| event(0, i)).collect()).unwrap();
    assert!(t.elapsed() < Duration::from_secs(60), "a full group waited {:?}", t.elapsed());
    // Registrations and reads go between groups.
    g.register_location(location(3), invsync_core::ledger::NegativeStock::Allow).unwrap();
    assert_eq!(g.read(Ledger::len), 5);
    assert_eq!(g.close().unwrap().ledger().len(), 5);
}

#[test]
fn a_read_only_store_refuses_group_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    drop(SqliteStore::create(&path, &config()).unwrap());
    let g = GroupCommit::new(
        DurableLedger::open(SqliteStore::open_read_only(&path).unwrap()).unwrap(),
        GroupConfig::default(),
    );
    assert!(matches!(g.append(vec![event(0, 0)]), Err(StoreError::ReadOnly)));
}

/// A backend whose writes fail: every append of the failed group gets the error, later
/// ones `Poisoned`, and `close` reports it.
#[test]
fn a_failed_group_write_fails_every_append_of_the_group() {
    struct FailingStore(LedgerConfig);
    impl Store for FailingStore {
        fn config(&self) -> &LedgerConfig {
            &self.0
        }
        fn is_read_only(&self) -> bool {
            false
        }
        fn load(
            &mut self,
            _: &mut dyn FnMut(invsync_store::Record) -> Result<(), StoreError>,
        ) -> Result<(), StoreError> {
            Ok(())
        }
        fn append_registration(&mut self, _: u64, _: &invsync_store::Registration) -> Result<(), StoreError> {
            Ok(())
        }
        fn append_events(&mut self, _: u64, _: &mut dyn Iterator<Item = &Event>) -> Result<(), StoreError> {
            Err(StoreError::Io { path: "disk".into(), op: "writing", source: std::io::Error::other("disk full") })
        }
    }
    let g = GroupCommit::new(
        DurableLedger::open(FailingStore(config())).unwrap(),
        GroupConfig { max_wait: Duration::from_millis(300), max_events: 10_000 },
    );
    let results: Vec<_> = std::thread::scope(|s| {
        let g = &g;
        let handles: Vec<_> = (0..3).map(|t| s.spawn(move || g.append(vec![event(t, 0)]))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &results {
        match r {
            Err(StoreError::GroupFailed(e)) => assert!(matches!(**e, StoreError::Io { .. }), "{e:?}"),
            other => panic!("expected the group's failure, got {other:?}"),
        }
    }
    assert_eq!(g.stats().groups, 1);
    assert!(matches!(g.append(vec![event(5, 0)]), Err(StoreError::Poisoned)));
    assert!(matches!(g.close(), Err(StoreError::Poisoned)));
}

const CHILD_ENV: &str = "INVSYNC_GROUP_CRASH_CHILD";
const CALLERS: u64 = 4;

/// The child of [`sigkill_during_group_commits`]: four callers append through one
/// `GroupCommit`, printing `ACK caller last-index` after each append returns.
#[test]
fn group_child_process_entry() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let ledger = DurableLedger::open(SqliteStore::open(&path).unwrap()).unwrap();
    let mut next = vec![0u64; CALLERS as usize];
    for e in ledger.ledger().events() {
        let (t, i) = owner(e);
        next[t as usize] = i + 1;
    }
    let g = GroupCommit::new(ledger, GroupConfig { max_wait: Duration::from_millis(2), max_events: 10_000 });
    std::thread::scope(|s| {
        for (t, start) in next.into_iter().enumerate() {
            let g = &g;
            s.spawn(move || {
                let mut i = start;
                let mut rng = start ^ t as u64;
                loop {
                    let n = 1 + splitmix64(&mut rng) % 8;
                    g.append((i..i + n).map(|k| event(t as u64, k)).collect()).unwrap();
                    i += n;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {t} {}", i - 1).unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

/// SIGKILLs of a process appending through group commit from four threads: every
/// acknowledged event is back, each caller's events a prefix of its stream in order, and
/// the reopened ledger equals a replay of the stored events. `INVSYNC_CRASH_RUNS` runs
/// (default 10).
#[test]
fn sigkill_during_group_commits() {
    let runs: u64 = std::env::var("INVSYNC_CRASH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    drop(SqliteStore::create(&path, &config()).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut rng = 2323u64;
    let mut acked_total = 0usize;
    for run in 0..runs {
        let mut child = Command::new(&exe)
            .args(["group::group_child_process_entry", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut last: HashMap<u64, u64> = HashMap::new();
            let mut n = 0usize;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut parts = line.strip_prefix("ACK ").into_iter().flat_map(|l| l.split(' '));
                if let (Some(Ok(t)), Some(Ok(i))) = (parts.next().map(str::parse), parts.next().map(str::parse)) {
                    let prev = last.insert(t, i);
                    assert!(prev.is_none_or(|p| p < i), "caller {t}: acknowledgements out of order");
                    n += 1;
                }
            }
            (last, n)
        });
        std::thread::sleep(Duration::from_millis(20 + splitmix64(&mut rng) % 300));
        child.kill().unwrap(); // SIGKILL
        assert!(!child.wait().unwrap().success(), "run {run}: the child ended by itself");
        let (acked, n) = reader.join().unwrap();
        acked_total += n;

        let reopened = DurableLedger::open(SqliteStore::open(&path).unwrap())
            .unwrap_or_else(|e| panic!("run {run}: reopening after SIGKILL: {e}"));
        let mut count = vec![0u64; CALLERS as usize];
        for e in reopened.ledger().events() {
            let (t, i) = owner(e);
            assert_eq!(i, count[t as usize], "run {run}: caller {t}'s events out of order or with a gap");
            assert_eq!(e, &event(t, i));
            count[t as usize] += 1;
        }
        for (t, i) in acked {
            assert!(count[t as usize] > i, "run {run}: caller {t}'s event {i} was acknowledged but is not stored");
        }
        let mut replay = Ledger::new(config());
        replay.apply_batch(reopened.ledger().events().cloned()).unwrap();
        assert_same_ledger(reopened.ledger(), &replay);
    }
    eprintln!("group crash: {runs} SIGKILLs, {acked_total} appends acknowledged");
    assert!(acked_total > 0, "no append was acknowledged in {runs} runs");
}
