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
