//! `invsync plan --store`: the ledger <-> planner bridge on a seeded store.
//!
//! A generator simulates a year of a retailer (a DC and six stores, six items): sales
//! (issues, and commits shipped by fulfilments), returns to stock and to damaged, scrap,
//! sales cancelled right after being posted, replenishment by purchase orders (received
//! in full, in part, or closed short, some late) and by transfers from the DC (some
//! without an expected date), stock-outs when replenishment lags, and a few events after
//! the as-of instant. It writes the events into a store and, on its own books, the weekly
//! demand, the out-of-stock weeks and the stock position as of the end of the year
//! (docs/bridge.md's rules written out by hand), as the CSV files the CSV path reads.

use std::collections::BTreeMap;
use std::path::Path;

use invsync_core::bridge::{Bridge, PlanningCalendar};
use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::ledger::{Bucket, Event, LedgerConfig, Movement};
use invsync_core::policy::StockPosition;
use invsync_core::rng::stream;
use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
use invsync_csv::{HistoryReaderBuilder, LongHistoryWriter, StateWriter};
use invsync_store::{DurableLedger, SqliteStore};

use super::{invsync, scratch, stderr};

/// Days simulated before the as-of instant (52 weeks from Monday 2024-01-01).
const DAYS: i64 = 364;
/// Days simulated after it (their events must not count).
const AFTER: i64 = 5;
const LEAD_TIME: usize = 2;
const ITEMS: usize = 6;
const STORES: usize = 6;

fn day(d: i64) -> Timestamp {
    Timestamp::from_date(2024, 1, 1).unwrap().add_millis(d * invsync_core::MS_PER_DAY)
}

fn at(d: i64, hour: i64, minute: i64) -> Timestamp {
    day(d).add_millis((hour * 60 + minute) * 60_000)
}

/// An open purchase-order line or transfer on the generator's books.
#[derive(Debug, Clone)]
struct Line {
    id: String,
    remaining: i64,
    /// Expected day (None: a transfer without an expected date).
    expected: Option<i64>,
    /// The day it (or its next part) arrives.
    arrives: i64,
    /// 0: in full; 1: half now, the rest 5 days later; 2: 70 % and closed short.
    mode: u32,
    transfer: bool,
}

/// One item x location on the generator's books.
#[derive(Debug, Clone, Default)]
struct Books {
    available: i64,
    lines: Vec<Line>,
    demand: Vec<i64>,
    censored: Vec<bool>,
    position: Option<StockPosition>,
}

impl Books {
    fn year() -> Self {
        Books { demand: vec![0; (DAYS / 7) as usize], censored: vec![false; (DAYS / 7) as usize], ..Books::default() }
    }

    /// After a counted change of available on day `d`.
    fn touch(&mut self, d: i64) {
        if d < DAYS && self.available <= 0 {
            self.censored[(d / 7) as usize] = true;
        }
    }

    fn sold(&mut self, d: i64, qty: i64) {
        if d < DAYS {
            self.demand[(d / 7) as usize] += qty;
        }
    }
}

struct World {
    events: Vec<Event>,
    books: BTreeMap<(String, String), Books>,
    next: u64,
}

impl World {
    fn post(&mut self, item: &str, loc: &str, when: Timestamp, m: Movement) -> String {
        self.next += 1;
        let id = format!("e{}", self.next);
        let e = Event::new(
            EventId::new(id.as_str()).unwrap(),
            SourceId::new("erp").unwrap(),
            ItemId::new(item).unwrap(),
            LocationId::new(loc).unwrap(),
            when,
            m,
        );
        self.events.push(e);
        id
    }

    fn books(&mut self, item: &str, loc: &str) -> &mut Books {
        self.books.entry((item.to_owned(), loc.to_owned())).or_insert_with(Books::year)
    }
}

