//! `invsync serve` driven as a real process over loopback with a real HTTP client (ureq):
//! every auth rule, limits and faults, concurrent exactly-once ingest, and SIGKILLs.
//!
//! `INVSYNC_SERVER_EVENTS` (default 8,000) sets the number of events of the concurrent
//! and SIGKILL tests, `INVSYNC_SERVER_KILLS` (default 3) the number of SIGKILLs; the full
//! run of issue 24 is `INVSYNC_SERVER_EVENTS=1000000 INVSYNC_SERVER_KILLS=20` (docs/server.md).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

fn sha256_hex(token: &str) -> String {
    invsync_server::hash_token(token)
}

/// A server configuration with an admin, two systems (erp, wms) and two channels (web:
/// 20 % of available, first; shop: a buffer of 2, second); `extra` is appended (limits, hub settings).
fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let text = format!(
        "admin_token_sha256 = \"{}\"\n{extra}\n\
         [[endpoint]]\nid = \"erp\"\nkind = \"erp\"\ntoken_sha256 = \"{}\"\n\
         [[endpoint]]\nid = \"wms\"\nkind = \"wms\"\ntoken_sha256 = \"{}\"\n\
         [[channel]]\nid = \"web\"\nallocation = {{ type = \"share\", basis_points = 2000 }}\ntoken_sha256 = \"{}\"\n\
         [[channel]]\nid = \"shop\"\nbuffer = 2\npriority = 1\ntoken_sha256 = \"{}\"\n",
        sha256_hex("admin-secret"),
        sha256_hex("erp-secret"),
        sha256_hex("wms-secret"),
        sha256_hex("web-secret"),
        sha256_hex("shop-secret"),
    );
    let path = dir.join("server.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A running `invsync serve`, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(dir: &Path, listen: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_invsync"))
            .args(["serve", "--store"])
            .arg(dir.join("ledger.db"))
            .arg("--config")
            .arg(dir.join("server.toml"))
            .args(["--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("invsync serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr =
            line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("no address in {line:?}")).to_owned();
        Server { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM, then waits for the process to drain and exit.
    fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// (status, JSON body or Null, Retry-After).
fn call(agent: &ureq::Agent, method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
    let (status, v, _) = call_full(agent, method, url, token, body).expect("the request completes");
    (status, v)
}

fn call_full(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, Value, Option<String>), ureq::Error> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let response = if method == "POST" {
        let mut r = agent.post(url);
        if let Some(a) = &auth {
            r = r.header("Authorization", a);
        }
        r.send(body.unwrap_or(""))?
    } else {
        let mut r = agent.get(url);
        if let Some(a) = &auth {
            r = r.header("Authorization", a);
        }
        r.call()?
    };
    let status = response.status().as_u16();
    let retry = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = response.into_body().read_to_string()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null), retry))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn event(id: &str, source: &str, item: &str, at: i64, movement: Value) -> Value {
    json!({"id": id, "source": source, "source_seq": null, "item": item, "location": "L1",
           "occurred_at": at, "recorded_at": at, "movement": movement})
}

fn receipt(qty: i64) -> Value {
    json!({"type": "receipt", "qty": qty, "to": "available", "close": false})
}

fn issue(qty: i64) -> Value {
    json!({"type": "issue", "qty": qty, "from": "available"})
}

