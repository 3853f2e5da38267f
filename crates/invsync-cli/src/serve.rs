//! `invsync serve`: the ledger as an HTTP service (crates/invsync-server, docs/server.md).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use invsync_server::{ServeOptions, ServerConfig, ServerError};

use crate::Failure;

/// Arguments of `invsync serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The store (created when missing); the inbox `<store>.inbox` is kept beside it.
    #[arg(long)]
    store: PathBuf,
    /// The server configuration (TOML: tokens, endpoints, channels, limits; docs/server.md).
    #[arg(long)]
    config: PathBuf,
    /// Listen here instead of the configuration's `listen` (port 0: any free port; the
    /// address is printed as `listening on ADDR`).
    #[arg(long)]
    listen: Option<SocketAddr>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let config = ServerConfig::load(&args.config).map_err(|e| Failure::Input(e.to_string()))?;
    let options = ServeOptions { store: args.store.clone(), listen: args.listen };
    invsync_server::serve(&config, &options, |addr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {addr}");
        let _ = out.flush();
    })
    .map_err(|e| match e {
        ServerError::Config(e) => Failure::Input(e.to_string()),
        e => Failure::Other(e.to_string()),
    })
}
