//! The harness checked against known truths (docs/oracles.md), through the public API only.
//! Monte Carlo checks use fixed seeds and bands of 4 standard errors of the estimator.

use std::convert::Infallible;

use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::policy::{StockPosition, normal_newsvendor_cost};
use invsync_eval::rolling::{self, RollingConfig, best_base_stock, operate};
use invsync_eval::rules::{DecisionRule, FnRule, Invsync, RuleError, Settings, Textbook};
use invsync_eval::score::Scorer;
use invsync_eval::single::{self, StartState};
use invsync_eval::truth::stream;
use invsync_eval::truth::{self, Family, MeanPath, Noise, history_start};

/// Standard errors a Monte Carlo estimate may stray from its exact value.
const BAND_SE: f64 = 4.0;

fn flat(noise: Noise, mean: f64) -> Family {
    Family { name: "t", history_len: 10, noise, mean: MeanPath::Flat(mean), censoring: None }
}

/// The standard error of the mean newsvendor cost of `s` against draws of `truth`, from
/// an independent sample.
fn newsvendor_se(fam: &Family, h: f64, p: f64, s: f64, n: usize) -> f64 {
    let t = fam.item(1, "se");
    let mut rng = stream(99, "se");
    let c: Vec<f64> = (0..n)
        .map(|_| {
            let d = t.draw(0, &mut rng);
            h * (s - d).max(0.0) + p * (d - s).max(0.0)
        })
        .collect();
    let m = c.iter().sum::<f64>() / n as f64;
    (c.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64 / n as f64).sqrt()
}

#[test]
fn oracle_order_is_the_analytic_newsvendor_optimum_for_normal_50_8() {
    // docs/oracles.md C1 / C2: S* = 56.604, cost(60) = 2.156131552870387. With L = R = 1 and
    // nothing on hand, the order only meets period 2: a newsvendor.
    let fam = truth::newsvendor_family();
    let settings = Settings::lost_sales(1, 1, 0.18, 0.70);
    let n = 200_000;
    let scorer = Scorer::new(&fam.item(1, "nv"), 260, &StockPosition::empty(), &settings, n, &mut stream(3, "nv"));
    let (q, _) = scorer.best();
    // The cost is convex with its minimum at 56.604: 57 is the best integer.
    let exact = |s| normal_newsvendor_cost(50.0, 8.0, 0.18, 0.70, s);
    assert!(exact(57.0) < exact(56.0));
    assert_eq!(q, 57.0);
    for s in [50.0, 57.0, 60.0, 70.0] {
        let se = newsvendor_se(&fam, 0.18, 0.70, s, n);
        assert!((scorer.cost(s) - exact(s)).abs() < BAND_SE * se, "S = {s}: {} vs {}", scorer.cost(s), exact(s));
    }
    assert!((exact(60.0) - 2.156131552870387).abs() < 1e-9);
}

#[test]
fn oracle_order_is_the_discrete_newsvendor_optimum_for_poisson_6() {
    // docs/oracles.md C4: Poisson(6), h = 1, p = 4: S* = 8, cost 3.5701069457709416; cost(5)
    // 6.590296024616343.
    let fam = flat(Noise::Poisson, 6.0);
    let settings = Settings::lost_sales(1, 1, 1.0, 4.0);
    let n = 200_000;
    let scorer = Scorer::new(&fam.item(1, "p6"), 0, &StockPosition::empty(), &settings, n, &mut stream(4, "p6"));
    let (q, c) = scorer.best();
    assert_eq!(q, 8.0);
    assert!((c - 3.5701069457709416).abs() < BAND_SE * newsvendor_se(&fam, 1.0, 4.0, 8.0, n));
    assert!((scorer.cost(5.0) - 6.590296024616343).abs() < BAND_SE * newsvendor_se(&fam, 1.0, 4.0, 5.0, n));
}

