//! `invsync backtest`: rolling-origin pseudo-competitions over a history file, invsync
//! against the replayed VN2 organizer benchmark.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use invsync_core::backtest::{OrganizerBenchmark, PlannerRule, Protocol, Report, Rule, Series, run};
use invsync_csv::{HistoryReaderBuilder, key_text};

use crate::inputs::InStock;
use crate::output::{self, Output};
use crate::{Failure, open_input};

/// Arguments of `invsync backtest`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Demand history (wide).
    #[arg(long)]
    history: PathBuf,
    #[command(flatten)]
    planner: crate::PlannerArgs,
    /// In-stock flags (wide).
    #[arg(long)]
    in_stock: Option<PathBuf>,
    /// Number of windows (the last ones before the end of the history).
    #[arg(long, default_value_t = 8)]
    windows: usize,
    /// Periods per window.
    #[arg(long, default_value_t = 8)]
    window_periods: usize,
    /// Decisions per window.
    #[arg(long, default_value_t = 6)]
    decisions: usize,
    /// First period of a window (1-based) whose cost counts.
    #[arg(long, default_value_t = 3)]
    count_from: usize,
    /// Periods of continuous running before the first window.
    #[arg(long, default_value_t = 8)]
    warmup: usize,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Refuse what is otherwise a warning (in-stock rows matching no item, flags dated
    /// outside the history).
    #[arg(long)]
    strict: bool,
    /// Also write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The key column names and every series of a wide history, in-stock flags applied
/// (checked as `crate::inputs` says; `strict` turns its warnings into errors).
pub(crate) fn load(
    history: &Path,
    in_stock: Option<&Path>,
    strict: bool,
) -> Result<(Vec<String>, Vec<Series>), Failure> {
    let input = |e: invsync_csv::CsvError| Failure::Input(e.to_string());
    let mut b = HistoryReaderBuilder::new();
    b.file(history.display().to_string());
    let reader = b.wide(open_input(history)?).map_err(input)?;
    let keys = reader.key_names();
    let mut flags = match in_stock {
        None => None,
        Some(p) => Some(InStock::load(p, &keys, strict)?),
    };
    let mut series = Vec::new();
    for r in reader {
        let r = r.map_err(input)?;
        let history = match &mut flags {
            Some(f) => f.apply(&r.key, r.history)?,
            None => r.history,
        };
        series.push(Series { key: key_text(&r.key), history });
    }
    if let Some(f) = flags {
        f.finish()?;
    }
    Ok((keys, series))
}

pub(crate) fn run_cmd(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    let config = args.planner.config()?;
    let protocol = Protocol {
        windows: args.windows,
        window_periods: args.window_periods,
        decisions: args.decisions,
        count_from: args.count_from,
        warmup: args.warmup,
        lead_time: args.planner.lead_time,
        review_period: args.planner.review_period,
        holding: args.planner.holding_cost,
        shortage: args.planner.shortage_cost,
    };
    protocol.validate().map_err(|e| Failure::Input(flag_names(&e.to_string())))?;
    let threads = crate::thread_count(args.threads, &config)?;
    let mut inputs = vec![("--history", args.history.as_path())];
    inputs.extend(args.in_stock.as_deref().map(|p| ("--in-stock", p)));
    let outputs: Vec<_> = args.json.as_deref().map(|p| ("--json", p)).into_iter().collect();
    output::check_paths(&inputs, &outputs)?;
    let (_, series) = load(&args.history, args.in_stock.as_deref(), args.strict)?;
    if let Some(needed) = protocol.periods_needed()
        && let Some(s) = series.first()
        && s.history.len() < needed
    {
        return Err(Failure::Input(format!(
            "{}: {} periods are needed (--warmup {} + --windows {} x --window-periods {} + 1), the history has {}",
            args.history.display(),
            needed,
            args.warmup,
            args.windows,
            args.window_periods,
            s.history.len()
        )));
    }
    if protocol.periods_needed().is_none() {
        return Err(Failure::Input(format!(
            "--windows {} x --window-periods {} + --warmup {} is too large for any history",
            args.windows, args.window_periods, args.warmup
        )));
    }
    let pool = crate::thread_pool(threads)?;
    let rules: [&dyn Rule; 2] = [&PlannerRule(config), &OrganizerBenchmark::default()];
    let reports: Vec<Report> = rules
        .iter()
        .map(|rule| {
            pool.install(|| run(&series, *rule, &protocol))
                .map_err(|e| Failure::Input(format!("{}: {e}", args.history.display())))
        })
        .collect::<Result<_, _>>()?;
    let start = series.first().map(|s| (s.history.start(), s.history.calendar()));
    let date =
        |t: usize| start.map_or_else(String::new, |(s, c)| c.period_start(s, t as i64).to_string()[..10].to_owned());
    let mut out = std::io::stdout().lock();
    let w = |out: &mut dyn Write, s: String| {
        writeln!(out, "{s}").and_then(|()| out.flush()).map_err(|e| Failure::Other(format!("standard output: {e}")))
    };
    w(
        &mut out,
        format!("{:<8} {:<12} {:>12} {:>12} {:>8}", "window", "origin", reports[0].rule, reports[1].rule, "ratio"),
    )?;
    for (k, ((t0, a), (_, b))) in reports[0].windows.iter().zip(&reports[1].windows).enumerate() {
        w(
            &mut out,
            format!(
                "{:<8} {:<12} {:>12.1} {:>12.1} {:>8}",
                k + 1,
                date(*t0),
                a.cost(),
                b.cost(),
                ratio(b.cost(), a.cost())
            ),
        )?;
    }
    let (a, b) = (&reports[0].total, &reports[1].total);
    w(
        &mut out,
        format!("{:<8} {:<12} {:>12.1} {:>12.1} {:>8}", "total", "", a.cost(), b.cost(), ratio(b.cost(), a.cost())),
    )?;
    w(
        &mut out,
        format!(
            "holding/shortage: {} {:.1}/{:.1}, {} {:.1}/{:.1}; fill rate {:.4} vs {:.4}",
            reports[0].rule,
            a.holding,
            a.shortage,
            reports[1].rule,
            b.holding,
            b.shortage,
            a.fill_rate(),
            b.fill_rate()
        ),
    )?;
    if let Some(p) = &args.json {
        let mut f = Output::create(p)?;
        invsync_json::write_pretty(&mut f, &reports).map_err(|e| Failure::Other(e.to_string()))?;
        output::commit(vec![f])?;
    }
    eprintln!(
        "backtested {} series, {} windows, in {:.1} s",
        series.len(),
        protocol.windows,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `num / den` to 4 decimals, or `-` when the denominator is 0 (no cost to compare with).
fn ratio(num: f64, den: f64) -> String {
    if den > 0.0 { format!("{:.4}", num / den) } else { "-".into() }
}

/// A protocol error in the command line's words (`count_from` -> `--count-from`).
fn flag_names(message: &str) -> String {
    let mut m = message.to_owned();
    for (field, flag) in [
        ("window_periods", "--window-periods"),
        ("windows", "--windows"),
        ("count_from", "--count-from"),
        ("lead_time", "--lead-time"),
        ("review_period", "--review-period"),
        ("holding cost", "--holding-cost"),
        ("shortage cost", "--shortage-cost"),
    ] {
        m = m.replace(field, flag);
    }
    m
}
