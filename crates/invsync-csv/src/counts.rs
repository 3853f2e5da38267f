//! Physical counts in (`item,location,counted`) and reconciliation reports out.

use std::io;

use invsync_core::sync::{CountRecord, ReconcileReport};
use invsync_core::{ItemId, LocationId};

use crate::error::{CsvError, CsvErrorKind, unique_headers, writer_with_header};

/// Reads a count file with columns `item`, `location`, `counted` (any order, others
/// ignored); every error names the file, line, column and value.
///
/// # Errors
///
/// [`CsvError`] for a missing or duplicate column, a bad id, a count that is not a whole
/// number >= 0, or a second count of an item x location (the file is one instant: two
/// counts of one record cannot both be true); that error names both lines.
pub fn read_counts<R: io::Read>(rdr: R, file: Option<&str>) -> Result<Vec<CountRecord>, CsvError> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(rdr);
    let headers = r.headers().map_err(|e| CsvError::from(e).in_file(file))?.clone();
    unique_headers(&headers, file)?;
    let col = |name: &'static str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| CsvError::new(CsvErrorKind::MissingColumn(name)).at_line(1).in_file(file))
    };
    let (ci, cl, cc) = (col("item")?, col("location")?, col("counted")?);
    let mut out = Vec::new();
    let mut seen: std::collections::HashMap<(String, String), u64> = std::collections::HashMap::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| CsvError::from(e).in_file(file))?;
        let line = rec.position().map_or(0, csv::Position::line);
        let field = |i: usize, name: &str, expected: &'static str, message: String| {
            CsvError::new(CsvErrorKind::Invalid { expected, message })
                .at_line(line)
                .at_column(i + 1, name, rec.get(i))
                .in_file(file)
        };
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let item = ItemId::new(get(ci)).map_err(|e| field(ci, "item", "an item id", e.to_string()))?;
        let location = LocationId::new(get(cl)).map_err(|e| field(cl, "location", "a location id", e.to_string()))?;
        let counted = get(cc)
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| field(cc, "counted", "a whole number >= 0", "not a count".into()))?;
        if let Some(first) = seen.insert((get(ci).to_owned(), get(cl).to_owned()), line) {
            return Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "one count per item x location",
                message: format!(
                    "{} at {} is counted twice, at lines {first} and {line}",
                    crate::bounded(get(ci)),
                    crate::bounded(get(cl))
                ),
            })
            .at_line(line)
            .in_file(file));
        }
        out.push(CountRecord { item, location, counted });
    }
    Ok(out)
}

/// The columns of a reconciliation report.
pub const RECONCILE_COLUMNS: [&str; 9] =
    ["item", "location", "system", "counted", "variance", "variance_value", "class", "status", "needs_approval"];

/// Writes a reconciliation report, one row per line.
///
/// # Errors
///
/// [`CsvError`] when writing fails.
pub fn write_reconciliation<W: io::Write>(w: W, report: &ReconcileReport) -> Result<W, CsvError> {
    let mut out = writer_with_header(w, &RECONCILE_COLUMNS)?;
    for l in &report.lines {
        out.write_record([
            l.item.to_string(),
            l.location.to_string(),
            l.system.to_string(),
            l.counted.map(|c| c.to_string()).unwrap_or_default(),
            l.variance.to_string(),
            l.variance_value.to_string(),
            format!("{:?}", l.class),
            l.status.as_str().to_owned(),
            l.needs_approval.to_string(),
        ])?;
    }
    out.into_inner().map_err(|e| CsvError::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_count_of_one_record_names_both_lines() {
        let e = read_counts("item,location,counted\nA,B,1\nC,B,2\nA,B,3\n".as_bytes(), Some("c.csv")).unwrap_err();
        assert_eq!(e.line(), 4);
        assert!(e.to_string().contains("A at B is counted twice, at lines 2 and 4"), "{e}");
        assert!(read_counts("item,location,counted,Item\n".as_bytes(), None).is_err());
    }
}
