//! # invsync-csv
//!
//! CSV adapters for invsync: ledger events in, balance reports out. Readers stream record
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
mod error;
mod events;

pub use balances::{BALANCE_COLUMNS, BalanceWriter, HISTORY_COLUMNS, HistoryWriter};
pub use error::{CsvError, CsvErrorKind};
pub use events::{EVENT_COLUMNS, EventReader, EventReaderBuilder, EventRecord, EventWriter};
