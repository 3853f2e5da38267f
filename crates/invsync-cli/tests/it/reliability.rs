//! Issue 20: no command destroys data, hangs, panics or lies about its result. One test
//! (or more) per class of docs/reliability.md, each run against the real binary.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::{VN2_RULES, invsync, scratch, stderr};

/// Copies the bundled files into `dir` (so a test may try to overwrite them).
fn copy(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|n| {
            let to = dir.join(n);
            std::fs::copy(super::root().join("examples/data").join(n), &to).unwrap();
            to
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn plan_args<'a>(history: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["plan", "--history", s(history)];
    args.extend(VN2_RULES);
    args.extend(extra);
    args
}

/// Exit 2, the message names `want`, no panic.
#[track_caller]
fn check_refused(o: &Output, want: &[&str]) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    for w in want {
        assert!(e.contains(w), "missing {w:?} in {e}");
    }
    e
}

/// Every file of `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn an_output_that_is_an_input_or_another_output_is_refused_and_nothing_touched() {
    let dir = scratch();
    let d = dir.path();
    let f = copy(d, &["history.csv", "state.csv", "events.csv", "counts.csv"]);
    let (history, state, events, counts) = (&f[0], &f[1], &f[2], &f[3]);
    let out = d.join("plan.csv");
    let link = d.join("history-link.csv");
    std::fs::hard_link(history, &link).unwrap();
    let dotted = format!("{}/./plan.csv", d.display());
    let before = snapshot(d);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        ([plan_args(history, &["--out", s(history)])].concat(), "is the same file as --history"),
        ([plan_args(history, &["--out", s(&link)])].concat(), "is the same file as --history"),
        ([plan_args(history, &["--out", s(&out), "--json", s(history)])].concat(), "--json"),
        ([plan_args(history, &["--state", s(state), "--out", s(state)])].concat(), "same file as --state"),
        ([plan_args(history, &["--out", s(&out), "--json", &dotted])].concat(), "same file as --out"),
        (vec!["replay", "--events", s(events), "--out", s(events)], "same file as --events"),
        (
            vec![
                "reconcile",
                "--counts",
                s(counts),
                "--events",
                s(events),
                "--as-of",
                "2024-04-07",
                "--out",
                s(events),
            ],
            "same file as --events",
        ),
        (vec!["backtest", "--history", s(history), "--json", s(history)], "same file as --history"),
    ];
    for (args, want) in cases {
        let o = invsync(&args);
        check_refused(&o, &[want]);
        assert_eq!(snapshot(d), before, "{args:?} touched a file");
    }
}

#[test]
fn a_failed_run_leaves_every_earlier_output_byte_for_byte() {
    let dir = scratch();
    let d = dir.path();
    let f = copy(d, &["history.csv", "state.csv"]);
    let (out, json) = (d.join("plan.csv"), d.join("plan.json"));
    let good = invsync(&plan_args(&f[0], &["--state", s(&f[1]), "--out", s(&out), "--json", s(&json)]));
    assert!(good.status.success(), "{}", stderr(&good));
    let before = snapshot(d);
    // A flag refused late (by the planner's limits) and an item without a state row.
    let o = invsync(&plan_args(&f[0], &["--scenarios", "100001", "--out", s(&out), "--json", s(&json)]));
    check_refused(&o, &["scenarios"]);
    assert_eq!(snapshot(d), before);
    let short_state = d.join("short.csv");
    let text = std::fs::read_to_string(&f[1]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&short_state, lines[..lines.len() - 1].join("\n")).unwrap();
    let before = snapshot(d);
    let o = invsync(&plan_args(&f[0], &["--state", s(&short_state), "--out", s(&out), "--json", s(&json)]));
    check_refused(&o, &["no state row"]);
    assert_eq!(snapshot(d), before, "the outputs and no temporary file are left");
    // Replay and reconcile: an event refused after the output existed.
    let events = copy(d, &["events.csv"]).remove(0);
    let bal = d.join("balances.csv");
    assert!(invsync(&["replay", "--events", s(&events), "--out", s(&bal)]).status.success());
    let bad = d.join("bad-events.csv");
    std::fs::write(&bad, "event_id,item,location,occurred_at,type,qty\ne1,A,B,2024-01-01,receipt,abc\n").unwrap();
    let before = snapshot(d);
    check_refused(&invsync(&["replay", "--events", s(&bad), "--out", s(&bal)]), &["bad-events.csv:2"]);
    assert_eq!(snapshot(d), before);
}

