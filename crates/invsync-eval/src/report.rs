//! Summaries and the text tables of the suites.

use std::fmt::Write;

use crate::rolling::RollingItem;
use crate::single::SingleCase;

/// Median, 90th percentile and worst of a set of ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// How many.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Largest.
    pub worst: f64,
}

/// The `q` quantile of sorted values, linear between order statistics (Hyndman-Fan type
/// 7, as R and NumPy by default); NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let (lo, frac) = (h.floor() as usize, h - h.floor());
            if lo + 1 < n { sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]) } else { sorted[lo] }
        }
    }
}

impl Spread {
    /// The spread of `values` (NaN figures when empty).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Spread {
        let mut v: Vec<f64> = values.into_iter().collect();
        v.sort_by(f64::total_cmp);
        Spread {
            n: v.len(),
            median: quantile(&v, 0.5),
            p90: quantile(&v, 0.9),
            worst: v.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// The families in first-seen order.
fn families<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn fmt_ratio(x: f64) -> String {
    if x.is_finite() { format!("{x:.3}") } else { "inf".into() }
}

/// The single-decision table: per family and overall, each rule's median / p90 / worst
/// ratio to the best integer order.
pub fn single_table(cases: &[SingleCase], rule_names: &[&str]) -> String {
    let mut s = String::new();
    let _ = write!(s, "{:<16} {:>5}", "family", "cases");
    for name in rule_names {
        let _ = write!(s, " | {:>9} {:>7} {:>7} {:>8}", name, "median", "p90", "worst");
    }
    s.push('\n');
    let mut row = |label: &str, subset: &[&SingleCase]| {
        let _ = write!(s, "{:<16} {:>5}", label, subset.len());
        for i in 0..rule_names.len() {
            let sp = Spread::of(subset.iter().map(|c| c.ratio(i)));
            let _ = write!(
                s,
                " | {:>9} {:>7} {:>7} {:>8}",
                "",
                fmt_ratio(sp.median),
                fmt_ratio(sp.p90),
                fmt_ratio(sp.worst)
            );
        }
        s.push('\n');
    };
    for fam in families(cases.iter().map(|c| c.family)) {
        let subset: Vec<&SingleCase> = cases.iter().filter(|c| c.family == fam).collect();
        row(fam, &subset);
    }
    let all: Vec<&SingleCase> = cases.iter().collect();
    row("ALL", &all);
    s
}

/// The single-decision table by start state, lead time and cost ratio (all families).
pub fn single_breakdown(cases: &[SingleCase], rule_names: &[&str]) -> String {
    let mut s = String::new();
    let mut groups: Vec<(String, Vec<&SingleCase>)> = Vec::new();
    for c in cases {
        for label in [
            format!("start {}", c.state.name()),
            format!("L = {}", c.settings.lead_time),
            format!("R = {}", c.settings.review_period),
            format!("p/h = {}", c.settings.shortage / c.settings.holding),
        ] {
            match groups.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push(c),
                None => groups.push((label, vec![c])),
            }
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let _ = write!(s, "{:<16} {:>5}", "group", "cases");
    for name in rule_names {
        let _ = write!(s, " | {:>9} {:>7} {:>7} {:>8}", name, "median", "p90", "worst");
    }
    s.push('\n');
    for (label, subset) in &groups {
        let _ = write!(s, "{:<16} {:>5}", label, subset.len());
        for i in 0..rule_names.len() {
            let sp = Spread::of(subset.iter().map(|c| c.ratio(i)));
            let _ = write!(
                s,
                " | {:>9} {:>7} {:>7} {:>8}",
                "",
                fmt_ratio(sp.median),
                fmt_ratio(sp.p90),
                fmt_ratio(sp.worst)
            );
        }
        s.push('\n');
    }
    s
}

/// The newsvendor lines: each rule's order range, how many orders are within 2 units of
/// the optimum 56.6 or within 3 % of the best cost, and the worst ratio.
pub fn newsvendor_table(cases: &[SingleCase], rule_names: &[&str]) -> String {
    let mut s = String::new();
    let best = Spread::of(cases.iter().map(|c| c.best_order));
    let _ = writeln!(
        s,
        "{} items, best integer order (100k draws) median {:.0}, analytic optimum 56.604",
        cases.len(),
        best.median
    );
    for (i, name) in rule_names.iter().enumerate() {
        let orders = Spread::of(cases.iter().map(|c| c.orders[i]));
        let min = cases.iter().map(|c| c.orders[i]).fold(f64::INFINITY, f64::min);
        let ok = cases.iter().filter(|c| (c.orders[i] - 56.604).abs() <= 2.0 || c.ratio(i) <= 1.03).count();
        let r = Spread::of(cases.iter().map(|c| c.ratio(i)));
        let _ = writeln!(
            s,
            "{name:<10} orders {min:.0}..{:.0} (median {:.0}); within 2 units or 3 %: {ok}/{}; ratio median {} worst {}",
            orders.worst,
            orders.median,
            cases.len(),
            fmt_ratio(r.median),
            fmt_ratio(r.worst)
        );
    }
    s
}

/// The rolling figures of one rule over a set of item-settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollingFigures {
    /// Item-settings.
    pub items: usize,
    /// Sum of the rule's costs / sum of the oracle's.
    pub total_ratio: f64,
    /// Median per item-setting ratio.
    pub median: f64,
    /// Units sold / units demanded under the rule.
    pub fill: f64,
    /// The same under the oracle.
    pub oracle_fill: f64,
    /// Rounds with an order of 0 at inventory position 0 despite demand evidence.
    pub zero_rounds: u32,
    /// Item-settings with at least one such round.
    pub zero_items: usize,
}

impl RollingFigures {
    /// The figures of rule `i` over `items`.
    pub fn of<'a>(items: impl IntoIterator<Item = &'a RollingItem>, i: usize) -> RollingFigures {
        let items: Vec<&RollingItem> = items.into_iter().collect();
        let (mut cost, mut oracle_cost, mut demand, mut sold, mut oracle_sold) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for it in &items {
            let r = it.outcomes[i].result;
            cost += r.cost();
            sold += r.sold;
            demand += r.demand;
            oracle_cost += it.oracle.cost();
            oracle_sold += it.oracle.sold;
        }
        let fill = |sold: f64| if demand > 0.0 { sold / demand } else { 1.0 };
        RollingFigures {
            items: items.len(),
            total_ratio: crate::score::ratio(cost, oracle_cost),
            median: Spread::of(items.iter().map(|it| it.ratio(i))).median,
            fill: fill(sold),
            oracle_fill: fill(oracle_sold),
            zero_rounds: items.iter().map(|it| it.outcomes[i].zero_at_empty).sum(),
            zero_items: items.iter().filter(|it| it.outcomes[i].zero_at_empty > 0).count(),
        }
    }
}

/// Per family (in first-seen order) and overall (`"ALL"`), the figures of rule `i`: for
/// assertions on a planner's targets.
pub fn rolling_figures(items: &[RollingItem], i: usize) -> Vec<(String, RollingFigures)> {
    let mut out: Vec<(String, RollingFigures)> = families(items.iter().map(|c| c.family))
        .into_iter()
        .map(|f| (f.to_owned(), RollingFigures::of(items.iter().filter(|c| c.family == f), i)))
        .collect();
    out.push(("ALL".to_owned(), RollingFigures::of(items, i)));
    out
}

/// Per family (in first-seen order) and overall (`"ALL"`), the spread of rule `i`'s
/// single-decision ratios: for assertions on a planner's targets.
pub fn single_figures(cases: &[SingleCase], i: usize) -> Vec<(String, Spread)> {
    let mut out: Vec<(String, Spread)> = families(cases.iter().map(|c| c.family))
        .into_iter()
        .map(|f| (f.to_owned(), Spread::of(cases.iter().filter(|c| c.family == f).map(|c| c.ratio(i)))))
        .collect();
    out.push(("ALL".to_owned(), Spread::of(cases.iter().map(|c| c.ratio(i)))));
    out
}

fn rolling_row(s: &mut String, label: &str, subset: &[&RollingItem], rule_names: &[&str]) {
    let oracle_fill = RollingFigures::of(subset.iter().copied(), 0).oracle_fill;
    let _ = write!(s, "{:<16} {:>5} {:>6.3}", label, subset.len(), oracle_fill);
    for i in 0..rule_names.len() {
        let f = RollingFigures::of(subset.iter().copied(), i);
        let _ = write!(
            s,
            " | {:>7} {:>7} {:>6.3} {:>5}/{:<4}",
            fmt_ratio(f.total_ratio),
            fmt_ratio(f.median),
            f.fill,
            f.zero_rounds,
            f.zero_items
        );
    }
    s.push('\n');
}

/// The `n` single decisions with the largest ratio for rule `i`, worst first (ties in
/// case order).
pub fn single_worst(cases: &[SingleCase], rule_names: &[&str], i: usize, n: usize) -> String {
    let mut idx: Vec<usize> = (0..cases.len()).collect();
    idx.sort_by(|a, b| cases[*b].ratio(i).total_cmp(&cases[*a].ratio(i)).then(a.cmp(b)));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<32} {:>2} {:>2} {:>4} {:>8} | {:>8} {:>8} {:>9}",
        "case", "L", "R", "p/h", "ratio", rule_names[i], "best", "best cost"
    );
    for &k in idx.iter().take(n) {
        let c = &cases[k];
        let _ = writeln!(
            s,
            "{:<32} {:>2} {:>2} {:>4} {:>8} | {:>8} {:>8} {:>9.3}",
            c.key,
            c.settings.lead_time,
            c.settings.review_period,
            c.settings.shortage / c.settings.holding,
            fmt_ratio(c.ratio(i)),
            c.orders[i],
            c.best_order,
            c.best_cost
        );
    }
    s
}

