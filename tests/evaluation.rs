//! The measuring instrument and the CLI contract of `classifier train` and `eval`.

mod common;

use std::process::Command;

use burn::prelude::*;
use gan_studio::eval::classifier::{ClassifierConfig, accuracy, train};

#[test]
fn a_classifier_trained_on_3000_digits_beats_chance_by_far() {
    let data = common::mnist();
    let device = Device::flex();
    let config = ClassifierConfig::new().with_epochs(3).with_batch_size(32);
    let mut losses = Vec::new();
    let model = train(
        &config,
        &data.train.clone().truncate(3000),
        &device,
        |_, loss| losses.push(loss),
    )
    .unwrap();
    let acc = accuracy(&model, &data.test.clone().truncate(1000), &device).unwrap();
    // Chance is 10%.
    assert!(acc > 0.85, "test accuracy {acc}");
    assert!(
        losses[0] < 2.3,
        "mean loss {losses:?} stayed at chance level"
    );
}

#[test]
fn classifier_train_and_eval_real_write_the_promised_keys() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    let bin = env!("CARGO_BIN_EXE_gan-studio");
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "classifier",
        "train",
        "--run",
        "c",
        "--data",
        data,
        "--device",
        "cpu",
        "--epochs",
        "2",
        "--train-limit",
        "3000",
    ]);
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("runs/c/classifier.json")).unwrap(),
    )
    .unwrap();
    let acc = report["test_accuracy"].as_f64().unwrap();
    // Chance is 10%; two short epochs on 3,000 digits clear it by a wide margin.
    assert!((0.5..=1.0).contains(&acc), "{acc}");

    run(&[
        "eval",
        "--real",
        "--classifier",
        "c",
        "--data",
        data,
        "--device",
        "cpu",
        "--out",
        "real.json",
        "--memorisation-samples",
        "200",
    ]);
    let real: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("real.json")).unwrap())
            .unwrap();
    for key in [
        "inception_score",
        "success_rate",
        "fid",
        "precision",
        "recall",
        "memorised_share",
    ] {
        assert!(real[key].as_f64().is_some(), "{key} missing: {real}");
    }
    let shares = real["class_shares"].as_array().unwrap();
    assert_eq!(shares.len(), 10);
    let total: f64 = shares.iter().map(|s| s.as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9);
    assert!(real["inception_score"].as_f64().unwrap() > 1.5, "{real}");

    // A conditional run evaluates too; an untrained-ish generator scores worse than real data.
    run(&[
        "train",
        "--model",
        "cdcgan",
        "--depth",
        "shallow",
        "--run",
        "g",
        "--data",
        data,
        "--device",
        "cpu",
        "--max-steps",
        "3",
        "--batch-size",
        "16",
        "--train-limit",
        "64",
        "--quiet",
    ]);
    run(&[
        "eval",
        "--run",
        "g",
        "--classifier",
        "c",
        "--data",
        data,
        "--device",
        "cpu",
        "--samples",
        "500",
        "--memorisation-samples",
        "100",
    ]);
    let ours: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("runs/g/eval.json")).unwrap(),
    )
    .unwrap();
    assert!(ours["success_rate"].as_f64().is_some());
    assert!(ours["fid"].as_f64().unwrap() > real["fid"].as_f64().unwrap());
}
