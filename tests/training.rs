//! The training loop on a small slice of real MNIST: checkpoints, resume, divergence.

mod common;

use std::ops::ControlFlow;

use burn::module::Module;
use burn::prelude::*;
use gan_studio::model::{Depth, GanConfig, ModelKind};
use gan_studio::sampling::{FixedBatch, generate_pixels};
use gan_studio::train::{RunDir, RunOutcome, TrainConfig, Trainer, checkpoint};

fn small_config(model: ModelKind) -> TrainConfig {
    TrainConfig::new(GanConfig::new(model).with_depth(Depth::Shallow))
        .with_batch_size(16)
        .with_train_limit(Some(256))
        .with_max_steps(Some(3))
        .with_sample_every(2)
        .with_checkpoint_every(2)
}

#[test]
fn checkpoint_reload_gives_bit_identical_generator_output() {
    let data = common::mnist().train;
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "ckpt").unwrap();
    let device = Device::flex();
    let mut trainer =
        Trainer::create(small_config(ModelKind::Cdcgan), run.clone(), data, &device).unwrap();
    assert_eq!(
        trainer.run(|_| ControlFlow::Continue(())).unwrap(),
        RunOutcome::Finished
    );

    let gan = trainer.config.gan.clone();
    let fixed = FixedBatch::new(9, gan.latent_dim, true, 10, 4, 10);
    let live = generate_pixels(
        &trainer.generator().valid(),
        &gan,
        &fixed.latents,
        fixed.labels.as_deref(),
        &device,
    )
    .unwrap();
    let latest = checkpoint::latest(&run)
        .unwrap()
        .expect("a checkpoint exists");
    let loaded = checkpoint::load_generator(&gan, &latest, &device).unwrap();
    let reloaded = generate_pixels(
        &loaded,
        &gan,
        &fixed.latents,
        fixed.labels.as_deref(),
        &device,
    )
    .unwrap();
    assert_eq!(live.len(), 40 * 28 * 28);
    assert!(
        live.iter()
            .zip(&reloaded)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "outputs differ after reload"
    );
    // The weight average that samples come from survives the round trip too.
    let sampling = trainer.sampling_generator();
    let averaged = generate_pixels(
        &sampling,
        &gan,
        &fixed.latents,
        fixed.labels.as_deref(),
        &device,
    )
    .unwrap();
    let loaded = checkpoint::load_sampling_generator(&gan, &latest, &device).unwrap();
    let reloaded = generate_pixels(
        &loaded,
        &gan,
        &fixed.latents,
        fixed.labels.as_deref(),
        &device,
    )
    .unwrap();
    assert!(
        averaged
            .iter()
            .zip(&reloaded)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "averaged outputs differ"
    );
    assert!(
        averaged != live,
        "the weight average is not the last weights"
    );
    assert!(run.samples().join("latest.png").is_file());
    assert!(run.config().is_file());
}

#[test]
fn resume_continues_the_step_count_and_the_metrics_log() {
    let data = common::mnist().train;
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "resume").unwrap();
    let device = Device::flex();
    let mut trainer = Trainer::create(
        small_config(ModelKind::Dcgan),
        run.clone(),
        data.clone(),
        &device,
    )
    .unwrap();
    // Stop after the first step: the trainer checkpoints so the run can continue.
    let outcome = trainer.run(|_| ControlFlow::Break(())).unwrap();
    assert_eq!(outcome, RunOutcome::Stopped);
    assert_eq!(trainer.step_count(), 1);
    drop(trainer);

    // A new run under the same name must not overwrite the saved one.
    let again = Trainer::create(
        small_config(ModelKind::Dcgan),
        run.clone(),
        data.clone(),
        &device,
    );
    assert!(again.err().unwrap().to_string().contains("already exists"));

    let mut resumed = Trainer::resume(run.clone(), data, &device, Some((1, Some(5)))).unwrap();
    assert_eq!(resumed.step_count(), 1);
    assert_eq!(resumed.total_steps(), 5);
    resumed.run(|_| ControlFlow::Continue(())).unwrap();
    assert_eq!(resumed.step_count(), 5);
    let steps: Vec<u64> = std::fs::read_to_string(run.metrics())
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, vec![1, 2, 3, 4, 5]);
    let state = checkpoint::load_state(&checkpoint::latest(&run).unwrap().unwrap()).unwrap();
    assert_eq!(state.step, 5);
}

