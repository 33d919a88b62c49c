//! The study job: `study run` on a worker thread, reporting each run as it starts and ends,
//! then writing the report. Stopping waits for the run in flight to finish.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, channel};

use super::{Outcome, Waker};
use crate::study::runner::Event;
use crate::study::{Study, report, runner};

pub struct Request {
    pub study: Study,
    pub out: PathBuf,
    pub data_dir: PathBuf,
    pub stop: Arc<AtomicBool>,
}

pub enum Message {
    Event(Event),
    /// The report's path (report.html), written over whatever finished.
    Done(Outcome<PathBuf>),
}

pub fn spawn(request: Request, waker: Waker) -> Receiver<Message> {
    let (tx, rx) = channel();
    let events = tx.clone();
    let event_waker = waker.clone();
    let done = super::spawn_once("study", waker.clone(), move || {
        runner::run(
            &request.study,
            &request.out,
            Some(&request.data_dir),
            false,
            Some(&request.stop),
            &mut |event| {
                let _ = events.send(Message::Event(event));
                event_waker();
            },
        )?;
        let built = report::build(&request.study, &request.out);
        report::write(&built, &request.out)?;
        Ok(request.out.join("report.html"))
    });
    // Forward the single outcome into the same channel as the events.
    std::thread::spawn(move || {
        if let Ok(outcome) = done.recv() {
            let _ = tx.send(Message::Done(outcome));
            waker();
        }
    });
    rx
}
