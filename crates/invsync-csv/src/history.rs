//! Demand history, in-stock flags and stock state, read row by row.
//!
//! # Wide history (one row per item, one column per period)
//!
//! ```text
//! Store,Product,2021-04-12,2021-04-19,...
//! 0,126,0.0,3.0,...
//! ```
//!
//! Key columns are every column whose header is not an ISO date (or the ones named with
//! [`HistoryReaderBuilder::key_columns`]); the period columns must be ascending dates one
//! day, one week or one calendar month apart (the calendar is inferred). Values are
//! numbers >= 0; an empty cell, `NA` or `NaN` is a missing period.
//!
//! # Long history (one row per item x period)
//!
//! ```text
//! item,location,date,quantity[,in_stock]
//! ```
//!
//! Rows of one item must be contiguous and in date order (sort by item, location, date);
//! the reader streams: it holds one item at a time. Gaps in the dates are missing periods.
//! The calendar is inferred by the wide header's rule: the first item with two rows
//! shows it by its two closest dates, which must be 1 day, 7 days or one month apart
//! (a biweekly file is refused, as in wide format); every later item's dates must fall
//! on it. Errors point at the offending row.
//!
//! # In-stock flags
//!
//! The wide shape of the history with `true` / `false` / `1` / `0` (any case); `false`
//! marks a censored period (out of stock: sales are a lower bound of demand). An empty
//! cell means unknown and is treated as in stock. [`align_in_stock`] lines a row up with
//! its history by date in one pass, refuses flags on another calendar or with no date in
//! common, and counts flags outside the history.
//!
//! # Stock state
//!
//! Key columns, `on_hand`, and optionally `arriving_1` .. `arriving_L` (units arriving at
//! the start of period h from now; negative arrivals are refused). The VN2 initial-state
//! names are accepted as aliases:
//! `End Inventory` for `on_hand`, `In Transit W+h` for `arriving_h`. Other columns are
//! ignored.

use std::collections::{HashMap, HashSet};
use std::io;

use invsync_core::Timestamp;
use invsync_core::demand::{Calendar, DemandHistory};
use invsync_core::policy::StockPosition;

use crate::error::{CsvError, CsvErrorKind, bounded, unique_headers};

/// One item's key: the values of the key columns, in order.
pub type Key = Vec<String>;

/// Joins a key into the stable text that names the item's random stream (`a/b/c`).
pub fn key_text(key: &[String]) -> String {
    key.join("/")
}

/// Configures history, in-stock and state readers.
#[derive(Debug, Clone, Default)]
pub struct HistoryReaderBuilder {
    file: Option<String>,
    key_columns: Option<Vec<String>>,
    sorted: bool,
}

impl HistoryReaderBuilder {
    /// A builder with no file name and key columns inferred.
    pub fn new() -> Self {
        Self::default()
    }

    /// The file name errors should carry.
    pub fn file(&mut self, name: impl Into<String>) -> &mut Self {
        self.file = Some(name.into());
        self
    }

    /// Names the key columns (default: every non-date column of a wide file).
    pub fn key_columns(&mut self, names: Vec<String>) -> &mut Self {
        self.key_columns = Some(names);
        self
    }

    /// Declares a long history sorted by key (ascending, column by column, byte order: what
    /// `LC_ALL=C sort -s -t, -k1,1 -k2,2` gives for two key columns). The reader then keeps
    /// no per-item state, so its memory does not grow with the number of items, and an
    /// item out of order is an error. Without it, items need only be grouped, and the
    /// reader remembers every key to refuse an item that appears twice.
    pub fn sorted(&mut self, yes: bool) -> &mut Self {
        self.sorted = yes;
        self
    }

    fn err(&self, line: u64, kind: CsvErrorKind) -> CsvError {
        CsvError::new(kind).at_line(line).in_file(self.file.as_deref())
    }

    fn csv<R: io::Read>(&self, rdr: R) -> csv::Reader<R> {
        csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(rdr)
    }

    /// A wide history reader.
    ///
    /// # Errors
    ///
    /// [`CsvError`] for an unreadable header, no period column, or period columns that are
    /// not ascending dates on one calendar.
    pub fn wide<R: io::Read>(&self, rdr: R) -> Result<WideReader<R>, CsvError> {
        let mut inner = self.csv(rdr);
        let headers = inner.headers().map_err(|e| CsvError::from(e).in_file(self.file.as_deref()))?.clone();
        unique_headers(&headers, self.file.as_deref())?;
        let layout = self.layout(&headers)?;
        Ok(WideReader {
            inner,
            layout,
            file: self.file.clone(),
            seen: HashMap::new(),
            record: csv::StringRecord::new(),
        })
    }

