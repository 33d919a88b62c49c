//! Heavy work off the UI thread. Each job runs on its own thread, reports over a channel and
//! wakes the UI through a [`Waker`]; the UI drains the channel each frame and never waits.

pub mod cyclegan;
pub mod embedding;
pub mod evaluation;
pub mod export;
pub mod fetch;
pub mod picture_scan;
pub mod render;
pub mod retraining;
pub mod study;
pub mod training;
pub mod translate;

use std::path::Path;
use std::sync::Arc;

use crate::data::dataset::resolve_data_dir;
use crate::data::{Dataset, DatasetKind};

/// Asks the UI for a repaint (egui's `Context::request_repaint`), without this module
/// depending on the UI.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// A job's answer: a value or a readable error.
pub type Outcome<T> = Result<T, String>;

/// Runs `work` on a named thread and sends its outcome once, then wakes the UI.
pub fn spawn_once<T: Send + 'static>(
    name: &str,
    waker: Waker,
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> std::sync::mpsc::Receiver<Outcome<T>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = name.to_owned();
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            // A panic (a bug, or a burn op refusing a shape) is an answer too: without one the
            // tab would wait, its spinner turning, for ever.
            let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
                Ok(result) => result.map_err(|e| format!("{e:#}")),
                Err(panic) => Err(format!(
                    "the {thread} job stopped on an internal error: {}",
                    panic_text(panic.as_ref())
                )),
            };
            let _ = tx.send(outcome);
            waker();
        });
    if let Err(e) = spawned {
        // The receiver then reports a closed channel; say why in the log.
        eprintln!("cannot start the {name} thread: {e}");
    }
    rx
}

/// A panic's message: the text of `panic!` or `expect`, where it has one.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// Runs `work` on a worker of a thread pool of its own (one thread per core), the calling
/// thread waiting, so that every op that splits its work over the cores starts from a worker
/// of that pool instead of handing each op to rayon's global pool and being woken again (the
/// CLI runs its commands on the global pool for the same reason: `cli::on_pool`). A pool of its
/// own, not the global one, because a paused job blocks its worker, and the studio's other
/// jobs and the explorer keep using the global pool meanwhile. Without a pool (the system
/// refused its threads) the work runs here, as before.
pub fn on_own_pool<R: Send>(name: &str, work: impl FnOnce() -> R + Send) -> R {
    let name = name.to_owned();
    let pool = rayon::ThreadPoolBuilder::new()
        .thread_name(move |i| format!("{name}-{i}"))
        // As deep as the global pool's.
        .stack_size(crate::threads::STACK_BYTES)
        .build();
    match pool {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Finds and loads `kind` under the data folder `root` (for a picture folder, `root` is the
/// folder or tarball itself); when the files are not there, the error speaks to someone in the
/// window (where to set the folder), not to a terminal user.
pub fn open_dataset(root: &Path, kind: DatasetKind) -> anyhow::Result<Dataset> {
    let dir = resolve_data_dir(Some(root), kind);
    if !kind.present_in(&dir) {
        let package = match kind.system_folder() {
            Some(system) => format!(
                " On Debian and Ubuntu, the package dataset-{} installs it in {}.",
                kind.folder(),
                system.display()
            ),
            None => String::new(),
        };
        anyhow::bail!(
            "{} is not in the data folder {}. Choose the folder that holds it under Settings > \
             Data folder: a folder with a {}/ subfolder, or the four IDX files themselves.{package}",
            kind.title(),
            root.display(),
            kind.folder()
        );
    }
    Dataset::load(&dir, kind)
}

#[cfg(test)]
mod tests {
    use super::on_own_pool;

    #[test]
    fn a_job_runs_on_a_worker_of_its_own_pool_and_returns_its_value() {
        let (name, index, answer) = on_own_pool("probe", || {
            let name = std::thread::current().name().map(str::to_owned);
            (name, rayon::current_thread_index(), 6 * 7)
        });
        assert_eq!(answer, 42);
        assert!(index.is_some(), "not on a pool worker");
        let name = name.unwrap_or_default();
        assert!(name.starts_with("probe-"), "{name}");
        // Parallel work inside it stays in its pool and still gets every value.
        let sum: u64 = on_own_pool("probe", || {
            use rayon::prelude::*;
            (1..=1000u64).into_par_iter().sum()
        });
        assert_eq!(sum, 500_500);
    }

    #[test]
    fn a_job_that_panics_answers_with_an_error() {
        let waker: super::Waker = std::sync::Arc::new(|| {});
        let rx = super::spawn_once("test", waker, || -> anyhow::Result<()> {
            panic!("shape mismatch {}", 3)
        });
        let outcome = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("an answer");
        let error = outcome.unwrap_err();
        assert!(
            error.contains("the test job stopped on an internal error: shape mismatch 3"),
            "{error}"
        );
    }
}
