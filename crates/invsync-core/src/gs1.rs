//! GS1 identifiers: GTIN-8/12/13/14, GLN and SSCC.
//!
//! All use the GS1 mod-10 check digit: starting from the digit next to the check digit and
//! moving left, digits are weighted 3, 1, 3, 1 ...; the check digit is the amount that
//! brings the weighted sum up to the next multiple of ten.
//!
//! ```text
//! check = (10 - (sum_i w_i * d_i) mod 10) mod 10,   w = 3, 1, 3, ... from the right
//! ```
//!
//! ```
//! use invsync_core::gs1::{Gtin, Gs1Kind};
//! # fn main() -> Result<(), invsync_core::gs1::Gs1Error> {
//! let gtin = Gtin::new("5901234123457")?;
//! assert_eq!(gtin.kind(), Gs1Kind::Gtin13);
//! assert!(Gtin::new("5901234123458").is_err());
//! assert_eq!(invsync_core::gs1::check_digit("629104150021")?, 3);
//! # Ok(()) }
//! ```
//!
//! # Element strings
//!
//! [`ElementString::parse`] reads GS1 element strings with AIs 00 (SSCC), 01 (GTIN),
//! 10 (batch/lot), 17 (expiry `YYMMDD`) and 21 (serial), in the human-readable form or as
//! transmitted by a scanner (FNC1 as ASCII GS, 0x1D, after variable-length values; optional
//! `]C1`, `]d2` or `]Q3` symbology identifier). Check digits, lengths, character set 82 and
//! dates are checked; errors carry the byte offset, the AI and the rule. The century of a
//! two-digit year follows the GS1 sliding window around a reference year the caller passes.
//! See docs/standards.md.
//!
//! ```
//! use invsync_core::gs1::{ElementErrorKind, ElementString};
//! # fn main() -> Result<(), invsync_core::gs1::ElementStringError> {
//! // As scanned from a GS1-128 symbol: AI 01 then AI 17, no separator after fixed lengths.
//! let es = ElementString::parse("]C1010950110102091717250200", 2026)?;
//! assert_eq!(es.gtin().map(|g| g.as_str()), Some("09501101020917"));
//! let expiry = es.expiry().unwrap();
//! assert_eq!((expiry.year(), expiry.month(), expiry.day()), (2025, 2, 28)); // DD = 00
//! assert_eq!(es.to_string(), "(01)09501101020917(17)250200");
//!
//! let with_lot = ElementString::parse("(01)09501101020917(10)ABC123(21)X1", 2026)?;
//! assert_eq!(with_lot.to_transmitted(), "010950110102091710ABC123\u{1d}21X1");
//!
//! let bad = ElementString::parse("(01)09501101020918", 2026).unwrap_err();
//! assert_eq!(bad.offset, 17);
//! assert_eq!(bad.kind, ElementErrorKind::CheckDigit { found: 8, expected: 7 });
//! # Ok(()) }
//! ```

use std::fmt;

/// Which GS1 key a validated number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Gs1Kind {
    /// GTIN-8 (EAN-8).
    Gtin8,
    /// GTIN-12 (UPC-A).
    Gtin12,
    /// GTIN-13 (EAN-13).
    Gtin13,
    /// GTIN-14 (case / ITF-14).
    Gtin14,
    /// Global Location Number, 13 digits.
    Gln,
    /// Serial Shipping Container Code, 18 digits.
    Sscc,
}

impl Gs1Kind {
    /// The number of digits, check digit included.
    pub const fn digits(self) -> usize {
        match self {
            Gs1Kind::Gtin8 => 8,
            Gs1Kind::Gtin12 => 12,
            Gs1Kind::Gtin13 | Gs1Kind::Gln => 13,
            Gs1Kind::Gtin14 => 14,
            Gs1Kind::Sscc => 18,
        }
    }
}