    /// A long history reader.
    ///
    /// # Errors
    ///
    /// [`CsvError`] for an unreadable header or missing `date` / `quantity` columns.
    pub fn long<R: io::Read>(&self, rdr: R) -> Result<LongReader<R>, CsvError> {
        let mut inner = self.csv(rdr);
        let headers = inner.headers().map_err(|e| CsvError::from(e).in_file(self.file.as_deref()))?.clone();
        unique_headers(&headers, self.file.as_deref())?;
        let find = |name: &'static str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| self.err(1, CsvErrorKind::MissingColumn(name)))
        };
        let date = find("date")?;
        let qty = find("quantity")?;
        let in_stock = headers.iter().position(|h| h.trim().eq_ignore_ascii_case("in_stock"));
        let keys: Vec<usize> = match &self.key_columns {
            Some(names) => names
                .iter()
                .map(|n| {
                    headers
                        .iter()
                        .position(|h| h.trim() == n)
                        .ok_or_else(|| self.err(1, CsvErrorKind::UnknownColumn(n.clone())))
                })
                .collect::<Result<_, _>>()?,
            None => (0..headers.len()).filter(|&i| i != date && i != qty && Some(i) != in_stock).collect(),
        };
        if keys.is_empty() {
            return Err(self.err(1, CsvErrorKind::MissingColumn("a key column (besides date, quantity, in_stock)")));
        }
        Ok(LongReader {
            inner,
            file: self.file.clone(),
            key_idx: keys,
            key_names: Vec::new(),
            date,
            qty,
            in_stock,
            pending: None,
            done: HashSet::new(),
            sorted: self.sorted,
            prev: None,
            calendar: None,
            record: csv::StringRecord::new(),
        }
        .with_names(&headers))
    }

    /// A wide in-stock reader (the history's shape, boolean cells).
    ///
    /// # Errors
    ///
    /// As [`HistoryReaderBuilder::wide`].
    pub fn in_stock<R: io::Read>(&self, rdr: R) -> Result<InStockReader<R>, CsvError> {
        let mut inner = self.csv(rdr);
        let headers = inner.headers().map_err(|e| CsvError::from(e).in_file(self.file.as_deref()))?.clone();
        unique_headers(&headers, self.file.as_deref())?;
        let layout = self.layout(&headers)?;
        Ok(InStockReader { inner, layout, file: self.file.clone(), record: csv::StringRecord::new() })
    }

    /// A stock-state reader whose keys are the columns `key_names` (the history's).
    ///
    /// # Errors
    ///
    /// [`CsvError`] when a key column or `on_hand` is missing.
    pub fn state<R: io::Read>(&self, rdr: R, key_names: &[String]) -> Result<StateReader<R>, CsvError> {
        let mut inner = self.csv(rdr);
        let headers = inner.headers().map_err(|e| CsvError::from(e).in_file(self.file.as_deref()))?.clone();
        unique_headers(&headers, self.file.as_deref())?;
        let pos = |name: &str| headers.iter().position(|h| h.trim() == name);
        let keys = key_names
            .iter()
            .map(|n| {
                pos(n).ok_or_else(|| {
                    self.err(1, CsvErrorKind::UnknownColumn(format!("{n} (a key column of the history)")))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let on_hand = pos("on_hand")
            .or_else(|| pos("End Inventory"))
            .ok_or_else(|| self.err(1, CsvErrorKind::MissingColumn("on_hand")))?;
        let mut arriving = Vec::new();
        for h in 1.. {
            match pos(&format!("arriving_{h}")).or_else(|| pos(&format!("In Transit W+{h}"))) {
                Some(i) => arriving.push(i),
                None => break,
            }
        }
        let names = headers.iter().map(|h| h.trim().to_owned()).collect();
        Ok(StateReader {
            inner,
            file: self.file.clone(),
            keys,
            on_hand,
            arriving,
            names,
            record: csv::StringRecord::new(),
        })
    }

    pub(crate) fn layout(&self, headers: &csv::StringRecord) -> Result<Layout, CsvError> {
        let names: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
        let date_of = |h: &str| parse_date(h);
        let (keys, periods): (Vec<usize>, Vec<usize>) = match &self.key_columns {
            Some(k) => {
                let keys = k
                    .iter()
                    .map(|n| {
                        names
                            .iter()
                            .position(|h| h == n)
                            .ok_or_else(|| self.err(1, CsvErrorKind::UnknownColumn(n.clone())))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let periods = (0..names.len()).filter(|i| !keys.contains(i)).collect();
                (keys, periods)
            }
            None => (0..names.len()).partition(|&i| date_of(&names[i]).is_none()),
        };
        if periods.is_empty() {
            return Err(self.err(1, CsvErrorKind::MissingColumn("a period column headed by an ISO date (YYYY-MM-DD)")));
        }
        if keys.is_empty() {
            return Err(self.err(1, CsvErrorKind::MissingColumn("a key column (a header that is not a date)")));
        }
        let mut dates = Vec::with_capacity(periods.len());
        for &i in &periods {
            let d = date_of(&names[i]).ok_or_else(|| {
                CsvError::new(CsvErrorKind::Invalid { expected: "an ISO date header", message: "not a date".into() })
                    .at_line(1)
                    .at_column(i + 1, &names[i], Some(&names[i]))
                    .in_file(self.file.as_deref())
            })?;
            dates.push(d);
        }
        let calendar = infer_calendar(&dates).map_err(|(i, message)| {
            let col = periods[i];
            CsvError::new(CsvErrorKind::Invalid { expected: "dates ascending on one calendar", message })
                .at_line(1)
                .at_column(col + 1, &names[col], Some(&names[col]))
                .in_file(self.file.as_deref())
        })?;
        Ok(Layout { names, keys, periods, start: dates[0], calendar })
    }
}

/// Column layout of a wide file.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) names: Vec<String>,
    pub(crate) keys: Vec<usize>,
    pub(crate) periods: Vec<usize>,
    pub(crate) start: Timestamp,
    pub(crate) calendar: Calendar,
}

impl Layout {
    fn key(&self, r: &csv::StringRecord) -> Key {
        self.keys.iter().map(|&i| r.get(i).unwrap_or("").trim().to_owned()).collect()
    }
}

pub(crate) fn parse_date(h: &str) -> Option<Timestamp> {
    let h = h.trim();
    if h.len() != 10 {
        return None;
    }
    h.parse::<Timestamp>().ok()
}

/// The calendar of ascending period dates, or (index, why) of the first bad one.
fn infer_calendar(dates: &[Timestamp]) -> Result<Calendar, (usize, String)> {
    if dates.len() < 2 {
        return Ok(Calendar::Week);
    }
    let step = dates[1].days() - dates[0].days();
    let Some(calendar) = calendar_of_step(step) else {
        return Err((1, format!("periods are {step} days apart: expected 1, 7 or one month")));
    };
    for (i, d) in dates.iter().enumerate() {
        let want = calendar.period_start(dates[0], i as i64);
        if *d != want {
            return Err((
                i,
                format!("expected {} (one {:?} after the previous period)", want, calendar).to_lowercase(),
            ));
        }
    }
    Ok(calendar)
}

/// The calendar whose periods are `step` days apart: the one rule every reader (wide
/// header, long rows) infers calendars with.
fn calendar_of_step(step: i64) -> Option<Calendar> {
    match step {
        1 => Some(Calendar::Day),
        7 => Some(Calendar::Week),
        28..=31 => Some(Calendar::Month),
        _ => None,
    }
}

/// The date part (`YYYY-MM-DD`) of a period start.
pub(crate) fn day(t: Timestamp) -> String {
    let s = t.to_string();
    s.get(..10).map_or_else(|| s.clone(), str::to_owned)
}

fn parse_demand(v: &str) -> Result<f64, String> {
    let v = v.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("na") || v.eq_ignore_ascii_case("nan") {
        return Ok(f64::NAN);
    }
    let x: f64 = v.parse().map_err(|_| "not a number".to_owned())?;
    if !x.is_finite() {
        return Err("not a finite number".into());
    }
    if x < 0.0 {
        return Err("demand cannot be negative".into());
    }
    Ok(x)
}

fn parse_flag(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err("expected true/false or 1/0".into()),
    }
}

/// One item's history and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    /// Line of the row (wide) or of the item's first row (long).
    pub line: u64,
    /// The key values.
    pub key: Key,
    /// The history (censoring from the long file's `in_stock` column, if any).
    pub history: DemandHistory,
}

/// Streams a wide history.
#[derive(Debug)]
pub struct WideReader<R> {
    inner: csv::Reader<R>,
    layout: Layout,
    file: Option<String>,
    /// Keys seen, with their lines.
    seen: HashMap<Key, u64>,
    record: csv::StringRecord,
}

impl<R: io::Read> WideReader<R> {
    /// Names of the key columns.
    pub fn key_names(&self) -> Vec<String> {
        self.layout.keys.iter().map(|&i| self.layout.names[i].clone()).collect()
    }

    /// The calendar inferred from the header.
    pub fn calendar(&self) -> Calendar {
        self.layout.calendar
    }

    /// Number of periods.
    pub fn periods(&self) -> usize {
        self.layout.periods.len()
    }

    fn parse(&mut self, line: u64) -> Result<HistoryRecord, CsvError> {
        let l = &self.layout;
        let key = l.key(&self.record);
        let mut values = Vec::with_capacity(l.periods.len());
        for &i in &l.periods {
            let raw = self.record.get(i).unwrap_or("");
            values.push(parse_demand(raw).map_err(|message| {
                CsvError::new(CsvErrorKind::Invalid { expected: "a demand quantity >= 0", message })
                    .at_line(line)
                    .at_column(i + 1, &l.names[i], Some(raw))
            })?);
        }
        if let Some(first) = self.seen.insert(key.clone(), line) {
            return Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "a key seen once",
                message: format!("duplicate key {} (first at line {first})", bounded(&key_text(&key))),
            })
            .at_line(line));
        }
        let history = DemandHistory::uncensored(l.start, l.calendar, values).map_err(|e| {
            CsvError::new(CsvErrorKind::Invalid { expected: "a demand history", message: e.to_string() }).at_line(line)
        })?;
        Ok(HistoryRecord { line, key, history })
    }
}

