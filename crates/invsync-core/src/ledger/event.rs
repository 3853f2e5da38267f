//! Events: what happened to stock, with who said so and when.

use std::fmt;
use std::str::FromStr;

use crate::{EventId, ItemId, LocationId, Money, ReasonCode, SourceId, Timestamp};

/// A quantity state inside on hand (docs/oracles.md A7).
///
/// ```text
/// on_hand = available + committed + reserved + damaged + safety_stock + quality_control
/// ```
///
/// `incoming` (scheduled receipts) and `in_transit` (transfers on their way) are tracked
/// beside on hand, never inside it, so they are not buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Bucket {
    /// Free to sell or allocate.
    Available,
    /// Allocated to placed orders, awaiting fulfilment.
    Committed,
    /// Held for a purpose (a cart, a customer, a project) but not yet ordered.
    Reserved,
    /// Physically present but unsellable.
    Damaged,
    /// Deliberately kept back from sale as a buffer.
    SafetyStock,
    /// On quality hold.
    QualityControl,
}

impl Bucket {
    /// Every bucket, in the order of [`Levels`](crate::ledger::Levels)' fields.
    pub const ALL: [Bucket; 6] = [
        Bucket::Available,
        Bucket::Committed,
        Bucket::Reserved,
        Bucket::Damaged,
        Bucket::SafetyStock,
        Bucket::QualityControl,
    ];

