//! Truth processes: demand families whose per-period distribution is known exactly.
//!
//! Every family is a sequence of independent periods: period `t` (0-based from the
//! history's first week) has a known mean `mu_t` (constant, seasonal, trending or
//! shifted) and a known distribution around it. Histories and future paths are drawn
//! from per-item ChaCha8 streams ([`invsync_core::rng::stream`]), so an item's data
//! depend only on (seed, family, item).
//!
//! ```text
//! normal      max(0, Normal(mu, cv mu))          continuous
//! poisson     Poisson(mu_t)
//! negbin      Poisson(Gamma(r, mu / r))          var = mu + mu^2 / r
//! intermittent Bernoulli(q) x (1 + Poisson(m))   sizes >= 1
//! lumpy       Bernoulli(q) x max(1, round(Gamma(k, theta)))
//! ```

use invsync_core::Timestamp;
use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::rng::seed_for;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Normal, Poisson};

/// The stream of `key` under `seed` as a `rand` generator, for rand_distr's samplers: the
/// ChaCha8 generator of invsync's derivation ([`seed_for`]), so its words are those of
/// [`invsync_core::rng::stream`] (which keeps `rand` out of invsync's API).
pub fn stream(seed: u64, key: &str) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(seed_for(seed, key))
}

/// A uniform `f64` in `[0, 1)`, as [`invsync_core::rng::ItemStream::unit_f64`] draws it.
fn unit_f64(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The distribution of one period around its mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Noise {
    /// `max(0, Normal(mu, cv mu))`, not rounded.
    Normal {
        /// Coefficient of variation.
        cv: f64,
    },
    /// `Poisson(mu)`.
    Poisson,
    /// Negative binomial as a gamma-Poisson mixture with shape `r`: variance `mu + mu^2 / r`.
    NegBin {
        /// Gamma shape (dispersion).
        r: f64,
    },
    /// A demand occurs with probability `q`, of size `1 + Poisson(size_mean - 1)`.
    Intermittent {
        /// Probability of a demand in a period.
        q: f64,
        /// Mean size of a demand (>= 1).
        size_mean: f64,
    },
    /// A demand occurs with probability `q`, of size `max(1, round(Gamma(shape, scale)))`.
    Lumpy {
        /// Probability of a demand in a period.
        q: f64,
        /// Gamma shape of the sizes.
        shape: f64,
        /// Gamma scale of the sizes.
        scale: f64,
    },
}

/// How the mean moves over time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeanPath {
    /// Constant.
    Flat(f64),
    /// `level (1 + amplitude sin(2 pi (week_of_year + phase) / 52))`, week of year from the
    /// history's calendar (so a seasonal model can learn it).
    Seasonal {
        /// Mean level.
        level: f64,
        /// Relative amplitude.
        amplitude: f64,
        /// Phase in weeks.
        phase: f64,
    },
    /// `start + slope t`, floored at 0.1.
    Trend {
        /// Mean of period 0.
        start: f64,
        /// Change per period.
        slope: f64,
    },
    /// `before` until period `at` (exclusive), `after` from then on.
    Shift {
        /// Mean before the shift.
        before: f64,
        /// Mean from the shift on.
        after: f64,
        /// First period at the new level.
        at: usize,
    },
}

/// Stock-outs recorded in a history: in each period, with probability `prob` only
/// `floor(U x fraction x mu_t)` units were available (U uniform in [0, 1)); sales are
/// `min(demand, available)` and the period is flagged out of stock when it ran out
/// (available <= demand).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Censoring {
    /// Probability that a period's availability is limited.
    pub prob: f64,
    /// Availability cap as a fraction of the period's mean.
    pub fraction: f64,
}

