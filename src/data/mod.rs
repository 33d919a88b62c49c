//! Data in: the IDX format, deskewing handwriting, CIFAR-10's binary release, folders of pictures, datasets on disk,
//! telling them apart, and downloading them.

pub mod cifar;
pub mod dataset;
pub mod deskew;
pub mod fetch;
pub mod holdout;
pub mod idx;
pub mod images;
pub mod known;

pub use dataset::{Dataset, DatasetKind, Split, resolve_data_dir};
