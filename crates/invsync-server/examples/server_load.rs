//! Load on `invsync serve`: sustained events/s and acknowledgement latency (p50/p99) over
//! loopback HTTP, batches of 500 from concurrent clients, every batch durable before its
//! answer. The server runs in this process (same code as `invsync serve`) on a fresh
//! store in a temporary directory.
//!
//! ```sh
//! cargo run --release -p invsync-server --example server_load -- [EVENTS] [CLIENTS] [RATE]
//! ```
//!
//! EVENTS (default 200,000) in batches of 500 from CLIENTS (default 4) threads; RATE
//! (events/s over all clients, default 0 = as fast as acknowledged) paces the clients to
//! measure latency below saturation.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use invsync_server::{ServeOptions, ServerConfig, hash_token};

const BATCH: usize = 500;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let events: usize = args.first().map_or(Ok(200_000), |s| s.parse())?;
    let clients: usize = args.get(1).map_or(Ok(4), |s| s.parse())?;
    let rate: f64 = args.get(2).map_or(Ok(0.0), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let mut text = format!(
        "admin_token_sha256 = \"{}\"\n[limits]\nrequests_per_second = 1000000\nburst = 1000000\n\
         [hub]\nhold_window_ms = 0\ngap_timeout_ms = 900000\nmax_snapshot_age_ms = 3600000\n\
         snapshot_policy = \"apply\"\nsnapshot_tolerance = 0\nlatency_target_ms = 900000\n",
        hash_token("admin")
    );
    for c in 0..clients {
        text.push_str(&format!("[[endpoint]]\nid = \"sys{c}\"\ntoken_sha256 = \"{}\"\n", hash_token(&format!("t{c}"))));
    }
    let config = ServerConfig::parse(&text, "load.toml")?;
    let options = ServeOptions { store: dir.path().join("ledger.db"), listen: Some("127.0.0.1:0".parse()?) };
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        invsync_server::serve_until(
            &config,
            &options,
            |a| {
                let _ = addr_tx.send(a);
            },
            async {
                let _ = stop_rx.await;
            },
        )
    });
    let addr = addr_rx.recv()?;
    let per_client = events / clients / BATCH;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64 - 60_000;
    // Bodies are made before the clock starts.
    let bodies: Vec<Vec<String>> = (0..clients)
        .map(|c| {
            (0..per_client)
                .map(|b| {
                    let records: Vec<String> = (0..BATCH)
                        .map(|j| {
                            format!(
                                r#"{{"id":"c{c}b{b}e{j}","source":"sys{c}","item":"I{}","location":"L{c}","occurred_at":{now},"recorded_at":{now},"movement":{{"type":"receipt","qty":1,"to":"available","close":false}}}}"#,
                                j % 1000
                            )
                        })
                        .collect();
                    format!("[{}]", records.join(","))
                })
                .collect()
        })
        .collect();
    let interval =
        if rate > 0.0 { Duration::from_secs_f64(BATCH as f64 * clients as f64 / rate) } else { Duration::ZERO };
    let started = Instant::now();
    let mut latencies: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = bodies
            .iter()
            .enumerate()
            .map(|(c, bodies)| {
                s.spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                    let url = format!("http://{addr}/v1/events");
                    let auth = format!("Bearer t{c}");
                    let mut lat = Vec::with_capacity(bodies.len());
                    let t0 = Instant::now();
                    for (b, body) in bodies.iter().enumerate() {
                        let due = t0 + interval * b as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let sent = Instant::now();
                        let status = loop {
                            let r = agent.post(&url).header("Authorization", &auth).send(body.as_str());
                            match r {
                                Ok(mut resp) if resp.status() == 429 => {
                                    let _ = resp.body_mut().read_to_string();
                                    std::thread::sleep(Duration::from_millis(5));
                                }
                                Ok(mut resp) => {
                                    let _ = resp.body_mut().read_to_string();
                                    break resp.status().as_u16();
                                }
                                Err(e) => panic!("request failed: {e}"),
                            }
                        };
                        assert_eq!(status, 200);
                        lat.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    lat
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    server.join().map_err(|_| "server thread panicked")??;
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    let sent = latencies.len() * BATCH;
    println!(
        "server_load: {sent} events in {} batches of {BATCH} from {clients} clients{}: {:.0} events/s; ack latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        if rate > 0.0 { format!(" paced at {rate:.0} events/s") } else { String::new() },
        sent as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        latencies.last().copied().unwrap_or(0.0),
    );
    Ok(())
}
