//! `gan-studio study run | plan | report | presets`

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, Subcommand};

use crate::data::DatasetKind;
use crate::study::presets::{PRESETS, preset_text};
use crate::study::{Study, plan, report, runner};

#[derive(Subcommand, Debug)]
pub enum StudyCommand {
    /// Run every run of a study not yet done (train, then eval), then write the report.
    /// Run it again after an interruption: finished runs are kept and the interrupted one
    /// resumes from its checkpoint.
    Run(StudyArgs),
    /// Print one `train ... && eval ...` command line per run, for GNU parallel or a Slurm
    /// job array over machines that share DIR; `study report DIR` gathers them.
    Plan(StudyArgs),
    /// Gather the finished runs of the study in DIR into report.md, report.html,
    /// results.csv, results.json and results.tex.
    Report {
        /// The study folder (holding study.toml and runs/).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// List the built-in studies.
    Presets,
}

#[derive(Args, Debug)]
pub struct StudyArgs {
    /// The study file (TOML; see assets/studies/).
    #[arg(
        value_name = "FILE",
        required_unless_present = "preset",
        conflicts_with = "preset"
    )]
    pub file: Option<PathBuf>,
    /// A built-in study instead of a file (`study presets` lists them).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Run on this data set instead of the study's.
    #[arg(long, value_enum)]
    pub dataset: Option<DatasetKind>,
    /// Seeds 1..=K instead of the study's.
    #[arg(long, value_name = "K")]
    pub seeds: Option<u64>,
    /// Training steps per run instead of the study's.
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// The study folder: study.toml, runs/, the report.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Data folder for every run (default: $GAN_STUDIO_DATA, then the per-user data folder).
    /// With --dataset folder: the picture folder (train/<class>/*.png|jpg) or a tarball of one.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The classifier that scores every run instead of the study's: a classifier run's name
    /// under ./runs or its folder, copied into the study. A study on your own pictures needs
    /// one (`gan-studio classifier train --dataset folder --data DIR --run NAME`).
    #[arg(long, value_name = "NAME")]
    pub classifier: Option<String>,
}

impl StudyArgs {
    fn study(&self) -> Result<Study> {
        // The file as written, checked only once the options beside it are applied: they
        // may complete it (`--data` names the pictures of `datasets = ["folder"]`).
        let (text, origin) = match (&self.file, &self.preset) {
            (Some(file), _) => (
                std::fs::read_to_string(file).map_err(|e| {
                    anyhow::anyhow!("cannot read the study file {}: {e}", file.display())
                })?,
                Some(file),
            ),
            (None, Some(name)) => (preset_text(name)?.to_owned(), None),
            (None, None) => bail!("give a study file or --preset NAME"),
        };
        let in_file = |e: anyhow::Error| match origin {
            Some(file) => anyhow::anyhow!("{}: {e:#}", file.display()),
            None => e,
        };
        let mut study = Study::parse_unchecked(&text).map_err(in_file)?;
        if let Some(dataset) = self.dataset {
            study.datasets = vec![dataset];
        }
        if let Some(k) = self.seeds {
            study.seeds = crate::study::spec::Seeds::Count(k);
        }
        if let Some(steps) = self.steps {
            study.steps = steps;
        }
        if let Some(classifier) = &self.classifier {
            study.classifier = classifier.clone();
        }
        // A picture folder is the study's data set itself, so the study file records it.
        if study.datasets.contains(&DatasetKind::Folder)
            && let Some(data) = &self.data
        {
            study.pictures = Some(std::path::absolute(data).unwrap_or_else(|_| data.clone()));
        }
        study.find_classifier(Path::new(super::DEFAULT_RUNS_DIR));
        // Errors name lines of the user's file; a preset's lines mean nothing to them.
        let lines = if origin.is_some() { text.as_str() } else { "" };
        study.validate(lines).map_err(in_file)?;
        Ok(study)
    }
}

pub fn run(command: StudyCommand) -> Result<()> {
    match command {
        StudyCommand::Run(args) => run_study(&args),
        StudyCommand::Plan(args) => {
            let study = args.study()?;
            let plans = runner::prepare(&study, &args.out, args.data.as_deref())?;
            for p in plans {
                let lines: Vec<String> = p.commands().into_iter().map(plan::shell_line).collect();
                println!("{}", lines.join(" && "));
            }
            Ok(())
        }
        StudyCommand::Report { dir } => write_report(&dir),
        StudyCommand::Presets => {
            for (name, about, _) in PRESETS {
                println!("{name:<12} {about}");
            }
            Ok(())
        }
    }
}

fn write_report(dir: &Path) -> Result<()> {
    let file = dir.join(runner::STUDY_FILE);
    if !file.is_file() {
        bail!(
            "{} is not a study folder (no {}): start one with `study run` or `study plan`",
            dir.display(),
            runner::STUDY_FILE
        );
    }
    let study = Study::read(&file)?;
    let built = report::build(&study, dir);
    let path = report::write(&built, dir)?;
    let finished = built.cells.iter().map(|c| c.seeds_finished).sum::<usize>();
    println!(
        "{finished} of {} runs finished; report in {} and {}",
        built.runs.len(),
        path.display(),
        dir.join("report.html").display()
    );
    Ok(())
}

fn run_study(args: &StudyArgs) -> Result<()> {
    use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
    let study = args.study()?;
    let live = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let multi = super::PROGRESS.get_or_init(MultiProgress::new);
    if !live {
        multi.set_draw_target(ProgressDrawTarget::hidden());
    }
    let bar = multi.add(ProgressBar::new(study.run_count() as u64));
    bar.set_style(
        ProgressStyle::with_template("study {pos}/{len} runs [{bar:30}] eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let mut ran = 0usize;
    runner::run(
        &study,
        &args.out,
        args.data.as_deref(),
        live,
        None,
        &mut |event| match event {
            runner::Event::AlreadyDone { .. } => {
                bar.inc(1);
                bar.reset_eta();
            }
            runner::Event::Started { index, total, name } => {
                bar.set_message(name.clone());
                if !live {
                    let eta = (ran > 0).then(|| {
                        let per = started.elapsed().as_secs_f64() / ran as f64;
                        format!(
                            ", about {:.0} min left",
                            per * (total - index) as f64 / 60.0
                        )
                    });
                    println!(
                        "study: run {}/{total} {name}{}",
                        index + 1,
                        eta.unwrap_or_default()
                    );
                }
            }
            runner::Event::Finished { name, seconds, .. } => {
                ran += 1;
                bar.inc(1);
                let _ = multi.println(format!("finished {name} in {seconds:.0} s"));
                if !live {
                    println!("finished {name} in {seconds:.0} s");
                }
            }
            runner::Event::Failed { name, error, .. } => {
                ran += 1;
                bar.inc(1);
                eprintln!("run {name} failed (recorded, the study goes on): {error}");
            }
        },
    )?;
    bar.finish_and_clear();
    write_report(&args.out)
}
