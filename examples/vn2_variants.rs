//! The ablation behind invsync's VN2 defaults: each variant of the planner backtested on
//! the same eight pseudo-competitions as `invsync backtest`, next to the replayed
//! organizer benchmark. Reads ../shared/data/vn2 (or the directory given); prints a note
//! and exits 0 when the data are absent.
//!
//! ```text
//! cargo run --release --example vn2_variants [-- DIR [VARIANT ...]]
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use invsync::backtest::{OrganizerBenchmark, PlannerRule, Protocol, Rule, Series, run};
use invsync::csv::{HistoryReaderBuilder, apply_in_stock, key_text};
use invsync::demand::{ForecastMethod, MethodChoice, Seasonality};
use invsync::plan::PlanConfig;

fn load(dir: &Path) -> Option<Vec<Series>> {
    let sales = dir.join("Week 0 - 2024-04-08 - Sales.csv");
    let stock = dir.join("Week 0 - In Stock.csv");
    let r = HistoryReaderBuilder::new().wide(std::fs::File::open(&sales).ok()?).ok()?;
    let keys = r.key_names();
    let flags: std::collections::HashMap<_, _> = HistoryReaderBuilder::new()
        .key_columns(keys)
        .in_stock(std::fs::File::open(&stock).ok()?)
        .ok()?
        .filter_map(Result::ok)
        .map(|f| (f.key.clone(), f))
        .collect();
    r.map(|rec| {
        rec.ok().map(|rec| {
            let history = flags.get(&rec.key).map_or_else(|| rec.history.clone(), |f| apply_in_stock(&rec.history, f));
            Series { key: key_text(&rec.key), history }
        })
    })
    .collect()
}

/// A variant: the defaults changed by comma-separated options, e.g.
/// `carry=2,season=none,method=ses:0.1,train=13,scen=500,l3=rows`.
fn variant(spec: &str) -> Option<PlanConfig> {
    let mut c = invsync::plan::PlanConfig::vn2();
    if spec == "default" {
        return Some(c);
    }
    for opt in spec.split(',') {
        let (k, v) = opt.split_once('=')?;
        let num = |x: &str| x.parse::<f64>().ok();
        match k {
            "carry" => c.policy.carryover = v.parse().ok()?,
            "season" => {
                c.demand.seasonality = match v {
                    "none" => Seasonality::None,
                    "own" => Seasonality::Own,
                    "pooled" => Seasonality::Pooled,
                    _ => return None,
                }
            }
            "method" => {
                let (m, p) = v.split_once(':').unwrap_or((v, ""));
                c.demand.method = MethodChoice::Fixed(match m {
                    "ses" => ForecastMethod::Ses { alpha: num(p)? },
                    "ma" => ForecastMethod::MovingAverage { window: p.parse().ok()? },
                    "sba" => ForecastMethod::Sba { alpha: num(p)? },
                    "tsb" => ForecastMethod::Tsb { alpha_d: num(p)?, alpha_p: num(p)? },
                    "naive" => ForecastMethod::Naive,
                    "sesfit" => ForecastMethod::SesFitted,
                    "auto" => return Some(c),
                    _ => return None,
                });
            }
            "train" => c.demand.min_train = v.parse().ok()?,
            "rows" => c.demand.cascade.recent_rows = Some(v.parse().ok()?),
            "blocks" => c.demand.cascade.level3 = invsync::demand::Level3Method::Blocks(v.parse().ok()?),
            "l3" if v == "rows" => c.demand.cascade.level3 = invsync::demand::Level3Method::Rows,
            "base" if v == "general" => {
                let (l, r) = (c.policy.lead_time, c.policy.review_period);
                c = PlanConfig::default();
                (c.policy.lead_time, c.policy.review_period) = (l, r);
            }
            "scen" => c.demand.scenarios = v.parse().ok()?,
            "markov" => c.demand.cascade.markov_for_intermittent = v == "on",
            "mult" => {
                c.demand.cascade.error_form = if v == "on" {
                    invsync::demand::ErrorForm::Multiplicative
                } else {
                    invsync::demand::ErrorForm::Additive
                }
            }
            "optimum" => c.policy.scenario_optimum = v == "on",
            "grids" if v == "off" => {
                c.policy.k_grid.clear();
                c.policy.coverage_grid.clear();
            }
            _ => return None,
        }
    }
    Some(c)
}

