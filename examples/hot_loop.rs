//! The scenario hot loop against the ChaCha8 output it consumes, measured so the ratio is
//! stable on a shared machine: for each case, `ROUNDS` rounds alternate ten calls of
//! `simulate_into` (1,000 scenarios, into one reused set) with ten runs of the ChaCha8 floor (the same number of
//! 32-bit words drawn bare), and each keeps its best round. Interleaving puts both under
//! the same machine state; the best round drops the interruptions.
//!
//! ```text
//! cargo run --release --example hot_loop [-- ROUNDS]     # default 400
//! ```
//!
//! Cases: level 3, i.i.d. resampling of one-step errors (the VN2 default: one draw per
//! value), with values rounded to whole units (what the planner asks for) and without (the
//! bare draw, lookup, add and clamp), and the row bootstrap (one draw per scenario, W
//! values from it), W = 3 and 13.

use std::hint::black_box;
use std::time::Instant;

use invsync::demand::{ErrorForm, ScenarioSet, UncertaintyModel};
use invsync::rng;

const S: usize = 1000;

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(400).max(1);
    // The error sets of benches/scenarios.rs.
    let errors: Vec<f64> = (0..150).map(|i| ((i * 37) % 23) as f64 - 11.0).collect();
    println!("case                       ns/value  ns/word  ratio  (best of {rounds} interleaved rounds)");
    for w in [3usize, 13] {
        let rows: Vec<f64> = (0..100 * w).map(|i| ((i * 37) % 23) as f64 - 11.0).collect();
        let iid = || UncertaintyModel::BlockBootstrap { errors: errors.clone(), block: 1 };
        let cases = [
            ("iid", iid(), S * w, true),
            ("iid, unrounded", iid(), S * w, false),
            ("row", UncertaintyModel::RowBootstrap { w, rows, form: ErrorForm::Additive }, S, true),
        ];
        let forecast = vec![20.0; w];
        for (name, model, words, round) in cases {
            let (mut sim_rng, mut floor_rng) = (rng::stream(1, "hot"), rng::stream(1, "hot"));
            let (mut best_sim, mut best_floor) = (f64::INFINITY, f64::INFINITY);
            // One set reused for every draw, as a planner thread does: no allocation.
            let mut set = ScenarioSet::default();
            for _ in 0..rounds {
                let t = Instant::now();
                for _ in 0..10 {
                    black_box(model.simulate_into(&forecast, S, round, &mut sim_rng, &mut set));
                    black_box(&set);
                }
                best_sim = best_sim.min(t.elapsed().as_secs_f64() / 10.0);
                let t = Instant::now();
                for _ in 0..10 {
                    let mut acc = 0u32;
                    for _ in 0..words {
                        acc = acc.wrapping_add(floor_rng.next_u32());
                    }
                    black_box(acc);
                }
                best_floor = best_floor.min(t.elapsed().as_secs_f64() / 10.0);
            }
            println!(
                "{:<24}  {:>9.2}  {:>7.2}  {:>5.2}",
                format!("{name}, W = {w}"),
                best_sim / (S * w) as f64 * 1e9,
                best_floor / words as f64 * 1e9,
                best_sim / best_floor
            );
        }
    }
}
