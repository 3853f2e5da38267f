//! The ledger <-> planner bridge: demand histories and stock positions built from a
//! [`Ledger`], and planned orders posted back as scheduled receipts.
//!
//! The rules (docs/bridge.md has a worked example):
//!
//! * **Calendar.** The caller names a [`PlanningCalendar`]: a period length (day, week,
//!   calendar month) and an anchor date, the start of one period (so `Week` anchored on
//!   a Monday gives weeks starting Monday). The bridge works *as of* an instant on that
//!   calendar (a period start): everything that occurred before it counts, nothing at or
//!   after it.
//! * **Demand** of a period is, over the entries of the item x location that occurred in
//!   it: issues from a sellable bucket (available, committed, reserved, safety stock) plus
//!   fulfilments, less customer returns; a period whose returns exceed its demand is 0
//!   (the excess is not carried). Issues from damaged or quality control (scrap),
//!   transfers, adjustments, counts and receipts are not demand. A cancelled event is not
//!   there at all (the ledger's history leaves it out).
//! * **Censoring.** A period is censored (out of stock: its demand is a lower bound)
//!   when `available` was at or below zero at the period's start or after any entry in
//!   it.
//! * **Span.** An item x location's history starts at the period of its first entry (or
//!   the anchor's, when that entry is earlier) and ends with the period before the as-of
//!   instant; every period in between is present (0 when nothing was sold).
//! * **Position.** On hand is the stock in sellable buckets (available, committed,
//!   reserved, safety stock; not damaged or quality control) just before the as-of
//!   instant, at least 0. Each open scheduled receipt and inbound transfer (what is still
//!   open on it then) arrives in the period its expected date falls in: `arrivals[h - 1]`
//!   for period h after the as-of instant. An overdue line, and a transfer without an
//!   expected date, arrive in period 1; a line expected after period L (the lead time)
//!   counts in period L (with L = 0, as on hand), so the planner never orders again what
//!   is already on order.
//! * **Posting back.** [`Bridge::planned_receipts`] turns a plan's orders into
//!   [`Movement::ScheduleReceipt`] events dated one millisecond before the as-of instant
//!   and expected at the start of period L + 1 (when the planner assumes the order
//!   arrives). Their ids are derived from the plan id, the item and the location
//!   ([`planned_receipt_id`]), so posting one plan twice is a duplicate delivery the
//!   ledger acknowledges without applying. A bridge built with
//!   [`Bridge::ignoring_plan`] leaves that plan's own receipts out of the positions, so
//!   planning again under the same plan id rebuilds the same plan.
//!
//! ```
//! use invsync_core::bridge::{Bridge, PlanningCalendar};
//! use invsync_core::demand::Calendar;
//! use invsync_core::ledger::{Event, Ledger, Movement};
//! use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
//! let mut ledger = Ledger::default();
//! let mut post = |id: &str, at: &str, m: Movement| -> Result<(), Box<dyn std::error::Error>> {
//!     let e = Event::new(EventId::new(id)?, SourceId::new("pos")?, item.clone(), store.clone(), at.parse()?, m);
//!     ledger.apply(e)?;
//!     Ok(())
//! };
//! post("r1", "2023-12-29T08:00:00Z", Movement::receipt(10))?; // before the anchor: stock only
//! post("s1", "2024-01-03T12:00:00Z", Movement::issue(4))?;
//! post("s2", "2024-01-09T12:00:00Z", Movement::issue(6))?; // sold out in week 2
//! let weeks = PlanningCalendar::new(Calendar::Week, Timestamp::from_date(2024, 1, 1)?)?;
//! let bridge = Bridge::new(&ledger, weeks, Timestamp::from_date(2024, 1, 15)?)?;
//! let history = bridge.history(&item, &store)?;
//! assert_eq!(history.values(), &[4.0, 6.0]);
//! assert_eq!(history.censored(), &[false, true]);
//! assert_eq!(bridge.position(&item, &store, 2)?.on_hand, 0.0);
//! # Ok(()) }
//! ```

use std::collections::HashMap;

use crate::demand::{Calendar, DemandHistory};
use crate::ledger::{Bucket, Event, Ledger, Levels, Movement};
use crate::policy::StockPosition;
use crate::{EventId, IdError, ItemId, LocationId, SourceId, Timestamp};

/// The most periods one history may span (a daily calendar over 270 years).
pub const MAX_PERIODS: usize = 100_000;

/// The source of the scheduled receipts [`Bridge::planned_receipts`] posts.
pub const PLAN_SOURCE: &str = "invsync-plan";

