//! Cold start: the per-period demand fitted directly, for items with demand evidence but
//! too few forecast-error rows for the cascade's levels 1-3.
//!
//! ```text
//! x_i  known (in-stock) demands,  c_j  censored sales (out of stock: demand >= c_j)
//! no censoring:   m = mean(x),  v = sample variance(x)
//! censoring:      normal EM (20 rounds) with E[D | D >= c] = m + s lambda(a),
//!                 E[D^2 | D >= c] = m^2 + s^2 + s lambda(a) (c + m),  a = (c - m) / s,
//!                 lambda = phi(a) / (1 - Phi(a));  fewer than 2 known values: the censored
//!                 sales count as demands (a lower bound), said in the reason
//! inflation:      v x f,  f = (n - 1) / (n - 3) for n >= 5, else 2 (the Student-t
//!                 predictive inflation of an estimated variance)
//! counts:         v >= m  (a Poisson floor, not inflated: it is not an estimate)
//! one value only: v = m (counts) or m^2 (otherwise)
//! window total:   mean W m,  variance W v + W^2 v / n  (the second term: the mean's
//!                 estimation error)
//! family:         counts: negative binomial (Poisson when the variance is not above the
//!                 mean); otherwise gamma
//! ```

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::fit::Family;
use super::series::DemandHistory;

/// The fitted per-period demand of a cold-started item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ColdFit {
    /// Mean demand per period.
    pub mean: f64,
    /// Standard deviation of the W-period total (estimation uncertainty included).
    pub sd_w: f64,
    /// The family of the window total.
    pub family: Family,
    /// Usable observations (known plus censored).
    pub n: usize,
    /// Of which censored.
    pub censored: usize,
    /// Whether censored sales stood in for demands (fewer than 2 known values).
    pub lower_bound: bool,
}

/// Fits the per-period demand of `history` for a window of `w` periods; `None` when there
/// is no usable observation (no known demand and no censored period with sales above 0).
pub(crate) fn fit(history: &DemandHistory, w: usize) -> Option<ColdFit> {
    let mut known = Vec::new();
    let mut cens = Vec::new();
    for (t, (&v, &c)) in history.values().iter().zip(history.censored()).enumerate() {
        if v.is_nan() {
            continue;
        }
        if c {
            // Demand >= 0 says nothing.
            if v > 0.0 {
                cens.push(v);
            }
        } else {
            known.push(history.observed(t).unwrap_or(v));
        }
    }
    let counts = history.is_count_data() && cens.iter().all(|v| crate::float::is_whole(*v));
    let n = known.len() + cens.len();
    if n == 0 {
        return None;
    }
    let lower_bound = known.len() < 2 && !cens.is_empty();
    let (mean, var) = if cens.is_empty() || lower_bound {
        let all: Vec<f64> = known.iter().chain(&cens).copied().collect();
        moments(&all)
    } else {
        censored_normal(&known, &cens)
    };
    let mean = mean.max(0.0);
    let nf = n as f64;
    let wf = w as f64;
    // The estimated variance is inflated; the Poisson floor of counts is not an estimate.
    let inflate = if n >= 5 { (nf - 1.0) / (nf - 3.0) } else { 2.0 };
    let var = if n < 2 {
        if counts { mean } else { mean * mean }
    } else if counts {
        (var * inflate).max(mean)
    } else {
        var * inflate
    };
    let var_w = wf * var + wf * wf * var / nf;
    let sd_w = var_w.sqrt();
    let family =
        if counts { if var_w > wf * mean { Family::NegBinomial } else { Family::Poisson } } else { Family::Gamma };
    Some(ColdFit { mean, sd_w, family, n, censored: cens.len(), lower_bound })
}

/// Mean and sample variance (0 below two values).
fn moments(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n.max(1.0);
    let v = if x.len() > 1 { x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, v)
}

/// Mean and variance of a normal fitted by EM to known values and right-censored ones.
pub(crate) fn censored_normal(known: &[f64], cens: &[f64]) -> (f64, f64) {
    let all: Vec<f64> = known.iter().chain(cens).copied().collect();
    let (mut m, v0) = moments(&all);
    let scale = all.iter().fold(0.0f64, |a, b| a.max(b.abs())).max(1e-9);
    let mut s = v0.sqrt().max(1e-3 * scale);
    let std = Normal::standard();
    let n = all.len() as f64;
    let kx: f64 = known.iter().sum();
    let kx2: f64 = known.iter().map(|x| x * x).sum();
    for _ in 0..20 {
        let (mut e1, mut e2) = (kx, kx2);
        for &c in cens {
            let a = (c - m) / s;
            let tail = 1.0 - std.cdf(a);
            // Inverse Mills ratio; its asymptote a where the tail underflows.
            let lambda = if tail > 1e-12 { std.pdf(a) / tail } else { a.max(0.0) };
            e1 += m + s * lambda;
            e2 += m * m + s * s + s * lambda * (c + m);
        }
        let nm = e1 / n;
        let nv = (e2 / n - nm * nm).max(0.0);
        let ns = nv.sqrt().max(1e-3 * scale);
        let done = (nm - m).abs() <= 1e-9 * scale && (ns - s).abs() <= 1e-9 * scale;
        (m, s) = (nm, ns);
        if done {
            break;
        }
    }
    // The EM variance is the MLE (divisor n): the sample variance's divisor instead.
    let v = if n > 1.0 { s * s * n / (n - 1.0) } else { s * s };
    (m, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::demand::Calendar;

    fn h(v: Vec<f64>, c: Vec<bool>) -> DemandHistory {
        DemandHistory::new(Timestamp::from_date(2024, 1, 1).unwrap(), Calendar::Week, v, c).unwrap()
    }

    #[test]
    fn no_usable_observation_is_none() {
        assert!(fit(&h(vec![], vec![]), 3).is_none());
        assert!(fit(&h(vec![f64::NAN, 0.0], vec![false, true]), 3).is_none());
    }

    #[test]
    fn uncensored_counts_are_negative_binomial_with_inflated_spread() {
        let f = fit(&h(vec![4.0, 6.0, 5.0, 5.0, 3.0, 7.0, 5.0, 5.0], vec![false; 8]), 3).unwrap();
        assert!((f.mean - 5.0).abs() < 1e-12);
        // v = max(sample var 1.714 x 7/5, mean 5) = 5; 3 x 5 + 9 x 5 / 8.
        let expect = (15.0 + 45.0 / 8.0f64).sqrt();
        assert!((f.sd_w - expect).abs() < 1e-12, "{}", f.sd_w);
        assert_eq!(f.family, Family::NegBinomial);
    }

    #[test]
    fn censoring_raises_the_mean() {
        // Known 10s, and stock-outs that sold 10 and 11: demand there was at least that.
        let known = [8.0, 12.0, 9.0, 11.0, 10.0, 10.0];
        let (m0, _) = moments(&known);
        let (m, v) = censored_normal(&known, &[10.0, 11.0]);
        assert!(m > m0 + 0.3, "{m}");
        assert!(v.is_finite() && v > 0.0);
    }

    #[test]
    fn only_censored_sales_are_a_lower_bound() {
        let f = fit(&h(vec![0.0, 3.0, 4.0], vec![true, true, true]), 2).unwrap();
        assert!(f.lower_bound);
        assert!((f.mean - 3.5).abs() < 1e-12);
        assert_eq!(f.n, 2);
    }
}
