//! `invsync plan`: demand history (+ in-stock flags, + stock state) in, one decision per
//! item out.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use invsync_core::demand::Seasonality;
use invsync_core::plan::{ItemInput, SeasonalPool, plan_batch};
use invsync_core::policy::{ItemSettings, Override, StockPosition};
use invsync_csv::{HistoryReaderBuilder, HistoryRecord, InStockRecord, Key, PlanWriter, apply_in_stock, key_text};

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
        args.lead_time,
        args.review_period,
        args.holding_cost,
        args.shortage_cost,
        args.scenarios,
        args.seed,
    )?;
    let (pool, threads) = crate::thread_pool(args.threads)?;

    // History: streamed (twice when seasonality is pooled over the file).
    let long = is_long(&args.history)?;
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
        for rec in records {
            pool.add(&rec.map_err(input)?.history);
        }
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
    let in_stock: HashMap<Key, InStockRecord> = match &args.in_stock {
        None => HashMap::new(),
        Some(p) => {
            let r = builder(p, &Some(key_names.clone())).in_stock(open_input(p)?).map_err(input)?;
            let mut m = HashMap::new();
            for rec in r {
                let rec = rec.map_err(input)?;
                m.insert(rec.key.clone(), rec);
            }
            m
        }
    };
    let state: Option<HashMap<Key, StockPosition>> = match &args.state {
        None => None,
        Some(p) => {
            let r = builder(p, &None).state(open_input(p)?, &key_names).map_err(input)?;
            let mut m = HashMap::new();
            for rec in r {
                let rec = rec.map_err(input)?;
                if m.insert(rec.key.clone(), rec.position).is_some() {
                    return Err(Failure::Input(format!(
                        "{}:{}: duplicate state for item {}",
                        p.display(),
                        rec.line,
                        key_text(&rec.key)
                    )));
                }
            }
            Some(m)
        }
    };

    let mut per_item =
        crate::items::PerItem::load(args.items.as_deref(), args.overrides.as_deref(), &key_names, &config.policy)?;

    let out = File::create(&args.out).map_err(|e| Failure::Other(format!("{}: {e}", args.out.display())))?;
    let mut writer = PlanWriter::new(BufWriter::new(out), &key_names).map_err(|e| Failure::Other(e.to_string()))?;
    // The JSON report is streamed too: an array written item by item.
    let mut json = match &args.json {
        None => None,
        Some(p) => {
            let f = File::create(p).map_err(|e| Failure::Other(format!("{}: {e}", p.display())))?;
            let mut w = BufWriter::new(f);
            w.write_all(b"[").map_err(|e| Failure::Other(format!("{}: {e}", p.display())))?;
            Some((p, w, 0usize))
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
        type Row =
            (Key, String, invsync_core::demand::DemandHistory, StockPosition, Option<ItemSettings>, Option<Override>);
        let mut chunk: Vec<Row> = Vec::with_capacity(CHUNK);
        for rec in items.by_ref().take(CHUNK) {
            let rec = rec.map_err(input)?;
            let history = match in_stock.get(&rec.key) {
                Some(flags) => apply_in_stock(&rec.history, flags),
                None => rec.history,
            };
            let mut position = match &state {
                None => StockPosition::empty(),
                Some(m) => m.get(&rec.key).cloned().ok_or_else(|| {
                    Failure::Input(format!(
                        "{}: no state row for item {} (history {}:{})",
                        args.state.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
                        key_text(&rec.key),
                        args.history.display(),
                        rec.line
                    ))
                })?,
            };
            let text = key_text(&rec.key);
            let (settings, planner_override) = per_item.take(&rec.key, &config.policy, &mut position)?;
            chunk.push((rec.key, text, history, position, settings, planner_override));
        }
        if chunk.is_empty() {
            break;
        }
        let inputs: Vec<ItemInput<'_>> = chunk
            .iter()
            .map(|(_, text, h, p, settings, o)| ItemInput {
                key: text,
                history: h,
                position: p.clone(),
                consensus: None,
                settings: settings.clone(),
                planner_override: o.clone(),
            })
            .collect();
        let plans = pool.install(|| plan_batch(&inputs, &config));
        for ((key, text, ..), plan) in chunk.iter().zip(plans) {
            let plan = plan.map_err(|e| Failure::Input(e.to_string()))?;
            match &plan.recommendation {
                Some(r) => {
                    planned += 1;
                    cost += r.planner_override.as_ref().map_or(&r.evaluation, |o| &o.evaluation).expected_cost;
                }
                None => blocked += 1,
            }
            writer.write(key, &plan).map_err(|e| Failure::Other(e.to_string()))?;
            if let Some((p, w, n)) = &mut json {
                let sep: &[u8] = if *n == 0 { b"\n" } else { b"," };
                w.write_all(sep).map_err(|e| Failure::Other(format!("{}: {e}", p.display())))?;
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
    writer.flush().map_err(|e| Failure::Other(e.to_string()))?;
    if let Some((p, mut w, _)) = json {
        w.write_all(b"]\n").and_then(|()| w.flush()).map_err(|e| Failure::Other(format!("{}: {e}", p.display())))?;
    }
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
