//! What the three fuzz targets share: an allocator that measures the memory one input makes the
//! code under test hold at once, so a target can fail an input that needs more than ten times
//! its own size (libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks, which a build
//! with `--sanitizer none` does not have).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Metered;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Metered {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Relaxed);
            grew(new_size);
        }
        p
    }
}

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
}

#[global_allocator]
static ALLOCATOR: Metered = Metered;

/// Memory that one input may make the code hold beyond what was live before it: ten times the
/// input, plus a fixed allowance for what does not grow with the input (SQLite's connection and
/// page cache, a parser's first buffers, the price table's name index).
pub const FIXED_ALLOWANCE: usize = 4 << 20;

/// Runs `f` and panics (a finding, with the input saved by libFuzzer) when the most memory it
/// held at once went beyond ten times `input_len` plus [`FIXED_ALLOWANCE`].
pub fn within_memory_limit<T>(input_len: usize, f: impl FnOnce() -> T) -> T {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let out = f();
    let held = PEAK.load(Relaxed).saturating_sub(before);
    let limit = input_len.saturating_mul(10) + FIXED_ALLOWANCE;
    assert!(held <= limit, "{held} bytes held at once for a {input_len}-byte input (limit {limit})");
    out
}
