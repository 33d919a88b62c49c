//! The fuzz targets: every reader of bytes that come from outside the program, each driven
//! through the same function the CLI and the studio call. Shared by the fuzzer
//! (`examples/fuzz/main.rs`) and the regression tests (`tests/fuzz_regressions.rs`), which
//! replay the inputs it kept.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::prelude::*;
use gan_studio::data::idx;
use gan_studio::model::{Depth, GanConfig, ModelKind};
use gan_studio::train::{RunDir, TrainConfig, Trainer, checkpoint, metrics};

/// One reader under test.
pub struct Target {
    pub name: &'static str,
    /// What the target reads, for the report.
    pub reads: &'static str,
    /// Words worth splicing into inputs of this format.
    pub dictionary: &'static [&'static str],
    /// Inputs to this target that the fuzzer writes gzip-compressed as well (IDX files are
    /// read raw or gzip).
    pub also_gzip: bool,
    pub run: fn(&Workspace, &[u8]) -> Result<()>,
}

const JSON_WORDS: &[&str] = &[
    "null",
    "true",
    "false",
    "-1",
    "0",
    "1e309",
    "-1e309",
    "NaN",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999",
    "\"\"",
    "{}",
    "[]",
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\\u0000",
    "\"model\"",
    "\"dcgan\"",
    "\"cgan\"",
    "\"cdcgan\"",
    "\"latent_dim\"",
    "\"image_size\"",
    "\"num_classes\"",
    "\"batch_size\"",
    "\"step\"",
    "\"depth\"",
    "\"deep\"",
    "\"virtual\"",
    "\"reference_batch\"",
    "\"label_embedding\"",
    "\"gan\"",
];

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "idx-images",
            reads: "IDX image files, raw and gzip (MNIST, Fashion-MNIST, generate --format idx)",
            dictionary: &[],
            also_gzip: true,
            run: |_, bytes| {
                idx::read_images_from_bytes("fuzz", bytes)?;
                Ok(())
            },
        },
        Target {
            name: "idx-labels",
            reads: "IDX label files, raw and gzip",
            dictionary: &[],
            also_gzip: true,
            run: |_, bytes| {
                idx::read_labels_from_bytes("fuzz", bytes, 10)?;
                Ok(())
            },
        },
        Target {
            name: "checkpoint",
            reads: "checkpoint records (burnpack): generator, discriminator, Adam state, \
                    classifier",
            dictionary: &[],
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("checkpoint")?;
                for file in ["generator.bpk", "discriminator.bpk", "optim_g.bpk"] {
                    std::fs::write(dir.join(file), bytes)?;
                }
                let device = Device::flex();
                let config = ws.tiny_config();
                let g = checkpoint::load_generator(&config.gan, &dir, &device);
                let d = checkpoint::load_discriminator(&config.gan, &dir, &device);
                let o =
                    checkpoint::load_optimizer(burn::optim::AdamConfig::new().init(), &dir, true);
                std::fs::write(dir.join("classifier.bpk"), bytes)?;
                std::fs::write(dir.join("config.json"), &ws.classifier_config)?;
                let c = gan_studio::eval::classifier::load(&dir, &device);
                // Every one must give a value or an error; a panic fails the target.
                g.map(drop).or(d.map(drop)).or(o.map(drop)).or(c.map(drop))
            },
        },
        Target {
            name: "config-json",
            reads: "a run's config.json, then the networks it describes",
            dictionary: JSON_WORDS,
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("config")?;
                let path = dir.join("config.json");
                std::fs::write(&path, bytes)?;
                let config = TrainConfig::load_run(&path)?;
                config.validate()?;
                // What `train --resume`, `sample` and the studio do next: build the networks.
                let device = Device::flex();
                let _ = config.gan.init_generator(&device);
                let _ = config.gan.init_discriminator(&device);
                Ok(())
            },
        },
        Target {
            name: "classifier-config",
            reads: "a classifier run's config.json",
            dictionary: JSON_WORDS,
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("classifier-config")?;
                std::fs::write(dir.join("config.json"), bytes)?;
                std::fs::write(dir.join("classifier.bpk"), &ws.classifier_record)?;
                gan_studio::eval::classifier::load(&dir, &Device::flex())?;
                Ok(())
            },
        },
        Target {
            name: "train-state",
            reads: "a checkpoint's state.json",
            dictionary: JSON_WORDS,
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("state")?;
                std::fs::write(dir.join("state.json"), bytes)?;
                checkpoint::load_state(&dir)?;
                Ok(())
            },
        },
        Target {
            name: "metrics-jsonl",
            reads: "a run's metrics.jsonl",
            dictionary: JSON_WORDS,
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("metrics")?;
                let path = dir.join("metrics.jsonl");
                std::fs::write(&path, bytes)?;
                metrics::read_log(&path)?;
                Ok(())
            },
        },
        Target {
            name: "studio-state",
            reads: "the studio's saved state (eframe storage, RON)",
            dictionary: &[
                "(",
                ")",
                "[",
                "]",
                "Some(",
                "None",
                "true",
                "false",
                "-1",
                "1e309",
                "\"",
                "tab:",
                "Explorer",
                "runs_dir:",
                "training:",
                "explorer:",
                "4294967296",
            ],
            also_gzip: false,
            run: |ws, bytes| {
                let text = std::str::from_utf8(bytes).context("not UTF-8")?;
                // As StudioApp::new reads it: missing config fields take their defaults, and a
                // state that still does not parse is replaced by the default one.
                let mut state = gan_studio::studio::saved_state::from_ron(text)
                    .context("the saved state does not parse")?;
                // Hermetic: the paths in the state are not followed outside the scratch folder.
                let dir = ws.scratch("studio")?;
                state.runs_dir = dir.join("runs");
                state.data_dir = dir.join("data");
                // The state must also survive being shown: every tab, a few frames each.
                show_tabs(state, &gan_studio::studio::tabs::Tab::ALL);
                Ok(())
            },
        },
        Target {
            name: "safetensors-import",
            reads: "an exported or PyTorch-written generator.safetensors (import)",
            dictionary: &[
                "{",
                "}",
                "\"dtype\"",
                "\"F32\"",
                "\"F16\"",
                "\"shape\"",
                "\"data_offsets\"",
                "4294967296",
                "-1",
                "[",
                "]",
                "\"__metadata__\"",
            ],
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("safetensors")?;
                std::fs::write(dir.join("config.json"), &ws.export_config)?;
                std::fs::write(dir.join("generator.safetensors"), bytes)?;
                gan_studio::interop::safetensors::load_generator(&dir, &Device::flex())?;
                Ok(())
            },
        },
        Target {
            name: "export-config",
            reads: "an export's config.json (import)",
            dictionary: JSON_WORDS,
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("export-config")?;
                std::fs::write(dir.join("config.json"), bytes)?;
                std::fs::write(dir.join("generator.safetensors"), &ws.export_weights)?;
                gan_studio::interop::safetensors::load_generator(&dir, &Device::flex())?;
                Ok(())
            },
        },
        Target {
            name: "eval-json",
            reads: "a run's eval.json, in `report` and in the studio's Metrics and Compare tabs",
            dictionary: &[
                "null",
                "-1",
                "1e309",
                "NaN",
                "[]",
                "[1]",
                "\"é\"",
                "\"per_class\"",
                "\"generator_sha256\"",
                "\"classifier_sha256\"",
                "\"dataset\"",
                "\"fashion\"",
                "\"a€€€€€€€€€€€€\"",
                "\"confusion\"",
                "4294967296",
                "{",
                "}",
                "[",
                "]",
                ",",
            ],
            also_gzip: false,
            run: |ws, bytes| {
                let run = ws.evaluated_run();
                std::fs::write(run.join("eval.json"), bytes)?;
                let row = gan_studio::cli::report::row(&run);
                // The studio reads it on its own (a damaged one is left out of its table).
                show_tabs(
                    workspace_state(ws),
                    &[
                        gan_studio::studio::tabs::Tab::Metrics,
                        gan_studio::studio::tabs::Tab::Compare,
                    ],
                );
                row.map(drop)
            },
        },
        Target {
            name: "augment-json",
            reads: "a run's augment.json (retraining results), in the Metrics tab",
            dictionary: &[
                "null",
                "-1",
                "1e309",
                "NaN",
                "[]",
                "[1]",
                "\"mix\"",
                "\"accuracies\"",
                "\"ratio\"",
                "\"few-real-only\"",
                "4294967296",
                "{",
                "}",
                "[",
                "]",
                ",",
            ],
            also_gzip: false,
            run: |ws, bytes| {
                let run = ws.evaluated_run();
                std::fs::write(run.join("eval.json"), include_bytes!("seeds/eval.json"))?;
                std::fs::write(run.join("augment.json"), bytes)?;
                show_tabs(
                    workspace_state(ws),
                    &[gan_studio::studio::tabs::Tab::Metrics],
                );
                // The studio shows what parses and leaves out what does not; parsing is the
                // reader's whole verdict.
                serde_json::from_slice::<Vec<gan_studio::eval::augment::AugmentResult>>(bytes)?;
                Ok(())
            },
        },
        Target {
            name: "cifar-batch",
            reads: "a batch file of CIFAR-10's binary release (data_batch_N.bin, test_batch.bin)",
            dictionary: &[],
            also_gzip: false,
            run: |_, bytes| {
                gan_studio::data::cifar::parse_batch("fuzz", bytes)?;
                Ok(())
            },
        },
        Target {
            name: "picture-tarball",
            reads: "a .tar / .tar.gz of picture class folders (--dataset folder, CIFAR-10's JPEG \
                    copy, cifar-10-binary.tar.gz)",
            dictionary: &[
                "ustar",
                "train/",
                "test/",
                "cat/",
                "././@LongLink",
                "00000000644",
            ],
            also_gzip: true,
            run: |ws, bytes| {
                let dir = ws.scratch("picture-tarball")?;
                let path = dir.join("pictures.tar.gz");
                std::fs::write(&path, bytes)?;
                let pictures = gan_studio::data::images::read_pictures(&path, None, &|_, _| {});
                // The same bytes as CIFAR-10's binary release.
                let binary = gan_studio::data::cifar::read_binary(&path);
                pictures.map(drop).or(binary.map(drop))
            },
        },
        Target {
            name: "picture-file",
            reads: "one PNG or JPEG in a class folder of pictures (--dataset folder)",
            dictionary: &["IHDR", "IDAT", "IEND", "JFIF", "Exif"],
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("picture-file")?;
                let class = dir.join("train/cat");
                std::fs::create_dir_all(&class)?;
                std::fs::write(class.join("0.jpg"), bytes)?;
                std::fs::write(class.join("1.png"), bytes)?;
                // A corrupt picture is skipped with a warning; with none left, the set is an
                // error. Either is a verdict; a panic or a runaway allocation is not.
                gan_studio::data::images::read_pictures(&dir, None, &|_, _| {})?;
                Ok(())
            },
        },
        Target {
            name: "generated-png",
            reads: "a PNG in a folder of generated images (augment --synthetic)",
            dictionary: &["IHDR", "IDAT", "IEND", "PLTE", "tRNS"],
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("png")?;
                let class = dir.join("3");
                std::fs::create_dir_all(&class)?;
                std::fs::write(class.join("3-000000.png"), bytes)?;
                gan_studio::interop::generated::read_folder(&dir, 10)?;
                Ok(())
            },
        },
        Target {
            name: "generated-idx-colour",
            reads: "images-idx4-ubyte of a colour synthetic set (generate --format idx, augment --synthetic)",
            dictionary: &["\x00\x00\x08\x04", "\x00\x00\x00\x20", "\x00\x00\x00\x03"],
            also_gzip: false,
            run: |ws, bytes| {
                let dir = ws.scratch("idx-colour")?;
                std::fs::write(dir.join("images-idx4-ubyte"), bytes)?;
                // Labels for as many images as the header claims, where it can be read.
                let count = bytes
                    .get(4..8)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
                    .min(1 << 16);
                gan_studio::data::idx::write_labels(
                    &dir.join("labels-idx1-ubyte"),
                    &vec![1u8; count],
                )?;
                gan_studio::interop::generated::read_folder(&dir, 10)?;
                Ok(())
            },
        },
    ]
}

