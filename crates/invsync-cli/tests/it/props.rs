//! The command line under arbitrary flag values and small arbitrary inputs: every run
//! either exits 0 with complete, valid outputs, or exits 2 with every pre-existing file
//! unchanged; never 101 (a panic), never a hang (each run has a deadline).
//!
//! `INVSYNC_CLI_CASES` sets the case count (default 64, about 2 s); `INVSYNC_CLI_TRACE=1` prints each
//! run's exit code and last message (to see what the generator reaches).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// What one run did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary with a deadline; a run past it is killed and reported as a hang.
fn run_with_deadline(args: &[String], dir: &Path, deadline: Duration) -> Result<Run, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_invsync"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Drain the pipes on threads so a chatty run cannot block on a full pipe.
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut err = child.stderr.take().ok_or("no stderr")?;
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hang: no exit within {deadline:?}: invsync {}", args.join(" ")));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Run { code: status.code(), stdout: t_out.join().unwrap_or_default(), stderr: t_err.join().unwrap_or_default() })
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap_or_default();
            (p, b)
        })
        .collect();
    v.sort();
    v
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => (0u32..20).prop_map(|v| v.to_string()),
        1 => Just(String::new()),
    ]
}

fn flag_cell() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["1", "1", "1", "0", "true", "false", ""]).prop_map(String::from)
}

/// One cell of a file replaced by something bad, in about one case in four.
fn corruption() -> impl Strategy<Value = Option<(usize, &'static str)>> {
    prop::option::weighted(
        0.25,
        (any::<usize>(), prop::sample::select(vec!["-1", "x", "1e400", "NaN", "1e20", "2.5", "maybe", "\"", "a,b"])),
    )
}

/// Small inputs: (history, long?, in-stock, state, counts, events).
#[derive(Debug, Clone)]
struct Inputs {
    history: String,
    in_stock: String,
    state: String,
    counts: String,
    events: String,
}

fn date(step: i64, k: i64) -> String {
    // 2024-01-01 plus k steps of `step` days, by hand (no date crate in the tests).
    let days = step * k;
    let mut d = 1 + days;
    let mut m = 1;
    let months = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    while d > months[(m - 1) % 12] {
        d -= months[(m - 1) % 12];
        m += 1;
    }
    format!("{}-{:02}-{:02}", 2024 + (m - 1) / 12, (m - 1) % 12 + 1, d)
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (1usize..4, 1usize..30, prop::sample::select(vec![7i64, 7, 7, 1, 14]), prop::bool::weighted(0.3))
        .prop_flat_map(|(items, periods, step, long)| {
            (
                Just((items, periods, step, long)),
                prop::collection::vec(cell(), items * periods),
                prop::collection::vec(flag_cell(), (items + 1) * periods),
                prop::collection::vec(prop::sample::select(vec!["0", "3", "12", "-1", "x", ""]), items * 3),
                0usize..6,
                prop::bool::weighted(0.2),
                corruption(),
                corruption(),
            )
        })
        .prop_map(|((items, periods, step, long), mut cells, mut flags, state, extra, dup_count, bad, bad_flag)| {
            if let Some((at, v)) = bad {
                let n = cells.len();
                cells[at % n] = v.to_owned();
            }
            if let Some((at, v)) = bad_flag {
                let n = flags.len();
                flags[at % n] = v.to_owned();
            }
            let key = |i: usize| format!("S{i},P{i}");
            let dates: Vec<String> = (0..periods as i64).map(|k| date(step, k)).collect();
            let history = if long {
                let mut s = String::from("store,product,date,quantity\n");
                for i in 0..items {
                    for (k, d) in dates.iter().enumerate() {
                        s += &format!("{},{d},{}\n", key(i), cells[i * periods + k]);
                    }
                }
                s
            } else {
                let mut s = format!("store,product,{}\n", dates.join(","));
                for i in 0..items {
                    s += &format!("{},{}\n", key(i), cells[i * periods..(i + 1) * periods].join(","));
                }
                s
            };
            // In-stock: the history's items, plus (extra == 0) an item it does not have.
            let rows = if extra == 0 { items + 1 } else { items };
            let mut in_stock = format!("store,product,{}\n", dates.join(","));
            for i in 0..rows {
                in_stock += &format!("{},{}\n", key(i), flags[i * periods..(i + 1) * periods].join(","));
            }
            // State: every item unless extra == 1 (the last is missing).
            let mut st = String::from("store,product,on_hand,arriving_1,arriving_2\n");
            for i in 0..items.saturating_sub(usize::from(extra == 1)) {
                st += &format!("{},{}\n", key(i), state[i * 3..i * 3 + 3].join(","));
            }
            let mut counts = String::from("item,location,counted\nSKU-100,DC,75\nSKU-100,S1,29\n");
            if dup_count {
                counts += "SKU-100,S1,30\n";
            }
            let mut events =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/events.csv"))
                    .unwrap();
            if extra == 2 {
                events += "bad-1,erp,99,SKU-100,DC,2024-04-09T00:00:00Z,2024-04-09T00:00:00Z,receipt,abc,available,,1,,,,,,,\n";
            }
            Inputs { history, in_stock, state: st, counts, events }
        })
}

