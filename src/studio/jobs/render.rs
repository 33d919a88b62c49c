//! The explorer's generator worker. The UI posts what it wants to see; the worker always works
//! on the newest request of each kind (older ones are dropped), so dragging a slider never
//! queues up stale frames and the UI never waits for the generator.

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::Instant;

use super::Waker;
use crate::explore::LoadedGenerator;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// The single digit of the current latent and label.
    Digit,
    /// One row per class (or 10 rows of latents for unconditional models).
    Grid,
    /// The interpolation path.
    Strip,
    /// The animated point on the interpolation path.
    Frame,
}

pub struct Request {
    pub view: View,
    /// Row-major latents, `latent_dim` per image.
    pub latents: Vec<f32>,
    pub labels: Option<Vec<u8>>,
    /// Instead of `labels`: blend each row's label embedding from one class to another by t.
    pub blend: Option<LabelBlend>,
    /// InfoGAN: instead, sweep this continuous code (0-based) over `columns` images per
    /// category code, from the first latent's noise.
    pub sweep: Option<(usize, usize)>,
}

pub struct LabelBlend {
    pub from: Vec<u8>,
    pub to: Vec<u8>,
    pub t: Vec<f32>,
}

pub struct Rendered {
    pub view: View,
    pub pixels: Vec<f32>,
    pub count: usize,
    pub side: usize,
    pub millis: f64,
}

pub enum Answer {
    Rendered(Rendered),
    Failed(String),
}

pub struct RenderWorker {
    requests: Sender<Request>,
    pub answers: Receiver<Answer>,
}

impl RenderWorker {
    pub fn spawn(generator: LoadedGenerator, waker: Waker) -> Self {
        let (requests, request_rx) = channel::<Request>();
        let (tx, answers) = channel();
        let spawned = std::thread::Builder::new()
            .name("explorer-render".into())
            .spawn(move || serve(&generator, &request_rx, &tx, &waker));
        if let Err(e) = spawned {
            eprintln!("cannot start the explorer's render thread: {e}");
        }
        Self { requests, answers }
    }

    pub fn post(&self, request: Request) {
        let _ = self.requests.send(request);
    }
}

fn serve(
    generator: &LoadedGenerator,
    requests: &Receiver<Request>,
    tx: &Sender<Answer>,
    waker: &Waker,
) {
    let side = generator.image_size();
    while let Ok(first) = requests.recv() {
        // Keep only the newest request of each view.
        let mut pending = vec![first];
        loop {
            match requests.try_recv() {
                Ok(request) => {
                    pending.retain(|p| p.view != request.view);
                    pending.push(request);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        for request in pending {
            let started = Instant::now();
            let generated = match (&request.blend, request.sweep) {
                (_, Some((code, columns))) => generator.code_sweep(&request.latents, code, columns),
                (Some(b), None) => {
                    generator.generate_between_labels(&request.latents, &b.from, &b.to, &b.t)
                }
                (None, None) => generator.generate(&request.latents, request.labels.as_deref()),
            };
            let answer = match generated {
                Ok(pixels) => Answer::Rendered(Rendered {
                    view: request.view,
                    count: pixels.len() / generator.pixels_per_image(),
                    pixels,
                    side,
                    millis: started.elapsed().as_secs_f64() * 1e3,
                }),
                Err(e) => Answer::Failed(format!("{e:#}")),
            };
            if tx.send(answer).is_err() {
                return;
            }
            waker();
        }
    }
}
