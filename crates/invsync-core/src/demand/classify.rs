//! Syntetos-Boylan demand classification (docs/oracles.md E conventions).
//!
//! ```text
//! intervals: periods from the series start to the first non-zero demand, then between
//!            consecutive non-zero demands (trailing zeros are not an interval)
//! ADI  = mean interval
//! CV^2 = population variance of the non-zero sizes / their mean^2
//!
//!            CV^2 < 0.49   CV^2 >= 0.49
//! ADI < 1.32   smooth        erratic
//! ADI >= 1.32  intermittent  lumpy
//! ```
//!
//! Missing and censored periods are skipped (they are neither zero nor a size).

/// A demand class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum DemandClass {
    /// Regular and stable.
    Smooth,
    /// Regular, variable sizes.
    Erratic,
    /// Infrequent, stable sizes.
    Intermittent,
    /// Infrequent, variable sizes.
    Lumpy,
    /// No non-zero demand at all.
    Zero,
}

impl DemandClass {
    /// Whether forecasts should use an intermittent method (Croston family).
    pub fn is_intermittent(self) -> bool {
        matches!(self, DemandClass::Intermittent | DemandClass::Lumpy | DemandClass::Zero)
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DemandClass::Smooth => "smooth",
            DemandClass::Erratic => "erratic",
            DemandClass::Intermittent => "intermittent",
            DemandClass::Lumpy => "lumpy",
            DemandClass::Zero => "zero",
        }
    }
}

/// The classification and the figures behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Classification {
    /// The class.
    pub class: DemandClass,
    /// Average demand interval.
    pub adi: f64,
    /// Squared coefficient of variation of non-zero sizes (population).
    pub cv2: f64,
    /// Number of non-zero demands.
    pub nonzero: usize,
}

/// ADI cut-off.
pub const ADI_CUTOFF: f64 = 1.32;
/// CV^2 cut-off.
pub const CV2_CUTOFF: f64 = 0.49;

/// Classifies a series (`NaN` = missing or censored, skipped).
///
/// ```
/// use invsync_core::demand::{classify, DemandClass};
/// let y = [0.,0.,5.,0.,0.,3.,0.,0.,0.,7.,0.,2.,0.,0.,4.,0.,0.,0.,0.,6.,0.,0.,3.,0.,1.];
/// let c = classify(&y);
/// assert_eq!(c.class, DemandClass::Intermittent);
/// assert!((c.adi - 3.125).abs() < 1e-12);
/// ```
pub fn classify(y: &[f64]) -> Classification {
    // At most one size and one interval per period: sized once, never regrown.
    let mut sizes = Vec::with_capacity(y.len());
    let mut intervals = Vec::with_capacity(y.len());
    let mut since = 0usize;
    for &v in y.iter().filter(|v| !v.is_nan()) {
        since += 1;
        if v > 0.0 {
            sizes.push(v);
            intervals.push(since as f64);
            since = 0;
        }
    }
    if sizes.is_empty() {
        return Classification { class: DemandClass::Zero, adi: f64::INFINITY, cv2: 0.0, nonzero: 0 };
    }
    let adi = mean(&intervals);
    let m = mean(&sizes);
    let var = sizes.iter().map(|s| (s - m).powi(2)).sum::<f64>() / sizes.len() as f64;
    let cv2 = var / (m * m);
    let class = match (adi < ADI_CUTOFF, cv2 < CV2_CUTOFF) {
        (true, true) => DemandClass::Smooth,
        (true, false) => DemandClass::Erratic,
        (false, true) => DemandClass::Intermittent,
        (false, false) => DemandClass::Lumpy,
    };
    Classification { class, adi, cv2, nonzero: sizes.len() }
}

pub(crate) fn mean(x: &[f64]) -> f64 {
    if x.is_empty() { 0.0 } else { x.iter().sum::<f64>() / x.len() as f64 }
}
