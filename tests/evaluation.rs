//! The measuring instrument and the CLI contract of `classifier train` and `eval`.

mod common;

use std::process::Command;

use burn::prelude::*;
use gan_studio::eval::classifier::{ClassifierConfig, accuracy, read_out, train};
use gan_studio::eval::report::{EvalOptions, Reference, all_pixels, evaluate};
use gan_studio::eval::scores::frechet_distance;

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

#[test]
fn the_two_parts_of_the_real_reference_are_exchangeable() {
    let data = common::mnist();
    let device = Device::flex();
    let classifier = gan_studio::explore::bundle::classifier(&device).unwrap();
    let reference = Reference::new(&data, &classifier, &device).unwrap();
    let counts = |labels: &[u8]| {
        let mut c = [0usize; 10];
        for &l in labels {
            c[usize::from(l)] += 1;
        }
        c
    };
    let (a, b) = (
        counts(&reference.labels),
        counts(&reference.held_out_labels),
    );
    for class in 0..10 {
        assert!(
            a[class].abs_diff(b[class]) <= 1,
            "class {class}: {a:?} vs {b:?}"
        );
    }
    if !common::has_full_mnist() {
        // 500 images a side put the sampling noise of the Fréchet distance above the 1.0 the
        // halves of the full set stay under, and the positional split below needs 10,000.
        eprintln!(
            "skipped the Fréchet checks: they need the full MNIST test set (GAN_STUDIO_DATA)"
        );
        return;
    }
    let held_out = read_out(&classifier, &reference.held_out_pixels, 28, &device).unwrap();
    let dim = held_out.feature_dim;
    let fid = frechet_distance(&held_out.features, &reference.readout.features, dim);
    // Two random halves of one set: only sampling noise separates them.
    assert!(
        fid < 1.0,
        "FID between the reference and held-out parts: {fid}"
    );

    // The split by position it replaces (images 0-4,999 vs 5,000-9,999, two groups of
    // writers) is not exchangeable, and the same measure sees it.
    let pixels = all_pixels(&data.test);
    let half = 5000 * 28 * 28;
    let first = read_out(&classifier, &pixels[..half], 28, &device).unwrap();
    let second = read_out(&classifier, &pixels[half..], 28, &device).unwrap();
    let biased = frechet_distance(&first.features, &second.features, dim);
    assert!(
        biased > 3.0 * fid.max(0.3),
        "positional halves {biased} vs {fid}"
    );
}

