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
        .map(|i| {
            ItemInput::new(&keys[i], &histories[i], StockPosition { on_hand: (i % 9) as f64, arrivals: vec![1.0, 0.0] })
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
fn new_items_are_planned_and_only_items_without_evidence_order_nothing() {
    let h = history(1, 5);
    let input = ItemInput::new("new", &h, StockPosition::empty());
    let plan = plan_item(&input, &PlanConfig::default()).unwrap();
    assert_eq!(plan.diagnostics.level, 0);
    assert!(plan.diagnostics.reason.contains("cold start"), "{}", plan.diagnostics.reason);
    // Mean demand ~10 a week, nothing on hand or on order: the order arrives after L = 2
    // weeks of lost sales and covers R = 1 week, so at least that week's mean.
    assert!(plan.order_qty() >= 10.0, "{}", plan.order_qty());
    let empty = DemandHistory::uncensored(Timestamp::from_date(2021, 4, 12).unwrap(), Calendar::Week, vec![]).unwrap();
    let input = ItemInput::new("empty", &empty, StockPosition::empty());
    let plan = plan_item(&input, &PlanConfig::default()).unwrap();
    assert!(plan.recommendation.is_none());
    assert_eq!(plan.order_qty(), 0.0);
}

/// The death spiral of issue 27: 8 weeks of sales, then weeks out of stock (selling little,
/// flagged): the item is planned from its in-stock weeks and the censored ones, never
/// starved of history, and orders with nothing on hand or on order.
#[test]
fn stocked_out_short_items_keep_ordering() {
    let mut values = vec![12.0, 9.0, 11.0, 10.0, 8.0, 13.0, 10.0, 11.0];
    let mut censored = vec![false; 8];
    for week in 0..10 {
        values.push(if week % 2 == 0 { 0.0 } else { 3.0 });
        censored.push(true);
        let h = DemandHistory::new(
            Timestamp::from_date(2021, 4, 12).unwrap(),
            Calendar::Week,
            values.clone(),
            censored.clone(),
        )
        .unwrap();
        let input = ItemInput::new("spiral", &h, StockPosition::empty());
        for config in [PlanConfig::default(), PlanConfig::vn2()] {
            let plan = plan_item(&input, &config).unwrap();
            // Mean 10.5 a week: the order covers the R = 1 week after the lead time.
            assert!(plan.order_qty() >= 10.0, "week {week}: {} ({})", plan.order_qty(), plan.diagnostics.reason);
        }
    }
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
    let direct = plan_item(&ItemInput::new("k", &h, pos.clone()), &config).unwrap();
    assert_eq!(Planner(config).order("k", &h, &pos), Ok(direct.order_qty()));
}

/// An item's own settings plan exactly as a configuration with those fields would, and
/// invalid combinations are typed errors naming the item (nothing is planned).
#[test]
fn item_settings_plan_as_their_own_configuration() {
    use invsync_core::policy::{ItemSettings, Override, PolicyError};
    let h = history(2, 80);
    let base = PlanConfig { seed: 11, ..PlanConfig::default() };
    let input = |settings: Option<ItemSettings>, o: Option<Override>| ItemInput {
        key: "S1/P7",
        history: &h,
        position: StockPosition { on_hand: 3.0, arrivals: vec![2.0] },
        consensus: None,
        settings,
        planner_override: o,
    };
    let settings = ItemSettings {
        lead_time: Some(1),
        review_period: Some(2),
        holding: Some(0.4),
        shortage: Some(3.0),
        min_order: Some(10.0),
        pack: Some(5.0),
        max_order: Some(60.0),
        backorders: Some(true),
    };
    let mut own = base.clone();
    own.policy = settings.apply(&base.policy).unwrap();
    assert_eq!(
        (own.policy.lead_time, own.policy.review_period, own.policy.constraints.max_order, own.policy.backorders),
        (1, 2, Some(60.0), true)
    );
    let with_settings = plan_item(&input(Some(settings.clone()), None), &base).unwrap();
    assert_eq!(with_settings, plan_item(&input(None, None), &own).unwrap());
    let q = with_settings.order_qty();
    assert!(q == 0.0 || ((10.0..=60.0).contains(&q) && q % 5.0 == 0.0), "{q}");
    // Empty settings are the defaults.
    assert_eq!(
        plan_item(&input(Some(ItemSettings::default()), None), &base).unwrap(),
        plan_item(&input(None, None), &base).unwrap()
    );
    for (bad, want) in [
        (ItemSettings { review_period: Some(0), ..ItemSettings::default() }, PolicyError::ZeroReviewPeriod),
        (
            ItemSettings { min_order: Some(10.0), max_order: Some(5.0), ..ItemSettings::default() },
            PolicyError::BadConstraints,
        ),
        (
            ItemSettings { holding: Some(f64::NAN), ..ItemSettings::default() },
            PolicyError::BadCost { name: "holding", value: f64::NAN },
        ),
    ] {
        let err = plan_item(&input(Some(bad), None), &base).unwrap_err();
        let PlanError::Policy { key, source } = err else { panic!("{err:?}") };
        assert_eq!(key, "S1/P7");
        // NaN != NaN: compare the messages.
        assert_eq!(source.to_string(), want.to_string());
    }
    // An override is the order to place, planned beside the optimum.
    let o = Override { order_qty: 25.0, who: "ana".into(), at: None, why: "promo".into() };
    let p = plan_item(&input(None, Some(o.clone())), &base).unwrap();
    assert_eq!(p.order_qty(), 25.0);
    let r = p.recommendation.unwrap();
    assert_eq!(r.planner_override.unwrap().planner_override, o);
    assert_eq!(r.order_qty, plan_item(&input(None, None), &base).unwrap().order_qty());
}

/// An item with demand evidence ordering 0 with nothing on hand or on order says why: here
/// one unit every fifth week and p = h, so an unsold unit costs as much as a lost sale.
#[test]
fn an_order_of_zero_at_position_zero_says_why() {
    let values: Vec<f64> = (0..60).map(|t| if t % 5 == 0 { 1.0 } else { 0.0 }).collect();
    let h = DemandHistory::uncensored(Timestamp::from_date(2021, 4, 12).unwrap(), Calendar::Week, values).unwrap();
    let mut config = PlanConfig::default();
    config.policy.holding = 1.0;
    config.policy.shortage = 1.0;
    let input = ItemInput::new("sparse", &h, StockPosition::empty());
    let plan = plan_item(&input, &config).unwrap();
    assert_eq!(plan.order_qty(), 0.0);
    assert!(
        plan.diagnostics.reason.contains("order 0 with nothing on hand or on order"),
        "{}",
        plan.diagnostics.reason
    );
    // With a high shortage cost the same item orders.
    config.policy.shortage = 20.0;
    let plan = plan_item(&input, &config).unwrap();
    assert!(plan.order_qty() > 0.0);
    assert!(!plan.diagnostics.reason.contains("order 0"));
}

/// Issue 20: one absurd cell (1e20) in one of 35 series. The VN2 pooled indices (totals)
/// are wrecked by it; the default's per-series shapes, capped at 10 x a series' mean, move
/// by less than 1 %, and the pool counts the capped series.
#[test]
fn one_absurd_series_does_not_move_the_pooled_shape() {
    let start = Timestamp::from_date(2021, 1, 4).unwrap();
    let series = |i: usize, absurd: bool| {
        let values: Vec<f64> = (0..156)
            .map(|t| {
                let season = 1.0 + 0.5 * (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin();
                if absurd && t == 80 { 1e20 } else { (10.0 + i as f64) * season + ((t * 7 + i) % 5) as f64 }
            })
            .collect();
        DemandHistory::uncensored(start, Calendar::Week, values).unwrap()
    };
    let pool = |absurd: bool| {
        let mut p = SeasonalPool::default();
        for i in 0..35 {
            p.add(&series(i, absurd && i == 3));
        }
        p
    };
    let (clean, dirty) = (pool(false), pool(true));
    assert_eq!((clean.capped(), dirty.capped()), (0, 1));
    let (a, b) = (clean.shrunk_indices().unwrap(), dirty.shrunk_indices().unwrap());
    let moved = a.values().iter().zip(b.values()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    assert!(moved < 0.01, "the shape moved by {moved}");
    assert!(a.values().iter().fold(0.0f64, |m, v| m.max(*v)) > 1.3, "the season is kept");
    let (old_a, old_b) = (clean.indices().unwrap(), dirty.indices().unwrap());
    let old_moved = old_a.values().iter().zip(old_b.values()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    assert!(old_moved > 0.5, "the totals' indices moved by only {old_moved}");
}

/// A history shorter than one season gets no seasonality from the default: pooled over
/// itself there are no indices, and indices fitted to its own 13 weeks only echo its noise
/// (issue 27: such an item had "seasonal indices kept" and planned with a fraction of its
/// demand).
#[test]
fn a_history_shorter_than_a_season_plans_without_seasonality() {
    let h = DemandHistory::new(
        Timestamp::from_date(2022, 1, 3).unwrap(),
        Calendar::Week,
        vec![14.0, 8.0, 8.0, 14.0, 10.0, 9.0, 10.0, 6.0, 7.0, 9.0, 6.0, 6.0, 7.0],
        vec![false; 13],
    )
    .unwrap();
    let config = PlanConfig::default().for_batch(std::iter::once(&h));
    assert_eq!(config.demand.seasonality, invsync_core::demand::Seasonality::None);
    let plan = plan_item(&ItemInput::new("short", &h, StockPosition::empty()), &config).unwrap();
    assert!(!plan.diagnostics.reason.contains("seasonal"), "{}", plan.diagnostics.reason);
    // The VN2 profile keeps its contract: pooled (here: own) indices, whatever the length.
    let vn2 = PlanConfig::vn2().for_batch(std::iter::once(&h));
    assert_ne!(vn2.demand.seasonality, invsync_core::demand::Seasonality::None);
}
