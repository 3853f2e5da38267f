//! Opening, appending, replaying, locking and damaged files.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};

use invsync_core::ledger::{Ledger, Movement, NegativeStock, ValuationMethod};
use invsync_store::{DurableLedger, SqliteStore, Store, StoreError};

use crate::common::{assert_same_ledger, config, event, events, item, location};

fn open(path: &std::path::Path) -> DurableLedger<SqliteStore> {
    DurableLedger::open(SqliteStore::open(path).unwrap()).unwrap()
}

#[test]
fn errors_are_send_sync_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<StoreError>();
    check::<SqliteStore>();
    check::<DurableLedger<SqliteStore>>();
}

/// Batches with registrations between them, duplicates and back-dated events: the ledger
/// rebuilt from the file equals the one built live, after one restart and after two.
#[test]
fn reopened_ledger_equals_the_live_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut live = Ledger::new(config());
    let mut store = DurableLedger::open(SqliteStore::create(&path, &config()).unwrap()).unwrap();
    store.register_item(item(0), ValuationMethod::Fifo).unwrap();
    live.register_item(item(0), ValuationMethod::Fifo);
    let all = events(11, 0..600);
    for (b, batch) in all.chunks(97).enumerate() {
        if b == 2 {
            // Mid-stream: effective for later events only.
            store.register_location(location(1), NegativeStock::Reject).unwrap();
            live.register_location(location(1), NegativeStock::Reject);
            store.register_location(location(1), NegativeStock::Allow).unwrap();
            live.register_location(location(1), NegativeStock::Allow);
            store.register_item(item(2), ValuationMethod::Fifo).unwrap();
            live.register_item(item(2), ValuationMethod::Fifo);
        }
        let outcomes = store.append(batch).unwrap();
        assert_eq!(outcomes, live.apply_batch(batch.iter().cloned()).unwrap());
    }
    // A redelivered batch is acknowledged as duplicates and not stored twice.
    let again = store.append(&all[..50]).unwrap();
    assert!(again.iter().all(|o| o.duplicate));
    assert_same_ledger(store.ledger(), &live);
    drop(store);

    assert_eq!(SqliteStore::open_read_only(&path).unwrap().event_count().unwrap(), 600);
    let mut reopened = open(&path);
    assert_same_ledger(reopened.ledger(), &live);
    // Appending after a restart continues the sequence.
    let more = events(11, 600..700);
    reopened.append(&more).unwrap();
    live.apply_batch(more).unwrap();
    drop(reopened);
    assert_same_ledger(open(&path).ledger(), &live);
}

/// A refused batch stores nothing, and the store goes on.
#[test]
fn a_refused_batch_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let strict = invsync_core::ledger::LedgerConfig::default(); // negative stock refused
    let mut store = DurableLedger::open(SqliteStore::create(&path, &strict).unwrap()).unwrap();
    let ok = event(1, 0);
    let mut receipt = ok.clone();
    receipt.movement = Movement::receipt(5);
    let mut issue = event(1, 1);
    issue.movement = Movement::issue(9);
    issue.item = receipt.item.clone();
    issue.location = receipt.location.clone();
    match store.append(&[receipt.clone(), issue]) {
        Err(StoreError::Rejected(e)) => assert_eq!(e.index, 1),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(store.ledger().len(), 0);
    store.append(&[receipt]).unwrap();
    drop(store);
    let reopened = open(&path);
    assert_eq!(reopened.ledger().len(), 1);
}

