//! # invsync-json
//!
//! JSON adapters for invsync. The public core value types (events, levels, valuations,
//! demand and policy configurations, recommendations, reports) are serde-serialisable
//! through the core feature `serde`, with their Rust field names in snake_case as the
//! stable JSON names; this crate reads and writes them as JSON, and keeps the JSON Lines
//! event journal ([`journal`]).
//!
//! ```
//! use invsync_core::ledger::Levels;
//! let text = invsync_json::to_string(&Levels { available: 3, ..Levels::default() }).unwrap();
//! assert!(text.contains("\"available\":3"));
//! ```

#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` (Cargo.toml) on nightly: label feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod journal;

/// Why a value could not be written or read as JSON.
#[derive(Debug, thiserror::Error)]
#[error("json: {message} (line {line}, column {column})")]
pub struct JsonError {
    message: String,
    line: usize,
    column: usize,
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        JsonError { message: e.to_string(), line: e.line(), column: e.column() }
    }
}

/// Serialises `value` as compact JSON.
///
/// # Errors
///
/// [`JsonError`] when the value cannot be represented.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, JsonError> {
    Ok(serde_json::to_string(value)?)
}

/// Reads one JSON value (a planner configuration, a report ...) from `r`; errors carry the
/// line and column.
///
/// ```
/// use invsync_core::plan::PlanConfig;
/// let text = invsync_json::to_string(&PlanConfig::default()).unwrap();
/// let back: PlanConfig = invsync_json::read(text.as_bytes()).unwrap();
/// assert_eq!(back, PlanConfig::default());
/// ```
///
/// # Errors
///
/// [`JsonError`] when the text is not valid JSON for `T`.
pub fn read<R: std::io::Read, T: serde::de::DeserializeOwned>(r: R) -> Result<T, JsonError> {
    Ok(serde_json::from_reader(r)?)
}

/// Writes `value` as pretty-printed JSON followed by a newline.
///
/// # Errors
///
/// [`JsonError`] when the value cannot be represented or writing fails.
pub fn write_pretty<W: std::io::Write, T: serde::Serialize>(mut w: W, value: &T) -> Result<(), JsonError> {
    serde_json::to_writer_pretty(&mut w, value)?;
    w.write_all(b"\n").map_err(serde_json::Error::io)?;
    w.flush().map_err(serde_json::Error::io)?;
    Ok(())
}
