//! Measuring generators: the classifier and the metrics built on its outputs.

pub mod augment;
pub mod classifier;
pub mod embedding;
pub mod matching;
pub mod memorisation;
pub mod neighbours;
pub mod readout_cache;
pub mod report;
pub mod run_eval;
pub mod scores;
pub mod success;
pub mod tsne;