#[test]
fn serve_auth_rules() {
    let dir = super::scratch();
    write_config(
        dir.path(),
        "[hub]\nhold_window_ms = 0\ngap_timeout_ms = 900000\nmax_snapshot_age_ms = 3600000\nsnapshot_policy = \"apply\"\nsnapshot_tolerance = 0\nlatency_target_ms = 900000\n",
    );
    let server = Server::start(dir.path(), "127.0.0.1:0");
    let a = agent();
    let t = now_ms() - 10_000;
    let erp_batch = json!([event("e1", "erp", "A", t, receipt(10))]).to_string();

    // No token, an unknown token, a malformed header: 401 on every protected route.
    let protected = [
        ("POST", "/v1/events"),
        ("POST", "/v1/snapshots"),
        ("POST", "/v1/counts"),
        ("GET", "/v1/stock/A/L1"),
        ("GET", "/v1/atp/A/L1"),
        ("GET", "/v1/channels/web/availability"),
        ("GET", "/v1/channels/web/stream"),
        ("GET", "/v1/exceptions"),
        ("GET", "/v1/kpis"),
    ];
    for (m, p) in protected {
        for token in [None, Some("wrong"), Some("")] {
            let (status, body) = call(&a, m, &server.url(p), token, Some(&erp_batch));
            assert_eq!(status, 401, "{m} {p} with {token:?}: {body}");
            assert_eq!(body["error"], "unauthorized");
        }
    }
    // Open routes.
    for p in ["/healthz", "/readyz", "/v1/openapi.json"] {
        assert_eq!(call(&a, "GET", &server.url(p), None, None).0, 200, "{p}");
    }

    // A system posts as itself; the WMS posting as the ERP is 403 and changes nothing.
    let (status, body) = call(&a, "POST", &server.url("/v1/events"), Some("erp-secret"), Some(&erp_batch));
    assert_eq!((status, body["outcomes"][0]["outcome"].as_str()), (200, Some("applied")), "{body}");
    let spoof = json!([event("w1", "erp", "A", t, receipt(5))]).to_string();
    let (status, body) = call(&a, "POST", &server.url("/v1/events"), Some("wms-secret"), Some(&spoof));
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("record 0"), "{body}");
    // Channel and admin tokens post no events or snapshots.
    for token in ["web-secret", "admin-secret"] {
        assert_eq!(call(&a, "POST", &server.url("/v1/events"), Some(token), Some(&erp_batch)).0, 403);
        assert_eq!(call(&a, "POST", &server.url("/v1/snapshots"), Some(token), Some("[]")).0, 403);
    }
    let (_, stock) = call(&a, "GET", &server.url("/v1/stock/A/L1"), Some("erp-secret"), None);
    assert_eq!(stock["on_hand"], 10, "the spoofed receipt was not applied: {stock}");

    // Channel isolation: web reads web, not shop; a system reads no channel; admin reads any.
    let web = "/v1/channels/web/availability";
    let shop = "/v1/channels/shop/availability";
    let (status, body) = call(&a, "GET", &server.url(web), Some("web-secret"), None);
    assert_eq!((status, body["availability"][0]["quantity"].as_i64()), (200, Some(2)), "20 % of 10: {body}");
    assert_eq!(call(&a, "GET", &server.url(shop), Some("web-secret"), None).0, 403);
    assert_eq!(call(&a, "GET", &server.url("/v1/channels/shop/stream"), Some("web-secret"), None).0, 403);
    assert_eq!(call(&a, "GET", &server.url(web), Some("erp-secret"), None).0, 403);
    let (status, body) = call(&a, "GET", &server.url(shop), Some("admin-secret"), None);
    assert_eq!(
        (status, body["availability"][0]["quantity"].as_i64()),
        (200, Some(8)),
        "10 less the buffer of 2: {body}"
    );
    assert_eq!(call(&a, "GET", &server.url("/v1/channels/nope/availability"), Some("admin-secret"), None).0, 404);
    // Channels read no stock.
    assert_eq!(call(&a, "GET", &server.url("/v1/stock/A/L1"), Some("web-secret"), None).0, 403);
    assert_eq!(call(&a, "GET", &server.url("/v1/atp/A/L1"), Some("web-secret"), None).0, 403);

    // Admin-only routes.
    let counts = json!({"at": t + 1, "counts": [{"item": "A", "location": "L1", "counted": 9}]}).to_string();
    for token in ["erp-secret", "web-secret"] {
        assert_eq!(call(&a, "GET", &server.url("/v1/exceptions"), Some(token), None).0, 403);
        assert_eq!(call(&a, "GET", &server.url("/v1/kpis"), Some(token), None).0, 403);
        assert_eq!(call(&a, "POST", &server.url("/v1/counts"), Some(token), Some(&counts)).0, 403);
    }
    let (status, report) = call(&a, "POST", &server.url("/v1/counts"), Some("admin-secret"), Some(&counts));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["lines"][0]["variance"], -1, "{report}");
    let (status, kpis) = call(&a, "GET", &server.url("/v1/kpis"), Some("admin-secret"), None);
    assert_eq!(status, 200);
    assert_eq!(kpis["accuracy"]["accuracy"], 0.0, "{kpis}");
    assert_eq!(call(&a, "GET", &server.url("/v1/exceptions"), Some("admin-secret"), None).0, 200);
    // A count file counting one key twice is refused whole.
    let twice = json!({"at": t + 1, "counts": [{"item": "A", "location": "L1", "counted": 9}, {"item": "A", "location": "L1", "counted": 8}]});
    let (status, body) = call(&a, "POST", &server.url("/v1/counts"), Some("admin-secret"), Some(&twice.to_string()));
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid")), "{body}");

    // A graceful stop exits 0.
    assert!(server.stop().success());
}