impl<R: io::Read> Iterator for WideReader<R> {
    type Item = Result<HistoryRecord, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let res = match self.inner.read_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                self.parse(line)
            }
            Err(e) => Err(e.into()),
        };
        Some(res.map_err(|e| e.in_file(self.file.as_deref())))
    }
}

/// One item's in-stock flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InStockRecord {
    /// Line of the row.
    pub line: u64,
    /// The key values.
    pub key: Key,
    /// `true` = in stock, one per period.
    pub in_stock: Vec<bool>,
    /// Start of the first period (to align with the history).
    pub start: Timestamp,
    /// The calendar of the file's periods.
    pub calendar: Calendar,
}

/// Streams a wide in-stock file.
#[derive(Debug)]
pub struct InStockReader<R> {
    inner: csv::Reader<R>,
    layout: Layout,
    file: Option<String>,
    record: csv::StringRecord,
}

impl<R: io::Read> Iterator for InStockReader<R> {
    type Item = Result<InStockRecord, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let res = match self.inner.read_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                let l = &self.layout;
                l.periods
                    .iter()
                    .map(|&i| {
                        let raw = self.record.get(i).unwrap_or("");
                        parse_flag(raw).map_err(|message| {
                            CsvError::new(CsvErrorKind::Invalid { expected: "an in-stock flag", message })
                                .at_line(line)
                                .at_column(i + 1, &l.names[i], Some(raw))
                        })
                    })
                    .collect::<Result<Vec<bool>, _>>()
                    .map(|in_stock| InStockRecord {
                        line,
                        key: l.key(&self.record),
                        in_stock,
                        start: l.start,
                        calendar: l.calendar,
                    })
            }
            Err(e) => Err(e.into()),
        };
        Some(res.map_err(|e| e.in_file(self.file.as_deref())))
    }
}

