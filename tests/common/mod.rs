//! Shared test helpers: real MNIST from `$GAN_STUDIO_DATA` or the per-user data folder
//! (where `gan-studio data fetch` puts it), else the slices of the real files kept in
//! tests/fixtures/data (3,000 training and 1,000 test images), so a fresh clone's tests run
//! with no data set up and no network.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gan_studio::data::{Dataset, DatasetKind, resolve_data_dir};

/// The repository's slices of the real data sets: `mnist/` and `fashion-mnist/`.
pub fn fixtures_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
}

/// The MNIST folder of the test environment: the full set where one is set up, else the slice.
pub fn data_dir() -> PathBuf {
    let dir = resolve_data_dir(None, DatasetKind::Mnist);
    if dir.is_dir() {
        return dir;
    }
    fixtures_root().join("mnist")
}

/// Whether the tests read the full 60,000-image MNIST (figures that need it are checked then).
pub fn has_full_mnist() -> bool {
    data_dir() != fixtures_root().join("mnist")
}

pub fn mnist() -> Dataset {
    Dataset::load(&data_dir(), DatasetKind::Mnist).expect("MNIST loads")
}

/// Runs the binary in `cwd` with no data folder from the environment.
pub fn gan_studio(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gan-studio"))
        .args(args)
        .current_dir(cwd)
        .env_remove("GAN_STUDIO_DATA")
        .output()
        .expect("the binary runs")
}

/// The stdout of a command that must have succeeded (its stderr in the failure message).
pub fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The first `error...` line of a command's stderr, which must hold no panic.
pub fn first_error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or_default()
        .to_string()
}