/// One demand family: a process, the length of the history a user brings, and whether
/// that history is censored by stock-outs.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Name shown in the tables.
    pub name: &'static str,
    /// Periods of history at the first decision.
    pub history_len: usize,
    /// The distribution around the mean.
    pub noise: Noise,
    /// The mean path; for `Seasonal` the phase and for `Shift` the direction are drawn per
    /// item (see [`Family::item`]).
    pub mean: MeanPath,
    /// Stock-outs in the recorded history.
    pub censoring: Option<Censoring>,
}

/// The first week of every generated history (a Monday).
pub fn history_start() -> Timestamp {
    Timestamp::from_date(2022, 1, 3).unwrap_or(Timestamp::from_millis(0))
}

/// The 17 families of the suites (docs/decision-quality.md).
pub fn families() -> Vec<Family> {
    use MeanPath::*;
    use Noise::*;
    let f = |name, history_len, noise, mean| Family { name, history_len, noise, mean, censoring: None };
    vec![
        f("normal_cv0.1", 104, Normal { cv: 0.1 }, Flat(50.0)),
        f("normal_cv0.3", 104, Normal { cv: 0.3 }, Flat(50.0)),
        f("normal_cv0.6", 104, Normal { cv: 0.6 }, Flat(50.0)),
        f("poisson_0.5", 104, Poisson, Flat(0.5)),
        f("poisson_2", 104, Poisson, Flat(2.0)),
        f("poisson_10", 104, Poisson, Flat(10.0)),
        f("negbin_5_r2", 104, NegBin { r: 2.0 }, Flat(5.0)),
        f("intermittent", 104, Intermittent { q: 0.25, size_mean: 3.0 }, Flat(0.75)),
        f("lumpy", 104, Lumpy { q: 0.15, shape: 0.8, scale: 15.0 }, Flat(0.15 * 12.0)),
        f("seasonal", 104, Poisson, Seasonal { level: 10.0, amplitude: 0.5, phase: 0.0 }),
        f("trend", 104, Poisson, Trend { start: 5.0, slope: 0.08 }),
        f("level_shift", 104, Poisson, Shift { before: 10.0, after: 20.0, at: 91 }),
        f("short_8", 8, Poisson, Flat(8.0)),
        f("short_13", 13, Poisson, Flat(8.0)),
        f("short_26", 26, Poisson, Flat(8.0)),
        f("file_30_weeks", 30, Poisson, Flat(8.0)),
        Family {
            name: "censored",
            history_len: 104,
            noise: Poisson,
            mean: Flat(8.0),
            censoring: Some(Censoring { prob: 0.3, fraction: 1.2 }),
        },
    ]
}

/// The newsvendor case of issue 27: Normal(50, 8), 260 weeks.
pub fn newsvendor_family() -> Family {
    Family {
        name: "newsvendor",
        history_len: 260,
        noise: Noise::Normal { cv: 8.0 / 50.0 },
        mean: MeanPath::Flat(50.0),
        censoring: None,
    }
}

/// One item: a family with its per-item draws resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// The family's distribution around the mean.
    pub noise: Noise,
    /// The item's mean path.
    pub mean: MeanPath,
    /// Censoring of the recorded history.
    pub censoring: Option<Censoring>,
}

impl Family {
    /// The item `key` of this family under `seed`: a seasonal item's phase is uniform in
    /// [0, 52) and a level shift doubles or halves (even / odd draw), from the item's own
    /// stream.
    pub fn item(&self, seed: u64, key: &str) -> Truth {
        let mut rng = stream(seed, &format!("truth/{key}"));
        let mean = match self.mean {
            MeanPath::Seasonal { level, amplitude, .. } => {
                MeanPath::Seasonal { level, amplitude, phase: (unit_f64(&mut rng) * 52.0).floor() }
            }
            MeanPath::Shift { before, after, at } => {
                if unit_f64(&mut rng) < 0.5 {
                    MeanPath::Shift { before, after, at }
                } else {
                    MeanPath::Shift { before: after, after: before, at }
                }
            }
            m => m,
        };
        Truth { noise: self.noise, mean, censoring: self.censoring }
    }
}