#[test]
fn serve_rejects_oversized_malformed_and_slow_requests() {
    let dir = super::scratch();
    write_config(
        dir.path(),
        "[limits]\nmax_body_bytes = 4096\nmax_records = 3\nheader_timeout_ms = 500\nbody_timeout_ms = 500\nrequests_per_second = 1000\nburst = 1000\nqueue_depth = 8\n",
    );
    let server = Server::start(dir.path(), "127.0.0.1:0");
    let a = agent();
    let url = server.url("/v1/events");
    let t = now_ms() - 1_000_000;

    let big = format!("[{}]", vec![event("x", "erp", "A", t, receipt(1)).to_string(); 40].join(","));
    let (status, body) = call(&a, "POST", &url, Some("erp-secret"), Some(&big));
    assert_eq!((status, body["error"].as_str()), (413, Some("too_large")), "{body}");
    let four: Vec<Value> = (0..4).map(|i| event(&format!("r{i}"), "erp", "A", t, receipt(1))).collect();
    let (status, body) = call(&a, "POST", &url, Some("erp-secret"), Some(&json!(four).to_string()));
    assert_eq!((status, body["error"].as_str()), (413, Some("too_many_records")), "{body}");

    // Malformed: the record index and the field are named; nothing is applied.
    let mut bad = event("m2", "erp", "A", t, receipt(1));
    bad["movement"]["qty"] = json!("three");
    let body_text = format!("{}\n{}\n", event("m1", "erp", "A", t, receipt(1)), bad);
    let (status, body) = call(&a, "POST", &url, Some("erp-secret"), Some(&body_text));
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["record"].as_u64(), body["field"].as_str(), body["line"].as_u64()),
        (Some(1), Some("movement"), Some(2))
    );
    let (status, body) = call(&a, "POST", &url, Some("erp-secret"), Some("[{\"id\": \"x\", "));
    assert_eq!((status, body["record"].as_u64()), (400, Some(0)), "{body}");
    let (_, stock) = call(&a, "GET", &server.url("/v1/stock/A/L1"), Some("admin-secret"), None);
    assert_eq!(stock["on_hand"], 0, "nothing of a malformed batch is applied: {stock}");

    // Slow loris: a head that never ends is cut off after the header timeout.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(started.elapsed() < Duration::from_secs(4), "the connection was closed by the server");
    // A body that never ends: 408 after the body timeout.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer erp-secret\r\nContent-Length: 100\r\n\r\n[",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");

    // The server still serves after all that.
    let ok = json!([event("ok", "erp", "A", t, receipt(1))]).to_string();
    assert_eq!(call(&a, "POST", &url, Some("erp-secret"), Some(&ok)).0, 200);
}

#[test]
fn serve_rate_limits_per_token_with_retry_after() {
    let dir = super::scratch();
    write_config(dir.path(), "[limits]\nrequests_per_second = 0.5\nburst = 2\n");
    let server = Server::start(dir.path(), "127.0.0.1:0");
    let a = agent();
    let url = server.url("/v1/kpis");
    assert_eq!(call(&a, "GET", &url, Some("admin-secret"), None).0, 200);
    assert_eq!(call(&a, "GET", &url, Some("admin-secret"), None).0, 200);
    let (status, _, retry) = call_full(&a, "GET", &url, Some("admin-secret"), None).unwrap();
    assert_eq!((status, retry.as_deref()), (429, Some("2")));
    // Another token has its own bucket.
    assert_eq!(call(&a, "GET", &server.url("/v1/stock/A/L1"), Some("erp-secret"), None).0, 200);
}

/// One client's workload: batches of 500 events (250 receipt/issue pairs over 100 items
/// of its own), times shuffled within each batch, 5 % of each batch's events sent again
/// in the next one, and every fourth pair of batches sent in reverse order. Event times
/// are offsets within their generation batch: [`push_all`] makes them absolute (the same
/// for every copy) when the batch's first event is first sent, so that the reordering
/// stays inside the hold window however long the run takes. Also the expected on hand
/// per item.
struct Workload {
    /// (generation batch, event with `occurred_at` an offset).
    batches: Vec<Vec<(usize, Value)>>,
    expected: BTreeMap<String, i64>,
    unique: usize,
}

