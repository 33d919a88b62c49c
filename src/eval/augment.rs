//! Does synthetic data help a classifier? Retrains the LeNet on small real subsets with
//! generated digits mixed in at chosen ratios, under three strategies, over several seeds.
//!
//! A generator trained on the whole labelled training set carries label information from all
//! of it into its images, so "10 real images per class + synthetic" is then not a few-real
//! setting. The plan can also train, for each seed, a generator on just that seed's few real
//! images (judged, for the filter, by a classifier trained on them too): the honest variant,
//! reported side by side.

use anyhow::{Context, Result};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::classifier::{Classifier, ClassifierConfig, accuracy, read_out, train_steps_with};
use super::matching::match_codes;
use super::scores::{MeanStd, mean_std};
use crate::data::Split;
use crate::export::grid::to_u8_pixels;
use crate::model::{GanConfig, Generator};
use crate::sampling::generate_set;
use crate::train::{RunDir, TrainConfig, Trainer};

/// How synthetic images enter training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Train once on real and synthetic images together.
    Mix,
    /// Train on the synthetic images, then fine-tune on the real ones.
    Pretrain,
    /// Mix, keeping only synthetic images the real-data classifier reads as their label with
    /// confidence of at least 0.9.
    Filter,
}

impl Strategy {
    /// The name `--strategies` and study files use.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Mix => "mix",
            Strategy::Pretrain => "pretrain",
            Strategy::Filter => "filter",
        }
    }
}

/// What the generator behind the synthetic images was trained on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GeneratorData {
    /// The run's generator, trained on the labelled training set (all of it, usually): its
    /// images carry label information from every image it saw.
    #[default]
    AllLabelled,
    /// A generator trained on only the same few real images the classifier gets.
    FewRealOnly,
    /// Images read from a folder: whatever made them decides what they carry.
    Folder,
}

impl GeneratorData {
    pub fn describe(self) -> &'static str {
        match self {
            GeneratorData::AllLabelled => "generator trained on the full labelled set",
            GeneratorData::FewRealOnly => "generator trained on the few real images only",
            GeneratorData::Folder => "images from a folder",
        }
    }
}

/// One cell of the table: accuracy on the full test set over seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AugmentResult {
    pub real_per_class: usize,
    pub ratio: f64,
    pub strategy: Strategy,
    #[serde(default)]
    pub generator: GeneratorData,
    /// Synthetic images used, mean over seeds (the filter keeps a different number per seed).
    pub synthetic_used: usize,
    #[serde(default)]
    pub synthetic_used_per_seed: Vec<usize>,
    pub accuracies: Vec<f64>,
    pub accuracy: MeanStd,
}

pub struct AugmentPlan {
    pub per_class: Vec<usize>,
    pub ratios: Vec<f64>,
    pub strategies: Vec<Strategy>,
    pub seeds: usize,
    /// The first seed: seeds run `first_seed..first_seed + seeds`, so one study run per seed
    /// can ask for one seed each and still draw different real subsets.
    pub first_seed: u64,
    pub steps: usize,
    /// When set, the honest variant too: per seed, a generator of this recipe trained on only
    /// that seed's real images.
    pub few_real_generator: Option<TrainConfig>,
}