/// A flag value: mostly ordinary, sometimes absurd.
fn value(ordinary: Vec<&'static str>) -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(ordinary).prop_map(String::from),
        1 => prop::sample::select(vec!["0", "-1", "18446744073709551615", "100001", "1e3", "x", ""]).prop_map(String::from),
    ]
}

/// Where an output goes: a fresh path, an earlier output, or an input.
fn target() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["new.out", "new.out", "old.out", "history.csv", "state.csv", "events.csv", "other.out"])
}

#[derive(Debug, Clone)]
struct Case {
    command: usize,
    inputs: Inputs,
    lead: String,
    review: String,
    scenarios: String,
    threads: String,
    windows: String,
    count_from: String,
    warmup: String,
    use_in_stock: bool,
    use_state: bool,
    strict: bool,
    out: &'static str,
    json: Option<&'static str>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0usize..5,
        inputs(),
        (value(vec!["0", "1", "2", "3"]), value(vec!["1", "2"]), value(vec!["2", "20", "100"]), value(vec!["1", "2"])),
        (value(vec!["1", "2", "3"]), value(vec!["1", "2"]), value(vec!["0", "2", "8"])),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        target(),
        prop::option::of(target()),
    )
        .prop_map(
            |(
                command,
                inputs,
                (lead, review, scenarios, threads),
                (windows, count_from, warmup),
                (i, s, strict),
                out,
                json,
            )| {
                Case {
                    command,
                    inputs,
                    lead,
                    review,
                    scenarios,
                    threads,
                    windows,
                    count_from,
                    warmup,
                    use_in_stock: i,
                    use_state: s,
                    strict,
                    out,
                    json,
                }
            },
        )
}

