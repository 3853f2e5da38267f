//! Synchronisation across systems. This release has reconciliation of counts and
//! snapshots against the ledger; inbound ingestion, outbound availability publishing and
//! the latency and accuracy measures are to come (see CHANGELOG.md).

mod reconcile;

pub use reconcile::{
    Abc, ConflictChoice, CountRecord, MatchStatus, ReconcileConfig, ReconcileLine, ReconcileReport, abc_classes,
    count_adjustment, reconcile,
};
