//! Policy oracles: docs/oracles.md C1-C5, C7, D1, D2; a skewed-demand case; the window model's
//! sweep against direct simulation; validation; status; overrides.
//!
//! Monte Carlo checks test the *exact* cost of the decision the Monte Carlo picks (the
//! optimum is flat), with bands derived from standard errors as stated in each test.

use invsync_core::Timestamp;
use invsync_core::demand::{Family, ScenarioSet, UncertaintyModel};
use invsync_core::policy::*;
use invsync_core::rng;
use proptest::prelude::*;
use statrs::distribution::{Continuous, ContinuousCDF, Discrete, LogNormal, Normal, Poisson};

fn scenarios(family: Family, mean: f64, sd: f64, round: bool, key: &str) -> ScenarioSet {
    let model = UncertaintyModel::Parametric { family, bias: 0.0, sd, resample: None };
    model.simulate(&[mean], 1000, round, &mut rng::stream(20_261_121, key)).unwrap()
}

fn newsvendor(h: f64, p: f64, integer: bool) -> PolicyConfig {
    PolicyConfig {
        lead_time: 0,
        review_period: 1,
        holding: h,
        shortage: p,
        integer_orders: integer,
        ..PolicyConfig::default()
    }
}

fn poisson_cost(lambda: f64, h: f64, p: f64, s: u64) -> f64 {
    let d = Poisson::new(lambda).unwrap();
    (0..400u64).map(|k| d.pmf(k) * if k <= s { h * (s - k) as f64 } else { p * (k - s) as f64 }).sum()
}

#[test]
fn c2_and_c7_exact_functions() {
    // statrs' normal CDF is accurate to ~1e-12; scaled by (h + p) sigma = 7 that is ~1e-11.
    assert!((normal_newsvendor_cost(50.0, 8.0, 0.18, 0.70, 60.0) - 2.156_131_552_870_387).abs() < 1e-9);
    for (z, g) in [
        (0.0, 0.398_942_280_401_432_7),
        (0.5, 0.197_796_557_401_306_03),
        (1.0, 0.083_315_470_587_686_29),
        (1.3, 0.045_527_962_086_513_97),
        (2.0, 0.008_490_702_616_829_646),
    ] {
        // statrs' normal CDF is accurate to ~1e-12.
        assert!((normal_loss(z) - g).abs() < 1e-10, "G({z})");
    }
    // Poisson(6) loss at 8: E[(D - 8)+].
    let d = Poisson::new(6.0).unwrap();
    let loss: f64 = (9..200u64).map(|k| d.pmf(k) * (k - 8) as f64).sum();
    assert!((loss - 0.314_021_389_154_187_54).abs() < 1e-12);
    assert!((poisson_cost(6.0, 1.0, 4.0, 8) - 3.570_106_945_770_941_6).abs() < 1e-10);
    assert!((poisson_cost(6.0, 1.0, 4.0, 5) - 6.590_296_024_616_343).abs() < 1e-10);
    assert!((poisson_cost(50.0, 0.18, 0.70, 56) - 1.797_235_211_809_177_2).abs() < 1e-10);
}

/// C1: Normal(50, 8), h = 0.18, p = 0.70: S* = 56.604, cost 1.9976.
#[test]
fn c1_normal_newsvendor() {
    let s = scenarios(Family::Normal, 50.0, 8.0, false, "C1");
    assert!((7.54..=8.45).contains(&s.sigma_w()), "sigma {}", s.sigma_w());
    let rec = optimize(&s, &StockPosition::empty(), &newsvendor(0.18, 0.70, false), None).unwrap();
    assert!((rec.target_stock - 56.603_955_927_433_89).abs() <= 1.0, "S = {}", rec.target_stock);
    let exact = normal_newsvendor_cost(50.0, 8.0, 0.18, 0.70, rec.target_stock);
    assert!(exact <= 2.015, "exact cost at the MC decision {exact}");
    assert!((rec.evaluation.expected_cost - exact).abs() < 4.0 * rec.evaluation.cost_se + 0.02);
}