/// The `n` rolling item-settings with the largest ratio for rule `i`, worst first.
pub fn rolling_worst(items: &[RollingItem], i: usize, n: usize) -> String {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by(|a, b| items[*b].ratio(i).total_cmp(&items[*a].ratio(i)).then(a.cmp(b)));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<20} {:>2} {:>2} {:>4} {:>8} {:>6} {:>6} {:>6} {:>6}",
        "item", "L", "R", "p/h", "ratio", "fill", "fill*", "S*", "zero@0"
    );
    for &k in idx.iter().take(n) {
        let it = &items[k];
        let o = it.outcomes[i];
        let _ = writeln!(
            s,
            "{:<20} {:>2} {:>2} {:>4} {:>8} {:>6.3} {:>6.3} {:>6} {:>6}",
            it.key,
            it.settings.lead_time,
            it.settings.review_period,
            it.settings.shortage / it.settings.holding,
            fmt_ratio(it.ratio(i)),
            o.result.fill_rate(),
            it.oracle.fill_rate(),
            it.oracle_level,
            o.zero_at_empty
        );
    }
    s
}

fn rolling_header(s: &mut String, first: &str, rule_names: &[&str]) {
    let _ = write!(s, "{:<16} {:>5} {:>6}", first, "items", "fill*");
    for name in rule_names {
        let _ = write!(s, " | {:<7} {:>7} {:>6} {:>10}", name, "median", "fill", "zero@0");
    }
    s.push('\n');
}

