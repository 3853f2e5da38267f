//! `invsync plan`: demand history (+ in-stock flags, + stock state) in, one decision per
//! item out.

use std::collections::HashMap;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use invsync_core::bridge::{Bridge, BridgeItem, PlannedOrder, PlanningCalendar};
use invsync_core::demand::{Calendar, Seasonality};
use invsync_core::ledger::LedgerError;
use invsync_core::plan::{ItemInput, SeasonalPool, plan_batch};
use invsync_core::policy::{ItemSettings, Override, StockPosition};
use invsync_core::{ItemId, LocationId, Timestamp};
use invsync_csv::{HistoryReaderBuilder, HistoryRecord, Key, LongHistoryWriter, PlanWriter, StateWriter, key_text};
use invsync_store::{DurableLedger, SqliteStore};

use crate::inputs::{self, InStock};
use crate::output::{self, Output};
use crate::{Failure, open_input};

/// Arguments of `invsync plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Demand history: wide (key columns, then one column per period headed by an ISO date)
    /// or long (`item,location,date,quantity[,in_stock]`).
    #[arg(long, required_unless_present = "store")]
    history: Option<PathBuf>,
    /// Plan from a ledger store instead of CSV files: history and stock position of every
    /// item x location from its events (docs/bridge.md).
    #[arg(long, conflicts_with_all = ["history", "in_stock", "state", "pool_history", "sorted", "key_columns"])]
    store: Option<PathBuf>,
    /// With `--store`: the period length of the histories.
    #[arg(long, value_enum, requires = "store")]
    calendar: Option<CalendarArg>,
    /// With `--store`: the start of one period (a date; default: a Monday for weeks,
    /// 1970-01-01 for days and months).
    #[arg(long, requires = "store")]
    anchor: Option<String>,
    /// With `--store`: plan as of this period start (a date); only events before it
    /// count (default: the period start after the latest event).
    #[arg(long, requires = "store")]
    as_of: Option<String>,
    /// With `--store`: the plan's id. The plan's own receipts already posted are left out
    /// of the stock positions, so planning again under it rebuilds the same plan.
    #[arg(long, requires = "store")]
    plan_id: Option<String>,
    /// With `--store` and `--plan-id`: post the orders back to the store as scheduled
    /// receipts (once: a plan posted again changes nothing).
    #[arg(long, requires = "plan_id")]
    commit: bool,
    /// With `--store`: also write the planner inputs the store gave (`history.csv`,
    /// `state.csv`) into this directory; `plan --history DIR/history.csv --state
    /// DIR/state.csv` plans them alike.
    #[arg(long, requires = "store")]
    export_dir: Option<PathBuf>,
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

/// `--calendar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CalendarArg {
    /// One period per day.
    Day,
    /// One period per week (weeks start on the anchor's weekday).
    Week,
    /// One period per calendar month.
    Month,
}

type Records = Box<dyn Iterator<Item = Result<HistoryRecord, invsync_csv::CsvError>>>;

/// The plan's inputs from a store: every item x location's history, its position, and
/// what `--commit` needs.
struct FromStore {
    db: PathBuf,
    ledger: DurableLedger<SqliteStore>,
    calendar: PlanningCalendar,
    as_of: Timestamp,
    plan_id: Option<String>,
}

impl FromStore {
    fn fail(&self, e: impl std::fmt::Display) -> Failure {
        Failure::Input(format!("{}: {e}", self.db.display()))
    }

    fn bridge(&self) -> Result<Bridge<'_>, Failure> {
        let b = Bridge::new(self.ledger.ledger(), self.calendar, self.as_of).map_err(|e| self.fail(e))?;
        Ok(match &self.plan_id {
            Some(id) => b.ignoring_plan(id),
            None => b,
        })
    }
}

fn store_error(e: invsync_store::StoreError) -> Failure {
    match e {
        invsync_store::StoreError::Locked { .. } | invsync_store::StoreError::Io { .. } => {
            Failure::Other(e.to_string())
        }
        e => Failure::Input(e.to_string()),
    }
}

