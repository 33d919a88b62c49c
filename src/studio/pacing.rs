//! How often live progress redraws the window. A job's answer and every state change wake the
//! UI at once; a stream of progress (training steps, download bytes) and the busy spinner ask
//! for a frame at most once per gap. One frame per step kept the UI drawing without pause: under
//! a software rasteriser (llvmpipe) each frame costs ~90 ms of CPU, which training lost
//! (BENCHMARKS.md, "The studio's window").

use std::sync::Arc;
use std::time::Duration;

use super::jobs::Waker;

/// Where a GPU draws the window: ten frames a second keep curves and counters smooth for a
/// few milliseconds of CPU each.
const GPU_GAP: Duration = Duration::from_millis(100);
/// Where the CPU draws it: two frames a second. Measured under Xvfb on 2 cores, the studio's
/// default recipe: 79 ms a step at 100 ms, 61 ms at 200 ms, 50 ms at 500 ms, 47 ms at 1 s
/// (39-42 ms with no window).
const SOFTWARE_GAP: Duration = Duration::from_millis(500);

/// The gap for a window drawn by a software adapter or a GPU.
pub fn frame_gap(software_rendering: bool) -> Duration {
    if software_rendering {
        SOFTWARE_GAP
    } else {
        GPU_GAP
    }
}

fn key() -> egui::Id {
    egui::Id::unique("gan-studio-progress-frame-gap")
}

/// Remembers the gap in the context, for widgets that animate (see [`gap`]).
pub fn set_gap(ctx: &egui::Context, gap: Duration) {
    ctx.data_mut(|data| data.insert_temp(key(), gap));
}

/// The gap set for this context ([`GPU_GAP`] if none was).
pub fn gap(ctx: &egui::Context) -> Duration {
    ctx.data(|data| data.get_temp(key())).unwrap_or(GPU_GAP)
}

/// A waker for progress: egui keeps the earliest of the frames asked for, so a stream of calls
/// gives one frame a gap after the first call since the last frame, and the last call is never
/// left undrawn.
pub fn progress_waker(ctx: &egui::Context) -> Waker {
    let ctx = ctx.clone();
    Arc::new(move || ctx.request_repaint_after(gap(&ctx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_software_window_redraws_progress_less_often_than_a_gpu_one() {
        assert!(frame_gap(true) > frame_gap(false));
        let ctx = egui::Context::default();
        assert_eq!(gap(&ctx), frame_gap(false));
        set_gap(&ctx, frame_gap(true));
        assert_eq!(gap(&ctx), Duration::from_millis(500));
    }
}
