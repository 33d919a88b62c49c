//! CycleGAN: networks of both sizes, training that lowers the cycle loss, the identity loss off
//! and on, checkpoints that resume step for step, and `translate` / `sample` from the CLI.

mod common;

use burn::prelude::*;
use gan_studio::cyclegan::{CycleGanConfig, CycleTrainer, DomainRecord};
use gan_studio::device::ComputeDevice;
use gan_studio::train::RunDir;

fn cpu() -> Device {
    ComputeDevice::cpu().device
}

#[test]
fn both_sizes_keep_the_picture_shape_and_patchgan_judges_a_grid_of_patches() {
    let device = cpu();
    for (side, layers, patches) in [(32, 2, 6), (64, 3, 6), (64, 2, 14)] {
        let config = CycleGanConfig::new(DomainRecord::unread("a"), DomainRecord::unread("b"))
            .with_image_size(side)
            .with_width(8)
            .with_residual_blocks(2)
            .with_discriminator_layers(layers);
        config.validate().unwrap();
        let generators = config.init_generators(&device, 1);
        let discriminators = config.init_discriminators(&device, 1);
        let x = Tensor::<4>::zeros([2, 3, side, side], &device);
        let y = generators.a2b.forward(x.clone());
        assert_eq!(y.dims(), [2, 3, side, side]);
        let values = y.into_data().try_to_vec::<f32>().unwrap();
        assert!(values.iter().all(|v| (-1.0..=1.0).contains(v)));
        assert_eq!(discriminators.b.forward(x).dims(), [2, 1, patches, patches]);
    }
    let bad = CycleGanConfig::new(DomainRecord::unread("a"), DomainRecord::unread("b"))
        .with_image_size(48);
    assert!(bad.validate().unwrap_err().to_string().contains("32 or 64"));
}

#[test]
fn training_lowers_the_cycle_loss_and_identity_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (config, domains) = common::tiny_cyclegan_setup(dir.path(), 24, 60);
    let run = RunDir::new(&dir.path().join("runs"), "on").unwrap();
    let mut trainer = CycleTrainer::create(config.clone(), run, domains.clone(), &cpu()).unwrap();
    let mut cycle = Vec::new();
    for _ in 0..60 {
        let m = trainer.step().unwrap();
        assert!(m.identity > 0.0, "identity loss is on by default");
        cycle.push(m.cycle_a + m.cycle_b);
    }
    let first: f32 = cycle[..5].iter().sum::<f32>() / 5.0;
    let last: f32 = cycle[55..].iter().sum::<f32>() / 5.0;
    assert!(last < 0.6 * first, "cycle error {first} -> {last}");

    let off = config.with_lambda_identity(0.0);
    let run = RunDir::new(&dir.path().join("runs"), "off").unwrap();
    let mut trainer = CycleTrainer::create(off, run, domains, &cpu()).unwrap();
    assert_eq!(trainer.step().unwrap().identity, 0.0);
}

#[test]
fn residual_generators_start_as_the_identity_and_learn_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let (config, domains) = common::tiny_cyclegan_setup(dir.path(), 12, 60);
    // No weight average, so that what translates is the trained weights; no identity loss,
    // which holds a generator that starts as the identity there on these tiny domains.
    let config = config
        .with_residual_output(true)
        .with_ema_decay(None)
        .with_lambda_identity(0.0);
    let device = cpu();
    let generators = config.init_generators(&device, 3);
    let x = Tensor::<4>::random(
        [2, 3, 32, 32],
        burn::tensor::Distribution::Uniform(-1.0, 1.0),
        &device,
    );
    let max_change =
        |y: Tensor<4>, x: Tensor<4>| -> f32 { (y - x).abs().max().into_scalar::<f32>() };
    // Within the 1e-3 by which saturated pixels are pulled in before the atanh.
    assert!(max_change(generators.a2b.forward(x.clone()), x.clone()) <= 1.01e-3);
    // The plain generator is far from the identity at its start.
    let plain = config.clone().with_residual_output(false);
    let plain = plain.init_generators(&device, 3);
    assert!(max_change(plain.a2b.forward(x.clone()), x.clone()) > 0.1);

    let run = RunDir::new(&dir.path().join("runs"), "residual").unwrap();
    let mut trainer = CycleTrainer::create(config, run, domains, &device).unwrap();
    let first = trainer.step().unwrap();
    assert!(
        first.cycle_a + first.cycle_b < 0.01,
        "starts as the identity: cycle error {}",
        first.cycle_a + first.cycle_b
    );
    for _ in 0..59 {
        trainer.step().unwrap();
    }
    let trained = trainer.sampling_generators();
    let moved = max_change(trained.a2b.forward(x.clone()), x);
    assert!(
        moved > 0.01,
        "training moves a residual generator away from the identity: {moved}"
    );
}