#[test]
fn a_full_device_is_reported_with_its_path() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let o = invsync(&plan_args(Path::new("examples/data/history.csv"), &["--out", "/dev/full"]));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("/dev/full") && !e.contains("<csv>"), "{e}");
    let o = invsync(&["replay", "--events", "examples/data/events.csv", "--out", "/dev/full"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("/dev/full"), "{}", stderr(&o));
}

#[test]
fn threads_are_capped() {
    let o = invsync(&plan_args(Path::new("examples/data/history.csv"), &["--threads", "100000", "--out", "/dev/null"]));
    check_refused(&o, &["--threads must be between 1 and 256, got 100000"]);
    let o = invsync(&["backtest", "--history", "examples/data/history.csv", "--threads", "0"]);
    check_refused(&o, &["--threads"]);
}

#[test]
fn a_huge_value_is_quoted_short() {
    let dir = scratch();
    let p = dir.path().join("h.csv");
    let big = "9".repeat(1_000_000) + "x";
    std::fs::write(&p, format!("s,p,2024-01-01,2024-01-08\na,b,1,{big}\n")).unwrap();
    let o = invsync(&plan_args(&p, &["--out", "/dev/null"]));
    let e = check_refused(&o, &["h.csv:2", "2024-01-08", "more characters"]);
    assert!(e.len() < 400, "{} bytes of message", e.len());
}

fn backtest(extra: &[&str]) -> Output {
    let mut args = vec!["backtest", "--history", "examples/data/history.csv", "--threads", "1"];
    args.extend(extra);
    invsync(&args)
}

