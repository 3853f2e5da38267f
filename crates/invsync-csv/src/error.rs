//! Positioned CSV errors.

use std::sync::Arc;
use std::{fmt, io};

/// What went wrong, without the position.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CsvErrorKind {
    /// Reading or writing failed: the `io::Error` (shared, so the error stays `Clone`),
    /// also the [`CsvError`]'s [`source`](std::error::Error::source).
    Io(Arc<io::Error>),
    /// The CSV itself is malformed (ragged row, invalid UTF-8, bad quoting).
    Malformed(String),
    /// A required column is absent from the header.
    MissingColumn(&'static str),
    /// The header names a column this format does not know.
    UnknownColumn(String),
    /// The header names a column twice.
    DuplicateColumn(String),
    /// A required value is empty.
    MissingValue,
    /// A value does not parse as what the column holds.
    Invalid {
        /// What the column holds ("an integer", "a timestamp" ...).
        expected: &'static str,
        /// The parser's message.
        message: String,
    },
}

/// Equal when the same variant holds equal values; two i/o errors are equal when they have
/// the same [`io::ErrorKind`] and message.
impl PartialEq for CsvErrorKind {
    fn eq(&self, other: &Self) -> bool {
        use CsvErrorKind::*;
        match (self, other) {
            (Io(a), Io(b)) => Arc::ptr_eq(a, b) || (a.kind() == b.kind() && a.to_string() == b.to_string()),
            (Malformed(a), Malformed(b))
            | (UnknownColumn(a), UnknownColumn(b))
            | (DuplicateColumn(a), DuplicateColumn(b)) => a == b,
            (MissingColumn(a), MissingColumn(b)) => a == b,
            (MissingValue, MissingValue) => true,
            (Invalid { expected: e1, message: m1 }, Invalid { expected: e2, message: m2 }) => e1 == e2 && m1 == m2,
            _ => false,
        }
    }
}

impl Eq for CsvErrorKind {}

impl fmt::Display for CsvErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvErrorKind::Io(m) => write!(f, "i/o error: {m}"),
            CsvErrorKind::Malformed(m) => write!(f, "malformed csv: {m}"),
            CsvErrorKind::MissingColumn(c) => write!(f, "missing column {c:?}"),
            CsvErrorKind::UnknownColumn(c) => write!(f, "unknown column {:?}", bounded(c)),
            CsvErrorKind::DuplicateColumn(c) => write!(f, "duplicate column {:?}", bounded(c)),
            CsvErrorKind::MissingValue => f.write_str("a value is required"),
            CsvErrorKind::Invalid { expected, message } => write!(f, "expected {expected}: {message}"),
        }
    }
}

/// An error with where it happened: file (when the caller named it), line, column and value.
///
/// Displayed as `file:line: column NAME (N): value "V": message`. An error tied to neither a
/// file nor a line (a writer's i/o error) is displayed as its message alone: the sink
/// names itself in the i/o message. Values longer than [`MAX_QUOTED`] characters are
/// shortened in the message (the full value is still returned by [`CsvError::value`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError(Box<Details>);

impl std::error::Error for CsvError {
    /// The `io::Error` of an i/o failure ([`CsvErrorKind::Io`]).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            CsvErrorKind::Io(e) => Some(&**e),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    file: Option<String>,
    line: u64,
    column: Option<(usize, String)>,
    value: Option<String>,
    kind: CsvErrorKind,
}

impl CsvError {
    pub(crate) fn new(kind: CsvErrorKind) -> Self {
        CsvError(Box::new(Details { file: None, line: 0, column: None, value: None, kind }))
    }

    pub(crate) fn at_line(mut self, line: u64) -> Self {
        self.0.line = line;
        self
    }

    pub(crate) fn in_file(mut self, file: Option<&str>) -> Self {
        if self.0.file.is_none() {
            self.0.file = file.map(str::to_owned);
        }
        self
    }

    pub(crate) fn at_column(mut self, index: usize, name: &str, value: Option<&str>) -> Self {
        self.0.column = Some((index, name.to_owned()));
        self.0.value = value.map(str::to_owned);
        self
    }

    /// The file name given to the reader, if any.
    pub fn file(&self) -> Option<&str> {
        self.0.file.as_deref()
    }

    /// One-based line number (0 when not tied to a line).
    pub fn line(&self) -> u64 {
        self.0.line
    }

    /// One-based column number and header name, when tied to a field.
    pub fn column(&self) -> Option<(usize, &str)> {
        self.0.column.as_ref().map(|(i, n)| (*i, n.as_str()))
    }

    /// The offending value, when tied to a field.
    pub fn value(&self) -> Option<&str> {
        self.0.value.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &CsvErrorKind {
        &self.0.kind
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        if d.file.is_none() && d.line == 0 && d.column.is_none() {
            return write!(f, "{}", d.kind);
        }
        write!(f, "{}:{}", d.file.as_deref().unwrap_or("<csv>"), d.line)?;
        if let Some((i, name)) = &d.column {
            write!(f, ": column {} ({i})", bounded(name))?;
        }
        if let Some(v) = &d.value {
            write!(f, ": value {:?}", bounded(v))?;
        }
        write!(f, ": {}", d.kind)
    }
}

/// The most characters of a value (or column name) quoted in an error message.
pub const MAX_QUOTED: usize = 80;

/// `s`, or its first [`MAX_QUOTED`] characters followed by how many were left out.
pub fn bounded(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_QUOTED) {
        None => s.into(),
        Some((cut, _)) => format!("{}... ({} more characters)", &s[..cut], s[cut..].chars().count()).into(),
    }
}

impl From<csv::Error> for CsvError {
    fn from(e: csv::Error) -> Self {
        let line = e.position().map_or(0, csv::Position::line);
        let message = e.to_string();
        let kind = match e.into_kind() {
            csv::ErrorKind::Io(io) => CsvErrorKind::Io(Arc::new(io)),
            _ => CsvErrorKind::Malformed(message),
        };
        CsvError::new(kind).at_line(line)
    }
}

impl From<std::io::Error> for CsvError {
    fn from(e: std::io::Error) -> Self {
        CsvError::new(CsvErrorKind::Io(Arc::new(e)))
    }
}

/// A CSV writer over `w` that has written `header`.
pub(crate) fn writer_with_header<W: std::io::Write>(w: W, header: &[&str]) -> Result<csv::Writer<W>, CsvError> {
    let mut inner = csv::Writer::from_writer(w);
    inner.write_record(header)?;
    Ok(inner)
}

/// Refuses a header that names a column twice (trimmed, ASCII case ignored): the error
/// points at the second occurrence.
pub(crate) fn unique_headers(headers: &csv::StringRecord, file: Option<&str>) -> Result<(), CsvError> {
    let mut seen = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        if let Some(first) = seen.insert(h.to_ascii_lowercase(), i) {
            return Err(CsvError::new(CsvErrorKind::DuplicateColumn(format!("{h}, also column {}", first + 1)))
                .at_line(1)
                .at_column(i + 1, h, None)
                .in_file(file));
        }
    }
    Ok(())
}
