//! Demand engine oracles: docs/oracles.md D1 and E, exact window distributions, every cascade
//! level, bias, determinism and value stability.
//!
//! Monte Carlo tolerances are derived from the estimator's standard error at S scenarios:
//! a mean has SE sd / sqrt(S), a standard deviation about sd / sqrt(2 S); bands are 4 SE.

use invsync_core::Timestamp;
use invsync_core::demand::*;
use invsync_core::rng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal as NormalD};
use statrs::distribution::{ContinuousCDF, DiscreteCDF, Gamma, Poisson};

const SERIES_E: [f64; 25] =
    [0., 0., 5., 0., 0., 3., 0., 0., 0., 7., 0., 2., 0., 0., 4., 0., 0., 0., 0., 6., 0., 0., 3., 0., 1.];

fn weekly(values: Vec<f64>) -> DemandHistory {
    DemandHistory::uncensored(Timestamp::from_date(2021, 4, 12).unwrap(), Calendar::Week, values).unwrap()
}

fn point(method: ForecastMethod, y: &[f64]) -> f64 {
    let positions: Vec<usize> = (0..y.len() + 1).collect();
    let flat = SeasonalIndices::flat(52);
    forecast(&method, ForecastInput { y, positions: &positions, indices: &flat }, 1).unwrap()[0]
}

#[test]
fn e_intermittent_series() {
    let c = classify(&SERIES_E);
    assert_eq!(c.class, DemandClass::Intermittent);
    assert!((c.adi - 3.125).abs() < 1e-12);
    assert!((c.cv2 - 0.240_374_609_781_477_6).abs() < 1e-12, "population CV^2");
    assert_eq!(c.nonzero, 8);
    for (method, want) in [
        (ForecastMethod::Croston { alpha: 0.1 }, 1.388_697_27),
        (ForecastMethod::Sba { alpha: 0.1 }, 1.319_262_41),
        (ForecastMethod::Tsb { alpha_d: 0.2, alpha_p: 0.2 }, 1.612_283_4),
    ] {
        let got = point(method, &SERIES_E);
        assert!((got - want).abs() < 1e-7, "{}: {got} vs {want}", method.name());
    }
}

#[test]
fn classification_quadrants() {
    assert_eq!(classify(&[5.0, 6.0, 5.0, 6.0]).class, DemandClass::Smooth);
    assert_eq!(classify(&[1.0, 10.0, 1.0, 12.0]).class, DemandClass::Erratic);
    assert_eq!(classify(&[0.0, 0.0, 1.0, 0.0, 0.0, 10.0, 0.0, 0.0, 1.0]).class, DemandClass::Lumpy);
    assert_eq!(classify(&[0.0, 0.0, f64::NAN]).class, DemandClass::Zero);
}

/// D1: a 1,000-scenario 95 % quantile of Normal i.i.d. demand (d = 100, sigma_d = 20,
/// W = 16) falls within 1717.8 .. 1746.1.
#[test]
fn d1_normal_quantile_band() {
    let model = UncertaintyModel::Parametric { family: Family::Normal, bias: 0.0, sd: 80.0, resample: None };
    let mut r = rng::stream(2024, "D1");
    let s = model.simulate(&[100.0; 16], 1000, false, &mut r).unwrap();
    let q = s.quantile(0.95);
    assert!((1717.8..=1746.1).contains(&q), "q95 = {q}");
    // sigma_W: 80 +/- 4 x 80 / sqrt(2000)
    assert!((s.sigma_w() - 80.0).abs() < 4.0 * 80.0 / 2000f64.sqrt(), "{}", s.sigma_w());
}