#[test]
fn cost_of_fixed_offsets_matches_the_closed_form() {
    // Two draws, R = 2: (a_1, a_2) = (1, 4) and (3, 6); h = 1, p = 10.
    let offsets = || vec![vec![1.0, 3.0], vec![4.0, 6.0]];
    #[track_caller]
    fn check(backorders: bool, q: f64, expected: f64, offsets: Vec<Vec<f64>>) {
        let s = Settings { lead_time: 1, review_period: 2, holding: 1.0, shortage: 10.0, backorders };
        let got = Scorer::from_offsets(s, offsets).cost(q);
        assert!((got - expected).abs() < 1e-12, "backorders {backorders}, q = {q}: {got} != {expected}");
    }
    // Lost sales: h E[(q - a_1)+ + (q - a_2)+] + p E[(a_2 - q)+].
    check(false, 0.0, 10.0 * 5.0, offsets());
    check(false, 2.0, (1.0 + 0.0) / 2.0 + 10.0 * (2.0 + 4.0) / 2.0, offsets());
    check(false, 5.0, (4.0 + 2.0 + 1.0) / 2.0 + 10.0 * 1.0 / 2.0, offsets());
    check(false, 7.0, (6.0 + 4.0 + 3.0 + 1.0) / 2.0, offsets());
    // Backorders: also p E[(a_1 - q)+].
    check(true, 2.0, (1.0 + 0.0) / 2.0 + 10.0 * (1.0 + 2.0 + 4.0) / 2.0, offsets());
    check(true, -3.0, 10.0 * (1.0 + 3.0 + 4.0 + 6.0) / 2.0, offsets());
    let best = Scorer::from_offsets(Settings::lost_sales(1, 2, 1.0, 10.0), offsets()).best();
    assert_eq!(best.0, 6.0);
}

#[test]
fn textbook_rule_scores_about_one_on_iid_normal_with_backorders() {
    // With backorders and nothing on hand the cost of Q is the (L + R)-period newsvendor,
    // whose optimum is the textbook level: the rule's only loss is estimating mu and sd
    // from 52 weeks.
    let fam = truth::newsvendor_family();
    let settings = Settings { lead_time: 2, review_period: 1, holding: 1.0, shortage: 4.0, backorders: true };
    let ratios: Vec<f64> = (0..20)
        .map(|i| {
            let key = format!("tb/{i}");
            single::score_case(
                "tb",
                key.clone(),
                &fam.item(5, &key),
                260,
                StartState::Empty,
                &settings,
                &[&Textbook],
                5,
                100_000,
            )
            .unwrap()
            .ratio(0)
        })
        .collect();
    // Expected excess from estimation alone: the window demand is N(150, 13.86), the
    // cost's curvature at the optimum (h + p) phi(z) / sigma_W = 0.101, and S is off by
    // about 3.5 units (sd: 3 x 8 / sqrt(52) for mu, 0.84 sqrt(3) x 8 / sqrt(104) for sd),
    // so E[ratio - 1] = 0.5 x 0.101 x 3.5^2 / 19.4 = 0.032 with an sd over 20 items of
    // about 0.01: 4 of those above it is a failure of the scorer or the rule.
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    assert!(mean < 1.032 + BAND_SE * 0.01, "{mean} {ratios:?}");
    assert!(ratios.iter().all(|r| *r >= 1.0 - 1e-9), "{ratios:?}");
}

#[test]
fn textbook_level_is_the_formula() {
    // 52 in-stock weeks alternating 8 and 12 (mean 10, sd sqrt(52 * 4 / 51)), older weeks
    // and a censored week ignored.
    let mut values = vec![100.0; 10];
    let mut flags = vec![false; 10];
    for t in 0..52 {
        values.push(if t % 2 == 0 { 8.0 } else { 12.0 });
        flags.push(false);
        if t == 20 {
            values.push(0.0);
            flags.push(true);
        }
    }
    let h = DemandHistory::new(history_start(), Calendar::Week, values, flags).unwrap();
    let s = Settings::lost_sales(2, 2, 1.0, 1.0); // z = 0
    assert!((Textbook::target(&h, &s).unwrap() - 40.0).abs() < 1e-9);
    let s = Settings::lost_sales(3, 1, 1.0, 4.0); // z = Phi^-1(0.8)
    let sd = (52.0 * 4.0 / 51.0f64).sqrt();
    let want = 40.0 + 0.8416212335729143 * sd * 2.0;
    assert!((Textbook::target(&h, &s).unwrap() - want).abs() < 1e-6);
    let pos = StockPosition { on_hand: 10.0, arrivals: vec![5.0, 0.0, 0.0] };
    assert_eq!(Textbook.order("x", &h, &pos, &s), Ok((want - 15.0).ceil()));
}

