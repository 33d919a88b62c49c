//! `study run | plan | report` end to end on the repository's MNIST slice: the plan's command
//! lines run as they are, the report gathers what finished, and a study killed mid-run resumes
//! without redoing finished runs and reports what an uninterrupted study does.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

const STUDY: &str = r#"
name = "tiny"
datasets = ["mnist"]
families = ["cdcgan"]
seeds = 1
steps = 40
eval_samples = 200
common = { depth = "shallow", mismatch = true, checkpoint-every = 10 }

[[option_set]]
name = "default"

[[option_set]]
name = "smoothing"
flags = { real-target = 0.9 }
"#;

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_gan-studio")
}

fn study_cmd(args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::new(binary());
    cmd.arg("study")
        .args(args)
        .arg("--data")
        .arg(common::fixtures_root())
        .current_dir(dir)
        .env_remove("GAN_STUDIO_DATA");
    cmd
}

/// results.csv without the wall-time column, which differs from run to run.
fn figures_without_time(csv: &str) -> Vec<String> {
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let time = header.iter().position(|h| *h == "train_secs").unwrap();
    csv.lines()
        .map(|line| {
            line.split(',')
                .enumerate()
                .filter(|(i, _)| *i != time)
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[test]
fn plan_lines_run_as_printed_and_the_report_gathers_what_finished() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), STUDY).unwrap();
    let out = study_cmd(&["plan", "tiny.toml", "--out", "s"], dir.path())
        .output()
        .unwrap();
    let lines = common::succeeded(&out);
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("gan-studio train --run ") && lines[0].contains("&& gan-studio eval")
    );
    // The first line, as a scheduler would run it.
    let line = lines[0].replace("gan-studio ", &format!("{} ", binary()));
    let status = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .current_dir(dir.path())
        .env_remove("GAN_STUDIO_DATA")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{line}");
    let out = common::gan_studio(&["study", "report", "s"], dir.path());
    assert!(common::succeeded(&out).contains("1 of 2 runs finished"));
    let csv = std::fs::read_to_string(dir.path().join("s/results.csv")).unwrap();
    assert!(
        csv.contains(",finished,") && csv.contains(",pending,"),
        "{csv}"
    );
    for file in ["report.md", "report.html", "results.json", "results.tex"] {
        assert!(dir.path().join("s").join(file).is_file(), "{file}");
    }
    // The finished run's judge is named.
    let md = std::fs::read_to_string(dir.path().join("s/report.md")).unwrap();
    assert!(
        md.contains("Judges (SHA-256 of the classifier's weights): mnist "),
        "{md}"
    );
    // Every figure of the HTML report sits in the figure grid with its caption.
    let html = std::fs::read_to_string(dir.path().join("s/report.html")).unwrap();
    let pngs = std::fs::read_dir(dir.path().join("s/figures"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert!(pngs > 0, "the report has figures");
    assert_eq!(
        html.matches("<figure><img").count(),
        pngs,
        "one <figure> per PNG"
    );
    assert_eq!(
        html.matches("<figcaption>").count(),
        pngs,
        "one caption per figure"
    );
    assert!(html.contains("class=\"figures\""));
}

#[test]
fn a_killed_study_resumes_and_reports_what_an_uninterrupted_one_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), STUDY).unwrap();
    let whole = study_cmd(&["run", "tiny.toml", "--out", "whole"], dir.path())
        .output()
        .unwrap();
    common::succeeded(&whole);

    // Kill the second study with SIGKILL once its second run has written a checkpoint.
    let mut child = study_cmd(&["run", "tiny.toml", "--out", "killed"], dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let runs = dir.path().join("killed/runs");
    let second_started = || {
        std::fs::read_dir(&runs)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                e.file_name().to_string_lossy().contains("smoothing")
                    && e.path().join("checkpoints/latest").exists()
            })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while !second_started() {
        assert!(
            std::time::Instant::now() < deadline,
            "the second run never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the study ended before the kill"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let first = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains("default"))
        .unwrap()
        .path()
        .join("eval.json");
    let before = std::fs::metadata(&first).unwrap().modified().unwrap();

    let again = study_cmd(&["run", "tiny.toml", "--out", "killed"], dir.path())
        .output()
        .unwrap();
    let text = common::succeeded(&again);
    assert!(
        !text.contains("study: run 1/2"),
        "the finished run was redone: {text}"
    );
    assert_eq!(
        std::fs::metadata(&first).unwrap().modified().unwrap(),
        before
    );
    let csv = |d: &str| std::fs::read_to_string(dir.path().join(d).join("results.csv")).unwrap();
    assert_eq!(
        figures_without_time(&csv("killed")),
        figures_without_time(&csv("whole"))
    );
}

const RETRAINING: &str = r#"
[retraining]
per_class = [5]
ratios = [1]
steps = 20
"#;