/// Why a text is not a valid GS1 key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Gs1Error {
    /// A character other than an ASCII digit.
    #[error("{text:?} has a non-digit at position {position}")]
    NotDigits {
        /// The text.
        text: String,
        /// Zero-based byte position of the first non-digit.
        position: usize,
    },
    /// The number of digits does not fit the key kind.
    #[error("{text:?} has {len} digits; {expected} expects {allowed}")]
    Length {
        /// The text.
        text: String,
        /// Its number of digits.
        len: usize,
        /// The kind of key that was expected.
        expected: &'static str,
        /// The lengths that kind allows.
        allowed: &'static str,
    },
    /// The check digit is wrong.
    #[error("{text:?} has check digit {found}, expected {expected}")]
    CheckDigit {
        /// The text.
        text: String,
        /// The last digit of the text.
        found: u8,
        /// The check digit the other digits call for.
        expected: u8,
    },
}

fn digits_of(text: &str) -> Result<Vec<u8>, Gs1Error> {
    text.bytes()
        .enumerate()
        .map(|(position, b)| {
            if b.is_ascii_digit() { Ok(b - b'0') } else { Err(Gs1Error::NotDigits { text: text.to_owned(), position }) }
        })
        .collect()
}

fn check_of(payload: &[u8]) -> u8 {
    let sum: u32 = payload.iter().rev().enumerate().map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

/// The check digit for `payload` (every digit but the check digit).
///
/// # Errors
///
/// [`Gs1Error::NotDigits`] when `payload` holds anything but ASCII digits, and
/// [`Gs1Error::Length`] when it is empty.
pub fn check_digit(payload: &str) -> Result<u8, Gs1Error> {
    let digits = digits_of(payload)?;
    if digits.is_empty() {
        return Err(Gs1Error::Length {
            text: String::new(),
            len: 0,
            expected: "payload",
            allowed: "at least one digit",
        });
    }
    Ok(check_of(&digits))
}

fn validate(text: &str, expected: &'static str, allowed: &'static str, lens: &[usize]) -> Result<(), Gs1Error> {
    let digits = digits_of(text)?;
    if !lens.contains(&digits.len()) {
        return Err(Gs1Error::Length { text: text.to_owned(), len: digits.len(), expected, allowed });
    }
    let (payload, check) = digits.split_at(digits.len() - 1);
    let want = check_of(payload);
    if check[0] != want {
        return Err(Gs1Error::CheckDigit { text: text.to_owned(), found: check[0], expected: want });
    }
    Ok(())
}

macro_rules! gs1_key {
    ($(#[$doc:meta])* $name:ident, $expected:literal, $allowed:literal, [$($len:literal),+], |$l:ident| $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates digits, length and check digit.
            ///
            /// # Errors
            ///
            /// A [`Gs1Error`] naming what is wrong.
            pub fn new(text: &str) -> Result<Self, Gs1Error> {
                validate(text, $expected, $allowed, &[$($len),+])?;
                Ok($name(text.to_owned()))
            }

            /// The digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Which key kind (by length).
            pub fn kind(&self) -> Gs1Kind {
                let $l = self.0.len();
                $kind
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

gs1_key!(
    /// A Global Trade Item Number of 8, 12, 13 or 14 digits.
    Gtin, "a GTIN", "8, 12, 13 or 14", [8, 12, 13, 14],
    |len| match len { 8 => Gs1Kind::Gtin8, 12 => Gs1Kind::Gtin12, 13 => Gs1Kind::Gtin13, _ => Gs1Kind::Gtin14 }
);
gs1_key!(
    /// A Global Location Number (13 digits).
    Gln, "a GLN", "13", [13], |_len| Gs1Kind::Gln
);
gs1_key!(
    /// A Serial Shipping Container Code (18 digits).
    Sscc, "an SSCC", "18", [18], |_len| Gs1Kind::Sscc
);

// ---------------------------------------------------------------------------------------------
// Element strings
// ---------------------------------------------------------------------------------------------

/// The ASCII group separator (GS, 0x1D) that stands for FNC1 in a transmitted element string.
pub const GROUP_SEPARATOR: char = '\u{1d}';

/// Longest value of AI 10 (batch/lot) and AI 21 (serial).
const MAX_VARIABLE: usize = 20;

/// The GS1 Application Identifiers this module understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Ai {
    /// `00`: SSCC, 18 digits with check digit.
    Sscc,
    /// `01`: GTIN, 14 digits with check digit.
    Gtin,
    /// `10`: batch or lot number, 1 to 20 characters of GS1 character set 82.
    Batch,
    /// `17`: expiration date, `YYMMDD`.
    Expiry,
    /// `21`: serial number, 1 to 20 characters of GS1 character set 82.
    Serial,
}

impl Ai {
    /// The two digits of the AI.
    pub const fn code(self) -> &'static str {
        match self {
            Ai::Sscc => "00",
            Ai::Gtin => "01",
            Ai::Batch => "10",
            Ai::Expiry => "17",
            Ai::Serial => "21",
        }
    }

    fn from_code(code: &str) -> Option<Ai> {
        Some(match code {
            "00" => Ai::Sscc,
            "01" => Ai::Gtin,
            "10" => Ai::Batch,
            "17" => Ai::Expiry,
            "21" => Ai::Serial,
            _ => return None,
        })
    }

    /// The fixed length of the value, or `None` for a variable-length AI (up to 20).
    pub const fn fixed_len(self) -> Option<usize> {
        match self {
            Ai::Sscc => Some(18),
            Ai::Gtin => Some(14),
            Ai::Expiry => Some(6),
            Ai::Batch | Ai::Serial => None,
        }
    }
}

impl fmt::Display for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A `YYMMDD` date of an element string with its century resolved.
///
/// The century follows the GS1 General Specifications ("Determination of century in
/// dates"): with `YY` the two digits and `CY` the last two digits of the reference year, a
/// difference `YY - CY` of 51 to 99 means the previous century, -99 to -50 the next one, and
/// anything else the reference year's century. Day `00` means the last day of the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gs1Date {
    year: i32,
    month: u8,
    day: u8,
    day_given: bool,
}

impl Gs1Date {
    /// The four-digit year.
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31 (the last day of the month when the string said `00`).
    pub const fn day(self) -> u8 {
        self.day
    }

    /// Whether the string gave the day (false when it said `00`).
    pub const fn day_given(self) -> bool {
        self.day_given
    }

    fn yymmdd(self) -> String {
        let dd = if self.day_given { self.day } else { 0 };
        format!("{:02}{:02}{:02}", self.year.rem_euclid(100), self.month, dd)
    }
}

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The four-digit year of a two-digit GS1 year, by the sliding window around `reference_year`
/// (GS1 General Specifications, "Determination of century in dates").
pub const fn resolve_century(yy: u8, reference_year: i32) -> i32 {
    let century = reference_year.div_euclid(100);
    let diff = yy as i32 - reference_year.rem_euclid(100);
    let century = if diff >= 51 {
        century - 1
    } else if diff <= -50 {
        century + 1
    } else {
        century
    };
    // Saturating: a reference year near `i32::MAX` must not overflow.
    century.saturating_mul(100).saturating_add(yy as i32)
}

const fn fixed_allowed(n: usize) -> &'static str {
    match n {
        18 => "exactly 18 digits",
        14 => "exactly 14 digits",
        _ => "exactly 6 digits",
    }
}

/// Whether `b` is in GS1 AI encodable character set 82.
fn is_cset82(b: u8) -> bool {
    matches!(b, b'!' | b'"' | b'%'..=b'?' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
}

/// One element of an element string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Element {
    /// AI 00.
    Sscc(Sscc),
    /// AI 01 (always 14 digits).
    Gtin(Gtin),
    /// AI 10.
    Batch(String),
    /// AI 17.
    Expiry(Gs1Date),
    /// AI 21.
    Serial(String),
}

impl Element {
    /// The AI of this element.
    pub fn ai(&self) -> Ai {
        match self {
            Element::Sscc(_) => Ai::Sscc,
            Element::Gtin(_) => Ai::Gtin,
            Element::Batch(_) => Ai::Batch,
            Element::Expiry(_) => Ai::Expiry,
            Element::Serial(_) => Ai::Serial,
        }
    }

    fn value(&self) -> String {
        match self {
            Element::Sscc(s) => s.as_str().to_owned(),
            Element::Gtin(g) => g.as_str().to_owned(),
            Element::Batch(v) | Element::Serial(v) => v.clone(),
            Element::Expiry(d) => d.yymmdd(),
        }
    }
}

/// Which rule an element string broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElementErrorKind {
    /// The text is empty (after any symbology identifier).
    Empty,
    /// A symbology identifier other than `]C1`, `]d2`, `]Q3`.
    Symbology,
    /// An AI this module does not know (the text read as AI).
    UnknownAi(String),
    /// A value of the wrong length.
    Length {
        /// What the AI allows.
        allowed: &'static str,
        /// The length found.
        found: usize,
    },
    /// The check digit is wrong.
    CheckDigit {
        /// The digit found.
        found: u8,
        /// The digit the others call for.
        expected: u8,
    },
    /// A character the AI does not allow (digits only, or character set 82).
    BadChar(char),
    /// A `YYMMDD` that is not a date.
    BadDate(&'static str),
    /// The AI appeared before in the same string.
    DuplicateAi,
    /// A variable-length value ran past 20 characters: the FNC1 after it is missing.
    MissingSeparator,
    /// Human-readable form: `(` or `)` expected here.
    Parenthesis,
}

impl fmt::Display for ElementErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElementErrorKind::Empty => f.write_str("empty element string"),
            ElementErrorKind::Symbology => f.write_str("unsupported symbology identifier (expected ]C1, ]d2 or ]Q3)"),
            ElementErrorKind::UnknownAi(ai) => write!(f, "unknown AI {ai:?} (supported: 00, 01, 10, 17, 21)"),
            ElementErrorKind::Length { allowed, found } => {
                write!(f, "value has {found} characters; the AI allows {allowed}")
            }
            ElementErrorKind::CheckDigit { found, expected } => write!(f, "check digit {found}, expected {expected}"),
            ElementErrorKind::BadChar(c) => write!(f, "character {c:?} not allowed"),
            ElementErrorKind::BadDate(why) => write!(f, "bad date: {why}"),
            ElementErrorKind::DuplicateAi => f.write_str("AI given twice"),
            ElementErrorKind::MissingSeparator => {
                f.write_str("variable-length value longer than 20 characters: FNC1 (GS) separator missing")
            }
            ElementErrorKind::Parenthesis => f.write_str("expected '(' AI ')'"),
        }
    }
}

