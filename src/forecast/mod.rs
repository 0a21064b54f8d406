//! Forecasting: out-of-sample forecasts of the observed panel's acts by every model of one
//! registry, in three windows, scored on the same covered cell-years (`blocsim hindcast`).
//!
//! | file | part |
//! |------|------|
//! | [`data`] | the inputs, loaded once: model, codebook, panel, cell-years, the versions of blocsim |
//! | [`models`] | [`models::ForecastModel`] and its registry: blocsim (calibrated, uncalibrated, network off, with rate covariates), constant hazard, persistence, logit hazards |
//! | [`windows`] | one year ahead by time and by subregion, over the registry |
//! | [`simulated`] | N engine runs of each engine model from the observed state, the others compounded |
//! | [`compare`] | every pair of models: the state-clustered Diebold–Mariano-style test |
//! | [`dated`] | the dated forecast beyond the panel (`blocsim forecast`), estimation uncertainty included |
//!
//! The design (models, windows, scores) is in `docs/calibration.md`. The command
//! ([`crate::commands::hindcast`]) is the pipeline: load, windows, simulate, compare, write.

pub mod compare;
pub mod data;
pub mod dated;
pub mod models;
pub mod simulated;
pub mod windows;
