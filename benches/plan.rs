//! Full plan per item: level-3 cascade, 1,000 scenarios, every policy and the whole k grid,
//! for W = 3 and W = 13, 512 items per iteration (the command line's chunk); one thread,
//! and (feature `parallel`) a one-thread pool, a plain sequential loop and two threads.
//! These use `PolicyConfig::default()` (no carry-over). At W = 3 the same group also plans
//! the items with what `invsync plan` runs without `--profile` (`invsync_plan_default`:
//! `PlanConfig::default()`, carry-over E = L - 1 = 1, its pooled seasonal indices resolved
//! over the items by `for_batch`), one thread, so the two configurations are compared in
//! one run.
//! Then the stages of one item at W = 3, in the same run: the demand engine (forecast,
//! rolling-origin backtest, cascade, 1,000 scenarios) and the optimizer (every candidate
//! on those scenarios); the scenario draw alone is in `benches/scenarios.rs`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invsync::demand::{DemandConfig, generate};
use invsync::plan::{ItemInput, PlanConfig, error_stats, plan_batch};
use invsync::policy::{PolicyConfig, StockPosition, optimize};
use invsync::rng;

mod common;

/// Distinct histories.
const ITEMS: usize = 64;
/// Items per iteration of the full-plan benches: the command line's chunk (`invsync plan`
/// hands rayon 512 items at a time), the 64 histories eight times under distinct keys
/// (so distinct random streams). A batch that short keeps the pool's wake-ups between
/// batches small against the work.
const BATCH: usize = 512;

fn bench(c: &mut Criterion) {
    let hs = common::plan_histories(ITEMS, 3);
    let keys: Vec<String> = (0..BATCH).map(|i| format!("S{}/P{i}", i % 7)).collect();
    for (l, r) in [(2usize, 1usize), (8, 5)] {
        let w = l + r;
        let inputs: Vec<ItemInput<'_>> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ItemInput::new(k, &hs[i % ITEMS], StockPosition { on_hand: 10.0, arrivals: vec![5.0; l] }))
            .collect();
        let config = PlanConfig {
            policy: PolicyConfig { lead_time: l, review_period: r, ..PolicyConfig::default() },
            ..PlanConfig::default()
        };
        assert!(plan_batch(&inputs, &config).iter().all(|p| p.as_ref().is_ok_and(|p| p.diagnostics.level == 3)));
        let mut g = c.benchmark_group(format!("plan/w{w}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(BATCH as u64));
        g.bench_function("1_thread", |b| {
            let pool = rayon_pool(1);
            b.iter(|| black_box(run(&pool, &inputs, &config)))
        });
        if (l, r) == (2, 1) {
            let cli = PlanConfig::default().for_batch(hs.iter());
            assert_eq!(cli.policy.simulated_periods(), 4, "W = 3 and one carry-over period");
            g.bench_function("invsync_plan_default", |b| {
                b.iter(|| {
                    black_box(inputs.iter().map(|i| invsync::plan::plan_item(i, &cli)).filter(Result::is_ok).count())
                })
            });
        }
        // The same items planned one after another on the bench's own thread, beside the
        // one-thread pool in the same run. Each plan is dropped as soon as it is made,
        // where `plan_batch` returns the batch's plans together (about 5 % of the pool's
        // gap to this case: docs/performance.md).
        #[cfg(feature = "parallel")]
        g.bench_function("sequential", |b| {
            b.iter(|| {
                black_box(inputs.iter().map(|i| invsync::plan::plan_item(i, &config)).filter(Result::is_ok).count())
            })
        });
        #[cfg(feature = "parallel")]
        g.bench_function("2_threads", |b| {
            let pool = rayon_pool(2);
            b.iter(|| black_box(run(&pool, &inputs, &config)))
        });
        g.finish();
    }
}

fn stages(c: &mut Criterion) {
    let hs = common::plan_histories(ITEMS, 3);
    let config = PlanConfig::default();
    let demand = DemandConfig { window: config.policy.simulated_periods(), ..config.demand.clone() };
    let position = StockPosition { on_hand: 10.0, arrivals: vec![5.0; config.policy.lead_time] };
    let outcomes: Vec<_> = hs
        .iter()
        .enumerate()
        .map(|(i, h)| generate(h, &demand, None, &mut rng::stream(config.seed, &format!("S/P{i}"))).unwrap())
        .collect();
    let mut g = c.benchmark_group("plan/stages_w3");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ITEMS as u64));
    g.bench_function("demand_engine", |b| {
        b.iter(|| {
            for (i, h) in hs.iter().enumerate() {
                black_box(generate(h, &demand, None, &mut rng::stream(config.seed, &format!("S/P{i}"))).unwrap());
            }
        })
    });
    g.bench_function("optimizer", |b| {
        b.iter(|| {
            for o in &outcomes {
                let s = o.scenarios.as_ref().unwrap();
                black_box(optimize(s, &position, &config.policy, Some(error_stats(&o.errors))).unwrap());
            }
        })
    });
    g.finish();
}

#[cfg(feature = "parallel")]
fn rayon_pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap()
}

#[cfg(feature = "parallel")]
fn run(pool: &rayon::ThreadPool, inputs: &[ItemInput<'_>], config: &PlanConfig) -> usize {
    pool.install(|| plan_batch(inputs, config).len())
}

#[cfg(not(feature = "parallel"))]
fn rayon_pool(_: usize) {}

#[cfg(not(feature = "parallel"))]
fn run(_: &(), inputs: &[ItemInput<'_>], config: &PlanConfig) -> usize {
    plan_batch(inputs, config).len()
}

criterion_group!(benches, bench, stages);
criterion_main!(benches);
