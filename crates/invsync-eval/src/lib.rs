//! Decision-quality suites for invsync's planner (issue 27, docs/decision-quality.md).
//!
//! A measuring instrument, not part of the product: demand families with a known true
//! process ([`truth`]), the exact controllable cost of an order under that truth
//! ([`score`]), a single-decision suite ([`single`]) and a rolling, week-after-week
//! suite ([`rolling`]), and their tables ([`report`]). The rule under test is any
//! [`rules::DecisionRule`]: invsync's planner with any [`invsync_core::plan::PlanConfig`]
//! ([`rules::Invsync`]), the textbook order-up-to formula ([`rules::Textbook`]) or a
//! closure ([`rules::FnRule`]). Only the public API of `invsync-core` is used, so the
//! suites keep working as the engine changes.
//!
//! ```
//! use invsync_eval::rules::{DecisionRule, Textbook};
//! use invsync_eval::single::newsvendor;
//! // Normal(50, 8), L = R = 1, nothing on hand, h = 0.18, p = 0.70 (docs/oracles.md C1).
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cases = newsvendor(&[&Textbook as &dyn DecisionRule], 2, 7, 20_000)?;
//! for c in &cases {
//!     assert_eq!(c.best_order, 57.0); // the analytic optimum is 56.6
//!     // The textbook rule covers L + R periods from an empty position, although under
//!     // lost sales period 1 is lost whatever is ordered: it orders about twice too much.
//!     assert!(c.orders[0] > 100.0 && c.ratio(0) > 3.0);
//! }
//! # Ok(()) }
//! ```
//!
//! Every random draw comes from a ChaCha8 stream derived from (seed, a stable key naming
//! the family, item and case) with [`invsync_core::rng::stream`]; the suites run cases in
//! parallel on rayon's pool and return them in a fixed order, so results are identical
//! whatever the thread count.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod report;
pub mod rolling;
pub mod rules;
pub mod score;
pub mod single;
pub mod truth;