/// The seeded year: every event, and the generator's own books per item x location.
fn generate(seed: u64) -> World {
    let mut rng = stream(seed, "bridge-world");
    let mut w = World { events: Vec::new(), books: BTreeMap::new(), next: 0 };
    let items: Vec<String> = (1..=ITEMS).map(|i| format!("SKU-{i:02}")).collect();
    let stores: Vec<String> = (1..=STORES).map(|s| format!("S{s:02}")).collect();
    // Mean daily demand x 2 per item x store, and each store's review weekday.
    let mut rate = BTreeMap::new();
    for i in &items {
        for s in &stores {
            rate.insert((i.clone(), s.clone()), 1 + rng.bounded(8));
        }
    }
    let review: Vec<i64> = (0..STORES).map(|_| i64::from(rng.bounded(7))).collect();
    // Opening stock, before the anchor: stock, not demand.
    for i in &items {
        w.post(i, "DC", at(-4, 6, 0), Movement::receipt(1500));
        w.books(i, "DC").available = 1500;
        for s in &stores {
            let q = 10 + i64::from(rng.bounded(30));
            w.post(i, s, at(-3, 7, 0), Movement::receipt(q));
            w.books(i, s).available = q;
        }
    }
    for d in 0..DAYS + AFTER {
        if d == DAYS {
            // The as-of instant: snapshot every position (on hand, lines by period).
            for b in w.books.values_mut() {
                let mut arrivals = vec![0.0; LEAD_TIME];
                for l in b.lines.iter().filter(|l| l.remaining > 0) {
                    let h = l.expected.map_or(1, |e| ((e - DAYS).div_euclid(7) + 1).max(1)) as usize;
                    arrivals[h.min(LEAD_TIME) - 1] += l.remaining as f64;
                }
                b.position = Some(StockPosition { on_hand: b.available.max(0) as f64, arrivals });
            }
        }
        for i in &items {
            // The DC: a delivery every four weeks.
            if d % 28 == 10 {
                w.post(i, "DC", at(d, 6, 0), Movement::receipt(600));
                let b = w.books(i, "DC");
                b.available += 600;
                b.touch(d);
            }
            for (si, s) in stores.iter().enumerate() {
                let r = i64::from(rate[&(i.clone(), s.clone())]);
                // Arrivals due today.
                let due: Vec<Line> =
                    w.books(i, s).lines.iter().filter(|l| l.arrives == d && l.remaining > 0).cloned().collect();
                for l in due {
                    let (qty, close) = match l.mode {
                        1 => ((l.remaining / 2).max(1), false),
                        2 => ((l.remaining * 7 / 10).max(1), true),
                        _ => (l.remaining, false),
                    };
                    let target = EventId::new(l.id.as_str()).unwrap();
                    let m = if l.transfer {
                        Movement::TransferIn { transfer: target, qty, close }
                    } else {
                        Movement::Receipt { qty, unit_cost: None, to: Bucket::Available, against: Some(target), close }
                    };
                    w.post(i, s, at(d, 7, 0), m);
                    let b = w.books(i, s);
                    b.available += qty;
                    b.touch(d);
                    let line = b.lines.iter_mut().find(|x| x.id == l.id).unwrap();
                    line.remaining = if close { 0 } else { line.remaining - qty.min(line.remaining) };
                    // The rest of a partial delivery comes five days later, in full.
                    line.mode = 0;
                    line.arrives = d + 5;
                }
                w.books(i, s).lines.retain(|l| l.remaining > 0);
                // Sales: uniform 0 ..= 2 x the mean, as much as is available.
                let want = i64::from(rng.bounded(2 * r as u32 + 1));
                let qty = want.min(w.books(i, s).available);
                if qty > 0 {
                    if rng.bounded(10) < 3 {
                        w.post(i, s, at(d, 10, 0), Movement::commit(qty, Bucket::Available));
                        w.books(i, s).available -= qty;
                        w.books(i, s).touch(d);
                        w.post(i, s, at(d, 10, 30), Movement::fulfil(qty, Bucket::Committed));
                    } else {
                        w.post(i, s, at(d, 11, 0), Movement::issue(qty));
                        w.books(i, s).available -= qty;
                        w.books(i, s).touch(d);
                    }
                    w.books(i, s).sold(d, qty);
                }
                // A sale posted in error and cancelled: no trace in demand or stock.
                if w.books(i, s).available >= 1 && rng.bounded(100) < 4 {
                    let id = w.post(i, s, at(d, 16, 0), Movement::issue(1));
                    w.post(i, s, at(d, 16, 5), Movement::cancel(EventId::new(id).unwrap()));
                }
                // Returns: to stock (netted from demand), or to damaged (netted too).
                match rng.bounded(100) {
                    0..=4 => {
                        w.post(i, s, at(d, 17, 0), Movement::customer_return(1, Bucket::Available));
                        let b = w.books(i, s);
                        b.available += 1;
                        b.sold(d, -1);
                        b.touch(d);
                    }
                    5..=6 => {
                        w.post(i, s, at(d, 17, 0), Movement::customer_return(2, Bucket::Damaged));
                        w.books(i, s).sold(d, -2);
                    }
                    _ => {}
                }
                // Scrap: damaged, then issued from damaged (not demand).
                if w.books(i, s).available >= 1 && rng.bounded(100) < 2 {
                    w.post(i, s, at(d, 18, 0), Movement::damage(1, Bucket::Available));
                    w.books(i, s).available -= 1;
                    w.books(i, s).touch(d);
                    w.post(i, s, at(d, 18, 30), Movement::Issue { qty: 1, from: Bucket::Damaged, unit_cost: None });
                }
                // Weekly review: below 16 days of mean demand, order up to 28 days' (lead
                // times of 3 to 14 days, some late, partial or short: stock-outs happen).
                if d.rem_euclid(7) == review[si] {
                    let b = w.books(i, s);
                    let position = b.available + b.lines.iter().map(|l| l.remaining).sum::<i64>();
                    if position < 16 * r {
                        let qty = 28 * r - position;
                        let mode = rng.bounded(3);
                        let lead = 3 + i64::from(rng.bounded(12));
                        let late = i64::from(rng.bounded(5)) - 1;
                        let dc_stock = w.books(i, "DC").available;
                        if rng.bounded(2) == 0 && dc_stock >= qty {
                            let dated = rng.bounded(5) > 0;
                            let expected = dated.then_some(d + lead);
                            let m = Movement::TransferOut {
                                to: LocationId::new(s.as_str()).unwrap(),
                                qty,
                                expected_at: expected.map(day),
                                unit_cost: None,
                            };
                            let id = w.post(i, "DC", at(d, 20, 0), m);
                            let dc = w.books(i, "DC");
                            dc.available -= qty;
                            dc.touch(d);
                            let arrives = d + lead + late.max(0);
                            w.books(i, s).lines.push(Line {
                                id,
                                remaining: qty,
                                expected,
                                arrives,
                                mode: 0,
                                transfer: true,
                            });
                        } else {
                            let expected = d + lead;
                            let id = w.post(i, s, at(d, 20, 0), Movement::schedule_receipt(qty, day(expected)));
                            let arrives = expected + late;
                            w.books(i, s).lines.push(Line {
                                id,
                                remaining: qty,
                                expected: Some(expected),
                                arrives,
                                mode,
                                transfer: false,
                            });
                        }
                    }
                }
            }
        }
        // A week starting with nothing available is out of stock, whatever happens in it.
        if (d + 1) % 7 == 0 && d + 1 < DAYS {
            for b in w.books.values_mut() {
                if b.available <= 0 {
                    b.censored[((d + 1) / 7) as usize] = true;
                }
            }
        }
    }
    w
}

