//! Studies: a whole comparison (data sets x families x option sets x seeds) from one file or
//! preset, run here or on any scheduler, and gathered into an honest report.

pub mod plan;
pub mod presets;
pub mod report;
pub mod results;
pub mod retraining;
pub mod runner;
pub mod spec;
pub mod stats;

pub use spec::Study;
