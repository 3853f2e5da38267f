//! Numeric and size edge cases, end to end: each gives a typed error or a documented
//! result, never a panic or a hang (docs/reliability.md lists them).

use invsync::csv::{CsvErrorKind, EventReaderBuilder, HistoryReaderBuilder, read_counts};
use invsync::demand::{Calendar, DemandHistory};
use invsync::json::journal::JournalReader;
use invsync::ledger::{Event, Ledger, LedgerConfig, LedgerError, Movement};
use invsync::plan::{ConfigError, ItemInput, PlanConfig, PlanError, plan_item};
use invsync::policy::{PolicyError, StockPosition};
use invsync::{EventId, ItemId, LocationId, Money, SourceId, Timestamp};

fn weekly(values: Vec<f64>) -> DemandHistory {
    DemandHistory::uncensored(Timestamp::from_days(19_000), Calendar::Week, values).unwrap()
}

fn plan(history: &DemandHistory, config: &PlanConfig) -> Result<invsync::plan::ItemPlan, PlanError> {
    plan_item(&ItemInput::new("edge", history, StockPosition::empty()), config)
}

#[test]
fn all_zero_history_orders_nothing() {
    let p = plan(&weekly(vec![0.0; 60]), &PlanConfig::default()).unwrap();
    assert_eq!(p.order_qty(), 0.0);
    let r = p.recommendation.unwrap();
    assert_eq!((r.target_stock, r.safety_stock), (0.0, 0.0));
}

#[test]
fn one_observation_is_a_cold_start_and_no_observation_is_blocked() {
    // One week of 5: planned from the fitted demand (Poisson floor), and it says so.
    let p = plan(&weekly(vec![5.0]), &PlanConfig::default()).unwrap();
    assert_eq!(p.diagnostics.level, 0);
    assert!(p.diagnostics.reason.contains("cold start"), "{}", p.diagnostics.reason);
    assert!(p.order_qty() >= 5.0, "{}", p.order_qty());
    // Nothing known: blocked with a reason, order 0.
    let p = plan(&weekly(vec![f64::NAN; 3]), &PlanConfig::default()).unwrap();
    assert!(p.recommendation.is_none());
    assert_eq!(p.order_qty(), 0.0);
    assert!(p.diagnostics.reason.contains("no usable demand observation"), "{}", p.diagnostics.reason);
}

#[test]
fn huge_demand_gives_finite_figures() {
    let values: Vec<f64> = (0..80).map(|t| 1e12 + 1e10 * f64::from(t % 5)).collect();
    let p = plan(&weekly(values), &PlanConfig::default()).unwrap();
    let r = p.recommendation.unwrap();
    let e = &r.evaluation;
    for x in [r.target_stock, r.order_qty, r.mu_w, r.sigma_w, r.safety_stock, e.expected_cost, e.fill_rate] {
        assert!(x.is_finite(), "{r:?}");
    }
    assert!(r.target_stock > 1e12);
}

#[test]
fn overflowing_sums_are_a_typed_error_not_a_hang() {
    use invsync::demand::ScenarioSet;
    use invsync::policy::{PolicyConfig, optimize};
    // Stock levels and cumulative demand that overflow f64 (infinity minus infinity is NaN)
    // once made the optimum's walk over the breakpoints loop for ever.
    for backorders in [true, false] {
        let c = PolicyConfig { backorders, lead_time: 2, review_period: 2, ..PolicyConfig::default() };
        let w = c.simulated_periods();
        let s = ScenarioSet::from_values(w, vec![f64::MAX; 200 * w]).unwrap();
        let pos = StockPosition { on_hand: f64::MAX, arrivals: vec![f64::MAX, f64::MAX] };
        assert_eq!(optimize(&s, &pos, &c, None).unwrap_err(), PolicyError::Overflow);
        // Large but summable values still plan.
        let s = ScenarioSet::from_values(w, vec![1e100; 200 * w]).unwrap();
        let pos = StockPosition { on_hand: 1e100, arrivals: vec![1e100, 1e100] };
        let r = optimize(&s, &pos, &c, None);
        assert!(r.is_ok(), "{r:?}");
    }
}

