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

/// Why a value could not be written or read as JSON: what kind of failure, where (line
/// and column, 1-based; 0 when not tied to a position), and for an i/o failure the
/// `io::Error` itself as the [`source`](std::error::Error::source).
///
/// ```
/// use invsync_core::ledger::LedgerConfig;
/// use invsync_json::JsonErrorKind;
/// let err = invsync_json::read::<_, LedgerConfig>("{\n  \"strict\": tru }".as_bytes()).unwrap_err();
/// assert_eq!((err.kind(), err.line(), err.column()), (JsonErrorKind::Syntax, 2, 16));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("json: {message} (line {line}, column {column})")]
pub struct JsonError {
    kind: JsonErrorKind,
    message: String,
    line: usize,
    column: usize,
    #[source]
    io: Option<std::io::Error>,
}

/// What kind of failure a [`JsonError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// Reading or writing failed (the `io::Error` is the error's source).
    Io,
    /// The text is not valid JSON.
    Syntax,
    /// Valid JSON, but not a valid value of the type read (a missing field, a wrong type,
    /// a value the type refuses), or a value that cannot be written as JSON.
    Data,
    /// The input ended in the middle of a value.
    Eof,
}

impl JsonError {
    /// What kind of failure.
    pub fn kind(&self) -> JsonErrorKind {
        self.kind
    }

    /// 1-based line of the failure (0 when not tied to a position).
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the failure (0 when not tied to a position).
    pub fn column(&self) -> usize {
        self.column
    }

    /// The parser's message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        use serde_json::error::Category;
        let kind = match e.classify() {
            Category::Io => JsonErrorKind::Io,
            Category::Syntax => JsonErrorKind::Syntax,
            Category::Data => JsonErrorKind::Data,
            Category::Eof => JsonErrorKind::Eof,
        };
        let (message, line, column) = (e.to_string(), e.line(), e.column());
        let io = e.is_io().then(|| std::io::Error::from(e));
        JsonError { kind, message, line, column, io }
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