/// The generator's books as the CSV path's files.
fn write_books(w: &World, history: &Path, state: &Path) {
    let keys = vec!["item".to_owned(), "location".to_owned()];
    let mut h = std::fs::File::create(history).unwrap();
    let mut hw = LongHistoryWriter::new(&mut h, &keys).unwrap();
    let mut s = std::fs::File::create(state).unwrap();
    let mut sw = StateWriter::new(&mut s, &keys, LEAD_TIME).unwrap();
    for ((item, loc), b) in &w.books {
        let key = vec![item.clone(), loc.clone()];
        let values = b.demand.iter().map(|&v| v.max(0) as f64).collect();
        let history = DemandHistory::new(day(0), Calendar::Week, values, b.censored.clone()).unwrap();
        hw.write(&key, &history).unwrap();
        sw.write(&key, b.position.as_ref().unwrap()).unwrap();
    }
    hw.flush().unwrap();
    sw.flush().unwrap();
}

fn build_store(w: &World, db: &Path) {
    let mut ledger = DurableLedger::open(SqliteStore::create(db, &LedgerConfig::default()).unwrap()).unwrap();
    for batch in w.events.chunks(2_000) {
        ledger.append(batch).unwrap();
    }
}

fn weeks() -> PlanningCalendar {
    PlanningCalendar::new(Calendar::Week, day(0)).unwrap()
}

