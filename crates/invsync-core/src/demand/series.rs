//! Demand history on a regular calendar.

use crate::Timestamp;
use crate::time::MS_PER_DAY;

/// The period of a demand history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Calendar {
    /// One period per day; seasonality is the day of the week (7 positions).
    Day,
    /// One period per 7 days; seasonality is the week of the year (52 positions: day of
    /// year / 7, with days 358-366 folded into the last position).
    Week,
    /// One period per calendar month; seasonality is the month (12 positions).
    Month,
}

impl Calendar {
    /// Number of seasonal positions.
    pub const fn season_length(self) -> usize {
        match self {
            Calendar::Day => 7,
            Calendar::Week => 52,
            Calendar::Month => 12,
        }
    }

    /// The start of period `t` of a calendar starting at `start`.
    pub fn period_start(self, start: Timestamp, t: i64) -> Timestamp {
        match self {
            Calendar::Day => start.add_millis(t.saturating_mul(MS_PER_DAY)),
            Calendar::Week => start.add_millis(t.saturating_mul(7 * MS_PER_DAY)),
            Calendar::Month => {
                let (y, m, d) = start.to_date();
                let months = i64::from(y) * 12 + i64::from(m) - 1 + t;
                let (ny, nm) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
                let ny = ny.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
                // Clamp the day to the month's length (Jan 31 + 1 month = Feb 28/29).
                (0..4)
                    .find_map(|back| Timestamp::from_date(ny, nm, d.saturating_sub(back).max(1)).ok())
                    .unwrap_or(start)
            }
        }
    }

    /// The seasonal position (0-based) of the period starting at `at`.
    pub fn season_position(self, at: Timestamp) -> usize {
        match self {
            // 1970-01-01 was a Thursday; position 0 = Monday.
            Calendar::Day => (at.days() + 3).rem_euclid(7) as usize,
            Calendar::Week => (at.day_of_year() / 7).min(51),
            Calendar::Month => (at.to_date().1 - 1) as usize,
        }
    }
}

/// Why a demand history was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// Values and censoring flags differ in length.
    #[error("{values} values but {flags} censoring flags")]
    LengthMismatch {
        /// Number of values.
        values: usize,
        /// Number of flags.
        flags: usize,
    },
    /// A demand value is negative or infinite.
    #[error("period {period}: demand {value} must be a finite number >= 0 (NaN marks a missing period)")]
    BadValue {
        /// Zero-based period.
        period: usize,
        /// The value.
        value: f64,
    },
}

/// Demand of one item x location per period. A missing period is `NaN`; a censored period
/// (out of stock: the value is a lower bound of demand, not demand) is flagged.
///
/// ```
/// use invsync_core::demand::{Calendar, DemandHistory};
/// use invsync_core::Timestamp;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let h = DemandHistory::new(Timestamp::from_date(2024, 1, 1)?, Calendar::Week,
///                            vec![3.0, f64::NAN, 5.0], vec![false, false, true])?;
/// assert_eq!(h.observed(0), Some(3.0));
/// assert_eq!(h.observed(1), None); // missing
/// assert_eq!(h.observed(2), None); // censored: a lower bound only
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DemandHistory {
    start: Timestamp,
    calendar: Calendar,
    values: Vec<f64>,
    censored: Vec<bool>,
}

impl DemandHistory {
    /// A history of `values` from the period starting at `start`.
    ///
    /// # Errors
    ///
    /// [`HistoryError`] when lengths differ or a value is negative or infinite.
    pub fn new(
        start: Timestamp,
        calendar: Calendar,
        values: Vec<f64>,
        censored: Vec<bool>,
    ) -> Result<Self, HistoryError> {
        if values.len() != censored.len() {
            return Err(HistoryError::LengthMismatch { values: values.len(), flags: censored.len() });
        }
        if let Some((period, &value)) =
            values.iter().enumerate().find(|(_, v)| !v.is_nan() && (v.is_infinite() || **v < 0.0))
        {
            return Err(HistoryError::BadValue { period, value });
        }
        Ok(DemandHistory { start, calendar, values, censored })
    }

    /// A history with no censoring.
    ///
    /// # Errors
    ///
    /// As [`DemandHistory::new`].
    pub fn uncensored(start: Timestamp, calendar: Calendar, values: Vec<f64>) -> Result<Self, HistoryError> {
        let n = values.len();
        Self::new(start, calendar, values, vec![false; n])
    }

    /// Start of the first period.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The calendar.
    pub fn calendar(&self) -> Calendar {
        self.calendar
    }

    /// Number of periods.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no periods.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The raw values (`NaN` = missing), censored periods included.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The censoring flags.
    pub fn censored(&self) -> &[bool] {
        &self.censored
    }

    /// Demand of period `t` when it is known: present and not censored.
    pub fn observed(&self, t: usize) -> Option<f64> {
        let v = *self.values.get(t)?;
        (!v.is_nan() && !self.censored[t]).then_some(v)
    }

    /// The values with missing and censored periods as `NaN`: what forecasters see.
    pub fn observed_values(&self) -> Vec<f64> {
        (0..self.len()).map(|t| self.observed(t).unwrap_or(f64::NAN)).collect()
    }

    /// Whether every known value is a whole number (count data).
    pub fn is_count_data(&self) -> bool {
        (0..self.len()).filter_map(|t| self.observed(t)).all(crate::float::is_whole)
    }

    /// Seasonal position of period `t` (may be past the end: future periods).
    pub fn season_position(&self, t: usize) -> usize {
        self.calendar.season_position(self.calendar.period_start(self.start, t as i64))
    }

    /// The first `n` periods as a history of their own.
    #[must_use]
    pub fn prefix(&self, n: usize) -> DemandHistory {
        let n = n.min(self.len());
        DemandHistory {
            start: self.start,
            calendar: self.calendar,
            values: self.values[..n].to_vec(),
            censored: self.censored[..n].to_vec(),
        }
    }
}
