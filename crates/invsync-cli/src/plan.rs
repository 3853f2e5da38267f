//! `invsync plan`: demand history (+ in-stock flags, + stock state) in, one decision per
//! item out.

use std::collections::HashMap;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use invsync_core::demand::{Calendar, DemandHistory, Seasonality};
use invsync_core::plan::{ItemInput, ItemPlan, PlanConfig, PlanError, SeasonalPool, plan_batch};
use invsync_core::policy::{ItemSettings, Override, PolicyConfig, StockPosition};
use invsync_csv::{HistoryReaderBuilder, HistoryRecord, Key, PlanWriter, key_text};

use crate::inputs::{self, InStock};
use crate::items::PerItem;
use crate::output::{self, Output};
use crate::{Failure, open_input};

/// Arguments of `invsync plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Demand history: wide (key columns, then one column per period headed by an ISO date)
    /// or long (`item,location,date,quantity[,in_stock]`).
    #[arg(long)]
    history: PathBuf,
    /// In-stock flags in the history's wide shape (false = out of stock, censored).
    #[arg(long)]
    in_stock: Option<PathBuf>,
    /// Stock state: key columns, `on_hand`, `arriving_1` .. `arriving_L`. Without it every
    /// item starts empty.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Per-item settings: key columns, then any of `lead_time`, `review_period`,
    /// `holding_cost`, `shortage_cost`, `moq`, `pack_size`, `max_order`, `lost_sales` or
    /// `backorders` (empty cells and absent columns keep the flags' values).
    #[arg(long)]
    items: Option<PathBuf>,
    /// Planner overrides: key columns, `order_qty`, `who`, `why` (and optionally `at`).
    /// The override is the order placed; the optimum and the cost difference are shown
    /// beside it.
    #[arg(long)]
    overrides: Option<PathBuf>,
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

/// One item read and ready to plan: key, key text, history (flags applied), position,
/// line, settings and override.
type Row = (Key, String, DemandHistory, StockPosition, u64, Option<ItemSettings>, Option<Override>);

/// A chunk's plans, in its order.
type Plans = Vec<Result<ItemPlan, PlanError>>;

type Records = Box<dyn Iterator<Item = Result<HistoryRecord, invsync_csv::CsvError>> + Send>;

/// Everything read alongside the history, item by item: in-stock flags, stock state and
/// per-item settings. Runs on the reading thread when reading is overlapped.
struct ChunkReader<'a> {
    args: &'a Args,
    policy: &'a PolicyConfig,
    items: Records,
    in_stock: Option<InStock>,
    state: Option<HashMap<Key, (u64, StockPosition)>>,
    per_item: PerItem,
    /// The calendar of `--pool-history` (and the line that showed it): every item of the
    /// history must be on it.
    pool_calendar: Option<(Calendar, u64)>,
}

impl ChunkReader<'_> {
    /// The next (up to) `CHUNK` items; empty after the last one.
    fn next_chunk(&mut self) -> Result<Vec<Row>, Failure> {
        let args = self.args;
        let input = |e: invsync_csv::CsvError| Failure::Input(e.to_string());
        let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
        for rec in self.items.by_ref().take(CHUNK) {
            let rec = rec.map_err(input)?;
            if let Some((cal, line)) = self.pool_calendar
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
            let history = match &mut self.in_stock {
                Some(flags) => flags.apply(&rec.key, rec.history)?,
                None => rec.history,
            };
            let mut position = match &self.state {
                None => StockPosition::empty(),
                Some(m) => m.get(&rec.key).map(|(_, p)| p.clone()).ok_or_else(|| {
                    Failure::Input(format!(
                        "{}: no state row for item {} (history {}:{})",
                        args.state.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
                        invsync_csv::bounded(&key_text(&rec.key)),
                        args.history.display(),
                        rec.line
                    ))
                })?,
            };
            let text = key_text(&rec.key);
            let (settings, planner_override) = self.per_item.take(&rec.key, self.policy, &mut position);
            chunk.push((rec.key, text, history, position, rec.line, settings, planner_override));
        }
        Ok(chunk)
    }

    /// After the last item: settings, overrides and in-stock rows no item used.
    fn finish(self) -> Result<(), Failure> {
        self.per_item.finish()?;
        if let Some(flags) = self.in_stock {
            flags.finish()?;
        }
        Ok(())
    }
}