const STORE_ARGS: [&str; 6] = ["--calendar", "week", "--anchor", "2024-01-01", "--as-of", "2024-12-30"];

/// `invsync plan` with the VN2 rules, a few scenarios, and `extra`.
fn plan(extra: &[&str], out: &Path) -> std::process::Output {
    let mut args = vec!["plan"];
    args.extend(super::VN2_RULES);
    args.extend(["--scenarios", "200", "--threads", "2"]);
    args.extend(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    let json = out.with_extension("json");
    args.extend(["--json", json.to_str().unwrap()]);
    invsync(&args)
}

#[track_caller]
fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    stderr(o)
}

#[track_caller]
fn same_files(a: &Path, b: &Path) {
    let (x, y) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(x == y, "{} and {} differ", a.display(), b.display());
}

#[test]
fn the_bridge_equals_the_csv_path_and_plans_alike() {
    let w = generate(23);
    // The world is what the test says it is: stock-outs, returns, cancels, lines open.
    let censored = w.books.values().flat_map(|b| &b.censored).filter(|c| **c).count();
    let cancels = w.events.iter().filter(|e| matches!(e.movement, Movement::Cancel { .. })).count();
    let open: Vec<_> = w.books.values().map(|b| b.position.as_ref().unwrap().arrivals.iter().sum::<f64>()).collect();
    let in_transit = w.events.iter().filter(|e| matches!(e.movement, Movement::TransferOut { .. })).count();
    assert_eq!(w.books.len(), ITEMS * (STORES + 1));
    let periods = w.books.len() * (DAYS / 7) as usize;
    eprintln!(
        "{censored} of {periods} weeks censored, {cancels} cancels, {in_transit} transfers, {} events",
        w.events.len()
    );
    assert!(
        censored > 50 && censored < periods / 3 && cancels > 50 && in_transit > 50,
        "{censored} {cancels} {in_transit}"
    );
    assert!(open.iter().filter(|v| **v > 0.0).count() >= 5, "{open:?}");
    assert!(w.books.values().any(|b| b.demand.contains(&0)));

    let dir = scratch();
    let p = |name: &str| dir.path().join(name);
    build_store(&w, &p("ledger.db"));
    write_books(&w, &p("books_history.csv"), &p("books_state.csv"));

    // The bridge, as a library, against the books read by the CSV path.
    let ledger = DurableLedger::open(SqliteStore::open_read_only(p("ledger.db")).unwrap()).unwrap();
    let bridge = Bridge::new(ledger.ledger(), weeks(), day(DAYS)).unwrap();
    let items = bridge.items(|_, _| LEAD_TIME).unwrap();
    let b = HistoryReaderBuilder::new();
    let histories: Vec<_> =
        b.long(std::fs::File::open(p("books_history.csv")).unwrap()).unwrap().map(Result::unwrap).collect();
    let states: Vec<_> = b
        .state(std::fs::File::open(p("books_state.csv")).unwrap(), &["item".into(), "location".into()])
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items.len(), histories.len());
    for ((got, h), s) in items.iter().zip(&histories).zip(&states) {
        assert_eq!(vec![got.item.to_string(), got.location.to_string()], h.key);
        assert_eq!(got.history, h.history, "history of {}", got.key());
        assert_eq!(got.position, s.position, "position of {}", got.key());
    }
    // The ledger agrees on what is open (incoming + in transit) for every item x location.
    for i in &items {
        let lv = ledger.ledger().levels_at(&i.item, &i.location, day(DAYS).add_millis(-1));
        let open = (lv.incoming + lv.in_transit) as f64;
        assert_eq!(i.position.arrivals.iter().sum::<f64>(), open, "{}", i.key());
    }
    drop(ledger);

    // The command line: the store's plan, the plan of its exported CSVs and the plan of the
    // books are one plan, bit for bit.
    let db = p("ledger.db");
    let db = db.to_str().unwrap();
    let export = p("export");
    let mut args = vec!["--store", db, "--export-dir", export.to_str().unwrap()];
    args.extend(STORE_ARGS);
    let msg = ok(&plan(&args, &p("store.csv")));
    assert!(msg.contains(&format!("planned {} items", ITEMS * (STORES + 1))), "{msg}");
    same_files(&export.join("history.csv"), &p("books_history.csv"));
    same_files(&export.join("state.csv"), &p("books_state.csv"));
    for (name, history, state) in [
        ("exported", export.join("history.csv"), export.join("state.csv")),
        ("books", p("books_history.csv"), p("books_state.csv")),
    ] {
        let out = p(&format!("{name}.csv"));
        ok(&plan(&["--history", history.to_str().unwrap(), "--state", state.to_str().unwrap()], &out));
        same_files(&p("store.csv"), &out);
        same_files(&p("store.json"), &out.with_extension("json"));
    }
    // Per-item lead times (`--items`): each position has its own arrival slots, and the
    // exported state as many columns as the longest.
    std::fs::write(p("items.csv"), "item,location,lead_time\nSKU-01,S01,3\nSKU-02,S03,1\nSKU-03,S02,0\n").unwrap();
    let items_csv = p("items.csv");
    let items_arg = ["--items", items_csv.to_str().unwrap()];
    let export3 = p("export3");
    let mut args3 = vec!["--store", db, "--export-dir", export3.to_str().unwrap()];
    args3.extend(STORE_ARGS);
    args3.extend(items_arg);
    ok(&plan(&args3, &p("store3.csv")));
    let state3 = std::fs::read_to_string(export3.join("state.csv")).unwrap();
    assert!(state3.starts_with("item,location,on_hand,arriving_1,arriving_2,arriving_3\n"), "{state3}");
    let (h3, s3) = (export3.join("history.csv"), export3.join("state.csv"));
    let mut csv3 = vec!["--history", h3.to_str().unwrap(), "--state", s3.to_str().unwrap()];
    csv3.extend(items_arg);
    ok(&plan(&csv3, &p("exported3.csv")));
    same_files(&p("store3.csv"), &p("exported3.csv"));
    assert!(std::fs::read(p("store3.csv")).unwrap() != std::fs::read(p("store.csv")).unwrap());

    let plan_text = std::fs::read_to_string(p("store.csv")).unwrap();
    assert!(plan_text.starts_with("item,location,order_qty,"));
    assert!(plan_text.lines().skip(1).any(|l| l.split(',').nth(2).is_some_and(|q| q != "0")), "{plan_text}");
}

