//! The JSON Lines journal: corruption, torn tails, failed appends, two writers, recovery
//! after SIGKILL.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
use invsync_json::journal::{
    Damaged, Durability, JournalError, JournalReader, JournalWriter, Record, SyncWrite, open_append,
};

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

/// Every record of a journal, panicking on an I/O error.
fn read_all(bytes: &[u8]) -> Vec<Record> {
    JournalReader::new(bytes).collect::<Result<_, _>>().unwrap()
}

fn events_of(records: &[Record]) -> Vec<Event> {
    records
        .iter()
        .filter_map(|r| if let Record::Event { event, .. } = r { Some(event.clone()) } else { None })
        .collect()
}

fn damaged_of(records: &[Record]) -> Vec<&Damaged> {
    records.iter().filter_map(|r| if let Record::Damaged(d) = r { Some(d) } else { None }).collect()
}

/// One record as the writer writes it.
fn line_of(e: &Event) -> Vec<u8> {
    let mut w = JournalWriter::new(Vec::new());
    w.append(e, Durability::Buffered).unwrap();
    w.into_inner()
}

/// A journal of `events` as the writer writes it, and the byte offset of each line.
fn journal_of(events: &[Event]) -> (Vec<u8>, Vec<usize>) {
    let (mut bytes, mut starts) = (Vec::new(), Vec::new());
    for e in events {
        starts.push(bytes.len());
        bytes.extend(line_of(e));
    }
    (bytes, starts)
}

/// The record format is stable: one line, the CRC-32C of the event's JSON, then the event.
#[test]
fn a_record_is_its_checksum_and_its_event() {
    let (bytes, _) = journal_of(&[event(1)]);
    let text = String::from_utf8(bytes).unwrap();
    let json = serde_json_text(&event(1));
    // CRC-32C check value (RFC 3720): "123456789" -> e3069283; the crate is the one used.
    assert_eq!(format!("{:08x}", crc32c::crc32c(b"123456789")), "e3069283");
    assert_eq!(text, format!("{{\"crc32c\":\"{:08x}\",\"event\":{json}}}\n", crc32c::crc32c(json.as_bytes())));
}

fn serde_json_text(e: &Event) -> String {
    invsync_json::to_string(e).unwrap()
}

/// Lines torn or altered in the middle are reported with their line and byte offset, and
/// every intact record after them is kept (before, reading stopped at the first one). An
/// alteration that still parses as an event (a digit changed) is caught by the checksum.
#[test]
fn damaged_records_are_reported_and_later_records_kept() {
    let events: Vec<Event> = (0..6).map(event).collect();
    let (bytes, starts) = journal_of(&events);
    let line = |i: usize| bytes[starts[i]..starts.get(i + 1).copied().unwrap_or(bytes.len())].to_vec();
    let mut damaged = Vec::new();
    damaged.extend(line(0));
    // Line 2: a quantity digit changed (the JSON still parses).
    let mut altered = line(1);
    let q = altered.windows(7).position(|w| w == b"\"qty\":2").unwrap() + 6;
    altered[q] = b'7';
    damaged.extend(&altered);
    // Line 3: torn in the middle (bytes lost, the newline kept).
    let torn = line(2);
    damaged.extend(&torn[..40]);
    damaged.extend(&torn[torn.len() - 20..]);
    damaged.extend(b"\n"); // a blank line is skipped
    // Line 5: not a record at all.
    damaged.extend(b"{\"not\": \"an event\"}\n");
    for i in 3..6 {
        damaged.extend(line(i));
    }
    let records = read_all(&damaged);
    assert_eq!(events_of(&records), vec![event(0), event(3), event(4), event(5)]);
    let d = damaged_of(&records);
    let where_: Vec<(u64, u64)> = d.iter().map(|d| (d.line, d.offset)).collect();
    let off2 = starts[1] as u64;
    let off3 = off2 + altered.len() as u64;
    let off5 = off3 + 60 + 1; // the torn line (its newline included), the blank line
    assert_eq!(where_, vec![(2, off2), (3, off3), (5, off5)]);
    assert!(d[0].reason.contains("checksum mismatch"), "{}", d[0].reason);
    assert_eq!(d[0].bytes, altered[..altered.len() - 1]);
    assert!(d[1].reason.contains("checksum") || d[1].reason.contains("frame"), "{}", d[1].reason);
    assert!(d[2].reason.contains("not a journal record"), "{}", d[2].reason);
    // A huge value is not echoed whole in the reason (the bytes are in `bytes`).
    let huge =
        serde_json_text(&event(1)).replace("\"type\":\"receipt\"", &format!("\"type\":\"{}\"", "x".repeat(1_000_000)));
    let r = read_all(format!("{huge}\n").as_bytes());
    assert!(
        matches!(&r[..], [Record::Damaged(d)] if d.reason.len() < 200 && d.bytes.len() > 1_000_000),
        "{:?}",
        damaged_of(&r)[0].reason
    );
    // Recovery keeps them too, says what it skipped, and leaves the damaged lines in place.
    let dir = scratch();
    let p = dir.path().join("damaged.jsonl");
    std::fs::write(&p, &damaged).unwrap();
    let (mut w, rec) = open_append(&p).unwrap();
    assert_eq!(rec.events, events_of(&records));
    assert_eq!(rec.damaged.iter().map(|d| d.line).collect::<Vec<_>>(), vec![2, 3, 5]);
    assert!(rec.torn_tail.is_none());
    w.append(&event(6), Durability::Sync).unwrap();
    drop(w);
    let again = read_all(&std::fs::read(&p).unwrap());
    assert_eq!(events_of(&again).last(), Some(&event(6)));
    assert_eq!(damaged_of(&again).len(), 3);
}