fn workload(client: usize, events: usize, seed: u64) -> Workload {
    let mut rng = seed.wrapping_mul(6364136223846793005).wrapping_add(client as u64 * 1442695040888963407 + 1);
    let mut next = move || {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        rng >> 33
    };
    let source = if client.is_multiple_of(2) { "erp" } else { "wms" };
    let mut expected = BTreeMap::new();
    let mut batches: Vec<Vec<(usize, Value)>> = Vec::new();
    let pairs_per_batch = 250;
    let n_batches = events.div_ceil(2 * pairs_per_batch);
    for b in 0..n_batches {
        let mut batch = Vec::with_capacity(2 * pairs_per_batch + 30);
        for j in 0..pairs_per_batch {
            let item = format!("c{client}i{}", j % 100);
            let id = format!("c{client}b{b}p{j}");
            batch.push((b, event(&format!("{id}r"), source, &item, j as i64 % 5, receipt(3))));
            batch.push((b, event(&format!("{id}i"), source, &item, 5 + (j as i64 % 5), issue(1))));
            *expected.entry(item).or_insert(0) += 2;
        }
        for i in (1..batch.len()).rev() {
            batch.swap(i, next() as usize % (i + 1));
        }
        if let Some(prev) = batches.last() {
            let dups: Vec<(usize, Value)> =
                (0..prev.len() / 20).map(|_| prev[next() as usize % prev.len()].clone()).collect();
            batch.extend(dups);
        }
        batches.push(batch);
    }
    for k in (0..batches.len().saturating_sub(1)).step_by(8) {
        batches.swap(k, k + 1);
    }
    Workload { unique: n_batches * 2 * pairs_per_batch, batches, expected }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Posts every batch until it is acknowledged (retrying refused connections, 429 and 503
/// against whatever address the server has now; a retry sends the same bytes); returns
/// the outcome counts. A generation batch's events are timed `lag_ms` before the moment
/// the first of them is sent.
fn push_all(
    addr: &Mutex<String>,
    batches: &[Vec<(usize, Value)>],
    token: &str,
    lag_ms: i64,
) -> BTreeMap<String, usize> {
    let a = agent();
    let mut counts = BTreeMap::new();
    let mut bases: BTreeMap<usize, i64> = BTreeMap::new();
    for batch in batches {
        let timed: Vec<Value> = batch
            .iter()
            .map(|(g, e)| {
                let base = *bases.entry(*g).or_insert_with(|| now_ms() - lag_ms);
                let mut e = e.clone();
                let at = base + e["occurred_at"].as_i64().unwrap();
                e["occurred_at"] = json!(at);
                e["recorded_at"] = json!(at);
                e
            })
            .collect();
        let body = Value::Array(timed).to_string();
        loop {
            let url = format!("http://{}/v1/events", addr.lock().unwrap());
            match call_full(&a, "POST", &url, Some(token), Some(&body)) {
                Ok((200, v, _)) => {
                    for o in v["outcomes"].as_array().unwrap() {
                        *counts.entry(o["outcome"].as_str().unwrap().to_owned()).or_insert(0) += 1;
                        assert_ne!(o["outcome"], "rejected", "{o}");
                    }
                    break;
                }
                Ok((429 | 503, _, _)) | Err(_) => std::thread::sleep(Duration::from_millis(50)),
                Ok((status, v, _)) => panic!("unexpected {status}: {v}"),
            }
        }
    }
    counts
}

/// How far before its first sending a batch's events are timed.
const LAG: i64 = 5_000;

fn hub_config(window_ms: i64) -> String {
    format!(
        "[limits]\nrequests_per_second = 100000\nburst = 100000\n[hub]\nhold_window_ms = {window_ms}\ngap_timeout_ms = 900000\n\
         max_snapshot_age_ms = 3600000\nsnapshot_policy = \"apply\"\nsnapshot_tolerance = 0\nlatency_target_ms = 900000\n"
    )
}

/// Waits until nothing is held, then checks every item's on hand and the ledger version.
fn check_exactly_once(addr: &str, workloads: &[Workload]) {
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, kpis) = call(&a, "GET", &format!("http://{addr}/v1/kpis"), Some("admin-secret"), None);
        if kpis["held"] == 0 {
            let unique: usize = workloads.iter().map(|w| w.unique).sum();
            assert_eq!(kpis["version"].as_u64(), Some(unique as u64), "every event applied exactly once");
            break;
        }
        assert!(Instant::now() < deadline, "events still held: {kpis}");
        std::thread::sleep(Duration::from_millis(200));
    }
    for w in workloads {
        for (item, on_hand) in &w.expected {
            let (_, stock) = call(&a, "GET", &format!("http://{addr}/v1/stock/{item}/L1"), Some("admin-secret"), None);
            assert_eq!(stock["on_hand"].as_i64(), Some(*on_hand), "{item}");
        }
    }
}

