//! Units of measure: exact conversion to and from an item's base unit.
//!
//! A [`UnitOfMeasure`] is a name and how many base units it holds (a case of 12 holds 12
//! eaches). Conversions are exact or rejected: 30 eaches are not 2.5 cases.
//!
//! ```
//! use invsync_core::UnitOfMeasure;
//! # fn main() -> Result<(), invsync_core::UomError> {
//! let case = UnitOfMeasure::new("case", 12)?;
//! assert_eq!(case.to_base(3)?, 36);
//! assert_eq!(case.from_base(36)?, 3);
//! assert!(case.from_base(30).is_err());
//! # Ok(()) }
//! ```

/// A unit and its size in base units.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnitOfMeasure {
    name: String,
    base_per_unit: u32,
}

/// Why a conversion or a unit definition was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UomError {
    /// A unit must hold at least one base unit.
    #[error("unit {name:?} must hold at least one base unit")]
    ZeroSize {
        /// The unit's name.
        name: String,
    },
    /// The quantity is not a whole number of the target unit.
    #[error("{base} base units are not a whole number of {name:?} (size {size})")]
    Inexact {
        /// The quantity in base units.
        base: i64,
        /// The unit's name.
        name: String,
        /// The unit's size.
        size: u32,
    },
    /// The result does not fit in an `i64`.
    #[error("{qty} {name:?} overflows the base-unit range")]
    Overflow {
        /// The quantity in the unit.
        qty: i64,
        /// The unit's name.
        name: String,
    },
}

impl UnitOfMeasure {
    /// A unit holding `base_per_unit` base units.
    ///
    /// # Errors
    ///
    /// [`UomError::ZeroSize`] when `base_per_unit` is zero.
    pub fn new(name: impl Into<String>, base_per_unit: u32) -> Result<Self, UomError> {
        let name = name.into();
        if base_per_unit == 0 {
            return Err(UomError::ZeroSize { name });
        }
        Ok(UnitOfMeasure { name, base_per_unit })
    }

    /// The unit's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base units in one of this unit.
    pub fn base_per_unit(&self) -> u32 {
        self.base_per_unit
    }

    /// `qty` of this unit in base units.
    ///
    /// # Errors
    ///
    /// [`UomError::Overflow`] when the result does not fit.
    pub fn to_base(&self, qty: i64) -> Result<i64, UomError> {
        qty.checked_mul(i64::from(self.base_per_unit))
            .ok_or_else(|| UomError::Overflow { qty, name: self.name.clone() })
    }

    /// `base` base units in this unit, when that is a whole number.
    ///
    /// # Errors
    ///
    /// [`UomError::Inexact`] when `base` is not a multiple of the unit's size.
    pub fn from_base(&self, base: i64) -> Result<i64, UomError> {
        let size = i64::from(self.base_per_unit);
        if base % size != 0 {
            return Err(UomError::Inexact { base, name: self.name.clone(), size: self.base_per_unit });
        }
        Ok(base / size)
    }

    /// `qty` of this unit expressed in `other`, when exact.
    ///
    /// # Errors
    ///
    /// [`UomError::Overflow`] or [`UomError::Inexact`].
    pub fn convert(&self, qty: i64, other: &UnitOfMeasure) -> Result<i64, UomError> {
        other.from_base(self.to_base(qty)?)
    }
}