    /// The bucket's snake_case name, as used in files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Bucket::Available => "available",
            Bucket::Committed => "committed",
            Bucket::Reserved => "reserved",
            Bucket::Damaged => "damaged",
            Bucket::SafetyStock => "safety_stock",
            Bucket::QualityControl => "quality_control",
        }
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no [`Bucket`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown bucket {0:?}: expected one of available, committed, reserved, damaged, safety_stock, quality_control")]
pub struct UnknownBucket(pub String);

impl FromStr for Bucket {
    type Err = UnknownBucket;
    fn from_str(s: &str) -> Result<Self, UnknownBucket> {
        Bucket::ALL.into_iter().find(|b| b.as_str() == s).ok_or_else(|| UnknownBucket(s.to_owned()))
    }
}

/// What an event does to stock. Quantities are whole base units and, except for the signed
/// `delta` of [`Movement::Adjust`] and the absolute targets of [`Movement::Set`] and
/// [`Movement::Count`], strictly positive.
///
/// `expected` fields are compare-and-set guards (docs/oracles.md A8): the event applies only if
/// the bucket holds exactly that quantity at the event's instant; otherwise it is rejected
/// as stale and nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Movement {
    /// Goods received into a bucket (normally `available`), at a unit cost (default: the
    /// current rate). `against` names a [`Movement::ScheduleReceipt`] this receipt fills;
    /// `close` writes off what is still open on it (a short delivery).
    Receipt {
        /// Units received.
        qty: i64,
        /// Cost per unit.
        unit_cost: Option<Money>,
        /// Where the units go.
        to: Bucket,
        /// The scheduled receipt this fills, if any.
        against: Option<EventId>,
        /// Close the scheduled receipt after this delivery.
        close: bool,
    },
    /// A scheduled receipt (a purchase-order line): adds to `incoming`, expected at a date.
    ScheduleReceipt {
        /// Units expected.
        qty: i64,
        /// When they are expected.
        expected_at: Timestamp,
    },
    /// Goods leave stock (sale, shipment, scrap) from a bucket. `unit_cost` prices units
    /// issued beyond zero when negative stock is allowed.
    Issue {
        /// Units issued.
        qty: i64,
        /// The bucket they leave.
        from: Bucket,
        /// Cost per unit for units issued below zero.
        unit_cost: Option<Money>,
    },
    /// A signed adjustment of one bucket (use the event's `reason` for the reason code).
    Adjust {
        /// The bucket adjusted.
        bucket: Bucket,
        /// Signed change, non-zero.
        delta: i64,
        /// Compare-and-set: the bucket's quantity before the change.
        expected: Option<i64>,
        /// Cost per unit of an increase.
        unit_cost: Option<Money>,
    },
    /// Sets one bucket to an absolute quantity.
    Set {
        /// The bucket set.
        bucket: Bucket,
        /// The new quantity (>= 0).
        qty: i64,
        /// Compare-and-set: the bucket's quantity before the change.
        expected: Option<i64>,
        /// Cost per unit of an increase.
        unit_cost: Option<Money>,
    },
    /// A physical count of on hand: an absolute anchor (docs/oracles.md A1). The difference to
    /// the book quantity is posted to `available`; allocations are left as they are.
    Count {
        /// Units counted (>= 0).
        on_hand: i64,
        /// Cost per unit of a count gain.
        unit_cost: Option<Money>,
    },
    /// Moves units between two buckets; on hand and value do not change.
    Move {
        /// Source bucket.
        from: Bucket,
        /// Target bucket.
        to: Bucket,
        /// Units moved.
        qty: i64,
        /// Compare-and-set on the source bucket.
        expected: Option<i64>,
    },
    /// available -> reserved.
    Reserve {
        /// Units.
        qty: i64,
    },
    /// reserved -> available.
    Release {
        /// Units.
        qty: i64,
    },
    /// `from` (available or reserved) -> committed: an order is placed.
    Commit {
        /// Units.
        qty: i64,
        /// Where the units come from.
        from: Bucket,
    },
    /// The order ships: units leave `from` (normally committed) and on hand.
    Fulfil {
        /// Units.
        qty: i64,
        /// The bucket they leave.
        from: Bucket,
    },
    /// Units leave this location for `to`; they are `in_transit` at `to` until received.
    TransferOut {
        /// Destination.
        to: LocationId,
        /// Units sent.
        qty: i64,
        /// When they are expected at the destination.
        expected_at: Option<Timestamp>,
        /// Cost per unit carried to the destination (default: the source's cost of goods
        /// for this dispatch, fixed when the transfer is admitted).
        unit_cost: Option<Money>,
    },
    /// Units of a transfer arrive here (the event's location must be the transfer's
    /// destination). Partial receipts leave the rest in transit; an over-receipt is taken
    /// in full; `close` writes off what is still in transit (short).
    TransferIn {
        /// The [`Movement::TransferOut`] event.
        transfer: EventId,
        /// Units received.
        qty: i64,
        /// Close the transfer after this receipt.
        close: bool,
    },
    /// A customer return into a bucket (available, damaged or quality control).
    Return {
        /// Units.
        qty: i64,
        /// Where they go.
        to: Bucket,
        /// Cost per unit (default: the current rate).
        unit_cost: Option<Money>,
    },
    /// `from` -> damaged.
    Damage {
        /// Units.
        qty: i64,
        /// Where the units were.
        from: Bucket,
    },
    /// available -> quality control.
    QualityHold {
        /// Units.
        qty: i64,
    },
    /// quality control -> `to` (available, or damaged when the hold fails).
    QualityRelease {
        /// Units.
        qty: i64,
        /// Where they go.
        to: Bucket,
    },
    /// Reverses an earlier event by id, as if it had never been posted.
    Cancel {
        /// The event cancelled.
        target: EventId,
    },
}

impl Movement {
    /// A receipt of `qty` into available at the current rate.
    pub fn receipt(qty: i64) -> Self {
        Movement::Receipt { qty, unit_cost: None, to: Bucket::Available, against: None, close: false }
    }

    /// A receipt of `qty` into available at `unit_cost`.
    pub fn receipt_at(qty: i64, unit_cost: Money) -> Self {
        Movement::Receipt { qty, unit_cost: Some(unit_cost), to: Bucket::Available, against: None, close: false }
    }

    /// An issue of `qty` from available.
    pub fn issue(qty: i64) -> Self {
        Movement::Issue { qty, from: Bucket::Available, unit_cost: None }
    }

    /// An adjustment of available by `delta`.
    pub fn adjust(delta: i64) -> Self {
        Movement::Adjust { bucket: Bucket::Available, delta, expected: None, unit_cost: None }
    }

