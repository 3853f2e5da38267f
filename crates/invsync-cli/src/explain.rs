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
    #[command(flatten)]
    files: crate::inputs::SideFiles,
    /// Refuse what is otherwise a warning (in-stock rows matching no item, flags dated
    /// outside the history).
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    planner: crate::PlannerArgs,
}

/// The key values of `item` (`a/b` for two key columns): split on `/` into as many
/// values as there are key columns, the last one keeping any further `/`.
fn item_key(item: &str, keys: &[String]) -> Vec<String> {
    item.splitn(keys.len().max(1), '/').map(str::to_owned).collect()
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let config = args.planner.config()?;
    // Every series: seasonality is pooled over the file, as `invsync plan` does.
    let (keys, series) = crate::backtest::load(&args.history, args.files.in_stock.as_deref(), args.strict)?;
    let config = config.for_batch(series.iter().map(|s| &s.history));
    let item = series.iter().find(|s| s.key == args.item).ok_or_else(|| {
        Failure::Input(format!("{}: no item {}", args.history.display(), invsync_csv::bounded(&args.item)))
    })?;
    // The whole state file is read and checked as `invsync plan` reads it (a duplicate
    // row is an error), then the item's row is taken.
    let mut position = match &args.files.state {
        None => StockPosition::empty(),
        Some(p) => crate::inputs::load_state(p, &keys)?
            .into_iter()
            .find(|(k, _)| key_text(k) == args.item)
            .map(|(_, (_, pos))| pos)
            .ok_or_else(|| {
                Failure::Input(format!("{}: no state row for item {}", p.display(), invsync_csv::bounded(&args.item)))
            })?,
    };
    let mut per_item = crate::items::PerItem::load(
        args.files.items.as_deref(),
        args.files.overrides.as_deref(),
        &keys,
        &config.policy,
    )?;
    let key: Vec<String> = item_key(&args.item, &keys);
    let (settings, planner_override) = per_item.take(&key, &config.policy, &mut position);
    let policy = match &settings {
        Some(s) => s.apply(&config.policy).map_err(|e| Failure::Input(e.to_string()))?,
        None => config.policy.clone(),
    };
    let input = ItemInput {
        key: &item.key,
        history: &item.history,
        position: position.clone(),
        consensus: None,
        settings,
        planner_override,
    };
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
        policy.window()
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
        r.order_qty.max(0.0).round() as u64
    ))?;
    say(format!(
        "expected cost {:.3} = {:.3} committed before the order arrives + {:.3} the order controls (holding {:.3}, shortage {:.3}, se {:.3})",
        r.evaluation.expected_cost,
        r.evaluation.committed_cost,
        r.evaluation.controllable_cost,
        r.evaluation.holding_cost,
        r.evaluation.shortage_cost,
        r.evaluation.cost_se,
    ))?;
    say(format!(
        "fill rate {:.3} in the periods the order covers ({:.3} over the window), cycle service {:.3}, stockout probability {:.3}",
        r.evaluation.fill_rate,
        r.evaluation.window_fill_rate,
        r.evaluation.cycle_service,
        r.evaluation.stockout_probability
    ))?;
    say(format!(
        "safety stock: {:.2} over the mean demand the order covers ({:.2}), implied k {} (sigma of the covered demand {:.2}); classic z sigma_d sqrt(L) {:.2} and z sigma_d sqrt(L+R) {:.2} at the same service level",
        r.safety_stock,
        r.mu_covered,
        r.implied_k.map_or_else(|| "n/a".to_owned(), |k| format!("{k:.3}")),
        r.sigma_covered,
        r.classic_safety_stock,
        r.classic_safety_stock_window
    ))?;
    say(format!(
        "reorder point: {}",
        r.reorder_point.map_or_else(
            || "none (no position gets an order)".to_owned(),
            |s| format!("{s} (ordering pays at or below this inventory position)")
        )
    ))?;
    if let Some(o) = &r.planner_override {
        say(format!(
            "override: {} ordered by {} ({}) instead of {}: safety stock {:.2}, expected cost {:.3}, {:.3} more than the optimum",
            o.evaluation.order_qty,
            o.planner_override.who,
            o.planner_override.why,
            r.order_qty,
            o.safety_stock,
            o.evaluation.expected_cost,
            o.cost_difference
        ))?;
    }
    say(format!("status: {} (projected stock at the order's arrival {:.2})", r.status.as_str(), r.projected_stock))?;
    say("expected cost of B = mu_W + k sigma_W:".into())?;
    let (lo, hi) =
        r.cost_curve.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, c)| (a.min(*c), b.max(*c)));
    for (k, cost) in r.cost_curve.iter().filter(|(k, _)| ((k * 10.0).round() as i64) % 5 == 0) {
        let bar = if hi > lo { ((cost - lo) / (hi - lo) * 40.0).round() as usize } else { 0 };
        say(format!("  k {k:>4.1} {cost:>9.3} |{}", "#".repeat(bar + 1)))?;
    }
    Ok(())
}
