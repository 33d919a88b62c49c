//! Weights out and back in (safetensors in PyTorch's layout), PyTorch drawing the same images
//! where it is installed, and synthetic data sets on disk.

mod common;

use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;

use burn::prelude::*;
use gan_studio::interop::safetensors::{export_generator_from, load_generator};
use gan_studio::model::{Depth, GanConfig, ModelKind, NormKind};
use gan_studio::sampling::{FixedBatch, generate_pixels};
use gan_studio::train::{RunDir, TrainConfig, Trainer};

use common::{first_error_line, gan_studio};

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = gan_studio(args, cwd);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every architecture and generator norm the tool exports, each trained for two steps (so
/// batch norm's running statistics are not the defaults) on a slice of MNIST.
fn trained_generators() -> Vec<(String, TrainConfig, gan_studio::model::Generator)> {
    let data = common::mnist().train;
    let device = Device::flex();
    let mut out = Vec::new();
    let cases = [
        (ModelKind::Cdcgan, Depth::Shallow, NormKind::Batch),
        (ModelKind::Cdcgan, Depth::Deep, NormKind::Virtual),
        (ModelKind::Dcgan, Depth::Medium, NormKind::None),
        (ModelKind::Cgan, Depth::Medium, NormKind::Batch),
        (ModelKind::Cgan, Depth::Shallow, NormKind::Virtual),
        (ModelKind::TfDcgan, Depth::Medium, NormKind::Batch),
        (ModelKind::Acgan, Depth::Shallow, NormKind::Batch),
        (ModelKind::TwoN, Depth::Medium, NormKind::None),
        (ModelKind::Infogan, Depth::Shallow, NormKind::Virtual),
    ];
    for (model, depth, norm) in cases {
        let runs = tempfile::tempdir().unwrap();
        let config = TrainConfig::new(
            GanConfig::new(model)
                .with_depth(depth)
                .with_generator_norm(norm),
        )
        .with_batch_size(16)
        .with_train_limit(Some(128))
        .with_max_steps(Some(2))
        .with_sample_every(0)
        .with_checkpoint_every(0);
        let run = RunDir::new(runs.path(), "g").unwrap();
        let mut trainer = Trainer::create(config.clone(), run, data.clone(), &device).unwrap();
        trainer.run(|_| ControlFlow::Continue(())).unwrap();
        let name = format!("{}-{depth:?}-{norm:?}", model.name()).to_lowercase();
        out.push((name, config, trainer.sampling_generator()));
    }
    out
}

fn images(
    config: &TrainConfig,
    generator: &gan_studio::model::Generator,
) -> (FixedBatch, Vec<f32>) {
    let gan = &config.gan;
    let conditional = gan.model.is_conditional();
    let batch = FixedBatch::new(5, gan.latent_dim, conditional, gan.num_classes, 3, 10);
    let pixels = generate_pixels(
        generator,
        gan,
        &batch.latents,
        batch.labels.as_deref(),
        &Device::flex(),
    )
    .unwrap();
    (batch, pixels)
}

#[test]
fn every_architecture_survives_export_and_import_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    for (name, config, generator) in trained_generators() {
        let out = dir.path().join(&name);
        export_generator_from(&config, &generator, &name, 2, &out).unwrap();
        let (back_config, back) = load_generator(&out, &Device::flex()).unwrap();
        assert_eq!(back_config.gan, config.gan, "{name}");
        let (_, before) = images(&config, &generator);
        let (_, after) = images(&config, &back);
        assert_eq!(before, after, "{name}: images differ after the round trip");
        // PyTorch's names: no enum variants, batch norm's weight/bias, linear weights (out, in).
        let bytes = std::fs::read(out.join("generator.safetensors")).unwrap();
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
        assert!(header.get("Conv.up1.weight").is_none(), "{name}: {header}");
        if name.starts_with("cdcgan-shallow") {
            assert!(header.get("norm1.batch.weight").is_some(), "{header}");
            assert!(header.get("norm1.batch.running_var").is_some(), "{header}");
            // Its input: z (100) and the one-hot label (10).
            let project = &header["project.weight"]["shape"];
            assert_eq!(project, &serde_json::json!([2 * 32 * 7 * 7, 110]));
        }
    }
}