#[test]
fn a_diverging_run_stops_and_keeps_its_last_good_checkpoint() {
    let data = common::mnist().train;
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "diverge").unwrap();
    let device = Device::flex();
    let mut trainer =
        Trainer::create(small_config(ModelKind::Dcgan), run.clone(), data, &device).unwrap();
    trainer.run(|_| ControlFlow::Continue(())).unwrap();
    let good = checkpoint::latest(&run).unwrap().unwrap();
    drop(trainer);
    let mut trainer = Trainer::resume(
        run.clone(),
        common::mnist().train,
        &device,
        Some((1, Some(10))),
    )
    .unwrap();
    // Any real loss now counts as "exploding".
    trainer.config.loss_limit = 1e-6;
    let err = trainer
        .run(|_| ControlFlow::Continue(()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("diverged at step 4"), "{err}");
    assert_eq!(checkpoint::latest(&run).unwrap().unwrap(), good);
    let config = TrainConfig::load(run.config()).unwrap();
    assert!(checkpoint::load_generator(&config.gan, &good, &device).is_ok());
}

#[test]
fn every_step_reports_losses_and_per_layer_gradient_norms() {
    let data = common::mnist().train;
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "metrics").unwrap();
    let device = Device::flex();
    let config = small_config(ModelKind::Cgan)
        .with_real_target(0.9)
        .with_d_updates(2);
    let mut trainer = Trainer::create(config, run, data, &device).unwrap();
    let m = trainer.step().unwrap();
    assert_eq!(m.step, 1);
    assert!(m.d_loss.is_finite() && m.g_loss.is_finite());
    assert!((0.0..=1.0).contains(&m.d_real) && (0.0..=1.0).contains(&m.d_fake));
    let g_layers: Vec<&str> = m.grad_norms_g.iter().map(|n| n.layer.as_str()).collect();
    assert!(g_layers.len() >= 3, "{g_layers:?}");
    assert!(
        m.grad_norms_g
            .iter()
            .chain(&m.grad_norms_d)
            .all(|n| n.norm.is_finite() && n.norm >= 0.0)
    );
    assert!(m.grad_norms_d.iter().any(|n| n.norm > 0.0));
}

/// (d_loss, g_loss) bits of every logged step.
fn logged_losses(run: &RunDir) -> Vec<(u64, u32, u32)> {
    std::fs::read_to_string(run.metrics())
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["step"].as_u64().unwrap(),
                (v["d_loss"].as_f64().unwrap() as f32).to_bits(),
                (v["g_loss"].as_f64().unwrap() as f32).to_bits(),
            )
        })
        .collect()
}

/// Every family trains, checkpoints and resumes: with dropout in D, a run stopped at step 3 and
/// resumed logs the same losses, bit for bit, as one that never stopped, and its own figures.
#[test]
fn every_family_resumed_with_dropout_repeats_an_uninterrupted_run_step_for_step() {
    let data = common::mnist().train;
    let device = Device::flex();
    for (model, family) in gan_studio::family::all().filter(|(_, f)| f.adversarial()) {
        let (name, dropout) = (family.name(), 0.3);
        let runs = tempfile::tempdir().unwrap();
        let mut config = small_config(model)
            .with_max_steps(Some(6))
            .with_sample_every(0)
            .with_checkpoint_every(0);
        config.gan.dropout = dropout;

        let whole = RunDir::new(runs.path(), "whole").unwrap();
        let mut trainer =
            Trainer::create(config.clone(), whole.clone(), data.clone(), &device).unwrap();
        trainer.run(|_| ControlFlow::Continue(())).unwrap();
        drop(trainer);

        let parts = RunDir::new(runs.path(), "parts").unwrap();
        let mut trainer = Trainer::create(config, parts.clone(), data.clone(), &device).unwrap();
        let outcome = trainer
            .run(|event| match event {
                gan_studio::train::TrainEvent::Step(m) if m.step == 3 => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            })
            .unwrap();
        assert_eq!(outcome, RunOutcome::Stopped);
        drop(trainer);
        let mut trainer = Trainer::resume(parts.clone(), data.clone(), &device, None).unwrap();
        assert_eq!(trainer.step_count(), 3);
        trainer.run(|_| ControlFlow::Continue(())).unwrap();

        let (a, b) = (logged_losses(&whole), logged_losses(&parts));
        assert_eq!(a.len(), 6, "{name}");
        assert_eq!(a, b, "{name}: the resumed run's losses differ");
        let log = gan_studio::train::metrics::read_log(&parts.metrics()).unwrap();
        for m in &log {
            let names: Vec<&str> = m.figures.keys().map(String::as_str).collect();
            let mut want = family.figures().to_vec();
            want.sort();
            assert_eq!(names, want, "{name}");
            assert!(m.figures.values().all(|v| (0.0..=1.0).contains(v)));
        }
        assert!(parts.samples().join("latest.png").is_file(), "{name}");
    }
}

