//! Request bodies: a JSON array or NDJSON (one record per line), every error naming the
//! record, its line and column, and the field.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A record that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("record {record}{}: line {line}, column {column}: {message}", if field.is_empty() { String::new() } else { format!(", field {field}") })]
pub struct RecordError {
    /// Index of the record in the request, from 0.
    pub record: usize,
    /// The field at fault (`movement.qty`), empty when the record itself is.
    pub field: String,
    /// 1-based line in the body.
    pub line: usize,
    /// 1-based column in the line.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses an event batch (`[...]` or NDJSON).
pub(crate) fn events(body: &[u8]) -> Result<Vec<invsync_core::ledger::Event>, RecordError> {
    records(body)
}

/// Parses a batch of `T`: a JSON array when the body starts with `[`, else NDJSON.
pub(crate) fn records<T: DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, RecordError> {
    let first = body.iter().position(|b| !b.is_ascii_whitespace());
    match first {
        None => Ok(Vec::new()),
        Some(i) if body[i] == b'[' => array(body),
        Some(_) => ndjson(body),
    }
}

/// Parses one JSON object.
pub(crate) fn object<T: DeserializeOwned>(body: &[u8]) -> Result<T, RecordError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        RecordError {
            record: 0,
            field: if field == "." { String::new() } else { field },
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })
}

fn array<T: DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, RecordError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let result: Result<Vec<T>, _> = serde_path_to_error::deserialize(de);
    result.map_err(|e| {
        let mut segments = e.path().iter();
        let record = match segments.next() {
            Some(serde_path_to_error::Segment::Seq { index }) => *index,
            _ => 0,
        };
        let field = segments.map(ToString::to_string).collect::<Vec<_>>().join(".");
        let inner = e.into_inner();
        RecordError {
            record,
            field,
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })
}

fn ndjson<T: DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, RecordError> {
    let mut out = Vec::new();
    for (n, line) in body.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let de = &mut serde_json::Deserializer::from_slice(line);
        let parsed: Result<T, _> = serde_path_to_error::deserialize(de);
        match parsed {
            Ok(v) => out.push(v),
            Err(e) => {
                let field = e.path().to_string();
                let inner = e.into_inner();
                return Err(RecordError {
                    record: out.len(),
                    field: if field == "." { String::new() } else { field },
                    line: n + 1,
                    column: inner.column(),
                    message: strip_position(&inner.to_string()),
                });
            }
        }
    }
    Ok(out)
}

/// serde_json's message without its " at line L column C" suffix (given separately).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use invsync_core::ledger::Event;

    const GOOD: &str = r#"{"id":"e1","source":"erp","item":"A","location":"S1","occurred_at":1000,"recorded_at":1000,"movement":{"type":"receipt","qty":5,"to":"available","close":false}}"#;

    #[track_caller]
    fn check(body: &str, record: usize, field: &str, line: usize) {
        let err = events(body.as_bytes()).unwrap_err();
        assert_eq!((err.record, err.field.as_str(), err.line), (record, field, line), "{err}");
    }

    #[test]
    fn both_forms_parse() {
        assert_eq!(events(format!("[{GOOD},{GOOD}]").as_bytes()).unwrap().len(), 2);
        assert_eq!(events(format!("{GOOD}\n\n{GOOD}\n").as_bytes()).unwrap().len(), 2);
        assert!(events(b"  ").unwrap().is_empty());
        let _: Vec<Event> = records(b"[]").unwrap();
    }

    #[test]
    fn errors_name_record_field_and_line() {
        let bad_qty = GOOD.replace("\"qty\":5", "\"qty\":\"five\"");
        check(&format!("[{GOOD},\n{bad_qty}]"), 1, "movement", 2);
        check(&format!("{GOOD}\n{GOOD}\n{bad_qty}\n"), 2, "movement", 3);
        let no_item = GOOD.replace("\"item\":\"A\",", "");
        check(&format!("[{no_item}]"), 0, "", 1);
        check(&format!("{GOOD}\n{{\"id\":"), 1, "id", 2);
        let bad_id = GOOD.replace("\"e1\"", "\"\"");
        check(&format!("[{GOOD},{GOOD},{bad_id}]"), 2, "id", 1);
    }
}