/// Why the bridge refused its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The anchor is not midnight UTC (a period starts on a date).
    #[error("calendar anchor {anchor} is not a date (midnight UTC)")]
    AnchorNotDate {
        /// The anchor given.
        anchor: Timestamp,
    },
    /// A monthly calendar anchored after the 28th (its periods would not all start on
    /// the same day of the month).
    #[error("monthly calendar anchor {anchor} is after the 28th: anchor months on days 1 to 28")]
    AnchorDay {
        /// The anchor given.
        anchor: Timestamp,
    },
    /// The as-of instant is not a period start of the calendar.
    #[error("as-of {as_of} is not a period start of the calendar (the nearest are {before} and {after})")]
    AsOfOffCalendar {
        /// The instant given.
        as_of: Timestamp,
        /// The period start before it.
        before: Timestamp,
        /// The period start after it.
        after: Timestamp,
    },
    /// The as-of instant is not after the calendar's anchor.
    #[error("as-of {as_of} is not after the calendar anchor {anchor}")]
    AsOfBeforeAnchor {
        /// The instant given.
        as_of: Timestamp,
        /// The anchor.
        anchor: Timestamp,
    },
    /// The item x location has no entry before the as-of instant (a cancelled event does
    /// not count).
    #[error("item {item} at location {location} has no events before {as_of}")]
    NoEvents {
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// The as-of instant.
        as_of: Timestamp,
    },
    /// The history would span more than [`MAX_PERIODS`] periods.
    #[error(
        "item {item} at location {location}: {periods} periods from its first event to the as-of instant, more than {MAX_PERIODS}"
    )]
    TooManyPeriods {
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// The periods it would span.
        periods: u64,
    },
    /// A planned order is not a whole number of units from 0 to the ledger's largest
    /// quantity.
    #[error("item {item} at location {location}: planned order {qty} is not a whole number of units from 0 to {max}")]
    BadOrder {
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// The order.
        qty: f64,
        /// The largest quantity one event may carry.
        max: i64,
    },
    /// The plan was posted before with another order for this item x location (the
    /// ledger changed since): a plan id posts one set of orders.
    #[error(
        "plan {plan_id:?} was posted before with an order of {posted} for item {item} at location {location}, now {now}: plan under a new plan id"
    )]
    PlanChanged {
        /// The plan id.
        plan_id: String,
        /// The item.
        item: ItemId,
        /// The location.
        location: LocationId,
        /// The quantity posted before.
        posted: i64,
        /// The quantity planned now.
        now: i64,
    },
    /// The plan id, or an event id derived from it, is not a valid id.
    #[error("plan id {plan_id:?}: {source}")]
    PlanId {
        /// The plan id.
        plan_id: String,
        /// Why.
        source: IdError,
    },
}

/// A calendar the caller names: a period length and the start of one period.
///
/// ```
/// use invsync_core::bridge::PlanningCalendar;
/// use invsync_core::demand::Calendar;
/// use invsync_core::Timestamp;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Weeks starting Monday (2024-01-01 was a Monday).
/// let weeks = PlanningCalendar::new(Calendar::Week, Timestamp::from_date(2024, 1, 1)?)?;
/// assert_eq!(weeks.period_of("2024-01-10T09:00:00Z".parse()?), 1);
/// assert!(PlanningCalendar::new(Calendar::Month, Timestamp::from_date(2024, 1, 31)?).is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanningCalendar {
    calendar: Calendar,
    anchor: Timestamp,
}

impl PlanningCalendar {
    /// A calendar of `calendar` periods, one of which starts at `anchor`.
    ///
    /// # Errors
    ///
    /// [`BridgeError::AnchorNotDate`] when `anchor` is not midnight UTC;
    /// [`BridgeError::AnchorDay`] for a monthly calendar anchored after the 28th.
    pub fn new(calendar: Calendar, anchor: Timestamp) -> Result<Self, BridgeError> {
        if Timestamp::from_days(anchor.days()) != anchor {
            return Err(BridgeError::AnchorNotDate { anchor });
        }
        if calendar == Calendar::Month && anchor.to_date().2 > 28 {
            return Err(BridgeError::AnchorDay { anchor });
        }
        Ok(PlanningCalendar { calendar, anchor })
    }

    /// The period length.
    pub fn calendar(&self) -> Calendar {
        self.calendar
    }

    /// The anchor (the start of period 0).
    pub fn anchor(&self) -> Timestamp {
        self.anchor
    }

    /// The start of period `t` (negative: before the anchor).
    pub fn start(&self, t: i64) -> Timestamp {
        self.calendar.period_start(self.anchor, t)
    }

    /// The period `at` falls in (negative: before the anchor).
    pub fn period_of(&self, at: Timestamp) -> i64 {
        // i128: no instant pair overflows, so even absurd dates cannot loop or wrap.
        let ms = i128::from(at.as_millis()) - i128::from(self.anchor.as_millis());
        let day = i128::from(crate::MS_PER_DAY);
        let clamp = |t: i128| t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        match self.calendar {
            Calendar::Day => clamp(ms.div_euclid(day)),
            Calendar::Week => clamp(ms.div_euclid(7 * day)),
            Calendar::Month => {
                let ((ya, ma, _), (y, m, _)) = (self.anchor.to_date(), at.to_date());
                let t = (i64::from(y) - i64::from(ya)) * 12 + i64::from(m) - i64::from(ma);
                // The month of `at` starts its period unless `at` is before the anchor's day
                // of the month (days 1 to 28, so every month has it).
                if self.start(t) > at { t - 1 } else { t }
            }
        }
    }
}

/// One item x location as the planner takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeItem {
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// Its demand history ([`Bridge::history`]).
    pub history: DemandHistory,
    /// Its stock position ([`Bridge::position`]).
    pub position: StockPosition,
}

impl BridgeItem {
    /// The planner's key: `item/location` (what the CSV path names an item of a long
    /// history with `item,location` key columns, so both draw the same random stream).
    pub fn key(&self) -> String {
        format!("{}/{}", self.item, self.location)
    }
}

/// One order of a plan, to post back ([`Bridge::planned_receipts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedOrder {
    /// The item.
    pub item: ItemId,
    /// The location.
    pub location: LocationId,
    /// Units (whole, >= 0; 0 posts nothing).
    pub qty: f64,
    /// The item's lead time in periods (the receipt is expected at the start of period
    /// `lead_time + 1`).
    pub lead_time: usize,
}

