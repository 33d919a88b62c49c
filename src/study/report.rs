//! The study's report: per-cell figures over seeds, conclusions in plain words that say "no
//! difference" unless the 95% intervals separate, the runs that collapsed, stopped or failed by
//! name, and figures. Written as report.md beside PNGs, one self-contained report.html,
//! results.csv, results.json and a LaTeX table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::plan::{self, Cell, PlannedRun};
use super::results::{METRICS, Outcome, RunResult, metric};
use super::retraining::{self, RetrainSummary};
use super::spec::Study;
use super::stats::{Summary, Verdict, compare};
use crate::fsutil::write_atomic;

/// One cell's figures over its finished seeds.
#[derive(Clone, Debug, Serialize)]
pub struct CellSummary {
    pub dataset: String,
    pub family: String,
    pub option_set: String,
    /// How the report names it ("label smoothing", or "acgan" in a families study).
    pub label: String,
    pub seeds_planned: usize,
    pub seeds_finished: usize,
    /// Finished seeds whose samples miss classes (mode collapse), and seeds that failed or
    /// stopped early: named in the report, counted here.
    pub collapsed: usize,
    pub failed_or_stopped: usize,
    pub figures: BTreeMap<String, Summary>,
    /// The accuracy-vs-ratio curve, when the study retrains the classifier.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retraining: Vec<RetrainSummary>,
}

impl CellSummary {
    /// Whether `run` is one of this cell's seeds.
    fn holds(&self, run: &RunResult) -> bool {
        run.dataset == self.dataset
            && run.family == self.family
            && run.option_set == self.option_set
    }
}

/// Everything the report says, as results.json holds it.
#[derive(Clone, Debug, Serialize)]
pub struct StudyReport {
    pub study: Study,
    pub runs: Vec<RunResult>,
    pub cells: Vec<CellSummary>,
    /// Per data set, the conclusions in plain words.
    pub conclusions: BTreeMap<String, Vec<String>>,
    /// Runs that collapsed, stopped early or failed, each with why.
    pub named_runs: Vec<String>,
}

/// Metrics compared in the conclusions (wall time, coverage and in-class diversity, whose best
/// is the real images' 1 rather than the most, are reported, not judged).
const JUDGED: [&str; 8] = [
    "success_rate",
    "inception_score",
    "fid",
    "precision",
    "recall",
    "memorised_share",
    "category_accuracy",
    "d_loss_spread",
];

/// Gathers the finished runs of `study` under `out` into a report.
pub fn build(study: &Study, out: &Path) -> StudyReport {
    let plans = plan::expand(study, out, None);
    let runs = super::results::gather(&plans, &plan::runs_dir(out), study.steps);
    let cells = summarise(study, &plans, &runs);
    let conclusions = conclude(study, &cells);
    let named_runs = name_runs(study, &plans, &runs);
    StudyReport {
        study: study.clone(),
        runs,
        cells,
        conclusions,
        named_runs,
    }
}

fn cells_in_order(plans: &[PlannedRun]) -> Vec<Cell> {
    let mut cells: Vec<Cell> = Vec::new();
    for p in plans {
        let cell = p.cell();
        if !cells.contains(&cell) {
            cells.push(cell);
        }
    }
    cells
}

fn summarise(study: &Study, plans: &[PlannedRun], runs: &[RunResult]) -> Vec<CellSummary> {
    cells_in_order(plans)
        .into_iter()
        .map(|cell| {
            let members: Vec<&RunResult> = plans
                .iter()
                .zip(runs)
                .filter(|(p, _)| p.cell() == cell)
                .map(|(_, r)| r)
                .collect();
            let finished: Vec<&&RunResult> = members
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Finished { .. }))
                .collect();
            let mut figures = BTreeMap::new();
            for m in &METRICS {
                let values: Vec<f64> = finished.iter().filter_map(|r| r.figure(m.key)).collect();
                if let Some(summary) = Summary::of(&values) {
                    figures.insert(m.key.to_owned(), summary);
                }
            }
            let collapsed = finished
                .iter()
                .filter(|r| {
                    matches!(
                        r.outcome,
                        Outcome::Finished {
                            collapsed: true,
                            ..
                        }
                    )
                })
                .count();
            let failed_or_stopped = members
                .iter()
                .filter(|r| {
                    matches!(
                        r.outcome,
                        Outcome::Failed { .. }
                            | Outcome::Finished {
                                stopped_at: Some(_),
                                ..
                            }
                    )
                })
                .count();
            CellSummary {
                dataset: cell.dataset.folder().to_owned(),
                family: cell.family.name().to_owned(),
                option_set: cell.option_set.clone(),
                label: cell.label(study),
                seeds_planned: members.len(),
                seeds_finished: finished.len(),
                collapsed,
                failed_or_stopped,
                figures,
                retraining: retraining::summarise(
                    &finished.iter().map(|r| **r).collect::<Vec<_>>(),
                ),
            }
        })
        .collect()
}