/// Opens the store (for writing with `--commit`) and fixes the calendar and as-of instant.
fn open_store(args: &Args, db: &Path) -> Result<FromStore, Failure> {
    if args.plan_id.as_deref().is_some_and(str::is_empty) {
        return Err(Failure::Input("--plan-id: the plan id is empty".into()));
    }
    let store = if args.commit { SqliteStore::open(db) } else { SqliteStore::open_read_only(db) };
    let ledger = DurableLedger::open(store.map_err(store_error)?).map_err(store_error)?;
    let fail = |e: String| Failure::Input(format!("{}: {e}", db.display()));
    let date = |flag: &str, text: &str| {
        text.parse::<Timestamp>().map_err(|e| Failure::Input(format!("{flag} {}: {e}", invsync_csv::bounded(text))))
    };
    let kind = match args.calendar.unwrap_or(CalendarArg::Week) {
        CalendarArg::Day => Calendar::Day,
        CalendarArg::Week => Calendar::Week,
        CalendarArg::Month => Calendar::Month,
    };
    let anchor = match &args.anchor {
        Some(a) => date("--anchor", a)?,
        // 1970-01-05 was a Monday.
        None if kind == Calendar::Week => Timestamp::from_days(4),
        None => Timestamp::EPOCH,
    };
    let calendar = PlanningCalendar::new(kind, anchor).map_err(|e| Failure::Input(format!("--anchor: {e}")))?;
    let as_of = match &args.as_of {
        Some(t) => date("--as-of", t)?,
        None => {
            let latest = ledger.ledger().events().map(|e| e.occurred_at).max();
            let latest = latest.ok_or_else(|| fail("the store holds no events to plan from".into()))?;
            calendar.start(calendar.period_of(latest) + 1)
        }
    };
    let from = FromStore { db: db.to_path_buf(), ledger, calendar, as_of, plan_id: args.plan_id.clone() };
    from.bridge().map_err(|e| match e {
        Failure::Input(m) => Failure::Input(format!("{m} (--as-of)")),
        other => other,
    })?;
    Ok(from)
}

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
    let mut inputs: Vec<(&str, &Path)> = Vec::new();
    inputs.extend(args.history.as_deref().map(|p| ("--history", p)));
    inputs.extend(args.store.as_deref().map(|p| ("--store", p)));
    inputs.extend(args.in_stock.as_deref().map(|p| ("--in-stock", p)));
    inputs.extend(args.state.as_deref().map(|p| ("--state", p)));
    inputs.extend(args.pool_history.as_deref().map(|p| ("--pool-history", p)));
    inputs.extend(args.items.as_deref().map(|p| ("--items", p)));
    inputs.extend(args.overrides.as_deref().map(|p| ("--overrides", p)));
    let mut outputs = vec![("--out", args.out.as_path())];
    outputs.extend(args.json.as_deref().map(|p| ("--json", p)));
    let exports = args.export_dir.as_ref().map(|d| (d.join("history.csv"), d.join("state.csv")));
    if let Some((h, st)) = &exports {
        outputs.extend([("--export-dir", h.as_path()), ("--export-dir", st.as_path())]);
    }
    output::check_paths(&inputs, &outputs)?;
    let pool = crate::thread_pool(threads)?;
    if let Some(db) = &args.store {
        let from = open_store(args, db)?;
        let mut per_item = crate::items::PerItem::load(
            args.items.as_deref(),
            args.overrides.as_deref(),
            &store_key_names(),
            &config.policy,
        )?;
        let items = from
            .bridge()?
            .items(|i, l| per_item.lead_time(&store_key(i, l), &config.policy))
            .map_err(|e| from.fail(e))?;
        let config = config.for_batch(items.iter().map(|i| &i.history));
        let mut export = None;
        if let (Some((h, st)), Some(dir)) = (&exports, &args.export_dir) {
            std::fs::create_dir_all(dir).map_err(|e| Failure::Other(format!("{}: {e}", dir.display())))?;
            export = Some(export_inputs(&items, h, st)?);
        }
        let state: HashMap<Key, (u64, StockPosition)> =
            items.iter().map(|i| (store_key(&i.item, &i.location), (0, i.position.clone()))).collect();
        let records: Records = Box::new(
            items
                .into_iter()
                .map(|i| Ok(HistoryRecord { line: 0, key: store_key(&i.item, &i.location), history: i.history })),
        );
        let source = Source {
            label: db.display().to_string(),
            key_names: store_key_names(),
            items: records,
            in_stock: None,
            state: Some(state),
            pool_calendar: None,
        };
        let mut done = export.unwrap_or_default();
        let orders = plan_items(args, &config, &pool, source, &mut per_item, &mut done, started)?;
        if args.commit {
            commit_orders(from, &orders)?;
        }
        return output::commit(done);
    }
    let history = args.history.as_deref().ok_or_else(|| Failure::Input("--history or --store is required".into()))?;

    // History: streamed (twice when seasonality is pooled over the file).
    let long = is_long(history)?;
    // The calendar of `--pool-history` (and the line that showed it): every item of the
    // history must be on it.
    let mut pool_calendar: Option<(invsync_core::demand::Calendar, u64)> = None;
    let mut hb = builder(history, &args.key_columns);
    hb.sorted(args.sorted);
    let config = if config.demand.seasonality == Seasonality::Pooled {
        let mut pool = SeasonalPool::default();
        let source = args.pool_history.as_deref().unwrap_or(history);
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
    let (key_names, items): (Vec<String>, Records) = if long {
        let r = hb.long(open_input(history)?).map_err(input)?;
        (r.key_names(), Box::new(r))
    } else {
        let r = hb.wide(open_input(history)?).map_err(input)?;
        (r.key_names(), Box::new(r))
    };

    // In-stock flags and state: per item, keyed.
    let in_stock = match &args.in_stock {
        None => None,
        Some(p) => Some(InStock::load(p, &key_names, args.strict)?),
    };
    let state = match &args.state {
        None => None,
        Some(p) => Some(inputs::load_state(p, &key_names)?),
    };

    let mut per_item =
        crate::items::PerItem::load(args.items.as_deref(), args.overrides.as_deref(), &key_names, &config.policy)?;
    let source = Source { label: history.display().to_string(), key_names, items, in_stock, state, pool_calendar };
    let mut done = Vec::new();
    plan_items(args, &config, &pool, source, &mut per_item, &mut done, started)?;
    output::commit(done)
}