/// The planner's view of a ledger as of an instant on a calendar.
#[derive(Debug, Clone)]
pub struct Bridge<'a> {
    ledger: &'a Ledger,
    calendar: PlanningCalendar,
    as_of: Timestamp,
    /// The period that starts at `as_of` (the first one after the history).
    now: i64,
    /// The id prefix of the plan whose own receipts the positions leave out.
    ignore: Option<String>,
}

/// The id of the scheduled receipt a plan posts for one item x location:
/// `plan/<len>:<plan id>/<len>:<item>/<location>` (the lengths in bytes make it
/// unambiguous whatever the texts hold).
///
/// # Errors
///
/// [`BridgeError::PlanId`] when the id is not valid (empty plan id, or longer than
/// [`MAX_ID_LEN`](crate::MAX_ID_LEN) bytes).
///
/// ```
/// use invsync_core::bridge::planned_receipt_id;
/// use invsync_core::{ItemId, LocationId};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let id = planned_receipt_id("2024-W53", &ItemId::new("SKU-1")?, &LocationId::new("S1")?)?;
/// assert_eq!(id.as_str(), "plan/8:2024-W53/5:SKU-1/S1");
/// # Ok(()) }
/// ```
pub fn planned_receipt_id(plan_id: &str, item: &ItemId, location: &LocationId) -> Result<EventId, BridgeError> {
    let bad = |source| BridgeError::PlanId { plan_id: plan_id.to_owned(), source };
    if plan_id.is_empty() {
        return Err(bad(IdError::Empty { kind: "plan id" }));
    }
    let (item, location) = (item.as_str(), location.as_str());
    EventId::new(format!("{}{}:{item}/{location}", plan_prefix(plan_id), item.len())).map_err(bad)
}

/// The id prefix every receipt of plan `plan_id` starts with.
fn plan_prefix(plan_id: &str) -> String {
    format!("plan/{}:{plan_id}/", plan_id.len())
}

impl<'a> Bridge<'a> {
    /// The planner's view of `ledger` as of `as_of` (a period start of `calendar`).
    ///
    /// # Errors
    ///
    /// [`BridgeError::AsOfOffCalendar`] when `as_of` is not a period start;
    /// [`BridgeError::AsOfBeforeAnchor`] when it is not after the anchor.
    pub fn new(ledger: &'a Ledger, calendar: PlanningCalendar, as_of: Timestamp) -> Result<Self, BridgeError> {
        let now = calendar.period_of(as_of);
        if calendar.start(now) != as_of {
            return Err(BridgeError::AsOfOffCalendar {
                as_of,
                before: calendar.start(now),
                after: calendar.start(now + 1),
            });
        }
        if now <= 0 {
            return Err(BridgeError::AsOfBeforeAnchor { as_of, anchor: calendar.anchor });
        }
        Ok(Bridge { ledger, calendar, as_of, now, ignore: None })
    }

    /// This view with plan `plan_id`'s own scheduled receipts left out of the positions
    /// (so planning again under that id sees what the plan saw).
    #[must_use]
    pub fn ignoring_plan(mut self, plan_id: &str) -> Self {
        self.ignore = Some(plan_prefix(plan_id));
        self
    }

    /// The as-of instant.
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// The calendar.
    pub fn calendar(&self) -> PlanningCalendar {
        self.calendar
    }

    /// Every item x location with an entry before the as-of instant, sorted by item then
    /// location (byte order of their texts).
    pub fn keys(&self) -> Vec<(ItemId, LocationId)> {
        let mut keys: Vec<(ItemId, LocationId)> = self
            .ledger
            .keys()
            .filter(|(i, l)| self.ledger.history(i, l).next().is_some_and(|h| h.event.occurred_at < self.as_of))
            .map(|(i, l)| (i.clone(), l.clone()))
            .collect();
        keys.sort();
        keys
    }

    /// Every item x location of [`Bridge::keys`] with its history and its position for
    /// the lead time `lead_time(item, location)`, in that order.
    ///
    /// # Errors
    ///
    /// The first item's [`BridgeError`].
    pub fn items(&self, lead_time: impl Fn(&ItemId, &LocationId) -> usize) -> Result<Vec<BridgeItem>, BridgeError> {
        self.keys()
            .into_iter()
            .map(|(item, location)| {
                let (history, position) = self.walk(&item, &location, lead_time(&item, &location))?;
                Ok(BridgeItem { item, location, history, position })
            })
            .collect()
    }

    /// The demand history of one item x location (the rules are in the module docs).
    ///
    /// # Errors
    ///
    /// [`BridgeError::NoEvents`] when it has no entry before the as-of instant;
    /// [`BridgeError::TooManyPeriods`].
    pub fn history(&self, item: &ItemId, location: &LocationId) -> Result<DemandHistory, BridgeError> {
        self.walk(item, location, 0).map(|(h, _)| h)
    }

    /// The stock position of one item x location for a planner with lead time
    /// `lead_time` (`lead_time` arrival slots; the rules are in the module docs).
    ///
    /// # Errors
    ///
    /// As [`Bridge::history`].
    pub fn position(
        &self,
        item: &ItemId,
        location: &LocationId,
        lead_time: usize,
    ) -> Result<StockPosition, BridgeError> {
        self.walk(item, location, lead_time).map(|(_, p)| p)
    }