    /// A physical count of on hand.
    pub fn count(on_hand: i64) -> Self {
        Movement::Count { on_hand, unit_cost: None }
    }

    /// A cancellation of event `target`.
    pub fn cancel(target: EventId) -> Self {
        Movement::Cancel { target }
    }

    /// A scheduled receipt (a purchase-order line) of `qty`, expected at `expected_at`: it
    /// adds to `incoming` until a [`Movement::Receipt`] fills it.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// let due = "2024-04-15T00:00:00Z".parse()?;
    /// post(&mut ledger, "DC", "po1", 9, Movement::schedule_receipt(5, due))?;
    /// assert_eq!(ledger.levels(&sku, &dc).incoming, 5);
    /// # Ok(()) }
    /// ```
    pub fn schedule_receipt(qty: i64, expected_at: Timestamp) -> Self {
        Movement::ScheduleReceipt { qty, expected_at }
    }

    /// Sets `bucket` to `qty` units, with no compare-and-set guard, at the current rate.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "s1", 9, Movement::set(Bucket::Damaged, 2))?;
    /// assert_eq!(ledger.levels(&sku, &dc).damaged, 2);
    /// # Ok(()) }
    /// ```
    pub fn set(bucket: Bucket, qty: i64) -> Self {
        Movement::Set { bucket, qty, expected: None, unit_cost: None }
    }

