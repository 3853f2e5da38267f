//! Instants on the ledger's clock.
//!
//! The core never reads a clock: every instant is a value the caller passes in. A
//! [`Timestamp`] is a count of milliseconds since 1970-01-01T00:00:00Z (UTC, leap seconds
//! ignored, as in Unix time). Parsing and formatting use the RFC 3339 subset
//! `YYYY-MM-DDTHH:MM:SS[.fff]Z` (or a `+HH:MM` / `-HH:MM` offset) and plain dates
//! `YYYY-MM-DD` (read as midnight UTC); see [`Timestamp`'s `FromStr`](Timestamp#accepted-formats)
//! for the exact list.
//!
//! At the edges of a service, [`Timestamp`] converts from and to [`std::time::SystemTime`]
//! and moves by [`std::time::Duration`]:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use invsync_core::Timestamp;
//! # fn main() -> Result<(), invsync_core::TimeError> {
//! let now = Timestamp::try_from(SystemTime::now())?;
//! let later = now.saturating_add(Duration::from_secs(90));
//! assert_eq!(later.duration_since(now), Some(Duration::from_secs(90)));
//! assert!(SystemTime::try_from(later)? > SystemTime::UNIX_EPOCH);
//! # Ok(()) }
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// Milliseconds in one second, minute, hour and day.
const MS_PER_SEC: i64 = 1_000;
const MS_PER_MIN: i64 = 60 * MS_PER_SEC;
const MS_PER_HOUR: i64 = 60 * MS_PER_MIN;
/// Milliseconds in a day.
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// An instant: milliseconds since the Unix epoch, UTC.
///
/// `Display` and `Debug` both print RFC 3339 in UTC (`2024-04-08T12:30:00Z`, with `.fff`
/// only when the milliseconds are not zero).
///
/// # Accepted formats
///
/// [`str::parse`] (the [`FromStr`] impl) reads, in ASCII only:
///
/// | shape | example | read as |
/// |---|---|---|
/// | `YYYY-MM-DD` | `2024-04-08` | midnight UTC of that date |
/// | `YYYY-MM-DDTHH:MM:SSZ` | `2024-04-08T12:30:00Z` | that instant, UTC |
/// | `YYYY-MM-DDTHH:MM:SS.fZ` (1 to 9 fraction digits) | `2024-04-08T12:30:00.25Z` | digits past the third (sub-millisecond) are dropped, not rounded |
/// | `YYYY-MM-DDTHH:MM:SS[.f]+HH:MM` or `-HH:MM` | `2024-04-08T14:30:00+02:00` | the offset is taken off: this is `12:30:00Z` |
///
/// The year has exactly four digits; `t` or a space may replace `T`, and `z` may replace
/// `Z`. A time without `Z` or an offset is refused (it would be ambiguous), as are leap
/// seconds (`:60`), hour 24 and dates that do not exist (`2023-02-29`). Errors are
/// [`TimeError::Syntax`] (wrong shape) or [`TimeError::Range`] (naming the field).
///
/// ```
/// use invsync_core::{TimeError, Timestamp};
/// # fn main() -> Result<(), TimeError> {
/// let noon: Timestamp = "2024-04-08T12:30:00Z".parse()?;
/// assert_eq!("2024-04-08T14:30:00+02:00".parse::<Timestamp>()?, noon);
/// assert_eq!("2024-04-08 12:30:00.0009z".parse::<Timestamp>()?, noon);
/// assert_eq!("2024-04-08".parse::<Timestamp>()?, Timestamp::from_date(2024, 4, 8)?);
/// assert!(matches!("2024-04-08T12:30:00".parse::<Timestamp>(), Err(TimeError::Syntax { .. })));
/// assert!(matches!("2024-04-31".parse::<Timestamp>(), Err(TimeError::Range { field: "date", .. })));
/// # Ok(()) }
/// ```
///
/// ```
/// use invsync_core::Timestamp;
/// # fn main() -> Result<(), invsync_core::TimeError> {
/// let t: Timestamp = "2024-04-08T12:30:00Z".parse()?;
/// assert_eq!(t, Timestamp::from_date(2024, 4, 8)?.add_millis(12 * 3_600_000 + 30 * 60_000));
/// assert_eq!(t.to_string(), "2024-04-08T12:30:00Z");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Timestamp(i64);