/// Where the items come from: a history file (with its side files) or a store.
struct Source {
    /// The history file or the store, for messages.
    label: String,
    key_names: Vec<String>,
    items: Records,
    in_stock: Option<InStock>,
    state: Option<HashMap<Key, (u64, StockPosition)>>,
    /// The calendar of `--pool-history` (and the line that showed it).
    pool_calendar: Option<(invsync_core::demand::Calendar, u64)>,
}

/// Plans every item of `source` into `--out` (and `--json`), pushing those outputs onto
/// `done` (committed by the caller); returns each item's key, order and lead time.
fn plan_items(
    args: &Args,
    config: &invsync_core::plan::PlanConfig,
    pool: &rayon::ThreadPool,
    source: Source,
    per_item: &mut crate::items::PerItem,
    done: &mut Vec<Output>,
    started: Instant,
) -> Result<Vec<(Key, f64, usize)>, Failure> {
    let input = |e: invsync_csv::CsvError| Failure::Input(e.to_string());
    let Source { label, key_names, mut items, mut in_stock, state, pool_calendar } = source;
    let whence = |line: u64| if line == 0 { label.clone() } else { format!("{label}:{line}") };
    let threads = pool.current_num_threads();
    let mut orders = Vec::new();

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
                    "{}: item {} is on {} periods, --pool-history {} (line {line}) on {} periods: pool over a history on the same calendar",
                    whence(rec.line),
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
                        "{}: no state row for item {} (history {})",
                        args.state.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
                        invsync_csv::bounded(&key_text(&rec.key)),
                        whence(rec.line)
                    ))
                })?,
            };
            let text = key_text(&rec.key);
            let (settings, planner_override) = per_item.take(&rec.key, &config.policy, &mut position);
            if args.commit {
                let lead_time = settings.as_ref().and_then(|s| s.lead_time).unwrap_or(config.policy.lead_time);
                orders.push((rec.key.clone(), 0.0, lead_time));
            }
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
        let plans = pool.install(|| plan_batch(&inputs, config));
        let first = orders.len().saturating_sub(chunk.len());
        for (n, ((key, text, _, _, line, ..), plan)) in chunk.iter().zip(plans).enumerate() {
            let plan = plan.map_err(|e| Failure::Input(format!("{}: {e}", whence(*line))))?;
            if let Some(o) = orders.get_mut(first + n) {
                o.1 = plan.order_qty();
            }
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
    done.push(out);
    if let Some((mut w, _)) = json {
        w.write_all(b"]\n").map_err(|e| Failure::Other(e.to_string()))?;
        done.push(w);
    }
    eprintln!(
        "planned {planned} items, blocked {blocked}, total expected cost {cost:.2}, wall time {:.2} s ({threads} thread{})",
        started.elapsed().as_secs_f64(),
        if threads == 1 { "" } else { "s" }
    );
    Ok(orders)
}