#[test]
fn a_resumed_run_repeats_an_uninterrupted_one_step_for_step() {
    let dir = tempfile::tempdir().unwrap();
    // Pool of 3 so that it fills and swaps within the steps.
    let (config, domains) = common::tiny_cyclegan_setup(dir.path(), 12, 8);
    let config = config.with_pool_size(3).with_checkpoint_every(4);
    let runs = dir.path().join("runs");
    let whole = RunDir::new(&runs, "whole").unwrap();
    let mut trainer =
        CycleTrainer::create(config.clone(), whole.clone(), domains.clone(), &cpu()).unwrap();
    trainer
        .run(|_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    drop(trainer);

    let halves = RunDir::new(&runs, "halves").unwrap();
    let mut trainer =
        CycleTrainer::create(config, halves.clone(), domains.clone(), &cpu()).unwrap();
    // Stop at the checkpoint of step 4.
    trainer
        .run(|event| match event {
            gan_studio::cyclegan::CycleEvent::Checkpoint { .. } => std::ops::ControlFlow::Break(()),
            _ => std::ops::ControlFlow::Continue(()),
        })
        .unwrap();
    assert_eq!(trainer.step_count(), 4);
    drop(trainer);
    let mut trainer = CycleTrainer::resume(halves.clone(), domains, &cpu(), None).unwrap();
    assert_eq!(trainer.step_count(), 4);
    trainer
        .run(|_| std::ops::ControlFlow::Continue(()))
        .unwrap();

    let losses = |run: &RunDir| -> Vec<String> {
        std::fs::read_to_string(run.metrics())
            .unwrap()
            .lines()
            .map(|line| {
                let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
                v.as_object_mut().unwrap().remove("elapsed_secs");
                v.to_string()
            })
            .collect()
    };
    assert_eq!(losses(&whole).len(), 8);
    assert_eq!(losses(&whole), losses(&halves));
}

#[test]
fn translate_reads_a_folder_and_a_tarball_and_sample_writes_the_slides_grid() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (config, domains) = common::tiny_cyclegan_setup(root, 12, 2);
    let run = RunDir::new(&root.join("runs"), "tiny").unwrap();
    let mut trainer = CycleTrainer::create(config, run, domains, &cpu()).unwrap();
    trainer
        .run(|_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    drop(trainer);

    let input = root.join("input/nested");
    common::write_picture_domain(&input, 3, true);
    std::fs::write(root.join("input/notes.txt"), "not a picture").unwrap();
    let tar = root.join("input.tar.gz");
    let status = std::process::Command::new("tar")
        .args([
            "czf",
            tar.to_str().unwrap(),
            "-C",
            root.to_str().unwrap(),
            "input",
        ])
        .status()
        .unwrap();
    assert!(status.success());

    let runs = root.join("runs");
    let run = |args: &[&str]| common::gan_studio(args, root);
    let base = [
        "--run",
        "tiny",
        "--runs-dir",
        runs.to_str().unwrap(),
        "--device",
        "cpu",
    ];
    let out = run(&[
        &["translate", "--input", "input", "--output", "folder-out"],
        &base[..],
    ]
    .concat());
    common::succeeded(&out);
    for i in 0..3 {
        let png = root.join(format!("folder-out/nested/{i:03}.png"));
        let picture = image::open(&png).unwrap();
        assert_eq!((picture.width(), picture.height()), (32, 32));
    }
    let out = run(&[
        &[
            "translate",
            "--input",
            "input.tar.gz",
            "--output",
            "tar-out",
            "--direction",
            "b2a",
        ],
        &base[..],
    ]
    .concat());
    common::succeeded(&out);
    assert!(root.join("tar-out/input/nested/002.png").is_file());

    let out = run(&[&["sample", "--out", "grid", "--count", "1"], &base[..]].concat());
    common::succeeded(&out);
    let grid = image::open(root.join("grid/grid.png")).unwrap();
    // Six 32-pixel tiles with 2 pixels of padding, scaled twice.
    assert_eq!(grid.width(), 2 * (6 * 32 + 7 * 2));
    assert_eq!(grid.height(), 2 * (32 + 2 * 2));

    // eval: held-out cycle error and the domain classifier's reading, into eval.json.
    let out = run(&[&["eval", "--samples", "5"], &base[..]].concat());
    common::succeeded(&out);
    let eval: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(runs.join("tiny/eval.json")).unwrap())
            .unwrap();
    for direction in ["a2b", "b2a"] {
        let cycle = eval[direction]["cycle_error"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&cycle), "{eval}");
        assert_eq!(
            eval[direction]["pictures"], 1,
            "one held out of 12 pictures"
        );
        assert!(eval[direction]["target_class_share"].is_null());
    }
    assert!(eval["colourisation"].is_null());

    // Output that would overwrite its input, or two pictures sharing one PNG: refused before
    // anything is written, and the pictures are untouched.
    let before = std::fs::read(root.join("input/nested/000.png")).unwrap();
    let refused = |input: &str, output: &str| {
        let out = run(&[
            &["translate", "--input", input, "--output", output],
            &base[..],
        ]
        .concat());
        common::first_error_line(&out)
    };
    for output in ["input", "input/nested", "input/../input/translated"] {
        let error = refused("input", output);
        assert!(
            error.contains("inside the input folder"),
            "{output}: {error}"
        );
    }
    let error = refused("input/nested/000.png", "input/nested");
    assert!(error.contains("would be written over it"), "{error}");
    assert_eq!(
        std::fs::read(root.join("input/nested/000.png")).unwrap(),
        before
    );
    assert!(!root.join("input/translated").exists());
    std::fs::copy(
        root.join("input/nested/001.png"),
        root.join("input/nested/001.jpg"),
    )
    .unwrap();
    let error = refused("input", "clash-out");
    assert!(
        error.contains("nested/001.jpg and nested/001.png would both be written"),
        "{error}"
    );
    assert!(!root.join("clash-out").exists());

    // A GAN run or no run: one clear error each.
    let out = run(&[
        "translate",
        "--run",
        "missing",
        "--input",
        "input",
        "--output",
        "x",
        "--runs-dir",
        runs.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(common::first_error_line(&out).contains("no CycleGAN run"));
}

#[test]
fn train_refuses_cyclegan_without_domains_and_the_same_domain_twice() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write_picture_domain(&root.join("warm"), 4, true);
    let out = common::gan_studio(
        &[
            "train",
            "--model",
            "cyclegan",
            "--run",
            "x",
            "--domain-a",
            "warm",
        ],
        root,
    );
    assert!(common::first_error_line(&out).contains("--domain-a and --domain-b"));
    let out = common::gan_studio(
        &[
            "train",
            "--model",
            "cyclegan",
            "--run",
            "x",
            "--domain-a",
            "warm",
            "--domain-b",
            "warm",
        ],
        root,
    );
    assert!(common::first_error_line(&out).contains("same domain"));
    let out = common::gan_studio(
        &[
            "train",
            "--model",
            "dcgan",
            "--run",
            "x",
            "--domain-a",
            "warm",
        ],
        root,
    );
    assert!(common::first_error_line(&out).contains("options of --model cyclegan"));
}

