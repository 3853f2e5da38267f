//! Ledger errors.

use std::fmt;

use crate::{EventId, ItemId, LocationId, Money, Timestamp};

/// What is wrong with a movement refused as [`LedgerError::InvalidMovement`]. `Display`
/// gives the sentence of the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidMovementReason {
    /// A receipt names itself as the scheduled receipt it fills.
    ReceiptFillsItself,
    /// A transfer receipt names itself as the transfer it receives.
    TransferInReceivesItself,
    /// An adjustment with a zero delta.
    ZeroAdjustment,
    /// A move from a bucket to the same bucket.
    MoveWithinBucket,
    /// A commit from `committed`.
    CommitFromCommitted,
    /// A damage from `damaged`.
    DamageFromDamaged,
    /// A quality release into `quality_control`.
    QualityReleaseIntoQualityControl,
    /// A transfer to its own location.
    TransferWithinLocation,
    /// A cancellation of itself.
    CancelsItself,
}

impl InvalidMovementReason {
    /// The sentence of the error message.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReceiptFillsItself => "a receipt cannot fill itself as a scheduled receipt",
            Self::TransferInReceivesItself => "a transfer receipt cannot receive itself",
            Self::ZeroAdjustment => "an adjustment needs a non-zero delta",
            Self::MoveWithinBucket => "a move needs two different buckets",
            Self::CommitFromCommitted => "commit moves units into committed from another bucket",
            Self::DamageFromDamaged => "damage moves units into damaged from another bucket",
            Self::QualityReleaseIntoQualityControl => "a quality release moves units out of quality control",
            Self::TransferWithinLocation => "a transfer needs two different locations",
            Self::CancelsItself => "an event cannot cancel itself",
        }
    }
}

impl fmt::Display for InvalidMovementReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a referenced event cannot be referenced, for [`LedgerError::InvalidTarget`].
/// `Display` gives the sentence of the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidTargetReason {
    /// A receipt fills an event that is not a scheduled receipt.
    NotScheduledReceipt,
    /// A transfer receipt receives an event that is not a transfer out.
    NotTransferOut,
    /// The referenced event is cancelled.
    Cancelled,
    /// The referenced event is for another item.
    OtherItem,
    /// The referenced event occurs later than the referring one.
    OccursLater,
    /// The scheduled receipt is for another location.
    OtherLocation,
    /// The transfer is bound for another location.
    BoundElsewhere,
    /// A cancellation of a cancellation.
    CancelsCancellation,
    /// A cancellation of an event already cancelled.
    AlreadyCancelled,
    /// A cancellation of an event that later receipts refer to.
    HasDependents,
}

impl InvalidTargetReason {
    /// The sentence of the error message.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotScheduledReceipt => "it is not a scheduled receipt",
            Self::NotTransferOut => "it is not a transfer out",
            Self::Cancelled => "it is cancelled",
            Self::OtherItem => "it is for another item",
            Self::OccursLater => "it occurs later than this event",
            Self::OtherLocation => "it is for another location",
            Self::BoundElsewhere => "it is bound for another location",
            Self::CancelsCancellation => "a cancellation cannot be cancelled",
            Self::AlreadyCancelled => "it is already cancelled",
            Self::HasDependents => "later receipts refer to it; cancel them first",
        }
    }
}