    /// The scheduled receipts that post `orders` back under `plan_id`: one per order above
    /// 0, dated one millisecond before the as-of instant, expected at the start of period
    /// `lead_time + 1`, with source [`PLAN_SOURCE`], the plan id as reference and the id
    /// [`planned_receipt_id`]. Applying them twice changes nothing the second time.
    ///
    /// # Errors
    ///
    /// [`BridgeError::BadOrder`] for an order that is not a whole number of units within
    /// the ledger's largest quantity; [`BridgeError::PlanChanged`] when the ledger holds
    /// this plan's receipt for an item x location with another quantity (0 included: an
    /// order that went away); [`BridgeError::PlanId`].
    ///
    /// ```
    /// use invsync_core::bridge::{Bridge, PlannedOrder, PlanningCalendar};
    /// use invsync_core::demand::Calendar;
    /// use invsync_core::ledger::{Event, Ledger, Movement};
    /// use invsync_core::{EventId, ItemId, LocationId, SourceId, Timestamp};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (item, store) = (ItemId::new("SKU-1")?, LocationId::new("S1")?);
    /// let mut ledger = Ledger::default();
    /// ledger.apply(Event::new(EventId::new("r1")?, SourceId::new("wms")?, item.clone(), store.clone(),
    ///                         "2024-01-02T08:00:00Z".parse()?, Movement::receipt(10)))?;
    /// let weeks = PlanningCalendar::new(Calendar::Week, Timestamp::from_date(2024, 1, 1)?)?;
    /// let as_of = Timestamp::from_date(2024, 1, 15)?;
    /// let order = PlannedOrder { item: item.clone(), location: store.clone(), qty: 30.0, lead_time: 2 };
    /// let receipts = Bridge::new(&ledger, weeks, as_of)?.planned_receipts("W3", &[order.clone()])?;
    /// ledger.apply_batch(receipts.clone())?;
    /// // Posted again: a duplicate, nothing changes.
    /// assert!(ledger.apply_batch(receipts)?[0].duplicate);
    /// assert_eq!(ledger.levels(&item, &store).incoming, 30);
    /// // The next run sees it on order (expected in period 3, counted in period L = 2) ...
    /// let bridge = Bridge::new(&ledger, weeks, as_of)?;
    /// assert_eq!(bridge.position(&item, &store, 2)?.arrivals, vec![0.0, 30.0]);
    /// // ... except a run of the same plan, which rebuilds the same orders.
    /// let bridge = bridge.ignoring_plan("W3");
    /// assert_eq!(bridge.position(&item, &store, 2)?.arrivals, vec![0.0, 0.0]);
    /// assert!(ledger.apply_batch(bridge.planned_receipts("W3", &[order])?)?[0].duplicate);
    /// # Ok(()) }
    /// ```
    pub fn planned_receipts(&self, plan_id: &str, orders: &[PlannedOrder]) -> Result<Vec<Event>, BridgeError> {
        let source =
            SourceId::new(PLAN_SOURCE).map_err(|source| BridgeError::PlanId { plan_id: plan_id.to_owned(), source })?;
        let max = self.ledger.config().max_quantity;
        let at = self.as_of.add_millis(-1);
        let mut out = Vec::new();
        for o in orders {
            if !(o.qty.is_finite() && o.qty >= 0.0 && o.qty.fract() == 0.0 && o.qty <= max as f64) {
                return Err(BridgeError::BadOrder {
                    item: o.item.clone(),
                    location: o.location.clone(),
                    qty: o.qty,
                    max,
                });
            }
            let id = planned_receipt_id(plan_id, &o.item, &o.location)?;
            let posted = match self.ledger.event(&id).map(|e| &e.movement) {
                Some(Movement::ScheduleReceipt { qty, .. }) => *qty,
                _ => 0,
            };
            if posted != 0 && posted != o.qty as i64 {
                return Err(BridgeError::PlanChanged {
                    plan_id: plan_id.to_owned(),
                    item: o.item.clone(),
                    location: o.location.clone(),
                    posted,
                    now: o.qty as i64,
                });
            }
            if o.qty == 0.0 {
                continue;
            }
            let lead = i64::try_from(o.lead_time).unwrap_or(i64::MAX);
            let expected = self.calendar.start(self.now.saturating_add(lead));
            out.push(
                Event::new(
                    id,
                    source.clone(),
                    o.item.clone(),
                    o.location.clone(),
                    at,
                    Movement::ScheduleReceipt { qty: o.qty as i64, expected_at: expected },
                )
                .with_reference(plan_id),
            );
        }
        Ok(out)
    }

