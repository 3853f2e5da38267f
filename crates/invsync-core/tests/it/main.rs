//! Integration tests of invsync-core through its public API only.

mod backtest;
mod bridge;
mod concurrency;
mod decision;
mod demand;
mod fixture;
mod gs1;
mod ledger_errors;
mod ledger_oracles;
mod ledger_props;
mod plan;
mod policy;
mod reconcile;
mod stability;
mod sync;
mod values;