#[test]
fn backtest_settings_out_of_range_are_typed_errors() {
    let max = u64::MAX.to_string();
    for (extra, want) in [
        (vec!["--windows", "0"], "--windows 0"),
        (vec!["--window-periods", "0"], "--window-periods 0"),
        (vec!["--windows", &max], "too large"),
        (vec!["--warmup", &max], "too large"),
        (vec!["--windows", "1000"], "periods are needed"),
        (vec!["--count-from", "9"], "--count-from 9"),
        (vec!["--count-from", "0"], "--count-from 0"),
    ] {
        let o = backtest(&extra);
        check_refused(&o, &[want]);
        assert!(o.stdout.is_empty(), "{extra:?} printed a report");
    }
    // The last period of the window is still a valid first counted period.
    let o = backtest(&["--scenarios", "50", "--windows", "1", "--count-from", "8"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("NaN"));
}

#[test]
fn backtest_refuses_settings_the_planner_refuses() {
    // It used to print a comparison with every invsync order 0 (fill rate 0.0), exit 0.
    // The planner's settings are now checked first; an error the planner returns during
    // the run propagates too (invsync-core test `planner_errors_propagate_instead_of_ordering_nothing`).
    let o = backtest(&["--scenarios", "100001"]);
    check_refused(&o, &["scenarios must be between 2 and 100000, got 100001"]);
    assert!(o.stdout.is_empty());
}

#[test]
fn the_product_of_sizes_has_a_memory_budget() {
    // Each size is within its own limit; together they asked for ~4.9 GB per thread.
    let o = invsync(&[
        "plan",
        "--history",
        "examples/data/history.csv",
        "--lead-time",
        "1000",
        "--review-period",
        "1000",
        "--holding-cost",
        "1",
        "--shortage-cost",
        "1",
        "--scenarios",
        "100000",
        "--out",
        "/dev/null",
    ]);
    // L + R + the default's carry-over L - 1.
    check_refused(&o, &["100000 scenarios x 2999 simulated periods", "memory budget"]);
}

/// Writes `files` (name, content) into a scratch directory.
fn files(list: &[(&str, &str)]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = scratch();
    let paths = list
        .iter()
        .map(|(n, c)| {
            let p = dir.path().join(n);
            std::fs::write(&p, c).unwrap();
            p
        })
        .collect();
    (dir, paths)
}

const WIDE: &str = "s,p,2024-01-01,2024-01-08,2024-01-15\na,b,1,2,3\nc,d,4,5,6\n";

#[test]
fn a_biweekly_long_history_is_refused_like_the_wide_one() {
    // It was read as weekly with every other week missing: every item blocked, exit 0.
    let long = "item,location,date,quantity\na,x,2024-01-01,1\na,x,2024-01-15,2\na,x,2024-01-29,3\n";
    let wide = "item,location,2024-01-01,2024-01-15,2024-01-29\na,x,1,2,3\n";
    let (_d, p) = files(&[("long.csv", long), ("wide.csv", wide)]);
    for h in &p {
        let o = invsync(&plan_args(h, &["--out", "/dev/null"]));
        check_refused(&o, &["14 days apart", "expected 1, 7 or one month"]);
    }
    let o = invsync(&plan_args(&p[0], &["--out", "/dev/null"]));
    check_refused(&o, &["long.csv:3: column date (3): value \"2024-01-15\""]);
    // An item of a weekly file may still miss every other week: the file's calendar is
    // known from the items before it.
    let ok = "item,location,date,quantity\na,x,2024-01-01,1\na,x,2024-01-08,2\nb,x,2024-01-01,1\nb,x,2024-01-15,2\n";
    let (_d2, p) = files(&[("ok.csv", ok)]);
    let o = invsync(&plan_args(&p[0], &["--out", "/dev/null"]));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn errors_in_long_files_point_at_the_offending_row() {
    // The calendar from an earlier item; the bad row is the item's third (line 6).
    let long = "item,location,date,quantity\na,x,2024-01-01,1\na,x,2024-01-08,2\nb,x,2024-01-01,1\nb,x,2024-01-08,2\nb,x,2024-01-10,3\n";
    let (_d, p) = files(&[("long.csv", long)]);
    let o = invsync(&plan_args(&p[0], &["--out", "/dev/null"]));
    check_refused(&o, &["long.csv:6: column date (3): value \"2024-01-10\"", "not a week period"]);
    // The calendar from the item itself: the row that shows the bad step.
    let long = "item,location,date,quantity\na,x,2024-01-01,1\na,x,2024-01-08,2\na,x,2024-01-10,3\n";
    let (_d2, p) = files(&[("long.csv", long)]);
    let o = invsync(&plan_args(&p[0], &["--out", "/dev/null"]));
    check_refused(&o, &["long.csv:4: column date (3): value \"2024-01-10\"", "2 days apart"]);
}

#[test]
fn in_stock_rows_are_checked() {
    let flags_extra = "s,p,2024-01-01,2024-01-08,2024-01-15\na,b,1,0,1\nc,d,1,1,1\ne,f,1,0,1\n";
    let flags_dup = "s,p,2024-01-01,2024-01-08,2024-01-15\na,b,1,0,1\nc,d,1,1,1\na,b,0,0,0\n";
    let flags_daily = "s,p,2024-01-01,2024-01-02,2024-01-03\na,b,1,0,1\n";
    let flags_disjoint = "s,p,2023-01-02,2023-01-09\na,b,1,0\n";
    let flags_wider = "s,p,2023-12-25,2024-01-01,2024-01-08\na,b,1,0,1\n";
    let (_d, p) = files(&[
        ("h.csv", WIDE),
        ("extra.csv", flags_extra),
        ("dup.csv", flags_dup),
        ("daily.csv", flags_daily),
        ("disjoint.csv", flags_disjoint),
        ("wider.csv", flags_wider),
    ]);
    let run = |flags: &Path, strict: bool| {
        let mut extra = vec!["--in-stock", s(flags), "--out", "/dev/null"];
        if strict {
            extra.push("--strict");
        }
        invsync(&plan_args(&p[0], &extra))
    };
    // Rows matching no item: a warning with the count (a shard may be planned with the
    // full set's flags), an error under --strict. They used to be ignored silently.
    let o = run(&p[1], false);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: ")
            && stderr(&o).contains("1 in-stock rows match no history item (first: line 4, item e/f)"),
        "{}",
        stderr(&o)
    );
    check_refused(&run(&p[1], true), &["extra.csv: 1 in-stock rows match no history item", "--strict"]);
    // A duplicate row used to be last-wins.
    check_refused(&run(&p[2], false), &["dup.csv:4: duplicate in-stock row for item a/b (first at line 2)"]);
    // Another calendar, or no date in common: an error at the row.
    check_refused(&run(&p[3], false), &["daily.csv:2", "day periods, the history week periods"]);
    check_refused(&run(&p[4], false), &["disjoint.csv:2", "no flag date"]);
    // Some flags outside the history: a warning with counts; --strict refuses.
    let o = run(&p[5], false);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 flags of 1 items are dated outside"), "{}", stderr(&o));
    check_refused(&run(&p[5], true), &["wider.csv:2: item a/b: 1 flags are dated outside"]);
    // backtest and explain read flags the same way.
    let o = invsync(&["explain", "a/b", "--history", s(&p[0]), "--in-stock", s(&p[2])]);
    check_refused(&o, &["duplicate in-stock row"]);
}

#[test]
fn state_files_are_checked_alike_by_plan_and_explain() {
    let state_dup = "s,p,on_hand\na,b,1\nc,d,2\na,b,3\n";
    let state_neg = "s,p,on_hand,arriving_1,arriving_2\na,b,1,0,-4\nc,d,2,0,0\n";
    let (_d, p) = files(&[("h.csv", WIDE), ("dup.csv", state_dup), ("neg.csv", state_neg)]);
    // explain used to accept the duplicate that plan refuses.
    let o = invsync(&["explain", "a/b", "--history", s(&p[0]), "--state", s(&p[1])]);
    check_refused(&o, &["dup.csv:4: duplicate state for item a/b (first at line 2)"]);
    let o = invsync(&plan_args(&p[0], &["--state", s(&p[1]), "--out", "/dev/null"]));
    check_refused(&o, &["dup.csv:4: duplicate state for item a/b"]);
    // A negative arrival used to be clamped to 0.
    let o = invsync(&plan_args(&p[0], &["--state", s(&p[2]), "--out", "/dev/null"]));
    check_refused(&o, &["neg.csv:2: column arriving_2 (5): value \"-4\"", "negative"]);
}

#[test]
fn a_pool_history_on_another_calendar_is_refused() {
    let daily = "s,p,2024-01-01,2024-01-02,2024-01-03\na,b,1,2,3\n";
    let (_d, p) = files(&[("h.csv", WIDE), ("daily.csv", daily)]);
    let o = invsync(&plan_args(&p[0], &["--pool-history", s(&p[1]), "--out", "/dev/null"]));
    check_refused(&o, &["h.csv:2: item a/b is on week periods, --pool-history", "on day periods"]);
}

#[test]
fn duplicate_header_names_are_refused() {
    let (_d, p) = files(&[
        ("wide.csv", "s,S,2024-01-01,2024-01-08\na,b,1,2\n"),
        ("long.csv", "item,location,date,quantity,Date\na,x,2024-01-01,1,2024-01-01\n"),
        ("state.csv", "s,p,on_hand,on_hand\na,b,1,2\n"),
        ("counts.csv", "item,location,counted,item\nA,B,1,A\n"),
        ("h.csv", WIDE),
    ]);
    check_refused(
        &invsync(&plan_args(&p[0], &["--out", "/dev/null"])),
        &["wide.csv:1: column S (2)", "duplicate column"],
    );
    check_refused(
        &invsync(&plan_args(&p[1], &["--out", "/dev/null"])),
        &["long.csv:1: column Date (5)", "duplicate column"],
    );
    check_refused(
        &invsync(&plan_args(&p[4], &["--state", s(&p[2]), "--out", "/dev/null"])),
        &["state.csv:1: column on_hand (4)"],
    );
    let o =
        invsync(&["reconcile", "--counts", s(&p[3]), "--events", "examples/data/events.csv", "--as-of", "2024-04-07"]);
    check_refused(&o, &["counts.csv:1: column item (4)", "duplicate column"]);
}

#[test]
fn missing_key_columns_are_not_reported_as_duplicate_keys() {
    let (_d, p) = files(&[("nokey.csv", "2024-01-01,2024-01-08\n1,2\n3,4\n")]);
    let e = check_refused(&invsync(&plan_args(&p[0], &["--out", "/dev/null"])), &["nokey.csv:1", "key column"]);
    assert!(!e.contains("duplicate key"), "{e}");
}

#[test]
fn reconcile_refuses_two_counts_of_one_record() {
    // It wrote a "match" row and a "mismatch" row for one item x location.
    let (_d, p) = files(&[("counts.csv", "item,location,counted\nSKU-100,S1,29\nSKU-200,S1,18\nSKU-100,S1,30\n")]);
    let o =
        invsync(&["reconcile", "--counts", s(&p[0]), "--events", "examples/data/events.csv", "--as-of", "2024-04-07"]);
    check_refused(&o, &["counts.csv:4", "SKU-100 at S1 is counted twice, at lines 2 and 4"]);
    assert!(o.stdout.is_empty());
}

#[test]
fn per_item_planner_errors_name_the_file_and_line() {
    // Arrivals beyond the lead time of 2 do not fit: the planner refuses the first item
    // it plans (S0/P000 on line 2: with 8 weeks of history it is a cold start, planned).
    let text = std::fs::read_to_string(super::root().join("examples/data/state.csv")).unwrap();
    let mut state = String::new();
    for (i, l) in text.lines().enumerate() {
        state.push_str(l);
        state.push_str(if i == 0 { ",arriving_3,arriving_4\n" } else { ",0,5\n" });
    }
    let (_d, p) = files(&[("state.csv", &state)]);
    let o = invsync(&plan_args(Path::new("examples/data/history.csv"), &["--state", s(&p[0]), "--out", "/dev/null"]));
    check_refused(&o, &["examples/data/history.csv:2: item S0/P000"]);
}

#[test]
fn a_full_standard_output_is_named() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    for args in [
        vec!["backtest", "--history", "examples/data/history.csv", "--windows", "1", "--scenarios", "20"],
        vec!["explain", "S1/P001", "--history", "examples/data/history.csv", "--scenarios", "20"],
        vec!["replay", "--events", "examples/data/events.csv"],
    ] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_invsync"))
            .args(&args)
            .current_dir(super::root())
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("standard output"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn threads_multiply_the_memory_budget_too() {
    // 100,000 scenarios x 223 periods (L 62 + R 100 + the default's carry-over L - 1) fits
    // one thread's budget; eight threads of it do not.
    let o = invsync(&[
        "plan",
        "--history",
        "examples/data/history.csv",
        "--lead-time",
        "62",
        "--review-period",
        "100",
        "--holding-cost",
        "1",
        "--shortage-cost",
        "1",
        "--scenarios",
        "100000",
        "--threads",
        "8",
        "--out",
        "/dev/null",
    ]);
    check_refused(&o, &["--threads 8 x 100000 scenarios", "memory budget", "at most 4 threads"]);
}

/// A run killed outright (SIGKILL) while its outputs are open leaves no temporary file
/// beside them, and every earlier output byte for byte as it was (issue 20: a
/// `.invsync-*.tmp` stayed behind, since a killed process runs no destructor). The kill
/// lands mid-write: once the process holds a file of the output directory open (seen in
/// `/proc/PID/fd`), while it plans a large history item by item.
#[cfg(target_os = "linux")]
#[test]
fn a_run_killed_mid_write_leaves_no_temporary_file() {
    use std::time::{Duration, Instant};
    let dir = scratch();
    let d = dir.path();
    // The bundled history's rows under 4,000 new keys: planning takes seconds.
    let text = std::fs::read_to_string(super::root().join("examples/data/history.csv")).unwrap();
    let mut lines = text.lines();
    let mut big = format!("{}\n", lines.next().unwrap());
    let rows: Vec<&str> = lines.map(|l| l.splitn(3, ',').nth(2).unwrap()).collect();
    for i in 0..4_000 {
        big.push_str(&format!("S{i},P{i},{}\n", rows[i % rows.len()]));
    }
    let history = d.join("history.csv");
    std::fs::write(&history, big).unwrap();
    let (out, json) = (d.join("plan.csv"), d.join("plan.json"));
    std::fs::write(&out, "an earlier plan\n").unwrap();
    std::fs::write(&json, "[]").unwrap();
    let before = snapshot(d);
    for delay in [0, 200] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_invsync"))
            .args(plan_args(&history, &["--out", s(&out), "--json", s(&json), "--threads", "1"]))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let fds = format!("/proc/{}/fd", child.id());
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let writing = std::fs::read_dir(&fds)
                .map(|es| {
                    es.flatten()
                        .filter_map(|e| std::fs::read_link(e.path()).ok())
                        .any(|p| p.starts_with(d) && p != history)
                })
                .unwrap_or(false);
            if writing {
                break;
            }
            assert!(child.try_wait().unwrap().is_none(), "the run ended before it was killed: make the history larger");
            assert!(Instant::now() < deadline, "the run never opened its outputs");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "killed mid-write, the run must not have finished ({delay} ms)");
        let after = snapshot(d);
        let names = |v: &[(PathBuf, Vec<u8>)]| -> Vec<PathBuf> { v.iter().map(|(p, _)| p.clone()).collect() };
        assert_eq!(names(&after), names(&before), "files after a kill {delay} ms into writing");
        assert!(after == before, "a file changed after a kill {delay} ms into writing");
    }
    // The next run (on a small history) writes both outputs, and leaves nothing else.
    std::fs::copy(super::root().join("examples/data/history.csv"), &history).unwrap();
    let o = invsync(&plan_args(&history, &["--out", s(&out), "--json", s(&json)]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names: Vec<_> = snapshot(d).into_iter().map(|(p, _)| p.file_name().unwrap().to_owned()).collect();
    assert_eq!(names, ["history.csv", "plan.csv", "plan.json"]);
}