/// The key columns of a plan from a store.
fn store_key_names() -> Vec<String> {
    vec!["item".to_owned(), "location".to_owned()]
}

/// An item x location's key in a plan from a store (its text is `BridgeItem::key`).
fn store_key(item: &ItemId, location: &LocationId) -> Key {
    vec![item.to_string(), location.to_string()]
}

/// `--export-dir`: the bridge's histories and positions as the CSV path reads them.
fn export_inputs(items: &[BridgeItem], history: &Path, state: &Path) -> Result<Vec<Output>, Failure> {
    let other = |e: invsync_csv::CsvError| Failure::Other(e.to_string());
    let mut h = Output::create(history)?;
    let mut w = LongHistoryWriter::new(&mut h, &store_key_names()).map_err(other)?;
    for i in items {
        w.write(&store_key(&i.item, &i.location), &i.history).map_err(other)?;
    }
    w.flush().map_err(other)?;
    drop(w);
    let mut st = Output::create(state)?;
    let arrivals = items.iter().map(|i| i.position.arrivals.len()).max().unwrap_or(0);
    let mut w = StateWriter::new(&mut st, &store_key_names(), arrivals).map_err(other)?;
    for i in items {
        w.write(&store_key(&i.item, &i.location), &i.position).map_err(other)?;
    }
    w.flush().map_err(other)?;
    drop(w);
    Ok(vec![h, st])
}

/// `--commit`: the orders posted to the store as scheduled receipts, in one durable batch.
fn commit_orders(mut from: FromStore, orders: &[(Key, f64, usize)]) -> Result<(), Failure> {
    let Some(plan_id) = from.plan_id.clone() else { return Ok(()) };
    let mut planned = Vec::with_capacity(orders.len());
    for (key, qty, lead_time) in orders {
        let (Some(item), Some(location)) = (key.first(), key.get(1)) else { continue };
        let item = ItemId::new(item.as_str()).map_err(|e| from.fail(e))?;
        let location = LocationId::new(location.as_str()).map_err(|e| from.fail(e))?;
        planned.push(PlannedOrder { item, location, qty: *qty, lead_time: *lead_time });
    }
    let events = from.bridge()?.planned_receipts(&plan_id, &planned).map_err(|e| from.fail(e))?;
    let outcomes = from.ledger.append(&events).map_err(|e| match e {
        invsync_store::StoreError::Rejected(b) if matches!(b.error, LedgerError::IdempotencyConflict { .. }) => from
            .fail(format!(
                "plan {} was posted before with other receipts ({}): nothing posted, plan under a new plan id",
                invsync_csv::bounded(&plan_id),
                b.error
            )),
        e => store_error(e),
    })?;
    let again = outcomes.iter().filter(|o| o.duplicate).count();
    eprintln!(
        "plan {}: {} scheduled receipts posted to {}, {again} already there",
        invsync_csv::bounded(&plan_id),
        outcomes.len() - again,
        from.db.display()
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