/// The events of the store with the plan's source.
fn posted(db: &Path) -> Vec<Event> {
    let ledger = DurableLedger::open(SqliteStore::open_read_only(db).unwrap()).unwrap();
    ledger.ledger().events().filter(|e| e.source.as_str() == "invsync-plan").cloned().collect()
}

#[test]
fn commit_twice_posts_once() {
    let w = generate(7);
    let dir = scratch();
    let p = |name: &str| dir.path().join(name);
    build_store(&w, &p("ledger.db"));
    let db = p("ledger.db");
    let with = |extra: &[&'static str]| {
        let mut a: Vec<&str> = vec!["--store", db.to_str().unwrap()];
        a.extend(STORE_ARGS);
        a.extend(extra.iter().copied());
        a
    };
    // A preview under the plan id, then the commit: the same plan.
    ok(&plan(&with(&["--plan-id", "2024-W53"]), &p("preview.csv")));
    let first = ok(&plan(&with(&["--plan-id", "2024-W53", "--commit"]), &p("first.csv")));
    same_files(&p("preview.csv"), &p("first.csv"));
    let orders: Vec<(String, i64)> = std::fs::read_to_string(p("first.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (format!("{}/{}", f[0], f[1]), f[2].parse().unwrap())
        })
        .filter(|(_, q)| *q > 0)
        .collect();
    assert!(orders.len() >= 3, "{orders:?}");
    let events = posted(&db);
    assert!(first.contains(&format!("{} scheduled receipts posted", orders.len())), "{first}");
    let got: Vec<(String, i64)> = events
        .iter()
        .map(|e| match e.movement {
            Movement::ScheduleReceipt { qty, expected_at } => {
                // Expected at the start of period L + 1, dated just before the as-of instant.
                assert_eq!(expected_at, day(DAYS + 7 * LEAD_TIME as i64));
                assert_eq!(e.occurred_at, day(DAYS).add_millis(-1));
                (format!("{}/{}", e.item, e.location), qty)
            }
            ref m => panic!("{m:?}"),
        })
        .collect();
    assert_eq!(got, orders);
    // Again: the same plan, nothing new posted.
    let second = ok(&plan(&with(&["--plan-id", "2024-W53", "--commit"]), &p("second.csv")));
    same_files(&p("first.csv"), &p("second.csv"));
    assert!(
        second.contains(&format!("0 scheduled receipts posted to {}, {} already there", db.display(), orders.len())),
        "{second}"
    );
    assert_eq!(posted(&db), events);
    // The store changes (a sale before the as-of instant): the same plan id would now
    // order otherwise, which is refused, posting nothing.
    {
        let mut ledger = DurableLedger::open(SqliteStore::open(&db).unwrap()).unwrap();
        let e = Event::new(
            EventId::new("late-sale").unwrap(),
            SourceId::new("pos").unwrap(),
            ItemId::new(orders[0].0.split('/').next().unwrap()).unwrap(),
            LocationId::new(orders[0].0.split('/').nth(1).unwrap()).unwrap(),
            at(DAYS - 1, 23, 0),
            Movement::customer_return(50, Bucket::Available),
        );
        ledger.append(&[e]).unwrap();
    }
    let o = plan(&with(&["--plan-id", "2024-W53", "--commit"]), &p("third.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let want = format!("plan \"2024-W53\" was posted before with an order of {} for item SKU", orders[0].1);
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
    assert!(!p("third.csv").exists());
    assert_eq!(posted(&db), events);
    // Another plan id sees those orders on order and orders less.
    ok(&plan(&with(&["--plan-id", "2024-W53-bis"]), &p("other.csv")));
    let total = |f: &str| -> i64 {
        std::fs::read_to_string(p(f))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().parse::<i64>().unwrap())
            .sum()
    };
    assert!(total("other.csv") < total("first.csv"), "{} {}", total("other.csv"), total("first.csv"));
}