/// A stop that arrives while a checkpoint is being reported (the studio reads its commands at
/// every event) stops the run there; it used to be swallowed, and the run went on.
#[test]
fn a_stop_asked_at_a_checkpoint_is_obeyed() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "stop").unwrap();
    let config = small_config(ModelKind::Dcgan).with_max_steps(Some(6));
    let mut trainer = Trainer::create(config, run, common::mnist().train, &Device::flex()).unwrap();
    let outcome = trainer
        .run(|event| match event {
            gan_studio::train::TrainEvent::Checkpoint { .. } => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        })
        .unwrap();
    assert_eq!(outcome, RunOutcome::Stopped);
    assert_eq!(trainer.step_count(), 2, "stopped at the first checkpoint");
}

/// A run stopped before its first checkpoint (killed at start-up, say) has a config and no
/// checkpoint: `--resume` starts it over from its seed instead of refusing, and its log is
/// emptied of the steps it had logged.
#[test]
fn a_run_with_no_checkpoint_yet_resumes_from_the_start() {
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "early").unwrap();
    let config = small_config(ModelKind::Dcgan).with_checkpoint_every(0);
    let mut trainer =
        Trainer::create(config, run.clone(), common::mnist().train, &Device::flex()).unwrap();
    trainer.step().unwrap();
    drop(trainer); // as if killed: no checkpoint was written
    std::fs::write(run.metrics(), "{\"step\":1}\n{\"step\":2,\"cut off").unwrap();
    assert!(checkpoint::latest(&run).unwrap().is_none());

    let mut resumed = Trainer::resume(run.clone(), common::mnist().train, &Device::flex(), None)
        .expect("a run with no checkpoint resumes");
    assert_eq!(resumed.step_count(), 0);
    assert_eq!(std::fs::read_to_string(run.metrics()).unwrap(), "");
    resumed.run(|_| ControlFlow::Continue(())).unwrap();
    let steps: Vec<usize> = gan_studio::train::metrics::read_log(&run.metrics())
        .unwrap()
        .iter()
        .map(|m| m.step)
        .collect();
    assert_eq!(steps, vec![1, 2, 3]);
}

/// PCA is fitted, not trained: `fit_closed_form` writes a run whose generator at z = 0 draws
/// each class's mean image, which samples like any run and which training refuses to continue.
#[test]
fn pca_fits_a_run_that_draws_each_class_mean_at_zero() {
    let data = common::mnist().train.truncate(2000);
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "pca").unwrap();
    let device = Device::flex();
    let config =
        TrainConfig::new(GanConfig::new(ModelKind::Pca).with_latent_dim(20)).with_max_steps(None);
    let fitted =
        gan_studio::train::fit::fit_closed_form(&config, &run, data.clone(), &device).unwrap();
    assert!(fitted.grid.is_file() && run.samples().join("latest.png").is_file());
    assert_eq!(fitted.pixels.len(), 100 * 28 * 28);

    let saved = TrainConfig::load_run(&run.config()).unwrap();
    let latest = checkpoint::latest(&run).unwrap().expect("a checkpoint");
    let generator = checkpoint::load_sampling_generator(&saved.gan, &latest, &device).unwrap();
    let zeros = vec![0.0f32; 10 * 20];
    let labels: Vec<u8> = (0..10).collect();
    let means = generate_pixels(&generator, &saved.gan, &zeros, Some(&labels), &device).unwrap();
    for class in 0..10u8 {
        let rows: Vec<usize> = (0..data.len())
            .filter(|&i| data.labels[i] == class)
            .collect();
        for pixel in [0, 300, 406, 500] {
            let want = rows
                .iter()
                .map(|&i| f64::from(data.images[i * 784 + pixel]) / 127.5 - 1.0)
                .sum::<f64>()
                / rows.len() as f64;
            let got = f64::from(means[usize::from(class) * 784 + pixel]);
            assert!(
                (got - want).abs() < 1e-4,
                "class {class} pixel {pixel}: {got} vs {want}"
            );
        }
    }
    // Other latents move the image away from the mean.
    let ones = vec![1.0f32; 10 * 20];
    let moved = generate_pixels(&generator, &saved.gan, &ones, Some(&labels), &device).unwrap();
    assert!(moved.iter().zip(&means).any(|(a, b)| (a - b).abs() > 0.1));

    let err = Trainer::resume(run.clone(), data.clone(), &device, None)
        .err()
        .expect("a fitted run cannot be continued")
        .to_string();
    assert!(err.contains("fitted"), "{err}");
    let again = gan_studio::train::fit::fit_closed_form(&config, &run, data, &device);
    assert!(
        again
            .err()
            .expect("the run exists")
            .to_string()
            .contains("already exists")
    );
}