/// A torn record followed on the same line by a complete one (a partial write, then a
/// later append glued onto it): the damage is reported, the glued record recovered.
#[test]
fn a_record_glued_after_torn_bytes_is_recovered() {
    let (a, _) = journal_of(&[event(1)]);
    let (b, _) = journal_of(&[event(2), event(3)]);
    let mut bytes = a.clone();
    bytes.extend_from_slice(&b[..50]); // torn: no newline
    bytes.extend_from_slice(&b[b.iter().position(|&c| c == b'\n').unwrap() + 1..]); // event 3
    let records = read_all(&bytes);
    assert_eq!(events_of(&records), vec![event(1), event(3)]);
    let d = damaged_of(&records);
    assert_eq!((d.len(), d[0].line, d[0].offset, d[0].bytes.len()), (1, 2, a.len() as u64, 50));
}

/// Journals written before checksums (the event's JSON alone on a line) are still read,
/// and reopening one appends checksummed records after them.
#[test]
fn journals_without_checksums_are_still_read() {
    let mut old = Vec::new();
    for i in 0..3 {
        old.extend(serde_json_text(&event(i)).as_bytes());
        old.push(b'\n');
    }
    assert_eq!(events_of(&read_all(&old)), (0..3).map(event).collect::<Vec<_>>());
    let dir = scratch();
    let p = dir.path().join("old.jsonl");
    std::fs::write(&p, &old).unwrap();
    let (mut w, rec) = open_append(&p).unwrap();
    assert_eq!(rec.events.len(), 3);
    w.append(&event(3), Durability::Sync).unwrap();
    drop(w);
    let records = read_all(&std::fs::read(&p).unwrap());
    assert_eq!(events_of(&records), (0..4).map(event).collect::<Vec<_>>());
    assert!(damaged_of(&records).is_empty());
}

