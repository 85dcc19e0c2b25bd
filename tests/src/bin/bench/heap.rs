//! Heap accounting per part of the process.
//!
//! The benchmark runs the simulators and the exporter in one process, so the process's RSS
//! mixes the simulated Teamleader account and Exact divisions (which grow with the number of
//! documents) with what the exporter itself holds. This global allocator tags every
//! allocation with the [`Part`] the allocating thread is working for (a 16-byte header in
//! front of the block) and keeps live and peak bytes per part, so the exporter's own heap can
//! be reported separately. Figures are requested bytes, without the allocator's overhead.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

/// Who an allocation is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Part {
    /// Setup, measurement and anything not attributed.
    Other = 0,
    /// The Teamleader and Exact simulators (their threads, and the account generation).
    Simulators = 1,
    /// The export handler with its live clients (what would run in the Lambda).
    Exporter = 2,
    /// Koppel's state in the in-memory store (DynamoDB in production).
    Store = 3,
    /// The exporter's Teamleader client (inside its calls): a part of the exporter.
    TeamleaderClient = 4,
}

const PARTS: usize = 5;

/// Whether allocations of `part` (as stored in a block's tag) are the exporter's.
fn is_exporter(part: u8) -> bool {
    part == Part::Exporter as u8 || part == Part::TeamleaderClient as u8
}
/// Smallest header; keeps every block 16-byte aligned.
const MIN_HEADER: usize = 16;

thread_local! {
    static CURRENT: Cell<u8> = const { Cell::new(Part::Other as u8) };
}

static LIVE: [AtomicUsize; PARTS] = [const { AtomicUsize::new(0) }; PARTS];
static PEAK: [AtomicUsize; PARTS] = [const { AtomicUsize::new(0) }; PARTS];
static TOTAL_LIVE: AtomicUsize = AtomicUsize::new(0);
static TOTAL_PEAK: AtomicUsize = AtomicUsize::new(0);
static EXPORTER_LIVE: AtomicUsize = AtomicUsize::new(0);
static EXPORTER_PEAK: AtomicUsize = AtomicUsize::new(0);

/// The part the current thread allocates for.
fn current() -> u8 {
    CURRENT.try_with(Cell::get).unwrap_or(Part::Other as u8)
}

/// Attribute this thread's allocations to `part` from now on.
pub fn set_part(part: Part) {
    let _ = CURRENT.try_with(|c| c.set(part as u8));
}

/// Attributes this thread's allocations to a part until dropped, then restores the previous
/// part. Only for code that does not yield in between.
#[must_use = "the part is restored when the guard is dropped"]
pub struct PartGuard {
    previous: u8,
}

impl Drop for PartGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

/// Attribute this thread's allocations to `part` until the guard is dropped.
pub fn enter(part: Part) -> PartGuard {
    let previous = current();
    set_part(part);
    PartGuard { previous }
}

fn added(part: u8, bytes: usize) {
    let index = usize::from(part) % PARTS;
    let live = LIVE[index].fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK[index].fetch_max(live, Ordering::Relaxed);
    let total = TOTAL_LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    TOTAL_PEAK.fetch_max(total, Ordering::Relaxed);
    if is_exporter(part) {
        let exporter = EXPORTER_LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
        EXPORTER_PEAK.fetch_max(exporter, Ordering::Relaxed);
    }
}