/// Poisson(6) per period over W = 3 is Poisson(18) per window.
#[test]
fn poisson_window_is_exact() {
    let model = UncertaintyModel::Parametric { family: Family::Poisson, bias: 0.0, sd: 18f64.sqrt(), resample: None };
    let mut r = rng::stream(7, "poisson");
    let s = model.simulate(&[6.0, 6.0, 6.0], 1000, true, &mut r).unwrap();
    let sd = 18f64.sqrt();
    assert!((s.mu_w() - 18.0).abs() < 4.0 * sd / 1000f64.sqrt(), "{}", s.mu_w());
    assert!((s.sigma_w() - sd).abs() < 4.0 * sd / 2000f64.sqrt(), "{}", s.sigma_w());
    let exact = Poisson::new(18.0).unwrap();
    let q = s.quantile(0.95);
    // The exact 95 % quantile is 25; the MC one is one of its neighbours.
    assert_eq!(exact.inverse_cdf(0.95), 25);
    assert!((24.0..=26.0).contains(&q), "{q}");
    assert!(s.values().iter().all(|v| v.fract() == 0.0), "count data are rounded");
}

/// The periods of a parametric window are not proportional slices of its total: a
/// Poisson(32) total over W = 4 equal periods is four independent Poisson(8) periods, and
/// a gamma total four independent gammas (sd 10 / sqrt(4) each). Split proportionally,
/// one period had sd 10 / 4 (issue 27: lost sales from an empty start price only the
/// covered periods, and under-stocked at high p/h).
#[test]
fn parametric_periods_have_the_spread_of_independent_periods() {
    let per_period_sd = |s: &ScenarioSet, i: usize| {
        let x: Vec<f64> = (0..s.len()).map(|k| s.path(k)[i]).collect();
        let m = x.iter().sum::<f64>() / x.len() as f64;
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
    };
    let n = 4000.0f64;
    let model = UncertaintyModel::Parametric { family: Family::Poisson, bias: 0.0, sd: 32f64.sqrt(), resample: None };
    let s = model.simulate(&[8.0; 4], n as usize, true, &mut rng::stream(7, "split")).unwrap();
    assert!((s.sigma_w() - 32f64.sqrt()).abs() < 4.0 * 32f64.sqrt() / (2.0 * n).sqrt(), "{}", s.sigma_w());
    for i in 0..4 {
        let sd = per_period_sd(&s, i);
        // SE of a sample sd ~ sd / sqrt(2 n) (a little wider for a count).
        assert!((sd - 8f64.sqrt()).abs() < 4.0 * 8f64.sqrt() / (2.0 * n).sqrt() * 1.2, "period {i}: sd {sd}");
    }
    assert!((0..s.len()).all(|k| (s.path(k).iter().sum::<f64>() - s.totals()[k]).abs() < 1e-9));
    let model = UncertaintyModel::Parametric { family: Family::Gamma, bias: 0.0, sd: 10.0, resample: None };
    let s = model.simulate(&[10.0; 4], n as usize, false, &mut rng::stream(7, "split")).unwrap();
    for i in 0..4 {
        let sd = per_period_sd(&s, i);
        assert!((sd - 5.0).abs() < 4.0 * 5.0 / (2.0 * n).sqrt() * 1.3, "period {i}: sd {sd}");
    }
}

/// A Gamma window total with mean 30 and sd 10 (shape 9, scale 10/3).
#[test]
fn gamma_window_is_exact() {
    let model = UncertaintyModel::Parametric { family: Family::Gamma, bias: 0.0, sd: 10.0, resample: None };
    let mut r = rng::stream(7, "gamma");
    let s = model.simulate(&[10.0, 10.0, 10.0], 1000, false, &mut r).unwrap();
    assert!((s.mu_w() - 30.0).abs() < 4.0 * 10.0 / 1000f64.sqrt());
    assert!((s.sigma_w() - 10.0).abs() < 4.0 * 10.0 / 2000f64.sqrt() * 1.3, "skewed: wider SE");
    let exact = Gamma::new(9.0, 0.3).unwrap().inverse_cdf(0.95);
    // SE of a quantile: sqrt(p(1-p)/S) / f(q); f at the 95 % point of this gamma is ~0.0134.
    let se = (0.95f64 * 0.05 / 1000.0).sqrt() / 0.0134;
    assert!((s.quantile(0.95) - exact).abs() < 4.0 * se, "{} vs {exact}", s.quantile(0.95));
    assert!(s.path(0).iter().all(|v| *v >= 0.0));
}

