//! The server's configuration file (`server.toml`).

use std::net::SocketAddr;
use std::path::Path;

use invsync_core::SourceId;
use invsync_core::sync::{Allocation, EndpointKind, HubConfig};
use serde::Deserialize;

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The file is not valid TOML for a server configuration (line and column from the
    /// parser).
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range or inconsistent with another.
    #[error("{path}: {field}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The key, e.g. `endpoint[2].token_sha256`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Limits that protect the service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Requests per second each token may make on average (429 beyond).
    pub requests_per_second: f64,
    /// How many requests a token may make in a burst.
    pub burst: u32,
    /// Ingest requests waiting for the writer at most (429 when full).
    pub queue_depth: usize,
    /// A request's head must arrive within this long (ms).
    pub header_timeout_ms: u64,
    /// A request's body must arrive within this long (ms), 408 beyond.
    pub body_timeout_ms: u64,
    /// Largest number of records in one request.
    pub max_records: usize,
}

impl Default for Limits {
    /// 16 MiB bodies, 200 requests/s with bursts of 400 per token, 256 queued ingest
    /// requests, 10 s for the head and 30 s for the body, 100,000 records per request.
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 << 20,
            requests_per_second: 200.0,
            burst: 400,
            queue_depth: 256,
            header_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            max_records: 100_000,
        }
    }
}

/// A connected system: its endpoint and the SHA-256 of its bearer token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Its id: every event it posts must name it as source.
    pub id: SourceId,
    /// Its kind (informational).
    #[serde(default = "other_kind")]
    pub kind: EndpointKind,
    /// SHA-256 of its token, 64 hex digits.
    pub token_sha256: String,
    /// How far (ms) its clock runs ahead of the server's.
    #[serde(default)]
    pub clock_offset_ms: i64,
    /// The first sequence number it sends.
    #[serde(default = "one")]
    pub first_seq: u64,
}

fn other_kind() -> EndpointKind {
    EndpointKind::Other
}

fn one() -> u64 {
    1
}

/// A sales channel: its allocation rule and the SHA-256 of its read token.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// The channel id.
    pub id: SourceId,
    /// Units held back from it.
    #[serde(default)]
    pub buffer: i64,
    /// Its rule (default: everything available).
    #[serde(default = "all")]
    pub allocation: Allocation,
    /// Lower is served first.
    #[serde(default)]
    pub priority: u32,
    /// SHA-256 of its token, 64 hex digits.
    pub token_sha256: String,
}

fn all() -> Allocation {
    Allocation::All
}

/// TLS settings: a PEM certificate chain and key (paths relative to the working
/// directory).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub certificate: String,
    /// PEM private key.
    pub key: String,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Where to listen (overridden by `--listen`; default 127.0.0.1:8080).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Serve plain HTTP on an address other than loopback (default false: refused).
    #[serde(default)]
    pub allow_plain_http: bool,
    /// TLS: when given, the server speaks HTTPS only (rustls), on any address.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// SHA-256 of the admin token, 64 hex digits.
    pub admin_token_sha256: String,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// The hub's settings (hold window, gap timeout, snapshot policy ...).
    #[serde(default)]
    pub hub: HubConfig,
    /// Connected systems.
    #[serde(default, rename = "endpoint")]
    pub endpoints: Vec<EndpointConfig>,
    /// Sales channels.
    #[serde(default, rename = "channel")]
    pub channels: Vec<ChannelConfig>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

