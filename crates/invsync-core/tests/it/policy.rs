//! Policy oracles: ORACLES.md C1-C5, C7, D1, D2; a skewed-demand case; the window model's
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
    assert!((rec.safety_stock - (rec.target_stock - rec.mu_w)).abs() < 1e-9);
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

#[test]
fn status_and_override() {
    let model = UncertaintyModel::Parametric { family: Family::Normal, bias: 0.0, sd: 6.0, resample: None };
    let s = model.simulate(&[10.0, 10.0, 10.0], 1000, true, &mut rng::stream(3, "status")).unwrap();
    // High shortage cost: a clearly positive safety stock.
    let config = PolicyConfig { shortage: 9.0, ..PolicyConfig::default() };
    let rec =
        |on_hand: f64, arrivals: Vec<f64>| optimize(&s, &StockPosition { on_hand, arrivals }, &config, None).unwrap();
    assert_eq!(rec(0.0, vec![20.0, 0.0]).status, StockStatus::OutOfStock);
    // With a lead time, lost sales make B - mu_W small or negative for a depleted item
    // (the order only has to cover the periods after it arrives); without one, a low
    // position sits below a positive safety stock.
    let one = UncertaintyModel::Parametric { family: Family::Normal, bias: 0.0, sd: 6.0, resample: None }
        .simulate(&[10.0], 1000, true, &mut rng::stream(3, "status1"))
        .unwrap();
    let r =
        optimize(&one, &StockPosition { on_hand: 2.0, arrivals: vec![] }, &newsvendor(0.2, 9.0, true), None).unwrap();
    assert!(r.safety_stock > 2.0, "{}", r.safety_stock);
    assert_eq!(r.status, StockStatus::Depleted);
    assert_eq!(rec(200.0, vec![]).status, StockStatus::Excess);
    // Every status agrees with the recommendation's own thresholds.
    for on_hand in [1.0, 5.0, 10.0, 20.0, 25.0, 30.0, 40.0, 60.0] {
        let r = rec(on_hand, vec![]);
        let want = if on_hand <= r.safety_stock {
            StockStatus::Depleted
        } else if on_hand <= r.reorder_point {
            StockStatus::Reorder
        } else if on_hand <= r.target_stock {
            StockStatus::Optimal
        } else {
            StockStatus::Excess
        };
        assert_eq!(
            r.status, want,
            "on hand {on_hand}: ss {} rop {} B {}",
            r.safety_stock, r.reorder_point, r.target_stock
        );
    }
    let config = PolicyConfig::default();
    let who =
        Override { order_qty: 50.0, who: "planner-7".into(), at: Timestamp::from_days(20_000), why: "promo".into() };
    let rec =
        optimize_with_override(&s, &StockPosition { on_hand: 5.0, arrivals: vec![] }, &config, None, Some(who.clone()))
            .unwrap();
    let (o, e) = rec.planner_override.unwrap();
    assert_eq!(o, who);
    assert_eq!(e.order_qty, 50.0);
    assert!(e.expected_cost > rec.evaluation.expected_cost, "the override costs more than the optimum");
    assert!(e.fill_rate >= rec.evaluation.fill_rate);
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
            let o = Override { order_qty: c.order_qty, who: String::new(), at: Timestamp::EPOCH, why: String::new() };
            let direct = optimize_with_override(&s, &pos, &config, None, Some(o)).unwrap().planner_override.unwrap().1;
            prop_assert!((direct.expected_cost - c.expected_cost).abs() < 1e-9 * (1.0 + c.expected_cost),
                "{:?}: sweep {} direct {}", c.policy, c.expected_cost, direct.expected_cost);
        }
        // The decision's figures (from the prepared state) equal a direct simulation.
        let o = Override { order_qty: rec.order_qty, who: String::new(), at: Timestamp::EPOCH, why: String::new() };
        let direct = optimize_with_override(&s, &pos, &config, None, Some(o)).unwrap().planner_override.unwrap().1;
        let e = rec.evaluation;
        for (a, b) in [(e.expected_cost, direct.expected_cost), (e.holding_cost, direct.holding_cost),
                       (e.fill_rate, direct.fill_rate), (e.cycle_service, direct.cycle_service),
                       (e.stockout_probability, direct.stockout_probability), (e.cost_se, direct.cost_se)] {
            prop_assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "{:?} vs {:?}", e, direct);
        }
        // Nothing beats the chosen decision by more than a paired standard error.
        let best = rec.candidates.iter().map(|c| c.expected_cost).fold(f64::INFINITY, f64::min);
        prop_assert!(rec.evaluation.expected_cost >= best - 1e-9);
        prop_assert!((0.0..=1.0).contains(&rec.evaluation.fill_rate));
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