fn removed(part: u8, bytes: usize) {
    let index = usize::from(part) % PARTS;
    LIVE[index].fetch_sub(bytes, Ordering::Relaxed);
    TOTAL_LIVE.fetch_sub(bytes, Ordering::Relaxed);
    if is_exporter(part) {
        EXPORTER_LIVE.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// Live and peak bytes of one part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartBytes {
    /// Allocated now.
    pub live: usize,
    /// Most allocated at once since the last [`reset_peaks`].
    pub peak: usize,
}

/// Live and peak bytes of a part.
pub fn bytes(part: Part) -> PartBytes {
    let index = part as usize;
    PartBytes {
        live: LIVE[index].load(Ordering::Relaxed),
        peak: PEAK[index].load(Ordering::Relaxed),
    }
}

/// Live and peak bytes of the whole exporter ([`Part::Exporter`] and the parts inside it).
pub fn exporter() -> PartBytes {
    PartBytes {
        live: EXPORTER_LIVE.load(Ordering::Relaxed),
        peak: EXPORTER_PEAK.load(Ordering::Relaxed),
    }
}

/// Live and peak bytes of the whole heap.
pub fn total() -> PartBytes {
    PartBytes {
        live: TOTAL_LIVE.load(Ordering::Relaxed),
        peak: TOTAL_PEAK.load(Ordering::Relaxed),
    }
}

/// Start measuring peaks from the current live sizes.
pub fn reset_peaks() {
    for index in 0..PARTS {
        PEAK[index].store(LIVE[index].load(Ordering::Relaxed), Ordering::Relaxed);
    }
    TOTAL_PEAK.store(TOTAL_LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    EXPORTER_PEAK.store(EXPORTER_LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// A future whose every poll allocates for one part (the thread's part is restored after
/// each poll, so other tasks on the thread are not affected). Tasks it spawns are not
/// included.
pub struct InPart<F> {
    part: Part,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for InPart<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let _part = enter(this.part);
        this.inner.as_mut().poll(cx)
    }
}

/// Run `future` with its allocations booked to `part`.
pub fn in_part<F: Future>(part: Part, future: F) -> InPart<F> {
    let inner = {
        let _part = enter(part);
        Box::pin(future)
    };
    InPart { part, inner }
}

/// The system allocator with a part tag in front of every block.
pub struct TaggingAllocator;

fn header_of(layout: &Layout) -> usize {
    layout.align().max(MIN_HEADER)
}

/// The layout of the whole block (header + payload), aligned to the header size.
fn block_layout(size: usize, header: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(header)?, header).ok()
}

// SAFETY: every block handed out is `header` bytes into a block from `System` allocated with
// `block_layout(size, header)`, where `header` depends only on the caller's alignment; the
// same computation on dealloc/realloc finds the block's start and layout again.
unsafe impl GlobalAlloc for TaggingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let header = header_of(&layout);
        let Some(block) = block_layout(layout.size(), header) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `block` has a non-zero size (it includes the header).
        let base = unsafe { System.alloc(block) };
        if base.is_null() {
            return base;
        }
        let part = current();
        // SAFETY: the block is at least `header` ≥ 16 bytes long.
        unsafe {
            base.write(part);
        }
        added(part, layout.size());
        // SAFETY: within the block; aligned to `header`, a multiple of `layout.align()`.
        unsafe { base.add(header) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let header = header_of(&layout);
        let Some(block) = block_layout(layout.size(), header) else {
            return std::ptr::null_mut();
        };
        // SAFETY: as in `alloc`.
        let base = unsafe { System.alloc_zeroed(block) };
        if base.is_null() {
            return base;
        }
        let part = current();
        // SAFETY: as in `alloc`.
        unsafe {
            base.write(part);
        }
        added(part, layout.size());
        // SAFETY: as in `alloc`.
        unsafe { base.add(header) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let header = header_of(&layout);
        // SAFETY: `ptr` came from `alloc` with this layout, so the block starts `header`
        // bytes before it and its first byte is the tag.
        let base = unsafe { ptr.sub(header) };
        let part = unsafe { base.read() };
        removed(part, layout.size());
        if let Some(block) = block_layout(layout.size(), header) {
            // SAFETY: the block was allocated by `System` with this layout.
            unsafe { System.dealloc(base, block) };
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let header = header_of(&layout);
        let (Some(old_block), Some(new_block)) = (
            block_layout(layout.size(), header),
            block_layout(new_size, header),
        ) else {
            return std::ptr::null_mut();
        };
        // SAFETY: as in `dealloc`; `System.realloc` keeps the first byte (the tag).
        let base = unsafe { ptr.sub(header) };
        let part = unsafe { base.read() };
        // SAFETY: `base` was allocated by `System` with `old_block`, and `new_block` (same
        // alignment, non-zero size) is a valid layout.
        let moved = unsafe { System.realloc(base, old_block, new_block.size()) };
        if moved.is_null() {
            return moved;
        }
        removed(part, layout.size());
        added(part, new_size);
        // SAFETY: as in `alloc`.
        unsafe { moved.add(header) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_are_counted_for_the_part_that_made_them() {
        let before = bytes(Part::Store).live;
        let block = {
            let _store = enter(Part::Store);
            vec![0u8; 1 << 20]
        };
        assert!(bytes(Part::Store).live >= before + (1 << 20));
        drop(block);
        assert!(bytes(Part::Store).live < before + (1 << 20));
    }

    #[tokio::test]
    async fn a_future_in_a_part_allocates_for_it_on_every_poll() {
        let before = bytes(Part::TeamleaderClient).live;
        let exporter_before = exporter().live;
        let kept = in_part(Part::TeamleaderClient, async {
            tokio::task::yield_now().await;
            vec![1u8; 4096]
        })
        .await;
        assert!(bytes(Part::TeamleaderClient).live >= before + 4096);
        assert!(exporter().live >= exporter_before + 4096);
        drop(kept);
    }
}