/// Each cell against its data set's first cell (the baseline), then the best cell on each
/// metric where one stands clear of all the others.
fn conclude(study: &Study, cells: &[CellSummary]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for dataset in &study.datasets {
        let name = dataset.folder().to_owned();
        let group: Vec<&CellSummary> = cells.iter().filter(|c| c.dataset == name).collect();
        let mut lines = Vec::new();
        let min_seeds = group.iter().map(|c| c.seeds_finished).min().unwrap_or(0);
        if group.len() < 2 {
            lines.push("One cell: nothing to compare.".to_owned());
        } else if min_seeds < 2 {
            lines.push(
                "Some cells have fewer than 2 finished seeds, so they have no interval and no \
                 conclusion is drawn for them; run the study with more seeds (--seeds 3)."
                    .to_owned(),
            );
        }
        if let Some((baseline, others)) = group.split_first() {
            for cell in others {
                if let Some(line) = against(cell, baseline) {
                    lines.push(line);
                }
            }
        }
        for key in JUDGED {
            if let Some(line) = best_on(&group, key) {
                lines.push(line);
            }
        }
        lines.extend(retraining::conclude(&retrain_cells(&group)));
        out.insert(name, lines);
    }
    out
}

/// The cells that have a retraining curve, as (label, curve).
fn retrain_cells<'a>(group: &[&'a CellSummary]) -> Vec<(&'a str, &'a [RetrainSummary])> {
    group
        .iter()
        .filter(|c| !c.retraining.is_empty())
        .map(|c| (c.label.as_str(), c.retraining.as_slice()))
        .collect()
}

fn cells_of<'a>(report: &'a StudyReport, dataset: &str) -> Vec<&'a CellSummary> {
    report
        .cells
        .iter()
        .filter(|c| c.dataset == dataset)
        .collect()
}

fn against(cell: &CellSummary, baseline: &CellSummary) -> Option<String> {
    let (mut better, mut worse, mut same, mut untold) = (vec![], vec![], vec![], vec![]);
    for key in JUDGED {
        let (Some(a), Some(b), Some(m)) = (
            cell.figures.get(key),
            baseline.figures.get(key),
            metric(key),
        ) else {
            continue;
        };
        let detail = format!("{} ({} vs {})", m.title, a.show(m.digits), b.show(m.digits));
        match judged(a, b, m) {
            Verdict::FirstBetter => better.push(detail),
            Verdict::SecondBetter => worse.push(detail),
            Verdict::NoDifference => same.push(m.title),
            Verdict::TooFewSeeds => untold.push(m.title),
        }
    }
    if better.is_empty() && worse.is_empty() && same.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !better.is_empty() {
        parts.push(format!("better on {}", better.join(", ")));
    }
    if !worse.is_empty() {
        parts.push(format!("worse on {}", worse.join(", ")));
    }
    if !same.is_empty() {
        parts.push(format!(
            "no difference we can tell with {} seeds on {}",
            cell.seeds_finished.min(baseline.seeds_finished),
            same.join(", ")
        ));
    }
    Some(format!(
        "**{}** against **{}**: {}.",
        cell.label,
        baseline.label,
        parts.join("; ")
    ))
}

/// [`compare`], except that means equal at the digits the table shows are no difference:
/// seeds that agree exactly give intervals of no width, which would call 1.0001 "better" than
/// 1.0000 and print "better (1.00 ± 0.00 vs 1.00 ± 0.00)".
fn judged(a: &Summary, b: &Summary, m: &crate::study::results::Metric) -> Verdict {
    let digits = m.digits;
    if format!("{:.digits$}", a.mean) == format!("{:.digits$}", b.mean) {
        return match compare(a, b, m.better) {
            Verdict::TooFewSeeds => Verdict::TooFewSeeds,
            _ => Verdict::NoDifference,
        };
    }
    compare(a, b, m.better)
}

