//! The fused CPU ops (`gan_studio::fused`) against burn's own ops, end to end: a training run
//! with them logs the losses of a run without them (`GAN_STUDIO_REFERENCE_OPS=1`) to within
//! float noise, while another seed differs by far more than that noise.

mod common;

use std::path::Path;
use std::process::Command;

use gan_studio::train::metrics::{StepMetrics, read_log};

fn train(dir: &Path, run: &str, seed: u64, reference: bool) -> Vec<StepMetrics> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gan-studio"));
    cmd.args([
        "train", "--run", run, "--model", "cdcgan", "--depth", "deep",
    ])
    // Without the recipe's matching-aware D: the tolerance below was measured on the plain
    // objective, and the mismatch term's extra pass lets rounding grow to ~8e-3 in 20 steps.
    .args([
        "--max-steps",
        "20",
        "--batch-size",
        "32",
        "--quiet",
        "--mismatch",
        "false",
    ])
    .args([
        "--seed",
        &seed.to_string(),
        "--device",
        "cpu",
        "--runs-dir",
        "runs",
    ])
    .arg("--data")
    .arg(common::fixtures_root())
    .current_dir(dir)
    .env_remove("GAN_STUDIO_DATA")
    .env_remove(gan_studio::fused::REFERENCE_OPS_ENV);
    if reference {
        cmd.env(gan_studio::fused::REFERENCE_OPS_ENV, "1");
    }
    common::succeeded(&cmd.output().expect("the binary runs"));
    read_log(&dir.join("runs").join(run).join("metrics.jsonl")).expect("a metrics log")
}

/// The largest difference between two runs' logged figures, step by step.
fn largest_gap(a: &[StepMetrics], b: &[StepMetrics]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.step, y.step);
            [
                (x.d_loss - y.d_loss).abs(),
                (x.g_loss - y.g_loss).abs(),
                (x.d_real - y.d_real).abs(),
                (x.d_fake - y.d_fake).abs(),
            ]
        })
        .fold(0.0, f32::max)
}

#[test]
fn twenty_steps_with_fused_ops_match_twenty_without() {
    let dir = tempfile::tempdir().unwrap();
    let fused = train(dir.path(), "fused", 3, false);
    let reference = train(dir.path(), "reference", 3, true);
    let other_seed = train(dir.path(), "other", 4, false);
    assert_eq!(fused.len(), 20);
    // Summation order differs (the fused op sums in f64), so the first step's losses differ
    // in the fifth digit, and training's feedback grows that to about 2e-3 by step 10 (measured),
    // where it stays; another seed differs by about 1.
    let first = largest_gap(&fused[..1], &reference[..1]);
    let noise = largest_gap(&fused, &reference);
    let signal = largest_gap(&fused, &other_seed);
    println!(
        "largest gap: fused vs reference {first:e} at step 1, {noise:e} in 20 steps; \
         fused vs another seed {signal:e}"
    );
    assert!(
        first < 1e-4,
        "fused and reference runs part by {first} at step 1"
    );
    assert!(noise < 5e-3, "fused and reference runs part by {noise}");
    assert!(signal > 0.05, "another seed should differ: {signal}");
}