/// A study that retrains: adding `[retraining]` to a finished study runs only `augment` (the
/// generator is not trained again), and the report carries the accuracy-vs-ratio table, curve
/// and columns.
#[test]
fn adding_retraining_to_a_finished_study_retrains_the_classifier_only() {
    let dir = tempfile::tempdir().unwrap();
    let plain = STUDY.replace("seeds = 1", "seeds = 2");
    let plain = &plain[..plain.find("[[option_set]]\nname = \"smoothing\"").unwrap()];
    std::fs::write(dir.path().join("plain.toml"), plain).unwrap();
    common::succeeded(
        &study_cmd(&["run", "plain.toml", "--out", "s"], dir.path())
            .output()
            .unwrap(),
    );
    let logs = |d: &Path| -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
        let mut logs: Vec<_> = std::fs::read_dir(d.join("s/runs"))
            .unwrap()
            .flatten()
            .map(|e| e.path().join("metrics.jsonl"))
            .filter(|p| p.is_file())
            .map(|p| {
                let t = std::fs::metadata(&p).unwrap().modified().unwrap();
                (p, t)
            })
            .collect();
        logs.sort();
        logs
    };
    let trained = logs(dir.path());
    assert_eq!(trained.len(), 2);

    std::fs::write(
        dir.path().join("retrain.toml"),
        format!("{plain}{RETRAINING}"),
    )
    .unwrap();
    let plan = common::succeeded(
        &study_cmd(&["plan", "retrain.toml", "--out", "s"], dir.path())
            .output()
            .unwrap(),
    );
    assert!(
        plan.lines()
            .all(|l| l.contains("&& gan-studio augment --run ") && l.contains("--first-seed")),
        "{plan}"
    );
    common::succeeded(
        &study_cmd(&["run", "retrain.toml", "--out", "s"], dir.path())
            .output()
            .unwrap(),
    );
    assert_eq!(logs(dir.path()), trained, "a generator was trained again");

    let csv = std::fs::read_to_string(dir.path().join("s/results.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for key in ["retrain_5pc_r0", "retrain_5pc_r1"] {
        let column = header.iter().position(|h| *h == key).expect(key);
        for line in csv.lines().skip(1) {
            let value: f64 = line.split(',').nth(column).unwrap().parse().unwrap();
            // 50 real digits and 20 steps: above chance (0.1), short of a trained LeNet.
            assert!((0.12..1.0).contains(&value), "{key} = {value}");
        }
    }
    let report = std::fs::read_to_string(dir.path().join("s/report.md")).unwrap();
    assert!(
        report.contains("| real only | 100% synthetic |"),
        "{report}"
    );
    assert!(
        report.contains("**default**, 5 real per class: its samples"),
        "{report}"
    );
    assert!(dir.path().join("s/figures/mnist-retraining.png").is_file());
}

/// A study on a folder of one's own pictures: it records the folder, copies the classifier
/// it is told to judge with into itself, runs every family on the pictures (PCA too, with as
/// many components as the small classes allow), and refuses to go on with other weights
/// under the same judge's name.
#[test]
fn a_study_runs_on_a_picture_folder_judged_by_the_users_classifier() {
    let dir = tempfile::tempdir().unwrap();
    common::write_pets(&dir.path().join("my pictures"));
    let run = |args: &[&str]| common::gan_studio(args, dir.path());
    common::train_folder_judge(
        &dir.path().join("my pictures"),
        &dir.path().join("runs"),
        "judge",
    );
    let study = r#"
name = "pets"
datasets = ["folder"]
families = ["cdcgan", "pca"]
seeds = 1
steps = 3
batch_size = 8
eval_samples = 100
common = { depth = "shallow" }
"#;
    std::fs::write(dir.path().join("pets.toml"), study).unwrap();
    let study_run = |extra: &[&str]| {
        let mut args = vec!["study", "run", "pets.toml", "--out", "s"];
        args.extend(extra);
        run(&args)
    };
    // Without a classifier, and without the folder, it says what is missing.
    let line = common::refused(&study_run(&[]));
    assert!(line.contains("pictures = \"DIR\""), "{line}");
    let line = common::refused(&study_run(&["--data", "my pictures"]));
    assert!(
        line.contains("no classifier ships for your own pictures"),
        "{line}"
    );
    let line = common::refused(&study_run(&[
        "--data",
        "no pictures",
        "--classifier",
        "judge",
    ]));
    assert!(line.contains("no pictures does not exist"), "{line}");
    let line = common::refused(&study_run(&[
        "--data",
        "my pictures",
        "--classifier",
        "nobody",
    ]));
    assert!(line.contains("no classifier nobody"), "{line}");
    assert!(
        !dir.path().join("s").exists(),
        "nothing written for a study that cannot start"
    );
    let out = study_run(&["--data", "my pictures", "--classifier", "judge"]);
    let stdout = common::succeeded(&out);
    assert!(stdout.contains("2 of 2 runs finished"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fitted 10 principal components per class, not 100"),
        "{stderr}"
    );
    // The study carries its judge and its folder, by an absolute path.
    let copied = dir.path().join("s/runs/judge/classifier.bpk");
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(dir.path().join("runs/judge/classifier.bpk")).unwrap()
    );
    let saved = std::fs::read_to_string(dir.path().join("s/study.toml")).unwrap();
    let folder = dir.path().join("my pictures");
    assert!(
        saved.contains(&format!("pictures = \"{}\"", folder.display())),
        "{saved}"
    );
    let report = std::fs::read_to_string(dir.path().join("s/report.md")).unwrap();
    assert!(
        report.contains(&format!("data sets pictures ({})", folder.display()))
            && report.contains("scored by the judge classifier"),
        "{report}"
    );
    let csv = std::fs::read_to_string(dir.path().join("s/results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(!csv.contains("failed"), "{csv}");

    // Run again, it has nothing left to do; with the judge retrained, it refuses.
    let stdout = common::succeeded(&run(&["study", "run", "--out", "s", "s/study.toml"]));
    assert!(stdout.contains("2 of 2 runs finished"), "{stdout}");
    let mut weights = std::fs::read(dir.path().join("runs/judge/classifier.bpk")).unwrap();
    let last = weights.len() - 1;
    weights[last] ^= 1;
    std::fs::write(dir.path().join("runs/judge/classifier.bpk"), weights).unwrap();
    let line = common::refused(&study_run(&[
        "--data",
        "my pictures",
        "--classifier",
        "judge",
    ]));
    assert!(line.contains("whose weights differ"), "{line}");
}
