//! The scenario hot loop and the planner allocate nothing per scenario, and the hot loop
//! nothing per item, once their buffers have grown (ISSUE 8). Counted with a counting
//! global allocator, per thread.

use invsync::Timestamp;
use invsync::demand::{Calendar, DemandHistory, ErrorForm, ScenarioSet, UncertaintyModel};
use invsync::plan::{ItemInput, PlanConfig, plan_item};
use invsync::policy::StockPosition;
use invsync::rng;

#[path = "../benches/common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::thread_allocations;

/// Allocations made by `f` on this thread.
fn allocations_of(f: impl FnOnce()) -> u64 {
    let before = thread_allocations();
    f();
    thread_allocations() - before
}

#[test]
fn simulate_into_allocates_nothing_in_the_steady_state() {
    let errors: Vec<f64> = (0..150).map(|i| ((i * 37) % 23) as f64 - 11.0).collect();
    let models = [
        UncertaintyModel::BlockBootstrap { errors: errors.clone(), block: 1 },
        UncertaintyModel::RowBootstrap { w: 3, rows: errors.clone(), form: ErrorForm::Additive },
    ];
    let mut set = ScenarioSet::default();
    let mut r = rng::stream(1, "alloc");
    for model in &models {
        // The first draws grow the set and the per-thread table; later ones reuse them,
        // whatever the scenario count below the largest (tabled or not) and the rounding.
        assert!(model.simulate_into(&[20.0; 3], 2000, true, &mut r, &mut set));
        for (s, round) in [(2000, true), (1000, false), (100, true), (7, false)] {
            let n = allocations_of(|| assert!(model.simulate_into(&[20.0; 3], s, round, &mut r, &mut set)));
            assert_eq!(n, 0, "{} with {s} scenarios allocated {n} times", model.name());
            assert_eq!(set.len(), s);
        }
    }
}

#[test]
fn planning_allocates_nothing_per_scenario() {
    let start = Timestamp::from_date(2021, 4, 12).unwrap();
    let values: Vec<f64> = (0..156).map(|t| (20 + (t * 7) % 11) as f64).collect();
    let history = DemandHistory::uncensored(start, Calendar::Week, values).unwrap();
    let plan_with = |scenarios: usize| {
        let mut config = PlanConfig::default();
        config.demand.scenarios = scenarios;
        let input = ItemInput::new(
            "S1/P1",
            &history,
            StockPosition { on_hand: 10.0, arrivals: vec![5.0; config.policy.lead_time] },
        );
        allocations_of(|| {
            let plan = plan_item(&input, &config).unwrap();
            assert!(plan.recommendation.is_some());
        })
    };
    // Warm up the per-thread buffers at the largest size, then count: the per-item
    // allocations (analysis and outputs) do not depend on S.
    for _ in 0..4 {
        plan_with(4000);
    }
    let counts: Vec<u64> = [4000, 1000, 250, 251, 1001, 3999, 4000].into_iter().map(plan_with).collect();
    assert!(counts.iter().all(|&c| c == counts[0]), "allocations per item vary with S: {counts:?}");
    assert!(counts[0] > 0 && counts[0] < 60, "{counts:?}");
}
