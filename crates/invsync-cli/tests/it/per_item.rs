//! `--items` and `--overrides` end to end, and `explain` agreeing with `plan`.

use std::path::Path;

use super::{invsync, plan, root, scratch, stderr};

const SAMPLE: [&str; 4] = ["--in-stock", "examples/data/in_stock.csv", "--state", "examples/data/state.csv"];

/// The plan CSV as rows of (column -> value), keyed by `store/product`.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(str::to_owned).collect();
    lines
        .map(|l| {
            // Fields split on commas outside double quotes (the reasons are quoted).
            let (mut fields, mut cur, mut quoted) = (Vec::new(), String::new(), false);
            for c in l.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                    c => cur.push(c),
                }
            }
            fields.push(cur);
            header.iter().cloned().zip(fields).collect()
        })
        .collect()
}

fn find<'a>(
    rows: &'a [std::collections::HashMap<String, String>],
    store: &str,
    product: &str,
) -> &'a std::collections::HashMap<String, String> {
    rows.iter().find(|r| r["store"] == store && r["product"] == product).unwrap()
}

#[test]
fn items_and_overrides_change_only_their_items_and_keep_the_audit() {
    let dir = scratch();
    let items = dir.path().join("items.csv");
    // P001: lead time 1, packs of 6; P004: backorders; every other item keeps the flags.
    std::fs::write(
        &items,
        "store,product,lead_time,holding_cost,pack_size,lost_sales\nS1,P001,1,0.5,6,\nS1,P004,,,,false\n",
    )
    .unwrap();
    let overrides = dir.path().join("overrides.csv");
    std::fs::write(&overrides, "store,product,order_qty,who,why\nS1,P001,60,ana,promo\nS0,P000,5,bo,new listing\n")
        .unwrap();
    let out = dir.path().join("plan.csv");
    let mut extra = SAMPLE.to_vec();
    let json = dir.path().join("plan.json");
    extra.extend(["--items", items.to_str().unwrap(), "--overrides", overrides.to_str().unwrap()]);
    extra.extend(["--json", json.to_str().unwrap()]);
    let o = plan(Path::new("examples/data/history.csv"), &extra, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    // The audit trail is in the JSON report too.
    let report = std::fs::read_to_string(&json).unwrap();
    for want in ["\"who\": \"ana\"", "\"why\": \"promo\"", "\"cost_difference\"", "\"who\": \"bo\""] {
        assert!(report.contains(want), "{want} not in the JSON report");
    }
    let got = rows(&out);
    let golden = rows(&root().join("crates/invsync-cli/tests/golden/plan_sample.csv"));
    for (g, w) in got.iter().zip(&golden) {
        if ![("S1", "P001"), ("S1", "P004"), ("S0", "P000")].contains(&(g["store"].as_str(), g["product"].as_str())) {
            assert_eq!(g, w, "an item without settings or override changed");
        }
    }
    let p1 = find(&got, "S1", "P001");
    assert_eq!((p1["order_qty"].as_str(), p1["policy"].as_str()), ("60", "override"));
    assert_eq!((p1["override_by"].as_str(), p1["override_why"].as_str()), ("ana", "promo"));
    let optimal: f64 = p1["optimal_qty"].parse().unwrap();
    assert_eq!(optimal % 6.0, 0.0, "the optimum beside the override respects the item's pack");
    assert!(p1["override_cost_difference"].parse::<f64>().unwrap() > 0.0);
    // With L = 1 the committed part is one period, not two as with the flags' L = 2.
    let committed: f64 = p1["committed_cost"].parse().unwrap();
    let golden_committed: f64 = find(&golden, "S1", "P001")["committed_cost"].parse().unwrap();
    assert!(committed < golden_committed, "{committed} vs {golden_committed}");
    // Backorders order more for the stocked-out P004 than lost sales do.
    let p4: f64 = find(&got, "S1", "P004")["order_qty"].parse().unwrap();
    let g4: f64 = find(&golden, "S1", "P004")["order_qty"].parse().unwrap();
    assert!(p4 > g4, "{p4} vs {g4}");
    // The override of S0/P000 (8 weeks of history: a cold start) is placed, with its audit.
    let p0 = find(&got, "S0", "P000");
    assert_eq!((p0["order_qty"].as_str(), p0["policy"].as_str(), p0["override_by"].as_str()), ("5", "override", "bo"));
}

#[test]
fn bad_items_and_overrides_are_exit_2_with_position() {
    let dir = scratch();
    #[track_caller]
    fn refused_with(dir: &Path, flag: &str, name: &str, content: &str, want: &[&str]) {
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        let mut extra = SAMPLE.to_vec();
        extra.extend([flag, p.to_str().unwrap()]);
        let o = plan(Path::new("examples/data/history.csv"), &extra, &dir.join("out.csv"));
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let e = stderr(&o);
        for w in want {
            assert!(e.contains(w), "{name}: {w:?} not in {e}");
        }
    }
    let d = dir.path();
    refused_with(
        d,
        "--items",
        "a.csv",
        "store,product,lead_time\nS1,P001,2\nS1,P004,x\n",
        &["a.csv:3", "lead_time", "\"x\""],
    );
    refused_with(
        d,
        "--items",
        "b.csv",
        "store,product,moq,max_order\nS1,P001,10,5\n",
        &["b.csv:2", "item S1/P001", "max_order"],
    );
    refused_with(
        d,
        "--items",
        "c.csv",
        "store,product,lead_time\nS9,P999,2\n",
        &["c.csv:2", "S9/P999", "not in the history"],
    );
    refused_with(d, "--items", "d.csv", "store,product,leadtime\nS1,P001,2\n", &["d.csv:1", "leadtime"]);
    refused_with(
        d,
        "--overrides",
        "e.csv",
        "store,product,order_qty,who,why\nS1,P001,-4,a,b\n",
        &["e.csv:2", "order_qty", "\"-4\""],
    );
    refused_with(d, "--overrides", "f.csv", "store,product,order_qty,who,why\nS1,P001,4,,b\n", &["f.csv:2", "who"]);
    // Units arriving after an item's own lead time are refused, not silently dropped.
    refused_with(
        d,
        "--items",
        "g.csv",
        "store,product,lead_time\nS1,P001,0\n",
        &["history.csv:3: item S1/P001", "at most 0 arrivals"],
    );
}

/// `explain` plans with the same code as `plan` (`plan_item` after the same pooling), so
/// its decision is the plan's row, settings and overrides included.
#[test]
fn explain_gives_the_plan_row_decision() {
    let dir = scratch();
    let items = dir.path().join("items.csv");
    std::fs::write(&items, "store,product,lead_time,pack_size\nS1,P001,1,6\n").unwrap();
    let out = dir.path().join("plan.csv");
    let mut extra = SAMPLE.to_vec();
    extra.extend(["--items", items.to_str().unwrap()]);
    assert!(plan(Path::new("examples/data/history.csv"), &extra, &out).status.success());
    let got = rows(&out);
    for (store, product) in [("S1", "P001"), ("S1", "P004"), ("S2", "P002")] {
        let row = find(&got, store, product);
        let item = format!("{store}/{product}");
        let mut args = vec!["explain", &item, "--history", "examples/data/history.csv"];
        args.extend(SAMPLE);
        args.extend(["--items", items.to_str().unwrap()]);
        let o = invsync(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        let want = format!("order {} now", row["order_qty"]);
        assert!(text.contains(&want), "{item}: {want:?} not in {text}");
        assert!(text.contains(&format!("safety stock: {:.2}", row["safety_stock"].parse::<f64>().unwrap())), "{text}");
    }
}

/// `--out` may not overwrite the `--items` or `--overrides` file it reads.
#[test]
fn outputs_may_not_replace_the_per_item_files() {
    let dir = scratch();
    let items = dir.path().join("items.csv");
    let before = "store,product,lead_time\nS1,P001,1\n";
    std::fs::write(&items, before).unwrap();
    for flag in ["--items", "--overrides"] {
        let mut extra = SAMPLE.to_vec();
        extra.extend([flag, items.to_str().unwrap()]);
        let o = plan(Path::new("examples/data/history.csv"), &extra, &items);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&items).unwrap(), before, "{flag}: the input was touched");
    }
}