fn best_on(group: &[&CellSummary], key: &str) -> Option<String> {
    let m = metric(key)?;
    let scored: Vec<(&CellSummary, &Summary)> = group
        .iter()
        .filter_map(|c| c.figures.get(key).map(|s| (*c, s)))
        .collect();
    if scored.len() < 3 {
        return None; // with two cells the comparison above already says it
    }
    scored.iter().find_map(|(cell, summary)| {
        let clear = scored.iter().all(|(other, s)| {
            std::ptr::eq(*other, *cell) || judged(summary, s, &m) == Verdict::FirstBetter
        });
        clear.then(|| {
            format!(
                "**{}** is the best on {} ({}), clear of every other cell's interval.",
                cell.label,
                m.title,
                summary.show(m.digits)
            )
        })
    })
}

fn name_runs(study: &Study, plans: &[PlannedRun], runs: &[RunResult]) -> Vec<String> {
    plans
        .iter()
        .zip(runs)
        .filter_map(|(p, r)| {
            let who = format!("{} ({}, seed {})", r.name, p.cell().label(study), r.seed);
            match &r.outcome {
                Outcome::Failed { error } => Some(format!("{who} failed: {error}")),
                Outcome::Finished {
                    collapsed: true, ..
                } => Some(format!(
                    "{who} collapsed: some classes are nearly missing from its samples"
                )),
                Outcome::Finished {
                    stopped_at: Some(step),
                    ..
                } => Some(format!(
                    "{who} stopped at step {step} of {} (diverged)",
                    study.steps
                )),
                _ => None,
            }
        })
        .collect()
}

/// Writes report.md, report.html, results.csv, results.json, results.tex and figures/ into
/// `out`; returns the report's path.
pub fn write(report: &StudyReport, out: &Path) -> Result<PathBuf> {
    let figures = figures(report, out)?;
    write_atomic(
        &out.join("results.json"),
        serde_json::to_string_pretty(report)?.as_bytes(),
    )?;
    write_atomic(&out.join("results.csv"), csv(report).as_bytes())?;
    write_atomic(&out.join("results.tex"), latex(report).as_bytes())?;
    let markdown = markdown(report, &figures);
    write_atomic(&out.join("report.md"), markdown.as_bytes())?;
    write_atomic(
        &out.join("report.html"),
        html(report, &figures, out)?.as_bytes(),
    )?;
    Ok(out.join("report.md"))
}

/// A figure: its caption and path relative to the study folder.
struct Figure {
    dataset: String,
    caption: String,
    path: String,
}

fn figures(report: &StudyReport, out: &Path) -> Result<Vec<Figure>> {
    let dir = out.join("figures");
    std::fs::create_dir_all(&dir)?;
    let mut figures = Vec::new();
    for dataset in &report.study.datasets {
        let name = dataset.folder();
        let cells: Vec<&CellSummary> = report.cells.iter().filter(|c| c.dataset == name).collect();
        for key in [
            "success_rate",
            "inception_score",
            "fid",
            "recall",
            "d_loss_spread",
        ] {
            let Some(m) = metric(key) else { continue };
            let bars: Vec<crate::export::plot::IntervalBar> = cells
                .iter()
                .filter_map(|c| {
                    c.figures
                        .get(key)
                        .map(|s| (c.label.clone(), s.mean, s.ci95))
                })
                .collect();
            if bars.is_empty() {
                continue;
            }
            let file = format!("{name}-{key}.png");
            crate::export::plot::interval_bars_png(
                &dir.join(&file),
                &format!("{} ({}): mean and 95% interval", m.title, dataset.title()),
                m.title,
                &bars,
            )?;
            figures.push(Figure {
                dataset: name.to_owned(),
                caption: format!("{} per cell, mean and 95% interval over seeds", m.title),
                path: format!("figures/{file}"),
            });
        }
        for (cell, run) in first_finished(report, name) {
            let file = format!("{name}-grid-{}.png", plan::slug(&cell.label));
            match sample_grid(&plan::runs_dir(out), &run, &dir.join(&file)) {
                Ok(()) => figures.push(Figure {
                    dataset: name.to_owned(),
                    caption: format!(
                        "{}: samples of seed {} (the same latents and labels in every cell)",
                        cell.label,
                        report
                            .runs
                            .iter()
                            .find(|r| r.name == run)
                            .map_or(0, |r| r.seed)
                    ),
                    path: format!("figures/{file}"),
                }),
                Err(e) => eprintln!("warning: no sample grid for {run}: {e:#}"),
            }
        }
        let series = retraining::curves(&retrain_cells(&cells));
        if !series.is_empty() {
            let file = format!("{name}-retraining.png");
            crate::export::plot::lines_png(
                &dir.join(&file),
                &format!(
                    "Classifier test accuracy with synthetic data ({})",
                    dataset.title()
                ),
                "synthetic images per 100 real",
                "test accuracy (%, mean over seeds, bars: ± sd)",
                &series,
            )?;
            figures.push(Figure {
                dataset: name.to_owned(),
                caption: "Accuracy against the synthetic-to-real ratio: a classifier trained on \
                          few real images per class with each cell's samples mixed in, mean \
                          over seeds with ± one standard deviation"
                    .to_owned(),
                path: format!("figures/{file}"),
            });
        }
        for (key, title) in super::results::CURVES {
            let series = curve_series(report, name, key);
            if series.is_empty() {
                continue;
            }
            let file = format!("{name}-{}.png", key.replace('_', "-"));
            crate::export::plot::lines_png(
                &dir.join(&file),
                &format!("{title} during training ({})", dataset.title()),
                "step",
                &format!("{title} (mean over seeds, bars: ± sd)"),
                &series,
            )?;
            figures.push(Figure {
                dataset: name.to_owned(),
                caption: format!(
                    "{title} while training, mean over seeds with ± one standard deviation"
                ),
                path: format!("figures/{file}"),
            });
        }
    }
    Ok(figures)
}

