//! Shared test helpers: real MNIST from `$GAN_STUDIO_DATA` or the per-user data folder
//! (where `gan-studio data fetch` puts it).

#![allow(dead_code)]

use std::path::PathBuf;

use gan_studio::data::{Dataset, DatasetKind, resolve_data_dir};

/// The MNIST folder of the test environment; tests that need real data fail loudly without it.
pub fn data_dir() -> PathBuf {
    let dir = resolve_data_dir(None, DatasetKind::Mnist);
    assert!(
        dir.is_dir(),
        "no MNIST at {}: run `cargo run --release -- data fetch` or set GAN_STUDIO_DATA to a folder with the IDX files",
        dir.display()
    );
    dir
}

pub fn mnist() -> Dataset {
    Dataset::load(&data_dir(), DatasetKind::Mnist).expect("MNIST loads")
}