#[test]
fn non_finite_and_negative_values_are_refused_where_they_enter() {
    assert!(DemandHistory::uncensored(Timestamp::EPOCH, Calendar::Week, vec![1.0, f64::INFINITY]).is_err());
    assert!(DemandHistory::uncensored(Timestamp::EPOCH, Calendar::Week, vec![-1.0]).is_err());
    // NaN is a missing period, by definition.
    assert!(DemandHistory::uncensored(Timestamp::EPOCH, Calendar::Week, vec![1.0, f64::NAN, 2.0]).is_ok());
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        let mut c = PlanConfig::default();
        c.policy.holding = bad;
        let e = plan(&weekly(vec![3.0; 40]), &c).unwrap_err();
        // Settings no item can be planned with are `PlanError::Config`, not an item's error.
        assert!(matches!(e, PlanError::Config(ConfigError::Policy(PolicyError::BadCost { .. }))), "{e}");
    }
    let mut c = PlanConfig::default();
    c.policy.lead_time = usize::MAX;
    assert!(matches!(plan(&weekly(vec![3.0; 40]), &c), Err(PlanError::Config(ConfigError::Policy(_)))));
    let mut c = PlanConfig::default();
    c.demand.scenarios = usize::MAX;
    assert!(plan(&weekly(vec![3.0; 40]), &c).is_err());
    // In a history file an empty cell, `NA` or `NaN` is a missing period (documented) ...
    let text = "store,product,2024-01-01,2024-01-08\nS,P,1,NaN\n";
    let rec = HistoryReaderBuilder::new().wide(text.as_bytes()).unwrap().next().unwrap().unwrap();
    assert!(rec.history.values()[1].is_nan());
    // ... anything else that is not a finite number >= 0 is an error naming file, line,
    // column and value.
    for cell in ["inf", "-inf", "-3", "1e400", "x"] {
        let text = format!("store,product,2024-01-01,2024-01-08\nS,P,1,{cell}\n");
        let err = HistoryReaderBuilder::new().file("h.csv").wide(text.as_bytes()).unwrap().next().unwrap().unwrap_err();
        assert_eq!((err.file(), err.line()), (Some("h.csv"), 2), "{cell}: {err}");
        assert_eq!(err.value(), Some(cell), "{cell}: {err}");
    }
}

#[test]
fn ledger_extremes_are_typed_errors() {
    let mut l = Ledger::new(LedgerConfig::default());
    let ev = |id: &str, m| {
        Event::new(
            EventId::new(id).unwrap(),
            SourceId::new("s").unwrap(),
            ItemId::new("I").unwrap(),
            LocationId::new("L").unwrap(),
            Timestamp::from_days(1),
            m,
        )
    };
    assert!(matches!(l.apply(ev("a", Movement::receipt(i64::MAX))), Err(LedgerError::QuantityTooLarge { .. })));
    assert!(matches!(l.apply(ev("b", Movement::adjust(i64::MIN))), Err(LedgerError::QuantityTooLarge { .. })));
    let costly = Movement::receipt_at(1, Money::from_micros(i128::MAX));
    assert!(matches!(l.apply(ev("c", costly)), Err(LedgerError::UnitCostOutOfRange { .. })));
    // The largest admitted values still sum without overflow, or refuse with a typed error.
    let max = LedgerConfig::default().max_quantity;
    let top = Movement::receipt_at(max, Money::from_micros(invsync::ledger::MAX_UNIT_COST_MICROS));
    l.apply(ev("d", top.clone())).unwrap();
    for n in 0..10_000 {
        if let Err(e) = l.apply(ev(&format!("e{n}"), top.clone())) {
            assert!(matches!(e, LedgerError::Overflow { .. }), "{e}");
            return;
        }
    }
}

