//! Heavy work off the UI thread. Each job runs on its own thread, reports over a channel and
//! wakes the UI through a [`Waker`]; the UI drains the channel each frame and never waits.

pub mod embedding;
pub mod evaluation;
pub mod render;
pub mod retraining;
pub mod training;

use std::sync::Arc;

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
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let outcome = work().map_err(|e| format!("{e:#}"));
            let _ = tx.send(outcome);
            waker();
        });
    if let Err(e) = spawned {
        // The receiver then reports a closed channel; say why in the log.
        eprintln!("cannot start the {name} thread: {e}");
    }
    rx
}
