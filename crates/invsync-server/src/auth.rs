//! Who may do what: bearer tokens, stored as SHA-256 hashes, compared in constant time.
//!
//! Tokens are high-entropy secrets the operator generates (e.g. 32 random bytes in hex),
//! so a plain SHA-256 is enough to keep a leaked configuration file from revealing them:
//! a slow password hash (argon2, bcrypt) only helps against guessable passwords and would
//! cost milliseconds on every request.

use invsync_core::SourceId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ServerConfig;

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The administrator: exceptions, counts, KPIs, configuration.
    Admin,
    /// A connected system: posts events and snapshots as itself, reads stock.
    Endpoint(SourceId),
    /// A sales channel: reads its own availability and stream.
    Channel(SourceId),
}

impl Principal {
    /// A short label for logs and rate limiting.
    pub fn label(&self) -> String {
        match self {
            Principal::Admin => "admin".to_owned(),
            Principal::Endpoint(id) => format!("endpoint:{id}"),
            Principal::Channel(id) => format!("channel:{id}"),
        }
    }
}

/// The SHA-256 of `token`, as 64 lowercase hex digits (what the configuration stores).
///
/// ```
/// assert_eq!(
///     invsync_server::hash_token("test"),
///     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
/// );
/// ```
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// 64 hex digits to 32 bytes.
pub(crate) fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(out)
}

/// The token table.
#[derive(Debug, Clone)]
pub struct Tokens {
    entries: Vec<([u8; 32], Principal)>,
}

impl Tokens {
    /// The tokens of `config` (whose hashes were checked when it was loaded).
    pub fn new(config: &ServerConfig) -> Tokens {
        let mut entries = Vec::new();
        let mut add = |h: &str, p: Principal| {
            if let Some(hash) = parse_hash(h) {
                entries.push((hash, p));
            }
        };
        add(&config.admin_token_sha256, Principal::Admin);
        for e in &config.endpoints {
            add(&e.token_sha256, Principal::Endpoint(e.id.clone()));
        }
        for c in &config.channels {
            add(&c.token_sha256, Principal::Channel(c.id.clone()));
        }
        Tokens { entries }
    }

    /// The principal holding `token`, comparing its hash with every entry in constant
    /// time (no early exit, so the time taken does not say which entry matched or how
    /// many bytes did).
    pub fn lookup(&self, token: &str) -> Option<Principal> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (h, p) in &self.entries {
            if bool::from(h.ct_eq(&hash)) {
                found = Some(p.clone());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_parse_and_tokens_resolve() {
        assert_eq!(parse_hash(&hash_token("x")).map(|h| h.len()), Some(32));
        assert!(parse_hash("zz").is_none());
        assert!(parse_hash(&"g".repeat(64)).is_none());
        let text = format!(
            "admin_token_sha256 = \"{}\"\n[[endpoint]]\nid = \"erp\"\ntoken_sha256 = \"{}\"\n[[channel]]\nid = \"web\"\ntoken_sha256 = \"{}\"\n",
            hash_token("a"),
            hash_token("e").to_uppercase(),
            hash_token("c")
        );
        let config = ServerConfig::parse(&text, "s.toml").unwrap();
        let tokens = Tokens::new(&config);
        assert_eq!(tokens.lookup("a"), Some(Principal::Admin));
        assert_eq!(tokens.lookup("e"), Some(Principal::Endpoint(SourceId::new("erp").unwrap())));
        assert_eq!(tokens.lookup("c"), Some(Principal::Channel(SourceId::new("web").unwrap())));
        assert_eq!(tokens.lookup("nope"), None);
        assert_eq!(tokens.lookup(""), None);
    }
}
