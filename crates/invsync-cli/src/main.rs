//! The `invsync` command line.
//!
//! Exit codes: 0 success, 2 bad input (the message names file, line, column and value),
//! 1 any other failure (for example, the output cannot be written).

#![forbid(unsafe_code)]

mod backtest;
mod explain;
mod ingest;
mod inputs;
mod items;
mod output;
mod plan;
mod reconcile;
mod replay;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keeps inventory true across systems and decides how much stock to hold.
#[derive(Debug, Parser)]
#[command(name = "invsync", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Plan orders: demand scenarios and the cheapest policy for every item.
    Plan(plan::Args),
    /// Rolling-origin pseudo-competitions: invsync against the VN2 organizer's benchmark.
    Backtest(backtest::Args),
    /// One item's recommendation in words: cascade level and why, sigma_W, cost versus k,
    /// classic versus scenario safety stock.
    Explain(explain::Args),
    /// Add the events of a CSV or JSON Lines file to a durable store (duplicates are not
    /// stored twice; a refused event stores nothing).
    Ingest(ingest::Args),
    /// Reconcile a count file against the ledger of an event file or a store as of an
    /// instant.
    Reconcile(reconcile::Args),
    /// Replay a ledger event file or a store into balances (or one item x location's history).
    Replay(replay::Args),
    /// Serve the ledger over HTTP to connected systems and sales channels.
    Serve(serve::Args),
}

/// A failure and its exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Anything else: exit 1.
    Other(String),
}

/// A named set of planner settings (`--profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Profile {
    /// The general default (`PlanConfig::default()`): per-item fitted SES, seasonality only
    /// where it helps, carry-over L - 1.
    #[default]
    Default,
    /// The settings tuned on the VN2 backtest (`PlanConfig::vn2()`, docs/vn2.md).
    Vn2,
}

/// The planner settings of `plan`, `backtest` and `explain`: the profile's settings with the
/// command line's periods, costs, scenario count and seed. One function, so the commands
/// decide alike for the same inputs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_config(
    profile: Profile,
    lead_time: usize,
    review_period: usize,
    holding: f64,
    shortage: f64,
    scenarios: usize,
    seed: u64,
) -> Result<invsync_core::plan::PlanConfig, Failure> {
    use invsync_core::plan::PlanConfig;
    let mut c = match profile {
        Profile::Default => {
            let mut c = PlanConfig::default();
            c.policy.carryover = PlanConfig::carryover_for(lead_time);
            c
        }
        Profile::Vn2 => PlanConfig::vn2(),
    };
    c.policy.lead_time = lead_time;
    c.policy.review_period = review_period;
    c.policy.holding = holding;
    c.policy.shortage = shortage;
    c.demand.scenarios = scenarios;
    c.seed = seed;
    // Every limit, the memory budget on scenarios x periods included, before any file
    // is read or written.
    c.validate().map_err(|e| Failure::Input(e.to_string()))?;
    Ok(c)
}

/// Opens an input file; a failure is bad input (exit 2) naming the path.
pub(crate) fn open_input(path: &std::path::Path) -> Result<std::io::BufReader<std::fs::File>, Failure> {
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))
}

/// The most worker threads `--threads` may ask for. Results never depend on the thread
/// count, and more threads than this only add start-up time and memory (each thread
/// holds its own scenario buffers).
pub(crate) const MAX_THREADS: usize = 256;

/// The memory budget of a whole run: worker threads x scenario values per item
/// (`scenarios x simulated periods`, each thread holding one item's) at most this many,
/// about 2.4 GB. Each thread alone is held to `invsync_core::plan::MAX_SCENARIO_VALUES`.
pub(crate) const MAX_RUN_SCENARIO_VALUES: usize = 100_000_000;

/// The worker count of `--threads` for planning with `config`: default the machine's
/// cores, at most [`MAX_THREADS`], and no more than the run's memory budget
/// ([`MAX_RUN_SCENARIO_VALUES`]) allows. 0, more than [`MAX_THREADS`], or an explicit
/// count over the budget is bad input.
pub(crate) fn thread_count(threads: Option<usize>, config: &invsync_core::plan::PlanConfig) -> Result<usize, Failure> {
    let per_thread = config.demand.scenarios.saturating_mul(config.policy.simulated_periods()).max(1);
    let fit = (MAX_RUN_SCENARIO_VALUES / per_thread).max(1);
    match threads {
        None => Ok(std::thread::available_parallelism().map_or(1, usize::from).min(MAX_THREADS).min(fit)),
        Some(n) if !(1..=MAX_THREADS).contains(&n) => {
            Err(Failure::Input(format!("--threads must be between 1 and {MAX_THREADS}, got {n}")))
        }
        Some(n) if n > fit => Err(Failure::Input(format!(
            "--threads {n} x {} scenarios x {} simulated periods is above the run's memory budget of {MAX_RUN_SCENARIO_VALUES} scenario values (about 2.4 GB): at most {fit} threads with these settings",
            config.demand.scenarios,
            config.policy.simulated_periods()
        ))),
        Some(n) => Ok(n),
    }
}

/// A rayon pool of `n` workers ([`thread_count`]).
pub(crate) fn thread_pool(n: usize) -> Result<rayon::ThreadPool, Failure> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| Failure::Other(format!("cannot start {n} threads: {e}")))
}

/// Planner settings with the VN2 rules as defaults (`backtest`, `explain`).
#[derive(Debug, clap::Args)]
pub(crate) struct PlannerArgs {
    /// Lead time L in periods.
    #[arg(long, default_value_t = 2)]
    pub(crate) lead_time: usize,
    /// Review period R in periods.
    #[arg(long, default_value_t = 1)]
    pub(crate) review_period: usize,
    /// Holding cost per unit of end-of-period stock.
    #[arg(long, default_value_t = 0.2)]
    pub(crate) holding_cost: f64,
    /// Shortage cost per unit of unmet demand.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) shortage_cost: f64,
    /// Scenarios per item.
    #[arg(long, default_value_t = 1000)]
    scenarios: usize,
    /// Master seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Named planner settings: `default` (general) or `vn2` (tuned on the VN2 backtest).
    #[arg(long, value_enum, default_value_t = Profile::Default)]
    profile: Profile,
}

impl PlannerArgs {
    /// The planner settings ([`plan_config`]).
    pub(crate) fn config(&self) -> Result<invsync_core::plan::PlanConfig, Failure> {
        plan_config(
            self.profile,
            self.lead_time,
            self.review_period,
            self.holding_cost,
            self.shortage_cost,
            self.scenarios,
            self.seed,
        )
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Backtest(args) => backtest::run_cmd(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Ingest(args) => ingest::run(&args),
        Command::Reconcile(args) => reconcile::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Serve(args) => serve::run(&args),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Other(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}