/// What the targets need besides the input: a scratch folder and the fixed files an input is
/// read beside (a classifier's config beside a fuzzed record, and so on).
pub struct Workspace {
    root: tempfile::TempDir,
    pub classifier_config: Vec<u8>,
    pub classifier_record: Vec<u8>,
    pub export_config: Vec<u8>,
    pub export_weights: Vec<u8>,
    tiny: TrainConfig,
}

impl Workspace {
    pub fn tiny_config(&self) -> &TrainConfig {
        &self.tiny
    }

    /// An empty folder for one input's files (emptied before each use).
    pub fn scratch(&self, name: &str) -> Result<PathBuf> {
        let dir = self.root.path().join("scratch").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Makes the project's own outputs the seeds come from: a two-step training run of a small
    /// DCGAN on the fixture MNIST slice (its checkpoint, config, state and metrics log), its
    /// export, and the bundled classifier.
    pub fn new(fixtures: &Path) -> Result<Self> {
        let root = tempfile::tempdir()?;
        let data = gan_studio::data::Dataset::load(
            &fixtures.join("mnist"),
            gan_studio::data::DatasetKind::Mnist,
        )?;
        let tiny = TrainConfig::new(GanConfig::new(ModelKind::Dcgan).with_depth(Depth::Shallow))
            .with_batch_size(16)
            .with_max_steps(Some(2))
            .with_checkpoint_every(2)
            .with_sample_every(0);
        let run = RunDir::new(&root.path().join("runs"), "tiny")?;
        let mut trainer = Trainer::create(tiny.clone(), run, data.train, &Device::flex())?;
        trainer.run(|_| std::ops::ControlFlow::Continue(()))?;
        drop(trainer);
        let classifier_dir = gan_studio::explore::bundle::unpack_classifier(
            &root.path().join("runs"),
            "classifier",
        )?;
        let trained = gan_studio::train::open_trained_run(
            &root.path().join("runs"),
            "tiny",
            &Device::flex(),
        )?;
        gan_studio::explore::bundle::unpack_run(&root.path().join("runs"), "bundled-cdcgan")?;
        let export = root.path().join("export");
        gan_studio::interop::safetensors::export_generator(&trained, &export)?;
        Ok(Self {
            classifier_config: std::fs::read(classifier_dir.join("config.json"))?,
            classifier_record: std::fs::read(classifier_dir.join("classifier.bpk"))?,
            export_config: std::fs::read(export.join("config.json"))?,
            export_weights: std::fs::read(export.join("generator.safetensors"))?,
            tiny,
            root,
        })
    }

    /// A run (the bundled model unpacked) whose eval.json the eval-json target writes.
    pub fn evaluated_run(&self) -> PathBuf {
        self.root.path().join("runs/bundled-cdcgan")
    }

    /// The tiny run's folder.
    pub fn run_dir(&self) -> PathBuf {
        self.root.path().join("runs/tiny")
    }

    pub fn export_dir(&self) -> PathBuf {
        self.root.path().join("export")
    }
}

/// The seed inputs of `target`: real files and the project's own outputs.
pub fn seeds(target: &str, ws: &Workspace, fixtures: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let read = |path: PathBuf| -> Result<(String, Vec<u8>)> {
        let bytes = std::fs::read(&path).with_context(|| format!("seed {}", path.display()))?;
        Ok((path.display().to_string(), bytes))
    };
    let run = ws.run_dir();
    let latest = checkpoint::latest(&RunDir::open(&run.parent().context("runs")?, "tiny")?)?
        .context("the tiny run has a checkpoint")?;
    let mut seeds = Vec::new();
    match target {
        "idx-images" | "idx-labels" => {
            let kind = if target == "idx-images" {
                "images-idx3"
            } else {
                "labels-idx1"
            };
            for set in ["mnist", "fashion-mnist"] {
                for split in ["train", "t10k"] {
                    let path = fixtures.join(set).join(format!("{split}-{kind}-ubyte.gz"));
                    let (name, gz) = read(path)?;
                    // The fixtures are gzip; the fuzzer works on the raw bytes and also
                    // writes each mutant compressed, so both readers see real content.
                    let raw = gunzip(&gz)?;
                    seeds.push((name, shorten_idx(&raw)));
                }
            }
        }
        "checkpoint" => {
            for file in ["generator.bpk", "discriminator.bpk", "optim_g.bpk"] {
                seeds.push(read(latest.join(file))?);
            }
            seeds.push(("bundled classifier".into(), ws.classifier_record.clone()));
        }
        "config-json" => {
            seeds.push(read(run.join("config.json"))?);
            seeds.push((
                "bundled generator config".into(),
                serde_json::to_vec_pretty(&gan_studio::explore::bundle::generator_config()?)?,
            ));
        }
        "classifier-config" => seeds.push(("bundled".into(), ws.classifier_config.clone())),
        "train-state" => seeds.push(read(latest.join("state.json"))?),
        "metrics-jsonl" => seeds.push(read(run.join("metrics.jsonl"))?),
        "studio-state" => {
            let mut storage = OneValue(None);
            let mut state = gan_studio::studio::StudioState::default();
            for tab in gan_studio::studio::tabs::Tab::ALL {
                state.tab = tab;
                eframe::set_value(&mut storage, gan_studio::studio::app::STORAGE_KEY, &state);
                let text = storage.0.clone().context("set_value stores the state")?;
                seeds.push((format!("default state on {tab:?}"), text.into_bytes()));
            }
        }
        "safetensors-import" => seeds.push(read(ws.export_dir().join("generator.safetensors"))?),
        "export-config" => seeds.push(read(ws.export_dir().join("config.json"))?),
        "eval-json" => seeds.push((
            "gan-studio eval --run bundled-cdcgan".into(),
            include_bytes!("seeds/eval.json").to_vec(),
        )),
        "augment-json" => seeds.push((
            "gan-studio augment --run bundled-cdcgan".into(),
            include_bytes!("seeds/augment.json").to_vec(),
        )),
        "cifar-batch" => {
            // Records of the fixture's CIFAR-10 slice, in the binary release's format.
            let data =
                gan_studio::data::Dataset::open(fixtures, gan_studio::data::DatasetKind::Cifar10)?;
            let few = data.test.select(&[0, 100, 200]);
            seeds.push((
                "three CIFAR-10 test records".into(),
                gan_studio::data::cifar::batch_bytes(&few),
            ));
        }
        "picture-tarball" => {
            // A small tar of the fixture's layout (raw: the fuzzer also writes it gzipped).
            let mut builder = tar::Builder::new(Vec::new());
            let tarball = fixtures.join("cifar10/cifar10-jpeg.tar.gz");
            let files = gan_studio::data::images::tar_files(&tarball)?;
            for (name, bytes) in files
                .iter()
                .filter(|(n, _)| n.starts_with("train/") && n.ends_with("/0000.jpg"))
                .take(4)
            {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                builder.append_data(&mut header, name, bytes.as_slice())?;
            }
            seeds.push((
                "four fixture JPEGs in class folders".into(),
                builder.into_inner()?,
            ));
        }
        "picture-file" => {
            let tarball = fixtures.join("cifar10/cifar10-jpeg.tar.gz");
            let files = gan_studio::data::images::tar_files(&tarball)?;
            for (name, bytes) in files
                .into_iter()
                .filter(|(n, _)| n.starts_with("train/") && n.ends_with("/0000.jpg"))
                .take(2)
            {
                seeds.push((name, bytes));
            }
            let dir = ws.scratch("picture-png-seed")?;
            let png = dir.join("seed.png");
            image::RgbImage::from_fn(20, 12, |x, y| image::Rgb([x as u8 * 9, y as u8 * 20, 7]))
                .save(&png)?;
            seeds.push(read(png)?);
        }
        "generated-png" => {
            let data = gan_studio::data::Dataset::load(
                &fixtures.join("mnist"),
                gan_studio::data::DatasetKind::Mnist,
            )?;
            let pixels: Vec<f32> = data.test.images[..4 * 784]
                .iter()
                .map(|&p| gan_studio::data::dataset::scale_pixel(p))
                .collect();
            let dir = ws.scratch("png-seeds")?;
            gan_studio::interop::generated::write_pngs(&dir, &pixels, None, 1, 28, 0, &mut |_| {})?;
            for k in 0..4 {
                seeds.push(read(gan_studio::interop::generated::png_path(
                    &dir, None, k,
                ))?);
            }
            // Colour pictures too, as a colour run's `generate` writes them.
            let colour = ws.scratch("png-colour-seeds")?;
            let pixels: Vec<f32> = (0..2 * 3 * 32 * 32)
                .map(|i| (i % 255) as f32 / 127.5 - 1.0)
                .collect();
            gan_studio::interop::generated::write_pngs(
                &colour,
                &pixels,
                None,
                3,
                32,
                0,
                &mut |_| {},
            )?;
            for k in 0..2 {
                seeds.push(read(gan_studio::interop::generated::png_path(
                    &colour, None, k,
                ))?);
            }
        }
        "generated-idx-colour" => {
            let dir = ws.scratch("idx-colour-seeds")?;
            let pixels: Vec<f32> = (0..3 * 3 * 32 * 32)
                .map(|i| (i % 255) as f32 / 127.5 - 1.0)
                .collect();
            gan_studio::interop::generated::write_idx(&dir, &pixels, Some(&[0, 1, 2]), 3, 32)?;
            seeds.push(read(dir.join("images-idx4-ubyte"))?);
        }
        other => anyhow::bail!("no target {other}"),
    }
    Ok(seeds)
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// The first few records of an IDX file, its header rewritten to match: the same format,
/// small enough for thousands of executions a second.
fn shorten_idx(raw: &[u8]) -> Vec<u8> {
    let header = if raw.get(3) == Some(&3) { 16 } else { 8 };
    let record = if header == 16 { 28 * 28 } else { 1 };
    let keep = 20.min((raw.len() - header) / record);
    let mut out = raw[..header].to_vec();
    out[4..8].copy_from_slice(&(keep as u32).to_be_bytes());
    out.extend_from_slice(&raw[header..header + keep * record]);
    out
}

/// Gzip-compresses `bytes` (the IDX targets read both forms).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// An eframe storage holding the one value the studio saves.
struct OneValue(Option<String>);

impl eframe::Storage for OneValue {
    fn get_string(&self, _key: &str) -> Option<String> {
        self.0.clone()
    }
    fn set_string(&mut self, _key: &str, value: String) {
        self.0 = Some(value);
    }
    fn remove_string(&mut self, _key: &str) {
        self.0 = None;
    }
    fn flush(&mut self) {}
}

/// The studio on the workspace's runs.
fn workspace_state(ws: &Workspace) -> gan_studio::studio::StudioState {
    gan_studio::studio::StudioState {
        runs_dir: ws.root.path().join("runs"),
        data_dir: ws.root.path().join("data"),
        ..Default::default()
    }
}

/// Builds the studio from `state`, shows its own tab, then each of `tabs` for a few frames.
fn show_tabs(mut state: gan_studio::studio::StudioState, tabs: &[gan_studio::studio::tabs::Tab]) {
    use gan_studio::studio::StudioApp;
    use gan_studio::studio::compute::Compute;
    // The first frame shows the first tab asked for, not the saved one: the explorer's
    // generator (the default tab's) would otherwise load on a thread of its own at every
    // execution, and at ~50 executions a second those loads piled up (800 threads and 15 GB
    // within a minute, then a stack overflow in one of them).
    if let Some(&first) = tabs.first() {
        state.tab = first;
    }
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1024.0, 700.0))
        .build_ui_state(
            |ui, app: &mut StudioApp| app.show(ui),
            StudioApp::with_state(state, Compute::cpu_only()),
        );
    harness.step();
    for &tab in tabs {
        harness.state_mut().state.tab = tab;
        for _ in 0..3 {
            harness.step();
        }
    }
    // A generator the tabs started loading finishes before the next execution starts.
    let settle = std::time::Instant::now();
    while harness.state().state.explorer.is_loading()
        && settle.elapsed() < std::time::Duration::from_secs(30)
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
        harness.step();
    }
}
