//! The routes.

// Handlers return an early `Response` as the error of their checks, once per request:
// boxing it would cost an allocation on the error path for nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::stream::Stream;
use http_body_util::BodyExt;
use invsync_core::{ItemId, LocationId, SourceId, Timestamp};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::auth::{Principal, Tokens};
use crate::config::Limits;
use crate::durable::Kind;
use crate::engine::{Command, Engine, Parsed, Reply};
use crate::parse;

/// Every route: method and path, as the router has them (the OpenAPI document lists the
/// same, a test checks it).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/v1/openapi.json"),
    ("post", "/v1/events"),
    ("post", "/v1/snapshots"),
    ("post", "/v1/counts"),
    ("get", "/v1/stock/{item}/{location}"),
    ("get", "/v1/atp/{item}/{location}"),
    ("get", "/v1/channels/{channel}/availability"),
    ("get", "/v1/channels/{channel}/stream"),
    ("get", "/v1/exceptions"),
    ("get", "/v1/kpis"),
];

/// The OpenAPI document (checked in as `openapi.json`).
pub const OPENAPI: &str = include_str!("../openapi.json");

pub(crate) struct App {
    pub(crate) engine: Arc<Engine>,
    pub(crate) tokens: Tokens,
    pub(crate) limits: Limits,
    pub(crate) tx: mpsc::Sender<Command>,
    pub(crate) channels: Vec<SourceId>,
    /// Set at shutdown: the streams end.
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

type Shared = Arc<App>;

impl App {
    pub(crate) fn new(
        engine: Arc<Engine>,
        tokens: Tokens,
        limits: Limits,
        tx: mpsc::Sender<Command>,
        channels: Vec<SourceId>,
    ) -> App {
        App {
            engine,
            tokens,
            limits,
            tx,
            channels,
            stopping: tokio::sync::watch::channel(false).0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `who`'s token bucket; `Err(seconds)` to wait when empty.
    fn rate(&self, who: &str) -> Result<(), u64> {
        let rate = self.limits.requests_per_second;
        let burst = f64::from(self.limits.burst);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = buckets.entry(who.to_owned()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// The router.
pub(crate) fn router(app: Shared) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/events", post(post_events))
        .route("/v1/snapshots", post(post_snapshots))
        .route("/v1/counts", post(post_counts))
        .route("/v1/stock/{item}/{location}", get(stock))
        .route("/v1/atp/{item}/{location}", get(atp))
        .route("/v1/channels/{channel}/availability", get(availability))
        .route("/v1/channels/{channel}/stream", get(stream))
        .route("/v1/exceptions", get(exceptions))
        .route("/v1/kpis", get(kpis))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .with_state(app)
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": code, "message": message.into() }))).into_response()
}

fn too_many(code: &str, message: &str, retry_after: u64) -> Response {
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, code, message);
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

async fn readyz(State(app): State<Shared>) -> Response {
    if app.engine.poisoned.load(Ordering::SeqCst) {
        error(StatusCode::SERVICE_UNAVAILABLE, "poisoned", "the storage failed; restart the server")
    } else {
        "ready".into_response()
    }
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Who sent the request, after the rate limit. 401 without a valid token, 429 beyond the
/// token's rate.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<Principal, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(principal) = token.and_then(|t| app.tokens.lookup(t)) else {
        let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required");
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Err(r);
    };
    app.rate(&principal.label()).map_err(|wait| too_many("rate_limited", "too many requests for this token", wait))?;
    Ok(principal)
}

fn forbidden(message: impl Into<String>) -> Response {
    error(StatusCode::FORBIDDEN, "forbidden", message)
}

/// Reads the body within the size and time limits.
async fn read_body(app: &App, body: Body) -> Result<Vec<u8>, Response> {
    let limited = http_body_util::Limited::new(body, app.limits.max_body_bytes);
    let timeout = Duration::from_millis(app.limits.body_timeout_ms);
    match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => Err(error(StatusCode::REQUEST_TIMEOUT, "body_timeout", "the request body did not arrive in time")),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is larger than {} bytes", app.limits.max_body_bytes),
        )),
        Ok(Err(e)) => Err(error(StatusCode::BAD_REQUEST, "bad_body", e.to_string())),
        Ok(Ok(c)) => Ok(c.to_bytes().to_vec()),
    }
}

fn malformed(e: &parse::RecordError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({
            "error": "malformed", "message": e.to_string(), "record": e.record, "field": e.field,
            "line": e.line, "column": e.column,
        })),
    )
        .into_response()
}

