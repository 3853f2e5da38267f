//! Synchronisation across systems: ingest what they report exactly once, publish what
//! each sales channel may sell, reconcile counts and snapshots, and measure how well it
//! all keeps up.
//!
//! The [`Hub`] owns the [`Ledger`](crate::ledger::Ledger) and sits between it and the
//! connected systems ([`Endpoint`]s):
//!
//! * **Inbound.** [`Hub::receive`] takes one delivery of an event. Duplicates (same id and
//!   payload) are dropped whether the first copy is applied or still held; per-endpoint
//!   sequence numbers are tracked and gaps still open [`HubConfig::gap_timeout_ms`] after
//!   they were noticed go to the exceptions queue. Events are held for
//!   [`HubConfig::hold_window_ms`] of event time and released in event-time order, so any
//!   reordering shorter than the window is invisible; later arrivals are applied at once,
//!   re-posted by the ledger as late events, and flagged. Snapshots
//!   ([`Hub::receive_snapshot`]) go through the same window and are compared with the
//!   ledger as of their capture time (docs/oracles.md A12); [`Hub::sync_to`] posts only a
//!   difference (A13).
//! * **Outbound.** [`Hub::publish`] emits, per item x location x [`Channel`], the quantity
//!   that channel may sell ([`allocate`]: buffers, shares, caps, priorities; never more in
//!   total than available), only where it changed, each with an increasing version.
//!   [`Hub::acknowledge`] records the ledger version each endpoint reflects, so
//!   [`Hub::lag`] and the time until every endpoint reflects an event are measured.
//! * **Reconciliation.** [`reconcile`] compares counts with the ledger as of the count
//!   instant (A14, A15); [`Hub::raise_mismatches`] queues the costly mismatches.
//! * **Measures.** [`LatencySummary`], [`accuracy_rate`], [`stockout_rate`],
//!   [`fill_rate`], [`inventory_turnover`] (with [`turnover_inputs`] from the ledger) and
//!   [`days_of_supply`].
//!
//! ```
//! use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement};
//! use invsync_core::sync::{Endpoint, EndpointKind, Hub, HubConfig, Ingest};
//! use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pos = SourceId::new("pos")?;
//! let mut hub = Hub::new(Ledger::new(LedgerConfig::default()), HubConfig::default());
//! hub.add_endpoint(Endpoint::new(pos.clone(), EndpointKind::Pos))?;
//! let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
//! let t = |min: i64| Timestamp::from_millis(min * 60_000);
//! let ev = |id: &str, min, m| -> Result<Event, Box<dyn std::error::Error>> {
//!     Ok(Event::new(EventId::new(id)?, pos.clone(), item.clone(), store.clone(), t(min), m))
//! };
//! // The sale at minute 1 overtakes the receipt at minute 0: both are held ...
//! assert_eq!(hub.receive(&pos, ev("s1", 1, Movement::issue(3))?, t(1))?, Ingest::Held);
//! assert_eq!(hub.receive(&pos, ev("r1", 0, Movement::receipt(10))?, t(1))?, Ingest::Held);
//! // ... a redelivery is dropped ...
//! assert_eq!(hub.receive(&pos, ev("r1", 0, Movement::receipt(10))?, t(2))?, Ingest::Duplicate);
//! // ... and once the 2-minute window has passed they are applied in event-time order.
//! hub.advance(t(4));
//! assert_eq!(hub.ledger().levels(&item, &store).on_hand(), 7);
//! # Ok(()) }
//! ```

mod channel;
mod hub;
mod kpi;
mod reconcile;

pub use channel::{Allocation, Channel, allocate};
pub use hub::{
    Endpoint, EndpointKind, EndpointStats, Exception, ExceptionKind, Hub, HubConfig, Ingest, LatencyReport,
    Publication, Snapshot, SnapshotIngest, SnapshotPolicy, SnapshotReport, SnapshotStatus, StaleReason, SyncError,
};
pub use kpi::{
    ACCURACY_TARGET, LATENCY_TARGET_MS, LatencySummary, accuracy_rate, days_of_supply, fill_rate, inventory_turnover,
    stockout_rate, turnover_inputs,
};
pub use reconcile::{
    Abc, ConflictChoice, CountRecord, MatchStatus, ReconcileConfig, ReconcileError, ReconcileLine, ReconcileReport,
    abc_classes, count_adjustment, reconcile,
};