/// Applies in-stock flags to a history: periods flagged `false` become censored. Flags are
/// aligned by date; periods without a flag stay uncensored. Flags that cannot be aligned
/// (another calendar, or no date in common) leave the history as it is: use
/// [`align_in_stock`] to be told.
pub fn apply_in_stock(history: &DemandHistory, flags: &InStockRecord) -> DemandHistory {
    align_in_stock(history, flags, None).map_or_else(|_| history.clone(), |a| a.history)
}

/// A history with its in-stock flags applied ([`align_in_stock`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    /// The history, periods flagged `false` censored.
    pub history: DemandHistory,
    /// Flags whose date is no period of the history (outside its range).
    pub unmatched: usize,
}

/// Applies in-stock flags to a history, aligned by date in one pass (time linear in the
/// periods of both), and counts the flags that fall outside the history.
///
/// # Errors
///
/// [`CsvError`] at the flags' line (in `file`) when the flags are on another calendar
/// than the history, or when none of their dates is a period of the history.
pub fn align_in_stock(history: &DemandHistory, flags: &InStockRecord, file: Option<&str>) -> Result<Aligned, CsvError> {
    let cal = history.calendar();
    let err = |message: String| {
        CsvError::new(CsvErrorKind::Invalid { expected: "in-stock flags on the history's periods", message })
            .at_line(flags.line)
            .in_file(file)
    };
    if flags.calendar != cal && flags.in_stock.len() > 1 && history.len() > 1 {
        return Err(err(format!(
            "item {}: the flags are {:?} periods, the history {:?} periods",
            bounded(&key_text(&flags.key)),
            flags.calendar,
            cal
        )
        .to_lowercase()));
    }
    let mut censored = vec![false; history.len()];
    let (mut j, mut matched) = (0usize, 0usize);
    for (t, c) in censored.iter_mut().enumerate() {
        let at = cal.period_start(history.start(), t as i64);
        while j < flags.in_stock.len() && cal.period_start(flags.start, j as i64) < at {
            j += 1;
        }
        if j < flags.in_stock.len() && cal.period_start(flags.start, j as i64) == at {
            *c = !flags.in_stock[j];
            matched += 1;
            j += 1;
        }
    }
    if matched == 0 && !flags.in_stock.is_empty() && !history.is_empty() {
        return Err(err(format!(
            "item {}: no flag date ({} ..) is a period of the history ({} ..)",
            bounded(&key_text(&flags.key)),
            &day(flags.start),
            &day(history.start())
        )));
    }
    let history = DemandHistory::new(history.start(), cal, history.values().to_vec(), censored)
        .map_err(|e| err(e.to_string()))?;
    Ok(Aligned { history, unmatched: flags.in_stock.len() - matched })
}

