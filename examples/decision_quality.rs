//! The decision-quality suites of issue 27 (docs/decision-quality.md).
//!
//! ```text
//! cargo run --release --example decision_quality -- rolling|single|all [--quick]
//!     [--planner cli|default|vn2|both] [--family NAME]... [--seed N] [--out DIR]
//! ```
//!
//! Prints the per-family tables and writes them to
//! `DIR/decision_quality_{rolling,single}[_quick].txt` (DIR: docs/results). `--planner`
//! picks the planner configurations scored beside the textbook formula: `cli` is what
//! `invsync plan` runs (`PlanConfig::default()`, carry-over L - 1), `default` is
//! `PlanConfig::default()` as it is (carry-over 1), `vn2` is `PlanConfig::vn2()`
//! (`--profile vn2`). `--family` (repeatable) keeps only the named
//! families (the file name then ends in `_partial`).

use std::time::Instant;

use invsync_core::plan::PlanConfig;
use invsync_eval::rolling::{self, RollingConfig};
use invsync_eval::rules::{DecisionRule, Invsync, Textbook};
use invsync_eval::single::{self, SingleConfig};
use invsync_eval::{report, truth};

const USAGE: &str = "usage: decision_quality rolling|single|all [--quick] [--planner cli|default|vn2|both] [--family NAME]... [--seed N] [--out DIR]";

fn main() {
    if let Err(e) = run() {
        eprintln!("decision_quality: {e}\n{USAGE}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut mode, mut quick, mut planner, mut seed, mut out) = (None, false, "cli".to_owned(), 2027u64, None);
    let mut only: Vec<String> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "rolling" | "single" | "all" if mode.is_none() => mode = Some(a),
            "--quick" => quick = true,
            "--planner" => planner = args.next().ok_or("--planner needs a value")?,
            "--seed" => {
                let v = args.next().ok_or("--seed needs a value")?;
                seed = v.parse().map_err(|e| format!("--seed {v:?}: {e}"))?;
            }
            "--family" => only.push(args.next().ok_or("--family needs a name")?),
            "--out" => out = Some(args.next().ok_or("--out needs a directory")?),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let mode = mode.ok_or("which suite: rolling, single or all")?;
    let mut planners = Vec::new();
    if matches!(planner.as_str(), "cli" | "both") {
        planners.push(Invsync::cli());
    }
    if matches!(planner.as_str(), "default" | "both") {
        planners.push(Invsync::new("default", PlanConfig::default()));
    }
    if matches!(planner.as_str(), "vn2" | "both") {
        planners.push(Invsync::vn2());
    }
    if planners.is_empty() {
        return Err(format!("--planner {planner:?}: expected cli, default, vn2 or both"));
    }
    let mut rules: Vec<&dyn DecisionRule> = planners.iter().map(|p| p as &dyn DecisionRule).collect();
    rules.push(&Textbook);
    let names: Vec<&str> = rules.iter().map(|r| r.name()).collect();
    let out = out.unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/docs/results").to_owned());
    let mut families = truth::families();
    if let Some(bad) = only.iter().find(|n| !families.iter().any(|f| f.name == n.as_str())) {
        let known: Vec<&str> = families.iter().map(|f| f.name).collect();
        return Err(format!("--family {bad:?}: not one of {}", known.join(", ")));
    }
    if !only.is_empty() {
        families.retain(|f| only.iter().any(|n| n == f.name));
    }
    let suffix = format!("{}{}", if quick { "_quick" } else { "" }, if only.is_empty() { "" } else { "_partial" });

    if mode == "single" || mode == "all" {
        let config = if quick { SingleConfig::quick(seed) } else { SingleConfig::full(seed) };
        let t = Instant::now();
        let cases = single::run(&families, &rules, &config).map_err(|e| e.to_string())?;
        let nv =
            single::newsvendor(&rules, if quick { 10 } else { 40 }, seed, config.draws).map_err(|e| e.to_string())?;
        eprintln!("single: {} cases + {} newsvendor in {:.1} s", cases.len(), nv.len(), t.elapsed().as_secs_f64());
        let text = format!(
            "Single decisions ({}; seed {seed}; {} draws of the true future per case)\n\
             Expected controllable cost of each rule's order over that of the best integer order.\n\n{}\n\
             By start state, lead time, review period and p/h (all families):\n\n{}\n\
             Newsvendor, Normal(50, 8), 260 weeks, L = R = 1, empty, h = 0.18, p = 0.70:\n{}\n\
             The 15 worst cases of {} (key: family/history/start state/settings):\n\n{}",
            if quick { "quick subset" } else { "full run" },
            config.draws,
            report::single_table(&cases, &names),
            report::single_breakdown(&cases, &names),
            report::newsvendor_table(&nv, &names),
            names[0],
            report::single_worst(&cases, &names, 0, 15),
        );
        emit(&out, &format!("decision_quality_single{suffix}.txt"), &text)?;
    }
    if mode == "rolling" || mode == "all" {
        let config = if quick { RollingConfig::quick(seed) } else { RollingConfig::full(seed) };
        let t = Instant::now();
        let items = rolling::run(&families, &rules, &config).map_err(|e| e.to_string())?;
        eprintln!("rolling: {} item-settings in {:.1} s", items.len(), t.elapsed().as_secs_f64());
        let text = format!(
            "Rolling ({}; seed {seed}; {} items per family, {} weekly rounds, lost sales)\n\
             Per rule: total cost / the hindsight base-stock oracle's, median per item-setting ratio,\n\
             fill rate, and rounds/item-settings with an order of 0 at inventory position 0 despite\n\
             demand evidence (zero@0). fill*: the oracle's fill rate.\n\n{}\n\
             By lead time, review period and p/h (all families):\n\n{}\n\
             The 15 worst item-settings of {} (S*: the oracle's level):\n\n{}",
            if quick { "quick subset" } else { "full run" },
            config.items,
            config.rounds,
            report::rolling_table(&items, &names),
            report::rolling_breakdown(&items, &names),
            names[0],
            report::rolling_worst(&items, 0, 15),
        );
        emit(&out, &format!("decision_quality_rolling{suffix}.txt"), &text)?;
    }
    Ok(())
}

fn emit(dir: &str, name: &str, text: &str) -> Result<(), String> {
    println!("{text}");
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let path = std::path::Path::new(dir).join(name);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