/// C3: Poisson(50): S* = 56; the MC S* is 55, 56 or 57 with exact cost <= 1.8207.
#[test]
fn c3_poisson_newsvendor() {
    let s = scenarios(Family::Poisson, 50.0, 50f64.sqrt(), true, "C3");
    let rec = optimize(&s, &StockPosition::empty(), &newsvendor(0.18, 0.70, true), None).unwrap();
    assert!([55.0, 56.0, 57.0].contains(&rec.target_stock), "S = {}", rec.target_stock);
    assert!(poisson_cost(50.0, 0.18, 0.70, rec.target_stock as u64) <= 1.8207);
}

/// C4: Poisson(6), h = 1, p = 4: a 1,000-scenario run picks 8 essentially always.
#[test]
fn c4_discrete_newsvendor() {
    let mut picks = Vec::new();
    for seed in 0..20 {
        let model =
            UncertaintyModel::Parametric { family: Family::Poisson, bias: 0.0, sd: 6f64.sqrt(), resample: None };
        let s = model.simulate(&[6.0], 1000, true, &mut rng::stream(seed, "C4")).unwrap();
        picks.push(optimize(&s, &StockPosition::empty(), &newsvendor(1.0, 4.0, true), None).unwrap().target_stock);
    }
    let eights = picks.iter().filter(|&&s| s == 8.0).count();
    assert!(eights >= 18, "{picks:?}");
}

/// C5: lognormal (sigma 0.3, scale e^6), h = 1, p = 0.1765: S* = 295.627, cost 29.4425.
#[test]
fn c5_lognormal_newsvendor() {
    let (mu, sigma) = (6.0f64, 0.3f64);
    let d = LogNormal::new(mu, sigma).unwrap();
    let exact = |s: f64| {
        // E[(S - D)+] = S Phi(z) - e^(mu + sigma^2/2) Phi(z - sigma), z = (ln S - mu) / sigma
        let n = Normal::standard();
        let z = (s.ln() - mu) / sigma;
        let under = s * n.cdf(z) - (mu + sigma * sigma / 2.0).exp() * n.cdf(z - sigma);
        let mean = (mu + sigma * sigma / 2.0).exp();
        1.0 * under + 0.1765 * (under - (s - mean))
    };
    assert!((exact(295.626_644_807_136_8) - 29.442_543_513_243_22).abs() < 1e-6);
    let m = (mu + sigma * sigma / 2.0).exp();
    let sd = m * ((sigma * sigma).exp() - 1.0).sqrt();
    let s = scenarios(Family::LogNormal, m, sd, false, "C5");
    let rec = optimize(&s, &StockPosition::empty(), &newsvendor(1.0, 0.1765, false), None).unwrap();
    // Band: the MC quantile at the critical ratio 0.15 has SE sqrt(0.15 x 0.85 / 1000) / f(S*);
    // 4 SE away the exact cost rises by (h + p) f(S*) (4 SE)^2 / 2; the tie rule may add one
    // paired SE, bounded by the cost SE reported.
    let f = d.pdf(295.626_644_807_136_8);
    let se_q = (0.15f64 * 0.85 / 1000.0).sqrt() / f;
    let bound = 29.442_543_513_243_22 + 0.5 * 1.1765 * f * (4.0 * se_q).powi(2) + rec.evaluation.cost_se;
    assert!(exact(rec.target_stock) <= bound, "{} -> {} > {bound}", rec.target_stock, exact(rec.target_stock));
}

