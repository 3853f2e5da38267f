//! Validated identifiers.
//!
//! Every identifier is a non-empty UTF-8 string of at most [`MAX_ID_LEN`] bytes, without
//! control characters and without leading or trailing white space. The rules are checked
//! once, at construction, so code holding an id never re-validates it.

use std::fmt;
use std::sync::Arc;

/// The longest identifier accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Why a text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text is empty.
    #[error("{kind} is empty")]
    Empty {
        /// Which kind of id ("item id", "location id" ...).
        kind: &'static str,
    },
    /// The text is longer than [`MAX_ID_LEN`] bytes.
    #[error("{kind} is {len} bytes long, more than the {MAX_ID_LEN} allowed")]
    TooLong {
        /// Which kind of id.
        kind: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The text holds a control character or leading/trailing white space.
    #[error("{kind} {text:?} has a control character or surrounding white space")]
    Malformed {
        /// Which kind of id.
        kind: &'static str,
        /// The offending text.
        text: String,
    },
}

fn validate(kind: &'static str, text: &str) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if text.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { kind, len: text.len() });
    }
    if text.chars().any(char::is_control) || text.trim() != text {
        return Err(IdError::Malformed { kind, text: text.to_owned() });
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// Cheap to clone (the text is shared). Compared, ordered and hashed by its text.
        #[derive(Clone, Eq, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl PartialEq for $name {
            /// Equal texts. Clones of one id are equal without reading the text (the ledger
            /// compares ids on every event; the text is usually elsewhere in memory).
            fn eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
            }
        }

        impl std::hash::Hash for $name {
            /// The text's hash (as `str`'s), consistent with `eq`.
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state);
            }
        }

        impl $name {
            /// Validates `text` and wraps it.
            ///
            /// # Errors
            ///
            /// [`IdError`] when the text is empty, too long, or malformed.
            pub fn new(text: impl AsRef<str>) -> Result<Self, IdError> {
                let text = text.as_ref();
                validate($kind, text)?;
                Ok($name(Arc::from(text)))
            }

            /// The identifier's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                $name::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::new(&*s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// An item (SKU, GTIN ...), as the caller names it.
    ///
    /// ```
    /// use invsync_core::ItemId;
    /// # fn main() -> Result<(), invsync_core::IdError> {
    /// let sku = ItemId::new("SKU-42")?;
    /// assert_eq!(sku.as_str(), "SKU-42");
    /// assert!(ItemId::new("").is_err());
    /// # Ok(()) }
    /// ```
    ItemId,
    "item id"
);
id_type!(
    /// A stock location (store, warehouse, bin ...).
    ///
    /// ```
    /// use invsync_core::LocationId;
    /// # fn main() -> Result<(), invsync_core::IdError> {
    /// let dc = LocationId::new("DC-1")?;
    /// assert_eq!(dc.to_string(), "DC-1");
    /// # Ok(()) }
    /// ```
    LocationId,
    "location id"
);
id_type!(
    /// An event's idempotency key: two deliveries with the same id are the same event.
    ///
    /// ```
    /// use invsync_core::EventId;
    /// # fn main() -> Result<(), invsync_core::IdError> {
    /// let id = EventId::new("wms-000017")?;
    /// assert_eq!(id.as_str(), "wms-000017");
    /// # Ok(()) }
    /// ```
    EventId,
    "event id"
);
id_type!(
    /// The system that reported an event (ERP, WMS, POS, a web channel ...).
    ///
    /// ```
    /// use invsync_core::SourceId;
    /// # fn main() -> Result<(), invsync_core::IdError> {
    /// let wms = SourceId::new("wms")?;
    /// assert_eq!(wms.as_str(), "wms");
    /// # Ok(()) }
    /// ```
    SourceId,
    "source id"
);
id_type!(
    /// A reason code on an adjustment or hold ("shrink", "damaged-in-transit" ...).
    ///
    /// ```
    /// use invsync_core::ReasonCode;
    /// # fn main() -> Result<(), invsync_core::IdError> {
    /// let r = ReasonCode::new("shrink")?;
    /// assert_eq!(r.as_str(), "shrink");
    /// # Ok(()) }
    /// ```
    ReasonCode,
    "reason code"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(ItemId::new("a").is_ok());
        assert!(matches!(ItemId::new(""), Err(IdError::Empty { .. })));
        assert!(matches!(ItemId::new(" a"), Err(IdError::Malformed { .. })));
        assert!(matches!(ItemId::new("a\nb"), Err(IdError::Malformed { .. })));
        assert!(matches!(ItemId::new("x".repeat(257)), Err(IdError::TooLong { len: 257, .. })));
        assert_eq!(ItemId::new("é-1").unwrap().to_string(), "é-1");
        assert_eq!(format!("{:?}", LocationId::new("S1").unwrap()), "LocationId(\"S1\")");
    }

    #[test]
    fn equality_is_by_text() {
        let a = ItemId::new("SKU-1").unwrap();
        // A clone (same allocation) and a separately built id with the same text.
        assert_eq!(a, a.clone());
        assert_eq!(a, ItemId::new("SKU-1").unwrap());
        assert_ne!(a, ItemId::new("SKU-2").unwrap());
        assert_ne!(ItemId::new("SKU-2").unwrap(), a);
    }
}