/// Why a text is not a valid GS1 element string, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("GS1 element string at byte {offset}{}: {kind}", match .ai { Some(ai) => format!(" (AI {ai})"), None => String::new() })]
pub struct ElementStringError {
    /// Zero-based byte offset in the whole text (symbology identifier included).
    pub offset: usize,
    /// The AI being read, when known.
    pub ai: Option<Ai>,
    /// The rule that failed.
    pub kind: ElementErrorKind,
}

fn err(offset: usize, ai: Option<Ai>, kind: ElementErrorKind) -> ElementStringError {
    ElementStringError { offset, ai, kind }
}

/// A parsed GS1 element string: AIs 00, 01, 10, 17 and 21, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementString {
    elements: Vec<Element>,
}

impl ElementString {
    /// Parses the human-readable form `(01)09501101020917(17)250101(10)ABC123` or the
    /// transmitted form with FNC1 as ASCII GS (0x1D) after each variable-length value not
    /// at the end, optionally after a `]C1`, `]d2` or `]Q3` symbology identifier.
    ///
    /// `reference_year` (four digits, usually the current year; this crate reads no clock)
    /// resolves the century of `YYMMDD` dates.
    ///
    /// In the human-readable form a variable-length value ends at the next `(`, so a batch or
    /// serial containing `(` can only be given in the transmitted form. The transmitted form
    /// tolerates a leading GS and a GS after a fixed-length value.
    ///
    /// # Errors
    ///
    /// An [`ElementStringError`] with the byte offset, the AI and the rule that failed.
    pub fn parse(text: &str, reference_year: i32) -> Result<Self, ElementStringError> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        if bytes.first() == Some(&b']') {
            match bytes.get(1..3) {
                Some(b"C1" | b"d2" | b"Q3") => pos = 3,
                _ => return Err(err(0, None, ElementErrorKind::Symbology)),
            }
        }
        if pos >= bytes.len() {
            return Err(err(pos, None, ElementErrorKind::Empty));
        }
        let mut out = ElementString { elements: Vec::new() };
        if pos == 0 && bytes[0] == b'(' {
            out.parse_human(text, reference_year)?;
        } else {
            out.parse_transmitted(text, pos, reference_year)?;
        }
        Ok(out)
    }

    fn parse_human(&mut self, text: &str, reference_year: i32) -> Result<(), ElementStringError> {
        let bytes = text.as_bytes();
        let mut pos = 0;
        while pos < bytes.len() {
            if bytes[pos] != b'(' {
                return Err(err(pos, None, ElementErrorKind::Parenthesis));
            }
            let close = bytes[pos..]
                .iter()
                .position(|&b| b == b')')
                .map(|i| pos + i)
                .ok_or_else(|| err(pos, None, ElementErrorKind::Parenthesis))?;
            let code = &text[pos + 1..close];
            let ai =
                Ai::from_code(code).ok_or_else(|| err(pos + 1, None, ElementErrorKind::UnknownAi(code.to_owned())))?;
            let start = close + 1;
            let end = bytes[start..].iter().position(|&b| b == b'(').map_or(bytes.len(), |i| start + i);
            if ai.fixed_len().is_none() && end - start > MAX_VARIABLE {
                return Err(err(start, Some(ai), ElementErrorKind::Length { allowed: "1 to 20", found: end - start }));
            }
            self.push(ai, pos + 1, text, start, end, reference_year)?;
            pos = end;
        }
        Ok(())
    }

    fn parse_transmitted(&mut self, text: &str, mut pos: usize, reference_year: i32) -> Result<(), ElementStringError> {
        let bytes = text.as_bytes();
        const GS: u8 = 0x1d;
        while pos < bytes.len() {
            if bytes[pos] == GS {
                pos += 1;
                continue;
            }
            let code_end = (pos + 2).min(bytes.len());
            if let Some(i) = bytes[pos..code_end].iter().position(|b| !b.is_ascii_digit()) {
                let c = text[pos + i..].chars().next().unwrap_or('\u{fffd}');
                return Err(err(pos + i, None, ElementErrorKind::BadChar(c)));
            }
            let code = &text[pos..code_end];
            let ai = Ai::from_code(code).ok_or_else(|| err(pos, None, ElementErrorKind::UnknownAi(code.to_owned())))?;
            let start = code_end;
            let (end, next) = match ai.fixed_len() {
                Some(n) => {
                    let end = (start + n).min(bytes.len());
                    if let Some(i) = bytes[start..end].iter().position(|b| !b.is_ascii_digit()) {
                        if bytes[start + i] == GS {
                            let kind = ElementErrorKind::Length { allowed: fixed_allowed(n), found: i };
                            return Err(err(start, Some(ai), kind));
                        }
                        // All bytes before `start + i` are ASCII: it is a character boundary.
                        let c = text[start + i..].chars().next().unwrap_or('\u{fffd}');
                        return Err(err(start + i, Some(ai), ElementErrorKind::BadChar(c)));
                    }
                    (end, end)
                }
                None => {
                    let end = bytes[start..].iter().position(|&b| b == GS).map_or(bytes.len(), |i| start + i);
                    if end - start > MAX_VARIABLE {
                        return Err(err(start + MAX_VARIABLE, Some(ai), ElementErrorKind::MissingSeparator));
                    }
                    (end, end + 1)
                }
            };
            self.push(ai, pos, text, start, end, reference_year)?;
            pos = next;
        }
        Ok(())
    }

    /// Validates `text[start..end]` as the value of `ai` (at `ai_at`) and appends it.
    fn push(
        &mut self,
        ai: Ai,
        ai_at: usize,
        text: &str,
        start: usize,
        end: usize,
        reference_year: i32,
    ) -> Result<(), ElementStringError> {
        if self.elements.iter().any(|e| e.ai() == ai) {
            return Err(err(ai_at, Some(ai), ElementErrorKind::DuplicateAi));
        }
        let value = &text[start..end];
        let len = value.len();
        let bad_char = |i: usize| {
            let c = value[i..].chars().next().unwrap_or('\u{fffd}');
            err(start + i, Some(ai), ElementErrorKind::BadChar(c))
        };
        if let Some(n) = ai.fixed_len() {
            if let Some(i) = value.bytes().position(|b| !b.is_ascii_digit()) {
                return Err(bad_char(i));
            }
            if len != n {
                return Err(err(start, Some(ai), ElementErrorKind::Length { allowed: fixed_allowed(n), found: len }));
            }
        } else {
            if len == 0 {
                return Err(err(start, Some(ai), ElementErrorKind::Length { allowed: "1 to 20", found: 0 }));
            }
            if let Some(i) = value.bytes().position(|b| !is_cset82(b)) {
                return Err(bad_char(i));
            }
        }
        let check = |e: Gs1Error| match e {
            Gs1Error::CheckDigit { found, expected, .. } => {
                err(end - 1, Some(ai), ElementErrorKind::CheckDigit { found, expected })
            }
            // Digits and length were checked above; only the check digit can fail here.
            _ => err(start, Some(ai), ElementErrorKind::Length { allowed: "a GS1 key", found: len }),
        };
        let element = match ai {
            Ai::Sscc => Element::Sscc(Sscc::new(value).map_err(check)?),
            Ai::Gtin => Element::Gtin(Gtin::new(value).map_err(check)?),
            Ai::Batch => Element::Batch(value.to_owned()),
            Ai::Serial => Element::Serial(value.to_owned()),
            Ai::Expiry => {
                let d = value.as_bytes();
                let two = |i: usize| (d[i] - b'0') * 10 + (d[i + 1] - b'0');
                let (yy, mm, dd) = (two(0), two(2), two(4));
                if !(1..=12).contains(&mm) {
                    return Err(err(start + 2, Some(ai), ElementErrorKind::BadDate("month not 01 to 12")));
                }
                let year = resolve_century(yy, reference_year);
                let last = days_in_month(year, mm);
                if dd > last {
                    return Err(err(start + 4, Some(ai), ElementErrorKind::BadDate("day past the end of the month")));
                }
                let (day, day_given) = if dd == 0 { (last, false) } else { (dd, true) };
                Element::Expiry(Gs1Date { year, month: mm, day, day_given })
            }
        };
        self.elements.push(element);
        Ok(())
    }

    /// The elements in the order given.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// AI 00, if given.
    pub fn sscc(&self) -> Option<&Sscc> {
        self.elements.iter().find_map(|e| if let Element::Sscc(s) = e { Some(s) } else { None })
    }

    /// AI 01, if given.
    pub fn gtin(&self) -> Option<&Gtin> {
        self.elements.iter().find_map(|e| if let Element::Gtin(g) = e { Some(g) } else { None })
    }

    /// AI 10, if given.
    pub fn batch(&self) -> Option<&str> {
        self.elements.iter().find_map(|e| if let Element::Batch(b) = e { Some(b.as_str()) } else { None })
    }

    /// AI 17, if given.
    pub fn expiry(&self) -> Option<Gs1Date> {
        self.elements.iter().find_map(|e| if let Element::Expiry(d) = e { Some(*d) } else { None })
    }

    /// AI 21, if given.
    pub fn serial(&self) -> Option<&str> {
        self.elements.iter().find_map(|e| if let Element::Serial(s) = e { Some(s.as_str()) } else { None })
    }

    /// The transmitted form without symbology identifier: a GS after each variable-length
    /// value except the last element.
    pub fn to_transmitted(&self) -> String {
        let mut out = String::new();
        for (i, e) in self.elements.iter().enumerate() {
            out.push_str(e.ai().code());
            out.push_str(&e.value());
            if e.ai().fixed_len().is_none() && i + 1 < self.elements.len() {
                out.push(GROUP_SEPARATOR);
            }
        }
        out
    }
}

/// The human-readable form, `(01)...(17)...`. A batch or serial holding `(` is written as
/// is, and such a text does not parse back to the same value: use
/// [`ElementString::to_transmitted`] for those.
impl fmt::Display for ElementString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.elements {
            write!(f, "({}){}", e.ai().code(), e.value())?;
        }
        Ok(())
    }
}
