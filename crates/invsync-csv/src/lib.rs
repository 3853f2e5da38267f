//! # invsync-csv
//!
//! CSV adapters for invsync: ledger events, demand histories, in-stock flags and stock
//! state in; balances, histories and plans out. Readers stream record
//! by record and report errors with file, line, column and value; they hold no domain logic.
//!
//! ```
//! use invsync_csv::EventReaderBuilder;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = "event_id,item,location,occurred_at,type,qty\n\
//!             e1,SKU-1,S1,2024-04-08T09:00:00Z,receipt,12\n";
//! let mut rdr = EventReaderBuilder::new().file("events.csv").from_reader(data.as_bytes())?;
//! let rec = rdr.next().unwrap()?;
//! assert_eq!(rec.line, 2);
//! assert_eq!(rec.event.movement.kind(), "receipt");
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod balances;
mod counts;
mod error;
mod events;
mod export;
mod history;
mod items;
mod plan;

pub use balances::{BALANCE_COLUMNS, BalanceWriter, HISTORY_COLUMNS, HistoryWriter};
pub use counts::{RECONCILE_COLUMNS, read_counts, write_reconciliation};
pub use error::{CsvError, CsvErrorKind, MAX_QUOTED, bounded};
pub use events::{EVENT_COLUMNS, EventReader, EventReaderBuilder, EventRecord, EventWriter};
pub use export::{LongHistoryWriter, StateWriter};
pub use history::{
    Aligned, HistoryReaderBuilder, HistoryRecord, InStockReader, InStockRecord, Key, LongReader, StateReader,
    StateRecord, WideReader, align_in_stock, apply_in_stock, key_text,
};
pub use items::{
    ITEM_COLUMNS, ItemSettingsRecord, OVERRIDE_COLUMNS, OverrideRecord, read_item_settings, read_overrides,
};
pub use plan::{PLAN_COLUMNS, PlanWriter, fmt4};