/// Colour pictures and small classes, as in a folder of one's own pictures: PCA fits every
/// channel (it panicked on colour) and as many components as the smallest class allows
/// (it refused a 45-picture class with 100 components), saying so.
#[test]
fn pca_fits_colour_pictures_and_as_many_components_as_a_small_class_allows() {
    let (side, per_class) = (8, 6);
    let plane = side * side;
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for class in 0..2u8 {
        for i in 0..per_class {
            // Class 0 is reddish, class 1 bluish; each picture a little brighter.
            let (red, blue) = if class == 0 { (200, 20) } else { (20, 200) };
            images.extend(std::iter::repeat_n(red + i as u8 * 5, plane));
            images.extend(std::iter::repeat_n(100u8, plane));
            images.extend(std::iter::repeat_n(blue + i as u8 * 3, plane));
            labels.push(class);
        }
    }
    let data = gan_studio::data::Split {
        images,
        labels,
        channels: 3,
        rows: side,
        cols: side,
    };
    let runs = tempfile::tempdir().unwrap();
    let run = RunDir::new(runs.path(), "pets-pca").unwrap();
    let device = Device::flex();
    let gan = GanConfig::new(ModelKind::Pca)
        .with_channels(3)
        .with_image_size(side)
        .with_num_classes(2);
    let mut config = TrainConfig::new(gan).with_max_steps(None);
    config.class_names = vec!["cat".into(), "dog".into()];
    let fitted = gan_studio::train::fit::fit_closed_form(&config, &run, data, &device).unwrap();
    let note = fitted.note.expect("a note: fewer components than asked");
    assert!(
        note.contains("fitted 5 principal components per class, not 100")
            && note.contains("class cat has 6"),
        "{note}"
    );
    let saved = TrainConfig::load_run(&run.config()).unwrap();
    assert_eq!(saved.gan.latent_dim, 5);
    let latest = checkpoint::latest(&run).unwrap().expect("a checkpoint");
    let generator = checkpoint::load_sampling_generator(&saved.gan, &latest, &device).unwrap();
    let means =
        generate_pixels(&generator, &saved.gan, &[0.0; 10], Some(&[0, 1]), &device).unwrap();
    assert_eq!(means.len(), 2 * 3 * plane);
    // At z = 0, each class's mean colour in every channel: red (200 + 12.5) / 127.5 - 1.
    let at = |class: usize, channel: usize| means[class * 3 * plane + channel * plane + 5];
    let close = |got: f32, byte: f32| (got - (byte / 127.5 - 1.0)).abs() < 1e-4;
    assert!(close(at(0, 0), 212.5) && close(at(0, 1), 100.0) && close(at(0, 2), 27.5));
    assert!(close(at(1, 0), 32.5) && close(at(1, 2), 207.5));
}