/// Normal i.i.d. history, level 3: sigma_W near sigma sqrt(W), inflated by the moving
/// average's own estimation error: Var(window error) = W sigma^2 (1 + W / window).
#[test]
fn normal_history_sigma_w() {
    let mut g = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let d = NormalD::new(100.0, 20.0).unwrap();
    let y: Vec<f64> = (0..2000).map(|_| d.sample(&mut g)).collect();
    let h = DemandHistory::uncensored(Timestamp::from_date(2000, 1, 3).unwrap(), Calendar::Day, y).unwrap();
    let config = DemandConfig {
        window: 3,
        method: MethodChoice::Fixed(ForecastMethod::MovingAverage { window: 52 }),
        rounding: Rounding::Never,
        ..DemandConfig::default()
    };
    let out = generate(&h, &config, None, &mut rng::stream(1, "normal")).unwrap();
    assert_eq!(out.diagnostics.level, 3);
    let s = out.scenarios.unwrap();
    let expected = 20.0 * 3f64.sqrt() * (1.0 + 3.0 / 52.0f64).sqrt();
    // SE: bootstrap draws (1 / sqrt(2 S)) and the sd of ~1,950 overlapping rows
    // (effective ~n / W): sqrt(1/2000 + 3/(2 x 1950)) ~ 3.6 %.
    let rel_se = (1.0 / 2000.0 + 3.0 / 3900.0f64).sqrt();
    assert!((s.sigma_w() / expected - 1.0).abs() < 4.0 * rel_se, "{} vs {expected}", s.sigma_w());
}

/// Poisson(6) and Gamma(shape 4, scale 2) i.i.d. *histories* through the whole pipeline
/// (moving average of 104 periods, level 3 row bootstrap): the window total's mean and
/// spread against the exact window distribution, inflated by the forecast's own
/// estimation error: Var = W var_d (1 + W / 104).
#[test]
fn poisson_and_gamma_histories_match_their_window_distributions() {
    use rand_distr::{Gamma as GammaD, Poisson as PoissonD};
    let mut g = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let cases: [(&str, Vec<f64>, f64, f64); 2] = [
        ("poisson", (0..1500).map(|_| PoissonD::new(6.0).unwrap().sample(&mut g)).collect(), 6.0, 6.0),
        ("gamma", (0..1500).map(|_| GammaD::new(4.0, 2.0).unwrap().sample(&mut g)).collect(), 8.0, 16.0),
    ];
    for (name, y, mean, var) in cases {
        let h = DemandHistory::uncensored(Timestamp::from_date(2000, 1, 3).unwrap(), Calendar::Day, y).unwrap();
        let config = DemandConfig {
            method: MethodChoice::Fixed(ForecastMethod::MovingAverage { window: 104 }),
            rounding: Rounding::Never,
            ..DemandConfig::default()
        };
        let out = generate(&h, &config, None, &mut rng::stream(3, name)).unwrap();
        assert_eq!(out.diagnostics.level, 3);
        let s = out.scenarios.unwrap();
        let sd = (3.0 * var * (1.0 + 3.0 / 104.0)).sqrt();
        // mu_W: the forecast (a 104-period mean: SE sqrt(var / 104) x 3) plus the mean
        // bootstrapped error; sigma_W: as in normal_history_sigma_w.
        let mean_tol = 4.0 * (3.0 * (var / 104.0).sqrt() + sd / 1000f64.sqrt());
        assert!((s.mu_w() - 3.0 * mean).abs() < mean_tol, "{name}: mu {}", s.mu_w());
        let rel_se = (1.0 / 2000.0 + 3.0 / 2900.0f64).sqrt();
        assert!((s.sigma_w() / sd - 1.0).abs() < 4.0 * rel_se, "{name}: sigma {} vs {sd}", s.sigma_w());
    }
    assert_eq!(DemandConfig::batch().scenarios, 200);
}

