//! Data in: the IDX format, datasets on disk, telling them apart, and downloading MNIST.

pub mod dataset;
pub mod fetch;
pub mod holdout;
pub mod idx;
pub mod known;

pub use dataset::{Dataset, DatasetKind, Split, resolve_data_dir};