/// D1 and D2: the classic formulas the planner reports.
#[test]
fn d1_d2_classic_formulas() {
    let z = z_for_service(0.95);
    assert!((z - 1.644_853_6).abs() < 1e-6);
    let ss = classic_safety_stock(z, 20.0, 9.0);
    assert!((ss - 98.6912).abs() < 1e-4 && (900.0 + ss - 998.6912).abs() < 1e-4);
    let ss_w = classic_safety_stock(z, 20.0, 16.0);
    assert!((ss_w - 131.5883).abs() < 1e-4 && (1600.0 + ss_w - 1731.5883).abs() < 1e-4);
    let k = k_for_fill_rate(0.98, 500.0, 60.0).unwrap();
    assert!((k - 0.607_347).abs() < 1e-5);
    assert!((k * 60.0 - 36.44).abs() < 0.01);
    assert!((service_of_z(k) - 0.728).abs() < 5e-4);
    assert!((k_for_fill_rate(0.98, 100.0, 60.0).unwrap() - 1.442_97).abs() < 1e-5);
    assert!(k_for_fill_rate(1.0, 100.0, 60.0).is_none());
}

/// The planner reports the classic formula for the service level its own decision reaches.
#[test]
fn recommendation_reports_classic_beside_scenario() {
    let model = UncertaintyModel::Parametric { family: Family::Normal, bias: 0.0, sd: 80.0, resample: None };
    let s = model.simulate(&[100.0; 16], 1000, false, &mut rng::stream(1, "D1")).unwrap();
    let config =
        PolicyConfig { lead_time: 9, review_period: 7, holding: 1.0, shortage: 19.0, ..PolicyConfig::default() };
    let rec = optimize(&s, &StockPosition::empty(), &config, None).unwrap();
    let z = z_for_service(rec.evaluation.cycle_service);
    assert!((rec.classic_safety_stock - z * rec.sigma_d * 3.0).abs() < 1e-9);
    assert!((rec.classic_safety_stock_window - z * rec.sigma_d * 4.0).abs() < 1e-9);
    assert!((rec.sigma_d - 20.0).abs() < 4.0 * 20.0 / 2000f64.sqrt(), "{}", rec.sigma_d);
    // Lost sales from an empty shelf: nothing is left when the order arrives, so the
    // safety stock is the order less the mean demand it covers.
    assert!((rec.safety_stock - (rec.target_stock - rec.mu_covered)).abs() < 1e-9);
}

/// Right-skewed demand at a high critical ratio: the scenario safety stock is larger than the
/// classic (normal) one for the same service level, because the upper tail is heavier.
#[test]
fn skewed_demand_needs_more_than_the_classic_formula() {
    let (mu, sigma) = (3.0f64, 0.9f64);
    let m = (mu + sigma * sigma / 2.0).exp();
    let sd = m * ((sigma * sigma).exp() - 1.0).sqrt();
    let s = scenarios(Family::LogNormal, m, sd, false, "skew");
    let rec = optimize(&s, &StockPosition::empty(), &newsvendor(1.0, 49.0, false), None).unwrap();
    let z = z_for_service(rec.evaluation.cycle_service);
    let classic = z * rec.sigma_w;
    assert!(rec.safety_stock > classic * 1.15, "scenario {} vs classic {classic}", rec.safety_stock);
}

#[test]
fn validation_errors_are_typed() {
    let s = scenarios(Family::Normal, 10.0, 2.0, false, "v");
    let base = newsvendor(1.0, 1.0, true);
    let bad = |c: PolicyConfig| optimize(&s, &StockPosition::empty(), &c, None).unwrap_err();
    assert!(matches!(
        bad(PolicyConfig { holding: -1.0, ..base.clone() }),
        PolicyError::BadCost { name: "holding", .. }
    ));
    assert!(matches!(bad(PolicyConfig { shortage: f64::NAN, ..base.clone() }), PolicyError::BadCost { .. }));
    assert_eq!(bad(PolicyConfig { review_period: 0, ..base.clone() }), PolicyError::ZeroReviewPeriod);
    assert!(matches!(bad(PolicyConfig { lead_time: 2, ..base.clone() }), PolicyError::WindowMismatch { .. }));
    assert!(matches!(bad(PolicyConfig { k_grid: vec![f64::INFINITY], ..base.clone() }), PolicyError::BadGrid { .. }));
    let cons = OrderConstraints { min_order: 10.0, pack: 1.0, max_order: Some(5.0) };
    assert_eq!(bad(PolicyConfig { constraints: cons, ..base.clone() }), PolicyError::BadConstraints);
    let pos = StockPosition { on_hand: 1.0, arrivals: vec![1.0] };
    assert!(matches!(optimize(&s, &pos, &base, None), Err(PolicyError::BadPosition { .. })));
}

