//! The whole path `invsync plan` runs, in one thread: parse a wide history, its in-stock
//! flags and the stock state (CSV bytes in memory), pool seasonal indices over the items
//! (`PlanConfig::default().for_batch`, as the command without `--profile`), plan every item
//! and write the plan CSV. Beside it, in the same group, the planning alone and the reading
//! and writing alone, so their shares of the path are measured in one run.
//!
//! ```text
//! cargo bench --features csv --bench cli_path                              # 256 synthetic items
//! INVSYNC_VN2X20=/tmp/vn2x20 cargo bench --features csv --bench cli_path   # VN2 x 20, 11,980 items
//! ```
//!
//! `INVSYNC_VN2X20` names a directory written by `../shared/peers/vn2x20.py` (`sales.csv`,
//! `instock.csv`, `state.csv`). Without it the bench makes a small VN2-shaped set (the
//! variant CI runs once): 156 weekly periods, levels 5..45, about 5 % of the weeks out of
//! stock, 3 on hand and 1 arriving in each of the two lead-time periods.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invsync::csv::{HistoryReaderBuilder, InStockRecord, Key, PlanWriter, align_in_stock};
use invsync::demand::DemandHistory;
use invsync::plan::{ItemInput, PlanConfig, plan_item};
use invsync::policy::StockPosition;

mod common;

/// The three input files' bytes.
struct Files {
    sales: Vec<u8>,
    in_stock: Vec<u8>,
    state: Vec<u8>,
}

fn synthetic(items: usize) -> Files {
    let mut rng = common::SplitMix::new(21);
    let start = invsync::Timestamp::from_date(2021, 4, 12).expect("a valid date");
    let dates: Vec<String> = (0..156)
        .map(|i| {
            let (y, m, d) = invsync::Timestamp::from_days(start.days() + i * 7).to_date();
            format!("{y}-{m:02}-{d:02}")
        })
        .collect();
    let header = format!("Store,Product,{}\n", dates.join(","));
    let (mut sales, mut in_stock) = (header.clone(), header);
    let mut state = String::from("Store,Product,on_hand,arriving_1,arriving_2\n");
    for i in 0..items {
        let level = 5 + rng.below(40) as i64;
        let (store, product) = (i % 97, i);
        write!(sales, "{store},{product}").unwrap();
        write!(in_stock, "{store},{product}").unwrap();
        for _ in 0..156 {
            let v = (level + rng.below(21) as i64 - 10).max(0);
            write!(sales, ",{v}").unwrap();
            in_stock.push_str(if rng.below(20) == 0 { ",False" } else { ",True" });
        }
        sales.push('\n');
        in_stock.push('\n');
        writeln!(state, "{store},{product},3,1,1").unwrap();
    }
    Files { sales: sales.into_bytes(), in_stock: in_stock.into_bytes(), state: state.into_bytes() }
}

fn files() -> Files {
    match std::env::var_os("INVSYNC_VN2X20") {
        Some(dir) => {
            let read = |name: &str| {
                let path = std::path::Path::new(&dir).join(name);
                std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            };
            Files { sales: read("sales.csv"), in_stock: read("instock.csv"), state: read("state.csv") }
        }
        None => synthetic(256),
    }
}

/// Items with their flags applied and positions, in file order, and the key column names.
fn read(files: &Files) -> (Vec<(Key, DemandHistory, StockPosition)>, Vec<String>) {
    let b = HistoryReaderBuilder::new();
    let reader = b.wide(&files.sales[..]).unwrap();
    let names = reader.key_names();
    let mut flags: HashMap<Key, InStockRecord> =
        b.in_stock(&files.in_stock[..]).unwrap().map(|r| r.unwrap()).map(|r| (r.key.clone(), r)).collect();
    let state: HashMap<Key, StockPosition> =
        b.state(&files.state[..], &names).unwrap().map(|r| r.unwrap()).map(|r| (r.key, r.position)).collect();
    let items = reader
        .map(|r| {
            let r = r.unwrap();
            let history = match flags.remove(&r.key) {
                Some(f) => align_in_stock(&r.history, &f, None).unwrap().history,
                None => r.history,
            };
            let position = state.get(&r.key).cloned().unwrap_or_else(StockPosition::empty);
            (r.key, history, position)
        })
        .collect();
    (items, names)
}

/// Plans every item (one thread) and writes the plan CSV; its length.
fn plan_and_write(items: &[(Key, DemandHistory, StockPosition)], names: &[String], write: bool) -> usize {
    let config = PlanConfig::default().for_batch(items.iter().map(|(_, h, _)| h));
    let mut out = Vec::new();
    let mut writer = PlanWriter::new(&mut out, names).unwrap();
    for (key, h, p) in items {
        let text = invsync::csv::key_text(key);
        let plan = plan_item(&ItemInput::new(&text, h, p.clone()), &config).unwrap();
        if write {
            writer.write(key, &plan).unwrap();
        }
    }
    writer.flush().unwrap();
    drop(writer);
    out.len()
}

fn bench(c: &mut Criterion) {
    let files = files();
    let (items, names) = read(&files);
    let n = items.len() as u64;
    let mut g = c.benchmark_group("cli_path");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("read_plan_write", |b| {
        b.iter(|| {
            let (items, names) = read(black_box(&files));
            black_box(plan_and_write(&items, &names, true))
        })
    });
    g.bench_function("plan_only", |b| b.iter(|| black_box(plan_and_write(&items, &names, false))));
    g.bench_function("read_only", |b| b.iter(|| black_box(read(black_box(&files)).0.len())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