impl ServerConfig {
    /// Reads and checks `path`.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the file and the key or line at fault.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: shown.clone(), message: e.to_string() })?;
        ServerConfig::parse(&text, &shown)
    }

    /// Parses and checks `text` (`path` is used in messages).
    ///
    /// # Errors
    ///
    /// [`ConfigError`].
    pub fn parse(text: &str, path: &str) -> Result<ServerConfig, ConfigError> {
        let config: ServerConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            ConfigError::Parse { path: path.to_owned(), line, column, message: e.message().to_owned() }
        })?;
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &str) -> Result<(), ConfigError> {
        let bad = |field: String, message: &str| ConfigError::Invalid {
            path: path.to_owned(),
            field,
            message: message.to_owned(),
        };
        let mut hashes = Vec::new();
        hashes.push(("admin_token_sha256".to_owned(), &self.admin_token_sha256));
        for (i, e) in self.endpoints.iter().enumerate() {
            hashes.push((format!("endpoint[{i}].token_sha256"), &e.token_sha256));
        }
        for (i, c) in self.channels.iter().enumerate() {
            hashes.push((format!("channel[{i}].token_sha256"), &c.token_sha256));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (field, h) in &hashes {
            if crate::auth::parse_hash(h).is_none() {
                return Err(bad(field.clone(), "expected the SHA-256 of the token as 64 hex digits"));
            }
            if !seen.insert(h.to_ascii_lowercase()) {
                return Err(bad(field.clone(), "the same token hash is given twice"));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, e) in self.endpoints.iter().enumerate() {
            if !ids.insert(e.id.clone()) {
                return Err(bad(format!("endpoint[{i}].id"), "endpoint listed twice"));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, c) in self.channels.iter().enumerate() {
            if !ids.insert(c.id.clone()) {
                return Err(bad(format!("channel[{i}].id"), "channel listed twice"));
            }
        }
        let l = &self.limits;
        if l.max_body_bytes == 0 {
            return Err(bad("limits.max_body_bytes".into(), "must be positive"));
        }
        if !(l.requests_per_second.is_finite() && l.requests_per_second > 0.0) {
            return Err(bad("limits.requests_per_second".into(), "must be a positive number"));
        }
        if l.burst == 0 || l.queue_depth == 0 || l.max_records == 0 {
            return Err(bad("limits".into(), "burst, queue_depth and max_records must be positive"));
        }
        if l.header_timeout_ms == 0 || l.body_timeout_ms == 0 {
            return Err(bad("limits".into(), "timeouts must be positive"));
        }
        if self.hub.hold_window_ms < 0 {
            return Err(bad("hub.hold_window_ms".into(), "must not be negative"));
        }
        Ok(())
    }

    /// Refuses plain HTTP on `addr` unless it is loopback or explicitly allowed (with TLS
    /// every address is allowed).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] on `listen`.
    pub fn check_listen(&self, addr: SocketAddr, path: &str) -> Result<(), ConfigError> {
        if addr.ip().is_loopback() || self.allow_plain_http || self.tls.is_some() {
            Ok(())
        } else {
            Err(ConfigError::Invalid {
                path: path.to_owned(),
                field: "listen".into(),
                message: format!(
                    "plain HTTP on {addr}, which is not loopback: set allow_plain_http = true to allow it"
                ),
            })
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.len(), |n| before.len() - n - 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const HASH_B: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

    #[test]
    fn a_minimal_config_loads_with_defaults() {
        let text = format!(
            "admin_token_sha256 = \"{HASH_A}\"\n[[endpoint]]\nid = \"erp\"\nkind = \"erp\"\ntoken_sha256 = \"{HASH_B}\"\n"
        );
        let c = ServerConfig::parse(&text, "s.toml").unwrap();
        assert_eq!(c.endpoints.len(), 1);
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.hub, HubConfig::default());
    }

    #[test]
    fn errors_name_the_place() {
        let err = ServerConfig::parse("admin_token_sha256 = 3\n", "s.toml").unwrap_err();
        assert!(matches!(err, ConfigError::Parse { line: 1, .. }), "{err}");
        let err = ServerConfig::parse("admin_token_sha256 = \"abc\"\n", "s.toml").unwrap_err();
        assert_eq!(err.to_string(), "s.toml: admin_token_sha256: expected the SHA-256 of the token as 64 hex digits");
        let text =
            format!("admin_token_sha256 = \"{HASH_A}\"\n[[channel]]\nid = \"web\"\ntoken_sha256 = \"{HASH_A}\"\n");
        let err = ServerConfig::parse(&text, "s.toml").unwrap_err();
        assert!(err.to_string().contains("channel[0].token_sha256"), "{err}");
        let text = format!("admin_token_sha256 = \"{HASH_A}\"\nlisten = \"0.0.0.0:80\"\n");
        let c = ServerConfig::parse(&text, "s.toml").unwrap();
        assert!(c.check_listen(c.listen, "s.toml").is_err());
        assert!(c.check_listen("127.0.0.1:1".parse().unwrap(), "s.toml").is_ok());
    }
}