/// Why a text could not be read as a [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The text is not in one of the accepted shapes.
    #[error("invalid timestamp {text:?}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fff]Z")]
    Syntax {
        /// The text that was read.
        text: String,
    },
    /// A field is out of its range (month 13, day 31 in April, hour 25 ...).
    #[error("timestamp field {field} out of range in {text:?}")]
    Range {
        /// Which field.
        field: &'static str,
        /// The text that was read.
        text: String,
    },
    /// A [`SystemTime`] or [`Duration`] that does not fit in milliseconds since the epoch
    /// as an `i64`, or a [`Timestamp`] that the platform's [`SystemTime`] cannot hold.
    #[error("time {what} is out of the representable range")]
    OutOfRange {
        /// The value, as `Debug` prints it.
        what: String,
    },
}

impl Timestamp {
    /// The epoch, 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// An instant from milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// An instant from whole seconds since the epoch (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(MS_PER_SEC))
    }

    /// Midnight UTC of day `days` since the epoch (negative before 1970; saturating).
    pub const fn from_days(days: i64) -> Self {
        Timestamp(days.saturating_mul(MS_PER_DAY))
    }

    /// Midnight UTC of a calendar date.
    ///
    /// # Errors
    ///
    /// [`TimeError::Range`] when the month or day does not exist.
    pub fn from_date(year: i32, month: u32, day: u32) -> Result<Self, TimeError> {
        let days = days_from_civil_checked(year, month, day)
            .ok_or_else(|| TimeError::Range { field: "date", text: format!("{year:04}-{month:02}-{day:02}") })?;
        Ok(Timestamp::from_days(days))
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole days since the epoch (floor).
    pub const fn days(self) -> i64 {
        self.0.div_euclid(MS_PER_DAY)
    }

    /// This instant moved by `ms` milliseconds (saturating).
    #[must_use]
    pub const fn add_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (saturating; negative when `earlier` is later).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// This instant moved forward by `d` (saturating at the latest representable instant).
    /// The sub-millisecond part of `d` is dropped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use invsync_core::Timestamp;
    /// # fn main() -> Result<(), invsync_core::TimeError> {
    /// let t: Timestamp = "2024-04-08T09:00:00Z".parse()?;
    /// assert_eq!(t.saturating_add(Duration::from_secs(30 * 60)).to_string(), "2024-04-08T09:30:00Z");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        Timestamp(clamp_ms(i128::from(self.0) + duration_millis(d)))
    }

    /// This instant moved back by `d` (saturating at the earliest representable instant).
    /// The sub-millisecond part of `d` is dropped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use invsync_core::Timestamp;
    /// # fn main() -> Result<(), invsync_core::TimeError> {
    /// let t: Timestamp = "2024-04-08T00:00:00Z".parse()?;
    /// assert_eq!(t.saturating_sub(Duration::from_secs(1)).to_string(), "2024-04-07T23:59:59Z");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        Timestamp(clamp_ms(i128::from(self.0) - duration_millis(d)))
    }

    /// This instant moved forward by `d`, or `None` past the latest representable instant.
    /// The sub-millisecond part of `d` is dropped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use invsync_core::Timestamp;
    /// assert_eq!(Timestamp::EPOCH.checked_add(Duration::from_millis(5)), Some(Timestamp::from_millis(5)));
    /// assert_eq!(Timestamp::from_millis(i64::MAX).checked_add(Duration::from_millis(1)), None);
    /// ```
    pub fn checked_add(self, d: Duration) -> Option<Self> {
        i64::try_from(i128::from(self.0) + duration_millis(d)).ok().map(Timestamp)
    }

    /// This instant moved back by `d`, or `None` before the earliest representable instant.
    /// The sub-millisecond part of `d` is dropped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use invsync_core::Timestamp;
    /// assert_eq!(Timestamp::EPOCH.checked_sub(Duration::from_secs(1)), Some(Timestamp::from_millis(-1_000)));
    /// assert_eq!(Timestamp::from_millis(i64::MIN).checked_sub(Duration::from_millis(1)), None);
    /// ```
    pub fn checked_sub(self, d: Duration) -> Option<Self> {
        i64::try_from(i128::from(self.0) - duration_millis(d)).ok().map(Timestamp)
    }

    /// The time from `earlier` to `self`, or `None` when `earlier` is later than `self`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use invsync_core::Timestamp;
    /// # fn main() -> Result<(), invsync_core::TimeError> {
    /// let a: Timestamp = "2024-04-08T09:00:00Z".parse()?;
    /// let b: Timestamp = "2024-04-08T09:00:01.5Z".parse()?;
    /// assert_eq!(b.duration_since(a), Some(Duration::from_millis(1_500)));
    /// assert_eq!(a.duration_since(b), None);
    /// # Ok(()) }
    /// ```
    pub fn duration_since(self, earlier: Timestamp) -> Option<Duration> {
        // i128: the difference of two i64 can exceed i64 but always fits u64 when positive.
        let diff = i128::from(self.0) - i128::from(earlier.0);
        u64::try_from(diff).ok().map(Duration::from_millis)
    }

    /// Zero-based day of the year (0 = January 1st) in UTC.
    pub fn day_of_year(self) -> usize {
        let days = self.days();
        let (y, _, _) = civil_from_days(days);
        (days - days_from_civil(i64::from(y), 1, 1)) as usize
    }

    /// The calendar date (year, month, day) in UTC.
    pub fn to_date(self) -> (i32, u32, u32) {
        civil_from_days(self.days())
    }
}