/// One row of a long file: (line, key, date, quantity, in stock).
type LongRow = (u64, Key, Timestamp, f64, bool);

/// A row as read: its key `None` when it is the current item's (`LongReader::row`).
type ReadRow = (u64, Option<Key>, Timestamp, f64, bool);

/// Streams a long history, one item at a time.
#[derive(Debug)]
pub struct LongReader<R> {
    inner: csv::Reader<R>,
    file: Option<String>,
    key_idx: Vec<usize>,
    key_names: Vec<String>,
    date: usize,
    qty: usize,
    in_stock: Option<usize>,
    /// A row read ahead.
    pending: Option<LongRow>,
    /// Keys seen (unsorted input only).
    done: HashSet<Key>,
    /// The input is declared sorted: check order against `prev` instead of `done`.
    sorted: bool,
    prev: Option<Key>,
    /// The file's calendar, once an item with two rows has shown it.
    calendar: Option<Calendar>,
    record: csv::StringRecord,
}

impl<R: io::Read> LongReader<R> {
    fn with_names(mut self, headers: &csv::StringRecord) -> Self {
        self.key_names = self.key_idx.iter().map(|&i| headers.get(i).unwrap_or("").trim().to_owned()).collect();
        self
    }

    /// Names of the key columns.
    pub fn key_names(&self) -> Vec<String> {
        self.key_names.clone()
    }

