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

/// The first error line of a command that must have failed.
pub fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    first_error_line(out)
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

/// `count` pictures of a CycleGAN domain in `dir`: smooth blobs, warm (red) or cool (blue).
pub fn write_picture_domain(dir: &Path, count: usize, warm: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..count {
        let (cx, cy) = ((i * 7 % 24) as f32 + 4.0, (i * 11 % 24) as f32 + 4.0);
        let picture = image::RgbImage::from_fn(32, 32, |x, y| {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let v = (255.0 * (1.0 - d / 24.0).clamp(0.0, 1.0)) as u8;
            if warm {
                image::Rgb([v, v / 2, 20])
            } else {
                image::Rgb([20, v / 2, v])
            }
        });
        picture.save(dir.join(format!("{i:03}.png"))).unwrap();
    }
}

/// A folder of one's own pictures at `dir`: `train/cats` (12 warm blobs) and `train/dogs`
/// (12 cool ones), 32x32; every 10th is held out, so 22 train.
pub fn write_pets(dir: &Path) {
    write_picture_domain(&dir.join("train/cats"), 12, true);
    write_picture_domain(&dir.join("train/dogs"), 12, false);
}

/// Trains the classifier run `runs/name` on the picture folder `folder` (one epoch, batches
/// of 8: the 22 pictures of [`write_pets`] cannot fill the default batch).
pub fn train_folder_judge(folder: &Path, runs: &Path, name: &str) {
    let (folder, runs) = (folder.display().to_string(), runs.display().to_string());
    succeeded(&gan_studio(
        &[
            "classifier",
            "train",
            "--run",
            name,
            "--dataset",
            "folder",
            "--data",
            &folder,
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--device",
            "cpu",
            "--runs-dir",
            &runs,
        ],
        Path::new("."),
    ));
}

/// A tiny CycleGAN (width 8, one residual block, `steps` steps) between folders of `count`
/// warm and cool blobs written under `root`: its config and both domains, not yet trained.
pub fn tiny_cyclegan_setup(
    root: &Path,
    count: usize,
    steps: usize,
) -> (
    gan_studio::cyclegan::CycleGanConfig,
    (gan_studio::cyclegan::Domain, gan_studio::cyclegan::Domain),
) {
    use gan_studio::cyclegan::{CycleGanConfig, load_pair};
    write_picture_domain(&root.join("warm"), count, true);
    write_picture_domain(&root.join("cool"), count, false);
    let (a, b) = load_pair(
        root.join("warm").to_str().unwrap(),
        root.join("cool").to_str().unwrap(),
        None,
        32,
    )
    .unwrap();
    let config = CycleGanConfig::new(a.record.clone(), b.record.clone())
        .with_width(8)
        .with_residual_blocks(1)
        .with_steps(steps)
        .with_decay_steps(steps / 2)
        .with_sample_every(0)
        .with_checkpoint_every(0);
    (config, (a, b))
}

/// [`tiny_cyclegan_setup`] on 12 pictures per domain, trained for `steps` steps as run `name`
/// in `runs`.
pub fn tiny_cyclegan(root: &Path, runs: &Path, name: &str, steps: usize) {
    let (config, domains) = tiny_cyclegan_setup(root, 12, steps);
    let run = gan_studio::train::RunDir::new(runs, name).unwrap();
    let device = gan_studio::device::ComputeDevice::cpu().device;
    let mut trainer =
        gan_studio::cyclegan::CycleTrainer::create(config, run, domains, &device).unwrap();
    trainer
        .run(|_| std::ops::ControlFlow::Continue(()))
        .unwrap();
}