#[test]
fn base_stock_oracle_on_a_constant_path() {
    // Demand 5 every week, L = R = 1, h = 1, p = 4, starting empty: S = 10 covers every
    // counted week; its only cost is 5 units held at the end of week 2.
    let path = vec![5.0; 40];
    let (s, result) = best_base_stock(&path, &Settings::lost_sales(1, 1, 1.0, 4.0), 26);
    assert_eq!(s, 10.0);
    assert_eq!(result.cost(), 5.0);
    assert_eq!((result.demand, result.sold), (130.0, 130.0));
}

#[test]
fn rolling_counts_zero_orders_at_position_zero_only_with_demand_evidence() {
    let path = vec![3.0; 40];
    let never = |_: &DemandHistory, _: &StockPosition| Ok::<f64, Infallible>(0.0);
    let evidence = DemandHistory::uncensored(history_start(), Calendar::Week, vec![0.0, 2.0, 0.0]).unwrap();
    let none = DemandHistory::uncensored(history_start(), Calendar::Week, vec![0.0; 3]).unwrap();
    let s = Settings::lost_sales(2, 2, 1.0, 4.0);
    let out = operate(&evidence, &path, &s, 26, never).unwrap();
    assert_eq!(out.zero_at_empty, 13);
    assert_eq!((out.result.demand, out.result.sold, out.result.shortage), (78.0, 0.0, 4.0 * 78.0));
    // Sales of 0 are no evidence, and a run that never ordered learns none.
    assert_eq!(operate(&none, &path, &s, 26, never).unwrap().zero_at_empty, 0);
    // Sales are fed back, censored weeks flagged: a rule ordering 1 each week sees them.
    let mut last = None;
    operate(&none, &path, &Settings::lost_sales(1, 1, 1.0, 1.0), 5, |h, _| {
        last = Some(h.clone());
        Ok::<f64, Infallible>(1.0)
    })
    .unwrap();
    let last = last.unwrap();
    assert_eq!(last.values(), &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    assert_eq!(last.censored(), &[false, false, false, true, true, true, true]);
}

#[test]
fn suites_are_identical_whatever_the_thread_count() {
    let families: Vec<Family> =
        truth::families().into_iter().filter(|f| ["censored", "short_8"].contains(&f.name)).collect();
    let planner = Invsync::cli();
    let half = FnRule::new("half", |_: &str, h: &DemandHistory, p: &StockPosition, s: &Settings| {
        Textbook.order("", h, p, s).unwrap_or(0.0) / 2.0
    });
    let rules: [&dyn DecisionRule; 3] = [&planner, &Textbook, &half];
    let config = RollingConfig { items: 1, rounds: 6, ..RollingConfig::quick(11) };
    let single_config = single::SingleConfig { seed: 11, reps: 1, stride: 27, draws: 2_000 };
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| (rolling::run(&families, &rules, &config), single::run(&families, &rules, &single_config)))
    };
    let (a, b) = (run(1), run(3));
    assert_eq!(a, b);
    assert_eq!(a.0.unwrap().len(), 2 * 3);
    assert_eq!(a.1.unwrap().len(), 2 * 2);
}

