//! Demand uncertainty: forecast errors, the four-level cascade and seeded scenarios.
//!
//! ```
//! use invsync_core::demand::{generate, Calendar, DemandConfig, DemandHistory};
//! use invsync_core::{rng, Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sales: Vec<f64> = (0..104).map(|t| 20.0 + (t % 5) as f64).collect();
//! let history = DemandHistory::uncensored(Timestamp::from_date(2022, 1, 3)?, Calendar::Week, sales)?;
//! let mut stream = rng::stream(42, "S1/SKU-1");
//! let out = generate(&history, &DemandConfig::default(), None, &mut stream)?;
//! assert_eq!(out.diagnostics.level, 3);
//! let scenarios = out.scenarios.expect("level 3 is not blocked");
//! assert_eq!(scenarios.len(), 1000);
//! assert!(scenarios.mu_w() > 50.0 && scenarios.sigma_w() > 0.0);
//! # Ok(()) }
//! ```
//!
//! The pipeline for one item: classify the known history (Syntetos-Boylan); pick a point
//! forecast method; backtest it from rolling origins into an error matrix; let the cascade
//! choose an uncertainty model from the number of complete error rows; draw S scenarios
//! of W periods around the point forecast from the item's own seeded stream.

mod cascade;
mod classify;
mod cold;
mod errors;
mod fit;
mod forecast;
mod scenario;
mod series;

pub use cascade::{
    CascadeConfig, DemandConfig, DemandError, DemandOutcome, Diagnostics, Level3Method, MAX_SCENARIOS, MAX_WINDOW,
    MethodChoice, Rounding, Seasonality, Severity, Warning, choose_model, generate,
};
pub use classify::{ADI_CUTOFF, CV2_CUTOFF, Classification, DemandClass, classify};
pub use errors::{ErrorMatrix, backtest};
pub use fit::{Family, Fit, WindowData, anderson_darling_normal};
pub use forecast::{ForecastInput, ForecastMethod, SES_FIT_GRID, SeasonalIndices, forecast};
pub use scenario::{ErrorForm, ScenarioSet, UncertaintyModel, quantile_rank};

pub(crate) use cascade::generate_into;
pub use series::{Calendar, DemandHistory, HistoryError};