fn args(c: &Case) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    let mut push = |xs: &[&str]| a.extend(xs.iter().map(|x| (*x).to_owned()));
    let planner = [
        "--lead-time",
        &c.lead,
        "--review-period",
        &c.review,
        "--holding-cost",
        "0.2",
        "--shortage-cost",
        "1",
        "--scenarios",
        &c.scenarios,
    ];
    match c.command {
        0 => {
            push(&["plan", "--history", "history.csv", "--threads", &c.threads, "--out", c.out]);
            push(&planner);
            if let Some(j) = c.json {
                push(&["--json", j]);
            }
        }
        1 => {
            push(&["backtest", "--history", "history.csv", "--threads", &c.threads]);
            push(&[
                "--windows",
                &c.windows,
                "--window-periods",
                "2",
                "--count-from",
                &c.count_from,
                "--warmup",
                &c.warmup,
            ]);
            push(&planner);
            if let Some(j) = c.json {
                push(&["--json", j]);
            }
        }
        2 => {
            push(&["explain", "S0/P0", "--history", "history.csv"]);
            push(&planner);
        }
        3 => push(&[
            "reconcile",
            "--counts",
            "counts.csv",
            "--events",
            "events.csv",
            "--as-of",
            "2024-04-07",
            "--out",
            c.out,
        ]),
        _ => push(&["replay", "--events", "events.csv", "--out", c.out]),
    }
    if c.command <= 2 {
        if c.use_in_stock {
            push(&["--in-stock", "in_stock.csv"]);
        }
        if c.use_state && c.command != 1 {
            push(&["--state", "state.csv"]);
        }
        if c.strict {
            push(&["--strict"]);
        }
    }
    a
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let dir = super::scratch();
    let d = dir.path();
    let i = &c.inputs;
    for (name, text) in [
        ("history.csv", &i.history),
        ("in_stock.csv", &i.in_stock),
        ("state.csv", &i.state),
        ("counts.csv", &i.counts),
        ("events.csv", &i.events),
        ("old.out", &"an earlier output\n".to_owned()),
    ] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let args = args(c);
    let before = snapshot(d);
    let run = run_with_deadline(&args, d, Duration::from_secs(60)).map_err(TestCaseError::fail)?;
    let what = format!("invsync {}\nexit {:?}\n{}", args.join(" "), run.code, run.stderr);
    if std::env::var_os("INVSYNC_CLI_TRACE").is_some() {
        eprintln!("TRACE {:?} {} :: {}", run.code, args[0], run.stderr.lines().last().unwrap_or(""));
    }
    prop_assert!(!run.stderr.contains("panicked"), "{}", what);
    prop_assert!(
        !std::fs::read_dir(d).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp")),
        "a temporary file was left: {}",
        what
    );
    match run.code {
        Some(2) => prop_assert_eq!(snapshot(d), before, "exit 2 changed a file: {}", what),
        Some(0) => {
            let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap_or_default();
            match c.command {
                0 => {
                    let items = if i.history.lines().next().is_some_and(|h| h.contains("date")) {
                        i.history
                            .lines()
                            .skip(1)
                            .map(|l| l.split(',').take(2).collect::<Vec<_>>())
                            .collect::<std::collections::HashSet<_>>()
                            .len()
                    } else {
                        i.history.lines().count() - 1
                    };
                    let out = read(c.out);
                    prop_assert!(out.starts_with("store,product,order_qty"), "{}\n{}", what, out);
                    prop_assert_eq!(out.lines().count(), items + 1, "{}", what);
                    if let Some(j) = c.json {
                        let v: serde_json::Value =
                            serde_json::from_str(&read(j)).map_err(|e| TestCaseError::fail(format!("{e}: {what}")))?;
                        prop_assert_eq!(v.as_array().map(Vec::len), Some(items), "{}", what);
                    }
                }
                1 => {
                    prop_assert!(run.stdout.lines().any(|l| l.starts_with("total")), "{}", what);
                    prop_assert!(!run.stdout.contains("NaN"), "{}\n{}", what, run.stdout);
                    if let Some(j) = c.json {
                        let v: serde_json::Value =
                            serde_json::from_str(&read(j)).map_err(|e| TestCaseError::fail(format!("{e}: {what}")))?;
                        prop_assert!(v.is_array(), "{}", what);
                    }
                }
                2 => prop_assert!(run.stdout.starts_with("item S0/P0"), "{}", what),
                3 => prop_assert!(read(c.out).starts_with("item,location,system,counted"), "{}", what),
                _ => prop_assert!(read(c.out).starts_with("item,location,"), "{}", what),
            }
        }
        _ => prop_assert!(false, "exit neither 0 nor 2: {}", what),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("INVSYNC_CLI_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_run_exits_0_with_complete_outputs_or_2_with_nothing_touched(c in case()) {
        check(&c)?;
    }
}