impl fmt::Display for InvalidTargetReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the ledger refused an event. When an error is returned nothing was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A quantity that must be positive is zero or negative.
    #[error("event {event}: quantity {qty} must be positive")]
    NonPositiveQuantity {
        /// The event.
        event: EventId,
        /// The quantity given.
        qty: i64,
    },
    /// An absolute quantity (count, set) is negative.
    #[error("event {event}: absolute quantity {qty} must not be negative")]
    NegativeTarget {
        /// The event.
        event: EventId,
        /// The quantity given.
        qty: i64,
    },
    /// A quantity beyond the configured limit.
    #[error("event {event}: quantity {qty} exceeds the limit of {max}")]
    QuantityTooLarge {
        /// The event.
        event: EventId,
        /// The quantity given.
        qty: i64,
        /// The limit ([`LedgerConfig::max_quantity`](super::LedgerConfig::max_quantity)).
        max: i64,
    },
    /// A unit cost that is negative or above the limit.
    #[error("event {event}: unit cost {cost} is negative or above the limit of 10^12")]
    UnitCostOutOfRange {
        /// The event.
        event: EventId,
        /// The cost given.
        cost: Money,
    },
    /// The movement makes no sense as given (a move to the same bucket, a transfer to the
    /// same location ...).
    #[error("event {event}: {reason}")]
    InvalidMovement {
        /// The event.
        event: EventId,
        /// What is wrong.
        reason: InvalidMovementReason,
    },
    /// The item is not registered and the ledger is strict.
    #[error("event {event}: unknown item {item}")]
    UnknownItem {
        /// The event.
        event: EventId,
        /// The item.
        item: ItemId,
    },
    /// The location is not registered and the ledger is strict.
    #[error("event {event}: unknown location {location}")]
    UnknownLocation {
        /// The event.
        event: EventId,
        /// The location.
        location: LocationId,
    },
    /// The event claims to occur further after its recording than the allowed skew.
    #[error(
        "event {event}: occurs at {occurred_at}, more than {max_skew_ms} ms after it was recorded at {recorded_at}"
    )]
    FutureEvent {
        /// The event.
        event: EventId,
        /// Its event time.
        occurred_at: Timestamp,
        /// Its recording time.
        recorded_at: Timestamp,
        /// The allowed skew.
        max_skew_ms: i64,
    },
    /// The id was used before with a different payload (docs/oracles.md A9).
    #[error("event {event} was already applied with a different payload")]
    IdempotencyConflict {
        /// The event.
        event: EventId,
    },
    /// A batch given to a [`SharedLedger`](super::SharedLedger) holds events of more than
    /// one shard.
    #[error("event {event} belongs to another shard than the batch's first event")]
    BatchSpansShards {
        /// The first event of another shard.
        event: EventId,
    },
    /// A [`SharedLedger`](super::SharedLedger) was called from inside one of its
    /// `with_shard` closures, which holds a shard lock: waiting for a lock there could
    /// deadlock, so the call is refused.
    #[error("a shared ledger was called from inside a with_shard closure (it would deadlock)")]
    Reentrant,
    /// A [`SharedLedger`](super::SharedLedger) shard is out of service: an apply panicked
    /// in it and may have left it half-updated. Rebuild it from its events
    /// (`SharedLedger::rebuild_shard`).
    #[error("shard {shard} is out of service after a panic; rebuild it from its events")]
    ShardPoisoned {
        /// The shard.
        shard: usize,
    },
    /// A shard number beyond a [`SharedLedger`](super::SharedLedger)'s shards.
    #[error("no shard {shard}: the shared ledger has {shards}")]
    NoSuchShard {
        /// The shard asked for.
        shard: usize,
        /// How many there are.
        shards: usize,
    },
    /// A cancel, transfer receipt or scheduled-receipt fill names an unknown event.
    #[error("event {event} refers to unknown event {target}")]
    UnknownTarget {
        /// The event.
        event: EventId,
        /// The id it refers to.
        target: EventId,
    },
    /// The referenced event exists but cannot be referenced this way.
    #[error("event {event} cannot refer to event {target}: {reason}")]
    InvalidTarget {
        /// The event.
        event: EventId,
        /// The id it refers to.
        target: EventId,
        /// Why not.
        reason: InvalidTargetReason,
    },
    /// A cancellation names an event of another item x location than its own: it would
    /// reverse stock it does not speak for. Nothing is applied.
    #[error(
        "event {event} at {item}/{location} cannot cancel event {target}: that event is at {}/{}",
        target_key.0,
        target_key.1
    )]
    CancelMismatch {
        /// The cancellation.
        event: EventId,
        /// The cancellation's item.
        item: ItemId,
        /// The cancellation's location.
        location: LocationId,
        /// The event it names.
        target: EventId,
        /// The target's item and location (the source location of a transfer); boxed to
        /// keep the error small.
        target_key: Box<(ItemId, LocationId)>,
    },
    /// Compare-and-set failed: the bucket did not hold the expected quantity (A8).
    #[error("event {event} at {item}/{location}: stale, {bucket} is {actual}, expected {expected}")]
    Stale {
        /// The event.
        event: EventId,
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// The bucket compared.
        bucket: super::Bucket,
        /// The quantity the event expected.
        expected: i64,
        /// The quantity found.
        actual: i64,
    },
    /// The event would drive a quantity below zero, at its own place or at a later entry
    /// (the future-negative guard, A2), where negative stock is not allowed.
    #[error(
        "event {event} at {item}/{location}: {bucket} would be {qty} after event {at_event}, and negative stock is not allowed there"
    )]
    NegativeStock {
        /// The event refused.
        event: EventId,
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// The quantity state that would go negative.
        bucket: super::QuantityState,
        /// The negative quantity.
        qty: i64,
        /// The entry at which it would go negative (possibly a later one).
        at_event: EventId,
    },
    /// A quantity would leave the `i64` range.
    #[error("event {event} at {item}/{location}: a quantity would overflow")]
    Overflow {
        /// The event.
        event: EventId,
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
    },
    /// The ledger already holds [`MAX_EVENTS`](super::MAX_EVENTS) events, the most its
    /// 32-bit log positions can name.
    #[error("event {event}: the ledger is full ({max} events)")]
    Full {
        /// The event.
        event: EventId,
        /// The limit.
        max: usize,
    },
}

/// A batch was refused because one of its events was; nothing of the batch was applied.
/// The event's [`LedgerError`] is also the error's
/// [`source`](std::error::Error::source).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("batch event {index}: {error}")]
pub struct BatchError {
    /// Zero-based position of the refused event in the batch.
    pub index: usize,
    /// Why it was refused.
    #[source]
    pub error: LedgerError,
}

/// Why a query was refused: a misuse of the query or of the handle, never a refused event
/// (that is a [`LedgerError`]). A query changes nothing either way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Bucket ends of an available-to-promise query must increase strictly.
    #[error("available-to-promise bucket ends must be strictly increasing")]
    BucketsNotAscending,
    /// A [`SharedLedger`](super::SharedLedger) was queried from inside one of its
    /// `with_shard` closures (as [`LedgerError::Reentrant`]).
    #[error("a shared ledger was called from inside a with_shard closure (it would deadlock)")]
    Reentrant,
    /// A [`SharedLedger`](super::SharedLedger) shard is out of service (as
    /// [`LedgerError::ShardPoisoned`]).
    #[error("shard {shard} is out of service after a panic; rebuild it from its events")]
    ShardPoisoned {
        /// The shard.
        shard: usize,
    },
}