/// Whole milliseconds of `d` (at most about 1.8e19, far inside `i128`).
fn duration_millis(d: Duration) -> i128 {
    // `Duration::MAX` is u64::MAX seconds: its milliseconds fit an i128 with room to spare.
    i128::try_from(d.as_millis()).unwrap_or(i128::MAX / 2)
}

/// Whole milliseconds of `d` as the `*_ms` fields hold them, saturating at `i64::MAX`.
pub(crate) fn saturating_millis(d: Duration) -> i64 {
    clamp_ms(duration_millis(d))
}

/// `ms` clamped to the `i64` range of a [`Timestamp`].
fn clamp_ms(ms: i128) -> i64 {
    i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
}

impl TryFrom<SystemTime> for Timestamp {
    type Error = TimeError;

    /// The instant, truncated toward the past to whole milliseconds.
    ///
    /// # Errors
    ///
    /// [`TimeError::OutOfRange`] when it is more than `i64::MAX` milliseconds (about 292
    /// million years) from the epoch.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use invsync_core::Timestamp;
    /// # fn main() -> Result<(), invsync_core::TimeError> {
    /// let t = SystemTime::UNIX_EPOCH + Duration::from_micros(1_500);
    /// assert_eq!(Timestamp::try_from(t)?, Timestamp::from_millis(1));
    /// # Ok(()) }
    /// ```
    fn try_from(t: SystemTime) -> Result<Self, TimeError> {
        let out = || TimeError::OutOfRange { what: format!("{t:?}") };
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).map(Timestamp).map_err(|_| out()),
            Err(before) => {
                // Before the epoch: floor, so 1.5 ms before is -2 ms (truncation toward
                // the past, as for instants after the epoch).
                let d = before.duration();
                let ms = duration_millis(d) + i128::from(d.subsec_nanos() % 1_000_000 != 0);
                i64::try_from(-ms).map(Timestamp).map_err(|_| out())
            }
        }
    }
}

impl TryFrom<Timestamp> for SystemTime {
    type Error = TimeError;

