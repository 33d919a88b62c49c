//! `gan-studio report`: one comparison table across runs, as markdown and CSV.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use crate::eval::run_eval::RunEval;
use crate::fsutil::write_atomic;
use crate::train::{RunDir, TrainConfig, checkpoint};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run folders (e.g. runs/*); folders without a config.json, and classifier runs, are
    /// skipped.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Write the table here as markdown (FILE.md) and CSV (FILE.csv).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

const COLUMNS: [&str; 17] = [
    "run",
    "model",
    "data set",
    "depth",
    "g-norm",
    "real target",
    "trained steps",
    "train s",
    "evaluated step",
    "evaluated weights",
    "judge",
    "IS",
    "success",
    "FID",
    "precision",
    "recall",
    "memorised",
];

pub fn run(args: ReportArgs) -> Result<()> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut unreadable = 0;
    for dir in &args.runs {
        // A classifier run (runs/* holds them too) is a judge, not a row.
        if !dir.join("config.json").is_file() || dir.join("classifier.bpk").is_file() {
            continue;
        }
        // One damaged run (an edited config, a truncated checkpoint) must not hide the others.
        match row(dir) {
            Ok(row) => rows.push(row),
            Err(e) => {
                unreadable += 1;
                eprintln!("warning: left out {}: {e:#}", dir.display());
            }
        }
    }
    if rows.is_empty() {
        bail!(
            "none of the given folders holds a readable run (config.json){}",
            if unreadable > 0 {
                format!("; {unreadable} could not be read (see above)")
            } else {
                String::new()
            }
        );
    }
    let mixed = mixed_measures(&rows);
    let markdown = {
        let mut out = format!(
            "| {} |\n|{}\n",
            COLUMNS.join(" | "),
            "---|".repeat(COLUMNS.len())
        );
        for row in &rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        if let Some(note) = &mixed {
            eprintln!("warning: {note}");
            out.push_str(&format!("\nNote: {note}.\n"));
        }
        out
    };
    // RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled, so
    // spreadsheets read every run name as one cell.
    let field = |f: &str| {
        if f.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_owned()
        }
    };
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        cells.map(field).collect::<Vec<_>>().join(",") + "\r\n"
    };
    let csv = {
        let mut out = line(&mut COLUMNS.iter().copied());
        for row in &rows {
            out.push_str(&line(&mut row.iter().map(String::as_str)));
        }
        out
    };
    print!("{markdown}");
    if let Some(out) = &args.out {
        write_atomic(&out.with_extension("md"), markdown.as_bytes())?;
        write_atomic(&out.with_extension("csv"), csv.as_bytes())?;
    }
    Ok(())
}

/// "sha256 " and the first 12 hex digits of a digest, or "(not recorded)" for an evaluation
/// from before it was kept.
fn digest_cell(sha256: &str) -> String {
    if sha256.is_empty() {
        "(not recorded)".into()
    } else {
        format!("sha256 {}", crate::eval::report::short_digest(sha256))
    }
}

/// What a reader must know when the rows were not all measured the same way: scores from two
/// judges, or of two data sets, do not compare.
fn mixed_measures(rows: &[Vec<String>]) -> Option<String> {
    let distinct = |column: &str| {
        let at = COLUMNS.iter().position(|c| *c == column)?;
        let mut values: Vec<&str> = rows
            .iter()
            .map(|row| row[at].as_str())
            .filter(|v| v.starts_with("sha256") || column == "data set")
            .collect();
        values.sort_unstable();
        values.dedup();
        (values.len() > 1).then(|| values.join(", "))
    };
    let mut notes = Vec::new();
    if let Some(sets) = distinct("data set") {
        notes.push(format!("trained on different data sets ({sets})"));
    }
    if let Some(judges) = distinct("judge") {
        notes.push(format!("were scored by different classifiers ({judges})"));
    }
    (!notes.is_empty()).then(|| {
        format!(
            "the runs {}: IS, success, FID, precision and recall compare only between rows of \
             the same data set and judge",
            notes.join(" and ")
        )
    })
}

/// The table row of the run in `dir`: its config, newest checkpoint and eval.json.
pub fn row(dir: &std::path::Path) -> Result<Vec<String>> {
    let run = RunDir {
        root: dir.to_path_buf(),
    };
    let config = TrainConfig::load_run(&run.config())?;
    let state = match checkpoint::latest(&run)? {
        Some(c) => Some(checkpoint::load_state(&c)?),
        None => None,
    };
    // The scores describe the step and weights eval.json names, which need not be the
    // run's newest checkpoint (a run resumed after its evaluation).
    let eval_path = run.root.join("eval.json");
    // A missing eval.json is a run not evaluated; a damaged one is reported.
    let eval = if eval_path.exists() {
        Some(RunEval::read(&eval_path)?)
    } else {
        None
    };
    let number = |value: Option<f64>, digits: usize| {
        value.map_or("-".to_string(), |v| format!("{v:.digits$}"))
    };
    let report = eval.as_ref().map(|e| &e.report);
    if report.is_some_and(|r| r.memorisation_singled_out.is_none()) {
        eprintln!(
            "warning: {}: its memorised share was measured by distance alone, which also \
             counted blurry averages as copies; `gan-studio eval` measures it again",
            run.name()
        );
    }
    Ok(vec![
        run.name(),
        config.gan.model.name().to_string(),
        config.dataset.folder_or_flag().to_string(),
        format!("{:?}", config.gan.depth).to_lowercase(),
        format!("{:?}", config.gan.generator_norm).to_lowercase(),
        format!("{}", config.real_target),
        state.as_ref().map_or("-".into(), |s| s.step.to_string()),
        state
            .as_ref()
            .map_or("-".into(), |s| format!("{:.0}", s.elapsed_secs)),
        eval.as_ref().map_or("-".into(), |e| e.step.to_string()),
        eval.as_ref()
            .map_or("-".into(), |e| digest_cell(&e.generator_sha256)),
        eval.as_ref()
            .map_or("-".into(), |e| digest_cell(&e.report.classifier_sha256)),
        number(report.map(|r| r.inception_score), 2),
        number(report.and_then(|r| r.success_rate), 4),
        number(report.map(|r| r.fid), 2),
        number(report.map(|r| r.precision), 3),
        number(report.map(|r| r.recall), 3),
        number(report.map(|r| r.memorised_share), 4),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with only the two columns the note reads filled in.
    fn row(set: &str, judge: &str) -> Vec<String> {
        COLUMNS
            .iter()
            .map(|c| match *c {
                "data set" => set.to_string(),
                "judge" => judge.to_string(),
                _ => "x".to_string(),
            })
            .collect()
    }

    #[test]
    fn a_table_of_mixed_judges_or_data_sets_says_so() {
        let a = "sha256 aaaaaaaaaaaa";
        let b = "sha256 bbbbbbbbbbbb";
        // One judge, one set; runs not evaluated or evaluated before judges were recorded
        // are no second judge.
        let same = [row("mnist", a), row("mnist", a), row("mnist", "-")];
        assert_eq!(mixed_measures(&same), None);
        // A digest edited into something else is shown, not sliced mid-character.
        assert_eq!(digest_cell("ééééééééééééé"), "sha256 éééééééééééé");
        let old = [row("mnist", a), row("mnist", "(not recorded)")];
        assert_eq!(mixed_measures(&old), None);
        let judges = mixed_measures(&[row("mnist", a), row("mnist", b)]).unwrap();
        assert!(
            judges.contains(
                "scored by different classifiers (sha256 aaaaaaaaaaaa, sha256 bbbbbbbbbbbb)"
            ),
            "{judges}"
        );
        assert!(!judges.contains("data sets"), "{judges}");
        let sets = mixed_measures(&[row("mnist", a), row("fashion-mnist", "-")]).unwrap();
        assert!(
            sets.contains("different data sets (fashion-mnist, mnist)"),
            "{sets}"
        );
        assert!(!sets.contains("classifiers"), "{sets}");
    }
}