    /// One pass over the item x location's entries before the as-of instant: the history
    /// and the position for `lead_time`.
    fn walk(
        &self,
        item: &ItemId,
        location: &LocationId,
        lead_time: usize,
    ) -> Result<(DemandHistory, StockPosition), BridgeError> {
        let no_events = || BridgeError::NoEvents { item: item.clone(), location: location.clone(), as_of: self.as_of };
        let mut entries =
            self.ledger.history(item, location).take_while(|h| h.event.occurred_at < self.as_of).peekable();
        let first = entries.peek().ok_or_else(no_events)?.event.occurred_at;
        let start = self.calendar.period_of(first).max(0);
        let periods = u64::try_from(self.now - start).unwrap_or(0);
        if periods > MAX_PERIODS as u64 {
            return Err(BridgeError::TooManyPeriods { item: item.clone(), location: location.clone(), periods });
        }
        let n = periods as usize;
        let mut demand = vec![0i128; n];
        let mut censored = vec![false; n];
        // Levels after the last entry seen (before the first: nothing).
        let mut levels = Levels::default();
        // The period whose start state has been looked at.
        let mut current: i64 = start - 1;
        // Open lines: (id, remaining, expected date), in the order they opened.
        let mut lines: Vec<(EventId, i64, Option<Timestamp>)> = Vec::new();
        let mut line_of: HashMap<EventId, usize> = HashMap::new();
        for entry in entries {
            let e = entry.event;
            let t = self.calendar.period_of(e.occurred_at);
            if t >= start {
                // Periods up to this one start with the levels before this entry.
                while current < t {
                    current += 1;
                    if levels.available <= 0 {
                        censored[(current - start) as usize] = true;
                    }
                }
                let slot = (t - start) as usize;
                demand[slot] += i128::from(demand_of(&e.movement));
                if entry.levels.available <= 0 {
                    censored[slot] = true;
                }
            }
            levels = entry.levels;
            self.track_line(e, location, &mut lines, &mut line_of);
        }
        // Periods after the last entry start (and stay) at the last levels.
        while current < self.now - 1 {
            current += 1;
            if levels.available <= 0 {
                censored[(current - start) as usize] = true;
            }
        }
        let values = demand.iter().map(|&d| d.max(0) as f64).collect();
        // Values are finite and >= 0 and the lengths agree: `new` cannot refuse them.
        let history = DemandHistory::new(self.calendar.start(start), self.calendar.calendar, values, censored)
            .map_err(|_| no_events())?;
        let on_hand = [levels.available, levels.committed, levels.reserved, levels.safety_stock]
            .iter()
            .fold(0i64, |a, &v| a.saturating_add(v))
            .max(0);
        let mut on_hand = on_hand as f64;
        let mut arrivals = vec![0.0; lead_time];
        for (_, remaining, expected) in lines.iter().filter(|l| l.1 > 0) {
            let h = expected.map_or(1, |at| (self.calendar.period_of(at) - self.now + 1).max(1));
            let slot = usize::try_from(h).unwrap_or(usize::MAX).min(lead_time);
            match slot.checked_sub(1) {
                Some(i) => arrivals[i] += *remaining as f64,
                None => on_hand += *remaining as f64,
            }
        }
        Ok((history, StockPosition { on_hand, arrivals }))
    }

    /// Opens, fills or closes the open line an entry speaks for, as the ledger does.
    fn track_line(
        &self,
        e: &Event,
        location: &LocationId,
        lines: &mut Vec<(EventId, i64, Option<Timestamp>)>,
        line_of: &mut HashMap<EventId, usize>,
    ) {
        let mut take = |target: &EventId, qty: i64, close: bool| {
            if let Some(&i) = line_of.get(target) {
                let open = lines[i].1;
                lines[i].1 = if close { 0 } else { open - qty.min(open) };
            }
        };
        match &e.movement {
            Movement::ScheduleReceipt { qty, expected_at } => {
                let own = self.ignore.as_deref().is_some_and(|p| e.id.as_str().starts_with(p));
                if !own {
                    line_of.insert(e.id.clone(), lines.len());
                    lines.push((e.id.clone(), *qty, Some(*expected_at)));
                }
            }
            Movement::TransferOut { to, qty, expected_at, .. } if to == location && e.location != *location => {
                line_of.insert(e.id.clone(), lines.len());
                lines.push((e.id.clone(), *qty, *expected_at));
            }
            Movement::Receipt { qty, against: Some(target), close, .. } => take(target, *qty, *close),
            Movement::TransferIn { transfer, qty, close } => take(transfer, *qty, *close),
            _ => {}
        }
    }
}

/// The demand an event's movement stands for (negative: a return).
fn demand_of(m: &Movement) -> i64 {
    match m {
        Movement::Issue { qty, from, .. } if sellable(*from) => *qty,
        Movement::Fulfil { qty, .. } => *qty,
        Movement::Return { qty, .. } => -*qty,
        _ => 0,
    }
}

