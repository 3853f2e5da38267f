//! The classic safety-stock formulas the planner reports beside its own decision.
//!
//! ```text
//! G(z)          = phi(z) - z (1 - Phi(z))          standard normal loss (docs/oracles.md C7)
//! SS (lead time) = z sigma_d sqrt(L)               continuous review
//! SS (window)    = z sigma_d sqrt(L + R)           periodic review
//! fill rate beta with order Q:  G(k) = Q (1 - beta) / sigma   ->  SS = k sigma   (D2)
//! ```

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

fn std_normal() -> Normal {
    Normal::standard()
}

/// The standard normal loss function G(z) = E[(Z - z)+].
///
/// ```
/// let g = invsync_core::policy::normal_loss(0.0);
/// assert!((g - 0.3989422804014327).abs() < 1e-15);
/// ```
pub fn normal_loss(z: f64) -> f64 {
    let n = std_normal();
    n.pdf(z) - z * (1.0 - n.cdf(z))
}

/// The z of a cycle service level (`Phi^-1(csl)`), for `0 < csl < 1`.
pub fn z_for_service(csl: f64) -> f64 {
    std_normal().inverse_cdf(csl.clamp(1e-12, 1.0 - 1e-12))
}

/// The cycle service level of safety factor `z` (`Phi(z)`).
pub fn service_of_z(z: f64) -> f64 {
    std_normal().cdf(z)
}

/// Classic safety stock `z sigma_d sqrt(periods)`.
///
/// ```
/// use invsync_core::policy::{classic_safety_stock, z_for_service};
/// let ss = classic_safety_stock(z_for_service(0.95), 20.0, 9.0); // docs/oracles.md D1
/// assert!((ss - 98.6912).abs() < 1e-3);
/// ```
pub fn classic_safety_stock(z: f64, sigma_d: f64, periods: f64) -> f64 {
    z * sigma_d * periods.max(0.0).sqrt()
}

/// The safety factor k for fill rate `beta` with order quantity `q` and demand sd
/// `sigma` over the protection interval: solves `G(k) = q (1 - beta) / sigma` by
/// bisection (G is decreasing). `None` when the inputs are not positive and finite or
/// `beta` is not in (0, 1).
///
/// ```
/// let k = invsync_core::policy::k_for_fill_rate(0.98, 500.0, 60.0).unwrap(); // D2
/// assert!((k - 0.607347).abs() < 1e-5);
/// ```
pub fn k_for_fill_rate(beta: f64, q: f64, sigma: f64) -> Option<f64> {
    if !(beta > 0.0 && beta < 1.0 && q > 0.0 && sigma > 0.0 && q.is_finite() && sigma.is_finite()) {
        return None;
    }
    let target = q * (1.0 - beta) / sigma;
    let (mut lo, mut hi) = (-10.0f64, 10.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_loss(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Exact expected newsvendor cost of stocking `s` against Normal(mu, sigma) demand:
/// `h (s - mu) + (h + p) sigma G((s - mu) / sigma)`.
pub fn normal_newsvendor_cost(mu: f64, sigma: f64, h: f64, p: f64, s: f64) -> f64 {
    let z = (s - mu) / sigma;
    h * (s - mu) + (h + p) * sigma * normal_loss(z)
}
