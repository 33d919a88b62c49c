//! The export job: a run's generator (or a classifier) as safetensors, off the UI thread.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use super::{Outcome, Waker};

/// Writes run `run` of `runs_dir` into `out` (see `interop::safetensors`); answers the files.
pub fn spawn(
    runs_dir: PathBuf,
    run: String,
    out: PathBuf,
    waker: Waker,
) -> Receiver<Outcome<Vec<PathBuf>>> {
    super::spawn_once("export", waker, move || {
        let classifier = crate::eval::classifier::classifier_dir(&runs_dir, &run);
        if classifier.join("classifier.bpk").is_file() {
            crate::interop::safetensors::export_classifier(&classifier, &out)
        } else {
            let device = burn::prelude::Device::flex();
            let trained = crate::train::open_trained_run(&runs_dir, &run, &device)?;
            crate::interop::safetensors::export_generator(&trained, &out)
        }
    })
}