#[test]
fn pytorch_draws_the_same_images_from_every_exported_architecture() {
    let has_torch = Command::new("python3")
        .args(["-c", "import torch, safetensors"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_torch {
        // PyTorch is installed where the benchmarks run (bench/install_torch_cpu.py), not in CI.
        eprintln!("skipped: python3 cannot import torch and safetensors");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/check_torch_export.py");
    // PyTorch loads the export and compares its outputs with ours; it must succeed.
    let check = |name: &str, export: &Path, samples: &Path| {
        let run = Command::new("python3")
            .arg(&script)
            .arg(export)
            .arg(samples)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        eprint!("{name}: {}", String::from_utf8_lossy(&run.stdout));
    };
    for (name, config, generator) in trained_generators() {
        let out = dir.path().join(&name);
        export_generator_from(&config, &generator, &name, 2, &out).unwrap();
        // What `sample --floats` writes: latents, labels and images.
        let (batch, pixels) = images(&config, &generator);
        let samples = dir.path().join(format!("{name}-samples"));
        std::fs::create_dir_all(&samples).unwrap();
        let bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        std::fs::write(samples.join("latents.f32"), bytes(&batch.latents)).unwrap();
        std::fs::write(samples.join("images.f32"), bytes(&pixels)).unwrap();
        if let Some(labels) = &batch.labels {
            gan_studio::data::idx::write_labels(&samples.join("labels-idx1-ubyte"), labels)
                .unwrap();
        }
        check(&name, &out, &samples);
    }

    // The classifier reads images as the tool does.
    let runs = dir.path().join("runs");
    gan_studio::explore::bundle::unpack_classifier(&runs, "lenet").unwrap();
    let out = dir.path().join("lenet-export");
    gan_studio::interop::safetensors::export_classifier(&runs.join("lenet"), &out).unwrap();
    let data = common::mnist().test.truncate(200);
    let pixels = gan_studio::eval::report::all_pixels(&data);
    let classifier = gan_studio::explore::bundle::classifier(&Device::flex()).unwrap();
    let readout =
        gan_studio::eval::classifier::read_out(&classifier, &pixels, 28, &Device::flex()).unwrap();
    let samples = dir.path().join("lenet-samples");
    std::fs::create_dir_all(&samples).unwrap();
    let bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    std::fs::write(samples.join("images.f32"), bytes(&pixels)).unwrap();
    std::fs::write(
        samples.join("probabilities.f32"),
        bytes(&readout.probabilities),
    )
    .unwrap();
    check("classifier", &out, &samples);
}

#[test]
fn export_import_generate_and_augment_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    ok(&["bundle", "--unpack"], cwd);

    // A run out and back in: the imported run samples the same grid.
    ok(
        &["export", "--run", "bundled-cdcgan", "--out", "exported"],
        cwd,
    );
    assert!(cwd.join("exported/generator.safetensors").is_file());
    ok(&["import", "--from", "exported", "--run", "again"], cwd);
    for run in ["bundled-cdcgan", "again"] {
        ok(
            &[
                "sample",
                "--run",
                run,
                "--per-class",
                "2",
                "--floats",
                "--out",
                run,
                "--device",
                "cpu",
            ],
            cwd,
        );
    }
    assert_eq!(
        std::fs::read(cwd.join("bundled-cdcgan/images.f32")).unwrap(),
        std::fs::read(cwd.join("again/images.f32")).unwrap()
    );
    // The classifier too.
    ok(&["export", "--run", "bundled-lenet", "--out", "lenet"], cwd);
    ok(&["import", "--from", "lenet", "--run", "lenet-again"], cwd);
    assert!(cwd.join("runs/lenet-again/classifier.bpk").is_file());
    let out = gan_studio(&["import", "--from", "exported", "--run", "again"], cwd);
    assert!(
        first_error_line(&out).contains("already exists"),
        "{}",
        first_error_line(&out)
    );

    // A synthetic data set, one PNG per image in a folder per class, or IDX.
    ok(
        &[
            "generate",
            "--run",
            "bundled-cdcgan",
            "--per-class",
            "3",
            "--out",
            "synthetic",
            "--device",
            "cpu",
            "--quiet",
        ],
        cwd,
    );
    for class in 0..10 {
        let files = std::fs::read_dir(cwd.join(format!("synthetic/{class}")))
            .unwrap()
            .count();
        assert_eq!(files, 3, "class {class}");
    }
    let png = image::open(cwd.join("synthetic/7/7-000022.png")).unwrap();
    assert_eq!((png.width(), png.height()), (28, 28));
    // A second set into the same folder would mix with the first: refused, unless --replace,
    // which removes the first set and nothing else.
    let again = |per_class: &str, extra: &[&str]| {
        let args = [
            &[
                "generate",
                "--run",
                "bundled-cdcgan",
                "--per-class",
                per_class,
                "--out",
                "synthetic",
                "--device",
                "cpu",
                "--quiet",
            ],
            extra,
        ]
        .concat();
        gan_studio(&args, cwd)
    };
    let error = first_error_line(&again("1", &[]));
    assert!(
        error.contains("already holds an earlier generated set"),
        "{error}"
    );
    assert!(cwd.join("synthetic/7/7-000022.png").is_file());
    common::succeeded(&again("1", &["--replace"]));
    for class in 0..10 {
        let files = std::fs::read_dir(cwd.join(format!("synthetic/{class}")))
            .unwrap()
            .count();
        assert_eq!(files, 1, "class {class} after --replace");
    }
    std::fs::write(cwd.join("synthetic/notes.txt"), "mine").unwrap();
    let error = first_error_line(&again("1", &["--replace"]));
    assert!(error.contains("did not write"), "{error}");
    assert!(error.contains("notes.txt"), "{error}");
    assert!(cwd.join("synthetic/0/0-000000.png").is_file());
    std::fs::remove_file(cwd.join("synthetic/notes.txt")).unwrap();
    common::succeeded(&again("3", &["--replace"]));
    ok(
        &[
            "generate",
            "--run",
            "bundled-cdcgan",
            "--per-class",
            "4",
            "--classes",
            "3,8",
            "--format",
            "idx",
            "--out",
            "idx",
            "--device",
            "cpu",
            "--quiet",
        ],
        cwd,
    );
    let labels =
        gan_studio::data::idx::read_labels(&cwd.join("idx/labels-idx1-ubyte"), 10).unwrap();
    assert_eq!(labels.labels, vec![3, 3, 3, 3, 8, 8, 8, 8]);
    let out = gan_studio(
        &[
            "generate",
            "--run",
            "bundled-cdcgan",
            "--per-class",
            "1",
            "--classes",
            "12",
            "--out",
            "bad",
            "--device",
            "cpu",
        ],
        cwd,
    );
    assert!(
        first_error_line(&out).contains("class 12 is not one of the model's classes 0-9"),
        "{}",
        first_error_line(&out)
    );

    // The retraining study reads such a folder back.
    ok(
        &[
            "augment",
            "--run",
            "bundled-cdcgan",
            "--classifier",
            "bundled-lenet",
            "--synthetic",
            "synthetic",
            "--ratios",
            "0,0.2",
            "--strategies",
            "mix",
            "--seeds",
            "1",
            "--steps",
            "5",
            "--per-class",
            "10",
            "--data",
            data,
            "--device",
            "cpu",
            "--out",
            "aug",
        ],
        cwd,
    );
    let table = std::fs::read_to_string(cwd.join("aug.md")).unwrap();
    assert!(table.contains("(images from a folder)"), "{table}");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cwd.join("aug.json")).unwrap()).unwrap();
    assert_eq!(results[1]["synthetic_used"], 20);
}