impl AugmentPlan {
    /// Caps each count of real images per class at the smallest class's training images, so
    /// that a row says how many a class really got (a folder of 45 cats asked for 100 a class
    /// trained on 45 and reported 100). "all" (usize::MAX) stays. Returns what was changed.
    pub fn fit_to(&mut self, train: &Split, class_names: &[String]) -> Option<String> {
        let classes = class_names.len().max(1);
        let (smallest, fewest) = train.smallest_class(classes)?;
        let asked: Vec<usize> = self
            .per_class
            .iter()
            .copied()
            .filter(|&p| p != usize::MAX && p > fewest)
            .collect();
        if asked.is_empty() {
            return None;
        }
        let mut capped: Vec<usize> = Vec::new();
        for p in &self.per_class {
            let p = if *p == usize::MAX {
                *p
            } else {
                (*p).min(fewest)
            };
            if !capped.contains(&p) {
                capped.push(p);
            }
        }
        self.per_class = capped;
        let name = class_names
            .get(smallest)
            .cloned()
            .unwrap_or_else(|| smallest.to_string());
        Some(format!(
            "{} real images per class asked for, but class {name} has {fewest} training \
             images: {fewest} per class used instead",
            asked
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" and ")
        ))
    }

    /// Classifier trainings the plan runs (for progress bars).
    pub fn trainings(&self) -> usize {
        let sources = 1 + usize::from(self.few_real_generator.is_some());
        let cells_per_subset = 1
            + (self.ratios.iter().filter(|&&r| r > 0.0).count() * self.strategies.len() * sources);
        self.per_class.len() * cells_per_subset * self.seeds
    }
}

/// Where the main rows' synthetic images come from.
pub enum SyntheticImages<'a> {
    /// A generator trained beforehand.
    Generator {
        generator: &'a Generator,
        gan: &'a GanConfig,
    },
    /// Images on disk (e.g. written by `generate`), taken in a fixed class-balanced order.
    Folder(&'a Split),
}

/// The synthetic images of the main rows, the number of classes, and the classifier that
/// judges synthetic images for the filter.
pub struct Pretrained<'a> {
    pub images: SyntheticImages<'a>,
    pub classes: usize,
    pub judge: &'a Classifier,
}

