//! The explorer's generator worker. The UI posts what it wants to see; the worker always works
//! on the newest request of each kind (older ones are dropped), so dragging a slider never
//! queues up stale frames and the UI never waits for the generator.

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::Instant;

use std::sync::Arc;

use super::Waker;
use crate::explore::LoadedGenerator;
use crate::sampling::host_pixels;
use crate::studio::gpu_grid::{GpuImages, GridPipeline};

/// Images per row of the explorer's grid and of its interpolation strip.
pub const GRID_COLS: usize = 10;
pub const STRIP: usize = 10;

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

impl View {
    /// Images per row when this view is drawn.
    pub fn cols(self) -> usize {
        match self {
            View::Grid => GRID_COLS,
            View::Strip => STRIP,
            View::Digit | View::Frame => 1,
        }
    }
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
    /// Host floats in [-1, 1]; empty when the images stayed on the GPU (`gpu`).
    pub pixels: Vec<f32>,
    /// The zero-copy display's texture, when the generator runs on the render device.
    pub gpu: Option<Box<GpuImages>>,
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
    /// `display`: our grid shader on the render device, when the generator runs there.
    pub fn spawn(
        generator: LoadedGenerator,
        display: Option<Arc<GridPipeline>>,
        waker: Waker,
    ) -> Self {
        let (requests, request_rx) = channel::<Request>();
        let (tx, answers) = channel();
        let spawned = std::thread::Builder::new()
            .name("explorer-render".into())
            .spawn(move || serve(&generator, display.as_deref(), &request_rx, &tx, &waker));
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
    display: Option<&GridPipeline>,
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
            // A generator that panics (labels it has no class for, say) answers with an error
            // instead of leaving its view waiting for ever.
            let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                render(generator, display, &request)
            }))
            .unwrap_or_else(|panic| {
                Err(anyhow::anyhow!(
                    "the generator stopped on an internal error: {}",
                    super::panic_text(panic.as_ref())
                ))
            });
            let answer = match rendered {
                Ok((pixels, gpu)) => Answer::Rendered(Rendered {
                    view: request.view,
                    count: gpu
                        .as_ref()
                        .map_or(pixels.len() / generator.pixels_per_image(), |g| {
                            g.images.dims()[0]
                        }),
                    pixels,
                    gpu,
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

/// One request's images: drawn on the GPU from burn's buffer when a display is given (and the
/// shader can read the tensor), else copied to the host.
fn render(
    generator: &LoadedGenerator,
    display: Option<&GridPipeline>,
    request: &Request,
) -> anyhow::Result<(Vec<f32>, Option<Box<GpuImages>>)> {
    let images = match (&request.blend, request.sweep) {
        (_, Some((code, columns))) => generator.code_sweep(&request.latents, code, columns)?,
        (Some(b), None) => {
            generator.generate_between_labels(&request.latents, &b.from, &b.to, &b.t)?
        }
        (None, None) => generator.generate_images(&request.latents, request.labels.as_deref()),
    };
    if let Some(Ok(gpu)) = display.map(|d| d.draw(images.clone(), request.view.cols())) {
        return Ok((Vec::new(), Some(Box::new(gpu))));
    }
    Ok((host_pixels(images)?, None))
}