/// Whether units in `b` are for sale (issues from it are demand).
fn sellable(b: Bucket) -> bool {
    matches!(b, Bucket::Available | Bucket::Committed | Bucket::Reserved | Bucket::SafetyStock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerConfig;

    fn id<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        r.expect("a valid id")
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("an instant")
    }

    /// A ledger of SKU at S1 (and DC) from `(id, instant, location, movement)` rows.
    fn ledger(rows: &[(&str, &str, &str, Movement)]) -> Ledger {
        let mut l = Ledger::new(LedgerConfig::default());
        for (eid, when, loc, m) in rows {
            let e = Event::new(
                id(EventId::new(*eid)),
                id(SourceId::new("pos")),
                id(ItemId::new("SKU")),
                id(LocationId::new(*loc)),
                at(when),
                m.clone(),
            );
            l.apply(e).expect("accepted");
        }
        l
    }

    fn weeks() -> PlanningCalendar {
        PlanningCalendar::new(Calendar::Week, Timestamp::from_date(2024, 1, 1).unwrap()).unwrap()
    }

    fn key() -> (ItemId, LocationId) {
        (id(ItemId::new("SKU")), id(LocationId::new("S1")))
    }

    #[track_caller]
    fn check_history(rows: &[(&str, &str, &str, Movement)], as_of: &str, values: &[f64], censored: &[bool]) {
        let l = ledger(rows);
        let b = Bridge::new(&l, weeks(), at(as_of)).unwrap();
        let (item, loc) = key();
        let h = b.history(&item, &loc).unwrap();
        assert_eq!((h.values(), h.censored()), (values, censored));
    }

    #[test]
    fn demand_is_issues_and_fulfilments_less_returns() {
        use Movement as M;
        let base = [
            ("r", "2023-12-30T00:00:00Z", "S1", M::receipt(100)),
            // week 0: 5 sold, 2 returned, 3 scrapped (not demand), 4 committed then shipped
            ("s1", "2024-01-02T10:00:00Z", "S1", M::issue(5)),
            ("rt", "2024-01-03T10:00:00Z", "S1", M::customer_return(2, Bucket::Available)),
            ("dm", "2024-01-03T11:00:00Z", "S1", M::damage(3, Bucket::Available)),
            ("x", "2024-01-03T12:00:00Z", "S1", M::Issue { qty: 3, from: Bucket::Damaged, unit_cost: None }),
            ("c", "2024-01-04T10:00:00Z", "S1", M::commit(4, Bucket::Available)),
            ("f", "2024-01-05T10:00:00Z", "S1", M::fulfil(4, Bucket::Committed)),
            // week 1: a transfer out and a count are not demand; a cancelled sale is gone
            ("t", "2024-01-08T10:00:00Z", "S1", M::transfer_out(id(LocationId::new("DC")), 10)),
            ("k", "2024-01-09T10:00:00Z", "S1", M::count(70)),
            ("s2", "2024-01-10T10:00:00Z", "S1", M::issue(6)),
            ("cx", "2024-01-11T10:00:00Z", "S1", M::cancel(id(EventId::new("s2")))),
            // week 2: returns above sales: 0, not negative
            ("s3", "2024-01-15T10:00:00Z", "S1", M::issue(1)),
            ("rt2", "2024-01-16T10:00:00Z", "S1", M::customer_return(3, Bucket::Available)),
        ];
        check_history(&base, "2024-01-22T00:00:00Z", &[7.0, 0.0, 0.0], &[false; 3]);
        // As of week 2's start, week 2 is not there.
        check_history(&base, "2024-01-15T00:00:00Z", &[7.0, 0.0], &[false; 2]);
    }

    #[test]
    fn a_period_is_censored_when_available_reaches_zero() {
        use Movement as M;
        let rows = [
            // Starts mid-week 0 from nothing: censored.
            ("r", "2024-01-03T00:00:00Z", "S1", M::receipt(10)),
            // Week 1: sold out on Tuesday, refilled on Wednesday: censored.
            ("s1", "2024-01-09T10:00:00Z", "S1", M::issue(10)),
            ("r2", "2024-01-10T10:00:00Z", "S1", M::receipt(5)),
            // Week 2: all reserved (available 0): censored.
            ("v", "2024-01-16T10:00:00Z", "S1", M::reserve(5)),
            ("rl", "2024-01-17T10:00:00Z", "S1", M::release(5)),
            // Week 3: nothing happens, 5 available: in stock. Week 4: sold out, and week 5
            // starts (and stays) empty.
            ("s2", "2024-02-02T10:00:00Z", "S1", M::issue(5)),
        ];
        check_history(
            &rows,
            "2024-02-12T00:00:00Z",
            &[0.0, 10.0, 0.0, 0.0, 5.0, 0.0],
            &[true, true, true, false, true, true],
        );
    }

    #[test]
    fn position_slots_open_lines_by_expected_date() {
        use Movement as M;
        let po = |qty, day: &str| M::schedule_receipt(qty, at(day));
        let rows = [
            ("r", "2024-01-02T00:00:00Z", "S1", M::receipt(20)),
            ("dm", "2024-01-02T01:00:00Z", "S1", M::damage(3, Bucket::Available)),
            ("v", "2024-01-02T02:00:00Z", "S1", M::reserve(2)),
            // Overdue: period 1. Partly received (4 of 10 open).
            ("p1", "2024-01-03T00:00:00Z", "S1", po(10, "2024-01-10T00:00:00Z")),
            ("p2", "2024-01-03T00:00:00Z", "S1", po(7, "2024-01-23T12:00:00Z")), // period 2
            ("p3", "2024-01-03T00:00:00Z", "S1", po(9, "2024-03-01T00:00:00Z")), // beyond L: period L
            ("p4", "2024-01-03T00:00:00Z", "S1", po(8, "2024-01-22T00:00:00Z")), // closed short
            (
                "a1",
                "2024-01-04T00:00:00Z",
                "S1",
                M::Receipt {
                    qty: 6,
                    unit_cost: None,
                    to: Bucket::Available,
                    against: Some(id(EventId::new("p1"))),
                    close: false,
                },
            ),
            (
                "a4",
                "2024-01-04T00:00:00Z",
                "S1",
                M::Receipt {
                    qty: 1,
                    unit_cost: None,
                    to: Bucket::Available,
                    against: Some(id(EventId::new("p4"))),
                    close: true,
                },
            ),
            // A transfer from DC without an expected date: period 1.
            ("dr", "2024-01-02T00:00:00Z", "DC", M::receipt(50)),
            (
                "t",
                "2024-01-05T00:00:00Z",
                "DC",
                M::TransferOut { to: id(LocationId::new("S1")), qty: 5, expected_at: None, unit_cost: None },
            ),
            // After the as-of instant: not seen.
            ("late", "2024-01-15T00:00:00Z", "S1", po(100, "2024-01-16T00:00:00Z")),
        ];
        let l = ledger(&rows);
        let b = Bridge::new(&l, weeks(), at("2024-01-15T00:00:00Z")).unwrap();
        let (item, loc) = key();
        // On hand: 20 + 6 + 1 received, 3 damaged left out (reserved counts).
        let want = |on_hand: f64, arrivals: &[f64]| StockPosition { on_hand, arrivals: arrivals.to_vec() };
        assert_eq!(b.position(&item, &loc, 3).unwrap(), want(24.0, &[4.0 + 5.0, 7.0, 9.0]));
        assert_eq!(b.position(&item, &loc, 1).unwrap(), want(24.0, &[25.0]));
        assert_eq!(b.position(&item, &loc, 0).unwrap(), want(49.0, &[]));
        // What the ledger holds open agrees: incoming 4 + 7 + 9, in transit 5.
        let lv = l.levels_at(&item, &loc, at("2024-01-14T23:59:59Z"));
        assert_eq!((lv.incoming, lv.in_transit), (20, 5));
    }

    #[test]
    fn planned_receipts_post_once_per_plan_id() {
        use Movement as M;
        let mut l = ledger(&[("r", "2024-01-02T00:00:00Z", "S1", M::receipt(20))]);
        let (item, loc) = key();
        let as_of = at("2024-01-15T00:00:00Z");
        let order = PlannedOrder { item: item.clone(), location: loc.clone(), qty: 12.0, lead_time: 2 };
        let zero = PlannedOrder { qty: 0.0, ..order.clone() };
        let events = Bridge::new(&l, weeks(), as_of).unwrap().planned_receipts("P-1", &[order.clone(), zero]).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].id.as_str(), "plan/3:P-1/3:SKU/S1");
        assert_eq!(events[0].occurred_at, at("2024-01-14T23:59:59.999Z"));
        assert_eq!(events[0].movement, M::schedule_receipt(12, at("2024-01-29T00:00:00Z")));
        assert!(!l.apply_batch(events.clone()).unwrap()[0].duplicate);
        assert!(l.apply_batch(events).unwrap()[0].duplicate);
        assert_eq!(l.levels(&item, &loc).incoming, 12);
        // Planning again: the order is on order (period 3, counted in period L = 2) ...
        let b = Bridge::new(&l, weeks(), as_of).unwrap();
        assert_eq!(b.position(&item, &loc, 2).unwrap().arrivals, vec![0.0, 12.0]);
        // ... unless it is this plan's own order, planned again.
        let b = b.ignoring_plan("P-1");
        assert_eq!(b.position(&item, &loc, 2).unwrap().arrivals, vec![0.0, 0.0]);
        let again = b.planned_receipts("P-1", std::slice::from_ref(&order)).unwrap();
        assert!(l.apply_batch(again).unwrap()[0].duplicate);
        // The same plan id with another order (or none) for it is refused.
        let b = Bridge::new(&l, weeks(), as_of).unwrap().ignoring_plan("P-1");
        for qty in [13.0, 0.0] {
            let changed = PlannedOrder { qty, ..order.clone() };
            assert!(matches!(
                b.planned_receipts("P-1", &[changed]),
                Err(BridgeError::PlanChanged { posted: 12, now, .. }) if now == qty as i64
            ));
        }
        // Another plan's id is another receipt.
        let b = Bridge::new(&l, weeks(), as_of).unwrap().ignoring_plan("P-12");
        assert_eq!(b.position(&item, &loc, 2).unwrap().arrivals, vec![0.0, 12.0]);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        use Movement as M;
        let l = ledger(&[("r", "2024-01-02T00:00:00Z", "S1", M::receipt(20))]);
        let (item, loc) = key();
        let day = |y, m, d| Timestamp::from_date(y, m, d).unwrap();
        assert!(matches!(
            PlanningCalendar::new(Calendar::Week, at("2024-01-01T06:00:00Z")),
            Err(BridgeError::AnchorNotDate { .. })
        ));
        assert!(matches!(PlanningCalendar::new(Calendar::Month, day(2024, 1, 29)), Err(BridgeError::AnchorDay { .. })));
        assert!(matches!(
            Bridge::new(&l, weeks(), day(2024, 1, 17)),
            Err(BridgeError::AsOfOffCalendar { before, after, .. }) if before == day(2024, 1, 15) && after == day(2024, 1, 22)
        ));
        assert!(matches!(Bridge::new(&l, weeks(), day(2024, 1, 1)), Err(BridgeError::AsOfBeforeAnchor { .. })));
        let b = Bridge::new(&l, weeks(), day(2024, 1, 8)).unwrap();
        let other = id(LocationId::new("S9"));
        assert!(matches!(b.history(&item, &other), Err(BridgeError::NoEvents { .. })));
        // An item x location whose events all come after the as-of instant has none either.
        let early =
            Bridge::new(&l, PlanningCalendar::new(Calendar::Day, day(2023, 1, 1)).unwrap(), day(2024, 1, 2)).unwrap();
        assert!(matches!(early.history(&item, &loc), Err(BridgeError::NoEvents { .. })));
        assert!(early.keys().is_empty());
        let far =
            Bridge::new(&l, PlanningCalendar::new(Calendar::Day, day(2023, 1, 1)).unwrap(), day(2400, 1, 3)).unwrap();
        assert!(matches!(far.history(&item, &loc), Err(BridgeError::TooManyPeriods { .. })));
        for qty in [-1.0, 0.5, f64::NAN, 1e300] {
            let o = PlannedOrder { item: item.clone(), location: loc.clone(), qty, lead_time: 1 };
            assert!(matches!(b.planned_receipts("P", &[o]), Err(BridgeError::BadOrder { .. })), "{qty}");
        }
        let o = PlannedOrder { item: item.clone(), location: loc.clone(), qty: 1.0, lead_time: 1 };
        assert!(matches!(b.planned_receipts("", std::slice::from_ref(&o)), Err(BridgeError::PlanId { .. })));
        assert!(matches!(b.planned_receipts(&"p".repeat(250), &[o]), Err(BridgeError::PlanId { .. })));
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<BridgeError>();
    }

    /// The worked example of docs/bridge.md.
    #[test]
    fn worked_example_of_the_docs() {
        use Movement as M;
        let dc = id(LocationId::new("DC"));
        let rows = [
            ("r0", "2023-12-29T09:00:00Z", "S1", M::receipt(30)),
            ("d0", "2024-01-02T09:00:00Z", "DC", M::receipt(50)),
            ("s1", "2024-01-02T10:00:00Z", "S1", M::issue(8)),
            ("rt", "2024-01-04T10:00:00Z", "S1", M::customer_return(2, Bucket::Available)),
            ("P1", "2024-01-05T10:00:00Z", "S1", M::schedule_receipt(20, at("2024-01-24T00:00:00Z"))),
            ("s2", "2024-01-08T10:00:00Z", "S1", M::issue(3)),
            ("x2", "2024-01-08T11:00:00Z", "S1", M::cancel(id(EventId::new("s2")))),
            ("c3", "2024-01-09T10:00:00Z", "S1", M::commit(12, Bucket::Available)),
            ("f3", "2024-01-10T10:00:00Z", "S1", M::fulfil(12, Bucket::Committed)),
            ("s4", "2024-01-11T10:00:00Z", "S1", M::issue(10)),
            ("s5", "2024-01-12T10:00:00Z", "S1", M::issue(2)),
            ("r6", "2024-01-17T10:00:00Z", "S1", M::receipt(6)),
            (
                "t7",
                "2024-01-18T10:00:00Z",
                "DC",
                M::TransferOut {
                    to: id(LocationId::new("S1")),
                    qty: 10,
                    expected_at: Some(at("2024-01-30T00:00:00Z")),
                    unit_cost: None,
                },
            ),
            ("s8", "2024-01-19T10:00:00Z", "S1", M::issue(4)),
        ];
        let mut l = ledger(&rows);
        let b = Bridge::new(&l, weeks(), at("2024-01-22T00:00:00Z")).unwrap();
        let (item, loc) = key();
        let h = b.history(&item, &loc).unwrap();
        assert_eq!(h.start(), at("2024-01-01T00:00:00Z"));
        assert_eq!((h.values(), h.censored()), (&[6.0, 24.0, 4.0][..], &[false, true, true][..]));
        assert_eq!(b.position(&item, &loc, 2).unwrap(), StockPosition { on_hand: 2.0, arrivals: vec![20.0, 10.0] });
        assert_eq!(b.keys(), vec![(item.clone(), dc), (item.clone(), loc.clone())]);
        let order = PlannedOrder { item: item.clone(), location: loc.clone(), qty: 25.0, lead_time: 2 };
        let posted = b.planned_receipts("W4", &[order]).unwrap();
        assert_eq!(posted[0].id.as_str(), "plan/2:W4/3:SKU/S1");
        assert_eq!(posted[0].movement, M::schedule_receipt(25, at("2024-02-05T00:00:00Z")));
        l.apply_batch(posted).unwrap();
    }

    #[test]
    fn absurd_instants_neither_loop_nor_wrap() {
        let anchor = Timestamp::from_date(2024, 1, 1).unwrap();
        for cal in [Calendar::Day, Calendar::Week, Calendar::Month] {
            let c = PlanningCalendar::new(cal, anchor).unwrap();
            for t in [i64::MIN, i64::MIN / 2, -1, 0, i64::MAX / 2, i64::MAX] {
                let p = c.period_of(Timestamp::from_millis(t));
                assert_eq!(
                    i128::from(p.signum()),
                    (i128::from(t) - i128::from(anchor.as_millis())).signum(),
                    "{cal:?} {t}"
                );
            }
        }
        // An event at an absurd instant long before the anchor counts for stock only.
        let mut l = Ledger::default();
        let e = |name: &str, t: Timestamp, m: Movement| {
            Event::new(id_of(name), id(SourceId::new("x")), key().0, key().1, t, m)
        };
        l.apply(e("old", Timestamp::from_millis(i64::MIN / 2), Movement::receipt(5))).unwrap();
        l.apply(e("s", at("2024-01-03T00:00:00Z"), Movement::issue(2))).unwrap();
        let b = Bridge::new(&l, weeks(), at("2024-01-15T00:00:00Z")).unwrap();
        let h = b.history(&key().0, &key().1).unwrap();
        assert_eq!((h.values(), h.censored()), (&[2.0, 0.0][..], &[false, false][..]));
    }

    fn id_of(s: &str) -> EventId {
        EventId::new(s).unwrap()
    }

    #[test]
    fn monthly_periods_follow_the_calendar() {
        let c = PlanningCalendar::new(Calendar::Month, Timestamp::from_date(2024, 1, 15).unwrap()).unwrap();
        for (s, t) in [
            ("2024-01-15T00:00:00Z", 0),
            ("2024-02-14T23:59:59Z", 0),
            ("2024-02-15T00:00:00Z", 1),
            ("2023-12-31T00:00:00Z", -1),
            ("2025-01-14T00:00:00Z", 11),
        ] {
            assert_eq!(c.period_of(at(s)), t, "{s}");
        }
    }
}
