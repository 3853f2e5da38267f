//! Outbound availability: what each sales channel may promise.

use crate::SourceId;

/// How much of an item x location's available stock a channel may offer, before the
/// channel's buffer and the channels ahead of it are taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum Allocation {
    /// Everything available.
    All,
    /// A share of available, in basis points (0 ..= 10,000), rounded down.
    Share {
        /// Basis points of available (2,500 = 25 %).
        basis_points: u32,
    },
    /// At most this many units.
    Cap {
        /// The cap.
        units: i64,
    },
}

/// A sales channel that is told how much it may sell.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Channel {
    /// The channel (a web shop, a marketplace ...).
    pub id: SourceId,
    /// Units held back from this channel: it sees `max(0, available - buffer)` at most.
    pub buffer: i64,
    /// Its rule.
    pub allocation: Allocation,
    /// Lower values are served first; ties are served in id order.
    pub priority: u32,
}

impl Channel {
    /// A channel offered everything available, with no buffer, at priority 0.
    pub fn new(id: SourceId) -> Self {
        Channel { id, buffer: 0, allocation: Allocation::All, priority: 0 }
    }

    /// Sets the buffer.
    #[must_use]
    pub fn with_buffer(mut self, buffer: i64) -> Self {
        self.buffer = buffer;
        self
    }

    /// Sets the allocation rule.
    #[must_use]
    pub fn with_allocation(mut self, allocation: Allocation) -> Self {
        self.allocation = allocation;
        self
    }

    /// Sets the priority.
    #[must_use]
    pub fn with_priority(mut self, priority: u32) -> Self {
        self.priority = priority;
        self
    }

    /// What this channel would get on its own, from `available` units.
    fn entitlement(&self, available: i64) -> i64 {
        let base = available.saturating_sub(self.buffer.max(0)).max(0);
        match self.allocation {
            Allocation::All => base,
            Allocation::Share { basis_points } => {
                let share = i128::from(available.max(0)) * i128::from(basis_points.min(10_000)) / 10_000;
                base.min(share as i64)
            }
            Allocation::Cap { units } => base.min(units.max(0)),
        }
    }
}

/// Available-to-sell per channel for one item x location holding `available` units, in
/// the order of `channels`.
///
/// Channels are served by priority (then id); each gets its entitlement, limited to what
/// the channels before it left. The quantities are never negative and never sum to more
/// than `max(0, available)`, so the channels together cannot oversell.
///
/// ```
/// use invsync_core::sync::{allocate, Allocation, Channel};
/// use invsync_core::SourceId;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let web = Channel::new(SourceId::new("web")?).with_buffer(2);
/// let market = Channel::new(SourceId::new("marketplace")?)
///     .with_allocation(Allocation::Share { basis_points: 3_000 })
///     .with_priority(1);
/// // Web is served first: 10 - 2 = 8; the marketplace's 30 % (3) exceeds the 2 left.
/// assert_eq!(allocate(10, &[web, market]), vec![8, 2]);
/// # Ok(()) }
/// ```
pub fn allocate(available: i64, channels: &[Channel]) -> Vec<i64> {
    let mut order: Vec<usize> = (0..channels.len()).collect();
    order.sort_by(|&a, &b| (channels[a].priority, &channels[a].id).cmp(&(channels[b].priority, &channels[b].id)));
    let mut left = available.max(0);
    let mut out = vec![0; channels.len()];
    for i in order {
        let q = channels[i].entitlement(available).min(left);
        out[i] = q;
        left -= q;
    }
    out
}