/// The rolling table: per family and overall, each rule's total cost over the oracle's,
/// median per item-setting ratio, fill rate, and rounds (item-settings) with an order of
/// 0 at inventory position 0 despite demand evidence; `fill*` is the oracle's fill rate.
pub fn rolling_table(items: &[RollingItem], rule_names: &[&str]) -> String {
    let mut s = String::new();
    rolling_header(&mut s, "family", rule_names);
    for fam in families(items.iter().map(|c| c.family)) {
        let subset: Vec<&RollingItem> = items.iter().filter(|c| c.family == fam).collect();
        rolling_row(&mut s, fam, &subset, rule_names);
    }
    let all: Vec<&RollingItem> = items.iter().collect();
    rolling_row(&mut s, "ALL", &all, rule_names);
    s
}

/// The rolling table by lead time, review period and cost ratio (all families).
pub fn rolling_breakdown(items: &[RollingItem], rule_names: &[&str]) -> String {
    let mut s = String::new();
    rolling_header(&mut s, "group", rule_names);
    let mut groups: Vec<(String, Vec<&RollingItem>)> = Vec::new();
    for it in items {
        let st = it.settings;
        for label in [
            format!("L = {}", st.lead_time),
            format!("R = {}", st.review_period),
            format!("p/h = {}", st.shortage / st.holding),
            format!("L={} p/h={}", st.lead_time, st.shortage / st.holding),
        ] {
            match groups.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push(it),
                None => groups.push((label, vec![it])),
            }
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    for (label, subset) in &groups {
        rolling_row(&mut s, label, subset, rule_names);
    }
    s
}
