//! Quantity states of one item x location at one instant.

use std::fmt;

use super::event::Bucket;

/// One quantity state of [`Levels`]: a [`Bucket`] of on hand, or `incoming` / `in_transit`
/// outside it. Its `Display` is the snake_case name used in files and messages.
///
/// ```
/// use invsync_core::ledger::{Bucket, QuantityState};
/// assert_eq!(QuantityState::Bucket(Bucket::SafetyStock).to_string(), "safety_stock");
/// assert_eq!(QuantityState::InTransit.to_string(), "in_transit");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuantityState {
    /// One of the six on-hand buckets.
    Bucket(Bucket),
    /// Scheduled receipts not yet received.
    Incoming,
    /// Transfers to this location not yet received.
    InTransit,
}

impl QuantityState {
    /// Every quantity state, in the order of [`Levels`]' fields.
    pub const ALL: [QuantityState; 8] = [
        QuantityState::Bucket(Bucket::Available),
        QuantityState::Bucket(Bucket::Committed),
        QuantityState::Bucket(Bucket::Reserved),
        QuantityState::Bucket(Bucket::Damaged),
        QuantityState::Bucket(Bucket::SafetyStock),
        QuantityState::Bucket(Bucket::QualityControl),
        QuantityState::Incoming,
        QuantityState::InTransit,
    ];

    /// The snake_case name, as used in files and messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            QuantityState::Bucket(b) => b.as_str(),
            QuantityState::Incoming => "incoming",
            QuantityState::InTransit => "in_transit",
        }
    }
}

impl From<Bucket> for QuantityState {
    fn from(b: Bucket) -> Self {
        QuantityState::Bucket(b)
    }
}

impl fmt::Display for QuantityState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The quantity states of one item x location (docs/oracles.md A7), in base units.
///
/// ```text
/// on_hand = available + committed + reserved + damaged + safety_stock + quality_control
/// ```
///
/// `incoming` and `in_transit` are outside on hand. Values are signed: they are negative
/// only where the location allows negative stock.
///
/// ```
/// use invsync_core::ledger::{Bucket, Levels};
/// let l = Levels { available: 5, reserved: 3, incoming: 10, ..Levels::default() };
/// assert_eq!(l.on_hand(), 8);
/// assert_eq!(l.get(Bucket::Reserved), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Levels {
    /// Free to sell.
    pub available: i64,
    /// Allocated to placed orders.
    pub committed: i64,
    /// Held, not yet ordered.
    pub reserved: i64,
    /// Unsellable.
    pub damaged: i64,
    /// Kept back as a buffer.
    pub safety_stock: i64,
    /// On quality hold.
    pub quality_control: i64,
    /// Scheduled receipts not yet received (outside on hand).
    pub incoming: i64,
    /// Transfers to this location not yet received (outside on hand).
    pub in_transit: i64,
}

impl Levels {
    /// The sum of the six on-hand buckets (saturating).
    pub fn on_hand(&self) -> i64 {
        self.buckets().iter().fold(0i64, |acc, &v| acc.saturating_add(v))
    }

    /// One bucket's quantity.
    pub fn get(&self, bucket: Bucket) -> i64 {
        self.buckets()[bucket.index()]
    }

    /// Available, floored at zero: what can be promised (docs/oracles.md A10).
    pub fn sellable(&self) -> i64 {
        self.available.max(0)
    }

    fn buckets(&self) -> [i64; 6] {
        [self.available, self.committed, self.reserved, self.damaged, self.safety_stock, self.quality_control]
    }

    pub(crate) fn slot(&mut self, bucket: Bucket) -> &mut i64 {
        match bucket {
            Bucket::Available => &mut self.available,
            Bucket::Committed => &mut self.committed,
            Bucket::Reserved => &mut self.reserved,
            Bucket::Damaged => &mut self.damaged,
            Bucket::SafetyStock => &mut self.safety_stock,
            Bucket::QualityControl => &mut self.quality_control,
        }
    }

    /// The first bucket (or `incoming` / `in_transit`) below zero, if any.
    pub(crate) fn first_negative(&self) -> Option<(QuantityState, i64)> {
        Bucket::ALL
            .iter()
            .map(|&b| (QuantityState::Bucket(b), self.get(b)))
            .chain([(QuantityState::Incoming, self.incoming), (QuantityState::InTransit, self.in_transit)])
            .find(|&(_, v)| v < 0)
    }

    /// Field-wise sum (saturating), for totals across locations.
    #[must_use]
    pub fn saturating_add(&self, o: &Levels) -> Levels {
        Levels {
            available: self.available.saturating_add(o.available),
            committed: self.committed.saturating_add(o.committed),
            reserved: self.reserved.saturating_add(o.reserved),
            damaged: self.damaged.saturating_add(o.damaged),
            safety_stock: self.safety_stock.saturating_add(o.safety_stock),
            quality_control: self.quality_control.saturating_add(o.quality_control),
            incoming: self.incoming.saturating_add(o.incoming),
            in_transit: self.in_transit.saturating_add(o.in_transit),
        }
    }
}
