//! Data in: the IDX format, datasets on disk, and downloading MNIST.

pub mod dataset;
pub mod fetch;
pub mod idx;

pub use dataset::{Dataset, DatasetKind, Split, resolve_data_dir};