    /// The same instant as a [`SystemTime`].
    ///
    /// # Errors
    ///
    /// [`TimeError::OutOfRange`] when the platform's `SystemTime` cannot hold it (never on
    /// Unix-like 64-bit platforms, whose range is wider than a `Timestamp`'s).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use invsync_core::Timestamp;
    /// # fn main() -> Result<(), invsync_core::TimeError> {
    /// let t = SystemTime::try_from(Timestamp::from_secs(60))?;
    /// assert_eq!(t, SystemTime::UNIX_EPOCH + Duration::from_secs(60));
    /// # Ok(()) }
    /// ```
    fn try_from(t: Timestamp) -> Result<Self, TimeError> {
        let d = Duration::from_millis(t.0.unsigned_abs());
        let st = if t.0 >= 0 { SystemTime::UNIX_EPOCH.checked_add(d) } else { SystemTime::UNIX_EPOCH.checked_sub(d) };
        st.ok_or_else(|| TimeError::OutOfRange { what: t.to_string() })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn days_from_civil_checked(y: i32, m: u32, d: u32) -> Option<i64> {
    let y = i64::from(y);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32, m, d)
}

fn digits(s: &str, text: &str) -> Result<i64, TimeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeError::Syntax { text: text.to_owned() });
    }
    s.parse().map_err(|_| TimeError::Syntax { text: text.to_owned() })
}

fn range(v: i64, max: i64, field: &'static str, text: &str) -> Result<i64, TimeError> {
    if (0..=max).contains(&v) { Ok(v) } else { Err(TimeError::Range { field, text: text.to_owned() }) }
}

impl FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(text: &str) -> Result<Self, TimeError> {
        let syntax = || TimeError::Syntax { text: text.to_owned() };
        if !text.is_ascii() || text.len() < 10 {
            return Err(syntax());
        }
        let (date, rest) = text.split_at(10);
        let b = date.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return Err(syntax());
        }
        let year = digits(&date[0..4], text)? as i32;
        let month = digits(&date[5..7], text)? as u32;
        let day = digits(&date[8..10], text)? as u32;
        let days = days_from_civil_checked(year, month, day)
            .ok_or_else(|| TimeError::Range { field: "date", text: text.to_owned() })?;
        if rest.is_empty() {
            return Ok(Timestamp::from_days(days));
        }
        let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(syntax)?;
        if rest.len() < 8 || rest.as_bytes()[2] != b':' || rest.as_bytes()[5] != b':' {
            return Err(syntax());
        }
        let hour = range(digits(&rest[0..2], text)?, 23, "hour", text)?;
        let minute = range(digits(&rest[3..5], text)?, 59, "minute", text)?;
        let second = range(digits(&rest[6..8], text)?, 59, "second", text)?;
        let mut rest = &rest[8..];
        let mut millis = 0;
        if let Some(frac) = rest.strip_prefix('.') {
            let end = frac.find(|c: char| !c.is_ascii_digit()).unwrap_or(frac.len());
            if end == 0 || end > 9 {
                return Err(syntax());
            }
            let mut ms_digits = frac[..end].to_owned();
            ms_digits.truncate(3);
            while ms_digits.len() < 3 {
                ms_digits.push('0');
            }
            millis = digits(&ms_digits, text)?;
            rest = &frac[end..];
        }
        let offset_min = match rest {
            "Z" | "z" => 0,
            _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return Err(syntax()),
                };
                let oh = range(digits(&rest[1..3], text)?, 23, "offset", text)?;
                let om = range(digits(&rest[4..6], text)?, 59, "offset", text)?;
                sign * (oh * 60 + om)
            }
            _ => return Err(syntax()),
        };
        let ms = days * MS_PER_DAY + hour * MS_PER_HOUR + minute * MS_PER_MIN + second * MS_PER_SEC + millis
            - offset_min * MS_PER_MIN;
        Ok(Timestamp(ms))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC; milliseconds are printed only when non-zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_date();
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (h, mi, s, frac) =
            (ms / MS_PER_HOUR, ms % MS_PER_HOUR / MS_PER_MIN, ms % MS_PER_MIN / MS_PER_SEC, ms % MS_PER_SEC);
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if frac != 0 {
            write!(f, ".{frac:03}")?;
        }
        f.write_str("Z")
    }
}

