//! `invsync plan`: demand history (+ in-stock flags, + stock state) in, one decision per
//! item out.

use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use invsync_core::demand::Seasonality;
use invsync_core::plan::{ItemInput, SeasonalPool, plan_batch};
use invsync_core::policy::{ItemSettings, Override, StockPosition};
use invsync_csv::{HistoryReaderBuilder, HistoryRecord, Key, PlanWriter, key_text};

use crate::inputs::{self, InStock};
use crate::output::{self, Output};
use crate::{Failure, open_input};

/// Arguments of `invsync plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Demand history: wide (key columns, then one column per period headed by an ISO date)
    /// or long (`item,location,date,quantity[,in_stock]`).
    #[arg(long)]
    history: PathBuf,
    #[command(flatten)]
    files: inputs::SideFiles,
    /// Lead time L in periods.
    #[arg(long)]
    lead_time: usize,
    /// Review period R in periods.
    #[arg(long)]
    review_period: usize,
    /// Holding cost per unit of end-of-period stock.
    #[arg(long)]
    holding_cost: f64,
    /// Shortage cost per unit of unmet demand.
    #[arg(long)]
    shortage_cost: f64,
    /// Scenarios per item.
    #[arg(long, default_value_t = 1000)]
    scenarios: usize,
    /// Master seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Named planner settings: `default` (general) or `vn2` (tuned on the VN2 backtest).
    #[arg(long, value_enum, default_value_t = crate::Profile::Default)]
    profile: crate::Profile,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Key columns of the history, comma-separated (default: every non-date column).
    #[arg(long, value_delimiter = ',')]
    key_columns: Option<Vec<String>>,
    /// Pool seasonal indices over this history instead of `--history` (same format rules).
    /// Give every shard of a large set the full set here, and the shards' plans equal the
    /// single-run plan (docs/performance.md, "Sharding across machines").
    #[arg(long)]
    pool_history: Option<PathBuf>,
    /// The long history is sorted by key (`LC_ALL=C sort -s -t, -k1,1 -k2,2`): it is then
    /// streamed in memory that does not grow with the item count (see docs/performance.md).
    #[arg(long)]
    sorted: bool,
    /// Refuse what is otherwise a warning: in-stock rows matching no history item, flags
    /// dated outside the history (docs/cli.md).
    #[arg(long)]
    strict: bool,
    /// Plan CSV.
    #[arg(long)]
    out: PathBuf,
    /// Also write every item's full plan as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

const CHUNK: usize = 512;

fn builder(path: &Path, keys: &Option<Vec<String>>) -> HistoryReaderBuilder {
    let mut b = HistoryReaderBuilder::new();
    b.file(path.display().to_string());
    if let Some(k) = keys {
        b.key_columns(k.clone());
    }
    b
}

