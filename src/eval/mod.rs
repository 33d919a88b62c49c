//! Measuring generators: the classifier and the metrics built on it.

pub mod classifier;
pub mod success;