#[test]
fn truth_families_have_their_stated_means() {
    let mut families = truth::families();
    families.push(truth::newsvendor_family());
    for fam in families {
        let t = fam.item(8, fam.name);
        let at = fam.history_len;
        let mut rng = stream(8, fam.name);
        let n = 40_000;
        let x: Vec<f64> = (0..n).map(|_| t.draw(at, &mut rng)).collect();
        let m = x.iter().sum::<f64>() / n as f64;
        let se = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64 / n as f64).sqrt();
        // Lumpy sizes are rounded gammas: their mean is nominal, within rounding.
        let slack = if matches!(t.noise, Noise::Lumpy { .. }) { 0.05 } else { 0.0 };
        assert!((m - t.mean(at)).abs() < BAND_SE * se + slack, "{}: {m} vs {}", fam.name, t.mean(at));
    }
}

#[test]
fn censored_history_flags_the_weeks_that_ran_out() {
    let fam = truth::families().into_iter().find(|f| f.name == "censored").unwrap();
    let h = fam.item(2, "c").history(2_000, &mut stream(2, "c"));
    let share = h.censored().iter().filter(|c| **c).count() as f64 / 2_000.0;
    // P(limited) = 0.3 and a limited week runs out unless demand < available.
    assert!(share > 0.15 && share < 0.3, "{share}");
    // Flagged weeks sold less on average than the mean 8.
    let (s, k) =
        h.values().iter().zip(h.censored()).filter(|(_, c)| **c).fold((0.0, 0.0), |a, (v, _)| (a.0 + v, a.1 + 1.0));
    assert!(s / k < 6.0);
}

#[test]
fn scorer_equals_a_direct_simulation_on_the_same_draws() {
    // The scorer's reduction (stock at the end of period L, then offsets C_k - x) against
    // a period-by-period simulation of the same draws, with stock in transit, for lost
    // sales and backorders.
    let fam = flat(Noise::NegBin { r: 2.0 }, 6.0);
    let t = fam.item(1, "direct");
    let pos = StockPosition { on_hand: 4.0, arrivals: vec![3.0, 0.0, 7.0] };
    let n = 3_000;
    for backorders in [false, true] {
        let s = Settings { lead_time: 3, review_period: 2, holding: 1.0, shortage: 6.0, backorders };
        let scorer = Scorer::new(&t, 10, &pos, &s, n, &mut stream(6, "direct"));
        let mut rng = stream(6, "direct");
        let paths: Vec<Vec<f64>> = (0..n).map(|_| (0..5).map(|k| t.draw(10 + k, &mut rng)).collect()).collect();
        for q in 0..40 {
            let q = f64::from(q);
            let mut total = 0.0;
            for d in &paths {
                let mut stock = pos.on_hand;
                for (k, demand) in d.iter().enumerate() {
                    stock += pos.arrivals.get(k).copied().unwrap_or(0.0) + if k == 3 { q } else { 0.0 };
                    let end = stock - demand;
                    if k >= 3 {
                        total += s.holding * end.max(0.0);
                        if backorders {
                            total += s.shortage * (-end).max(0.0);
                        } else {
                            total += s.shortage * (demand - stock.max(0.0)).max(0.0);
                        }
                    }
                    stock = if backorders { end } else { end.max(0.0) };
                }
            }
            let direct = total / n as f64;
            assert!(
                (scorer.cost(q) - direct).abs() < 1e-9 * direct.max(1.0),
                "{backorders} {q}: {} {direct}",
                scorer.cost(q)
            );
        }
    }
}

#[test]
fn truth_data_are_value_stable() {
    // Value stability: every suite figure rests on these draws. A change here changes the
    // published results and needs its own CHANGELOG line saying so.
    let fams = truth::families();
    let get = |name: &str| fams.iter().find(|f| f.name == name).unwrap();
    let h = get("poisson_10").item(2027, "v").history(6, &mut stream(2027, "v"));
    assert_eq!(h.values(), &[7.0, 11.0, 6.0, 5.0, 9.0, 8.0]);
    let t = get("seasonal").item(2027, "v");
    assert_eq!(t.mean, MeanPath::Seasonal { level: 10.0, amplitude: 0.5, phase: 41.0 });
    let c = get("censored").item(2027, "v").history(8, &mut stream(2027, "v"));
    assert_eq!(c.values(), &[2.0, 9.0, 0.0, 8.0, 9.0, 3.0, 3.0, 4.0]);
    assert_eq!(c.censored(), &[true, false, true, false, false, false, true, false]);
}