/// Trains a new run of `config` in `run` on the CPU, stopping after step `stop_at` if given.
fn train_until(
    config: &TrainConfig,
    run: &RunDir,
    data: &gan_studio::data::Split,
    stop_at: Option<usize>,
) -> RunDir {
    let mut trainer =
        Trainer::create(config.clone(), run.clone(), data.clone(), &Device::flex()).unwrap();
    trainer
        .run(|event| match event {
            gan_studio::train::TrainEvent::Step(m) if Some(m.step) == stop_at => {
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        })
        .unwrap();
    run.clone()
}

/// The losses of a new run `name` under `runs`, trained to its end.
fn losses_of(
    config: &TrainConfig,
    runs: &std::path::Path,
    name: &str,
    data: &gan_studio::data::Split,
) -> Vec<(u64, u32, u32)> {
    logged_losses(&train_until(
        config,
        &RunDir::new(runs, name).unwrap(),
        data,
        None,
    ))
}

/// Trains `config` for its 4 steps as one run and as one stopped after step 2 and resumed,
/// asserts that both logged the same losses bit for bit, and returns them.
fn whole_equals_resumed(
    config: &TrainConfig,
    runs: &std::path::Path,
    data: &gan_studio::data::Split,
) -> Vec<(u64, u32, u32)> {
    let whole = losses_of(config, runs, "whole", data);
    let parts = train_until(config, &RunDir::new(runs, "parts").unwrap(), data, Some(2));
    let mut trainer = Trainer::resume(parts.clone(), data.clone(), &Device::flex(), None).unwrap();
    assert_eq!(trainer.step_count(), 2);
    trainer.run(|_| ControlFlow::Continue(())).unwrap();
    assert_eq!(whole.len(), 4);
    assert_eq!(
        whole,
        logged_losses(&parts),
        "the resumed run's losses differ"
    );
    whole
}

/// The random warp of D's inputs draws from (seed, step): a warped run stopped and resumed logs
/// the same losses, bit for bit, as one that never stopped, and from the first step they
/// differ from those of the same run unwarped, so the warp is really in D's path.
#[test]
fn a_warped_run_resumes_step_for_step_and_differs_from_an_unwarped_one() {
    let data = common::mnist().train;
    let runs = tempfile::tempdir().unwrap();
    let plain = small_config(ModelKind::Infogan)
        .with_max_steps(Some(4))
        .with_sample_every(0)
        .with_checkpoint_every(0);
    let warped = plain
        .clone()
        .with_warp_degrees(15.0)
        .with_warp_shear(0.3)
        .with_warp_stroke(0.5);
    let unwarped = losses_of(&plain, runs.path(), "plain", &data);
    let whole = whole_equals_resumed(&warped, runs.path(), &data);
    assert_ne!(whole[0], unwarped[0], "the warp changed nothing D saw");
}

/// Pairing each real image with one of its nearest training images (`info_pair_neighbours`)
/// draws the neighbour from (seed, step): stopped and resumed, the run logs the same losses, bit
/// for bit, as one that never stopped, and from the first step they differ from those of the
/// same run pairing each image with itself, so the neighbours are really what Q reads.
#[test]
fn a_run_pairing_neighbours_resumes_step_for_step_and_differs_from_pairing_itself() {
    let data = common::mnist().train;
    let runs = tempfile::tempdir().unwrap();
    let mut itself = small_config(ModelKind::Infogan)
        .with_max_steps(Some(4))
        .with_sample_every(0)
        .with_checkpoint_every(0)
        .with_warp_degrees(15.0);
    itself.gan = itself.gan.clone().with_info_pair_weight(1.0);
    let mut neighbours = itself.clone();
    neighbours.gan = neighbours.gan.clone().with_info_pair_neighbours(5);
    let paired_with_itself = losses_of(&itself, runs.path(), "itself", &data);
    let whole = whole_equals_resumed(&neighbours, runs.path(), &data);
    assert_ne!(
        whole[0], paired_with_itself[0],
        "pairing with neighbours changed nothing Q read"
    );
}

/// Reading InfoGAN's continuous codes from the unwarped fakes (`info_codes_unwarped`) is one
/// more D pass in each update: stopped and resumed, the run logs the same losses, bit for bit,
/// as one that never stopped, and from the first step they differ from those of the same run
/// reading the codes through the warp.
#[test]
fn codes_read_unwarped_resume_step_for_step_and_differ_from_codes_read_through_the_warp() {
    let data = common::mnist().train;
    let runs = tempfile::tempdir().unwrap();
    let through = small_config(ModelKind::Infogan)
        .with_max_steps(Some(4))
        .with_sample_every(0)
        .with_checkpoint_every(0)
        .with_warp_degrees(15.0)
        .with_warp_shear(0.3);
    let mut unwarped = through.clone();
    unwarped.gan = unwarped.gan.clone().with_info_codes_unwarped(true);
    let through_the_warp = losses_of(&through, runs.path(), "through", &data);
    let whole = whole_equals_resumed(&unwarped, runs.path(), &data);
    assert_ne!(
        whole[0], through_the_warp[0],
        "reading the codes unwarped changed nothing"
    );
}
