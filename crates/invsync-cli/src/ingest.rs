//! `invsync ingest`: events from a CSV or JSON Lines file into a durable store.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

use invsync_core::ledger::{Event, LedgerConfig, NegativeStock};
use invsync_csv::EventReaderBuilder;
use invsync_store::{DurableLedger, SqliteStore, StoreError};

use crate::{Failure, open_input};

/// The format of an events file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EventFormat {
    /// CSV, as `invsync replay --events` reads it.
    Csv,
    /// JSON Lines: one event per line in the core's JSON form (docs/store.md).
    Jsonl,
}

/// Arguments of `invsync ingest`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The store (an SQLite file, docs/store.md).
    #[arg(long)]
    store: PathBuf,
    /// The events: CSV, or JSON Lines when the name ends in `.jsonl` or `.ndjson`
    /// (or as --format says).
    #[arg(long)]
    events: PathBuf,
    /// The events file's format (default: from its extension).
    #[arg(long, value_enum)]
    format: Option<EventFormat>,
    /// Create the store if it does not exist.
    #[arg(long)]
    create: bool,
    /// With --create: allow negative stock everywhere (default: refuse events that would
    /// cause it). A store keeps the configuration it was created with.
    #[arg(long, requires = "create")]
    allow_negative: bool,
}

/// A store error: bad input (exit 2) when the file is not a usable store, else exit 1.
pub(crate) fn store_failure(e: StoreError) -> Failure {
    match e {
        StoreError::NotFound { .. }
        | StoreError::AlreadyExists { .. }
        | StoreError::Locked { .. }
        | StoreError::NotAStore { .. }
        | StoreError::UnsupportedVersion { .. }
        | StoreError::Corrupt { .. }
        | StoreError::BadRecord { .. }
        | StoreError::Replay { .. }
        | StoreError::Rejected(_) => Failure::Input(e.to_string()),
        _ => Failure::Other(e.to_string()),
    }
}

/// Reads every event of `path` with its line number; the first bad line is bad input
/// naming the file, line and (JSON) column.
pub(crate) fn read_events(path: &Path, format: Option<EventFormat>) -> Result<Vec<(u64, Event)>, Failure> {
    let name = path.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let format = format.unwrap_or(match ext.as_deref() {
        Some("jsonl" | "ndjson") => EventFormat::Jsonl,
        _ => EventFormat::Csv,
    });
    let reader = open_input(path)?;
    let mut out = Vec::new();
    match format {
        EventFormat::Csv => {
            let records =
                EventReaderBuilder::new().file(name).from_reader(reader).map_err(|e| Failure::Input(e.to_string()))?;
            for rec in records {
                let rec = rec.map_err(|e| Failure::Input(e.to_string()))?;
                out.push((rec.line, rec.event));
            }
        }
        EventFormat::Jsonl => {
            for (i, line) in reader.lines().enumerate() {
                let n = i as u64 + 1;
                let line = line.map_err(|e| Failure::Input(format!("{name}:{n}: {e}")))?;
                if line.trim().is_empty() {
                    continue;
                }
                let event: Event =
                    invsync_json::read(line.as_bytes()).map_err(|e| Failure::Input(format!("{name}:{n}: {e}")))?;
                out.push((n, event));
            }
        }
    }
    Ok(out)
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    crate::output::check_paths(&[("--events", &args.events)], &[("--store", &args.store)])?;
    // The whole file is read and checked before the store is touched.
    let lines = read_events(&args.events, args.format)?;
    let name = args.events.display().to_string();
    let created = args.create && !args.store.exists();
    let store = if created {
        let negative = if args.allow_negative { NegativeStock::Allow } else { NegativeStock::Reject };
        SqliteStore::create(&args.store, &LedgerConfig { default_negative: negative, ..LedgerConfig::default() })
    } else {
        SqliteStore::open(&args.store)
    }
    .map_err(|e| match e {
        StoreError::NotFound { .. } => Failure::Input(format!("{e} (pass --create to make a new store)")),
        e => store_failure(e),
    })?;
    let result = ingest(store, lines, &name);
    if created && result.is_err() {
        // Nothing was stored: leave no empty store behind.
        for suffix in ["", "-wal", "-shm", "-lock"] {
            let mut p = args.store.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    let (new, duplicates, total) = result?;
    eprintln!(
        "ingested {} events from {name} into {}: {new} new, {duplicates} duplicates (not stored again); the store holds {total} events ({:.1} ms)",
        new + duplicates,
        args.store.display(),
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// Appends the events as one batch: all stored, or (a refused event) none.
fn ingest(store: SqliteStore, lines: Vec<(u64, Event)>, name: &str) -> Result<(usize, usize, usize), Failure> {
    let mut ledger = DurableLedger::open(store).map_err(store_failure)?;
    let (numbers, events): (Vec<u64>, Vec<Event>) = lines.into_iter().unzip();
    let outcomes = ledger.append(&events).map_err(|e| match e {
        StoreError::Rejected(b) => Failure::Input(format!(
            "{name}:{}: {}; nothing was stored",
            numbers.get(b.index).copied().unwrap_or(0),
            b.error
        )),
        e => store_failure(e),
    })?;
    let duplicates = outcomes.iter().filter(|o| o.duplicate).count();
    Ok((outcomes.len() - duplicates, duplicates, ledger.ledger().len()))
}

/// The ledger of a store, read-only (beside a writer if there is one).
pub(crate) fn load_store(path: &Path) -> Result<invsync_core::ledger::Ledger, Failure> {
    let store = SqliteStore::open_read_only(path).map_err(store_failure)?;
    Ok(DurableLedger::open(store).map_err(store_failure)?.into_ledger())
}
