//! # invsync-server
//!
//! The invsync ledger as an HTTP service: connected systems post events and snapshots
//! with their own bearer tokens, sales channels read their availability (and follow it as
//! a Server-Sent Events stream), the admin reads exceptions and KPIs and posts counts.
//! It is a thin adapter over the core's [`Hub`](invsync_core::sync::Hub) and the store:
//! one writer thread owns the hub, journals each group of requests in one commit and
//! acknowledges them only after it. See docs/server.md for the API and the guarantees.
//!
//! ```no_run
//! use invsync_server::{ServeOptions, ServerConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ServerConfig::load("server.toml".as_ref())?;
//! let options = ServeOptions { store: "ledger.db".into(), listen: None };
//! invsync_server::serve(&config, &options, |addr| println!("listening on {addr}"))?;
//! # Ok(()) }
//! ```
//!
//! A token's hash for the configuration is [`hash_token`]:
//!
//! ```
//! let hash = invsync_server::hash_token("a long random token");
//! assert_eq!(hash.len(), 64);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod config;
mod durable;
mod engine;
mod http;
mod parse;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use auth::{Principal, hash_token};
pub use config::{ChannelConfig, ConfigError, EndpointConfig, Limits, ServerConfig, TlsConfig};
pub use durable::StorageError;
pub use engine::{EventOutcome, LoggedPublication, SnapshotOutcome};
pub use http::{OPENAPI, ROUTES};
pub use parse::RecordError;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store or the inbox.
    #[error(transparent)]
    Storage(StorageError),
    /// The listening socket.
    #[error("listening on {addr}: {message}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The operating system's message.
        message: String,
    },
    /// The TLS certificate or key.
    #[error("TLS: {path}: {message}")]
    Tls {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Anything else at start-up (the runtime, the hub's endpoints or channels).
    #[error("starting: {0}")]
    Startup(String),
}

/// Where to keep the ledger and where to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The store (created when missing); the inbox is `<store>.inbox` beside it.
    pub store: PathBuf,
    /// Overrides the configuration's `listen`.
    pub listen: Option<SocketAddr>,
}

/// Runs the server until SIGINT or SIGTERM, then stops accepting, lets the requests in
/// flight finish, commits what the writer holds and returns. `ready` is called with the
/// bound address once the state is rebuilt and the socket listens.
///
/// # Errors
///
/// [`ServerError`] when it cannot start (bad configuration, storage that does not open or
/// does not replay, an address that cannot be bound).
pub fn serve(config: &ServerConfig, options: &ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), ServerError> {
    serve_until(config, options, ready, shutdown_signal())
}

/// [`serve`], stopping (as gracefully) when `shutdown` completes instead of on a signal:
/// for embedding the server in another program or a measurement.
///
/// # Errors
///
/// As [`serve`].
pub fn serve_until(
    config: &ServerConfig,
    options: &ServeOptions,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let addr = options.listen.unwrap_or(config.listen);
    config.check_listen(addr, "the configuration")?;
    let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
    let (engine, durable) = engine::open(config, &options.store)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServerError::Startup(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::channel(config.limits.queue_depth);
    let (inbox, tail) = durable.split();
    let (wake_tx, wake_rx) = std::sync::mpsc::channel();
    let store_thread = {
        let engine = engine.clone();
        std::thread::Builder::new()
            .name("invsync-store".into())
            .spawn(move || engine::run_store(engine, tail, wake_rx))
            .map_err(|e| ServerError::Startup(e.to_string()))?
    };
    let writer = {
        let engine = engine.clone();
        std::thread::Builder::new()
            .name("invsync-writer".into())
            .spawn(move || engine::run_writer(engine, inbox, rx, wake_tx))
            .map_err(|e| ServerError::Startup(e.to_string()))?
    };
    let channels = config.channels.iter().map(|c| c.id.clone()).collect();
    let app = Arc::new(http::App::new(engine, auth::Tokens::new(config), config.limits.clone(), tx.clone(), channels));
    let result = runtime.block_on(run(app, addr, config.limits.header_timeout_ms, tls, tx, ready, shutdown));
    // Connections still open after the drain period end with the runtime; then no sender
    // is left and the writer commits what it holds and stops.
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = writer.join();
    let _ = store_thread.join();
    tracing::info!("stopped");
    result
}

async fn run(
    app: Arc<http::App>,
    addr: SocketAddr,
    header_timeout_ms: u64,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tx: tokio::sync::mpsc::Sender<engine::Command>,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let listener = TcpListener::bind(addr).await.map_err(|e| ServerError::Listen { addr, message: e.to_string() })?;
    let local = listener.local_addr().map_err(|e| ServerError::Listen { addr, message: e.to_string() })?;
    let router = http::router(app.clone());
    // The hold window is released by the clock too, not only by arrivals.
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            let tick = engine::Command {
                kind: durable::Kind::Tick,
                principal: String::new(),
                body: Vec::new(),
                parsed: engine::Parsed::Tick,
                reply: None,
            };
            if let Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) = tx.try_send(tick) {
                break;
            }
        }
    });
    tracing::info!(%local, "listening");
    ready(local);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(Duration::from_millis(header_timeout_ms));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(router.clone());
                match &tls {
                    None => {
                        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                        tokio::spawn(async move {
                            if let Err(e) = conn.await {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        });
                    }
                    Some(acceptor) => {
                        // The handshake must finish within the header timeout too.
                        let handshake = tokio::time::timeout(
                            Duration::from_millis(header_timeout_ms),
                            acceptor.accept(stream),
                        );
                        let builder = builder.clone();
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
                            let stream = match handshake.await {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => return,
                            };
                            let conn = watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
                            if let Err(e) = conn.await {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        });
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    tracing::info!("shutting down: draining connections");
    app.stopping.send_replace(true);
    drop(listener);
    ticker.abort();
    let _ = ticker.await;
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after 30 s; closing them");
    }
    drop(router);
    drop(app);
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