fn matrix(n: usize, w: usize) -> ErrorMatrix {
    let rows: Vec<(Vec<f64>, Vec<f64>)> =
        (0..n).map(|r| ((0..w).map(|h| ((r * 7 + h * 3) % 11) as f64 - 5.0).collect(), vec![10.0; w])).collect();
    ErrorMatrix::from_rows(w, &rows)
}

#[test]
fn cascade_levels_and_transitions() {
    let h = weekly((0..60).map(|t| 10.0 + (t % 3) as f64).collect());
    let class = classify(h.values());
    let method = ForecastMethod::Ses { alpha: 0.2 };
    let config = CascadeConfig::default();
    for (n, level) in [(0, 0), (1, 0), (2, 1), (11, 1), (12, 2), (29, 2), (30, 3), (80, 3)] {
        let (model, d) = choose_model(&matrix(n, 3), &h, class, &method, &config);
        assert_eq!(d.level, level, "n = {n}: {}", d.reason);
        assert_eq!(d.n, n);
        match level {
            0 => {
                // Cold start: the per-period demand (mean 11) fitted directly.
                assert!(matches!(model, UncertaintyModel::Parametric { resample: None, .. }), "{model:?}");
                assert!(d.reason.contains("cold start"), "{}", d.reason);
                assert!((d.cold_start_mean.unwrap() - 11.0).abs() < 0.05);
                assert_eq!(d.warnings[0].severity, Severity::High);
            }
            1 => {
                assert!(matches!(model, UncertaintyModel::Parametric { resample: Some(_), .. }));
                assert_eq!(d.warnings[0].severity, Severity::High);
                assert!(!d.fits.is_empty());
            }
            2 => {
                assert!(matches!(model, UncertaintyModel::Parametric { resample: None, .. }));
                assert_eq!(d.warnings[0].severity, Severity::Medium);
                assert!(d.normality_p.is_some());
            }
            _ => {
                assert!(matches!(model, UncertaintyModel::RowBootstrap { .. }));
                assert_eq!(d.warnings[0].severity, Severity::Low);
            }
        }
    }
    // Only an item without any usable observation is blocked.
    let none = DemandHistory::new(
        Timestamp::from_date(2024, 1, 1).unwrap(),
        Calendar::Week,
        vec![f64::NAN, 0.0, f64::NAN],
        vec![false, true, false],
    )
    .unwrap();
    let (model, d) = choose_model(&matrix(0, 3), &none, classify(&none.observed_values()), &method, &config);
    assert!(matches!(model, UncertaintyModel::Blocked { .. }));
    assert!(d.reason.contains("blocked: no usable demand observation"), "{}", d.reason);
    assert!(model.simulate(&[10.0; 3], 100, true, &mut rng::stream(0, "x")).is_none());
    // Thresholds are configurable.
    let strict = CascadeConfig { level1_min_rows: 5, ..CascadeConfig::default() };
    assert_eq!(choose_model(&matrix(4, 3), &h, class, &method, &strict).1.level, 0);
}

#[test]
fn level3_intermittent_uses_markov_and_level2_rejects_normality_when_skewed() {
    let y: Vec<f64> = (0..120).map(|t| if t % 4 == 0 { (1 + t % 3) as f64 } else { 0.0 }).collect();
    let out = generate(&weekly(y), &DemandConfig::default(), None, &mut rng::stream(3, "int")).unwrap();
    assert_eq!(out.diagnostics.level, 3);
    assert_eq!(out.diagnostics.model, "markov_bootstrap");
    assert_eq!(out.diagnostics.forecast_method, "sba");
    // Strongly skewed window errors at level 2: Normal is rejected.
    let rows: Vec<(Vec<f64>, Vec<f64>)> =
        (0..25).map(|r| (vec![if r % 6 == 0 { 40.0 } else { -2.0 }, 0.0, 0.0], vec![10.0, 10.0, 10.0])).collect();
    let h = weekly(vec![10.0; 40]);
    let (_, d) = choose_model(
        &ErrorMatrix::from_rows(3, &rows),
        &h,
        classify(h.values()),
        &ForecastMethod::Naive,
        &CascadeConfig::default(),
    );
    assert_eq!(d.level, 2);
    assert!(d.normality_p.unwrap() < 0.05, "{:?}", d.normality_p);
    assert_ne!(d.model, "normal");
}

