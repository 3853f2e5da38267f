//! Writes the bundled sample data in `examples/data/` (or the directory given) from a
//! fixed seed, so the README's main job runs on a fresh checkout and anyone can regenerate
//! the files bit for bit. CI regenerates them and compares.
//!
//! ```text
//! cargo run --example generate_sample_data [-- DIR [ITEMS]]
//! ```
//!
//! Items cover every demand class (smooth, erratic, intermittent, lumpy, all zero) and
//! every cascade level (launched late, so their first periods are empty: level 0 with
//! under 11 known weeks, level 1 under 22, level 2 under 41, level 3 beyond), some with
//! yearly seasonality and stock-outs (censored weeks). Files: `history.csv` (wide),
//! `history_long.csv` (the same, long), `in_stock.csv`, `state.csv`.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::PathBuf;

use invsync::Timestamp;
use invsync::demand::Calendar;
use invsync::rng::seed_for;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};

/// A uniform `f64` in `[0, 1)`, as `invsync::rng::ItemStream::unit_f64` draws it.
fn unit_f64(r: &mut ChaCha8Rng) -> f64 {
    (r.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

const WEEKS: usize = 156;

#[derive(Clone, Copy)]
enum Class {
    Smooth,
    Erratic,
    Intermittent,
    Lumpy,
    Zero,
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "examples/data".into()));
    let items: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    fs::create_dir_all(&dir)?;
    let start = Timestamp::from_date(2021, 4, 12).expect("a valid date");
    let dates: Vec<String> =
        (0..WEEKS).map(|t| Calendar::Week.period_start(start, t as i64).to_string()[..10].to_owned()).collect();

    // Files are streamed, so a million items take no more memory than forty.
    let file = |name: &str| fs::File::create(dir.join(name)).map(io::BufWriter::new);
    let (mut wide, mut flags) = (file("history.csv")?, file("in_stock.csv")?);
    let (mut long, mut state) = (file("history_long.csv")?, file("state.csv")?);
    let header = format!("store,product,{}\n", dates.join(","));
    wide.write_all(header.as_bytes())?;
    flags.write_all(header.as_bytes())?;
    long.write_all(b"store,product,date,quantity,in_stock\n")?;
    state.write_all(b"store,product,on_hand,arriving_1,arriving_2\n")?;
    let classes = [Class::Smooth, Class::Erratic, Class::Intermittent, Class::Lumpy];
    for i in 0..items {
        let (store, product) = (format!("S{}", i % 3), format!("P{:03}", i));
        // The item's stream (`invsync::rng::stream`) as a `rand` generator, for rand_distr.
        let mut r = ChaCha8Rng::from_seed(seed_for(2026, &format!("{store}/{product}")));
        let class = if i == items - 1 { Class::Zero } else { classes[i % 4] };
        // Launch week: most items have the full history; some start late (lower levels).
        let launch = match i % 10 {
            0 => WEEKS - 8,  // level 0
            1 => WEEKS - 18, // level 1
            2 => WEEKS - 34, // level 2
            _ => 0,
        };
        let seasonal = i % 5 == 3;
        let level = 2.0 + 30.0 * unit_f64(&mut r);
        let mut row = format!("{store},{product}");
        let mut frow = row.clone();
        for (t, date) in dates.iter().enumerate() {
            if t < launch {
                row.push(',');
                frow.push(',');
                continue;
            }
            let season = if seasonal { 1.0 + 0.5 * (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin() } else { 1.0 };
            let mean = level * season;
            let d = match class {
                Class::Smooth => Poisson::new(mean).map_or(0.0, |p| p.sample(&mut r)),
                Class::Erratic => Gamma::new(0.8f64, mean / 0.8).map_or(0.0, |g| g.sample(&mut r)).round(),
                Class::Intermittent => {
                    if unit_f64(&mut r) < 0.25 {
                        3.0 + (unit_f64(&mut r) * 3.0).floor()
                    } else {
                        0.0
                    }
                }
                Class::Lumpy => {
                    if unit_f64(&mut r) < 0.2 {
                        Gamma::new(0.7f64, 15.0).map_or(0.0, |g| g.sample(&mut r)).round().max(1.0)
                    } else {
                        0.0
                    }
                }
                Class::Zero => 0.0,
            };
            // One item in six has stock-outs: sales are cut to a fraction of demand.
            let out = i % 6 == 5 && unit_f64(&mut r) < 0.12;
            let sales = if out { (d * 0.3).floor() } else { d };
            write!(row, ",{sales}").ok();
            write!(frow, ",{}", if out { "False" } else { "True" }).ok();
            writeln!(long, "{store},{product},{date},{sales},{}", if out { "false" } else { "true" })?;
        }
        writeln!(wide, "{row}")?;
        writeln!(flags, "{frow}")?;
        let on_hand = (level * unit_f64(&mut r) * 2.0).round();
        writeln!(state, "{store},{product},{on_hand},{},{}", (level * 0.5).round(), 0)?;
    }
    for mut f in [wide, flags, long, state] {
        f.flush()?;
    }
    eprintln!("wrote {items} items to {}", dir.display());
    Ok(())
}
