//! `invsync reconcile`: a count file against the ledger of an event file as of an instant.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use invsync_core::Timestamp;
use invsync_core::ledger::{Ledger, LedgerConfig};
use invsync_core::sync::{ReconcileConfig, reconcile};
use invsync_csv::{EventReaderBuilder, read_counts, write_reconciliation};

use crate::output::{self, Output};
use crate::{Failure, open_input};

/// Arguments of `invsync reconcile`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Counts: `item,location,counted`.
    #[arg(long)]
    counts: PathBuf,
    /// Ledger events (as for `invsync replay`).
    #[arg(long)]
    events: PathBuf,
    /// The count instant: the ledger is compared as of it.
    #[arg(long)]
    as_of: Timestamp,
    /// Adjustments worth more than this need approval.
    #[arg(long, default_value = "1000")]
    approval_threshold: invsync_core::Money,
    /// Absolute tolerance floor in units.
    #[arg(long, default_value_t = 0)]
    floor: i64,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let input = |e: invsync_csv::CsvError| Failure::Input(e.to_string());
    let outputs: Vec<_> = args.out.as_deref().map(|p| ("--out", p)).into_iter().collect();
    output::check_paths(&[("--counts", &args.counts), ("--events", &args.events)], &outputs)?;
    let events_name = args.events.display().to_string();
    let mut ledger = Ledger::new(LedgerConfig::default());
    for rec in
        EventReaderBuilder::new().file(events_name.clone()).from_reader(open_input(&args.events)?).map_err(input)?
    {
        let rec = rec.map_err(input)?;
        ledger.apply(rec.event).map_err(|e| Failure::Input(format!("{events_name}:{}: {e}", rec.line)))?;
    }
    let counts = read_counts(open_input(&args.counts)?, Some(&args.counts.display().to_string())).map_err(input)?;
    let config = ReconcileConfig {
        approval_threshold: args.approval_threshold,
        floor: args.floor,
        ..ReconcileConfig::default()
    };
    // read_counts refuses a key counted twice (naming both lines); the library checks too.
    let report = reconcile(&ledger, &counts, args.as_of, &config).map_err(|e| Failure::Input(e.to_string()))?;
    match &args.out {
        Some(p) => {
            let mut out = Output::create(p)?;
            write_reconciliation(&mut out, &report).map_err(|e| Failure::Other(e.to_string()))?;
            output::commit(vec![out])?;
        }
        None => {
            let out = BufWriter::new(std::io::stdout().lock());
            write_reconciliation(out, &report)
                .and_then(|mut w| w.flush().map_err(Into::into))
                .map_err(|e| Failure::Other(format!("standard output: {e}")))?;
        }
    }
    let approvals = report.lines.iter().filter(|l| l.needs_approval).count();
    eprintln!(
        "{} records compared as of {}: accuracy {:.2} % (target > 98 %), |variance| {} units worth {}, net {} units, {} proposals need approval",
        report.lines.len(),
        report.at,
        report.accuracy * 100.0,
        report.absolute_variance,
        report.absolute_value,
        report.net_variance,
        approvals
    );
    Ok(())
}