#[test]
fn short_items_cold_start_and_only_empty_ones_are_blocked() {
    // Six weeks: no forecast-error row, but demand evidence: planned from the fitted demand.
    let out = generate(&weekly(vec![5.0; 6]), &DemandConfig::default(), None, &mut rng::stream(1, "short")).unwrap();
    assert_eq!(out.diagnostics.level, 0);
    assert_eq!(out.forecast, vec![5.0; 3]);
    let s = out.scenarios.expect("cold start draws scenarios");
    assert!((s.mu_w() - 15.0).abs() < 1.0, "{}", s.mu_w());
    assert!(s.sigma_w() > 3.0, "Poisson floor and estimation error: {}", s.sigma_w());
    assert!(out.diagnostics.reason.contains("cold start"));
    // Every week out of stock selling 0: nothing is known, so blocked, and it says why.
    let h = DemandHistory::new(Timestamp::from_date(2024, 1, 1).unwrap(), Calendar::Week, vec![0.0; 6], vec![true; 6])
        .unwrap();
    let out = generate(&h, &DemandConfig::default(), None, &mut rng::stream(1, "short")).unwrap();
    assert!(out.scenarios.is_none());
    assert!(out.diagnostics.reason.contains("no usable demand observation"));
    let empty = generate(&weekly(vec![]), &DemandConfig::default(), None, &mut rng::stream(1, "e")).unwrap();
    assert!(empty.scenarios.is_none() && empty.forecast.is_empty());
}

#[test]
fn bias_is_kept_and_flagged() {
    // A steadily growing series forecast naively: actuals run ahead of forecasts.
    let y: Vec<f64> = (0..80).map(|t| 10.0 + t as f64).collect();
    let config = DemandConfig { method: MethodChoice::Fixed(ForecastMethod::Naive), ..DemandConfig::default() };
    let out = generate(&weekly(y), &config, None, &mut rng::stream(5, "trend")).unwrap();
    assert!(out.diagnostics.biased);
    assert!((out.diagnostics.bias - 6.0).abs() < 1e-9, "window error 1 + 2 + 3");
    let s = out.scenarios.unwrap();
    let f: f64 = out.forecast.iter().sum();
    assert!((s.mu_w() - (f + 6.0)).abs() < 1e-9, "not de-meaned: {} vs {}", s.mu_w(), f + 6.0);
}

#[test]
fn consensus_forecast_and_bad_inputs() {
    let h = weekly((0..60).map(|t| 10.0 + (t % 4) as f64).collect());
    let out = generate(&h, &DemandConfig::default(), Some(&[30.0, 30.0, 30.0]), &mut rng::stream(1, "c")).unwrap();
    assert_eq!(out.forecast, vec![30.0; 3]);
    assert!(out.scenarios.unwrap().mu_w() > 80.0);
    let bad = generate(&h, &DemandConfig::default(), Some(&[1.0, f64::NAN, 1.0]), &mut rng::stream(1, "c"));
    assert!(matches!(bad, Err(DemandError::BadForecast { .. })));
    let zero = DemandConfig { window: 0, ..DemandConfig::default() };
    assert_eq!(generate(&h, &zero, None, &mut rng::stream(1, "c")).unwrap_err(), DemandError::ZeroWindow);
    assert!(DemandHistory::uncensored(Timestamp::EPOCH, Calendar::Week, vec![-1.0]).is_err());
    assert!(DemandHistory::new(Timestamp::EPOCH, Calendar::Week, vec![1.0], vec![]).is_err());
}