#[test]
fn empty_inputs_are_typed_errors_or_empty() {
    assert!(EventReaderBuilder::new().from_reader(&b""[..]).is_err());
    assert!(HistoryReaderBuilder::new().wide(&b""[..]).is_err());
    assert!(HistoryReaderBuilder::new().long(&b""[..]).is_err());
    assert!(HistoryReaderBuilder::new().in_stock(&b""[..]).is_err());
    assert!(HistoryReaderBuilder::new().state(&b""[..], &["store".into()]).is_err());
    assert!(read_counts(&b""[..], None).is_err());
    assert!(invsync::json::read::<_, PlanConfig>(&b""[..]).is_err());
    // An empty journal is a journal with no events (documented).
    assert_eq!(JournalReader::new(&b""[..]).count(), 0);
    // A header and nothing else: no records.
    let rdr = EventReaderBuilder::new().from_reader(&b"event_id,item,location,occurred_at,type,qty\n"[..]).unwrap();
    assert_eq!(rdr.count(), 0);
}

#[test]
fn a_million_columns_read_and_plan_in_linear_time() {
    // 1,000,000 daily periods (2000-01-01 to 4737): one header, one row.
    let start = Timestamp::from_date(2000, 1, 1).unwrap();
    let mut text = String::from("store,product");
    for t in 0..1_000_000i64 {
        let (y, m, d) = start.add_millis(t * invsync::MS_PER_DAY).to_date();
        text.push_str(&format!(",{y:04}-{m:02}-{d:02}"));
    }
    text.push_str("\nS,P");
    for t in 0..1_000_000 {
        text.push_str(if t % 3 == 0 { ",2" } else { ",1" });
    }
    text.push('\n');
    let mut rdr = HistoryReaderBuilder::new().wide(text.as_bytes()).unwrap();
    let rec = rdr.next().unwrap().unwrap();
    assert_eq!(rec.history.len(), 1_000_000);
    let mut c = PlanConfig::default();
    c.demand.scenarios = 200;
    let p = plan(&rec.history, &c).unwrap();
    assert!(p.recommendation.is_some());
    // A million columns that are not dates: a typed error naming the first bad one.
    let bad = format!("store,product{}\n", ",x".repeat(1_000_000));
    let err = HistoryReaderBuilder::new().wide(bad.as_bytes()).unwrap_err();
    assert_eq!(err.line(), 1, "{err}");
    assert!(!matches!(err.kind(), CsvErrorKind::Io(_)), "{err}");
}

/// A reader's i/o failure keeps the `io::Error` (kind, message, and as the source), after
/// the header as well as on the first read.
#[test]
fn csv_io_errors_keep_their_source() {
    use std::error::Error as _;
    use std::io::{self, Read};
    /// Gives `ok` bytes, then fails.
    struct Failing(&'static [u8]);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(io::ErrorKind::ConnectionReset, "link down"));
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let header = "event_id,item,location,occurred_at,type,qty\n";
    for bytes in [&b""[..], header.as_bytes()] {
        let err = match EventReaderBuilder::new().from_reader(Failing(bytes)) {
            Err(e) => e,
            Ok(mut rdr) => rdr.next().expect("an error, not the end").unwrap_err(),
        };
        let CsvErrorKind::Io(io) = err.kind() else { panic!("not an i/o error: {err}") };
        assert_eq!(io.kind(), io::ErrorKind::ConnectionReset);
        let source = err.source().and_then(|s| s.downcast_ref::<io::Error>()).expect("the io::Error as source");
        assert_eq!(source.to_string(), "link down");
        assert!(err.to_string().contains("i/o error: link down"), "{err}");
    }
    let err = read_counts(Failing(b""), Some("counts.csv")).unwrap_err();
    assert!(err.source().is_some_and(|s| s.is::<io::Error>()), "{err}");
}