#[test]
fn store_inputs_errors_are_exit_2_naming_the_problem() {
    let dir = scratch();
    let p = |name: &str| dir.path().join(name);
    let w = generate(3);
    build_store(&w, &p("ledger.db"));
    let db = p("ledger.db");
    let db = db.to_str().unwrap();
    for (extra, want) in [
        (vec!["--anchor", "2024-01-01", "--as-of", "2024-12-31"], "is not a period start"),
        (vec!["--anchor", "2024-01-01T06:00:00Z"], "is not a date"),
        (vec!["--calendar", "month", "--anchor", "2024-01-30"], "after the 28th"),
        (vec!["--anchor", "2024-01-01", "--as-of", "2023-01-02"], "is not after the calendar anchor"),
        (vec!["--as-of", "someday"], "--as-of"),
        (vec!["--plan-id", "", "--commit"], "plan id"),
    ] {
        let mut args = vec!["--store", db];
        args.extend(extra.iter().copied());
        let o = plan(&args, &p("out.csv"));
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
        assert!(!p("out.csv").exists());
    }
    // Without --as-of: the period start after the latest event (the world runs five days
    // into 2025: as of Monday 2025-01-06).
    let latest = w.events.iter().map(|e| e.occurred_at).max().unwrap();
    assert_eq!(latest.to_string().get(..10), Some("2025-01-03"));
    let mut implicit = vec!["--store", db, "--anchor", "2024-01-01"];
    implicit.extend(["--export-dir", dir.path().to_str().unwrap()]);
    ok(&plan(&implicit, &p("implicit.csv")));
    ok(&plan(&["--store", db, "--anchor", "2024-01-01", "--as-of", "2025-01-06"], &p("explicit.csv")));
    same_files(&p("implicit.csv"), &p("explicit.csv"));
    let h = std::fs::read_to_string(p("history.csv")).unwrap();
    assert!(h.lines().last().unwrap().contains(",2024-12-30,"), "{}", h.lines().last().unwrap());
    // Not a store.
    std::fs::write(p("not.db"), b"hello").unwrap();
    let o = plan(&["--store", p("not.db").to_str().unwrap()], &p("out.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // --commit without --plan-id, or with CSV inputs, is a usage error.
    let o = plan(&["--store", db, "--commit"], &p("out.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = plan(&["--store", db, "--history", "examples/data/history.csv"], &p("out.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
