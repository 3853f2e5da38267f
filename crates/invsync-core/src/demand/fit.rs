//! Parametric models of the W-period demand total, fitted to the error matrix.
//!
//! The data are the complete rows' window actuals `y_r` and window forecasts `f_r`. Every
//! family models `Y_r` with mean `m_r = f_r + b` (b: the forecast's bias, the mean window
//! error, never removed) and one dispersion parameter `s` (the standard deviation),
//! moment-matched per point:
//!
//! ```text
//! normal      N(m, s^2)
//! gamma       shape m^2/s^2, scale s^2/m                  (y > 0, m > 0)
//! lognormal   sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2   (y > 0, m > 0)
//! poisson     Poisson(m)                 (count data; no dispersion parameter)
//! negbin      r = m^2/(s^2 - m), p = r/(r + m)          (count data, s^2 > m)
//! AIC = 2k - 2 ln L,  k = 2 (b, s) or 1 (poisson)
//! ```
//!
//! Method of moments: `b` = mean and `s` = sample standard deviation of the window errors.
//! Maximum likelihood: `b` as above, `s` maximising ln L by golden-section search on
//! ln s over [s_mom / 20, 20 s_mom].

use statrs::distribution::{Continuous, ContinuousCDF, Discrete, Gamma, LogNormal, NegativeBinomial, Normal, Poisson};

use super::classify::mean;

/// A distribution family for the window total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Family {
    /// Normal.
    Normal,
    /// Gamma.
    Gamma,
    /// Lognormal.
    LogNormal,
    /// Poisson (count data).
    Poisson,
    /// Negative binomial (count data, overdispersed).
    NegBinomial,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 5] =
        [Family::Normal, Family::Gamma, Family::LogNormal, Family::Poisson, Family::NegBinomial];

    /// Snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Normal => "normal",
            Family::Gamma => "gamma",
            Family::LogNormal => "lognormal",
            Family::Poisson => "poisson",
            Family::NegBinomial => "negbinomial",
        }
    }

    fn params(self) -> f64 {
        if self == Family::Poisson { 1.0 } else { 2.0 }
    }

    fn for_counts_only(self) -> bool {
        matches!(self, Family::Poisson | Family::NegBinomial)
    }

    /// Log-density (or log-mass) of `y` under mean `m` and standard deviation `s`;
    /// `-inf` where the family cannot produce `y` or the parameters are invalid.
    pub fn ln_density(self, y: f64, m: f64, s: f64) -> f64 {
        let ninf = f64::NEG_INFINITY;
        match self {
            Family::Normal => Normal::new(m, s).map_or(ninf, |d| d.ln_pdf(y)),
            Family::Gamma => {
                if y <= 0.0 || m <= 0.0 || s <= 0.0 {
                    return ninf;
                }
                Gamma::new(m * m / (s * s), m / (s * s)).map_or(ninf, |d| d.ln_pdf(y))
            }
            Family::LogNormal => {
                if y <= 0.0 || m <= 0.0 || s <= 0.0 {
                    return ninf;
                }
                let (mu, sigma) = lognormal_params(m, s);
                LogNormal::new(mu, sigma).map_or(ninf, |d| d.ln_pdf(y))
            }
            Family::Poisson => {
                if y.fract() != 0.0 || y < 0.0 {
                    return ninf;
                }
                if m <= 0.0 {
                    return if y == 0.0 { 0.0 } else { ninf };
                }
                Poisson::new(m).map_or(ninf, |d| d.ln_pmf(y as u64))
            }
            Family::NegBinomial => {
                if y.fract() != 0.0 || y < 0.0 || m <= 0.0 || s * s <= m {
                    return ninf;
                }
                let r = m * m / (s * s - m);
                NegativeBinomial::new(r, r / (r + m)).map_or(ninf, |d| d.ln_pmf(y as u64))
            }
        }
    }
}

/// (mu, sigma) of the lognormal with mean `m` and standard deviation `s`.
pub(crate) fn lognormal_params(m: f64, s: f64) -> (f64, f64) {
    let sigma2 = (1.0 + (s * s) / (m * m)).ln();
    (m.ln() - sigma2 / 2.0, sigma2.sqrt())
}

/// One family fitted to the window data.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Fit {
    /// The family.
    pub family: Family,
    /// Bias b (mean window error).
    pub bias: f64,
    /// Standard deviation s of the window total.
    pub sd: f64,
    /// Log-likelihood on the fitted data.
    pub log_lik: f64,
    /// Akaike information criterion (lower is better; infinite when the family cannot
    /// produce the data).
    pub aic: f64,
}

