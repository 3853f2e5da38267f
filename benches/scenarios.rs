//! The scenario hot loop: 1,000 scenarios for W = 3 and W = 13, at cascade level 3 (row
//! bootstrap, and i.i.d. one-step errors as in the VN2 defaults) and level 1 (gamma with a parameter bootstrap). Each case is measured next
//! to the raw ChaCha8 output it consumes (the same number of 32-bit words, counted), in
//! the same group, so the ratio simulate / chacha8_floor is the cost above the RNG floor.
//! `simulate_into` draws into one reused set (no allocation), as the planner does.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invsync::demand::{ErrorForm, Family, ScenarioSet, UncertaintyModel};
use invsync::rng;

const S: usize = 1000;

fn models(w: usize) -> [(&'static str, UncertaintyModel); 3] {
    let rows: Vec<f64> = (0..100 * w).map(|i| ((i * 37) % 23) as f64 - 11.0).collect();
    let errors: Vec<f64> = (0..150).map(|i| ((i * 37) % 23) as f64 - 11.0).collect();
    [
        ("level3", UncertaintyModel::RowBootstrap { w, rows, form: ErrorForm::Additive }),
        // The VN2 defaults: i.i.d. resampling of one-step errors, one draw per value.
        ("level3_iid", UncertaintyModel::BlockBootstrap { errors, block: 1 }),
        (
            "level1",
            UncertaintyModel::Parametric {
                family: Family::Gamma,
                bias: 1.0,
                sd: 12.0,
                resample: Some(vec![-9.0, 4.0, 12.0, -3.0, 7.0, 1.0, -6.0, 10.0]),
            },
        ),
    ]
}

fn bench(c: &mut Criterion) {
    for w in [3usize, 13] {
        let forecast = vec![20.0; w];
        for (level, model) in models(w) {
            let mut g = c.benchmark_group(format!("scenarios/{level}_w{w}"));
            g.throughput(Throughput::Elements((S * w) as u64));
            // The 32-bit words one set consumes: the stream's position after drawing it.
            let mut counting = rng::stream(1, "bench");
            model.simulate(&forecast, S, true, &mut counting);
            let words = counting.word_pos() as u64;
            let mut r = rng::stream(1, "bench");
            g.bench_function("simulate", |b| b.iter(|| black_box(model.simulate(&forecast, S, true, &mut r))));
            // Into one reused set, as a planner thread draws: no allocation per set.
            let (mut r, mut set) = (rng::stream(1, "bench"), ScenarioSet::default());
            g.bench_function("simulate_into", |b| {
                b.iter(|| black_box(model.simulate_into(&forecast, S, true, &mut r, &mut set)))
            });
            let mut r = rng::stream(1, "bench");
            g.bench_function("chacha8_floor", |b| {
                b.iter(|| {
                    let mut acc = 0u32;
                    for _ in 0..words {
                        acc = acc.wrapping_add(r.next_u32());
                    }
                    black_box(acc)
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