#[test]
fn a_second_writer_is_refused_and_readers_run_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    assert!(matches!(SqliteStore::open(&path), Err(StoreError::NotFound { .. })));
    let mut writer = DurableLedger::open(SqliteStore::create(&path, &config()).unwrap()).unwrap();
    assert!(matches!(SqliteStore::create(&path, &config()), Err(StoreError::AlreadyExists { .. })));
    assert!(matches!(SqliteStore::open(&path), Err(StoreError::Locked { .. })));
    writer.append(&events(3, 0..10)).unwrap();

    let mut reader = DurableLedger::open(SqliteStore::open_read_only(&path).unwrap()).unwrap();
    assert_eq!(reader.ledger().len(), 10);
    assert!(matches!(reader.append(&events(3, 10..11)), Err(StoreError::ReadOnly)));
    assert!(matches!(reader.register_item(item(9), ValuationMethod::Fifo), Err(StoreError::ReadOnly)));
    // The writer goes on while the reader is open; a new reader sees the new events.
    writer.append(&events(3, 10..20)).unwrap();
    let reader2 = DurableLedger::open(SqliteStore::open_read_only(&path).unwrap()).unwrap();
    assert_same_ledger(reader2.ledger(), writer.ledger());
    drop(writer);
    // The lock is released with the writer.
    let again = open(&path);
    assert_eq!(again.ledger().len(), 20);
}

fn closed_store_with_events(n: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = DurableLedger::open(SqliteStore::create(&path, &config()).unwrap()).unwrap();
    for chunk in events(5, 0..n).chunks(500) {
        store.append(chunk).unwrap();
    }
    drop(store); // the last connection checkpoints the WAL into the file and removes it
    assert!(!dir.path().join("s.db-wal").exists());
    (dir, path)
}

/// Opens the damaged file for writing and for reading; either may fail at open or at
/// replay, but only with a typed error saying the file is corrupt.
#[track_caller]
fn assert_reported_corrupt(path: &std::path::Path) {
    for read_only in [false, true] {
        let opened = if read_only { SqliteStore::open_read_only(path) } else { SqliteStore::open(path) };
        let result = opened.and_then(DurableLedger::open);
        match result {
            Err(StoreError::Corrupt { .. }) => {}
            Err(e) => panic!("expected a corrupt-file error, got {e:?}"),
            Ok(l) => panic!("a damaged file opened with {} events", l.ledger().len()),
        }
    }
}

#[test]
fn a_truncated_file_is_reported() {
    let (_dir, path) = closed_store_with_events(3_000);
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 64 * 1024, "the file spans many pages ({len} bytes)");
    for keep in [len / 2, 4096 + 10, 50] {
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(keep).unwrap();
        drop(f);
        assert_reported_corrupt(&path);
    }
}

#[test]
fn an_overwritten_header_is_reported() {
    let (_dir, path) = closed_store_with_events(100);
    let mut f = OpenOptions::new().write(true).open(&path).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(b"not a database!!").unwrap();
    drop(f);
    assert_reported_corrupt(&path);
}

#[test]
fn a_file_that_is_not_a_database_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    std::fs::write(&path, "item,location\nA,L\n".repeat(300)).unwrap();
    assert_reported_corrupt(&path);
}

#[test]
fn the_store_keeps_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut cfg = config();
    cfg.strict = true;
    cfg.max_future_skew_ms = 17;
    cfg.default_valuation = ValuationMethod::Fifo;
    drop(SqliteStore::create(&path, &cfg).unwrap());
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.config(), &cfg);
    assert_eq!(DurableLedger::open(store).unwrap().ledger().config(), &cfg);
}

/// Another backend through the trait: one whose writes fail. The failed append is an
/// error and the ledger, now ahead of the store, refuses every further change.
#[test]
fn a_failed_write_poisons_the_durable_ledger() {
    struct FailingStore(invsync_core::ledger::LedgerConfig);
    impl Store for FailingStore {
        fn config(&self) -> &invsync_core::ledger::LedgerConfig {
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
        fn append_events(
            &mut self,
            _: u64,
            _: &mut dyn Iterator<Item = &invsync_core::ledger::Event>,
        ) -> Result<(), StoreError> {
            Err(StoreError::Io { path: "disk".into(), op: "writing", source: std::io::Error::other("disk full") })
        }
    }
    let mut ledger = DurableLedger::open(FailingStore(config())).unwrap();
    assert!(matches!(ledger.append(&events(2, 0..3)), Err(StoreError::Io { .. })));
    assert!(matches!(ledger.append(&events(2, 3..4)), Err(StoreError::Poisoned)));
    assert!(matches!(ledger.register_item(item(1), ValuationMethod::Fifo), Err(StoreError::Poisoned)));
}