#[test]
fn censored_periods_are_not_errors() {
    let mut y = vec![10.0; 50];
    let mut censored = vec![false; 50];
    for t in (5..50).step_by(5) {
        y[t] = 1.0; // a stock-out week: sales far below demand
        censored[t] = true;
    }
    let h = DemandHistory::new(Timestamp::from_date(2021, 1, 4).unwrap(), Calendar::Week, y, censored).unwrap();
    let out = generate(&h, &DemandConfig::default(), None, &mut rng::stream(1, "cens")).unwrap();
    assert!((out.forecast[0] - 10.0).abs() < 1e-9, "censored lows do not drag the forecast");
    for r in 0..out.errors.n() {
        assert!(out.errors.row(r).iter().all(|e| e.abs() < 1e-9));
    }
}

#[test]
fn streams_make_items_independent_of_order() {
    let h = weekly((0..80).map(|t| 5.0 + ((t * 7) % 9) as f64).collect());
    let config = DemandConfig::default();
    let a = generate(&h, &config, None, &mut rng::stream(9, "S1/A")).unwrap().scenarios.unwrap();
    let _other = generate(&h, &config, None, &mut rng::stream(9, "S1/B")).unwrap();
    let again = generate(&h, &config, None, &mut rng::stream(9, "S1/A")).unwrap().scenarios.unwrap();
    assert_eq!(a, again);
    let b = generate(&h, &config, None, &mut rng::stream(9, "S1/B")).unwrap().scenarios.unwrap();
    assert_ne!(a, b);
}

/// Value stability: these numbers are fixed by (history, config, seed, key). A change is
/// value-breaking and needs its own CHANGELOG line.
#[test]
fn value_stability() {
    let h = weekly((0..80).map(|t| 5.0 + ((t * 7) % 9) as f64).collect());
    let s = generate(&h, &DemandConfig::default(), None, &mut rng::stream(42, "S1/SKU-1")).unwrap().scenarios.unwrap();
    let first: Vec<f64> = s.path(0).to_vec();
    assert_eq!(format!("{:.6}", s.sigma_w()), SIGMA_W);
    assert_eq!(first, FIRST);
}

const SIGMA_W: &str = "4.566576";
const FIRST: [f64; 3] = [11.0, 9.0, 7.0];

mod incremental {
    use super::*;
    use proptest::prelude::*;

    fn methods() -> Vec<ForecastMethod> {
        vec![
            ForecastMethod::Naive,
            ForecastMethod::MovingAverage { window: 4 },
            ForecastMethod::SeasonalMovingAverage { window: 3 },
            ForecastMethod::Ses { alpha: 0.3 },
            ForecastMethod::HoltDamped { alpha: 0.4, beta: 0.1, phi: 0.9 },
            ForecastMethod::Croston { alpha: 0.1 },
            ForecastMethod::Sba { alpha: 0.2 },
            ForecastMethod::Tsb { alpha_d: 0.2, alpha_p: 0.3 },
        ]
    }

    proptest! {
        /// The backtest's forecast at every origin is the one-shot forecast of the prefix.
        #[test]
        fn backtest_matches_one_shot(y in proptest::collection::vec(prop_oneof![4 => 0.0f64..20.0, 1 => Just(0.0), 1 => Just(f64::NAN)], 2..40)) {
            let positions: Vec<usize> = (0..y.len() + 1).map(|t| t % 4).collect();
            let indices = SeasonalIndices::from_values(vec![0.8, 1.2, 1.0, 1.0]);
            for m in methods() {
                let e = backtest(&m, &y, &positions, &indices, 1, 1);
                let mut expected = Vec::new();
                for t in 0..y.len() - 1 {
                    let input = ForecastInput { y: &y[..=t], positions: &positions, indices: &indices };
                    if let (Some(f), false) = (forecast(&m, input, 1), y[t + 1].is_nan()) {
                        expected.push(y[t + 1] - f[0]);
                    }
                }
                prop_assert_eq!(e.one_step(), &expected[..], "{}", m.name());
            }
        }
    }
}

