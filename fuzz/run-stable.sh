#!/usr/bin/env bash
# Coverage-guided fuzzing of every harness with libFuzzer on the *stable* toolchain
# (sanitizer-coverage instrumentation through LLVM flags; no address sanitizer).
# Usage: bash fuzz/run-stable.sh [SECONDS_PER_TARGET] [TARGET...]
# With cargo-fuzz and nightly instead: cargo +nightly fuzz run --fuzz-dir fuzz/libfuzzer TARGET
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csv_events csv_history_wide csv_history_long csv_in_stock csv_state csv_counts json_event json_journal json_plan_config json_ledger_config)
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps the flags off build scripts and proc macros.
triple=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --locked --manifest-path fuzz/libfuzzer/Cargo.toml --bins --target-dir target/fuzz --target "$triple"
for t in "${targets[@]}"; do
    corpus=target/fuzz/corpus/$t
    mkdir -p "$corpus" target/fuzz/artifacts
    cp fuzz/seeds/"$t".* "$corpus"/ 2>/dev/null || true
    echo "== $t ($secs s)"
    target/fuzz/"$triple"/release/"$t" "$corpus" -max_total_time="$secs" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix=target/fuzz/artifacts/"$t"- -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==|INFO: Running|Done|SUMMARY|.*ERROR|.*panicked)" || true
done