/// `count` images of `pool` with balanced labels, chosen by `seed`.
fn from_pool(pool: &Split, count: usize, classes: usize, seed: u64) -> Result<Split> {
    if count > pool.len() {
        anyhow::bail!(
            "the synthetic image folder holds {} images; this ratio needs {count}",
            pool.len()
        );
    }
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in pool.labels.iter().enumerate() {
        if let Some(members) = by_class.get_mut(usize::from(l)) {
            members.push(i);
        }
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for members in &mut by_class {
        members.shuffle(&mut rng);
    }
    // One of each class in turn, so any prefix is balanced.
    let longest = by_class.iter().map(Vec::len).max().unwrap_or(0);
    let order: Vec<usize> = (0..longest)
        .flat_map(|k| by_class.iter().filter_map(move |m| m.get(k).copied()))
        .take(count)
        .collect();
    Ok(pool.select(&order))
}

/// What [`run_plan`] reports as it goes.
pub enum AugmentEvent<'a> {
    /// A few-real generator is training: (real images per class, seed, steps done, steps).
    FewRealGenerator(usize, u64, usize, usize),
    /// The classifier training in flight advanced: (steps done, steps).
    ClassifierStep(usize, usize),
    /// A cell finished.
    Result(&'a AugmentResult),
}

/// `per_class` real images of each class, chosen by `seed`.
pub fn real_subset(train: &Split, per_class: usize, classes: usize, seed: u64) -> Split {
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut taken = vec![0usize; classes];
    let chosen: Vec<usize> = order
        .into_iter()
        .filter(|&i| {
            let c = usize::from(train.labels[i]);
            let keep = taken[c] < per_class;
            taken[c] += usize::from(keep);
            keep
        })
        .collect();
    train.select(&chosen)
}

fn concat(a: &Split, b: &Split) -> Split {
    let mut out = a.clone();
    out.images.extend_from_slice(&b.images);
    out.labels.extend_from_slice(&b.labels);
    out
}

/// `count` generated digits with balanced labels, as a split. An InfoGAN's labels are category
/// codes it found itself, not classes: each code is named by the class `judge` reads most
/// under the best one-to-one matching of codes to classes (as `eval`'s category_accuracy
/// scores it), and images of codes matched to no class of the judge's are left out.
pub fn synthetic(
    generator: &Generator,
    gan: &GanConfig,
    judge: &Classifier,
    count: usize,
    seed: u64,
    device: &Device,
) -> Result<Split> {
    let per_class = count.div_ceil(gan.num_classes);
    let (pixels, labels) = generate_set(generator, gan, per_class, seed, device)?;
    let mut labels = labels.context("synthetic training data needs a conditional generator")?;
    let mut unmatched = vec![false; labels.len()];
    if !gan.model.family().labels_are_classes() {
        let readout = read_out(judge, &pixels, gan.image_size, device)?;
        let predicted = readout.predictions();
        let (_, map) = match_codes(&labels, &predicted, gan.num_classes, readout.classes)?;
        for (i, label) in labels.iter_mut().enumerate() {
            let class = map[usize::from(*label)];
            if class >= readout.classes {
                unmatched[i] = true;
            }
            *label = class as u8;
        }
    }
    let all = Split {
        images: to_u8_pixels(&pixels),
        labels,
        channels: gan.channels,
        rows: gan.image_size,
        cols: gan.image_size,
    };
    // Interleave classes so truncating to `count` keeps them balanced.
    let order: Vec<usize> = (0..per_class)
        .flat_map(|i| (0..gan.num_classes).map(move |c| c * per_class + i))
        .filter(|&i| !unmatched[i])
        .take(count)
        .collect();
    Ok(all.select(&order))
}

/// Synthetic images the judge reads as their requested label with confidence >= 0.9.
fn confident(split: &Split, judge: &Classifier, device: &Device) -> Result<Split> {
    let pixels = split.batch_pixels(&(0..split.len()).collect::<Vec<_>>(), None);
    let readout = read_out(judge, &pixels, split.rows, device)?;
    let keep: Vec<usize> = readout
        .probabilities
        .chunks(readout.classes)
        .enumerate()
        .filter(|(i, row)| row[usize::from(split.labels[*i])] >= 0.9)
        .map(|(i, _)| i)
        .collect();
    Ok(split.select(&keep))
}

/// A generator of `recipe` trained on `real` alone (in a temporary run folder).
fn train_few_real_generator(
    recipe: &TrainConfig,
    real: &Split,
    seed: u64,
    device: &Device,
    on_step: &mut dyn FnMut(usize, usize),
) -> Result<Generator> {
    let folder =
        tempfile::tempdir().context("cannot create a folder for the few-real generator")?;
    let config = recipe
        .clone()
        .with_seed(seed)
        .with_batch_size(recipe.batch_size.min(real.len()))
        .with_train_limit(None)
        .with_sample_every(0)
        .with_checkpoint_every(0);
    let run = RunDir::new(folder.path(), "few-real")?;
    let mut trainer = Trainer::create(config, run, real.clone(), device)?;
    let total = trainer.total_steps();
    trainer.run(|event| {
        if let crate::train::TrainEvent::Step(m) = event {
            on_step(m.step, total);
        }
        std::ops::ControlFlow::Continue(())
    })?;
    Ok(trainer.sampling_generator())
}

/// Runs the whole plan; `on_event` hears each generator and classifier step and each cell.
pub fn run_plan(
    plan: &AugmentPlan,
    train: &Split,
    test: &Split,
    pretrained: &Pretrained<'_>,
    device: &Device,
    mut on_event: impl FnMut(AugmentEvent<'_>),
) -> Result<Vec<AugmentResult>> {
    let classes = pretrained.classes;
    let mut results = Vec::new();
    let mut sources = vec![match pretrained.images {
        SyntheticImages::Generator { .. } => GeneratorData::AllLabelled,
        SyntheticImages::Folder(_) => GeneratorData::Folder,
    }];
    if plan.few_real_generator.is_some() {
        sources.push(GeneratorData::FewRealOnly);
    }
    for &per_class in &plan.per_class {
        let seeds = plan.first_seed..plan.first_seed + plan.seeds as u64;
        let reals: Vec<Split> = seeds
            .clone()
            .map(|seed| real_subset(train, per_class, classes, 1000 + seed))
            .collect();
        // Trained on first use, kept for every ratio and strategy: (generator, judge) per seed.
        let mut few_real: Vec<Option<(Generator, Classifier)>> = vec![None; plan.seeds];
        for &source in &sources {
            for &ratio in &plan.ratios {
                for &strategy in &plan.strategies {
                    // Ratio 0 is the same real-only baseline under every strategy and source.
                    if ratio == 0.0 && (strategy != plan.strategies[0] || source != sources[0]) {
                        continue;
                    }
                    let mut accuracies = Vec::new();
                    let mut used = Vec::new();
                    for (slot_index, seed) in seeds.clone().enumerate() {
                        let real = &reals[slot_index];
                        let count = (ratio * real.len() as f64).round() as usize;
                        // LeNet, sized for the data set's pictures and classes.
                        let config = ClassifierConfig::new()
                            .with_classes(classes)
                            .with_channels(real.channels)
                            .with_image_size(real.rows)
                            .with_seed(seed)
                            .with_batch_size(64);
                        let fit = |split: &Split,
                                   start: Option<Classifier>,
                                   on_event: &mut dyn FnMut(AugmentEvent<'_>)| {
                            train_steps_with(&config, split, plan.steps, start, device, &mut |d| {
                                on_event(AugmentEvent::ClassifierStep(d, plan.steps))
                            })
                        };
                        if count == 0 {
                            used.push(0);
                            let model = fit(real, None, &mut on_event)?;
                            accuracies.push(accuracy(&model, test, device)?);
                            continue;
                        }
                        let (fake, judge) = match source {
                            GeneratorData::AllLabelled | GeneratorData::Folder => {
                                let fake = match &pretrained.images {
                                    SyntheticImages::Generator { generator, gan } => synthetic(
                                        generator,
                                        gan,
                                        pretrained.judge,
                                        count,
                                        2000 + seed,
                                        device,
                                    )?,
                                    SyntheticImages::Folder(pool) => {
                                        from_pool(pool, count, classes, 2000 + seed)?
                                    }
                                };
                                (fake, pretrained.judge)
                            }
                            GeneratorData::FewRealOnly => {
                                let recipe = plan
                                    .few_real_generator
                                    .as_ref()
                                    .context("no few-real generator recipe")?;
                                let slot = &mut few_real[slot_index];
                                if slot.is_none() {
                                    let generator = train_few_real_generator(
                                        recipe,
                                        real,
                                        seed,
                                        device,
                                        &mut |d, n| {
                                            on_event(AugmentEvent::FewRealGenerator(
                                                per_class, seed, d, n,
                                            ))
                                        },
                                    )?;
                                    let judge = train_steps_with(
                                        &config,
                                        real,
                                        plan.steps,
                                        None,
                                        device,
                                        &mut |_| {},
                                    )?;
                                    *slot = Some((generator, judge));
                                }
                                let (generator, judge) =
                                    slot.as_ref().context("few-real generator missing")?;
                                (
                                    synthetic(
                                        generator,
                                        &recipe.gan,
                                        judge,
                                        count,
                                        2000 + seed,
                                        device,
                                    )?,
                                    judge,
                                )
                            }
                        };
                        let model = match strategy {
                            Strategy::Mix => {
                                used.push(fake.len());
                                fit(&concat(real, &fake), None, &mut on_event)?
                            }
                            Strategy::Filter => {
                                let kept = confident(&fake, judge, device)?;
                                used.push(kept.len());
                                fit(&concat(real, &kept), None, &mut on_event)?
                            }
                            Strategy::Pretrain => {
                                used.push(fake.len());
                                let pre = fit(&fake, None, &mut on_event)?;
                                fit(real, Some(pre), &mut on_event)?
                            }
                        };
                        accuracies.push(accuracy(&model, test, device)?);
                    }
                    let result = AugmentResult {
                        real_per_class: per_class,
                        ratio,
                        strategy,
                        generator: source,
                        synthetic_used: used.iter().sum::<usize>() / used.len().max(1),
                        synthetic_used_per_seed: used,
                        accuracy: mean_std(&accuracies),
                        accuracies,
                    };
                    on_event(AugmentEvent::Result(&result));
                    results.push(result);
                }
            }
        }
    }
    Ok(results)
}

/// What every augment table says beside its figures.
pub fn provenance_note(results: &[AugmentResult], train_images: Option<usize>) -> String {
    let set = match train_images {
        Some(n) => format!("{n} labelled images"),
        None => "the full labelled training set".to_owned(),
    };
    let mut note = format!(
        "Rows marked \"full labelled set\" use a generator trained on {set} (and a judge for \
         the filter trained on them too): their synthetic images carry label information from \
         that whole set, so they do not show what a few real images alone can do."
    );
    if results.iter().any(|r| r.generator == GeneratorData::Folder) {
        note.push_str(
            " Rows marked \"images from a folder\" use that folder's images: they carry whatever \
             made them (a generator trained on the full labelled set, typically).",
        );
    }
    if results
        .iter()
        .any(|r| r.generator == GeneratorData::FewRealOnly)
    {
        note.push_str(
            " Rows marked \"few real only\" train the generator and the judge on just the real \
             images of that row: the honest few-real setting.",
        );
    } else {
        note.push_str(" `augment --few-real-generator` adds the honest variant side by side.");
    }
    note
}

/// The results as a markdown table (accuracy in percent, mean ± std over seeds).
pub fn markdown(results: &[AugmentResult], train_images: Option<usize>) -> String {
    let mut out = String::from(
        "| real/class | generator trained on | synthetic ratio | strategy | synthetic used (mean) | test accuracy (mean ± std) | seeds |\n|---:|---|---:|---|---:|---:|---:|\n",
    );
    for r in results {
        let source = if r.ratio == 0.0 {
            "(no synthetic data)"
        } else {
            match r.generator {
                GeneratorData::AllLabelled => "full labelled set",
                GeneratorData::FewRealOnly => "few real only",
                GeneratorData::Folder => "(images from a folder)",
            }
        };
        out.push_str(&format!(
            "| {} | {source} | {:.0}% | {:?} | {} | {:.2}% ± {:.2} | {} |\n",
            r.real_per_class,
            r.ratio * 100.0,
            r.strategy,
            r.synthetic_used,
            r.accuracy.mean * 100.0,
            r.accuracy.std * 100.0,
            r.accuracies.len()
        ));
    }
    out.push('\n');
    out.push_str(&provenance_note(results, train_images));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(per_class: Vec<usize>) -> AugmentPlan {
        AugmentPlan {
            per_class,
            ratios: vec![0.0, 1.0],
            strategies: vec![Strategy::Mix],
            seeds: 1,
            first_seed: 0,
            steps: 1,
            few_real_generator: None,
        }
    }

    #[test]
    fn counts_above_the_smallest_class_are_capped_and_said() {
        // 45 cats, 60 dogs.
        let labels: Vec<u8> = std::iter::repeat_n(0, 45)
            .chain(std::iter::repeat_n(1, 60))
            .collect();
        let train = Split {
            images: vec![0; labels.len() * 4],
            labels,
            channels: 1,
            rows: 2,
            cols: 2,
        };
        let names = ["cat".to_owned(), "dog".to_owned()];
        let mut asked = plan(vec![10, 50, 100, usize::MAX]);
        let note = asked.fit_to(&train, &names).expect("a note");
        assert_eq!(asked.per_class, vec![10, 45, usize::MAX]);
        assert!(
            note.contains("50 and 100 real images per class asked for")
                && note.contains("class cat has 45"),
            "{note}"
        );
        let mut fits = plan(vec![10, 45]);
        assert!(fits.fit_to(&train, &names).is_none());
        assert_eq!(fits.per_class, vec![10, 45]);
    }
}
