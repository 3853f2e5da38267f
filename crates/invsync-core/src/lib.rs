//! # invsync-core
//!
//! The sans-I/O core of invsync: an inventory ledger that is the source of truth for stock,
//! the identifier, money and unit-of-measure types it rests on, the synchronisation hub, and
//! the safety-stock engine. The core takes values and returns values: it
//! reads no files, no clock and no OS entropy.
//!
//! ## Quick start
//!
//! ```
//! use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
//! use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let item = ItemId::new("SKU-1")?;
//! let store = LocationId::new("S1")?;
//! let mut ledger = Ledger::new(LedgerConfig::default());
//! ledger.apply(Event::new(
//!     EventId::new("e1")?, SourceId::new("wms")?, item.clone(), store.clone(),
//!     "2024-04-08T09:00:00Z".parse()?, Movement::receipt(12),
//! ))?;
//! assert_eq!(ledger.levels(&item, &store).available, 12);
//! # Ok(()) }
//! ```
//!
//! ## Modules
//!
//! * [`ledger`]: events, quantity states, valuation, re-posting, as-of queries, ATP.
//! * [`sync`]: ingestion from many systems, snapshots, channel availability,
//!   reconciliation, KPIs.
//! * [`demand`], [`policy`], [`plan`], [`backtest`]: scenarios and the safety-stock
//!   decision.
//! * [`bridge`]: demand histories and stock positions from the ledger for the planner,
//!   planned orders posted back as scheduled receipts.
//! * [`gs1`]: GTIN / GLN / SSCC check digits; GS1 element strings (AIs 00, 01, 10, 17, 21).
//! * [`Timestamp`], [`Money`], [`UnitOfMeasure`] and the id types.

#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` (Cargo.toml) on nightly: label feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod backtest;
pub mod bridge;
pub mod demand;
mod float;
pub mod gs1;
mod id;
pub mod ledger;
mod money;
pub mod plan;
pub mod policy;
mod pool;
pub mod rng;
pub mod sync;
mod time;
mod uom;

pub use id::{EventId, IdError, ItemId, LocationId, MAX_ID_LEN, ReasonCode, SourceId};
pub use money::{MICROS_PER_UNIT, Money, MoneyError};
pub use time::{MS_PER_DAY, TimeError, Timestamp};
pub use uom::{UnitOfMeasure, UomError};
