//! `invsync ingest`, `replay --store` and `reconcile --store` with the real binary.

use std::path::Path;

use invsync_csv::EventReaderBuilder;

use crate::{invsync, scratch, stderr};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const EVENTS: &str = "examples/data/events.csv";

/// The bundled events as JSON Lines, in the core's JSON form.
fn bundled_as_jsonl(path: &Path) {
    let file = std::fs::File::open(crate::root().join(EVENTS)).unwrap();
    let mut text = String::new();
    for rec in EventReaderBuilder::new().from_reader(std::io::BufReader::new(file)).unwrap() {
        text.push_str(&serde_json::to_string(&rec.unwrap().event).unwrap());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn stored_events(db: &Path) -> usize {
    let o = invsync(&["replay", "--store", s(db)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    let n = e.split("replayed ").nth(1).and_then(|r| r.split(' ').next()).unwrap();
    n.parse().unwrap()
}

/// CSV and JSON Lines into stores: `replay --store` (latest and as of an instant) and
/// `reconcile --store` give byte for byte what the events file gives; ingesting again
/// stores nothing twice.
#[test]
fn a_store_answers_as_its_events_file_does() {
    let dir = scratch();
    let jsonl = dir.path().join("events.jsonl");
    bundled_as_jsonl(&jsonl);
    for (name, input) in [("csv.db", crate::root().join(EVENTS)), ("jsonl.db", jsonl.clone())] {
        let db = dir.path().join(name);
        let o = invsync(&["ingest", "--store", s(&db), "--events", s(&input), "--create"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains(" 0 duplicates"), "{}", stderr(&o));
        let n = stored_events(&db);
        assert!(n > 10, "{n} events stored");
        for extra in [&[][..], &["--as-of", "2024-04-04T00:00:00Z"][..]] {
            let mut a = vec!["replay", "--events", EVENTS];
            a.extend(extra);
            let from_file = invsync(&a);
            let mut b = vec!["replay", "--store", s(&db)];
            b.extend(extra);
            let from_store = invsync(&b);
            assert!(from_file.status.success() && from_store.status.success(), "{}", stderr(&from_store));
            assert_eq!(from_store.stdout, from_file.stdout, "{name} {extra:?}");
        }
        let rec = |src: &[&str]| {
            let mut a = vec!["reconcile", "--counts", "examples/data/counts.csv", "--as-of", "2024-04-07T00:00:00Z"];
            a.extend(src);
            invsync(&a)
        };
        let (from_file, from_store) = (rec(&["--events", EVENTS]), rec(&["--store", s(&db)]));
        assert!(from_store.status.success(), "{}", stderr(&from_store));
        assert_eq!(from_store.stdout, from_file.stdout, "{name}");

        // Exactly once: the same file again is all duplicates, and nothing is stored twice.
        let o = invsync(&["ingest", "--store", s(&db), "--events", s(&input)]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains(&format!("0 new, {n} duplicates")), "{}", stderr(&o));
        assert_eq!(stored_events(&db), n);
    }
}

/// A refused event, a bad line, a missing store without --create, a file that is not a
/// store: exit 2 naming what and where, and the store unchanged (or never created).
#[test]
fn bad_input_stores_nothing() {
    let dir = scratch();
    let db = dir.path().join("s.db");
    let missing = invsync(&["ingest", "--store", s(&db), "--events", EVENTS]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("--create"), "{}", stderr(&missing));
    assert!(!db.exists());

    let bad = dir.path().join("bad.jsonl");
    bundled_as_jsonl(&bad);
    let mut text = std::fs::read_to_string(&bad).unwrap();
    text.push_str("{\"id\": \"x\", \"source\": 7}\n");
    std::fs::write(&bad, &text).unwrap();
    let lines = text.lines().count();
    let o = invsync(&["ingest", "--store", s(&db), "--events", s(&bad), "--create"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("bad.jsonl:{lines}: json: ")), "{}", stderr(&o));
    assert!(stderr(&o).contains("column"), "{}", stderr(&o));
    assert!(!db.exists(), "a failed --create leaves no store");

    assert!(invsync(&["ingest", "--store", s(&db), "--events", EVENTS, "--create"]).status.success());
    let n = stored_events(&db);
    // A new receipt, then an issue of more than there is: refused, and the receipt before
    // it is not stored either.
    let refused = dir.path().join("refused.csv");
    std::fs::write(
        &refused,
        "event_id,item,location,occurred_at,type,qty\nn1,NEW,S9,2024-05-01,receipt,5\nn2,NEW,S9,2024-05-02,issue,50\n",
    )
    .unwrap();
    let o = invsync(&["ingest", "--store", s(&db), "--events", s(&refused)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("refused.csv:3: "), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was stored"), "{}", stderr(&o));
    assert_eq!(stored_events(&db), n);

    for (args, what) in [
        (vec!["replay", "--store", EVENTS], "corrupt"),
        (vec!["replay", "--store", s(&dir.path().join("none.db"))], "no such file"),
        (vec!["replay", "--store", s(&db), "--events", EVENTS], "cannot be used with"),
        (vec!["ingest", "--store", s(&db), "--events", s(&db)], "same file"),
    ] {
        let o = invsync(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(what), "{args:?}: {}", stderr(&o));
    }
}