/// Queues a command for the writer and waits for its (committed) reply.
async fn submit(app: &App, kind: Kind, principal: String, body: Vec<u8>, parsed: Parsed) -> Result<Reply, Response> {
    if app.engine.poisoned.load(Ordering::SeqCst) {
        return Err(error(StatusCode::SERVICE_UNAVAILABLE, "poisoned", "the storage failed; restart the server"));
    }
    let (tx, rx) = oneshot::channel();
    let command = Command { kind, principal, body, parsed, reply: Some(tx) };
    if let Err(e) = app.tx.try_send(command) {
        return Err(match e {
            mpsc::error::TrySendError::Full(_) => too_many("queue_full", "the ingest queue is full", 1),
            mpsc::error::TrySendError::Closed(_) => {
                error(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the server is shutting down")
            }
        });
    }
    match rx.await {
        Ok(Reply::Unavailable(m)) => Err(error(StatusCode::SERVICE_UNAVAILABLE, "storage", m)),
        Ok(r) => Ok(r),
        Err(_) => Err(error(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the server stopped")),
    }
}

fn too_many_records(app: &App, n: usize) -> Option<Response> {
    (n > app.limits.max_records).then(|| {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_records",
            format!("{n} records, more than the limit of {}", app.limits.max_records),
        )
    })
}

/// Authenticates a connected system's request and reads its body: what every posting
/// route of a system does first (401 / 403 / 413 / 408 answered here).
async fn endpoint_request(app: &App, request: Request, what: &str) -> Result<(SourceId, Vec<u8>), Response> {
    let (parts, body) = request.into_parts();
    let Principal::Endpoint(endpoint) = authenticate(app, &parts.headers)? else {
        return Err(forbidden(format!("only a connected system's token may post {what}")));
    };
    Ok((endpoint, read_body(app, body).await?))
}

async fn post_events(State(app): State<Shared>, request: Request) -> Response {
    let (endpoint, body) = match endpoint_request(&app, request, "events").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let events = match parse::events(&body) {
        Ok(e) => e,
        Err(e) => return malformed(&e),
    };
    if let Some(r) = too_many_records(&app, events.len()) {
        return r;
    }
    if let Some((i, e)) = events.iter().enumerate().find(|(_, e)| e.source != endpoint) {
        return forbidden(format!("record {i}: the token of endpoint {endpoint} cannot post as source {}", e.source));
    }
    let n = events.len();
    match submit(&app, Kind::Events, endpoint.to_string(), body, Parsed::Events(events)).await {
        Ok(Reply::Events { version, outcomes }) => {
            tracing::debug!(endpoint = %endpoint, events = n, version, "events acknowledged");
            axum::Json(json!({ "version": version, "outcomes": outcomes })).into_response()
        }
        Ok(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected reply"),
        Err(r) => r,
    }
}

async fn post_snapshots(State(app): State<Shared>, request: Request) -> Response {
    let (endpoint, body) = match endpoint_request(&app, request, "snapshots").await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let snapshots = match parse::records(&body) {
        Ok(s) => s,
        Err(e) => return malformed(&e),
    };
    if let Some(r) = too_many_records(&app, snapshots.len()) {
        return r;
    }
    match submit(&app, Kind::Snapshots, endpoint.to_string(), body, Parsed::Snapshots(snapshots)).await {
        Ok(Reply::Snapshots { version, outcomes }) => {
            axum::Json(json!({ "version": version, "outcomes": outcomes })).into_response()
        }
        Ok(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected reply"),
        Err(r) => r,
    }
}

async fn post_counts(State(app): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    match authenticate(&app, &parts.headers) {
        Ok(Principal::Admin) => {}
        Ok(_) => return forbidden("counts are for the admin token"),
        Err(r) => return r,
    }
    let body = match read_body(&app, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let counts = match parse::object(&body) {
        Ok(c) => c,
        Err(e) => return malformed(&e),
    };
    match submit(&app, Kind::Counts, String::new(), body, Parsed::Counts(counts)).await {
        Ok(Reply::Counts(report)) => axum::Json(report).into_response(),
        Ok(Reply::Invalid(m)) => error(StatusCode::BAD_REQUEST, "invalid", m),
        Ok(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "unexpected reply"),
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
struct AsOf {
    as_of: Option<i64>,
}

fn key(item: &str, location: &str) -> Result<(ItemId, LocationId), Response> {
    let item = ItemId::new(item).map_err(|e| error(StatusCode::BAD_REQUEST, "bad_item", e.to_string()))?;
    let location =
        LocationId::new(location).map_err(|e| error(StatusCode::BAD_REQUEST, "bad_location", e.to_string()))?;
    Ok((item, location))
}

/// Stock and ATP are for systems and the admin, not for channels.
fn reader(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    match authenticate(app, headers)? {
        Principal::Channel(_) => Err(forbidden("a channel token reads only its channel's availability")),
        _ => Ok(()),
    }
}

async fn stock(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((item, location)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Response {
    if let Err(r) = reader(&app, &headers) {
        return r;
    }
    let (item, location) = match key(&item, &location) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let state = app.engine.state.read().unwrap_or_else(|p| p.into_inner());
    let ledger = state.hub.ledger();
    let levels = match q.as_of {
        Some(t) => ledger.levels_at(&item, &location, Timestamp::from_millis(t)),
        None => ledger.levels(&item, &location),
    };
    axum::Json(json!({
        "item": item, "location": location, "as_of": q.as_of, "version": state.hub.version(),
        "on_hand": levels.on_hand(), "levels": levels,
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct AtpQuery {
    /// Bucket ends, comma-separated ms since the epoch.
    ends: Option<String>,
}

async fn atp(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path((item, location)): Path<(String, String)>,
    Query(q): Query<AtpQuery>,
) -> Response {
    if let Err(r) = reader(&app, &headers) {
        return r;
    }
    let (item, location) = match key(&item, &location) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut ends = Vec::new();
    for (i, s) in q.ends.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()).enumerate() {
        match s.trim().parse::<i64>() {
            Ok(t) => ends.push(Timestamp::from_millis(t)),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    format!("ends[{i}]: {s:?} is not ms since the epoch"),
                );
            }
        }
    }
    let state = app.engine.state.read().unwrap_or_else(|p| p.into_inner());
    if ends.is_empty() {
        ends.push(Timestamp::from_millis(state.clock.max(0)));
    }
    match state.hub.ledger().atp(&item, &location, &ends) {
        Ok(buckets) => axum::Json(json!({ "item": item, "location": location, "buckets": buckets })).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, "bad_query", e.to_string()),
    }
}

/// Authenticates, then: a channel token reads only its own channel, the admin any, a
/// system none (403); an unknown channel is 404 (after authentication, so that channel
/// names are not given away).
fn channel_reader(app: &App, headers: &HeaderMap, channel: &str) -> Result<SourceId, Response> {
    let principal = authenticate(app, headers)?;
    let id = SourceId::new(channel).map_err(|e| error(StatusCode::BAD_REQUEST, "bad_channel", e.to_string()))?;
    match principal {
        Principal::Channel(c) if c != id => return Err(forbidden("a channel token reads only its own channel")),
        Principal::Endpoint(_) => return Err(forbidden("channel availability is for the channel and the admin")),
        _ => {}
    }
    if app.channels.contains(&id) {
        Ok(id)
    } else {
        Err(error(StatusCode::NOT_FOUND, "unknown_channel", format!("no channel {id}")))
    }
}

async fn availability(State(app): State<Shared>, headers: HeaderMap, Path(channel): Path<String>) -> Response {
    let channel = match channel_reader(&app, &headers, &channel) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let state = app.engine.state.read().unwrap_or_else(|p| p.into_inner());
    let lines: Vec<_> = state
        .availability
        .get(&channel)
        .into_iter()
        .flatten()
        .map(|((item, location), (quantity, version))| {
            json!({ "item": item, "location": location, "quantity": quantity, "version": version })
        })
        .collect();
    axum::Json(json!({
        "channel": channel, "publication_seq": state.publications.len(), "availability": lines,
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct From {
    from: Option<u64>,
}

/// Server-Sent Events of the channel's publications after `from` (or `Last-Event-ID`):
/// each event's id is its position in the publication log, so a client that reconnects
/// with the last id it saw misses nothing and sees nothing twice.
async fn stream(
    State(app): State<Shared>,
    headers: HeaderMap,
    Path(channel): Path<String>,
    Query(q): Query<From>,
) -> Response {
    let channel = match channel_reader(&app, &headers, &channel) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let from = last.or(q.from).unwrap_or(0);
    Sse::new(publications(app, channel, from)).keep_alive(KeepAlive::default()).into_response()
}

fn publications(app: Shared, channel: SourceId, from: u64) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let rx = app.engine.published.subscribe();
    let stop = app.stopping.subscribe();
    let init = (Vec::<SseEvent>::new(), rx, stop, from, app, channel);
    futures_util::stream::unfold(init, |(mut pending, mut rx, mut stop, mut from, app, channel)| async move {
        loop {
            if *stop.borrow_and_update() {
                return None;
            }
            if let Some(e) = pending.pop() {
                return Some((Ok(e), (pending, rx, stop, from, app, channel)));
            }
            {
                // Mark the current count seen before reading, so a publication logged
                // after this read wakes the wait below.
                rx.borrow_and_update();
                let state = app.engine.state.read().unwrap_or_else(|p| p.into_inner());
                let start = usize::try_from(from).unwrap_or(usize::MAX).min(state.publications.len());
                pending = state.publications[start..]
                    .iter()
                    .rev()
                    .filter(|p| p.publication.channel == channel)
                    .map(|p| {
                        SseEvent::default()
                            .id(p.seq.to_string())
                            .event("publication")
                            .data(serde_json::to_string(p).unwrap_or_default())
                    })
                    .collect();
                from = state.publications.len() as u64;
            }
            if pending.is_empty() {
                tokio::select! {
                    r = rx.changed() => if r.is_err() { return None },
                    _ = stop.changed() => return None,
                }
            }
        }
    })
}

async fn exceptions(State(app): State<Shared>, headers: HeaderMap) -> Response {
    match authenticate(&app, &headers) {
        Ok(Principal::Admin) => {}
        Ok(_) => return forbidden("exceptions are for the admin token"),
        Err(r) => return r,
    }
    let state = app.engine.state.read().unwrap_or_else(|p| p.into_inner());
    axum::Json(json!({ "exceptions": state.hub.exceptions() })).into_response()
}

async fn kpis(State(app): State<Shared>, headers: HeaderMap) -> Response {
    match authenticate(&app, &headers) {
        Ok(Principal::Admin) => {}
        Ok(_) => return forbidden("KPIs are for the admin token"),
        Err(r) => return r,
    }
    let state = app.engine.state.read().unwrap_or_else(|p| p.into_inner());
    let latency = state.hub.latency();
    let target = state.hub.config().latency_target_ms;
    let per_endpoint: Vec<_> =
        latency.per_endpoint.iter().map(|(id, s)| json!({ "endpoint": id, "latency": s })).collect();
    axum::Json(json!({
        "version": state.hub.version(),
        "held": state.hub.held(),
        "latency_target_ms": target,
        "per_endpoint": per_endpoint,
        "reflected": latency.reflected,
        "accuracy_target": 0.98,
        "accuracy": state.last_accuracy.map(|(at, a)| json!({ "at": at, "accuracy": a, "meets_target": a >= 0.98 })),
    }))
    .into_response()
}
