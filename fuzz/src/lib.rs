//! Fuzz harnesses for every invsync reader.
//!
//! Each function takes arbitrary bytes, reads them with one adapter and pushes whatever
//! parses through the core (a ledger, the planner, reconciliation), so a panic or a hang
//! anywhere on the way is found. The same functions are run two ways:
//!
//! * on stable, by proptest (`tests/any_bytes.rs`), in CI: arbitrary bytes and mutations of
//!   valid files;
//! * by libFuzzer, through the `fuzz/libfuzzer` package (a standalone package whose
//!   binaries call these functions), with `fuzz/run-stable.sh` on stable or cargo-fuzz:
//!
//! ```sh
//! cargo install cargo-fuzz
//! cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer csv_events -- -max_total_time=600
//! ```
//!
//! Work per input is bounded (records read, items planned), so a long input cannot make a
//! harness slow by design; a slow input is a finding.

#![forbid(unsafe_code)]

use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
use invsync_core::plan::{ItemInput, PlanConfig, plan_item};
use invsync_core::policy::StockPosition;
use invsync_core::sync::{ReconcileConfig, reconcile};
use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
use invsync_csv::{EventReaderBuilder, HistoryReaderBuilder, read_counts};
use invsync_json::journal::{JournalReader, Record};

/// Most records a harness reads from one input.
const MAX_RECORDS: usize = 2_000;
/// Most histories a harness plans from one input.
const MAX_PLANS: usize = 8;

/// A harness: bytes in, number of records accepted out.
pub type Harness = fn(&[u8]) -> usize;

/// Every harness, by name (the names of the `fuzz_targets/` binaries). Each returns how
/// many records it accepted.
pub const TARGETS: &[(&str, Harness)] = &[
    ("csv_events", csv_events),
    ("csv_history_wide", csv_history_wide),
    ("csv_history_long", csv_history_long),
    ("csv_in_stock", csv_in_stock),
    ("csv_state", csv_state),
    ("csv_counts", csv_counts),
    ("json_event", json_event),
    ("json_journal", json_journal),
    ("json_plan_config", json_plan_config),
    ("json_ledger_config", json_ledger_config),
];

fn small_plan_config() -> PlanConfig {
    let mut c = PlanConfig::default();
    c.demand.scenarios = 64;
    c
}

fn plan(key: &str, history: &DemandHistory, config: &PlanConfig) -> usize {
    let input = ItemInput::new(key, history, StockPosition::empty());
    usize::from(plan_item(&input, config).is_ok())
}

/// Applies the events to a fresh ledger; the number accepted.
fn apply_all(events: impl Iterator<Item = Event>) -> usize {
    let mut ledger = Ledger::new(LedgerConfig::default());
    events.take(MAX_RECORDS).filter(|e| ledger.apply(e.clone()).is_ok()).count()
}

/// CSV ledger events, applied to a ledger.
pub fn csv_events(data: &[u8]) -> usize {
    let Ok(rdr) = EventReaderBuilder::new().file("fuzz.csv").from_reader(data) else { return 0 };
    apply_all(rdr.filter_map(Result::ok).map(|r| r.event))
}

/// A wide demand history, each item planned.
pub fn csv_history_wide(data: &[u8]) -> usize {
    let Ok(rdr) = HistoryReaderBuilder::new().wide(data) else { return 0 };
    let config = small_plan_config();
    rdr.take(MAX_RECORDS).filter_map(Result::ok).take(MAX_PLANS).map(|r| plan("fuzz", &r.history, &config)).sum()
}

/// A long demand history, each item planned.
pub fn csv_history_long(data: &[u8]) -> usize {
    let Ok(rdr) = HistoryReaderBuilder::new().long(data) else { return 0 };
    let config = small_plan_config();
    rdr.take(MAX_RECORDS).filter_map(Result::ok).take(MAX_PLANS).map(|r| plan("fuzz", &r.history, &config)).sum()
}

