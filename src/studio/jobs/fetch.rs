//! Downloading a data set from the studio: the CLI's verified download (`data::fetch`) on a
//! worker thread, reporting bytes as they arrive and stopping when the user cancels.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;

use super::{Outcome, Waker};
use crate::data::fetch::{FetchProgress, RemoteFile, fetch_files_reporting};

/// Where a download is, shared between the worker and the UI.
#[derive(Default)]
pub struct FetchStatus {
    /// "train-images-idx3-ubyte.gz (1 of 4)".
    pub file: std::sync::Mutex<String>,
    pub bytes: AtomicU64,
    /// 0 when the server did not say.
    pub len: AtomicU64,
    pub cancel: AtomicBool,
}

struct Reporter {
    status: Arc<FetchStatus>,
    waker: Waker,
}

impl FetchProgress for Reporter {
    fn file(&self, name: &str, index: usize, files: usize, len: Option<u64>) {
        if let Ok(mut file) = self.status.file.lock() {
            *file = format!("{name} ({} of {files})", index + 1);
        }
        self.status.bytes.store(0, Ordering::Relaxed);
        self.status.len.store(len.unwrap_or(0), Ordering::Relaxed);
        (self.waker)();
    }

    fn advance(&self, bytes: u64) {
        self.status.bytes.fetch_add(bytes, Ordering::Relaxed);
        (self.waker)();
    }

    fn cancelled(&self) -> bool {
        self.status.cancel.load(Ordering::Relaxed)
    }
}

/// A download in flight: its status for the progress bar, and its answer.
pub struct FetchJob {
    pub status: Arc<FetchStatus>,
    pub done: Receiver<Outcome<Vec<PathBuf>>>,
}

impl FetchJob {
    /// Downloads `files` into `dest` from the first mirror that has each; `progress` wakes the
    /// UI for the bytes as they come, `waker` for the answer.
    pub fn spawn(
        dest: PathBuf,
        files: Vec<RemoteFile>,
        mirrors: Vec<String>,
        waker: Waker,
        progress: Waker,
    ) -> Self {
        let status = Arc::new(FetchStatus::default());
        let reporter = Reporter {
            status: status.clone(),
            waker: progress,
        };
        let done = super::spawn_once("data-fetch", waker, move || {
            fetch_files_reporting(&dest, &mirrors, &files, &reporter)
        });
        Self { status, done }
    }

    pub fn cancel(&self) {
        self.status.cancel.store(true, Ordering::Relaxed);
    }
}

/// Download mirrors: `$GAN_STUDIO_MIRRORS` (comma-separated base URLs, e.g. a mirror inside a
/// firewall), else `defaults`, the data set's public ones the CLI uses.
pub fn mirrors_from_env(defaults: &[String]) -> Vec<String> {
    match std::env::var("GAN_STUDIO_MIRRORS") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect(),
        _ => defaults.to_vec(),
    }
}
