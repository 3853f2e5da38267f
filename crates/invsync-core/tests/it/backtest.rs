//! The time-major backtester: arithmetic by hand, one code path with plan, determinism.

use invsync_core::Timestamp;
use invsync_core::backtest::*;
use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::plan::{ItemInput, PlanConfig, plan_batch};
use invsync_core::policy::StockPosition;

/// Orders the same quantity for every item at every decision.
struct Fixed(f64);

impl Rule for Fixed {
    fn name(&self) -> String {
        "fixed".into()
    }
    fn orders(&self, _: usize, items: &[ItemView<'_>]) -> Result<Vec<f64>, invsync_core::plan::PlanError> {
        Ok(vec![self.0; items.len()])
    }
}

fn series(values: Vec<f64>, key: &str) -> Series {
    Series {
        key: key.into(),
        history: DemandHistory::uncensored(Timestamp::from_date(2022, 1, 3).unwrap(), Calendar::Week, values).unwrap(),
    }
}

#[test]
fn one_window_by_hand() {
    // 1 window of 4 periods, 2 decisions, count from period 2, warm-up 1, L = 1.
    let p = Protocol {
        windows: 1,
        window_periods: 4,
        decisions: 2,
        count_from: 2,
        warmup: 1,
        lead_time: 1,
        review_period: 1,
        holding: 0.5,
        shortage: 2.0,
    };
    // t_len 6: origin t0 = 6 - 1 - 4 = 1, start = 0. Demand 3 in every period.
    let s = [series(vec![3.0; 6], "a")];
    let r = run(&s, &Fixed(2.0), &p).unwrap();
    // Warm-up: decide at end of 0 (arrives at start of 2); period 1: 0 stock, lost 3.
    // Window from t0 = 1 (state: on hand 0, pipeline [2, 0]):
    // decide end of 1 (+2 at start of 3); p2: +2, sell 2, lost 1 (not counted)
    // decide end of 2 (+2 at 4); p3: +2, sell 2, lost 1 | p4: +2, sell 2, lost 1 | p5: 0, lost 3
    // counted periods 3..5: shortage (1 + 1 + 3) x 2 = 10, holding 0.
    assert_eq!(r.windows.len(), 1);
    assert_eq!(r.windows[0].0, 1);
    assert_eq!(r.total.shortage, 10.0);
    assert_eq!(r.total.holding, 0.0);
    assert_eq!((r.total.demand, r.total.sold), (9.0, 4.0));
    assert!(matches!(run(&s, &Fixed(1.0), &Protocol { windows: 2, ..p }), Err(BacktestError::TooShort { .. })));
}

fn synthetic() -> Vec<Series> {
    (0..12)
        .map(|i| {
            let v = (0..90)
                .map(|t| ((t * (i + 3) + i * 7) % 9) as f64 + if (t / 13) % 4 == 3 { 4.0 } else { 0.0 })
                .collect();
            series(v, &format!("S{}/P{i}", i % 3))
        })
        .collect()
}

#[test]
fn planner_rule_decides_what_plan_decides() {
    let s = synthetic();
    let config = PlanConfig::vn2();
    let t = 89;
    let positions: Vec<StockPosition> =
        (0..s.len()).map(|i| StockPosition { on_hand: i as f64, arrivals: vec![1.0, 0.0] }).collect();
    let views: Vec<ItemView<'_>> =
        s.iter().zip(&positions).map(|(x, p)| ItemView { key: &x.key, history: &x.history, position: p }).collect();
    let rule_orders = PlannerRule(config.clone()).orders(t, &views).unwrap();
    // What `invsync plan` does: pooled seasonality over the file, then plan_batch.
    let batch = config.for_batch(s.iter().map(|x| &x.history));
    let inputs: Vec<ItemInput<'_>> =
        s.iter().zip(&positions).map(|(x, p)| ItemInput::new(&x.key, &x.history, p.clone())).collect();
    let plan_orders: Vec<f64> = plan_batch(&inputs, &batch).into_iter().map(|p| p.unwrap().order_qty()).collect();
    assert_eq!(rule_orders, plan_orders);
}

#[test]
fn backtest_is_deterministic_and_thread_independent() {
    let s = synthetic();
    let p = Protocol { windows: 2, window_periods: 8, warmup: 4, ..Protocol::default() };
    let rule = PlannerRule(PlanConfig::vn2());
    let a = run(&s, &rule, &p).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let b = pool.install(|| run(&s, &rule, &p)).unwrap();
    assert_eq!(a, b);
    let base = run(&s, &OrganizerBenchmark::default(), &p).unwrap();
    assert_eq!(base.windows.len(), 2);
    assert!(base.total.cost() > 0.0 && a.total.cost() > 0.0);
}

#[test]
fn bad_protocols_are_typed_errors_not_panics_or_nan() {
    let s = synthetic();
    let p = Protocol { windows: 2, window_periods: 8, warmup: 4, ..Protocol::default() };
    let refused = |q: Protocol| run(&s, &Fixed(1.0), &q).unwrap_err();
    // windows 0 indexed an empty list of origins (a panic).
    assert!(matches!(refused(Protocol { windows: 0, ..p }), BacktestError::Protocol { name: "windows", .. }));
    assert!(matches!(
        refused(Protocol { window_periods: 0, ..p }),
        BacktestError::Protocol { name: "window_periods", .. }
    ));
    // count_from beyond the window counted nothing: 0 / 0 ratios.
    for c in [0, 9, usize::MAX] {
        assert!(matches!(refused(Protocol { count_from: c, ..p }), BacktestError::Protocol { name: "count_from", .. }));
    }
    // windows x window_periods + warmup overflowed (a panic, or a wrapped length).
    for q in [Protocol { windows: usize::MAX, ..p }, Protocol { warmup: usize::MAX, ..p }] {
        assert!(matches!(refused(q), BacktestError::TooShort { needed: usize::MAX, .. }), "{q:?}");
    }
    assert!(matches!(
        refused(Protocol { lead_time: usize::MAX, ..p }),
        BacktestError::Protocol { name: "lead_time", .. }
    ));
    assert!(matches!(refused(Protocol { holding: f64::NAN, ..p }), BacktestError::BadCost { name: "holding", .. }));
}

#[test]
fn planner_errors_propagate_instead_of_ordering_nothing() {
    let s = synthetic();
    let p = Protocol { windows: 1, window_periods: 4, warmup: 2, count_from: 1, ..Protocol::default() };
    let mut config = PlanConfig::vn2();
    config.demand.scenarios = 100_001;
    let e = run(&s, &PlannerRule(config), &p).unwrap_err();
    assert!(matches!(e, BacktestError::Rule { .. }), "{e}");
    assert!(e.to_string().contains("scenarios"), "{e}");
}