/// In-stock flags.
pub fn csv_in_stock(data: &[u8]) -> usize {
    let Ok(rdr) = HistoryReaderBuilder::new().in_stock(data) else { return 0 };
    let mut n = 0;
    for r in rdr.take(MAX_RECORDS).flatten() {
        if let Ok(h) = DemandHistory::uncensored(r.start, Calendar::Week, vec![1.0; r.in_stock.len()]) {
            n += invsync_csv::apply_in_stock(&h, &r).len().min(1);
        }
    }
    n
}

/// A stock-state file (keys `store`, `product`, as in the bundled sample).
pub fn csv_state(data: &[u8]) -> usize {
    let keys = ["store".to_owned(), "product".to_owned()];
    let Ok(rdr) = HistoryReaderBuilder::new().state(data, &keys) else { return 0 };
    let Ok(history) = DemandHistory::uncensored(Timestamp::EPOCH, Calendar::Week, vec![3.0; 30]) else { return 0 };
    let config = small_plan_config();
    let mut n = 0;
    for r in rdr.take(MAX_RECORDS).filter_map(Result::ok).take(MAX_PLANS) {
        let input = ItemInput::new("fuzz", &history, r.position);
        n += usize::from(plan_item(&input, &config).is_ok());
    }
    n
}

/// Count records, reconciled against a small ledger.
pub fn csv_counts(data: &[u8]) -> usize {
    let Ok(counts) = read_counts(data, Some("fuzz.csv")) else { return 0 };
    let mut ledger = Ledger::new(LedgerConfig::default());
    if let (Ok(id), Ok(src), Ok(item), Ok(loc)) =
        (EventId::new("r"), SourceId::new("fuzz"), ItemId::new("A"), LocationId::new("L"))
    {
        let _ = ledger.apply(Event::new(id, src, item, loc, Timestamp::EPOCH, Movement::receipt(10)));
    }
    let n = counts.len().min(MAX_RECORDS);
    reconcile(&ledger, &counts[..n], Timestamp::from_days(1), &ReconcileConfig::default()).map_or(0, |r| r.lines.len())
}

/// One JSON event, applied.
pub fn json_event(data: &[u8]) -> usize {
    invsync_json::read::<_, Event>(data).map_or(0, |e| apply_all(std::iter::once(e)))
}

/// A JSON Lines journal, replayed.
pub fn json_journal(data: &[u8]) -> usize {
    let events = JournalReader::new(data).take(MAX_RECORDS).map_while(Result::ok).filter_map(|r| match r {
        Record::Event { event, .. } => Some(event),
        _ => None,
    });
    apply_all(events)
}

/// A planner configuration, used to plan a fixed history.
pub fn json_plan_config(data: &[u8]) -> usize {
    let Ok(config) = invsync_json::read::<_, PlanConfig>(data) else { return 0 };
    let values: Vec<f64> = (0..40).map(|t| f64::from(t % 7)).collect();
    DemandHistory::uncensored(Timestamp::EPOCH, Calendar::Week, values).map_or(0, |h| plan("fuzz", &h, &config))
}

/// A ledger configuration, used for a few events.
pub fn json_ledger_config(data: &[u8]) -> usize {
    let Ok(config) = invsync_json::read::<_, LedgerConfig>(data) else { return 0 };
    let mut ledger = Ledger::new(config);
    if let (Ok(src), Ok(item), Ok(loc)) = (SourceId::new("fuzz"), ItemId::new("A"), LocationId::new("L")) {
        for (n, m) in [Movement::receipt(5), Movement::issue(3), Movement::count(1)].into_iter().enumerate() {
            if let Ok(id) = EventId::new(format!("e{n}")) {
                let at = Timestamp::from_days(n as i64);
                let _ = ledger.apply(Event::new(id, src.clone(), item.clone(), loc.clone(), at, m));
            }
        }
    }
    ledger.len()
}
