//! The binary: bad input gives one clear error line and a non-zero exit, never a panic.

mod common;

use std::process::Command;

use common::{first_error_line, gan_studio, refused, succeeded};

#[test]
fn unknown_model_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = gan_studio(
        &["train", "--model", "vae", "--run", "x", "--device", "cpu"],
        dir.path(),
    );
    let line = refused(&out);
    assert!(line.contains("'vae'") && line.contains("--model"), "{line}");
}

#[test]
fn impossible_options_are_rejected_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    for (flag, value, expect) in [
        ("--batch-size", "0", "--batch-size"),
        ("--dropout", "1.5", "--dropout"),
        ("--lr-g", "0", "--lr-g"),
        ("--real-target", "0.2", "--real-target"),
    ] {
        let out = gan_studio(
            &[
                "train", "--model", "dcgan", "--run", "x", "--device", "cpu", "--data", data, flag,
                value,
            ],
            dir.path(),
        );
        assert!(!out.status.success(), "{flag} {value} accepted");
        let line = first_error_line(&out);
        assert!(line.contains(expect), "{flag}: {line}");
        assert!(
            !dir.path().join("runs/x").exists(),
            "{flag}: a run folder was created"
        );
    }
    // DCGAN's D does not read the label, so it has none to project.
    let out = gan_studio(
        &[
            "train",
            "--model",
            "dcgan",
            "--run",
            "x",
            "--device",
            "cpu",
            "--data",
            data,
            "--projection",
        ],
        dir.path(),
    );
    assert!(!out.status.success(), "--projection accepted for dcgan");
    let line = first_error_line(&out);
    assert!(
        line.contains("--projection")
            && line.contains("cdcgan, guided")
            && line.contains("dcgan's"),
        "{line}"
    );
    assert!(!dir.path().join("runs/x").exists());
}

