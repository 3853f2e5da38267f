//! Value stability, pinned as rand pins its generators: the bytes of an item's seed, the
//! first words of its stream, and a small scenario set of every drawing model, hard-coded.
//! A change to any of these numbers changes results for a given seed: it is value-breaking
//! and gets its own CHANGELOG line saying so. What they depend on beyond this crate's code
//! (the locked rand_chacha, rand_distr and statrs, and the platform's libm) is in
//! docs/ARCHITECTURE.md, "Determinism".

use invsync_core::demand::{ErrorForm, Family, UncertaintyModel};
use invsync_core::policy::{normal_loss, z_for_service};
use invsync_core::rng::{seed_for, stream};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The seed derivation of `invsync_core::rng` (FNV-1a and SplitMix64): no dependency.
#[test]
fn seed_bytes() {
    #[track_caller]
    fn check(master_seed: u64, key: &str, expected: &str) {
        assert_eq!(hex(&seed_for(master_seed, key)), expected, "seed_for({master_seed}, {key:?})");
    }
    check(42, "S1/SKU-1", "92f74a57d58e60301bfdc1383d04088b7442fe2e5d515759036f679e52267308");
    check(0, "", "30ffa46b017c81c31693bcc0acda0c101b1bf6ec69a5c354721c65240792652c");
    check(u64::MAX, "S1/SKU-2", "a3763a7f224c4d33cc38f086c6302c4c7be7e8a357bc3857f2ffc08d16ab3e76");
}

/// The first words of an item's stream (ChaCha8 of the locked rand_chacha), and the two
/// ways the engine reads them: Lemire's bounded integers and 53-bit unit floats.
#[test]
fn stream_words() {
    let mut r = stream(42, "S1/SKU-1");
    let words: Vec<u32> = (0..8).map(|_| r.next_u32()).collect();
    assert_eq!(words, [0x6efe51f3, 0x5e19e373, 0x51000891, 0xa0c6be38, 0x8ceb5e8a, 0x710d8a31, 0xc2b673fb, 0x8db90a40]);
    let mut r = stream(7, "S9/P3");
    let b: Vec<u32> = (0..4).map(|_| r.bounded(1000)).collect();
    assert_eq!(b, [983, 315, 214, 515]);
    let u: Vec<u64> = (0..2).map(|_| r.unit_f64().to_bits()).collect();
    assert_eq!(u, [0x3fc9ce8577337738, 0x3fef21586a292fbd]);
}

/// Four window totals of every drawing model, each from its own stream (exact: the
/// literals print back as the same `f64`). The parametric ones changed with the split of
/// a window over its periods (issue 27, CHANGELOG). The parametric families go through rand_distr
/// and the platform's libm; the bootstraps only through the words above.
#[test]
fn scenario_sets() {
    #[track_caller]
    fn check(i: usize, model: UncertaintyModel, expected: [f64; 4]) {
        let s = model.simulate(&[10.0, 10.0, 10.0], 4, false, &mut stream(2026, &format!("model/{i}"))).unwrap();
        assert_eq!(s.totals(), expected, "{}", model.name());
    }
    let param = |family, bias, sd| UncertaintyModel::Parametric { family, bias, sd, resample: None };
    check(
        0,
        param(Family::Normal, 0.0, 8.0),
        [33.25217001566753, 28.0032004262818, 34.14289501352263, 29.94767272410211],
    );
    check(
        1,
        param(Family::Gamma, 1.0, 8.0),
        [35.66624093156984, 29.006700961332047, 22.333551157428587, 32.15579075063043],
    );
    check(
        2,
        param(Family::LogNormal, 0.0, 8.0),
        [21.671673202741538, 24.404510276533884, 33.201924798245244, 33.25674948763185],
    );
    check(3, param(Family::Poisson, 0.0, 30f64.sqrt()), [38.0, 28.0, 28.0, 32.0]);
    check(4, param(Family::NegBinomial, 0.0, 9.0), [37.0, 36.0, 41.0, 28.0]);
    let resample = Some(vec![-6.0, 1.0, 4.0, -2.0, 7.0]);
    check(
        5,
        UncertaintyModel::Parametric { family: Family::Normal, bias: 0.0, sd: 8.0, resample },
        [33.98366592277265, 32.88477510668253, 40.070567838844404, 28.575572549450687],
    );
    let rows = vec![-1.0, 0.5, 2.0, 3.0, -2.5, 0.0, 1.5, 1.0, -0.5];
    check(6, UncertaintyModel::RowBootstrap { w: 3, rows, form: ErrorForm::Additive }, [31.5, 31.5, 31.5, 30.5]);
    let errors = vec![-1.0, 0.5, 2.0, 3.0, -2.5, 0.0, 1.5];
    check(7, UncertaintyModel::BlockBootstrap { errors, block: 2 }, [30.5, 29.5, 31.0, 31.0]);
    let sizes = vec![3.0, 5.0, 8.0];
    check(
        8,
        UncertaintyModel::Markov { p01: 0.3, p11: 0.6, sizes, jitter: true, last_nonzero: false },
        [0.0, 0.0, 7.0, 0.0],
    );
}

/// statrs's normal quantile and density, as the policy's z and loss use them.
#[test]
fn statrs_values() {
    assert_eq!(z_for_service(0.95).to_bits(), 0x3ffa515209676abc);
    assert_eq!(normal_loss(0.5).to_bits(), 0x3fc95165c8a66646);
}