/// Research only (not reachable through `invsync plan`, whose contract has no hierarchy
/// input): seasonal indices pooled per group of a `Week 0 - Master.csv` column, falling back
/// to all series for groups of fewer than 5 series.
struct GroupPooled {
    config: PlanConfig,
    group_of: std::collections::HashMap<String, String>,
}

impl Rule for GroupPooled {
    fn name(&self) -> String {
        "group_pooled".into()
    }

    fn orders(
        &self,
        t: usize,
        items: &[invsync::backtest::ItemView<'_>],
    ) -> Result<Vec<f64>, invsync::plan::PlanError> {
        use invsync::plan::{ItemInput, SeasonalPool, plan_item};
        let known: Vec<_> = items.iter().map(|i| i.history.prefix(t + 1)).collect();
        let mut all = SeasonalPool::default();
        let mut groups: std::collections::HashMap<&str, (SeasonalPool, usize)> = Default::default();
        for (i, h) in items.iter().zip(&known) {
            all.add(h);
            let g = self.group_of.get(i.key).map_or("", String::as_str);
            let e = groups.entry(g).or_default();
            e.0.add(h);
            e.1 += 1;
        }
        let global = self.config.with_pool(&all);
        let configs: std::collections::HashMap<&str, PlanConfig> = groups
            .iter()
            .map(|(g, (pool, n))| (*g, if *n >= 5 { self.config.with_pool(pool) } else { global.clone() }))
            .collect();
        items
            .iter()
            .zip(&known)
            .map(|(i, h)| {
                let g = self.group_of.get(i.key).map_or("", String::as_str);
                let input = ItemInput::new(i.key, h, i.position.clone());
                plan_item(&input, &configs[g]).map(|p| p.order_qty())
            })
            .collect()
    }
}

fn groups(dir: &Path, column: &str) -> Option<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(dir.join("Week 0 - Master.csv")).ok()?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let c = header.iter().position(|h| *h == column)?;
    Some(
        lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (format!("{}/{}", f[0], f[1]), f[c].to_owned())
            })
            .collect(),
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/data/vn2".into()));
    let Some(series) = load(&dir) else {
        eprintln!("{}: VN2 data not found; nothing to do", dir.display());
        return;
    };
    let names: Vec<String> = args.collect();
    let names = if names.is_empty() { vec!["default".to_owned()] } else { names };
    let protocol = Protocol::default();
    let t = Instant::now();
    let base = run(&series, &OrganizerBenchmark::default(), &protocol).expect("the VN2 history fits the protocol");
    println!("{:<14} {:>10} {:>10} {:>10} {:>8}  per window", "variant", "total", "holding", "shortage", "ratio");
    let row = |name: &str, r: &invsync::backtest::Report| {
        let per: Vec<String> = r.windows.iter().map(|(_, c)| format!("{:.0}", c.cost())).collect();
        println!(
            "{name:<14} {:>10.1} {:>10.1} {:>10.1} {:>8.4}  {}",
            r.total.cost(),
            r.total.holding,
            r.total.shortage,
            base.total.cost() / r.total.cost(),
            per.join(" ")
        );
    };
    row("organizer", &base);
    for name in &names {
        if let Some(column) = name.strip_prefix("group=") {
            let Some(group_of) = groups(&dir, column) else {
                eprintln!("no Master.csv column {column}");
                continue;
            };
            let r = run(&series, &GroupPooled { config: invsync::plan::PlanConfig::vn2(), group_of }, &protocol)
                .expect("fits");
            row(name, &r);
            continue;
        }
        let Some(config) = variant(name) else {
            eprintln!("unknown variant {name}");
            continue;
        };
        let r = run(&series, &PlannerRule(config), &protocol).expect("fits");
        row(name, &r);
    }
    eprintln!("{:.1} s", t.elapsed().as_secs_f64());
}

#[allow(dead_code)]
fn _rule_is_object_safe(_: &dyn Rule) {}
