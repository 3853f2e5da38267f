//! `invsync replay`: events in, balances or history out.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use invsync_core::ledger::{Ledger, LedgerConfig, NegativeStock};
use invsync_core::{ItemId, LocationId, Timestamp};
use invsync_csv::{BalanceWriter, CsvError, EventReaderBuilder, HistoryWriter};

use crate::Failure;
use crate::output::{self, Output};

/// Arguments of `invsync replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Ledger events, one per row (see the invsync-csv docs for the columns).
    #[arg(long, required_unless_present = "store", conflicts_with = "store")]
    events: Option<PathBuf>,
    /// A store (`invsync ingest`, docs/store.md) instead of an events file: its ledger,
    /// with the configuration it was created with.
    #[arg(long, conflicts_with_all = ["allow_negative", "keep_going"])]
    store: Option<PathBuf>,
    /// Report balances as of this instant (RFC 3339 or a date) instead of the latest.
    #[arg(long)]
    as_of: Option<Timestamp>,
    /// Print this item's running history (with --location) instead of balances.
    #[arg(long, requires = "location")]
    item: Option<ItemId>,
    /// Location of --item.
    #[arg(long, requires = "item")]
    location: Option<LocationId>,
    /// Allow negative stock everywhere (default: refuse events that would cause it).
    #[arg(long)]
    allow_negative: bool,
    /// Skip events the ledger refuses (reporting each on stderr) instead of stopping.
    #[arg(long)]
    keep_going: bool,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    let outputs: Vec<_> = args.out.as_deref().map(|p| ("--out", p)).into_iter().collect();
    let inputs: Vec<_> = args
        .events
        .as_deref()
        .map(|p| ("--events", p))
        .into_iter()
        .chain(args.store.as_deref().map(|p| ("--store", p)))
        .collect();
    output::check_paths(&inputs, &outputs)?;
    let (ledger, refused) = match (&args.events, &args.store) {
        (_, Some(store)) => (crate::ingest::load_store(store)?, 0),
        (Some(events), None) => replay_file(args, events)?,
        (None, None) => return Err(Failure::Input("--events or --store is required".into())),
    };
    match &args.out {
        Some(p) => {
            let mut out = Output::create(p)?;
            write_report(args, &ledger, &mut out)?;
            output::commit(vec![out])?;
        }
        None => write_report(args, &ledger, BufWriter::new(io::stdout().lock()))
            .map_err(|e| Failure::Other(format!("standard output: {}", failure_text(e))))?,
    }
    eprintln!(
        "replayed {} events ({refused} refused) over {} item x locations in {:.1} ms",
        ledger.len(),
        ledger.keys().count(),
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// The ledger of an events file, and the number of events refused (`--keep-going`).
fn replay_file(args: &Args, events: &std::path::Path) -> Result<(Ledger, usize), Failure> {
    let name = events.display().to_string();
    let file = File::open(events).map_err(|e| Failure::Input(format!("{name}: {e}")))?;
    let reader = EventReaderBuilder::new()
        .file(name.clone())
        .from_reader(BufReader::new(file))
        .map_err(|e| Failure::Input(e.to_string()))?;
    let negative = if args.allow_negative { NegativeStock::Allow } else { NegativeStock::Reject };
    let mut ledger = Ledger::new(LedgerConfig { default_negative: negative, ..LedgerConfig::default() });
    let mut refused = 0usize;
    for rec in reader {
        let rec = rec.map_err(|e| Failure::Input(e.to_string()))?;
        if let Err(e) = ledger.apply(rec.event) {
            let msg = format!("{name}:{}: {e}", rec.line);
            if !args.keep_going {
                return Err(Failure::Input(msg));
            }
            eprintln!("refused: {msg}");
            refused += 1;
        }
    }
    Ok((ledger, refused))
}

fn failure_text(f: Failure) -> String {
    match f {
        Failure::Input(m) | Failure::Other(m) => m,
    }
}

/// Writes the balances (or the history of `--item` at `--location`) to `out`.
fn write_report(args: &Args, ledger: &Ledger, out: impl Write) -> Result<(), Failure> {
    let io_err = |e: CsvError| Failure::Other(e.to_string());
    match (&args.item, &args.location) {
        (Some(item), Some(location)) => write_history(ledger, item, location, out).map_err(io_err)?,
        _ => {
            let mut w = BalanceWriter::new(out).map_err(io_err)?;
            let mut keys: Vec<_> = ledger.keys().collect();
            keys.sort();
            for (item, location) in keys {
                let (levels, value) = match args.as_of {
                    Some(t) => (ledger.levels_at(item, location, t), ledger.value_at(item, location, t)),
                    None => (ledger.levels(item, location), ledger.valuation(item, location).value),
                };
                w.write(item, location, &levels, value).map_err(io_err)?;
            }
            w.flush().map_err(io_err)?;
        }
    }
    Ok(())
}

fn write_history(ledger: &Ledger, item: &ItemId, location: &LocationId, out: impl Write) -> Result<(), CsvError> {
    let mut w = HistoryWriter::new(out)?;
    for h in ledger.history(item, location) {
        w.write(&h)?;
    }
    w.flush()
}