/// A `Write` that accepts `room` more bytes, then fails once (a full disk: the write that
/// crosses the limit is partial, the next fails), then accepts everything again (space was
/// freed). `discard` says whether it can remove a tail ([`SyncWrite::discard_tail`]).
#[derive(Debug)]
struct FullDisk {
    data: Vec<u8>,
    room: Option<usize>,
    discard: bool,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.room {
            Some(0) => {
                self.room = None;
                Err(io::Error::new(io::ErrorKind::StorageFull, "no space left on device"))
            }
            Some(r) => {
                let n = r.min(buf.len());
                self.room = Some(r - n);
                self.data.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            None => {
                self.data.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SyncWrite for FullDisk {
    fn sync_data(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn discard_tail(&mut self, n: u64) -> io::Result<()> {
        if !self.discard {
            return Err(io::ErrorKind::Unsupported.into());
        }
        self.data.truncate(self.data.len() - n as usize);
        Ok(())
    }
}

/// An append that fails part way, at every byte of a record, on a writer that can remove
/// a tail and on one that cannot: no acknowledged append is ever glued onto torn bytes,
/// and every acknowledged event reads back, in order. Before, the partial record stayed
/// and the next acknowledged append was glued onto it (the journal then refused to open).
#[test]
fn a_failed_append_leaves_nothing_a_later_append_can_glue_onto() {
    let (one, _) = journal_of(&[event(0)]);
    let record = line_of(&event(1)).len();
    for discard in [true, false] {
        for cut in 0..record {
            let disk = FullDisk { data: Vec::new(), room: Some(one.len() + cut), discard };
            let mut w = JournalWriter::new(disk);
            let mut acknowledged = Vec::new();
            for i in 0..4 {
                match w.append(&event(i), Durability::Sync) {
                    Ok(()) => acknowledged.push(event(i)),
                    Err(JournalError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::StorageFull),
                    Err(JournalError::Poisoned) => assert!(!discard && cut > 0),
                    Err(e) => panic!("{e}"),
                }
            }
            let poisoned = w.is_poisoned();
            let records = read_all(&w.into_inner().data);
            let ctx = format!("discard {discard}, cut at byte {cut}");
            assert_eq!(events_of(&records), acknowledged, "{ctx}");
            assert!(damaged_of(&records).is_empty(), "{ctx}: {records:?}");
            if discard || cut == 0 {
                // The failed event alone is missing; the writer went on.
                assert_eq!(acknowledged, vec![event(0), event(2), event(3)], "{ctx}");
                assert!(!poisoned && !records.iter().any(|r| matches!(r, Record::TornTail { .. })), "{ctx}");
            } else {
                // Poisoned: the torn bytes stay a torn tail, nothing was glued onto them.
                assert_eq!(acknowledged, vec![event(0)], "{ctx}");
                assert!(poisoned && matches!(records.last(), Some(Record::TornTail { .. })), "{ctx}");
            }
        }
    }
}

/// Appending to /dev/full: every append is an error naming the cause, none acknowledged.
#[cfg(target_os = "linux")]
#[test]
fn appending_to_a_full_device_is_an_error() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut w = JournalWriter::new(full);
    for i in 0..3 {
        let err = w.append(&event(i), Durability::Flush).unwrap_err();
        assert!(matches!(&err, JournalError::Io(e) if e.kind() == io::ErrorKind::StorageFull), "{err}");
    }
}

/// A second writer on one journal is refused while the first holds it (in this process and
/// from another process), and gets it once the first is gone. Before, both opened it and
/// overwrote each other's acknowledged events.
#[test]
fn a_second_writer_is_refused() {
    let dir = scratch();
    let p = dir.path().join("two.jsonl");
    let (mut first, _) = open_append(&p).unwrap();
    first.append(&event(0), Durability::Sync).unwrap();
    let err = open_append(&p).unwrap_err();
    assert!(matches!(&err, JournalError::Locked { path } if *path == p), "{err}");
    assert!(err.to_string().contains("two.jsonl"), "{err}");
    first.append(&event(1), Durability::Sync).unwrap();
    drop(first);
    // Another process holding it: the crash test's child writer.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child_writer", "--exact", "--nocapture", "--test-threads", "1"])
        .env("INVSYNC_JOURNAL_CHILD", &p)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().contains("ack e2")), "the child appends");
    let err = open_append(&p).unwrap_err();
    assert!(matches!(err, JournalError::Locked { .. }), "{err}");
    child.kill().unwrap();
    child.wait().unwrap();
    let (_, rec) = open_append(&p).unwrap();
    assert_eq!(rec.events[..3], [event(0), event(1), event(2)]);
    assert!(rec.damaged.is_empty());
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
        // Under load a kill can land before the child has created the journal: then it
        // acknowledged nothing, and there is nothing to recover.
        if !p.exists() {
            assert!(acknowledged.is_empty(), "round {round}: acknowledged events but no journal");
            continue;
        }
        let records: Vec<Record> =
            JournalReader::new(std::fs::File::open(&p).unwrap()).collect::<Result<_, _>>().unwrap();
        assert!(damaged_of(&records).is_empty(), "round {round}: {records:?}");
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

/// Child mode: append 60 events with fsync under a file-size limit (a full disk), retrying
/// an event whose append failed, printing `ack eN` / `fail eN`.
#[test]
fn full_disk_child_writer() {
    let Some(path) = std::env::var_os("INVSYNC_JOURNAL_FULL") else { return };
    let (mut w, rec) = open_append(std::path::Path::new(&path)).unwrap();
    let mut out = std::io::stdout().lock();
    for i in rec.events.len() as u64..60 {
        loop {
            match w.append(&event(i), Durability::Sync) {
                Ok(()) => break,
                Err(e) => writeln!(out, "fail e{i}: {e}").unwrap(),
            }
            out.flush().unwrap();
            assert!(!w.is_poisoned(), "a file can always drop a failed record's bytes");
            std::thread::sleep(Duration::from_millis(2));
        }
        writeln!(out, "ack e{i}").unwrap();
        out.flush().unwrap();
    }
}

/// A real process appending to a real file on a "full disk": a file-size limit
/// (`ulimit -f`, SIGXFSZ ignored) makes the write that crosses it partial and the next
/// fail with EFBIG; once the process has failed, the limit is lifted (`prlimit`), as when
/// space is freed, and it carries on. The journal then holds exactly the acknowledged
/// events, with no damaged line. Before, the partial record stayed and the first append
/// after space was freed was glued onto it.
#[cfg(target_os = "linux")]
#[test]
fn a_real_full_disk_leaves_no_torn_record() {
    let dir = scratch();
    let p = dir.path().join("full.jsonl");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -S -f 8 && exec \"$0\" full_disk_child_writer --exact --nocapture --test-threads 1")
        .arg(&exe)
        .env("INVSYNC_JOURNAL_FULL", &p)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let (mut acknowledged, mut failures) = (Vec::new(), 0);
    for l in lines.by_ref() {
        if let Some(i) = l.find("ack ") {
            acknowledged.push(l[i + 4..].to_owned());
        } else if l.starts_with("fail ") {
            failures += 1;
            break;
        }
    }
    assert_eq!(failures, 1, "the file-size limit was never reached ({} acknowledged)", acknowledged.len());
    let size_at_limit = std::fs::metadata(&p).unwrap().len();
    let lifted = Command::new("prlimit").arg("--pid").arg(child.id().to_string()).arg("--fsize=unlimited").status();
    assert!(lifted.expect("prlimit (util-linux) runs").success());
    for l in lines {
        if let Some(i) = l.find("ack ") {
            acknowledged.push(l[i + 4..].to_owned());
        } else if l.starts_with("fail ") {
            failures += 1;
        }
    }
    assert!(child.wait().unwrap().success());
    let records = read_all(&std::fs::read(&p).unwrap());
    let ids: Vec<String> = events_of(&records).iter().map(|e| e.id.to_string()).collect();
    assert_eq!(ids, acknowledged, "exactly the acknowledged events, in order");
    assert_eq!(ids.len(), 60);
    assert!(records.iter().all(|r| matches!(r, Record::Event { .. })), "{records:?}");
    eprintln!("{failures} failed appends at the limit ({size_at_limit} bytes), 60 acknowledged, none damaged");
}

/// A JSON error says what kind of failure and where, and keeps an i/o failure's
/// `io::Error` as its source.
#[test]
fn json_errors_have_kind_position_and_source() {
    use invsync_json::JsonErrorKind;
    use std::error::Error as _;
    let err = invsync_json::read::<_, LedgerConfig>("{\n  \"strict\": tru }".as_bytes()).unwrap_err();
    assert_eq!((err.kind(), err.line(), err.column()), (JsonErrorKind::Syntax, 2, 16), "{err}");
    assert!(err.source().is_none());
    let err = invsync_json::read::<_, LedgerConfig>("{\"strict\": 3}".as_bytes()).unwrap_err();
    assert_eq!((err.kind(), err.line()), (JsonErrorKind::Data, 1), "{err}");
    let err = invsync_json::read::<_, LedgerConfig>("{\"strict\": ".as_bytes()).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::Eof, "{err}");

    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let err = invsync_json::write_pretty(Full, &LedgerConfig::default()).unwrap_err();
    assert_eq!(err.kind(), JsonErrorKind::Io);
    let source = err.source().and_then(|s| s.downcast_ref::<io::Error>()).expect("the io::Error as source");
    assert_eq!(source.kind(), io::ErrorKind::StorageFull);
}
