//! `study run`: the plan's runs one after another on this machine, each through the same
//! `train` and `eval` commands a scheduler would run. Resumable by construction: a run with an
//! eval.json (or a recorded failure) is done, a run with a folder resumes from its checkpoint,
//! and a changed option is a new run name (see plan.rs).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::Parser;

use super::plan::{self, PlannedRun};
use super::results::{FAILURE_FILE, RETRAINING_FILE};
use super::spec::Study;
use crate::fsutil::write_atomic;

/// Where a study writes its resolved file, which `study report` reads back.
pub const STUDY_FILE: &str = "study.toml";

/// What the runner reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Run `index` (0-based) of `total` starts; `skipped` earlier ones were already done.
    Started {
        index: usize,
        total: usize,
        name: String,
    },
    Finished {
        index: usize,
        name: String,
        seconds: f64,
    },
    Failed {
        index: usize,
        name: String,
        error: String,
    },
    AlreadyDone {
        index: usize,
        name: String,
    },
}

/// Writes the study file and the classifiers its evaluations need into `out`, and returns the
/// plan. `study plan` and `study run` both start here.
pub fn prepare(study: &Study, out: &Path, data: Option<&Path>) -> Result<Vec<PlannedRun>> {
    // Every run would fail on its own, one after another, for want of the pictures.
    if let Some(pictures) = &study.pictures
        && !pictures.exists()
    {
        anyhow::bail!(
            "the study's picture folder {} does not exist",
            pictures.display()
        );
    }
    let runs = plan::runs_dir(out);
    // A study whose judge is nowhere is refused before its folder is written.
    if study.classifier != "bundled" {
        classifier_source(study, &runs)?;
    }
    std::fs::create_dir_all(&runs).with_context(|| format!("cannot create {}", runs.display()))?;
    write_atomic(&out.join(STUDY_FILE), study.to_toml()?.as_bytes())?;
    if study.classifier != "bundled" {
        install_classifier(study, &runs)?;
    } else {
        for &dataset in &study.datasets {
            let bundle = crate::explore::bundle::Bundled::of(dataset)
                .with_context(|| format!("no classifier ships for {}", dataset.title()))?;
            if !runs
                .join(bundle.classifier_name)
                .join("classifier.bpk")
                .is_file()
            {
                bundle.unpack_classifier(&runs, bundle.classifier_name)?;
            }
        }
    }
    Ok(plan::expand(study, out, data))
}

