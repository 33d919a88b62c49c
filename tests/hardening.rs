//! What a user does to a run that the happy path never does: kill it with SIGKILL at any
//! moment, fill its disk. Nothing saved may be lost, and every failure must say what happened.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{first_error_line, gan_studio, succeeded};
use gan_studio::train::{StepMetrics, metrics};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BIN: &str = env!("CARGO_BIN_EXE_gan-studio");

fn spawn(args: &[&str], cwd: &Path) -> Child {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("GAN_STUDIO_DATA")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

/// The step the run's `latest` checkpoint names, if any.
fn latest_step(run: &Path) -> Option<usize> {
    std::fs::read_to_string(run.join("checkpoints/latest"))
        .ok()?
        .trim()
        .strip_prefix("step-")?
        .parse()
        .ok()
}

/// Half-written checkpoints (`.step-N.tmp`) in the run.
fn partial_checkpoints(run: &Path) -> usize {
    std::fs::read_dir(run.join("checkpoints"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count()
}

fn logged_steps(run: &Path) -> Vec<StepMetrics> {
    metrics::read_log(&run.join("metrics.jsonl")).expect("the metrics log reads")
}

/// SIGKILL at 20 random moments (starting up, mid-step, inside checkpoint writes), each
/// followed by `train --resume`: no checkpoint ever goes backwards, and the finished run logs
/// every step exactly once, with the very losses an uninterrupted run logs, and samples. The
/// run is planned far longer than the kills take, whatever the machine's speed, and is then
/// finished a few steps past its last checkpoint.
#[test]
fn training_killed_at_twenty_random_moments_resumes_with_every_step_logged_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    let start = |run: &str, steps: usize| {
        let steps = steps.to_string();
        vec![
            "train",
            "--model",
            "dcgan",
            "--depth",
            "shallow",
            "--run",
            run,
            "--device",
            "cpu",
            "--data",
            data,
            "--epochs",
            "5",
            "--max-steps",
            &steps,
            "--batch-size",
            "16",
            "--checkpoint-every",
            "3",
            "--sample-every",
            "40",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let resume: Vec<&str> = vec![
        "train", "--run", "killed", "--resume", "--device", "cpu", "--data", data,
    ];
    let run = dir.path().join("runs/killed");

    let mut rng = StdRng::seed_from_u64(2026_12_03);
    let (mut kills, mut mid_checkpoint, mut saved) = (0, 0, None::<usize>);
    let started = Instant::now();
    while kills < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "20 kills took over 10 minutes"
        );
        let first = !run.join("config.json").exists();
        let start_args = start("killed", 100_000);
        let args: Vec<&str> = if first {
            start_args.iter().map(String::as_str).collect()
        } else {
            resume.clone()
        };
        let mut child = spawn(&args, dir.path());
        if kills % 4 == 3 {
            // Every 4th kill waits for a checkpoint write to be under way and lands in it, so
            // the test does not depend on chance (or on this machine's speed) for that case.
            let waiting = Instant::now();
            while partial_checkpoints(&run) == 0 && waiting.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_micros(200));
            }
        } else {
            std::thread::sleep(Duration::from_millis(rng.random_range(100..1200)));
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{args:?} ended on its own: {status}");
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        kills += 1;
        mid_checkpoint += partial_checkpoints(&run).min(1);
        let now = latest_step(&run);
        assert!(
            now >= saved,
            "kill {kills}: latest went from {saved:?} to {now:?}"
        );
        saved = now;
    }
    assert!(
        mid_checkpoint >= 1,
        "no kill landed inside a checkpoint write"
    );
    eprintln!(
        "20 kills, {mid_checkpoint} inside a checkpoint write, last checkpoint at step {saved:?}"
    );
    let total = saved.unwrap_or(0) + 30;
    let total_arg = total.to_string();
    let finish: Vec<&str> = resume
        .iter()
        .copied()
        .chain(["--max-steps", &total_arg])
        .collect();
    succeeded(&gan_studio(&finish, dir.path()));

    let log = logged_steps(&run);
    let steps: Vec<usize> = log.iter().map(|m| m.step).collect();
    assert_eq!(
        steps,
        (1..=total).collect::<Vec<_>>(),
        "every step once, in order"
    );
    assert_eq!(latest_step(&run), Some(total));
    assert_eq!(
        partial_checkpoints(&run),
        0,
        "half-written checkpoints left"
    );

    // The same run with no kills logs the same losses: resuming repeats training exactly.
    let whole_args = start("whole", total);
    let whole_args: Vec<&str> = whole_args.iter().map(String::as_str).collect();
    succeeded(&gan_studio(&whole_args, dir.path()));
    let whole = logged_steps(&dir.path().join("runs/whole"));
    for (killed, whole) in log.iter().zip(&whole) {
        assert_eq!(
            (killed.d_loss, killed.g_loss),
            (whole.d_loss, whole.g_loss),
            "step {}",
            killed.step
        );
    }

    // Its final weights load and sample.
    succeeded(&gan_studio(
        &["sample", "--run", "killed", "--device", "cpu", "--out", "s"],
        dir.path(),
    ));
    assert!(dir.path().join("s/grid.png").is_file());
}

/// A disk that fills mid-run (here RLIMIT_FSIZE: no file over 1 MiB, so the next checkpoint
/// cannot be written) stops training with an error that says so and names the checkpoint
/// still intact; nothing half-written is left, and once there is room again the run resumes.
#[test]
fn a_full_disk_stops_training_with_a_clear_error_and_the_last_checkpoint_intact() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    succeeded(&gan_studio(
        &[
            "train",
            "--model",
            "dcgan",
            "--depth",
            "shallow",
            "--run",
            "r",
            "--device",
            "cpu",
            "--data",
            data,
            "--max-steps",
            "6",
            "--batch-size",
            "16",
            "--checkpoint-every",
            "3",
        ],
        dir.path(),
    ));
    let run = dir.path().join("runs/r");
    assert_eq!(latest_step(&run), Some(6));

    // bash: ignore SIGXFSZ (so a write past the limit fails with EFBIG, as on a full disk,
    // instead of killing the process) and limit files to 1024 blocks of 1 KiB.
    let out = Command::new("bash")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 1024; exec \"$@\"",
            "bash",
            BIN,
            "train",
            "--run",
            "r",
            "--resume",
            "--device",
            "cpu",
            "--data",
            data,
            "--max-steps",
            "12",
        ])
        .current_dir(dir.path())
        .env_remove("GAN_STUDIO_DATA")
        .output()
        .expect("bash runs");
    assert!(!out.status.success(), "training past a full disk succeeded");
    let line = first_error_line(&out);
    assert!(
        line.contains("cannot write the checkpoint of step 9")
            && line.contains("step-00000006, is intact")
            && line.contains("File too large")
            && !line.contains("/.tmp"),
        "{line}"
    );
    assert_eq!(
        latest_step(&run),
        Some(6),
        "the last checkpoint is still the latest"
    );
    assert_eq!(
        partial_checkpoints(&run),
        0,
        "a half-written checkpoint was left"
    );
    succeeded(&gan_studio(
        &["sample", "--run", "r", "--device", "cpu", "--out", "s"],
        dir.path(),
    ));

    // Room again: the run continues from step 6 and logs each step once.
    succeeded(&gan_studio(
        &[
            "train",
            "--run",
            "r",
            "--resume",
            "--device",
            "cpu",
            "--data",
            data,
            "--max-steps",
            "12",
        ],
        dir.path(),
    ));
    let steps: Vec<usize> = logged_steps(&run).iter().map(|m| m.step).collect();
    assert_eq!(steps, (1..=12).collect::<Vec<_>>());
}