    /// The next row. Its key is `None` when it equals `current` (the item being read), so
    /// the rows of one item after its first allocate no key.
    fn row(&mut self, current: Option<&Key>) -> Option<Result<ReadRow, CsvError>> {
        match self.inner.read_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => Some(Err(e.into())),
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                let r = &self.record;
                let field = |i: usize| r.get(i).unwrap_or("").trim();
                let same = current.is_some_and(|k| {
                    k.len() == self.key_idx.len() && self.key_idx.iter().zip(k).all(|(&i, v)| field(i) == v)
                });
                let key: Option<Key> = (!same).then(|| self.key_idx.iter().map(|&i| field(i).to_owned()).collect());
                let raw_date = r.get(self.date).unwrap_or("");
                let date = match parse_date(raw_date) {
                    Some(d) => d,
                    None => {
                        return Some(Err(CsvError::new(CsvErrorKind::Invalid {
                            expected: "an ISO date",
                            message: "not a date".into(),
                        })
                        .at_line(line)
                        .at_column(self.date + 1, "date", Some(raw_date))));
                    }
                };
                let raw_q = r.get(self.qty).unwrap_or("");
                let q = match parse_demand(raw_q) {
                    Ok(q) => q,
                    Err(message) => {
                        return Some(Err(CsvError::new(CsvErrorKind::Invalid {
                            expected: "a demand quantity >= 0",
                            message,
                        })
                        .at_line(line)
                        .at_column(self.qty + 1, "quantity", Some(raw_q))));
                    }
                };
                let flag = match self.in_stock.map(|i| (i, r.get(i).unwrap_or(""))) {
                    None => true,
                    Some((i, raw)) => match parse_flag(raw) {
                        Ok(f) => f,
                        Err(message) => {
                            return Some(Err(CsvError::new(CsvErrorKind::Invalid {
                                expected: "an in-stock flag",
                                message,
                            })
                            .at_line(line)
                            .at_column(i + 1, "in_stock", Some(raw))));
                        }
                    },
                };
                Some(Ok((line, key, date, q, flag)))
            }
        }
    }

    fn next_item(&mut self) -> Option<Result<HistoryRecord, CsvError>> {
        let first = match self.pending.take() {
            Some(p) => p,
            // Without a current item the row's key is always read (`Some`).
            None => match self.row(None)? {
                Ok((line, key, date, q, flag)) => (line, key.unwrap_or_default(), date, q, flag),
                Err(e) => return Some(Err(e)),
            },
        };
        let (line, key, start, q0, f0) = first;
        if self.sorted {
            if let Some(prev) = self.prev.as_ref().filter(|p| **p >= key) {
                return Some(Err(CsvError::new(CsvErrorKind::Invalid {
                    expected: "items in ascending key order (the file is declared sorted)",
                    message: format!("item {} comes after item {}", bounded(&key_text(&key)), bounded(&key_text(prev))),
                })
                .at_line(line)));
            }
            self.prev = Some(key.clone());
        } else if !self.done.insert(key.clone()) {
            return Some(Err(CsvError::new(CsvErrorKind::Invalid {
                expected: "rows of one item together",
                message: format!(
                    "item {} appears again after other items: sort the file by key, then date",
                    bounded(&key_text(&key))
                ),
            })
            .at_line(line)));
        }
        let mut rows = vec![(line, start, q0, f0)];
        loop {
            match self.row(Some(&key)) {
                None => break,
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(r)) => {
                    if let Some(other) = r.1 {
                        self.pending = Some((r.0, other, r.2, r.3, r.4));
                        break;
                    }
                    let prev = rows.last().map_or(start, |x| x.1);
                    if r.2 <= prev {
                        return Some(Err(CsvError::new(CsvErrorKind::Invalid {
                            expected: "dates ascending within an item",
                            message: format!("{} is not after {prev}", r.2),
                        })
                        .at_line(r.0)
                        .at_column(self.date + 1, "date", Some(&r.2.to_string()))));
                    }
                    rows.push((r.0, r.2, r.3, r.4));
                }
            }
        }
        let res = assemble(line, key, &rows, self.date, self.calendar);
        if let Ok(r) = &res
            && rows.len() > 1
        {
            self.calendar = Some(r.history.calendar());
        }
        Some(res)
    }
}

/// Places an item's (line, date, quantity, in stock) rows on the file's calendar: the one
/// an earlier item showed, else the one the item's two closest dates show (1 day, 7 days
/// or a month apart, as for a wide header; anything else is an error). Dates between
/// rows are missing periods; a date off the calendar is an error at its row.
pub(crate) fn assemble(
    line: u64,
    key: Key,
    rows: &[(u64, Timestamp, f64, bool)],
    date_col: usize,
    known: Option<Calendar>,
) -> Result<HistoryRecord, CsvError> {
    let start = rows[0].1;
    let calendar = match known {
        Some(c) => c,
        None => match rows.windows(2).map(|w| (w[1].1.days() - w[0].1.days(), w[1].0, w[1].1)).min() {
            None => Calendar::Week,
            Some((step, at, d)) => calendar_of_step(step).ok_or_else(|| {
                CsvError::new(CsvErrorKind::Invalid {
                    expected: "dates on one calendar",
                    message: format!(
                        "item {}: its closest dates are {step} days apart: expected 1, 7 or one month (a daily, weekly or monthly history)",
                        bounded(&key_text(&key))
                    ),
                })
                .at_line(at)
                .at_column(date_col + 1, "date", Some(&day(d)))
            })?,
        },
    };
    let mut values = Vec::with_capacity(rows.len());
    let mut censored = Vec::with_capacity(rows.len());
    for &(row, d, q, in_stock) in rows {
        loop {
            let t = values.len() as i64;
            let at = calendar.period_start(start, t);
            if at == d {
                values.push(q);
                censored.push(!in_stock);
                break;
            }
            if at > d || values.len() > 100_000 {
                return Err(CsvError::new(CsvErrorKind::Invalid {
                    expected: "dates on one calendar",
                    message: format!("{} is not a {calendar:?} period after {}", &day(d), &day(start)).to_lowercase(),
                })
                .at_line(row)
                .at_column(date_col + 1, "date", Some(&day(d))));
            }
            values.push(f64::NAN);
            censored.push(false);
        }
    }
    let history = DemandHistory::new(start, calendar, values, censored).map_err(|e| {
        CsvError::new(CsvErrorKind::Invalid { expected: "a demand history", message: e.to_string() }).at_line(line)
    })?;
    Ok(HistoryRecord { line, key, history })
}