    /// Moves `qty` units from `from` to `to`, with no compare-and-set guard (named
    /// `move_between` because `move` is a keyword).
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "m1", 9, Movement::move_between(Bucket::Available, Bucket::SafetyStock, 3))?;
    /// assert_eq!(ledger.levels(&sku, &dc).safety_stock, 3);
    /// assert_eq!(ledger.levels(&sku, &dc).available, 7);
    /// # Ok(()) }
    /// ```
    pub fn move_between(from: Bucket, to: Bucket, qty: i64) -> Self {
        Movement::Move { from, to, qty, expected: None }
    }

    /// Reserves `qty` units: available -> reserved.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "h1", 9, Movement::reserve(4))?;
    /// assert_eq!(ledger.levels(&sku, &dc).reserved, 4);
    /// # Ok(()) }
    /// ```
    pub fn reserve(qty: i64) -> Self {
        Movement::Reserve { qty }
    }

    /// Releases `qty` reserved units: reserved -> available.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "h1", 9, Movement::reserve(4))?;
    /// post(&mut ledger, "DC", "h2", 10, Movement::release(3))?;
    /// assert_eq!(ledger.levels(&sku, &dc).reserved, 1);
    /// # Ok(()) }
    /// ```
    pub fn release(qty: i64) -> Self {
        Movement::Release { qty }
    }

    /// Commits `qty` units to a placed order: `from` (available or reserved) -> committed.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "o1", 9, Movement::commit(4, Bucket::Available))?;
    /// assert_eq!(ledger.levels(&sku, &dc).committed, 4);
    /// # Ok(()) }
    /// ```
    pub fn commit(qty: i64, from: Bucket) -> Self {
        Movement::Commit { qty, from }
    }

    /// Ships `qty` units of an order: they leave `from` (normally committed) and on hand.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "o1", 9, Movement::commit(4, Bucket::Available))?;
    /// post(&mut ledger, "DC", "o1-ship", 10, Movement::fulfil(4, Bucket::Committed))?;
    /// assert_eq!(ledger.levels(&sku, &dc).on_hand(), 6);
    /// # Ok(()) }
    /// ```
    pub fn fulfil(qty: i64, from: Bucket) -> Self {
        Movement::Fulfil { qty, from }
    }

    /// Sends `qty` units to location `to`, with no expected arrival date, at the source's
    /// cost of goods; they are `in_transit` at `to` until a [`Movement::TransferIn`].
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// let store = LocationId::new("S1")?;
    /// post(&mut ledger, "DC", "t1", 9, Movement::transfer_out(store.clone(), 4))?;
    /// assert_eq!(ledger.levels(&sku, &dc).available, 6);
    /// assert_eq!(ledger.levels(&sku, &store).in_transit, 4);
    /// # Ok(()) }
    /// ```
    pub fn transfer_out(to: LocationId, qty: i64) -> Self {
        Movement::TransferOut { to, qty, expected_at: None, unit_cost: None }
    }

    /// Receives `qty` units of the transfer `transfer` (the [`Movement::TransferOut`]
    /// event's id) at the event's location, leaving the transfer open.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// use invsync_core::EventId;
    /// let store = LocationId::new("S1")?;
    /// post(&mut ledger, "DC", "t1", 9, Movement::transfer_out(store.clone(), 4))?;
    /// post(&mut ledger, "S1", "t1-in", 10, Movement::transfer_in(EventId::new("t1")?, 3))?;
    /// assert_eq!(ledger.levels(&sku, &store).available, 3);
    /// assert_eq!(ledger.levels(&sku, &store).in_transit, 1);
    /// # Ok(()) }
    /// ```
    pub fn transfer_in(transfer: EventId, qty: i64) -> Self {
        Movement::TransferIn { transfer, qty, close: false }
    }

    /// A customer return of `qty` units into `to` (available, damaged or quality control)
    /// at the current rate (named `customer_return` because `return` is a keyword).
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "rma1", 9, Movement::customer_return(2, Bucket::QualityControl))?;
    /// assert_eq!(ledger.levels(&sku, &dc).quality_control, 2);
    /// # Ok(()) }
    /// ```
    pub fn customer_return(qty: i64, to: Bucket) -> Self {
        Movement::Return { qty, to, unit_cost: None }
    }

    /// Marks `qty` units of `from` as damaged: `from` -> damaged.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "d1", 9, Movement::damage(1, Bucket::Available))?;
    /// assert_eq!(ledger.levels(&sku, &dc).damaged, 1);
    /// assert_eq!(ledger.levels(&sku, &dc).on_hand(), 10);
    /// # Ok(()) }
    /// ```
    pub fn damage(qty: i64, from: Bucket) -> Self {
        Movement::Damage { qty, from }
    }

    /// Puts `qty` available units on quality hold: available -> quality control.
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "q1", 9, Movement::quality_hold(5))?;
    /// assert_eq!(ledger.levels(&sku, &dc).quality_control, 5);
    /// # Ok(()) }
    /// ```
    pub fn quality_hold(qty: i64) -> Self {
        Movement::QualityHold { qty }
    }

    /// Ends a quality hold on `qty` units: quality control -> `to` (available, or damaged
    /// when the hold fails).
    /// ```
    /// use invsync_core::ledger::{Bucket, Ledger, LedgerConfig, Movement};
    /// use invsync_core::{ItemId, LocationId};
    /// # use invsync_core::ledger::Event;
    /// # use invsync_core::{EventId, SourceId};
    /// # type R = Result<(), Box<dyn std::error::Error>>;
    /// # /// Applies `m` as event `id` at `location`, hour `h` of 2024-04-08.
    /// # fn post(l: &mut Ledger, location: &str, id: &str, h: u32, m: Movement) -> R {
    /// #     let at = format!("2024-04-08T{h:02}:00:00Z").parse()?;
    /// #     l.apply(Event::new(EventId::new(id)?, SourceId::new("wms")?, ItemId::new("SKU-1")?, LocationId::new(location)?, at, m))?;
    /// #     Ok(())
    /// # }
    /// # fn main() -> R {
    /// let (sku, dc) = (ItemId::new("SKU-1")?, LocationId::new("DC")?);
    /// let mut ledger = Ledger::new(LedgerConfig::default());
    /// post(&mut ledger, "DC", "r1", 8, Movement::receipt(10))?;
    /// post(&mut ledger, "DC", "q1", 9, Movement::quality_hold(5))?;
    /// post(&mut ledger, "DC", "q2", 10, Movement::quality_release(5, Bucket::Damaged))?;
    /// assert_eq!(ledger.levels(&sku, &dc).damaged, 5);
    /// # Ok(()) }
    /// ```
    pub fn quality_release(qty: i64, to: Bucket) -> Self {
        Movement::QualityRelease { qty, to }
    }

    /// The movement's snake_case name, as used in files.
    pub fn kind(&self) -> &'static str {
        match self {
            Movement::Receipt { .. } => "receipt",
            Movement::ScheduleReceipt { .. } => "schedule_receipt",
            Movement::Issue { .. } => "issue",
            Movement::Adjust { .. } => "adjust",
            Movement::Set { .. } => "set",
            Movement::Count { .. } => "count",
            Movement::Move { .. } => "move",
            Movement::Reserve { .. } => "reserve",
            Movement::Release { .. } => "release",
            Movement::Commit { .. } => "commit",
            Movement::Fulfil { .. } => "fulfil",
            Movement::TransferOut { .. } => "transfer_out",
            Movement::TransferIn { .. } => "transfer_in",
            Movement::Return { .. } => "return",
            Movement::Damage { .. } => "damage",
            Movement::QualityHold { .. } => "quality_hold",
            Movement::QualityRelease { .. } => "quality_release",
            Movement::Cancel { .. } => "cancel",
        }
    }
}