/// Copies a classifier the study names by its folder into the study's runs/, where every
/// evaluation reads it: the study folder then carries its judge, and retraining the original
/// later cannot change the judge halfway through. A copy already there must be the same
/// weights.
fn install_classifier(study: &Study, runs: &Path) -> Result<()> {
    let Some(source) = classifier_source(study, runs)? else {
        return Ok(());
    };
    let source = source.as_path();
    let target = runs.join(plan::classifier_for(study, study.datasets[0]));
    let weights = |dir: &Path| dir.join(crate::eval::classifier::WEIGHTS_FILE);
    let same_place = std::fs::canonicalize(source).ok() == std::fs::canonicalize(&target).ok();
    if same_place {
        return Ok(());
    }
    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let wanted = read(&weights(source))?;
    if weights(&target).is_file() {
        if read(&weights(&target))? != wanted {
            anyhow::bail!(
                "this study judges with the classifier {}, whose weights differ from those in \
                 {}: continue it with that classifier, or start a new study folder",
                target.display(),
                source.display()
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(&target)
        .with_context(|| format!("cannot create {}", target.display()))?;
    // The config first: a folder with weights is taken as complete.
    write_atomic(
        &target.join("config.json"),
        &read(&source.join("config.json"))?,
    )?;
    write_atomic(&weights(&target), &wanted)
}

/// The folder of the classifier a study names, or None when only the study's own copy in
/// `runs` is left; an error saying so when it is in neither place.
fn classifier_source(study: &Study, runs: &Path) -> Result<Option<std::path::PathBuf>> {
    let source = Path::new(&study.classifier);
    let weights = |dir: &Path| dir.join(crate::eval::classifier::WEIGHTS_FILE);
    if weights(source).is_file() {
        return Ok(Some(source.to_path_buf()));
    }
    if weights(&runs.join(plan::classifier_for(study, study.datasets[0]))).is_file() {
        return Ok(None);
    }
    anyhow::bail!(
        "no classifier {}: it is neither a folder holding {} nor a classifier run in your runs \
         folder (or in {}); train one with `gan-studio classifier train --run NAME`",
        study.classifier,
        crate::eval::classifier::WEIGHTS_FILE,
        runs.display()
    )
}

/// Whether a run needs no more work: evaluated (and retrained with, when the study asks), or
/// failed. Adding `[retraining]` to a finished study so runs only what it adds.
pub fn is_done(runs_dir: &Path, planned: &PlannedRun) -> bool {
    let dir = runs_dir.join(&planned.name);
    dir.join(FAILURE_FILE).is_file()
        || (dir.join("eval.json").is_file()
            && (planned.augment_args.is_none() || dir.join(RETRAINING_FILE).is_file()))
}

/// Runs every run not yet done, in plan order, until `stop` is set. A failing run (NaN losses, a bad option) is
/// recorded in its folder and the study goes on; only trouble with the study's own folder
/// stops it.
pub fn run(
    study: &Study,
    out: &Path,
    data: Option<&Path>,
    live: bool,
    stop: Option<&AtomicBool>,
    on_event: &mut dyn FnMut(Event),
) -> Result<()> {
    let plans = prepare(study, out, data)?;
    let runs = plan::runs_dir(out);
    let total = plans.len();
    for (index, planned) in plans.iter().enumerate() {
        if is_done(&runs, planned) {
            on_event(Event::AlreadyDone {
                index,
                name: planned.name.clone(),
            });
            continue;
        }
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            // Asked to stop: between runs, so nothing is left half done.
            break;
        }
        on_event(Event::Started {
            index,
            total,
            name: planned.name.clone(),
        });
        let started = std::time::Instant::now();
        match run_one(planned, &runs, live) {
            Ok(()) => on_event(Event::Finished {
                index,
                name: planned.name.clone(),
                seconds: started.elapsed().as_secs_f64(),
            }),
            Err(e) => {
                let error = format!("{e:#}");
                let dir = runs.join(&planned.name);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                write_atomic(&dir.join(FAILURE_FILE), error.as_bytes())?;
                on_event(Event::Failed {
                    index,
                    name: planned.name.clone(),
                    error,
                });
            }
        }
    }
    Ok(())
}

/// Trains (or resumes) and evaluates one run.
/// `live`: show training's own progress bar instead of its summary lines.
fn run_one(planned: &PlannedRun, runs: &Path, live: bool) -> Result<()> {
    let dir = runs.join(&planned.name);
    let started = dir.join("config.json").is_file();
    let shown = |mut args: Vec<String>| {
        if live {
            args.retain(|a| a != "--quiet");
        }
        args
    };
    if !started {
        dispatch(&shown(planned.train_args.clone()))?;
    } else if planned.family.family().adversarial() && !trained_to_the_end(runs, &planned.name) {
        // Interrupted: carry on from the latest checkpoint with the saved configuration.
        let mut args: Vec<String> = vec![
            "train".into(),
            "--run".into(),
            planned.name.clone(),
            "--resume".into(),
            "--quiet".into(),
            "--runs-dir".into(),
            runs.display().to_string(),
        ];
        // A picture or data folder given to the study is needed again to resume.
        if let Some(at) = planned.train_args.iter().position(|a| a == "--data") {
            args.extend(planned.train_args[at..].iter().take(2).cloned());
        }
        dispatch(&shown(args))?;
    }
    if let Some(augment) = &planned.augment_args {
        dispatch(&shown(augment.clone()))?;
    }
    dispatch(&planned.eval_args)
}

/// Whether the run's latest checkpoint holds its whole budget: then only what comes after
/// training (retraining, evaluation) is left, and resuming would rewrite its log for nothing.
fn trained_to_the_end(runs: &Path, name: &str) -> bool {
    let latest = crate::train::RunDir::open(runs, name)
        .and_then(|run| crate::train::checkpoint::latest(&run));
    match latest {
        Ok(Some(checkpoint)) => crate::train::checkpoint::load_state(&checkpoint)
            .is_ok_and(|state| state.step >= state.total_steps),
        _ => false,
    }
}

/// Runs `gan-studio ARGS` in this process.
fn dispatch(args: &[String]) -> Result<()> {
    let argv = std::iter::once("gan-studio".to_owned()).chain(args.iter().cloned());
    let cli = crate::cli::Cli::try_parse_from(argv)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim()))?;
    crate::cli::run(cli)
}