impl<R: io::Read> Iterator for LongReader<R> {
    type Item = Result<HistoryRecord, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().map(|r| r.map_err(|e| e.in_file(self.file.as_deref())))
    }
}

/// One item's stock state.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRecord {
    /// Line of the row.
    pub line: u64,
    /// The key values.
    pub key: Key,
    /// On hand and arrivals.
    pub position: StockPosition,
}

/// Streams a stock-state file.
#[derive(Debug)]
pub struct StateReader<R> {
    inner: csv::Reader<R>,
    file: Option<String>,
    keys: Vec<usize>,
    on_hand: usize,
    arriving: Vec<usize>,
    names: Vec<String>,
    record: csv::StringRecord,
}

impl<R: io::Read> Iterator for StateReader<R> {
    type Item = Result<StateRecord, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let res = match self.inner.read_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => {
                let line = self.record.position().map_or(0, csv::Position::line);
                let num = |i: usize| {
                    let raw = self.record.get(i).unwrap_or("").trim();
                    let v: Result<f64, String> = if raw.is_empty() {
                        Ok(0.0)
                    } else {
                        raw.parse::<f64>()
                            .map_err(|_| "not a number".to_owned())
                            .and_then(|v| if v.is_finite() { Ok(v) } else { Err("not a finite number".into()) })
                    };
                    v.map_err(|message| {
                        CsvError::new(CsvErrorKind::Invalid { expected: "a stock quantity", message })
                            .at_line(line)
                            .at_column(i + 1, &self.names[i], Some(raw))
                    })
                };
                let arrivals = self
                    .arriving
                    .iter()
                    .map(|&i| {
                        num(i).and_then(|v| {
                            if v >= 0.0 {
                                Ok(v)
                            } else {
                                let raw = self.record.get(i).unwrap_or("").trim();
                                Err(CsvError::new(CsvErrorKind::Invalid {
                                    expected: "units arriving >= 0",
                                    message: "an arrival cannot be negative".into(),
                                })
                                .at_line(line)
                                .at_column(i + 1, &self.names[i], Some(raw)))
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>();
                num(self.on_hand).and_then(|on_hand| {
                    arrivals.map(|arrivals| StateRecord {
                        line,
                        key: self.keys.iter().map(|&i| self.record.get(i).unwrap_or("").trim().to_owned()).collect(),
                        position: StockPosition { on_hand, arrivals },
                    })
                })
            }
            Err(e) => Err(e.into()),
        };
        Some(res.map_err(|e| e.in_file(self.file.as_deref())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPED: &str = "store,product,date,quantity\nS2,P1,2024-01-01,3\nS2,P1,2024-01-08,4\nS1,P9,2024-01-01,5\n";
    const SORTED: &str = "store,product,date,quantity\nS1,P9,2024-01-01,5\nS2,P1,2024-01-01,3\nS2,P1,2024-01-08,4\n";

    fn keys(text: &str, sorted: bool) -> Result<Vec<String>, CsvError> {
        let mut b = HistoryReaderBuilder::new();
        b.sorted(sorted);
        b.long(text.as_bytes())?.map(|r| r.map(|r| key_text(&r.key))).collect()
    }

    #[test]
    fn grouped_long_files_are_read_and_repeats_refused() {
        assert_eq!(keys(GROUPED, false).unwrap(), ["S2/P1", "S1/P9"]);
        let repeat = format!("{GROUPED}S2,P1,2024-01-15,1\n");
        let err = keys(&repeat, false).unwrap_err();
        assert_eq!(err.line(), 5);
        assert!(err.to_string().contains("appears again"), "{err}");
    }

    #[test]
    fn sorted_long_files_keep_no_per_item_state() {
        assert_eq!(keys(SORTED, true).unwrap(), ["S1/P9", "S2/P1"]);
        // Declared sorted but not: the first item out of order is an error at its line.
        let err = keys(GROUPED, true).unwrap_err();
        assert_eq!(err.line(), 4);
        assert!(err.to_string().contains("S1/P9 comes after item S2/P1"), "{err}");
        // A repeat is out of order too.
        let err = keys(&format!("{SORTED}S1,P9,2024-01-15,1\n"), true).unwrap_err();
        assert_eq!(err.line(), 5);
    }

    #[test]
    fn in_stock_alignment_is_linear_and_by_date() {
        // 200,000 daily periods: the old per-period search over every flag took 42 s
        // (release); one pass takes milliseconds.
        let n = 200_000;
        let start = Timestamp::from_date(2000, 1, 1).unwrap();
        let h = DemandHistory::uncensored(start, Calendar::Day, vec![1.0; n]).unwrap();
        // Flags start 10 days in and run 5 days past the end.
        let flags = InStockRecord {
            line: 2,
            key: vec!["a".into()],
            in_stock: (0..n - 5).map(|j| j % 3 != 0).collect(),
            start: Calendar::Day.period_start(start, 10),
            calendar: Calendar::Day,
        };
        let t = std::time::Instant::now();
        let a = align_in_stock(&h, &flags, None).unwrap();
        assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
        assert_eq!(a.unmatched, 5);
        let censored: Vec<usize> = (0..40).filter(|&t| a.history.censored()[t]).collect();
        assert_eq!(censored, [10, 13, 16, 19, 22, 25, 28, 31, 34, 37]);
    }

    #[test]
    fn long_files_infer_the_calendar_by_the_wide_rule() {
        let read = |text: &str| -> Result<Vec<HistoryRecord>, CsvError> {
            HistoryReaderBuilder::new().long(text.as_bytes())?.collect()
        };
        // Biweekly: refused at the row that shows the step, as a wide header is.
        let e = read("i,l,date,quantity\na,x,2024-01-01,1\na,x,2024-01-15,2\n").unwrap_err();
        assert_eq!((e.line(), e.value()), (3, Some("2024-01-15")));
        assert!(e.to_string().contains("14 days apart"), "{e}");
        // The file's calendar holds for later items: weekly with gaps is fine, a date off
        // the calendar is an error at its own row.
        let ok = read("i,l,date,quantity\na,x,2024-01-01,1\na,x,2024-01-08,2\nb,x,2024-01-01,1\nb,x,2024-01-15,2\n")
            .unwrap();
        assert_eq!(ok[1].history.calendar(), Calendar::Week);
        assert_eq!(ok[1].history.len(), 3);
        let e = read("i,l,date,quantity\na,x,2024-01-01,1\na,x,2024-01-08,2\nb,x,2024-01-01,1\nb,x,2024-01-03,2\n")
            .unwrap_err();
        assert_eq!(e.line(), 5);
    }

    #[test]
    fn duplicate_headers_and_negative_arrivals_are_positioned_errors() {
        let b = HistoryReaderBuilder::new();
        let e = b.wide("s,S,2024-01-01\na,b,1\n".as_bytes()).unwrap_err();
        assert_eq!((e.line(), e.column()), (1, Some((2, "S"))));
        let e = b.long("i,date,quantity,DATE\n".as_bytes()).unwrap_err();
        assert!(matches!(e.kind(), CsvErrorKind::DuplicateColumn(_)), "{e}");
        let keys = ["s".to_owned()];
        let e = b.state("s,on_hand,arriving_1\na,1,-2\n".as_bytes(), &keys).unwrap().next().unwrap().unwrap_err();
        assert_eq!((e.line(), e.column(), e.value()), (2, Some((3, "arriving_1")), Some("-2")));
        // No key column: refused at the header, not reported row by row as duplicates.
        let e = b.wide("2024-01-01,2024-01-08\n1,2\n1,2\n".as_bytes()).unwrap_err();
        assert_eq!(e.line(), 1);
    }

    #[test]
    fn flags_on_another_calendar_or_with_no_common_date_are_refused() {
        let start = Timestamp::from_date(2024, 1, 1).unwrap();
        let h = DemandHistory::uncensored(start, Calendar::Week, vec![1.0; 4]).unwrap();
        let flags = |start, calendar| InStockRecord {
            line: 7,
            key: vec!["a".into()],
            in_stock: vec![true, false, true],
            start,
            calendar,
        };
        let e = align_in_stock(&h, &flags(start, Calendar::Day), Some("f.csv")).unwrap_err();
        assert_eq!((e.file(), e.line()), (Some("f.csv"), 7));
        let later = Calendar::Week.period_start(start, 10);
        assert!(align_in_stock(&h, &flags(later, Calendar::Week), None).is_err());
        let a = align_in_stock(&h, &flags(Calendar::Week.period_start(start, 2), Calendar::Week), None).unwrap();
        assert_eq!((a.unmatched, a.history.censored()), (1, &[false, false, false, true][..]));
    }
}