/// Each cell of `dataset` with its first finished run.
fn first_finished(report: &StudyReport, dataset: &str) -> Vec<(CellSummary, String)> {
    report
        .cells
        .iter()
        .filter(|c| c.dataset == dataset)
        .filter_map(|c| {
            let run = report
                .runs
                .iter()
                .find(|r| c.holds(r) && matches!(r.outcome, Outcome::Finished { .. }))?;
            Some((c.clone(), run.name.clone()))
        })
        .collect()
}

/// Eight samples per class (or 64 for unconditional families) from a fixed seed, so every
/// cell's grid shows the same latents and labels.
fn sample_grid(runs_dir: &Path, run: &str, path: &Path) -> Result<()> {
    use crate::export::grid::{GridLayout, save_grid_png};
    use crate::sampling::{FixedBatch, generate_pixels};
    const PER_CLASS: usize = 8;
    let device = burn::prelude::Device::flex();
    let trained = crate::train::open_trained_run(runs_dir, run, &device)?;
    let gan = &trained.config.gan;
    let conditional = gan.model.is_conditional();
    let batch = FixedBatch::new(
        1,
        gan.latent_dim,
        conditional,
        gan.num_classes,
        PER_CLASS,
        if conditional {
            gan.num_classes
        } else {
            PER_CLASS
        },
    );
    let pixels = generate_pixels(
        &trained.generator,
        gan,
        &batch.latents,
        batch.labels.as_deref(),
        &device,
    )?;
    let layout = GridLayout {
        cols: PER_CLASS,
        scale: 2,
        ..GridLayout::default()
    };
    let side = gan.image_size;
    save_grid_png(path, &pixels, batch.count, side, side, &layout)
}

/// One curve per cell: the mean over its seeds of training curve `key`, with the seeds' sd.
fn curve_series(
    report: &StudyReport,
    dataset: &str,
    key: &str,
) -> Vec<crate::export::plot::Series> {
    let mut series = Vec::new();
    for cell in report.cells.iter().filter(|c| c.dataset == dataset) {
        let curves: Vec<&Vec<(usize, f64)>> = report
            .runs
            .iter()
            .filter(|r| cell.holds(r))
            .filter_map(|r| match &r.outcome {
                Outcome::Finished { curves, .. } => curves.get(key).filter(|c| !c.is_empty()),
                _ => None,
            })
            .collect();
        let Some(len) = curves.iter().map(|c| c.len()).min() else {
            continue;
        };
        let points = (0..len)
            .map(|i| {
                let values: Vec<f64> = curves.iter().map(|c| c[i].1).collect();
                let s = Summary::of(&values).unwrap_or(Summary {
                    n: 0,
                    mean: f64::NAN,
                    sd: 0.0,
                    ci95: None,
                });
                (curves[0][i].0 as f64, s.mean, s.sd)
            })
            .collect();
        series.push((cell.label.clone(), points));
    }
    series
}

