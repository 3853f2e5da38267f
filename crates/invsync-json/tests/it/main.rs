//! The JSON Lines journal: corruption, torn tails, recovery after SIGKILL.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
use invsync_json::journal::{Durability, JournalError, JournalReader, JournalWriter, Record, open_append};

fn event(i: u64) -> Event {
    // Per SKU (i % 5): receipt 2, receipt 2, issue 1, ... so stock never goes negative.
    let m = if (i / 5) % 3 == 2 { Movement::issue(1) } else { Movement::receipt(2) };
    Event::new(
        EventId::new(format!("e{i}")).unwrap(),
        SourceId::new("wms").unwrap(),
        ItemId::new(format!("SKU-{}", i % 5)).unwrap(),
        LocationId::new("DC").unwrap(),
        Timestamp::from_secs(1_700_000_000 + i as i64),
        m,
    )
    .with_source_seq(i)
}

/// A fresh directory for one test's files, removed when the test ends (even on failure).
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("invsync-journal-").tempdir().expect("a scratch directory")
}

#[test]
fn corruption_in_the_middle_names_its_line() {
    let mut w = JournalWriter::new(Vec::new());
    w.append(&event(1), Durability::Buffered).unwrap();
    let mut bytes = w.into_inner();
    bytes.extend_from_slice(b"\n{\"not\": \"an event\"}\n");
    let mut w = JournalWriter::new(bytes);
    w.append(&event(2), Durability::Buffered).unwrap();
    let records: Vec<_> = JournalReader::new(&w.into_inner()[..]).collect();
    assert!(matches!(&records[0], Ok(Record::Event { line: 1, .. })));
    // Line 2 is blank (skipped); line 3 is corrupt; reading stops there.
    assert!(matches!(&records[1], Err(JournalError::Corrupt { line: 3, .. })), "{:?}", records[1]);
    assert_eq!(records.len(), 2);
}

#[test]
fn reopening_truncates_a_torn_tail_and_appends() {
    let dir = scratch();
    let p = dir.path().join("torn.jsonl");
    let _ = std::fs::remove_file(&p);
    let (mut w, rec) = open_append(&p).unwrap();
    assert!(rec.events.is_empty() && rec.torn_tail.is_none());
    for i in 0..3 {
        w.append(&event(i), Durability::Sync).unwrap();
    }
    drop(w);
    std::fs::OpenOptions::new().append(true).open(&p).unwrap().write_all(b"{\"id\":\"e3\",\"so").unwrap();
    let (mut w, rec) = open_append(&p).unwrap();
    assert_eq!(rec.events, (0..3).map(event).collect::<Vec<_>>());
    assert_eq!(rec.torn_tail.as_deref(), Some(&b"{\"id\":\"e3\",\"so"[..]));
    w.append(&event(3), Durability::Sync).unwrap();
    drop(w);
    let all: Vec<Record> = JournalReader::new(std::fs::File::open(&p).unwrap()).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|r| matches!(r, Record::Event { .. })));
}

/// Child mode: append events forever with fsync, printing each id after its append returns.
#[test]
fn crash_child_writer() {
    let Some(path) = std::env::var_os("INVSYNC_JOURNAL_CHILD") else { return };
    let (mut w, rec) = open_append(std::path::Path::new(&path)).unwrap();
    let mut out = std::io::stdout().lock();
    for i in rec.events.len() as u64.. {
        w.append(&event(i), Durability::Sync).unwrap();
        writeln!(out, "ack e{i}").unwrap();
        out.flush().unwrap();
    }
}

/// Kills a writer process (SIGKILL) at varying moments, 100 times on the same journal:
/// every event whose append returned is recovered, in order; a torn tail is reported and
/// truncated; replaying the journal gives the ledger of the acknowledged events (plus at
/// most the one written but not yet acknowledged).
const KILLS: u64 = 100;

#[test]
fn sigkill_mid_append_loses_nothing_acknowledged() {
    let dir = scratch();
    let p = dir.path().join("crash.jsonl");
    let _ = std::fs::remove_file(&p);
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut torn_seen = 0;
    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["crash_child_writer", "--exact", "--nocapture", "--test-threads", "1"])
            .env("INVSYNC_JOURNAL_CHILD", &p)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // libtest prints "test crash_child_writer ... " before the child's first line.
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.find("ack ").map(|i| l[i + 4..].to_owned()))
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(20 + (round * 37) % 90));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        acknowledged.extend(reader.join().unwrap());
        let records: Vec<Record> =
            JournalReader::new(std::fs::File::open(&p).unwrap()).collect::<Result<_, _>>().unwrap();
        torn_seen += records.iter().filter(|r| matches!(r, Record::TornTail { .. })).count();
        let ids: Vec<String> = records
            .iter()
            .filter_map(|r| if let Record::Event { event, .. } = r { Some(event.id.to_string()) } else { None })
            .collect();
        assert!(ids.len() >= acknowledged.len(), "round {round}: lost an acknowledged event");
        assert_eq!(&ids[..acknowledged.len()], &acknowledged[..], "round {round}: order or content differs");
        assert!(ids.len() <= acknowledged.len() + 1, "round {round}: more than one unacknowledged event");
        // Replay equals the acknowledged prefix (plus the one possibly unacknowledged).
        let mut replayed = Ledger::new(LedgerConfig::default());
        let mut expected = Ledger::new(LedgerConfig::default());
        for r in &records {
            if let Record::Event { event, .. } = r {
                replayed.apply(event.clone()).unwrap();
            }
        }
        for i in 0..ids.len() as u64 {
            expected.apply(event(i)).unwrap();
        }
        let (i, l) = (ItemId::new("SKU-1").unwrap(), LocationId::new("DC").unwrap());
        assert_eq!(replayed.levels(&i, &l), expected.levels(&i, &l));
        assert_eq!(replayed.len(), expected.len());
        // The next round reopens (truncating any torn tail) and keeps numbering.
        acknowledged = ids;
    }
    assert!(!acknowledged.is_empty());
    eprintln!("{KILLS} kills, {} events recovered, {torn_seen} torn tails seen", acknowledged.len());
}

#[test]
fn planner_configuration_round_trips_and_errors_have_positions() {
    let c = invsync_core::plan::PlanConfig::vn2();
    let mut bytes = Vec::new();
    invsync_json::write_pretty(&mut bytes, &c).unwrap();
    let back: invsync_core::plan::PlanConfig = invsync_json::read(&bytes[..]).unwrap();
    assert_eq!(back, c);
    let err = invsync_json::read::<_, invsync_core::plan::PlanConfig>(&b"{\n  \"seed\": \"x\"\n}"[..]).unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    let o = invsync_core::ledger::LedgerConfig::default();
    let text = invsync_json::to_string(&o).unwrap();
    assert_eq!(invsync_json::read::<_, invsync_core::ledger::LedgerConfig>(text.as_bytes()).unwrap(), o);
}
