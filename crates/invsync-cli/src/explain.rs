//! `invsync explain ITEM`: one item's recommendation in words.

use std::io::Write;
use std::path::PathBuf;

use invsync_core::plan::{ItemInput, plan_item};
use invsync_core::policy::StockPosition;
use invsync_csv::key_text;

use crate::Failure;

/// Arguments of `invsync explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The item's key as `invsync plan` names it: key column values joined by `/`
    /// (for VN2: `STORE/PRODUCT`, e.g. `0/126`).
    item: String,
    /// Demand history (wide).
    #[arg(long)]
    history: PathBuf,
    /// In-stock flags (wide).
    #[arg(long)]
    in_stock: Option<PathBuf>,
    /// Stock state.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Refuse what is otherwise a warning (in-stock rows matching no item, flags dated
    /// outside the history).
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    planner: crate::PlannerArgs,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let config = args.planner.config()?;
    // Every series: seasonality is pooled over the file, as `invsync plan` does.
    let (keys, series) = crate::backtest::load(&args.history, args.in_stock.as_deref(), args.strict)?;
    let config = config.for_batch(series.iter().map(|s| &s.history));
    let item = series.iter().find(|s| s.key == args.item).ok_or_else(|| {
        Failure::Input(format!("{}: no item {}", args.history.display(), invsync_csv::bounded(&args.item)))
    })?;
    // The whole state file is read and checked as `invsync plan` reads it (a duplicate
    // row is an error), then the item's row is taken.
    let position = match &args.state {
        None => StockPosition::empty(),
        Some(p) => crate::inputs::load_state(p, &keys)?
            .into_iter()
            .find(|(k, _)| key_text(k) == args.item)
            .map(|(_, (_, pos))| pos)
            .ok_or_else(|| {
                Failure::Input(format!("{}: no state row for item {}", p.display(), invsync_csv::bounded(&args.item)))
            })?,
    };
    let input = ItemInput { key: &item.key, history: &item.history, position: position.clone(), consensus: None };
    let plan = plan_item(&input, &config).map_err(|e| Failure::Input(format!("{}: {e}", args.history.display())))?;
    let mut o = std::io::stdout().lock();
    let mut say = |s: String| {
        writeln!(o, "{s}").and_then(|()| o.flush()).map_err(|e| Failure::Other(format!("standard output: {e}")))
    };
    let d = &plan.diagnostics;
    let c = &d.classification;
    say(format!("item {}: {} periods of history", item.key, item.history.len()))?;
    say(format!(
        "demand: {} (ADI {:.2}, CV^2 {:.2}, {} non-zero periods); forecast method {}",
        c.class.as_str(),
        c.adi,
        c.cv2,
        c.nonzero,
        d.forecast_method
    ))?;
    say(format!(
        "forecast for the next periods: {}",
        plan.forecast.iter().map(|f| format!("{f:.2}")).collect::<Vec<_>>().join(", ")
    ))?;
    say(format!("cascade level {} with {} complete forecast-error rows: {}", d.level, d.n, d.reason))?;
    for w in &d.warnings {
        say(format!("  warning ({:?}): {}", w.severity, w.message).to_lowercase())?;
    }
    let Some(r) = &plan.recommendation else {
        say("no recommendation: order nothing until more history exists".into())?;
        return Ok(());
    };
    say(format!(
        "position: {} on hand, {:?} arriving; window W = {} periods",
        position.on_hand,
        position.arrivals,
        config.policy.window()
    ))?;
    say(format!(
        "window demand: mu_W {:.2}, sigma_W {:.2} (from {} scenarios)",
        r.mu_w, r.sigma_w, config.demand.scenarios
    ))?;
    say(format!(
        "decision: {} {} -> target stock {:.2}, order {} now",
        r.policy.as_str(),
        r.parameter.map(|p| format!("({p:.2})")).unwrap_or_default(),
        r.target_stock,
        r.order_qty
    ))?;
    say(format!(
        "expected cost {:.3} (holding {:.3}, shortage {:.3}, se {:.3}); fill rate {:.3}, cycle service {:.3}, stockout probability {:.3}",
        r.evaluation.expected_cost,
        r.evaluation.holding_cost,
        r.evaluation.shortage_cost,
        r.evaluation.cost_se,
        r.evaluation.fill_rate,
        r.evaluation.cycle_service,
        r.evaluation.stockout_probability
    ))?;
    say(format!(
        "safety stock: scenario decision {:.2} (B - mu_W) vs classic z sigma_d sqrt(L) {:.2} and z sigma_d sqrt(L+R) {:.2} at the same service level",
        r.safety_stock, r.classic_safety_stock, r.classic_safety_stock_window
    ))?;
    say(format!("status: {}", r.status.as_str()))?;
    say("expected cost of B = mu_W + k sigma_W:".into())?;
    let (lo, hi) =
        r.cost_curve.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, c)| (a.min(*c), b.max(*c)));
    for (k, cost) in r.cost_curve.iter().filter(|(k, _)| ((k * 10.0).round() as i64) % 5 == 0) {
        let bar = if hi > lo { ((cost - lo) / (hi - lo) * 40.0).round() as usize } else { 0 };
        say(format!("  k {k:>4.1} {cost:>9.3} |{}", "#".repeat(bar + 1)))?;
    }
    Ok(())
}