/// The headline table rows of one data set: label, seeds, then "mean ± sd" per metric.
fn table(report: &StudyReport, dataset: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let cells: Vec<&CellSummary> = report
        .cells
        .iter()
        .filter(|c| c.dataset == dataset)
        .collect();
    let shown: Vec<_> = METRICS
        .iter()
        .filter(|m| cells.iter().any(|c| c.figures.contains_key(m.key)))
        .collect();
    let mut header = vec!["cell".to_owned(), "seeds".to_owned()];
    header.extend(shown.iter().map(|m| m.title.to_owned()));
    header.extend(["collapsed".to_owned(), "failed or stopped".to_owned()]);
    let rows = cells
        .iter()
        .map(|c| {
            let mut row = vec![
                c.label.clone(),
                format!("{}/{}", c.seeds_finished, c.seeds_planned),
            ];
            row.extend(shown.iter().map(|m| {
                c.figures
                    .get(m.key)
                    .map(|s| s.show(m.digits))
                    .unwrap_or_else(|| "-".into())
            }));
            row.push(c.collapsed.to_string());
            row.push(c.failed_or_stopped.to_string());
            row
        })
        .collect();
    (header, rows)
}

/// Which judge scored each data set's runs, and a warning where one set's runs had several:
/// their figures would not compare (a classifier retrained between runs, say).
fn judges(report: &StudyReport) -> String {
    let mut by_set: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for run in &report.runs {
        if let Outcome::Finished { judge, .. } = &run.outcome
            && !judge.is_empty()
        {
            let judges = by_set.entry(run.dataset.as_str()).or_default();
            if !judges.contains(&judge.as_str()) {
                judges.push(judge);
            }
        }
    }
    if by_set.is_empty() {
        return String::new();
    }
    let short = |j: &&str| crate::eval::report::short_digest(j);
    let named: Vec<String> = by_set
        .iter()
        .map(|(set, judges)| {
            format!(
                "{set} {}",
                judges.iter().map(short).collect::<Vec<_>>().join(" and ")
            )
        })
        .collect();
    let mut text = format!(
        " Judges (SHA-256 of the classifier's weights): {}.",
        named.join("; ")
    );
    for (set, judges) in &by_set {
        if judges.len() > 1 {
            text.push_str(&format!(
                " **The {set} runs were scored by {} different judges: their figures do not \
                 compare.**",
                judges.len()
            ));
        }
    }
    text
}

fn intro(report: &StudyReport) -> String {
    let s = &report.study;
    let finished = report
        .runs
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Finished { .. }))
        .count();
    format!(
        "{} runs planned ({} finished): data sets {}; families {}; {} option set(s); seeds {:?}; \
         {} steps at batch {} each; {} samples per evaluation, scored by the {} classifier.{} \
         Figures are mean ± standard deviation over seeds; conclusions compare 95% intervals \
         of the mean (Student's t) and say \"no difference\" where they overlap.",
        report.runs.len(),
        finished,
        s.datasets
            .iter()
            .map(|d| match (d, &s.pictures) {
                (crate::data::DatasetKind::Folder, Some(p)) =>
                    format!("pictures ({})", p.display()),
                _ => d.folder().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        s.families
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", "),
        s.option_sets.len(),
        s.seeds.values(),
        s.steps,
        s.batch_size,
        s.eval_samples,
        // A copied classifier by the name it has in the study's runs/.
        match s.datasets.first() {
            Some(&d) if s.classifier != "bundled" => super::plan::classifier_for(s, d),
            _ => s.classifier.clone(),
        },
        judges(report)
    )
}

const RETRAINING_CAPTION: &str = "\nRetraining: test accuracy (mean ± sd over seeds) of the \
    LeNet trained on the given real images per class plus each cell's samples at each ratio \
    (`gan-studio augment`, one seed per run).\n\n";