impl fmt::Debug for Timestamp {
    /// The same RFC 3339 text as `Display`, so logs and assertion failures read as dates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_000, 19_821, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(i64::from(y), m, d), days);
        }
        assert_eq!(civil_from_days(19_821), (2024, 4, 8));
        assert_eq!(Timestamp::from_days(19_821).day_of_year(), 98);
        assert_eq!(Timestamp::from_date(2024, 12, 31).unwrap().day_of_year(), 365);
    }

    #[test]
    fn parse_and_format() {
        let t: Timestamp = "2024-02-29T23:59:59.5Z".parse().unwrap();
        assert_eq!(t.to_string(), "2024-02-29T23:59:59.500Z");
        let u: Timestamp = "2024-03-01T01:59:59.500+02:00".parse().unwrap();
        assert_eq!(t, u);
        assert_eq!("2021-04-12".parse::<Timestamp>().unwrap().to_date(), (2021, 4, 12));
        for bad in [
            "",
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-01-01T24:00:00Z",
            "x024-01-01",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "２０２４-01-01",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_is_rfc3339() {
        let t: Timestamp = "2024-02-29T23:59:59.5Z".parse().unwrap();
        assert_eq!(format!("{t:?}"), "2024-02-29T23:59:59.500Z");
        assert_eq!(format!("{:?}", Some(Timestamp::EPOCH)), "Some(1970-01-01T00:00:00Z)");
    }

    #[test]
    fn system_time_round_trip() {
        for ms in [0, 1, -1, 1_712_577_600_123, -86_400_001, i64::MAX, i64::MIN] {
            let t = Timestamp::from_millis(ms);
            let st = SystemTime::try_from(t).unwrap();
            assert_eq!(Timestamp::try_from(st).unwrap(), t, "{ms}");
        }
        // Sub-millisecond parts are truncated toward the past on both sides of the epoch.
        let e = SystemTime::UNIX_EPOCH;
        assert_eq!(Timestamp::try_from(e + Duration::from_micros(1_999)).unwrap().as_millis(), 1);
        assert_eq!(Timestamp::try_from(e - Duration::from_micros(1_001)).unwrap().as_millis(), -2);
        assert_eq!(Timestamp::try_from(e - Duration::from_micros(2_000)).unwrap().as_millis(), -2);
    }

    #[test]
    fn system_time_out_of_range_is_a_typed_error() {
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 1_000 + 1);
        assert!(matches!(Timestamp::try_from(far), Err(TimeError::OutOfRange { .. })));
        let far_back = SystemTime::UNIX_EPOCH - Duration::from_secs(u64::MAX / 1_000 + 1);
        assert!(matches!(Timestamp::try_from(far_back), Err(TimeError::OutOfRange { .. })));
    }

    #[test]
    fn durations() {
        let t = Timestamp::from_millis(1_000);
        assert_eq!(t.saturating_add(Duration::from_micros(2_999)), Timestamp::from_millis(1_002));
        assert_eq!(t.saturating_sub(Duration::from_secs(2)), Timestamp::from_millis(-1_000));
        assert_eq!(
            Timestamp::from_millis(i64::MAX - 1).saturating_add(Duration::MAX),
            Timestamp::from_millis(i64::MAX)
        );
        assert_eq!(t.saturating_sub(Duration::MAX), Timestamp::from_millis(i64::MIN));
        assert_eq!(t.checked_add(Duration::MAX), None);
        assert_eq!(t.checked_sub(Duration::MAX), None);
        assert_eq!(
            Timestamp::from_millis(i64::MAX).duration_since(Timestamp::from_millis(i64::MIN)),
            Some(Duration::from_millis(u64::MAX))
        );
        assert_eq!(t.duration_since(t), Some(Duration::ZERO));
        assert_eq!(t.duration_since(t.add_millis(1)), None);
    }
}
