//! Registrations as part of a ledger's record, and rebuilding a ledger by replay.

use super::{Event, Ledger, LedgerConfig, LedgerError, NegativeStock, ValuationMethod};
use crate::{EventId, ItemId, LocationId};

/// A registration of an item or a location, as [`Ledger::register`] takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Registration {
    /// An item and its valuation method ([`Ledger::register_item`]).
    Item {
        /// The item.
        item: ItemId,
        /// Its valuation method.
        valuation: ValuationMethod,
    },
    /// A location and its negative-stock policy ([`Ledger::register_location`]).
    Location {
        /// The location.
        location: LocationId,
        /// Its negative-stock policy.
        negative: NegativeStock,
    },
}

/// A registration and its place among the events: it was made when `before_seq` events
/// had been accepted, so it takes effect before the event whose [`Outcome::seq`] is
/// `before_seq` (after the last event when `before_seq` is the number of events).
///
/// [`Outcome::seq`]: super::Outcome::seq
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Registered {
    /// The number of events accepted before the registration.
    pub before_seq: u64,
    /// The registration.
    pub registration: Registration,
}

/// Why [`Ledger::replay`] could not rebuild a ledger. Nothing is returned then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The event at position `seq` of the replayed events was refused.
    #[error("replayed event {seq}: {error}")]
    Refused {
        /// Zero-based position of the event among the replayed events.
        seq: u64,
        /// Why it was refused.
        error: LedgerError,
    },
    /// The event at position `seq` repeats an earlier one (an id accepted before with the
    /// same payload): a ledger's events never do, so these are not a ledger's events.
    #[error("replayed event {seq}: {event} repeats event {original}")]
    Duplicate {
        /// Zero-based position of the event among the replayed events.
        seq: u64,
        /// Its id.
        event: EventId,
        /// The position of the event it repeats.
        original: u64,
    },
    /// A registration's place is before the previous registration's or after the last
    /// event.
    #[error("registration {index}: placed before event {before_seq}, but {reason}")]
    Misplaced {
        /// Zero-based position of the registration among the replayed registrations.
        index: usize,
        /// Its place ([`Registered::before_seq`]).
        before_seq: u64,
        /// What is wrong with it.
        reason: Misplacement,
    },
}

/// What is wrong with a registration's place ([`ReplayError::Misplaced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Misplacement {
    /// The previous registration is placed later (registrations come in the order made).
    #[error("the previous registration is placed before event {previous}")]
    OutOfOrder {
        /// The previous registration's place.
        previous: u64,
    },
    /// There are fewer events than its place.
    #[error("only {events} events were replayed")]
    PastTheEnd {
        /// How many events were replayed.
        events: u64,
    },
}

impl Ledger {
    /// Registers an item or a location: [`Ledger::register_item`] or
    /// [`Ledger::register_location`]. The registration is recorded with its place among
    /// the events ([`Ledger::registrations`]).
    pub fn register(&mut self, registration: Registration) {
        match &registration {
            Registration::Item { item, valuation } => {
                self.items.insert(item.clone(), *valuation);
            }
            Registration::Location { location, negative } => {
                for slot in self.keys.iter_mut().filter(|s| s.location == *location) {
                    slot.negative = *negative;
                }
                self.locations.insert(location.clone(), *negative);
            }
        }
        self.registrations.push(Registered { before_seq: self.log.len() as u64, registration });
    }

    /// Every registration in the order made, each with its place among the events.
    /// With [`Ledger::events`] and the configuration, what [`Ledger::replay`] needs.
    pub fn registrations(&self) -> &[Registered] {
        &self.registrations
    }

    /// Rebuilds a ledger: a fresh ledger with `config`, each registration made in its
    /// place among `events` (applied one by one, in order). Replaying
    /// [`Ledger::registrations`] and [`Ledger::events`] of a ledger with its
    /// configuration reproduces it exactly: levels, valuation, history, outcomes and the
    /// records themselves.
    ///
    /// ```
    /// use invsync_core::ledger::{Event, Ledger, LedgerConfig, Movement, NegativeStock, ValuationMethod};
    /// use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
    /// let mut ledger = Ledger::default();
    /// ledger.register_item(item.clone(), ValuationMethod::Fifo);
    /// ledger.register_location(store.clone(), NegativeStock::Allow);
    /// let issue = Event::new(EventId::new("s1")?, SourceId::new("pos")?, item.clone(),
    ///                        store.clone(), Timestamp::from_days(1), Movement::issue(4));
    /// ledger.apply(issue)?; // allowed only because of the registration
    ///
    /// let copy = Ledger::replay(
    ///     ledger.config().clone(),
    ///     ledger.registrations().iter().cloned(),
    ///     ledger.events().cloned(),
    /// )?;
    /// assert_eq!(copy.levels(&item, &store).on_hand(), -4);
    /// assert_eq!(copy.registrations(), ledger.registrations());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ReplayError`] when an event is refused or repeats an earlier one, or a
    /// registration is out of order or placed after the last event.
    pub fn replay(
        config: LedgerConfig,
        registrations: impl IntoIterator<Item = Registered>,
        events: impl IntoIterator<Item = Event>,
    ) -> Result<Ledger, ReplayError> {
        let mut ledger = Ledger::new(config);
        let mut registrations = registrations.into_iter().enumerate().peekable();
        let mut previous = 0;
        let mut register_up_to = |ledger: &mut Ledger, seq: u64| -> Result<(), ReplayError> {
            while let Some((index, r)) = registrations.next_if(|(_, r)| r.before_seq <= seq) {
                if r.before_seq < previous {
                    let reason = Misplacement::OutOfOrder { previous };
                    return Err(ReplayError::Misplaced { index, before_seq: r.before_seq, reason });
                }
                previous = r.before_seq;
                ledger.register(r.registration);
            }
            Ok(())
        };
        let mut seq = 0u64;
        for event in events {
            register_up_to(&mut ledger, seq)?;
            let id = event.id.clone();
            let outcome = ledger.apply(event).map_err(|error| ReplayError::Refused { seq, error })?;
            if outcome.duplicate {
                return Err(ReplayError::Duplicate { seq, event: id, original: outcome.seq });
            }
            seq += 1;
        }
        register_up_to(&mut ledger, seq)?;
        if let Some((index, r)) = registrations.next() {
            let reason = Misplacement::PastTheEnd { events: seq };
            return Err(ReplayError::Misplaced { index, before_seq: r.before_seq, reason });
        }
        Ok(ledger)
    }
}