#[test]
fn memorisation_checks_every_class_and_flags_a_planted_training_image() {
    let data = common::mnist();
    let device = Device::flex();
    let classifier = gan_studio::explore::bundle::classifier(&device).unwrap();
    let reference = Reference::new(&data, &classifier, &device).unwrap();
    assert_eq!(reference.thresholds.len(), 10);
    assert!(reference.thresholds.iter().all(|&t| t > 0.0));

    // "Generated" samples: 30 held-out test images per class, stored class by class as
    // generated sets are, and one training image of class 7 planted among them.
    let per = 28 * 28;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for class in 0..10u8 {
        let members = reference
            .held_out_labels
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == class)
            .take(30);
        for (i, _) in members {
            pixels.extend_from_slice(&reference.held_out_pixels[i * per..(i + 1) * per]);
            labels.push(class);
        }
    }
    let planted_at = 7 * 30 + 11;
    let seven = data.train.labels.iter().position(|&l| l == 7).unwrap();
    pixels[planted_at * per..(planted_at + 1) * per]
        .copy_from_slice(&data.train.batch_pixels(&[seven], None));
    let options = EvalOptions {
        memorisation_samples: 300,
        ..EvalOptions::default()
    };
    let report = evaluate(
        &pixels,
        Some(&labels),
        &reference,
        &classifier,
        &options,
        &device,
    )
    .unwrap();
    assert_eq!(report.memorisation_checked_per_class, vec![30; 10]);
    // Only the copy: unseen real digits near their training neighbours are not copies.
    let mut expected = vec![0.0; 10];
    expected[7] = 1.0 / 30.0;
    assert_eq!(report.memorised_per_class, expected, "{report:?}");
    assert_eq!(report.memorisation_singled_out, Some(0.5));
    let (i, j, d) = report.closest_pairs[0];
    assert_eq!((i, j), (planted_at, seven));
    assert!(d < 0.01, "{d}");
    assert_eq!(report.reference_split_seed, Some(reference.split_seed));

    // A budget smaller than the set still takes the same number from every class.
    let options = EvalOptions {
        memorisation_samples: 50,
        ..EvalOptions::default()
    };
    let report = evaluate(
        &pixels,
        Some(&labels),
        &reference,
        &classifier,
        &options,
        &device,
    )
    .unwrap();
    assert_eq!(report.memorisation_checked_per_class, vec![5; 10]);
}
/// Every model that ships in the binary works out of the box: each data set's classifier reads
/// the real test images of the repository's slice well above chance (10%), and reads its own
/// generator's samples as the class they were asked for.
#[test]
fn every_bundled_classifier_reads_its_data_and_its_generator() {
    use gan_studio::data::Dataset;
    use gan_studio::explore::bundle::BUNDLES;
    use gan_studio::explore::{GeneratorSource, LoadedGenerator};
    use rand::SeedableRng;
    let device = Device::flex();
    // (data set, real test accuracy floor, generated success floor): a few points under what
    // BENCHMARKS.md records for the full test sets, the slices being 1,000 images.
    let floors = [(0.97, 0.90), (0.88, 0.75), (0.76, 0.70)];
    for (bundle, (real_floor, fake_floor)) in BUNDLES.iter().zip(floors) {
        let name = bundle.dataset.title();
        let data = Dataset::open(&common::fixtures_root(), bundle.dataset).unwrap();
        let classifier = bundle.classifier(&device).unwrap();
        let test = data.test.clone().truncate(1000);
        let real = accuracy(&classifier, &test, &device).unwrap();
        assert!(real >= real_floor, "{name}: real test accuracy {real}");

        let generator =
            LoadedGenerator::load(&GeneratorSource::Bundled(bundle.dataset), &device).unwrap();
        assert_eq!(
            generator.pixels_per_image(),
            test.pixels_per_image(),
            "{name}: the generator draws the data set's shape"
        );
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let latents = gan_studio::sampling::normal_latents_host(&mut rng, 500, 100);
        let labels: Vec<u8> = (0..500).map(|i| (i % 10) as u8).collect();
        let pixels = generator.generate(&latents, Some(&labels)).unwrap();
        let read = read_out(&classifier, &pixels, test.rows, &device).unwrap();
        let hits = read
            .predictions()
            .iter()
            .zip(&labels)
            .filter(|(p, l)| **p == usize::from(**l))
            .count();
        let success = hits as f64 / labels.len() as f64;
        assert!(success >= fake_floor, "{name}: success rate {success}");
    }
}

/// `augment` trains on an InfoGAN's images under classes, not under its category codes: each
/// code is named by the judge's reading, one class per code, as well as any naming could.
#[test]
fn augment_names_infogans_codes_by_the_judges_best_matching() {
    use gan_studio::eval::augment::synthetic;
    use gan_studio::model::{Depth, GanConfig, ModelKind};
    let device = Device::flex();
    let gan = GanConfig::new(ModelKind::Infogan).with_depth(Depth::Shallow);
    let generator = gan.init_generator(&device);
    let judge = ClassifierConfig::new().with_seed(5).init(&device);
    // 20 per code; the split interleaves the codes, so image k has code k % 10.
    let split = synthetic(&generator, &gan, &judge, 200, 3, &device).unwrap();
    assert_eq!(split.len(), 200);
    let pixels = split.batch_pixels(&(0..split.len()).collect::<Vec<_>>(), None);
    let read = read_out(&judge, &pixels, 28, &device)
        .unwrap()
        .predictions();
    let mut class_of_code = [None; 10];
    for (k, &label) in split.labels.iter().enumerate() {
        let named = class_of_code[k % 10].get_or_insert(label);
        assert_eq!(*named, label, "code {} named twice", k % 10);
    }
    let mut classes: Vec<u8> = class_of_code.iter().map(|c| c.unwrap()).collect();
    classes.sort();
    assert_eq!(classes, (0..10).collect::<Vec<u8>>(), "one class per code");
    let agree = |label: &dyn Fn(usize) -> usize| (0..200).filter(|&k| read[k] == label(k)).count();
    let named = agree(&|k| usize::from(split.labels[k]));
    // No naming beats the best matching: not the codes as they are, nor any rotation of them.
    for shift in 0..10 {
        assert!(named >= agree(&|k| (k + shift) % 10), "shift {shift}");
    }
}
