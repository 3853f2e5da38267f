//! Batch planning and the backtester.

use invsync_core::Timestamp;
use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::plan::*;
use invsync_core::policy::{PolicyConfig, StockPosition};

fn history(seed: usize, n: usize) -> DemandHistory {
    let values =
        (0..n).map(|t| ((t * 7 + seed * 13) % 11) as f64 + if seed.is_multiple_of(3) { 0.0 } else { 5.0 }).collect();
    DemandHistory::uncensored(Timestamp::from_date(2021, 4, 12).unwrap(), Calendar::Week, values).unwrap()
}

#[test]
fn batch_is_order_and_thread_independent() {
    let histories: Vec<DemandHistory> = (0..24).map(|i| history(i, 40 + i * 3)).collect();
    let keys: Vec<String> = (0..24).map(|i| format!("S{}/P{i}", i % 4)).collect();
    let inputs: Vec<ItemInput<'_>> = (0..24)
        .map(|i| ItemInput {
            key: &keys[i],
            history: &histories[i],
            position: StockPosition { on_hand: (i % 9) as f64, arrivals: vec![1.0, 0.0] },
            consensus: None,
        })
        .collect();
    let config = PlanConfig { seed: 7, ..PlanConfig::default() };
    let forward = plan_batch(&inputs, &config);
    let mut reversed_inputs = inputs.clone();
    reversed_inputs.reverse();
    let mut reversed = plan_batch(&reversed_inputs, &config);
    reversed.reverse();
    assert_eq!(forward, reversed);
    // One item alone gives what it gave in the batch.
    assert_eq!(plan_item(&inputs[5], &config), forward[5]);
    #[cfg(feature = "parallel")]
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        assert_eq!(pool.install(|| plan_batch(&inputs, &config)), forward, "{threads} threads");
    }
}

#[test]
fn blocked_items_order_nothing() {
    let h = history(1, 5);
    let input = ItemInput { key: "new", history: &h, position: StockPosition::empty(), consensus: None };
    let plan = plan_item(&input, &PlanConfig::default()).unwrap();
    assert!(plan.recommendation.is_none());
    assert_eq!(plan.order_qty(), 0.0);
    assert_eq!(plan.diagnostics.level, 0);
}

/// Orders a fixed quantity at every decision.
struct Fixed(f64);

impl OrderRule for Fixed {
    fn order(&self, _: &str, _: &DemandHistory, _: &StockPosition) -> Result<f64, invsync_core::plan::PlanError> {
        Ok(self.0)
    }
}

#[test]
fn replay_by_hand() {
    // Demand after the origin (period 3 onwards): 4, 4, 4, 4.
    let h =
        DemandHistory::uncensored(Timestamp::EPOCH, Calendar::Week, vec![9.0, 9.0, 9.0, 4.0, 4.0, 4.0, 4.0]).unwrap();
    let policy =
        PolicyConfig { lead_time: 2, review_period: 1, holding: 0.5, shortage: 2.0, ..PolicyConfig::default() };
    let window = Replay { origin: 2, periods: 4, decisions: 2, count_from: 1 };
    let start = SimState { on_hand: 6.0, pipeline: vec![1.0, 0.0] };
    let (r, end) = replay("x", &h, &Fixed(3.0), &policy, &window, &start).unwrap();
    // p1: 6+1=7, sell 4, end 3 | p2: 3+0, sell 3, lost 1, end 0
    // p3: +3 (1st order), sell 3, lost 1, end 0 | p4: +3 (2nd order), sell 3, lost 1, end 0
    assert_eq!(r.holding, 0.5 * 3.0);
    assert_eq!(r.shortage, 2.0 * 3.0);
    assert_eq!((r.demand, r.sold), (16.0, 13.0));
    assert_eq!(end.on_hand, 0.0);
    // Counting from period 3 only.
    let (late, _) = replay("x", &h, &Fixed(3.0), &policy, &Replay { count_from: 3, ..window }, &start).unwrap();
    assert_eq!(late.cost(), 4.0);
}

#[test]
fn planner_rule_is_plan_item() {
    let h = history(2, 60);
    let config = PlanConfig::default();
    let pos = StockPosition { on_hand: 3.0, arrivals: vec![2.0, 0.0] };
    let direct =
        plan_item(&ItemInput { key: "k", history: &h, position: pos.clone(), consensus: None }, &config).unwrap();
    assert_eq!(Planner(config).order("k", &h, &pos), Ok(direct.order_qty()));
}