#[test]
fn missing_and_corrupt_data_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = gan_studio(&["data", "info", "--data", "nowhere"], dir.path());
    assert!(!out.status.success());
    assert!(first_error_line(&out).contains("nowhere"));

    // A truncated image file beside valid labels.
    let data = dir.path().join("broken");
    std::fs::create_dir_all(&data).unwrap();
    let real = common::data_dir();
    for name in [
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(real.join(name), data.join(name)).unwrap();
    }
    let images = std::fs::read(real.join("train-images-idx3-ubyte.gz")).unwrap();
    std::fs::write(
        data.join("train-images-idx3-ubyte.gz"),
        &images[..images.len() / 3],
    )
    .unwrap();
    let out = gan_studio(
        &["data", "info", "--data", data.to_str().unwrap()],
        dir.path(),
    );
    let line = refused(&out);
    assert!(line.contains("train-images-idx3-ubyte.gz"), "{line}");

    let out = gan_studio(
        &[
            "train",
            "--model",
            "dcgan",
            "--run",
            "r",
            "--device",
            "cpu",
            "--data",
            data.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(first_error_line(&out).contains("train-images-idx3-ubyte.gz"));
}

#[test]
fn data_info_accepts_the_real_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = gan_studio(
        &[
            "data",
            "info",
            "--data",
            common::data_dir().to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = succeeded(&out);
    if common::has_full_mnist() {
        assert!(stdout.contains("train: 60000 images of 28x28"), "{stdout}");
        assert!(stdout.contains("test: 10000 images"), "{stdout}");
        assert!(stdout.contains("[5923, 6742, 5958"), "{stdout}");
    } else {
        // The repository's slice: the first 3,000 training and 1,000 test images.
        assert!(stdout.contains("train: 3000 images of 28x28"), "{stdout}");
        assert!(stdout.contains("test: 1000 images"), "{stdout}");
        assert!(stdout.contains("[285, 339, 299"), "{stdout}");
    }
}

#[test]
fn the_fashion_slice_in_the_repository_reads_as_fashion_mnist() {
    let dir = tempfile::tempdir().unwrap();
    let fashion = common::fixtures_root().join("fashion-mnist");
    let fashion = fashion.to_str().unwrap();
    let out = gan_studio(
        &["data", "info", "--dataset", "fashion", "--data", fashion],
        dir.path(),
    );
    let stdout = succeeded(&out);
    assert!(stdout.contains("train: 2000 images of 28x28"), "{stdout}");
    // Asked for as MNIST, its content gives it away.
    let out = gan_studio(
        &["data", "info", "--dataset", "mnist", "--data", fashion],
        dir.path(),
    );
    let line = refused(&out);
    assert!(line.contains("holds Fashion-MNIST, not MNIST"), "{line}");
    // Not named, it is read as what it holds, and said so.
    let out = gan_studio(&["data", "info", "--data", fashion], dir.path());
    assert!(succeeded(&out).contains("Fashion-MNIST"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("holds Fashion-MNIST: read as such, as no --dataset was given"),
        "{stderr}"
    );
}

#[test]
fn train_then_sample_writes_grid_and_idx_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let out = gan_studio(
        &[
            "train",
            "--model",
            "cdcgan",
            "--depth",
            "shallow",
            "--run",
            "tiny",
            "--device",
            "cpu",
            "--data",
            data.to_str().unwrap(),
            "--max-steps",
            "2",
            "--batch-size",
            "8",
            "--train-limit",
            "64",
            "--quiet",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = dir.path().join("samples");
    let out = gan_studio(
        &[
            "sample",
            "--run",
            "tiny",
            "--per-class",
            "3",
            "--out",
            samples.to_str().unwrap(),
            "--device",
            "cpu",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let grid = image::open(samples.join("grid.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (3 * 30 + 2, 10 * 30 + 2));
    let images = gan_studio::data::idx::read_images(&samples.join("images-idx3-ubyte")).unwrap();
    assert_eq!((images.count, images.rows, images.cols), (30, 28, 28));
    let labels =
        gan_studio::data::idx::read_labels(&samples.join("labels-idx1-ubyte"), 10).unwrap();
    assert_eq!(labels.labels[..4], [0, 0, 0, 1]);

    // Sampling a run that does not exist names it.
    let out = gan_studio(
        &["sample", "--run", "ghost", "--per-class", "1", "--out", "x"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(first_error_line(&out).contains("ghost"));

    // Its training curves, as the studio draws them, into the run's figures/.
    let listed = succeeded(&gan_studio(&["curves", "--run", "tiny"], dir.path()));
    // The gradient norms' many layers are keyed in a column beside the plot.
    for (file, width) in [
        ("losses.png", 900),
        ("d-outputs.png", 900),
        ("gradient-norms.png", 1160),
    ] {
        let path = dir.path().join("runs/tiny/figures").join(file);
        assert!(listed.contains(file), "{listed}");
        let plot = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!((plot.width(), plot.height()), (width, 700), "{file}");
    }
    let line = refused(&gan_studio(
        &["curves", "--run", "tiny", "--smoothing", "1.5"],
        dir.path(),
    ));
    assert!(line.contains("--smoothing 1.5"), "{line}");
    // A run that has logged nothing says so rather than drawing empty axes.
    std::fs::write(dir.path().join("runs/tiny/metrics.jsonl"), "").unwrap();
    let line = refused(&gan_studio(&["curves", "--run", "tiny"], dir.path()));
    assert!(line.contains("has logged no steps"), "{line}");
}

#[test]
fn a_data_set_of_the_wrong_kind_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    // MNIST's files, asked for as Fashion-MNIST: same names, other content.
    let mnist = common::data_dir();
    let mnist = mnist.to_str().unwrap();
    for args in [
        vec!["data", "info", "--dataset", "fashion", "--data", mnist],
        vec![
            "train",
            "--model",
            "dcgan",
            "--run",
            "f",
            "--device",
            "cpu",
            "--dataset",
            "fashion",
            "--data",
            mnist,
            "--max-steps",
            "1",
        ],
    ] {
        let out = gan_studio(&args, dir.path());
        assert!(
            !out.status.success(),
            "{args:?} accepted MNIST as Fashion-MNIST"
        );
        let line = first_error_line(&out);
        assert!(
            line.contains("holds MNIST, not Fashion-MNIST"),
            "{args:?}: {line}"
        );
        assert!(!dir.path().join("runs/f").exists());
    }
}

/// The cells of the markdown row of `run` in `report`'s table, by column name.
fn report_row(stdout: &str, run: &str) -> std::collections::HashMap<String, String> {
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut lines = stdout.lines();
    let header = cells(lines.next().unwrap());
    let row = lines
        .find(|l| l.starts_with(&format!("| {run} |")))
        .unwrap_or_else(|| panic!("no row for {run}: {stdout}"));
    header.into_iter().zip(cells(row)).collect()
}

#[test]
fn report_shows_the_evaluated_step_after_a_resume() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    let ok = |args: &[&str]| {
        let out = gan_studio(args, dir.path());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let train = [
        "train",
        "--model",
        "cdcgan",
        "--depth",
        "shallow",
        "--run",
        "r",
        "--device",
        "cpu",
        "--data",
        data,
        "--batch-size",
        "8",
        "--train-limit",
        "64",
        "--quiet",
    ];
    ok(&[&train[..], &["--max-steps", "2"]].concat());
    // The bundled classifier as a classifier run: no training needed to evaluate.
    ok(&["bundle", "--unpack"]);
    ok(&[
        "eval",
        "--run",
        "r",
        "--classifier",
        "bundled-lenet",
        "--data",
        data,
        "--device",
        "cpu",
        "--samples",
        "100",
        "--memorisation-samples",
        "50",
    ]);
    let eval: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("runs/r/eval.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(eval["step"], 2);
    assert_eq!(eval["checkpoint"], "step-00000002");
    assert_eq!(eval["generator_sha256"].as_str().unwrap().len(), 64);
    assert!(eval["reference_split_seed"].as_u64().is_some());

    ok(&[
        "train",
        "--run",
        "r",
        "--resume",
        "--max-steps",
        "4",
        "--data",
        data,
        "--device",
        "cpu",
        "--quiet",
    ]);
    let row = report_row(&ok(&["report", "runs/r"]), "r");
    assert_eq!(row["trained steps"], "4", "{row:?}");
    assert_eq!(row["evaluated step"], "2", "{row:?}");
    let sha = eval["generator_sha256"].as_str().unwrap();
    assert_eq!(row["evaluated weights"], format!("sha256 {}", &sha[..12]));
    let judge = eval["classifier_sha256"].as_str().unwrap();
    assert_eq!(judge.len(), 64);
    assert_eq!(row["judge"], format!("sha256 {}", &judge[..12]));
    assert_eq!(row["data set"], "mnist");

    // The unpacked bundled generator is a run like any other, and refuses to continue.
    let row = report_row(&ok(&["report", "runs/bundled-cdcgan"]), "bundled-cdcgan");
    assert_eq!(row["model"], "cdcgan");
    let out = gan_studio(
        &[
            "train",
            "--run",
            "bundled-cdcgan",
            "--resume",
            "--max-steps",
            "5000",
            "--data",
            data,
            "--device",
            "cpu",
        ],
        dir.path(),
    );
    assert!(first_error_line(&out).contains("holds only a generator"));
}

/// `train --model infogan` starts from the family's recipe (the paper's networks, G rate and
/// noise size) unless told otherwise, and `eval` reads Q as a classifier of real digits too.
#[test]
fn infogan_trains_from_its_recipe_and_eval_reads_q_on_real_digits() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    let ok = |args: &[&str]| succeeded(&gan_studio(args, dir.path()));
    let train = |run: &'static str, extra: &[&'static str]| {
        let args = [
            "train",
            "--model",
            "infogan",
            "--depth",
            "shallow",
            "--run",
            run,
            "--device",
            "cpu",
            "--data",
            data,
            "--batch-size",
            "8",
            "--train-limit",
            "64",
            "--max-steps",
            "2",
            "--quiet",
        ];
        ok(&[&args[..], extra].concat());
        gan_studio::train::TrainConfig::load_run(
            &dir.path().join("runs").join(run).join("config.json"),
        )
        .unwrap()
    };
    let recipe = train("recipe", &[]);
    assert_eq!(recipe.lr_generator, 1e-3);
    assert_eq!(recipe.lr_discriminator, 2e-4);
    assert_eq!((recipe.gan.latent_dim, recipe.gan.info_hidden), (64, 1024));
    let told = train(
        "told",
        &["--lr-g", "5e-4", "--latent-dim", "80", "--info-hidden", "0"],
    );
    assert_eq!(told.lr_generator, 5e-4);
    assert_eq!((told.gan.latent_dim, told.gan.info_hidden), (80, 0));

    ok(&["bundle", "--unpack"]);
    for run in ["recipe", "told"] {
        ok(&[
            "eval",
            "--run",
            run,
            "--classifier",
            "bundled-lenet",
            "--data",
            data,
            "--device",
            "cpu",
            "--samples",
            "100",
            "--memorisation-samples",
            "50",
        ]);
        let path = dir.path().join("runs").join(run).join("eval.json");
        let eval: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for key in ["category_accuracy", "q_accuracy_on_real"] {
            let value = eval[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{run}: no {key}"));
            // One-to-one matching of 10 categories gives any labelling at least a tenth.
            assert!((0.1..=1.0).contains(&value), "{run}: {key} {value}");
        }
        // A share, read without labels (chance alone can put it below a tenth).
        let agreement = eval["q_neighbour_agreement"]
            .as_f64()
            .unwrap_or_else(|| panic!("{run}: no q_neighbour_agreement"));
        assert!((0.0..=1.0).contains(&agreement), "{run}: {agreement}");
    }
}

/// Outside a desktop session (no XDG_RUNTIME_DIR), choosing a device used to make Mesa's
/// device-select layer print an alarming "error: XDG_RUNTIME_DIR is invalid..." line twice.
#[test]
fn a_command_without_a_display_keeps_stderr_for_real_problems() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_gan-studio"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("GAN_STUDIO_DATA")
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("NODEVICE_SELECT")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .expect("the binary runs");
        assert!(out.status.success(), "{args:?} failed");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert_eq!(quiet(&["bundle", "--unpack"]), "");
    // --device auto (the default) lists the wgpu adapters: the probe that printed the line.
    let stderr = quiet(&["sample", "--run", "bundled-cdcgan", "--out", "s"]);
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
    assert_eq!(stderr, "", "sample wrote to stderr");
}

/// One writer per run: while `train` runs, a second `train --resume` of the same run is refused
/// naming the first one's process; after the first is killed with SIGKILL the run is not left
/// locked, and resuming works.
#[test]
fn a_run_has_one_writer_and_a_killed_one_leaves_no_lock_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_gan-studio"))
        .args([
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
            "100000",
            "--batch-size",
            "16",
            "--checkpoint-every",
            "2",
        ])
        .current_dir(dir.path())
        .env_remove("GAN_STUDIO_DATA")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let checkpoints = dir.path().join("runs/r/checkpoints");
    let latest_step = || {
        std::fs::read_dir(&checkpoints)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_prefix("step-")?
                    .parse::<usize>()
                    .ok()
            })
            .max()
    };
    let started = std::time::Instant::now();
    while latest_step().is_none() {
        assert!(
            started.elapsed().as_secs() < 120,
            "no checkpoint after 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    for args in [
        vec![
            "train", "--run", "r", "--resume", "--device", "cpu", "--data", data,
        ],
        vec![
            "train", "--model", "dcgan", "--run", "r", "--device", "cpu", "--data", data,
        ],
    ] {
        let out = gan_studio(&args, dir.path());
        assert!(
            !out.status.success(),
            "{args:?} ran beside the first trainer"
        );
        let line = first_error_line(&out);
        assert!(
            line.contains("being trained by another process")
                && line.contains(&format!("pid {}", first.id())),
            "{args:?}: {line}"
        );
    }

    first.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    first.wait().expect("reaped");
    let step = latest_step().expect("a checkpoint");
    let out = gan_studio(
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
            &(step + 2).to_string(),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "resume after kill -9: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(latest_step(), Some(step + 2));
}

#[test]
fn report_leaves_out_a_damaged_run_with_a_warning_and_shows_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        gan_studio(&["bundle", "--unpack"], dir.path())
            .status
            .success()
    );
    let runs = dir.path().join("runs");
    let broken = runs.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("config.json"), "{\"gan\": {\"model\": ").unwrap();
    // `bundle --unpack` also wrote the classifier run bundled-lenet: a judge, not a row (it
    // read as a "dcgan medium" run with no steps).
    let out = gan_studio(
        &[
            "report",
            "runs/broken",
            "runs/bundled-cdcgan",
            "runs/bundled-lenet",
        ],
        dir.path(),
    );
    let stdout = succeeded(&out);
    assert!(stdout.contains("| bundled-cdcgan |"), "{stdout}");
    assert!(!stdout.contains("broken"), "{stdout}");
    assert!(!stdout.contains("bundled-lenet"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: left out runs/broken") && stderr.contains("config.json"),
        "{stderr}"
    );
    // Nothing readable at all is an error.
    let out = gan_studio(&["report", "runs/broken"], dir.path());
    assert!(!out.status.success());
    assert!(first_error_line(&out).contains("1 could not be read"));
}

/// `sample --per-class 300` wrote a 9,002-pixel-wide strip; a class now wraps onto rows of at
/// most 20 (or --cols), each class starting its own row block.
#[test]
fn a_long_per_class_grid_wraps_one_block_per_class() {
    let dir = tempfile::tempdir().unwrap();
    succeeded(&gan_studio(&["bundle", "--unpack"], dir.path()));
    let sample = |extra: &[&str]| {
        let mut args = vec!["sample", "--run", "bundled-cdcgan", "--device", "cpu"];
        args.extend_from_slice(extra);
        succeeded(&gan_studio(&args, dir.path()));
    };
    // 28-pixel tiles, 2 pixels of padding: n tiles take 30n + 2 pixels.
    sample(&["--per-class", "25", "--out", "a"]);
    let grid = image::open(dir.path().join("a/grid.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (30 * 20 + 2, 30 * 20 + 2));
    sample(&["--per-class", "25", "--cols", "5", "--out", "b"]);
    let grid = image::open(dir.path().join("b/grid.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (30 * 5 + 2, 30 * 50 + 2));
}

/// Results asked for in a place that cannot be written (here under /proc, which even root
/// cannot write) fail with one error line naming that place, never a panic or a temp file.
#[test]
fn outputs_to_an_unwritable_place_fail_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    succeeded(&gan_studio(&["bundle", "--unpack"], dir.path()));
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    for args in [
        vec![
            "sample",
            "--run",
            "bundled-cdcgan",
            "--device",
            "cpu",
            "--out",
            "/proc/nope/s",
        ],
        vec!["export", "--run", "bundled-cdcgan", "--out", "/proc/nope/e"],
        vec![
            "generate",
            "--run",
            "bundled-cdcgan",
            "--per-class",
            "1",
            "--device",
            "cpu",
            "--out",
            "/proc/nope/g",
        ],
        vec!["report", "runs/bundled-cdcgan", "--out", "/proc/nope/table"],
        vec![
            "eval",
            "--real",
            "--classifier",
            "bundled-lenet",
            "--device",
            "cpu",
            "--data",
            data,
            "--out",
            "/proc/nope/real.json",
        ],
    ] {
        let out = gan_studio(&args, dir.path());
        assert!(!out.status.success(), "{args:?} succeeded");
        let line = first_error_line(&out);
        assert!(line.contains("/proc/nope"), "{args:?}: {line}");
        assert!(
            !line.contains(".tmp"),
            "{args:?} named a temporary file: {line}"
        );
    }
}

/// The repository's CIFAR-10 slice: 2,000 training and 1,000 test JPEGs in class folders.
fn cifar_fixture() -> String {
    common::fixtures_root().to_str().unwrap().to_owned()
}

#[test]
fn cifar10_trains_in_colour_and_samples_write_rgb_grids_and_hwc_idx() {
    let dir = tempfile::tempdir().unwrap();
    let data = cifar_fixture();
    let out = gan_studio(
        &[
            "train",
            "--model",
            "cdcgan",
            "--depth",
            "shallow",
            "--run",
            "c",
            "--device",
            "cpu",
            "--dataset",
            "cifar10",
            "--data",
            &data,
            "--max-steps",
            "2",
            "--batch-size",
            "8",
            "--real-target",
            "0.7",
            "--real-target-max",
            "1.2",
            "--projection",
            "--quiet",
        ],
        dir.path(),
    );
    succeeded(&out);
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("runs/c/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["gan"]["channels"], 3);
    assert_eq!(config["gan"]["image_size"], 32);
    assert_eq!(config["class_names"][0], "airplane");
    assert_eq!(config["class_names"][9], "truck");
    assert_eq!(config["real_target_max"], 1.2);
    assert_eq!(config["gan"]["projection_discriminator"], true);
    let grid = image::open(dir.path().join("runs/c/samples/latest.png")).unwrap();
    assert!(
        grid.as_rgb8().is_some(),
        "a colour grid: {:?}",
        grid.color()
    );
    // 10 x 10 tiles of 32 with 2 pixels of padding.
    assert_eq!((grid.width(), grid.height()), (10 * 34 + 2, 10 * 34 + 2));

    let samples = dir.path().join("samples");
    let out = gan_studio(
        &[
            "sample",
            "--run",
            "c",
            "--per-class",
            "2",
            "--out",
            samples.to_str().unwrap(),
            "--device",
            "cpu",
        ],
        dir.path(),
    );
    succeeded(&out);
    let idx = std::fs::read(samples.join("images-idx4-ubyte")).unwrap();
    let dims: Vec<u32> = (0..5)
        .map(|i| u32::from_be_bytes(idx[4 * i..4 * i + 4].try_into().unwrap()))
        .collect();
    assert_eq!(dims, [0x0804, 20, 32, 32, 3]);
    assert_eq!(idx.len(), 20 + 20 * 32 * 32 * 3);
    assert!(
        image::open(samples.join("grid.png"))
            .unwrap()
            .as_rgb8()
            .is_some()
    );
    assert!(!samples.join("images-idx3-ubyte").exists());

    // A synthetic colour data set, as PNGs and as IDX, and the retraining that reads it: both
    // once indexed colour images as grey ones and panicked.
    for format in ["png", "idx"] {
        let out = dir.path().join(format!("synthetic-{format}"));
        let args = [
            "generate",
            "--run",
            "c",
            "--per-class",
            "3",
            "--format",
            format,
        ];
        let mut args = args.to_vec();
        args.extend(["--out", out.to_str().unwrap(), "--device", "cpu", "--quiet"]);
        assert!(succeeded(&gan_studio(&args, dir.path())).contains("30 images"));
        let out = gan_studio(
            &[
                "augment",
                "--run",
                "c",
                "--classifier",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/assets/model/cifar10/classifier"
                ),
                "--synthetic",
                out.to_str().unwrap(),
                "--per-class",
                "4",
                "--ratios",
                "0,0.5",
                "--strategies",
                "mix",
                "--steps",
                "3",
                "--seeds",
                "1",
                "--data",
                &data,
                "--device",
                "cpu",
                "--quiet",
            ],
            dir.path(),
        );
        succeeded(&out);
    }
    let png = image::open(dir.path().join("synthetic-png/9/9-000029.png")).unwrap();
    assert!(png.as_rgb8().is_some(), "{:?}", png.color());
    assert_eq!((png.width(), png.height()), (32, 32));
    let idx = std::fs::read(dir.path().join("synthetic-idx/images-idx4-ubyte")).unwrap();
    assert_eq!(idx.len(), 20 + 30 * 32 * 32 * 3);
    let table = std::fs::read_to_string(dir.path().join("runs/c/augment.md")).unwrap();
    assert!(table.contains("images from a folder"), "{table}");
}

/// `train` options for a run of one step on a few images: enough to have a checkpoint.
const ONE_SMALL_STEP: &[&str] = &[
    "--device",
    "cpu",
    "--depth",
    "shallow",
    "--max-steps",
    "1",
    "--batch-size",
    "8",
    "--train-limit",
    "64",
    "--quiet",
];

#[test]
fn a_colour_run_against_grey_data_and_a_grey_classifier_on_colour_data_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cifar = cifar_fixture();
    let mnist = common::data_dir();
    let mnist = mnist.to_str().unwrap();
    for (run, args) in [
        (
            "c",
            [
                "--dataset",
                "cifar10",
                "--data",
                cifar.as_str(),
                "--model",
                "cdcgan",
            ],
        ),
        (
            "grey",
            ["--dataset", "mnist", "--data", mnist, "--model", "cdcgan"],
        ),
    ] {
        let mut all = vec!["train", "--run", run];
        all.extend(args);
        all.extend(ONE_SMALL_STEP);
        succeeded(&gan_studio(&all, dir.path()));
    }
    succeeded(&gan_studio(
        &[
            "classifier",
            "train",
            "--run",
            "lenet-mnist",
            "--epochs",
            "1",
            "--train-limit",
            "256",
            "--device",
            "cpu",
            "--data",
            mnist,
        ],
        dir.path(),
    ));
    // The colour run measured on MNIST.
    let out = gan_studio(
        &[
            "eval",
            "--run",
            "c",
            "--classifier",
            "lenet-mnist",
            "--device",
            "cpu",
            "--dataset",
            "mnist",
            "--data",
            mnist,
            "--samples",
            "100",
        ],
        dir.path(),
    );
    let line = refused(&out);
    assert!(
        line.contains("trained on CIFAR-10, not MNIST") && line.contains("--dataset cifar10"),
        "{line}"
    );
    // The grey classifier on CIFAR-10.
    let out = gan_studio(
        &[
            "eval",
            "--run",
            "c",
            "--classifier",
            "lenet-mnist",
            "--device",
            "cpu",
            "--dataset",
            "cifar10",
            "--data",
            &cifar,
            "--samples",
            "100",
        ],
        dir.path(),
    );
    let line = refused(&out);
    assert!(
        line.contains("reads grey images") && line.contains("classifier train --dataset cifar10"),
        "{line}"
    );
}

/// MNIST's and Fashion-MNIST's pictures have the same shape, so only the recorded data set
/// keeps a run from being scored against the other's real images (a Fashion-MNIST InfoGAN
/// read FID 312 that way, 46 against its own) or by the other's classifier.
#[test]
fn a_run_is_scored_against_the_set_it_trained_on_and_by_a_judge_of_that_set() {
    let dir = tempfile::tempdir().unwrap();
    let fashion = common::fixtures_root().join("fashion-mnist");
    let fashion = fashion.to_str().unwrap();
    let mnist = common::data_dir();
    let mnist = mnist.to_str().unwrap();
    let train = [
        "train",
        "--run",
        "f",
        "--model",
        "cdcgan",
        "--dataset",
        "fashion-mnist",
        "--data",
        fashion,
    ];
    succeeded(&gan_studio(
        &[&train[..], ONE_SMALL_STEP].concat(),
        dir.path(),
    ));
    for (name, set, data) in [
        ("judge-fashion", "fashion-mnist", fashion),
        ("judge-mnist", "mnist", mnist),
    ] {
        succeeded(&gan_studio(
            &[
                "classifier",
                "train",
                "--run",
                name,
                "--dataset",
                set,
                "--data",
                data,
                "--epochs",
                "1",
                "--train-limit",
                "256",
                "--device",
                "cpu",
            ],
            dir.path(),
        ));
    }
    let eval = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "--run",
            "f",
            "--device",
            "cpu",
            "--data",
            fashion,
            "--samples",
            "100",
        ];
        args.extend(extra);
        gan_studio(&args, dir.path())
    };
    // No --dataset: the run's own set is read, and eval.json says which it was.
    succeeded(&eval(&["--classifier", "judge-fashion"]));
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("runs/f/eval.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["dataset"], "fashion");
    // The real-data row, without --dataset, reads the set its classifier learned.
    succeeded(&gan_studio(
        &[
            "eval",
            "--real",
            "--classifier",
            "judge-fashion",
            "--out",
            "real.json",
            "--device",
            "cpu",
            "--data",
            fashion,
        ],
        dir.path(),
    ));
    let real: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("real.json")).unwrap())
            .unwrap();
    assert_eq!(real["dataset"], "fashion");
    // The other set asked for by name, and a judge of the other set, are refused.
    for (extra, expected) in [
        (
            vec!["--classifier", "judge-fashion", "--dataset", "mnist"],
            "run f was trained on Fashion-MNIST, not MNIST",
        ),
        (
            vec!["--classifier", "judge-mnist"],
            "the classifier learned to read MNIST, not Fashion-MNIST",
        ),
    ] {
        let line = refused(&eval(&extra));
        assert!(line.contains(expected), "{extra:?}: {line}");
    }
    // Nor does such a judge map the run's pictures, nor guide a run on the other set.
    let line = refused(&gan_studio(
        &[
            "embed",
            "--run",
            "f",
            "--classifier",
            "judge-mnist",
            "--device",
            "cpu",
            "--data",
            fashion,
        ],
        dir.path(),
    ));
    assert!(
        line.contains("learned to read MNIST, not Fashion-MNIST"),
        "{line}"
    );
    let guided = [
        "train",
        "--run",
        "g",
        "--model",
        "guided",
        "--guide-classifier",
        "judge-mnist",
        "--dataset",
        "fashion-mnist",
        "--data",
        fashion,
    ];
    let line = refused(&gan_studio(
        &[&guided[..], ONE_SMALL_STEP].concat(),
        dir.path(),
    ));
    assert!(
        line.contains("cannot guide this run") && line.contains("learned to read MNIST"),
        "{line}"
    );
    // Nor does a classifier continue its training on the other set.
    let out = gan_studio(
        &[
            "classifier",
            "train",
            "--run",
            "judge-2",
            "--from",
            "judge-mnist",
            "--dataset",
            "fashion-mnist",
            "--data",
            fashion,
            "--epochs",
            "1",
            "--train-limit",
            "64",
            "--device",
            "cpu",
        ],
        dir.path(),
    );
    let line = refused(&out);
    assert!(
        line.contains(
            "--from judge-mnist learned to read MNIST; it cannot continue on Fashion-MNIST"
        ),
        "{line}"
    );
}

#[test]
fn a_picture_folder_trains_and_resumes_from_the_folder_it_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let pictures = dir.path().join("my pictures");
    for (class, colour) in [("cats", [200u8, 120, 40]), ("dogs", [40, 90, 220])] {
        let folder = pictures.join("train").join(class);
        std::fs::create_dir_all(&folder).unwrap();
        for i in 0..12u8 {
            // 48 x 40 pictures: scaled by the shorter side and centre-cropped to 32 x 32.
            let img = image::RgbImage::from_fn(48, 40, |x, y| {
                image::Rgb([colour[0], colour[1].wrapping_add(i), ((x + y) % 256) as u8])
            });
            img.save(folder.join(format!("{i:02}.png"))).unwrap();
        }
    }
    std::fs::write(pictures.join("train/cats/notes.txt"), "not a picture").unwrap();
    let folder = pictures.to_str().unwrap();
    let out = gan_studio(
        &[
            "train",
            "--model",
            "cdcgan",
            "--depth",
            "shallow",
            "--run",
            "mine",
            "--device",
            "cpu",
            "--dataset",
            "folder",
            // Relative to the working folder: the run records where that is.
            "--data",
            "my pictures",
            "--max-steps",
            "2",
            "--batch-size",
            "8",
            "--quiet",
        ],
        dir.path(),
    );
    let stdout = succeeded(&out);
    assert!(stdout.contains("finished 2 steps"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped 1 files") && stderr.contains("cats/notes.txt"),
        "{stderr}"
    );
    assert!(stderr.contains("held out"), "{stderr}");
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("runs/mine/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["gan"]["num_classes"], 2);
    assert_eq!(config["class_names"], serde_json::json!(["cats", "dogs"]));
    assert_eq!(config["data_path"], folder);

    // Scoring it needs a classifier of these classes: the errors on the way say what to do.
    let eval = |extra: &[&str]| {
        let mut args = vec!["eval", "--run", "mine", "--samples", "40"];
        args.extend(["--memorisation-samples", "10", "--device", "cpu"]);
        args.extend(extra);
        gan_studio(&args, dir.path())
    };
    let line = refused(&eval(&[]));
    assert!(line.contains("classifier train --run NAME"), "{line}");
    let line = refused(&eval(&["--classifier", "judge"]));
    assert!(
        line.contains("no classifier at runs/judge") && line.contains("classifier train"),
        "{line}"
    );
    let classifier = |extra: &[&str]| {
        let mut args = vec!["classifier", "train", "--run", "judge", "--epochs", "1"];
        args.extend(["--dataset", "folder", "--data", folder, "--device", "cpu"]);
        args.extend(extra);
        gan_studio(&args, dir.path())
    };
    // 12 pictures a class, every 10th held out: 22 to train on, fewer than the default batch.
    let line = refused(&classifier(&[]));
    assert!(
        line.contains("only 22 training images, fewer than one batch of 128")
            && line.contains("at most 22 (--batch-size)"),
        "{line}"
    );
    succeeded(&classifier(&["--batch-size", "8"]));
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("runs/judge/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["batch_size"], 8);
    let stdout = succeeded(&eval(&["--classifier", "judge"]));
    assert!(stdout.contains("success"), "{stdout}");
    // From another folder, the run still finds its pictures (it recorded them by an
    // absolute path; a relative one failed with "which are no longer there").
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let runs = dir.path().join("runs");
    let stdout = succeeded(&gan_studio(
        &[
            "eval",
            "--run",
            "mine",
            "--classifier",
            "judge",
            "--runs-dir",
            runs.to_str().unwrap(),
            "--samples",
            "40",
            "--memorisation-samples",
            "10",
            "--device",
            "cpu",
        ],
        &elsewhere,
    ));
    assert!(stdout.contains("success"), "{stdout}");

    // The resume finds the pictures through the recorded path alone.
    let out = gan_studio(
        &[
            "train",
            "--run",
            "mine",
            "--resume",
            "--max-steps",
            "4",
            "--device",
            "cpu",
            "--quiet",
        ],
        dir.path(),
    );
    assert!(succeeded(&out).contains("finished 2 steps"));
    // Moved, the pictures are asked for by the path the run recorded; --data finds them.
    std::fs::rename(&pictures, dir.path().join("moved")).unwrap();
    let resume = |extra: &[&str]| {
        let mut args = vec!["train", "--run", "mine", "--resume", "--max-steps", "5"];
        args.extend(["--device", "cpu", "--quiet"]);
        args.extend(extra);
        gan_studio(&args, dir.path())
    };
    let line = refused(&resume(&[]));
    assert!(
        line.contains(&format!(
            "run mine trained on the pictures in {folder}, which are no longer there"
        )),
        "{line}"
    );
    assert!(succeeded(&resume(&["--data", "moved"])).contains("finished 1 steps"));

    // No --data for a folder, and a folder without classes, are explained.
    let out = gan_studio(&["data", "info", "--dataset", "folder"], dir.path());
    assert!(first_error_line(&out).contains("--dataset folder needs --data"));
    std::fs::create_dir_all(dir.path().join("empty/train")).unwrap();
    let out = gan_studio(
        &["data", "info", "--dataset", "folder", "--data", "empty"],
        dir.path(),
    );
    assert!(first_error_line(&out).contains("no class folders"));
}

/// A classifier-guided run copies its guide into the run, and `eval` warns when the scoring
/// classifier is that guide (its scores would be self-fulfilling), and not otherwise.
#[test]
fn scoring_a_guided_run_with_its_own_guide_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    let run = |args: &[&str]| gan_studio(args, dir.path());
    succeeded(&run(&[
        "train",
        "--run",
        "g",
        "--model",
        "guided",
        "--depth",
        "shallow",
        "--max-steps",
        "20",
        "--guide-weight",
        "2",
        "--data",
        data,
        "--quiet",
    ]));
    assert!(dir.path().join("runs/g/guide/classifier.bpk").is_file());
    succeeded(&run(&["bundle", "--unpack"]));
    let own = run(&[
        "eval",
        "--run",
        "g",
        "--classifier",
        "bundled-lenet",
        "--samples",
        "200",
        "--data",
        data,
    ]);
    succeeded(&own);
    assert!(
        String::from_utf8_lossy(&own.stderr).contains("guided this run"),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );
    let eval = std::fs::read_to_string(dir.path().join("runs/g/eval.json")).unwrap();
    assert!(eval.contains("\"scored_by_guide\": true"), "{eval}");

    succeeded(&run(&[
        "classifier",
        "train",
        "--run",
        "other",
        "--epochs",
        "1",
        "--train-limit",
        "500",
        "--seed",
        "3",
        "--data",
        data,
    ]));
    let other = run(&[
        "eval",
        "--run",
        "g",
        "--classifier",
        "other",
        "--samples",
        "200",
        "--data",
        data,
    ]);
    succeeded(&other);
    assert!(!String::from_utf8_lossy(&other.stderr).contains("guided this run"));
    let eval = std::fs::read_to_string(dir.path().join("runs/g/eval.json")).unwrap();
    assert!(!eval.contains("scored_by_guide"), "{eval}");
}

/// `classifier train --from` continues a saved classifier (its architecture, its weights) into
/// a new run that records where it started, and refuses a change of architecture or a name
/// that holds no classifier.
#[test]
fn a_classifier_continues_from_a_saved_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::data_dir();
    let data = data.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["classifier", "train", "--data", data];
        all.extend(args);
        if !args.contains(&"--epochs") {
            all.extend(["--epochs", "1"]);
        }
        gan_studio(&all, dir.path())
    };
    let accuracy = |name: &str| -> f64 {
        let path = dir.path().join(format!("runs/{name}/classifier.json"));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        report["test_accuracy"].as_f64().unwrap()
    };
    succeeded(&run(&[
        "--run",
        "first",
        "--train-limit",
        "600",
        "--learning-rate",
        "5e-4",
    ]));
    succeeded(&run(&[
        "--run",
        "second",
        "--from",
        "first",
        "--train-limit",
        "600",
        "--learning-rate",
        "5e-4",
    ]));
    // Ten classes from 600 digits: one epoch ends well short of what a second one adds.
    let (first, second) = (accuracy("first"), accuracy("second"));
    assert!(second > first + 0.05, "{first} then {second}");
    let report = std::fs::read_to_string(dir.path().join("runs/second/classifier.json")).unwrap();
    assert!(report.contains("\"classifier\": \"first\""), "{report}");
    let config = std::fs::read_to_string(dir.path().join("runs/second/config.json")).unwrap();
    assert!(config.contains("\"stages\": 0"), "{config}");

    // No epochs: the same weights, made to average each digit's reading with its mirror's
    // (a wrong thing to do to digits, so it reads them worse).
    succeeded(&run(&[
        "--run",
        "mirrored",
        "--from",
        "second",
        "--epochs",
        "0",
        "--mirror-average",
    ]));
    let config = std::fs::read_to_string(dir.path().join("runs/mirrored/config.json")).unwrap();
    assert!(config.contains("\"mirror_average\": true"), "{config}");
    assert!(accuracy("mirrored") < second, "{second}");
    // Shifted views on top: both choices are kept in the config, and a shift the classifier
    // could not have trained on is refused.
    succeeded(&run(&[
        "--run",
        "shifted",
        "--from",
        "mirrored",
        "--epochs",
        "0",
        "--shift-average",
        "1",
    ]));
    let config = std::fs::read_to_string(dir.path().join("runs/shifted/config.json")).unwrap();
    assert!(config.contains("\"mirror_average\": true"), "{config}");
    assert!(config.contains("\"shift_average\": 1"), "{config}");
    let out = run(&[
        "--run",
        "far",
        "--from",
        "second",
        "--epochs",
        "0",
        "--shift-average",
        "9",
    ]);
    assert!(first_error_line(&out).contains("shift average 9 is not in 0..=4"));

    let out = run(&["--run", "third", "--from", "first", "--stages", "2"]);
    assert!(first_error_line(&out).contains("--stages 0; it cannot become 2"));
    let out = run(&["--run", "third", "--from", "nothing"]);
    assert!(first_error_line(&out).contains("--from nothing: no classifier to continue"));
}