/// Whether the file's header names `date` and `quantity` columns (long format).
fn is_long(path: &Path) -> Result<bool, Failure> {
    let mut first = String::new();
    open_input(path)?.read_line(&mut first).map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
    let cols: Vec<String> = first
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    Ok(cols.iter().any(|c| c == "date") && cols.iter().any(|c| c == "quantity"))
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    let input = |e: invsync_csv::CsvError| Failure::Input(e.to_string());
    let config = crate::plan_config(
        args.profile,
        args.lead_time,
        args.review_period,
        args.holding_cost,
        args.shortage_cost,
        args.scenarios,
        args.seed,
    )?;
    let threads = crate::thread_count(args.threads, &config)?;
    let mut inputs = vec![("--history", args.history.as_path())];
    inputs.extend(args.files.in_stock.as_deref().map(|p| ("--in-stock", p)));
    inputs.extend(args.files.state.as_deref().map(|p| ("--state", p)));
    inputs.extend(args.pool_history.as_deref().map(|p| ("--pool-history", p)));
    inputs.extend(args.files.items.as_deref().map(|p| ("--items", p)));
    inputs.extend(args.files.overrides.as_deref().map(|p| ("--overrides", p)));
    let mut outputs = vec![("--out", args.out.as_path())];
    outputs.extend(args.json.as_deref().map(|p| ("--json", p)));
    output::check_paths(&inputs, &outputs)?;
    let pool = crate::thread_pool(threads)?;

    // History: streamed (twice when seasonality is pooled over the file).
    let long = is_long(&args.history)?;
    // The calendar of `--pool-history` (and the line that showed it): every item of the
    // history must be on it.
    let mut pool_calendar: Option<(invsync_core::demand::Calendar, u64)> = None;
    let mut hb = builder(&args.history, &args.key_columns);
    hb.sorted(args.sorted);
    let config = if config.demand.seasonality == Seasonality::Pooled {
        let mut pool = SeasonalPool::default();
        let source = args.pool_history.as_ref().unwrap_or(&args.history);
        let mut pb = builder(source, &args.key_columns);
        pb.sorted(args.sorted && args.pool_history.is_none());
        let records: Box<dyn Iterator<Item = Result<HistoryRecord, invsync_csv::CsvError>>> = if is_long(source)? {
            Box::new(pb.long(open_input(source)?).map_err(input)?)
        } else {
            Box::new(pb.wide(open_input(source)?).map_err(input)?)
        };
        let mut calendar = None;
        for rec in records {
            let rec = rec.map_err(input)?;
            calendar.get_or_insert((rec.history.calendar(), rec.line));
            pool.add(&rec.history);
        }
        pool_calendar = calendar.filter(|_| args.pool_history.is_some());
        config.with_pool(&pool)
    } else {
        config
    };
    let (key_names, mut items): (Vec<String>, Box<dyn Iterator<Item = Result<HistoryRecord, invsync_csv::CsvError>>>) =
        if long {
            let r = hb.long(open_input(&args.history)?).map_err(input)?;
            (r.key_names(), Box::new(r))
        } else {
            let r = hb.wide(open_input(&args.history)?).map_err(input)?;
            (r.key_names(), Box::new(r))
        };

    // In-stock flags and state: per item, keyed.
    let mut in_stock = match &args.files.in_stock {
        None => None,
        Some(p) => Some(InStock::load(p, &key_names, args.strict)?),
    };
    let state = match &args.files.state {
        None => None,
        Some(p) => Some(inputs::load_state(p, &key_names)?),
    };

    let mut per_item = crate::items::PerItem::load(
        args.files.items.as_deref(),
        args.files.overrides.as_deref(),
        &key_names,
        &config.policy,
    )?;

    // Outputs are temporary files until every item is planned (crate::output).
    let mut out = Output::create(&args.out)?;
    let mut writer = PlanWriter::new(&mut out, &key_names).map_err(|e| Failure::Other(e.to_string()))?;
    // The JSON report is streamed too: an array written item by item.
    let mut json = match &args.json {
        None => None,
        Some(p) => {
            let mut w = Output::create(p)?;
            w.write_all(b"[").map_err(|e| Failure::Other(e.to_string()))?;
            Some((w, 0usize))
        }
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} items planned ({per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let (mut planned, mut blocked, mut cost) = (0usize, 0usize, 0.0f64);

    loop {
        // Read a chunk of items with their positions.
        type Row = (
            Key,
            String,
            invsync_core::demand::DemandHistory,
            StockPosition,
            u64,
            Option<ItemSettings>,
            Option<Override>,
        );
        let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
        for rec in items.by_ref().take(CHUNK) {
            let rec = rec.map_err(input)?;
            if let Some((cal, line)) = pool_calendar
                && rec.history.calendar() != cal
            {
                return Err(Failure::Input(format!(
                    "{}:{}: item {} is on {} periods, --pool-history {} (line {line}) on {} periods: pool over a history on the same calendar",
                    args.history.display(),
                    rec.line,
                    invsync_csv::bounded(&key_text(&rec.key)),
                    format!("{:?}", rec.history.calendar()).to_lowercase(),
                    args.pool_history.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
                    format!("{cal:?}").to_lowercase(),
                )));
            }
            let history = match &mut in_stock {
                Some(flags) => flags.apply(&rec.key, rec.history)?,
                None => rec.history,
            };
            let mut position = match &state {
                None => StockPosition::empty(),
                Some(m) => m.get(&rec.key).map(|(_, p)| p.clone()).ok_or_else(|| {
                    Failure::Input(format!(
                        "{}: no state row for item {} (history {}:{})",
                        args.files.state.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
                        invsync_csv::bounded(&key_text(&rec.key)),
                        args.history.display(),
                        rec.line
                    ))
                })?,
            };
            let text = key_text(&rec.key);
            let (settings, planner_override) = per_item.take(&rec.key, &config.policy, &mut position);
            chunk.push((rec.key, text, history, position, rec.line, settings, planner_override));
        }
        if chunk.is_empty() {
            break;
        }
        let inputs: Vec<ItemInput<'_>> = chunk
            .iter()
            .map(|(_, text, h, p, _, settings, o)| ItemInput {
                key: text,
                history: h,
                position: p.clone(),
                consensus: None,
                settings: settings.clone(),
                planner_override: o.clone(),
            })
            .collect();
        let plans = pool.install(|| plan_batch(&inputs, &config));
        for ((key, text, _, _, line, ..), plan) in chunk.iter().zip(plans) {
            let plan = plan.map_err(|e| Failure::Input(format!("{}:{line}: {e}", args.history.display())))?;
            match &plan.recommendation {
                Some(r) => {
                    planned += 1;
                    cost += r.planner_override.as_ref().map_or(&r.evaluation, |o| &o.evaluation).expected_cost;
                }
                None => blocked += 1,
            }
            writer.write(key, &plan).map_err(|e| Failure::Other(e.to_string()))?;
            if let Some((w, n)) = &mut json {
                let sep: &[u8] = if *n == 0 { b"\n" } else { b"," };
                w.write_all(sep).map_err(|e| Failure::Other(e.to_string()))?;
                let item = serde_json_item::Item { key: text, plan: &plan };
                invsync_json::write_pretty(&mut *w, &item).map_err(|e| Failure::Other(e.to_string()))?;
                *n += 1;
            }
        }
        bar.inc(chunk.len() as u64);
        if bar.is_hidden() && started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
    bar.finish_and_clear();
    per_item.finish()?;
    if let Some(flags) = in_stock {
        flags.finish()?;
    }
    writer.flush().map_err(|e| Failure::Other(e.to_string()))?;
    drop(writer);
    let mut done = vec![out];
    if let Some((mut w, _)) = json {
        w.write_all(b"]\n").map_err(|e| Failure::Other(e.to_string()))?;
        done.push(w);
    }
    output::commit(done)?;
    eprintln!(
        "planned {planned} items, blocked {blocked}, total expected cost {cost:.2}, wall time {:.2} s ({threads} thread{})",
        started.elapsed().as_secs_f64(),
        if threads == 1 { "" } else { "s" }
    );
    Ok(())
}

mod serde_json_item {
    use invsync_core::plan::ItemPlan;

    /// One JSON entry: the item's key text and its full plan.
    #[derive(serde::Serialize)]
    pub(crate) struct Item<'a> {
        pub(crate) key: &'a str,
        pub(crate) plan: &'a ItemPlan,
    }
}