#[test]
fn order_constraints() {
    let c = OrderConstraints { min_order: 10.0, pack: 6.0, max_order: Some(40.0) };
    assert_eq!(c.apply(0.0), 0.0);
    assert_eq!(c.apply(3.0), 12.0); // raised to 10, then to a pack multiple
    assert_eq!(c.apply(13.0), 18.0);
    assert_eq!(c.apply(100.0), 36.0); // capped at the largest pack multiple <= 40
    let s = scenarios(Family::Normal, 50.0, 5.0, true, "cons");
    let config = PolicyConfig { constraints: c, ..newsvendor(0.2, 1.0, true) };
    let rec = optimize(&s, &StockPosition::empty(), &config, None).unwrap();
    assert_eq!(rec.order_qty, 36.0);
}

/// `status` comes from the projected net flow at the order's arrival (on hand plus the
/// arrivals within the lead time less the mean lead-time demand), never from on hand alone.
#[test]
fn status_from_projected_net_flow_and_override() {
    // A Normal(30, 6) window total split evenly over L = 2 and R = 1, h = 0.2, p = 9.
    let model = UncertaintyModel::Parametric { family: Family::Normal, bias: 0.0, sd: 6.0, resample: None };
    let s = model.simulate(&[10.0, 10.0, 10.0], 1000, true, &mut rng::stream(3, "status")).unwrap();
    let config = PolicyConfig { shortage: 9.0, ..PolicyConfig::default() };
    let rec =
        |on_hand: f64, arrivals: Vec<f64>| optimize(&s, &StockPosition { on_hand, arrivals }, &config, None).unwrap();
    #[track_caller]
    fn check(r: &Recommendation, want: StockStatus) {
        assert_eq!(
            r.status, want,
            "projected {} covered {} order {} rop {:?} policy {:?} B {}",
            r.projected_stock, r.mu_covered, r.order_qty, r.reorder_point, r.policy, r.target_stock
        );
    }
    // (on hand, arrivals, status): nothing on hand but units arriving within the lead
    // time is not out of stock.
    for (on_hand, arrivals, want) in [
        (0.0, vec![], StockStatus::OutOfStock),
        (0.0, vec![10.0, 5.0], StockStatus::OutOfStock),
        (0.0, vec![25.0, 0.0], StockStatus::Depleted),
        (0.0, vec![30.0, 5.0], StockStatus::Reorder),
        (0.0, vec![45.0, 0.0], StockStatus::Optimal),
        (0.0, vec![80.0, 0.0], StockStatus::Excess),
        (25.0, vec![], StockStatus::Depleted),
        (35.0, vec![], StockStatus::Reorder),
        (200.0, vec![], StockStatus::Excess),
    ] {
        check(&rec(on_hand, arrivals), want);
    }
    // Every status agrees with the recommendation's own figures.
    for on_hand in [0.0, 5.0, 15.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 60.0, 80.0] {
        let r = rec(on_hand, vec![]);
        let ip = on_hand;
        let want = if r.projected_stock <= 0.0 {
            StockStatus::OutOfStock
        } else if r.projected_stock < r.mu_covered {
            StockStatus::Depleted
        } else if r.order_qty > 0.0 {
            StockStatus::Reorder
        } else if ip - r.mu_covered <= r.reorder_point.unwrap() {
            StockStatus::Optimal
        } else {
            StockStatus::Excess
        };
        check(&r, want);
        assert!((r.projected_stock - (on_hand - 20.0)).abs() < 1.0, "{}", r.projected_stock);
    }
    assert!(
        [40.0, 45.0, 50.0].iter().any(|&h| rec(h, vec![]).status == StockStatus::Optimal),
        "no position between ordering and excess"
    );
    let config = PolicyConfig::default();
    let who = Override {
        order_qty: 50.0,
        who: "planner-7".into(),
        at: Some(Timestamp::from_days(20_000)),
        why: "promo".into(),
    };
    let rec =
        optimize_with_override(&s, &StockPosition { on_hand: 5.0, arrivals: vec![] }, &config, None, Some(who.clone()))
            .unwrap();
    let o = rec.planner_override.clone().unwrap();
    assert_eq!(o.planner_override, who);
    assert_eq!(o.evaluation.order_qty, 50.0);
    assert_eq!(rec.order_to_place(), 50.0);
    assert!(o.cost_difference > 0.0, "the override costs more than the optimum");
    assert_eq!(o.cost_difference, o.evaluation.expected_cost - rec.evaluation.expected_cost);
    assert!(o.evaluation.fill_rate >= rec.evaluation.fill_rate);
    assert_eq!(o.target_stock, 55.0);
    // The override's safety stock is the optimum's plus the extra units.
    assert!((o.safety_stock - rec.safety_stock - (50.0 - rec.order_qty)).abs() < 1e-9);
}