/// One reported fact about stock at one item x location.
///
/// Two events with the same [`id`](Event::id) are the same event (idempotency,
/// docs/oracles.md A9): the payload compared is every field but `recorded_at`, which is the
/// receiving system's clock and naturally differs between deliveries.
///
/// ```
/// use invsync_core::ledger::{Event, Movement};
/// use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let e = Event::new(
///     EventId::new("po-1-line-1")?,
///     SourceId::new("erp")?,
///     ItemId::new("SKU-1")?,
///     LocationId::new("DC")?,
///     "2024-04-08T09:00:00Z".parse()?,
///     Movement::receipt(10),
/// )
/// .with_reference("PO-1");
/// assert_eq!(e.recorded_at, e.occurred_at);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    /// Idempotency key.
    pub id: EventId,
    /// The system that reported it.
    pub source: SourceId,
    /// The source's own sequence number, when it has one.
    pub source_seq: Option<u64>,
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// When it happened (event time): the ledger is ordered by this.
    pub occurred_at: Timestamp,
    /// When the reporting side recorded it (its processing time).
    pub recorded_at: Timestamp,
    /// Reason code (adjustments, damage, holds).
    pub reason: Option<ReasonCode>,
    /// Reference document (order, PO, count sheet ...).
    pub reference: Option<String>,
    /// What happened.
    pub movement: Movement,
}

impl Event {
    /// An event recorded when it occurred, with no source sequence, reason or reference.
    pub fn new(
        id: EventId,
        source: SourceId,
        item: ItemId,
        location: LocationId,
        occurred_at: Timestamp,
        movement: Movement,
    ) -> Self {
        Event {
            id,
            source,
            source_seq: None,
            item,
            location,
            occurred_at,
            recorded_at: occurred_at,
            reason: None,
            reference: None,
            movement,
        }
    }

    /// Sets `recorded_at`.
    #[must_use]
    pub fn with_recorded_at(mut self, at: Timestamp) -> Self {
        self.recorded_at = at;
        self
    }

    /// Sets the source sequence number.
    #[must_use]
    pub fn with_source_seq(mut self, seq: u64) -> Self {
        self.source_seq = Some(seq);
        self
    }

    /// Sets the reason code.
    #[must_use]
    pub fn with_reason(mut self, reason: ReasonCode) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets the reference document.
    #[must_use]
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// Whether `other` carries the same payload (every field but `recorded_at`).
    pub fn same_payload(&self, other: &Event) -> bool {
        self.id == other.id
            && self.source == other.source
            && self.source_seq == other.source_seq
            && self.item == other.item
            && self.location == other.location
            && self.occurred_at == other.occurred_at
            && self.reason == other.reason
            && self.reference == other.reference
            && self.movement == other.movement
    }
}