/// The level-3 bootstraps (tabled or not, into a fresh or a reused set) give exactly the
/// values, totals, moments and final generator state of a direct reference loop.
mod bootstrap_reference {
    use super::*;
    use proptest::prelude::*;

    fn finish(v: f64, round: bool) -> f64 {
        let v = v.max(0.0);
        if round { v.round() } else { v }
    }

    /// `(values, totals, next draw)` of the i.i.d. or row bootstrap written plainly.
    fn reference(
        forecast: &[f64],
        s: usize,
        errors: &[f64],
        row: bool,
        round: bool,
        rng: &mut rng::ItemStream,
    ) -> (Vec<f64>, Vec<f64>, u32) {
        let w = forecast.len();
        let (mut values, mut totals) = (Vec::new(), Vec::new());
        for _ in 0..s {
            let mut t = 0.0;
            let r = if row { rng.bounded((errors.len() / w) as u32) as usize } else { 0 };
            for (h, f) in forecast.iter().enumerate() {
                let e = if row { errors[r * w + h] } else { errors[rng.bounded(errors.len() as u32) as usize] };
                let v = finish(f + e, round);
                values.push(v);
                t += v;
            }
            totals.push(t);
        }
        (values, totals, rng.next_u32())
    }

    proptest! {
        #[test]
        fn bootstraps_match_the_reference(
            forecast in proptest::collection::vec(0.0f64..40.0, 1..7),
            errors in proptest::collection::vec(-30.0f64..30.0, 1..60),
            s in 2usize..90,
            row in any::<bool>(),
            round in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let w = forecast.len();
            let model = if row {
                let n = errors.len() / w;
                prop_assume!(n > 0);
                UncertaintyModel::RowBootstrap { w, rows: errors[..n * w].to_vec(), form: ErrorForm::Additive }
            } else {
                UncertaintyModel::BlockBootstrap { errors: errors.clone(), block: 1 }
            };
            let (values, totals, next) = reference(&forecast, s, &errors, row, round, &mut rng::stream(seed, "ref"));
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            // A set reused from a larger, different draw must not leak into this one.
            let other = UncertaintyModel::BlockBootstrap { errors: vec![-3.0, 4.5], block: 1 };
            let mut reused = other.simulate(&[50.0; 9], 200, !round, &mut rng::stream(seed, "other")).unwrap();
            let mut r = rng::stream(seed, "ref");
            prop_assert!(model.simulate_into(&forecast, s, round, &mut r, &mut reused));
            prop_assert_eq!(r.next_u32(), next);
            let fresh = model.simulate(&forecast, s, round, &mut rng::stream(seed, "ref")).unwrap();
            for set in [&fresh, &reused] {
                prop_assert_eq!(bits(set.values()), bits(&values));
                prop_assert_eq!(bits(set.totals()), bits(&totals));
                prop_assert_eq!(set.w(), w);
            }
            prop_assert_eq!(&fresh, &reused);
            let direct = ScenarioSet::from_values(w, values).unwrap();
            prop_assert_eq!(fresh.mu_w().to_bits(), direct.mu_w().to_bits());
            prop_assert_eq!(fresh.sigma_w().to_bits(), direct.sigma_w().to_bits());
        }
    }

    #[test]
    fn a_blocked_draw_empties_the_set() {
        let mut set = UncertaintyModel::BlockBootstrap { errors: vec![1.0], block: 1 }
            .simulate(&[5.0; 3], 10, true, &mut rng::stream(1, "x"))
            .unwrap();
        let blocked = UncertaintyModel::Blocked { reason: "none".into() };
        assert!(!blocked.simulate_into(&[5.0; 3], 10, true, &mut rng::stream(1, "x"), &mut set));
        assert!(set.is_empty() && set.values().is_empty());
    }
}