#[test]
fn serve_concurrent_clients_with_duplicates_and_reordering_apply_exactly_once() {
    let dir = super::scratch();
    // A 10 s window; events timed 5 s before they are first sent: reordered by up to a
    // few batches, always inside the window.
    write_config(dir.path(), &hub_config(10_000));
    let server = Server::start(dir.path(), "127.0.0.1:0");
    let events = env_usize("INVSYNC_SERVER_EVENTS", 8_000) / 4;
    let workloads: Vec<Workload> = (0..4).map(|c| workload(c, events, 7)).collect();
    let addr = Mutex::new(server.addr.clone());
    let totals: Vec<BTreeMap<String, usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = workloads
            .iter()
            .enumerate()
            .map(|(c, w)| {
                let addr = &addr;
                s.spawn(move || {
                    push_all(addr, &w.batches, if c.is_multiple_of(2) { "erp-secret" } else { "wms-secret" }, LAG)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let dups: usize = totals.iter().map(|t| t.get("duplicate").copied().unwrap_or(0)).sum();
    let sent: usize = workloads.iter().flat_map(|w| &w.batches).map(Vec::len).sum();
    let unique: usize = workloads.iter().map(|w| w.unique).sum();
    assert_eq!(dups, sent - unique, "every redelivery is reported as a duplicate");
    check_exactly_once(&server.addr, &workloads);
    // A graceful restart rebuilds the same state from the inbox and the store.
    let addr = server.addr.clone();
    assert!(server.stop().success());
    let server = Server::start(dir.path(), &addr);
    check_exactly_once(&server.addr, &workloads);
}

#[test]
fn serve_sigkill_and_retry_lose_no_acknowledged_event_and_apply_none_twice() {
    let dir = super::scratch();
    // A 30 s window, events timed 20 s before they are first sent: batches retried across
    // restarts stay inside the window.
    write_config(dir.path(), &hub_config(30_000));
    let first = Server::start(dir.path(), "127.0.0.1:0");
    let listen = first.addr.clone();
    let addr = Arc::new(Mutex::new(first.addr.clone()));
    let server = Arc::new(Mutex::new(Some(first)));
    let events = env_usize("INVSYNC_SERVER_EVENTS", 8_000) / 4;
    let kills = env_usize("INVSYNC_SERVER_KILLS", 3);
    let workloads: Vec<Workload> = (0..4).map(|c| workload(c, events, 11)).collect();
    let mut killed = 0;
    std::thread::scope(|s| {
        let handles: Vec<_> = workloads
            .iter()
            .enumerate()
            .map(|(c, w)| {
                let addr = &addr;
                s.spawn(move || {
                    push_all(addr, &w.batches, if c.is_multiple_of(2) { "erp-secret" } else { "wms-secret" }, 20_000)
                })
            })
            .collect();
        let mut rng = 0x5eed_u64;
        while killed < kills && !handles.iter().all(|h| h.is_finished()) {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            std::thread::sleep(Duration::from_millis(100 + (rng >> 33) % 400));
            let mut guard = server.lock().unwrap();
            drop(guard.take()); // SIGKILL
            killed += 1;
            let restarted = Server::start(dir.path(), &listen);
            *addr.lock().unwrap() = restarted.addr.clone();
            *guard = Some(restarted);
        }
        for h in handles {
            h.join().unwrap();
        }
    });
    assert!(killed >= 1, "the server was killed during the load");
    let addr = addr.lock().unwrap().clone();
    check_exactly_once(&addr, &workloads);
    let unique: usize = workloads.iter().map(|w| w.unique).sum();
    println!("{unique} events from 4 clients, {killed} SIGKILLs and restarts: none lost, none applied twice");
}

/// With a certificate the server speaks HTTPS (rustls) and may listen off loopback; a
/// plain-HTTP request to it gets no answer.
#[test]
fn serve_tls_when_a_certificate_is_given() {
    use std::sync::Arc as StdArc;
    let dir = super::scratch();
    let tls = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
    let extra = format!(
        "[tls]\ncertificate = \"{}\"\nkey = \"{}\"\n",
        tls.join("cert.pem").display(),
        tls.join("key.pem").display()
    );
    write_config(dir.path(), &extra);
    let server = Server::start(dir.path(), "127.0.0.1:0");

    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(tls.join("ca.pem")).unwrap();
    let ca = rustls::pki_types::pem::PemObject::from_pem_slice(&ca).unwrap();
    roots.add(ca).unwrap();
    let provider = StdArc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https_get = |path: &str, token: &str| -> String {
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(StdArc::new(config.clone()), name).unwrap();
        let mut stream = rustls::StreamOwned::new(conn, TcpStream::connect(&server.addr).unwrap());
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    };
    assert!(https_get("/healthz", "").starts_with("HTTP/1.1 200"));
    assert!(https_get("/v1/kpis", "admin-secret").starts_with("HTTP/1.1 200"));
    assert!(https_get("/v1/kpis", "wrong").starts_with("HTTP/1.1 401"));
    // Plain HTTP to the TLS port: no HTTP answer.
    let a = agent();
    assert!(call_full(&a, "GET", &server.url("/healthz"), None, None).is_err());
}

/// A certificate that does not load stops the server at start with the file named.
#[test]
fn serve_refuses_a_missing_certificate() {
    let dir = super::scratch();
    write_config(dir.path(), "[tls]\ncertificate = \"/nonexistent/cert.pem\"\nkey = \"/nonexistent/key.pem\"\n");
    let out = Command::new(env!("CARGO_BIN_EXE_invsync"))
        .args(["serve", "--store"])
        .arg(dir.path().join("ledger.db"))
        .arg("--config")
        .arg(dir.path().join("server.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/cert.pem"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Reads `n` SSE events (id, data) from the channel's stream after `from`.
fn read_stream(server: &Server, channel: &str, token: &str, from: Option<u64>, n: usize) -> Vec<(u64, Value)> {
    let a: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut request = a
        .get(server.url(&format!("/v1/channels/{channel}/stream")))
        .header("Authorization", &format!("Bearer {token}"));
    if let Some(f) = from {
        request = request.header("Last-Event-ID", &f.to_string());
    }
    let response = request.call().unwrap();
    assert_eq!(response.status(), 200);
    let mut lines = BufReader::new(response.into_body().into_reader()).lines();
    let mut out = Vec::new();
    let mut id = None;
    while out.len() < n {
        let line = lines.next().expect("the stream goes on").unwrap();
        if let Some(v) = line.strip_prefix("id: ") {
            id = Some(v.parse().unwrap());
        } else if let Some(d) = line.strip_prefix("data: ") {
            out.push((id.take().unwrap(), serde_json::from_str(d).unwrap()));
        }
    }
    out
}

/// The publication stream: each channel sees only its own publications, in log order; a
/// reconnect with the last id seen resumes exactly after it, also across a restart.
#[test]
fn serve_publication_stream_resumes_from_the_last_id() {
    let dir = super::scratch();
    write_config(dir.path(), &hub_config(0));
    let server = Server::start(dir.path(), "127.0.0.1:0");
    let a = agent();
    let t = now_ms() - 10_000;
    let post = |server: &Server, id: &str, item: &str, qty: i64| {
        let body = json!([event(id, "erp", item, t, receipt(qty))]).to_string();
        assert_eq!(call(&a, "POST", &server.url("/v1/events"), Some("erp-secret"), Some(&body)).0, 200);
    };
    post(&server, "s1", "A", 10);
    post(&server, "s2", "B", 20);
    let first = read_stream(&server, "web", "web-secret", None, 2);
    assert_eq!(
        first.iter().map(|(_, d)| (d["item"].as_str().unwrap(), d["quantity"].as_i64().unwrap())).collect::<Vec<_>>(),
        [("A", 2), ("B", 4)]
    );
    assert!(first.iter().all(|(_, d)| d["channel"] == "web"));
    let last = first[1].0;
    // Restart, then more publications: a client resuming from `last` sees only the new one.
    let addr = server.addr.clone();
    assert!(server.stop().success());
    let server = Server::start(dir.path(), &addr);
    post(&server, "s3", "A", 10);
    let resumed = read_stream(&server, "web", "web-secret", Some(last), 1);
    assert!(resumed[0].0 > last, "{resumed:?}");
    assert_eq!(
        (resumed[0].1["item"].as_str(), resumed[0].1["quantity"].as_i64(), resumed[0].1["version"].as_u64()),
        (Some("A"), Some(4), Some(2))
    );
    // The whole log is the same after the restart.
    let again = read_stream(&server, "web", "web-secret", None, 3);
    assert_eq!(&again[..2], &first[..]);
}