impl Truth {
    /// The mean of the distribution's parameter `mu_t` at period `t`.
    pub fn mu(&self, t: usize) -> f64 {
        match self.mean {
            MeanPath::Flat(m) => m,
            MeanPath::Seasonal { level, amplitude, phase } => {
                let pos = Calendar::Week.season_position(Calendar::Week.period_start(history_start(), t as i64));
                level * (1.0 + amplitude * (std::f64::consts::TAU * (pos as f64 + phase) / 52.0).sin())
            }
            MeanPath::Trend { start, slope } => (start + slope * t as f64).max(0.1),
            MeanPath::Shift { before, after, at } => {
                if t < at {
                    before
                } else {
                    after
                }
            }
        }
    }

    /// The exact mean demand of period `t`.
    pub fn mean(&self, t: usize) -> f64 {
        let mu = self.mu(t);
        match self.noise {
            // E[max(0, X)] for X ~ N(mu, s): mu Phi(mu / s) + s phi(mu / s).
            Noise::Normal { cv } => {
                let s = cv * mu;
                if s <= 0.0 {
                    return mu.max(0.0);
                }
                let z = mu / s;
                mu * (1.0 - 0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2))
                    + s * (-0.5 * z * z).exp() / (std::f64::consts::TAU).sqrt()
            }
            Noise::Poisson | Noise::NegBin { .. } => mu,
            Noise::Intermittent { q, size_mean } => q * size_mean,
            // The rounded gamma is not exactly its mean; the family's `mu` is nominal.
            Noise::Lumpy { .. } => mu,
        }
    }

    /// One draw of period `t`'s demand.
    pub fn draw(&self, t: usize, rng: &mut ChaCha8Rng) -> f64 {
        let mu = self.mu(t);
        match self.noise {
            Noise::Normal { cv } => {
                let s = cv * mu;
                Normal::new(mu, s).map_or(mu, |d| d.sample(rng)).max(0.0)
            }
            Noise::Poisson => poisson(mu, rng),
            Noise::NegBin { r } => {
                let lambda = Gamma::new(r, mu / r).map_or(mu, |g| g.sample(rng));
                poisson(lambda, rng)
            }
            Noise::Intermittent { q, size_mean } => {
                if unit_f64(rng) < q {
                    1.0 + poisson(size_mean - 1.0, rng)
                } else {
                    0.0
                }
            }
            Noise::Lumpy { q, shape, scale } => {
                if unit_f64(rng) < q {
                    Gamma::new(shape, scale).map_or(1.0, |g| g.sample(rng)).round().max(1.0)
                } else {
                    0.0
                }
            }
        }
    }

    /// The true demand of periods `from..from + n` drawn from `rng`.
    pub fn path(&self, from: usize, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
        (from..from + n).map(|t| self.draw(t, rng)).collect()
    }

    /// A recorded history of `n` periods from `rng`: sales and out-of-stock flags (the
    /// true demand itself when the family is not censored).
    pub fn history(&self, n: usize, rng: &mut ChaCha8Rng) -> DemandHistory {
        let mut values = Vec::with_capacity(n);
        let mut flags = Vec::with_capacity(n);
        for t in 0..n {
            let d = self.draw(t, rng);
            match self.censoring {
                Some(c) if unit_f64(rng) < c.prob => {
                    let available = (unit_f64(rng) * c.fraction * self.mu(t)).floor();
                    values.push(d.min(available));
                    flags.push(available <= d);
                }
                _ => {
                    values.push(d);
                    flags.push(false);
                }
            }
        }
        // Values are finite and >= 0 by construction.
        DemandHistory::new(history_start(), Calendar::Week, values, flags)
            .unwrap_or_else(|e| unreachable!("generated history is valid: {e}"))
    }
}

fn poisson(mean: f64, rng: &mut ChaCha8Rng) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    Poisson::new(mean).map_or(mean.round(), |d| d.sample(rng))
}
