//! "Any bytes never panic", for every reader: each harness of `invsync_fuzz` on arbitrary
//! bytes and on mutations of its committed seed input (`fuzz/seeds/`, which it accepts:
//! tested), so the fuzzing gets past the header.
//!
//! `INVSYNC_FUZZ_CASES` sets the number of cases per property (default 64; the figures in
//! docs/reliability.md use 2,000).

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("INVSYNC_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

/// The committed seed input of `target` (`fuzz/seeds/<target>.*`), to mutate.
fn seed(target: &str) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_stem().is_some_and(|s| s == target))
        .unwrap_or_else(|| panic!("no seed file for {target}"));
    std::fs::read(path).unwrap()
}

/// Tokens that tend to break parsers and arithmetic.
const TOKENS: &[&str] = &[
    "",
    ",",
    "\n",
    "\r\n",
    "\"",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1",
    "0",
    "-0",
    "1e12",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "0.0000001",
    "\u{feff}",
    "\0",
    "ä",
    "2024-02-30",
    "9999-12-31",
    "0000-01-01",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "true",
    "1e-320",
];

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, usize),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec(
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
            (any::<usize>(), 0..TOKENS.len()).prop_map(|(i, t)| Edit::Insert(i, t)),
            (any::<usize>(), 1usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
            (any::<usize>(), 1usize..200).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        ],
        1..8,
    )
}

fn mutate(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match *e {
            Edit::Flip(i, b) if !bytes.is_empty() => {
                let n = bytes.len();
                bytes[i % n] = b;
            }
            Edit::Flip(..) => {}
            Edit::Insert(i, t) => {
                let p = at(i, bytes.len());
                bytes.splice(p..p, TOKENS[t].bytes());
            }
            Edit::Delete(i, n) => {
                let p = at(i, bytes.len());
                let end = (p + n).min(bytes.len());
                bytes.drain(p..end);
            }
            Edit::Duplicate(i, n) => {
                let p = at(i, bytes.len());
                let end = (p + n).min(bytes.len());
                let chunk = bytes[p..end].to_vec();
                bytes.splice(p..p, chunk);
            }
        }
    }
    bytes
}

fn run(target: &str, bytes: &[u8]) {
    let (_, f) = invsync_fuzz::TARGETS.iter().find(|(n, _)| *n == target).unwrap();
    let _ = f(bytes);
}

macro_rules! fuzz_props {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use super::*;
                proptest! {
                    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]
                    #[test]
                    fn any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                        run(stringify!($name), &bytes);
                    }
                    #[test]
                    fn mutated_valid_input(edits in edits()) {
                        run(stringify!($name), &mutate(seed(stringify!($name)), &edits));
                    }
                }
            }
        )*

        #[test]
        fn every_target_is_covered() {
            let covered = [$(stringify!($name)),*];
            for (name, _) in invsync_fuzz::TARGETS {
                assert!(covered.contains(name), "{name} has no property");
            }
        }
    };
}

fuzz_props!(
    csv_events,
    csv_history_wide,
    csv_history_long,
    csv_in_stock,
    csv_state,
    csv_counts,
    json_event,
    json_journal,
    json_plan_config,
    json_ledger_config,
);

#[test]
fn seeds_are_valid_inputs() {
    // The mutations start from inputs the readers accept, so they explore past the header.
    for (name, f) in invsync_fuzz::TARGETS {
        assert!(f(&seed(name)) > 0, "{name}: the seed is not accepted");
    }
}

/// Every input a fuzzer ever crashed on (`fuzz/regressions/<target>-<what>.*`) runs clean.
#[test]
fn past_crashes_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut n = 0;
    for path in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (_, f) = invsync_fuzz::TARGETS
            .iter()
            .find(|(t, _)| name.starts_with(&format!("{t}-")))
            .unwrap_or_else(|| panic!("{name}: no target prefix"));
        let _ = f(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0);
}