fn arb_case() -> impl Strategy<Value = (Vec<f64>, usize, usize, usize, f64, Vec<f64>, bool)> {
    (1usize..3, 1usize..3, 0usize..3).prop_flat_map(|(l, r, c)| {
        let w = l + r + c;
        (
            proptest::collection::vec(0.0f64..30.0, w * 20..=w * 20),
            Just(l),
            Just(r),
            Just(c),
            0.0f64..40.0,
            proptest::collection::vec(0.0f64..10.0, 0..=l),
            any::<bool>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The breakpoint sweep is exact: every candidate's cost equals a direct simulation of
    /// its order, lost sales and backorders alike, with and without carry-over periods.
    #[test]
    fn sweep_matches_direct_simulation((values, l, r, carry, on_hand, arrivals, backorders) in arb_case()) {
        let s = ScenarioSet::from_values(l + r + carry, values).unwrap();
        let config = PolicyConfig { lead_time: l, review_period: r, holding: 0.3, shortage: 2.0, backorders,
                                    carryover: carry, integer_orders: false, ..PolicyConfig::default() };
        let pos = StockPosition { on_hand, arrivals };
        let rec = optimize(&s, &pos, &config, None).unwrap();
        for c in rec.candidates.iter().step_by(7) {
            let o = Override { order_qty: c.order_qty, who: String::new(), at: None, why: String::new() };
            let direct = optimize_with_override(&s, &pos, &config, None, Some(o)).unwrap().planner_override.unwrap().evaluation;
            prop_assert!((direct.expected_cost - c.expected_cost).abs() < 1e-9 * (1.0 + c.expected_cost),
                "{:?}: sweep {} direct {}", c.policy, c.expected_cost, direct.expected_cost);
        }
        // The decision's figures (from the prepared state) equal a direct simulation.
        let o = Override { order_qty: rec.order_qty, who: String::new(), at: None, why: String::new() };
        let direct = optimize_with_override(&s, &pos, &config, None, Some(o)).unwrap().planner_override.unwrap().evaluation;
        let e = rec.evaluation;
        for (a, b) in [(e.expected_cost, direct.expected_cost), (e.holding_cost, direct.holding_cost),
                       (e.fill_rate, direct.fill_rate), (e.window_fill_rate, direct.window_fill_rate),
                       (e.committed_cost, direct.committed_cost), (e.cycle_service, direct.cycle_service),
                       (e.stockout_probability, direct.stockout_probability), (e.cost_se, direct.cost_se)] {
            prop_assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "{:?} vs {:?}", e, direct);
        }
        // Nothing beats the chosen decision by more than a paired standard error.
        let best = rec.candidates.iter().map(|c| c.expected_cost).fold(f64::INFINITY, f64::min);
        prop_assert!(rec.evaluation.expected_cost >= best - 1e-9);
        prop_assert!((0.0..=1.0).contains(&rec.evaluation.fill_rate));
        prop_assert!((0.0..=1.0).contains(&rec.evaluation.window_fill_rate));
        // The cost splits into what is committed before the order arrives and the rest.
        prop_assert!((e.committed_cost + e.controllable_cost - e.expected_cost).abs() < 1e-9 * (1.0 + e.expected_cost));
        prop_assert!(e.committed_cost >= 0.0);
        // The status follows the projected stock at the arrival and the decision: an
        // ordering item is never `optimal` or `excess`.
        prop_assert_eq!(rec.status == StockStatus::OutOfStock, rec.projected_stock <= 0.0);
        if rec.order_qty > 0.0 {
            prop_assert!(!matches!(rec.status, StockStatus::Optimal | StockStatus::Excess), "{:?}", rec.status);
        }
        // k only for k policies; the implied k for every policy with a spread.
        prop_assert_eq!(rec.k().is_some(), matches!(rec.policy, PolicyKind::ScenarioK | PolicyKind::ProportionalK | PolicyKind::HistoricalK));
        prop_assert_eq!(rec.implied_k.is_some(), rec.sigma_covered > 0.0);
        // Ordering one more unit raises the safety stock by exactly one.
        let more = Override { order_qty: rec.order_qty + 1.0, who: String::new(), at: None, why: String::new() };
        let o = optimize_with_override(&s, &pos, &config, None, Some(more)).unwrap().planner_override.unwrap();
        prop_assert!((o.safety_stock - rec.safety_stock - 1.0).abs() < 1e-9 * (1.0 + rec.safety_stock.abs()));
        prop_assert_eq!(o.cost_difference, o.evaluation.expected_cost - rec.evaluation.expected_cost);
    }
}

/// Magnitudes from nothing to the edge of `f64`, for the no-hang property below.
fn extreme() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        0.0f64..50.0,
        Just(1e15),
        Just(1e150),
        Just(1e300),
        Just(f64::MAX / 2.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the scale of demand and position (any finite values, up to `f64::MAX`),
    /// `optimize` returns, a decision or a typed error, and never panics or loops: an
    /// overflowed sum is `PolicyError::Overflow`, and every decision it does return has a
    /// finite order quantity.
    #[test]
    fn any_finite_scale_returns(
        values in proptest::collection::vec(extreme(), 1..60),
        on_hand in prop_oneof![extreme(), extreme().prop_map(|x| -x)],
        arrival in extreme(),
        lead_time in 0usize..3,
        review_period in 1usize..3,
        carryover in 0usize..2,
        backorders in any::<bool>(),
        fixed in prop_oneof![Just(0.0), Just(10.0)],
        integer_orders in any::<bool>(),
    ) {
        let config = PolicyConfig {
            lead_time,
            review_period,
            carryover,
            backorders,
            fixed_order_cost: fixed,
            integer_orders,
            ..PolicyConfig::default()
        };
        let w = config.simulated_periods();
        let n = values.len() / w * w;
        prop_assume!(n > 0);
        let set = ScenarioSet::from_values(w, values[..n].to_vec()).unwrap();
        let position = StockPosition { on_hand, arrivals: vec![arrival; lead_time] };
        match optimize(&set, &position, &config, None) {
            Ok(r) => prop_assert!(r.order_qty.is_finite() && r.order_qty >= 0.0, "{r:?}"),
            Err(e) => prop_assert_eq!(e, PolicyError::Overflow),
        }
    }
}

/// I.i.d. Normal(100, 20) demand per period (floored at 0, P < 1e-6), `n` scenarios of
/// `w` periods.
fn iid_normal(n: usize, w: usize, key: &str) -> ScenarioSet {
    use rand::SeedableRng;
    use rand::distr::Distribution;
    let d = rand_distr::Normal::<f64>::new(100.0, 20.0).unwrap();
    // The item stream's words as a `rand` generator, for rand_distr.
    let mut rng = rand_chacha::ChaCha8Rng::from_seed(rng::seed_for(20_261_202, key));
    ScenarioSet::from_values(w, (0..n * w).map(|_| d.sample(&mut rng).max(0.0)).collect()).unwrap()
}

/// `safety_stock` is the buffer over mean demand in the periods the order covers, so on
/// Normal(100, 20), L = 2, R = 1 it is the textbook z sigma of the covered demand
/// (docs/oracles.md P1-P5, z = Phi^-1(p / (p + h))). Before this definition it was
/// target - mu_W over L + R (-183 from an empty shelf under lost sales).
///
/// Band: the decision is the sample p / (p + h) quantile of the net demand: standard error
/// `sqrt(r (1 - r) / n) sigma / phi(z)`; the tie rule may take a level up to
/// `2 max(h, p) sigma / ((h + p) phi(z) sqrt(n))` lower (cost within one paired standard
/// error); whole units add up to 1. Band = 4 standard errors + tie + 1.
#[test]
fn textbook_safety_stock_on_normal_demand() {
    const N: usize = 20_000;
    let s = iid_normal(N, 3, "P1");
    #[track_caller]
    fn check(s: &ScenarioSet, on_hand: f64, arrivals: Vec<f64>, backorders: bool, h: f64, p: f64, sigma: f64) {
        let config = PolicyConfig { holding: h, shortage: p, backorders, ..PolicyConfig::default() };
        let rec = optimize(s, &StockPosition { on_hand, arrivals }, &config, None).unwrap();
        let r = p / (h + p);
        let z = z_for_service(r);
        let phi = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let n = N as f64;
        let se = (r * (1.0 - r) / n).sqrt() * sigma / phi;
        let tie = 2.0 * h.max(p) * sigma / ((h + p) * phi * n.sqrt());
        let band = 4.0 * se + tie + 1.0;
        let want = z * sigma;
        assert!(rec.order_qty > 0.0, "the case must order");
        assert!((rec.safety_stock - want).abs() <= band, "safety stock {} vs {want} +/- {band}", rec.safety_stock);
        // sd of a sample sd: sigma / sqrt(2 n).
        assert!((rec.sigma_covered - sigma).abs() <= 4.0 * sigma / (2.0 * n).sqrt(), "sigma {}", rec.sigma_covered);
        let k = rec.implied_k.unwrap();
        assert!((k - z).abs() <= band / sigma + 0.01, "implied k {k} vs {z}");
        assert!((rec.mu_covered - 100.0).abs() < 4.0 * 20.0 / n.sqrt());
    }
    let s3 = 20.0 * 3f64.sqrt();
    // P1: backorders, any starting stock: z sigma over L + R.
    check(&s, 0.0, vec![], true, 0.25, 1.0, s3);
    check(&s, 150.0, vec![100.0, 0.0], true, 0.25, 1.0, s3);
    check(&s, -40.0, vec![], true, 0.25, 1.0, s3);
    // P2: lost sales from an empty shelf: nothing is left at the arrival, so only the
    // covered period's demand is uncertain.
    check(&s, 0.0, vec![], false, 0.25, 1.0, 20.0);
    // P3: lost sales with stock that lasts to the arrival (P(D_L > 300) = 2e-4).
    check(&s, 300.0, vec![], false, 0.25, 1.0, s3);
    // P4: p / h = 1 / 4: under-covering is optimal and the safety stock is negative.
    check(&s, 0.0, vec![], true, 1.0, 0.25, s3);
    // P5: p / h = 19 (95 %).
    check(&s, 100.0, vec![50.0, 50.0], true, 0.05, 0.95, s3);
}

/// `reorder_point` is the position at or below which ordering pays: on Normal(100, 20),
/// L = 2, R = 1, p / h = 4 with backorders, the order-up-to level mu_W + z sigma_W =
/// 329.15 less one unit (docs/oracles.md P6), whatever is on hand; and the optimum does
/// order at it and does not one unit above (checked on the scenarios' own optimum).
#[test]
fn reorder_point_is_where_ordering_starts() {
    let s = iid_normal(20_000, 3, "P6");
    let config = PolicyConfig { holding: 0.25, shortage: 1.0, backorders: true, ..PolicyConfig::default() };
    let rec = |on_hand: f64| optimize(&s, &StockPosition { on_hand, arrivals: vec![] }, &config, None).unwrap();
    let rops: Vec<f64> =
        [0.0, 100.0, 250.0, 320.0, 400.0, 1000.0].iter().map(|&h| rec(h).reorder_point.unwrap()).collect();
    assert!(rops.windows(2).all(|w| w[0] == w[1]), "{rops:?}");
    // Band as above for sigma_W = 34.64: 3.8.
    assert!((rops[0] - 328.15).abs() <= 3.8, "{}", rops[0]);
    assert_eq!(rops[0].fract(), 0.0);
    // The scenario optimum (no tie rule) orders at the reorder point, not above it.
    let exact = PolicyConfig { k_grid: vec![], coverage_grid: vec![], ..config.clone() };
    let at = |h: f64| optimize(&s, &StockPosition { on_hand: h, arrivals: vec![] }, &exact, None).unwrap();
    assert!(at(rops[0]).candidates.iter().any(|c| c.policy == PolicyKind::ScenarioOptimum && c.order_qty > 0.0));
    assert!(at(rops[0] + 1.0).candidates.iter().all(|c| c.policy != PolicyKind::ScenarioOptimum || c.order_qty == 0.0));
    // Lost sales: the same reorder point from an empty shelf or a full one (it was
    // mu_L + (B - mu_W), swinging with the starting stock).
    let lost = PolicyConfig { backorders: false, ..config };
    let rl: Vec<f64> = [0.0, 150.0, 300.0, 500.0]
        .iter()
        .map(|&h| {
            optimize(&s, &StockPosition { on_hand: h, arrivals: vec![] }, &lost, None).unwrap().reorder_point.unwrap()
        })
        .collect();
    assert!(rl.windows(2).all(|w| w[0] == w[1]), "{rl:?}");
}

/// `fill_rate` counts the periods the order affects (L+1..=L+R); `expected_cost` splits
/// into the part committed before the order arrives and the part the order controls.
#[test]
fn fill_rate_and_cost_split_cover_the_order_periods() {
    let s = iid_normal(4_000, 3, "fill");
    let config = PolicyConfig { holding: 0.25, shortage: 1.0, ..PolicyConfig::default() };
    // Empty shelf, lost sales: the lead-time periods sell nothing (their demand, 200 on
    // average, is lost: a committed shortage cost of 200 p), the order's period sells at
    // the newsvendor fill rate 1 - sigma G(z) / mu = 1 - 20 G(0.8416) / 100 = 0.9775.
    let rec = optimize(&s, &StockPosition::empty(), &config, None).unwrap();
    let e = rec.evaluation;
    let g = normal_loss(0.841_621_233_572_914_3);
    assert!((e.fill_rate - (1.0 - 20.0 * g / 100.0)).abs() < 0.005, "{}", e.fill_rate);
    assert!(e.window_fill_rate < 0.34, "{}", e.window_fill_rate);
    assert!((e.committed_cost - 200.0).abs() < 4.0 * 28.3 / 4_000f64.sqrt(), "{}", e.committed_cost);
    assert!((e.committed_cost + e.controllable_cost - e.expected_cost).abs() < 1e-9);
    // The controllable part is the newsvendor's optimal cost (h + p) sigma phi(z) =
    // 1.25 x 20 x 0.27996 = 6.999 (docs/oracles.md C1's formula); the band covers the Monte
    // Carlo error of 4,000 scenarios (cost sd ~ 9, so se ~ 0.15) and whole units.
    let phi = (-0.841_621_233_572_914_3f64.powi(2) / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    assert!((e.controllable_cost - 1.25 * 20.0 * phi).abs() < 0.6, "{}", e.controllable_cost);
}