#[test]
fn residual_output_from_the_cli_is_saved_and_rebuilt_for_translate() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write_picture_domain(&root.join("warm"), 8, true);
    common::write_picture_domain(&root.join("cool"), 8, false);
    let out = common::gan_studio(
        &[
            "train",
            "--model",
            "cyclegan",
            "--run",
            "res",
            "--domain-a",
            "warm",
            "--domain-b",
            "cool",
            "--residual-output",
            "--max-steps",
            "2",
            "--width",
            "8",
            "--residual-blocks",
            "1",
            "--sample-every",
            "0",
            "--checkpoint-every",
            "0",
            "--device",
            "cpu",
            "--quiet",
        ],
        root,
    );
    common::succeeded(&out);
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("runs/res/cyclegan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["residual_output"], serde_json::Value::Bool(true));
    common::write_picture_domain(&root.join("input"), 1, true);
    let out = common::gan_studio(
        &[
            "translate",
            "--run",
            "res",
            "--input",
            "input",
            "--output",
            "out",
            "--device",
            "cpu",
        ],
        root,
    );
    common::succeeded(&out);
    // Two steps from the identity (and through the weight average): still nearly the input,
    // which a generator rebuilt without its skip would not be.
    let pixels = |path: std::path::PathBuf| image::open(path).unwrap().to_rgb8().into_raw();
    let (before, after) = (
        pixels(root.join("input/000.png")),
        pixels(root.join("out/000.png")),
    );
    let mean_change = before
        .iter()
        .zip(&after)
        .map(|(a, b)| (*a as f32 - *b as f32).abs() / 255.0)
        .sum::<f32>()
        / before.len() as f32;
    assert!(mean_change < 0.02, "mean change {mean_change}");
}