#[test]
fn figures_divide_sums_and_take_type_7_quantiles() {
    use invsync_core::plan::SimResult;
    use invsync_eval::report::{RollingFigures, Spread, quantile, rolling_figures};
    use invsync_eval::rolling::{Outcome, RollingItem};
    let item = |family, cost: f64, oracle: f64, zero| RollingItem {
        family,
        key: String::new(),
        settings: Settings::lost_sales(1, 1, 1.0, 1.0),
        outcomes: vec![Outcome {
            result: SimResult { holding: cost, shortage: 0.0, demand: 10.0, sold: 5.0 },
            zero_at_empty: zero,
        }],
        oracle_level: 3.0,
        oracle: SimResult { holding: oracle, shortage: 0.0, demand: 10.0, sold: 10.0 },
    };
    let items = vec![item("a", 2.0, 1.0, 0), item("a", 10.0, 10.0, 3), item("b", 3.0, 1.0, 1)];
    let figs = rolling_figures(&items, 0);
    let names: Vec<&str> = figs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b", "ALL"]);
    // Sum over sum (12 / 11), not the mean of the ratios (1.5).
    let a = figs[0].1;
    assert_eq!(
        a,
        RollingFigures {
            items: 2,
            total_ratio: 12.0 / 11.0,
            median: 1.5,
            fill: 0.5,
            oracle_fill: 1.0,
            zero_rounds: 3,
            zero_items: 1
        }
    );
    assert_eq!((figs[2].1.zero_rounds, figs[2].1.zero_items, figs[2].1.median), (4, 2, 2.0));
    assert!((quantile(&[1.0, 2.0, 3.0, 4.0], 0.9) - 3.7).abs() < 1e-12);
    let sp = Spread::of([3.0, 1.0, 2.0]);
    assert_eq!((sp.n, sp.median, sp.worst), (3, 2.0, 3.0));
}

#[test]
fn a_failing_rule_stops_the_suite_with_an_error_naming_rule_item_and_settings() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let families: Vec<Family> = truth::families().into_iter().filter(|f| f.name == "poisson_2").collect();
    let config = RollingConfig { items: 2, rounds: 4, ..RollingConfig::quick(3) };
    // A planner whose settings are refused: an error, never silent orders of 0.
    let mut bad = invsync_core::plan::PlanConfig::vn2();
    bad.demand.scenarios = usize::MAX;
    let planner = Invsync::new("huge", bad);
    let e = rolling::run(&families, &[&planner], &config).unwrap_err();
    assert_error(&e);
    assert_eq!((e.rule.as_str(), e.key.as_str()), ("huge", "poisson_2/0"));
    assert!(matches!(*e.source, RuleError::Plan(_)), "{e}");
    assert!(e.to_string().starts_with("rule huge, item poisson_2/0 (L = 1, R = 1, h = 1, p = 4): "), "{e}");
    // A rule returning a negative or non-finite order.
    for q in [f64::NAN, -1.0, f64::INFINITY] {
        let odd = FnRule::new("odd", move |_: &str, _: &DemandHistory, _: &StockPosition, _: &Settings| q);
        let single_config = single::SingleConfig { seed: 3, reps: 1, stride: 27, draws: 100 };
        let e = single::run(&families, &[&Textbook, &odd], &single_config).unwrap_err();
        assert_eq!((e.rule.as_str(), e.key.as_str()), ("odd", "poisson_2/0/empty/0"));
        assert!(matches!(*e.source, RuleError::BadOrder(v) if v.to_bits() == q.to_bits()), "{e}");
    }
}

mod targets;