/// The pooling pass over the history (or `--pool-history`): the configuration with its
/// seasonal indices resolved, and the calendar of `--pool-history`.
fn pooled(args: &Args, config: PlanConfig) -> Result<(PlanConfig, Option<(Calendar, u64)>), Failure> {
    if config.demand.seasonality != Seasonality::Pooled {
        return Ok((config, None));
    }
    let input = |e: invsync_csv::CsvError| Failure::Input(e.to_string());
    let mut pool = SeasonalPool::default();
    let source = args.pool_history.as_ref().unwrap_or(&args.history);
    let mut pb = builder(source, &args.key_columns);
    pb.sorted(args.sorted && args.pool_history.is_none());
    let records: Records = if is_long(source)? {
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
    Ok((config.with_pool(&pool), calendar.filter(|_| args.pool_history.is_some())))
}

/// The files read beside the history, keyed by its key columns.
type Loaded = (Option<InStock>, Option<HashMap<Key, (u64, StockPosition)>>, PerItem);

fn load_beside(args: &Args, key_names: &[String], policy: &PolicyConfig) -> Result<Loaded, Failure> {
    let in_stock = match &args.in_stock {
        None => None,
        Some(p) => Some(InStock::load(p, key_names, args.strict)?),
    };
    let state = match &args.state {
        None => None,
        Some(p) => Some(inputs::load_state(p, key_names)?),
    };
    let per_item = PerItem::load(args.items.as_deref(), args.overrides.as_deref(), key_names, policy)?;
    Ok((in_stock, state, per_item))
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
    inputs.extend(args.in_stock.as_deref().map(|p| ("--in-stock", p)));
    inputs.extend(args.state.as_deref().map(|p| ("--state", p)));
    inputs.extend(args.pool_history.as_deref().map(|p| ("--pool-history", p)));
    inputs.extend(args.items.as_deref().map(|p| ("--items", p)));
    inputs.extend(args.overrides.as_deref().map(|p| ("--overrides", p)));
    let mut outputs = vec![("--out", args.out.as_path())];
    outputs.extend(args.json.as_deref().map(|p| ("--json", p)));
    output::check_paths(&inputs, &outputs)?;
    let pool = crate::thread_pool(threads)?;
    // With two threads or more, reading runs on its own thread beside the planning pool
    // and the writing of the previous chunk (docs/performance.md); with one, in turn.
    let overlap = threads > 1;

    // History: streamed (twice when seasonality is pooled over the file). The pooling pass
    // and the files read beside the history (in-stock flags, state, per-item settings) run
    // side by side when overlapping; errors are reported in the order of a serial run.
    let long = is_long(&args.history)?;
    let mut hb = builder(&args.history, &args.key_columns);
    hb.sorted(args.sorted);
    let open_items = || -> Result<(Vec<String>, Records), Failure> {
        if long {
            let r = hb.long(open_input(&args.history)?).map_err(input)?;
            Ok((r.key_names(), Box::new(r)))
        } else {
            let r = hb.wide(open_input(&args.history)?).map_err(input)?;
            Ok((r.key_names(), Box::new(r)))
        }
    };
    let policy = config.policy.clone();
    let ((config, pool_calendar), (key_names, items), (in_stock, state, per_item)) = if overlap {
        let (pooling, opened, loaded) = std::thread::scope(|s| {
            let pooling = s.spawn(|| pooled(args, config));
            let opened = open_items();
            let loaded = opened.as_ref().ok().map(|(names, _)| load_beside(args, names, &policy));
            (pooling.join(), opened, loaded)
        });
        let pooling = pooling.map_err(|_| Failure::Other("the pooling thread panicked".into()))??;
        let opened = opened?;
        let loaded = loaded.expect("loaded when the history opened")?;
        (pooling, opened, loaded)
    } else {
        let pooling = pooled(args, config)?;
        let opened = open_items()?;
        let loaded = load_beside(args, &opened.0, &policy)?;
        (pooling, opened, loaded)
    };
    let mut reader = ChunkReader { args, policy: &policy, items, in_stock, state, per_item, pool_calendar };

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
    let plan_chunk = |chunk: &[Row]| {
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
        plan_batch(&inputs, &config)
    };
    let mut write_chunk = |chunk: &[Row], plans: Plans| -> Result<(), Failure> {
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
        Ok(())
    };

    if overlap {
        // Three stages: the reader thread parses chunk k + 2 (at most one finished chunk
        // waits in the channel, so memory stays bounded) while the pool plans chunk k + 1
        // and this thread writes chunk k. Chunks are written in file order, and a failure
        // is the one a serial run reports first: a chunk's reading errors before its
        // planning errors, those before the next chunk's reading errors.
        std::thread::scope(|s| -> Result<(), Failure> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Row>, Failure>>(1);
            let producer = s.spawn(move || {
                loop {
                    let chunk = reader.next_chunk();
                    let last = !matches!(&chunk, Ok(c) if !c.is_empty());
                    if tx.send(chunk).is_err() || last {
                        return reader;
                    }
                }
            });
            let mut pending: Option<(Vec<Row>, Plans)> = None;
            loop {
                let (next, failed) = match rx.recv() {
                    Ok(Ok(c)) if !c.is_empty() => (Some(c), None),
                    Ok(Ok(_)) => (None, None),
                    Ok(Err(e)) => (None, Some(e)),
                    Err(_) => (None, Some(Failure::Other("the reading thread stopped".into()))),
                };
                let mut plans = None;
                let mut wrote = Ok(());
                pool.in_place_scope(|sc| {
                    if let Some(c) = &next {
                        sc.spawn(|_| plans = Some(plan_chunk(c)));
                    }
                    if let Some((c, p)) = pending.take() {
                        wrote = write_chunk(&c, p);
                    }
                });
                wrote?;
                if let Some(e) = failed {
                    return Err(e);
                }
                match (next, plans) {
                    (Some(c), Some(p)) => pending = Some((c, p)),
                    _ => break,
                }
            }
            drop(rx);
            producer.join().map_err(|_| Failure::Other("the reading thread panicked".into()))?.finish()
        })?;
    } else {
        loop {
            let chunk = reader.next_chunk()?;
            if chunk.is_empty() {
                break;
            }
            let plans = pool.install(|| plan_chunk(&chunk));
            write_chunk(&chunk, plans)?;
        }
        reader.finish()?;
    }
    bar.finish_and_clear();
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