/// Window actuals and forecasts of the complete rows.
#[derive(Debug, Clone, Copy)]
pub struct WindowData<'a> {
    /// Window actual of each complete row.
    pub actual: &'a [f64],
    /// Window forecast of each complete row.
    pub forecast: &'a [f64],
    /// Whether the data are counts (enables Poisson and negative binomial).
    pub counts: bool,
}

impl WindowData<'_> {
    fn log_lik(&self, family: Family, b: f64, s: f64) -> f64 {
        self.actual.iter().zip(self.forecast).map(|(&y, &f)| family.ln_density(y, f + b, s)).sum()
    }

    /// Mean and sample standard deviation of the window errors.
    pub fn moments(&self) -> (f64, f64) {
        let e: Vec<f64> = self.actual.iter().zip(self.forecast).map(|(y, f)| y - f).collect();
        let b = mean(&e);
        let n = e.len() as f64;
        let var = if e.len() > 1 { e.iter().map(|x| (x - b).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
        (b, var.sqrt())
    }

    fn finish(&self, family: Family, b: f64, s: f64) -> Fit {
        let log_lik = self.log_lik(family, b, s);
        let aic = if log_lik.is_finite() { 2.0 * family.params() - 2.0 * log_lik } else { f64::INFINITY };
        Fit { family, bias: b, sd: s, log_lik, aic }
    }

    /// Every eligible family fitted by the method of moments.
    pub fn fit_moments(&self) -> Vec<Fit> {
        let (b, s) = self.moments();
        self.families().map(|f| self.finish(f, b, s.max(1e-9))).collect()
    }

    /// Every eligible family fitted by maximum likelihood (dispersion only; b = mean error).
    pub fn fit_mle(&self) -> Vec<Fit> {
        let (b, s0) = self.moments();
        let s0 = s0.max(1e-6);
        self.families()
            .map(|family| {
                let s = if family == Family::Poisson {
                    s0
                } else {
                    let f = |ln_s: f64| -self.log_lik(family, b, ln_s.exp());
                    golden_min(f, (s0 / 20.0).ln(), (s0 * 20.0).ln(), 60).exp()
                };
                self.finish(family, b, s)
            })
            .collect()
    }

    fn families(&self) -> impl Iterator<Item = Family> + '_ {
        Family::ALL.into_iter().filter(|f| self.counts || !f.for_counts_only())
    }
}

/// Golden-section minimisation of `f` on `[a, b]`.
fn golden_min(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64, iters: usize) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..iters {
        if fc < fd || (fc.is_finite() && !fd.is_finite()) {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

/// Anderson-Darling test of normality with estimated mean and variance (Stephens'
/// adjustment; p-value by D'Agostino & Stephens 1986, table 4.9). Returns (A*^2, p).
pub fn anderson_darling_normal(x: &[f64]) -> Option<(f64, f64)> {
    let n = x.len();
    if n < 3 {
        return None;
    }
    let m = mean(x);
    let sd = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    if sd.is_nan() || sd <= 0.0 {
        return None;
    }
    let std = Normal::standard();
    let mut z: Vec<f64> = x.iter().map(|v| (v - m) / sd).collect();
    z.sort_by(f64::total_cmp);
    let nf = n as f64;
    let s: f64 = (0..n)
        .map(|i| {
            let lo = std.cdf(z[i]).max(1e-300).ln();
            let hi = (1.0 - std.cdf(z[n - 1 - i])).max(1e-300).ln();
            (2.0 * i as f64 + 1.0) * (lo + hi)
        })
        .sum();
    let a2 = -nf - s / nf;
    let a = a2 * (1.0 + 0.75 / nf + 2.25 / (nf * nf));
    let p = if a >= 0.6 {
        (1.2937 - 5.709 * a + 0.0186 * a * a).exp()
    } else if a >= 0.34 {
        (0.9177 - 4.279 * a - 1.38 * a * a).exp()
    } else if a >= 0.2 {
        1.0 - (-8.318 + 42.796 * a - 59.938 * a * a).exp()
    } else {
        1.0 - (-13.436 + 101.14 * a - 223.73 * a * a).exp()
    };
    Some((a, p.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_finds_minimum() {
        let x = golden_min(|v| (v - 1.3).powi(2), -5.0, 5.0, 80);
        assert!((x - 1.3).abs() < 1e-9);
    }

    #[test]
    fn anderson_darling_known_value() {
        // A^2 (unadjusted, sample sd) computed independently from the definition: 0.164248.
        let x = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.1, 3.9, 3.0];
        let (a, p) = anderson_darling_normal(&x).unwrap();
        let n = 10.0;
        let unadjusted = a / (1.0 + 0.75 / n + 2.25 / (n * n));
        assert!((unadjusted - 0.164_248).abs() < 1e-5, "{unadjusted}");
        assert!(p > 0.5);
    }
}
