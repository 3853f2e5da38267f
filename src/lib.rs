//! # invsync
//!
//! Keeps inventory true across every system of a supply chain, and decides how much stock
//! to hold. This facade re-exports the crates of the workspace; it holds no logic.
//!
//! * [`core`] (always): the inventory ledger, identifiers, money, units of measure.
//! * `csv` (feature `csv`): CSV adapters.
//! * `json` (feature `json`): JSON / JSON Lines adapters.
//! * `store` (feature `store`): durable storage of the ledger (embedded SQLite).
//!
//! ```
//! use invsync::ledger::{Event, Ledger, LedgerConfig, Movement};
//! use invsync::{EventId, ItemId, LocationId, SourceId, Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (item, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
//! let mut ledger = Ledger::new(LedgerConfig::default());
//! ledger.apply(Event::new(EventId::new("e1")?, SourceId::new("erp")?, item.clone(), dc.clone(),
//!     Timestamp::from_days(0), Movement::receipt(5)))?;
//! assert_eq!(ledger.levels(&item, &dc).on_hand(), 5);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` (Cargo.toml) on nightly: label feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub use invsync_core as core;
pub use invsync_core::*;

/// CSV adapters (feature `csv`).
#[cfg(feature = "csv")]
pub use invsync_csv as csv;

/// JSON adapters (feature `json`).
#[cfg(feature = "json")]
pub use invsync_json as json;

/// Durable storage of the ledger (feature `store`).
#[cfg(feature = "store")]
pub use invsync_store as store;
