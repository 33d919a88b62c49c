//! An allocator that counts: live bytes, the peak since a reset and the largest single
//! request, and that refuses requests over [`REFUSE_BYTES`] (calling a hook first). Shared by
//! the fuzzer and the fuzz regression tests, which check memory stays bounded.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// No reader may ask for this much at once for inputs of a few megabytes: a header that
/// claims billions of images must be refused before anything that size is allocated.
pub const REFUSE_BYTES: usize = 1 << 30;

pub static LIVE: AtomicUsize = AtomicUsize::new(0);
pub static PEAK: AtomicUsize = AtomicUsize::new(0);
pub static LARGEST: AtomicUsize = AtomicUsize::new(0);
static HOOK: OnceLock<fn(usize)> = OnceLock::new();

/// Sets what happens on a request over [`REFUSE_BYTES`] (before it is refused).
pub fn on_oversized(hook: fn(usize)) {
    let _ = HOOK.set(hook);
}

/// Starts a new peak measurement; returns the live bytes it is relative to.
#[allow(dead_code)]
pub fn reset_peak() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

pub struct Counting;

fn oversized(size: usize) {
    if let Some(hook) = HOOK.get() {
        hook(size);
    }
}

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
    LARGEST.fetch_max(size, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator; only counts around it, and returns null (an
// allocation failure, as the system allocator may) for requests over the limit.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > REFUSE_BYTES {
            oversized(layout.size());
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > REFUSE_BYTES {
            oversized(layout.size());
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > REFUSE_BYTES {
            oversized(new_size);
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}