fn markdown(report: &StudyReport, figures: &[Figure]) -> String {
    let mut md = format!("# Study: {}\n\n{}\n\n", report.study.name, intro(report));
    for dataset in &report.study.datasets {
        let name = dataset.folder();
        let _ = writeln!(md, "## {}\n", dataset.title());
        let (header, rows) = table(report, name);
        let _ = writeln!(md, "| {} |", header.join(" | "));
        let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
        for row in rows {
            let _ = writeln!(md, "| {} |", row.join(" | "));
        }
        let (header, rows) = retraining::table(&retrain_cells(&cells_of(report, name)));
        if !rows.is_empty() {
            md.push_str(RETRAINING_CAPTION);
            let _ = writeln!(md, "| {} |", header.join(" | "));
            let _ = writeln!(md, "|{}", "---|".repeat(header.len()));
            for row in rows {
                let _ = writeln!(md, "| {} |", row.join(" | "));
            }
        }
        md.push_str("\n### Conclusions\n\n");
        for line in report.conclusions.get(name).into_iter().flatten() {
            let _ = writeln!(md, "- {line}");
        }
        md.push('\n');
        for f in figures.iter().filter(|f| f.dataset == name) {
            let _ = writeln!(md, "![{}]({})\n", f.caption, f.path);
        }
    }
    md.push_str("## Runs named\n\n");
    if report.named_runs.is_empty() {
        md.push_str("No run collapsed, stopped early or failed.\n");
    }
    for line in &report.named_runs {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(
        md,
        "\nEvery figure per run: results.csv and results.json; a LaTeX table: results.tex."
    );
    md
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown's **bold** as <b>, the rest escaped.
fn inline_html(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape_html(text).split("**").enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<b>{part}</b>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// A header row and body rows as an HTML table, every cell escaped.
fn html_table(header: &[String], rows: &[Vec<String>]) -> String {
    let row = |cells: &[String], tag: &str| {
        let cells: String = cells
            .iter()
            .map(|c| format!("<{tag}>{}</{tag}>", escape_html(c)))
            .collect();
        format!("<tr>{cells}</tr>")
    };
    let body: String = rows.iter().map(|r| row(r, "td")).collect();
    format!("<table>{}{body}</table>", row(header, "th"))
}

/// One file that opens in any browser: figures inline as data URIs.
fn html(report: &StudyReport, figures: &[Figure], out: &Path) -> Result<String> {
    use base64::Engine as _;
    let mut h = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Study</title><style>\
         body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
         table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;\
         text-align:right}td:first-child,th:first-child{text-align:left}th{background:#eee}\
         li{margin:0.3em 0}.figures{display:grid;gap:12px;align-items:start;\
         grid-template-columns:repeat(auto-fill,minmax(480px,1fr))}figure{margin:0}\
         figure img{width:100%;border:1px solid #ddd}figcaption{font-size:0.85em;color:#555}\
         </style></head><body>",
    );
    let _ = write!(
        h,
        "<h1>Study: {}</h1><p>{}</p>",
        escape_html(&report.study.name),
        escape_html(&intro(report))
    );
    for dataset in &report.study.datasets {
        let name = dataset.folder();
        let _ = write!(h, "<h2>{}</h2>", dataset.title());
        let (header, rows) = table(report, name);
        h.push_str(&html_table(&header, &rows));
        let (header, rows) = retraining::table(&retrain_cells(&cells_of(report, name)));
        if !rows.is_empty() {
            let _ = write!(h, "<p>{}</p>", escape_html(RETRAINING_CAPTION.trim()));
            h.push_str(&html_table(&header, &rows));
        }
        h.push_str("<h3>Conclusions</h3><ul>");
        for line in report.conclusions.get(name).into_iter().flatten() {
            let _ = write!(h, "<li>{}</li>", inline_html(line));
        }
        // A grid of captioned figures, each cell top-aligned: as inline images of different
        // heights they sat on one baseline, and the sample grids had no caption (seen in
        // Chromium).
        h.push_str("</ul><div class=\"figures\">");
        for f in figures.iter().filter(|f| f.dataset == name) {
            let bytes = std::fs::read(out.join(&f.path))?;
            let caption = escape_html(&f.caption);
            let _ = write!(
                h,
                "<figure><img alt=\"{caption}\" src=\"data:image/png;base64,{}\">\
                 <figcaption>{caption}</figcaption></figure>",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            );
        }
        h.push_str("</div>");
    }
    h.push_str("<h2>Runs named</h2><ul>");
    if report.named_runs.is_empty() {
        h.push_str("<li>No run collapsed, stopped early or failed.</li>");
    }
    for line in &report.named_runs {
        let _ = write!(h, "<li>{}</li>", escape_html(line));
    }
    h.push_str("</ul></body></html>\n");
    Ok(h)
}

fn csv(report: &StudyReport) -> String {
    let mut text = String::from("run,dataset,family,option_set,seed,status");
    for m in &METRICS {
        let _ = write!(text, ",{}", m.key);
    }
    // Retraining columns: every (real per class, ratio) any run has.
    let mut retrain_keys: Vec<String> = Vec::new();
    for r in &report.runs {
        if let Outcome::Finished { retraining, .. } = &r.outcome {
            for p in retraining {
                let key = retraining::csv_key(p);
                if !retrain_keys.contains(&key) {
                    retrain_keys.push(key);
                }
            }
        }
    }
    for key in &retrain_keys {
        let _ = write!(text, ",{key}");
    }
    text.push_str(",collapsed,stopped_at,error\n");
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for r in &report.runs {
        let (status, collapsed, stopped, error) = match &r.outcome {
            Outcome::Finished {
                collapsed,
                stopped_at,
                ..
            } => (
                "finished",
                collapsed.to_string(),
                stopped_at.map(|s| s.to_string()).unwrap_or_default(),
                String::new(),
            ),
            Outcome::Failed { error } => ("failed", String::new(), String::new(), error.clone()),
            Outcome::Pending => ("pending", String::new(), String::new(), String::new()),
        };
        let _ = write!(
            text,
            "{},{},{},{},{},{status}",
            r.name,
            r.dataset,
            r.family,
            quote(&r.option_set),
            r.seed
        );
        for m in &METRICS {
            let _ = write!(
                text,
                ",{}",
                r.figure(m.key).map(|v| v.to_string()).unwrap_or_default()
            );
        }
        for key in &retrain_keys {
            let value = match &r.outcome {
                Outcome::Finished { retraining, .. } => retraining
                    .iter()
                    .find(|p| retraining::csv_key(p) == *key)
                    .map(|p| p.accuracy.to_string()),
                _ => None,
            };
            let _ = write!(text, ",{}", value.unwrap_or_default());
        }
        let _ = writeln!(text, ",{collapsed},{stopped},{}", quote(&error));
    }
    text
}

fn latex(report: &StudyReport) -> String {
    let escape = |s: &str| {
        s.replace('\\', "\\textbackslash{}")
            .replace('&', "\\&")
            .replace('%', "\\%")
            .replace('_', "\\_")
            .replace('#', "\\#")
    };
    let mut tex = String::new();
    let mut tabular = |what: String, header: Vec<String>, rows: Vec<Vec<String>>| {
        let _ = writeln!(
            tex,
            "% {} -- {what}: mean $\\pm$ sd over seeds\n\\begin{{tabular}}{{l{}}}\n\\hline",
            escape(&report.study.name),
            "r".repeat(header.len() - 1)
        );
        let _ = writeln!(
            tex,
            "{} \\\\\n\\hline",
            header
                .iter()
                .map(|h| escape(h))
                .collect::<Vec<_>>()
                .join(" & ")
        );
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| escape(c).replace('±', "$\\pm$"))
                .collect();
            let _ = writeln!(tex, "{} \\\\", cells.join(" & "));
        }
        tex.push_str("\\hline\n\\end{tabular}\n\n");
    };
    for dataset in &report.study.datasets {
        let (header, rows) = table(report, dataset.folder());
        tabular(dataset.title().to_owned(), header, rows);
        let (header, rows) = retraining::table(&retrain_cells(&cells_of(report, dataset.folder())));
        if !rows.is_empty() {
            tabular(
                format!("{}, retraining accuracy", dataset.title()),
                header,
                rows,
            );
        }
    }
    tex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(label: &str, success: &[f64], fid: &[f64]) -> CellSummary {
        let mut figures = BTreeMap::new();
        figures.insert("success_rate".to_owned(), Summary::of(success).unwrap());
        figures.insert("fid".to_owned(), Summary::of(fid).unwrap());
        CellSummary {
            dataset: "mnist".into(),
            family: "cdcgan".into(),
            option_set: label.into(),
            label: label.into(),
            seeds_planned: success.len(),
            seeds_finished: success.len(),
            collapsed: 0,
            failed_or_stopped: 0,
            figures,
            retraining: Vec::new(),
        }
    }

    fn study() -> Study {
        super::super::presets::preset("tricks").unwrap()
    }

    /// A finished run of `dataset` scored by `judge`.
    fn run(name: &str, dataset: &str, judge: &str) -> RunResult {
        RunResult {
            name: name.into(),
            dataset: dataset.into(),
            family: "cdcgan".into(),
            option_set: "default".into(),
            seed: 1,
            outcome: Outcome::Finished {
                figures: BTreeMap::new(),
                collapsed: false,
                stopped_at: None,
                curves: BTreeMap::new(),
                retraining: Vec::new(),
                judge: judge.into(),
            },
        }
    }

    #[test]
    fn the_intro_names_each_data_sets_judge_and_flags_a_second_one() {
        let report = |runs| StudyReport {
            study: study(),
            runs,
            cells: Vec::new(),
            conclusions: BTreeMap::new(),
            named_runs: Vec::new(),
        };
        let (a, b, f) = ("a".repeat(64), "b".repeat(64), "f".repeat(64));
        let one = intro(&report(vec![
            run("r1", "mnist", &a),
            run("r2", "mnist", &a),
            run("r3", "fashion-mnist", &f),
        ]));
        assert!(
            one.contains("Judges (SHA-256 of the classifier's weights): fashion-mnist ffffffffffff; mnist aaaaaaaaaaaa."),
            "{one}"
        );
        assert!(!one.contains("do not compare"), "{one}");
        let two = intro(&report(vec![
            run("r1", "mnist", &a),
            run("r2", "mnist", &b),
        ]));
        assert!(two.contains("mnist aaaaaaaaaaaa and bbbbbbbbbbbb"), "{two}");
        assert!(
            two.contains(
                "The mnist runs were scored by 2 different judges: their figures do not compare."
            ),
            "{two}"
        );
        // Evaluations from before judges were recorded add nothing.
        assert!(!intro(&report(vec![run("r1", "mnist", "")])).contains("Judges"));
    }

    #[test]
    fn separated_intervals_name_the_winner_and_overlapping_ones_say_no_difference() {
        let base = cell("default", &[0.91, 0.90, 0.92], &[5.0, 6.0, 5.5]);
        let better = cell("smoothing", &[0.97, 0.98, 0.96], &[5.1, 6.2, 5.4]);
        let lines = conclude(&study(), &[base, better]);
        let text = lines["mnist"].join("\n");
        assert!(
            text.contains(
                "**smoothing** against **default**: better on success rate \
                           (0.970 ± 0.010 vs 0.910 ± 0.010)"
            ),
            "{text}"
        );
        assert!(
            text.contains("no difference we can tell with 3 seeds on Fréchet distance"),
            "{text}"
        );
        assert!(!text.contains("worse"), "{text}");
    }

    #[test]
    fn a_clear_best_of_three_is_named_and_noise_is_not() {
        let a = cell("a", &[0.90, 0.91, 0.92], &[9.0, 9.5, 9.2]);
        let b = cell("b", &[0.70, 0.99, 0.85], &[5.0, 5.1, 5.2]);
        let c = cell("c", &[0.80, 0.95, 0.90], &[7.0, 7.2, 7.1]);
        let text = conclude(&study(), &[a, b, c])["mnist"].join("\n");
        assert!(
            text.contains("**b** is the best on Fréchet distance"),
            "{text}"
        );
        assert!(!text.contains("best on success rate"), "{text}");
    }

    #[test]
    fn a_difference_the_table_cannot_show_is_no_difference() {
        // Seeds that agree exactly: intervals of no width, FID 1.0001 against 1.0000.
        let a = cell("a", &[0.5, 0.5], &[1.0001, 1.0001]);
        let b = cell("b", &[0.5, 0.5], &[1.0000, 1.0000]);
        let c = cell("c", &[0.5, 0.5], &[1.0000, 1.0000]);
        let text = conclude(&study(), &[a, b, c])["mnist"].join("\n");
        assert!(
            !text.contains("better on") && !text.contains("best on"),
            "{text}"
        );
        assert!(
            text.contains("no difference we can tell with 2 seeds"),
            "{text}"
        );
    }

    #[test]
    fn one_seed_draws_no_conclusion() {
        let a = cell("a", &[0.90], &[9.0]);
        let b = cell("b", &[0.99], &[5.0]);
        let text = conclude(&study(), &[a, b])["mnist"].join("\n");
        assert!(text.contains("fewer than 2 finished seeds"), "{text}");
        assert!(
            !text.contains("better on") && !text.contains("worse on"),
            "{text}"
        );
    }
}
