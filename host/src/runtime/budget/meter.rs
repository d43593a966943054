//! Counting what the host allocates on a module's behalf.
//!
//! Everything the host does for a module call happens while the call's future is polled: host
//! functions (WASI, HTTP header maps, log lines, resource tables), instantiation, and lifting the
//! results out of linear memory. [`metered`] marks the poll with the call's [`Meter`], and
//! [`CountingAllocator`] — the binary's global allocator — adds each allocation made under the
//! mark to it, and subtracts each release. The store's budget reads the meter on every host ↔
//! wasm transition, so a module that makes the host hold too much fails its own call.
//!
//! Without [`CountingAllocator`] installed (a library user, unit tests), meters read zero and the
//! budget covers linear memories and tables only; [`counting_installed`] tells which.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};

thread_local! {
    /// The meter of the call being polled on this thread, if any. A const thread-local without a
    /// destructor: safe to read from the allocator.
    static CURRENT: Cell<*const Meter> = const { Cell::new(std::ptr::null()) };
}

/// Host-side bytes one store's calls hold (allocated minus released while they ran).
#[derive(Debug, Default)]
pub(crate) struct Meter {
    bytes: AtomicI64,
}

impl Meter {
    /// Bytes held now; never negative (memory allocated before a call and released during it
    /// does not earn credit beyond zero).
    pub(crate) fn host_bytes(&self) -> usize {
        usize::try_from(self.bytes.load(Ordering::Relaxed).max(0)).unwrap_or(usize::MAX)
    }

    /// Starts counting afresh for a new call.
    pub(crate) fn reset(&self) {
        self.bytes.store(0, Ordering::Relaxed);
    }

    /// Counts bytes allocated on the module's behalf outside its polls (HTTP bodies read by the
    /// I/O task), so their release inside a poll nets out.
    pub(crate) fn charge(&self, bytes: usize) {
        self.bytes
            .fetch_add(i64::try_from(bytes).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Discounts bytes allocated during a poll and released outside any (a request body the
    /// module wrote, sent and freed by the I/O task).
    pub(crate) fn discharge(&self, bytes: usize) {
        self.bytes
            .fetch_sub(i64::try_from(bytes).unwrap_or(i64::MAX), Ordering::Relaxed);
    }
}

#[inline]
fn note(delta: i64) {
    CURRENT.with(|c| {
        let meter = c.get();
        if !meter.is_null() {
            // SAFETY: `Enter` sets the pointer only for the duration of a poll during which the
            // `Meter` is borrowed by `metered`, and restores the previous value before returning.
            unsafe { (*meter).bytes.fetch_add(delta, Ordering::Relaxed) };
        }
    });
}

/// The system allocator, counting the allocations made while a module call is polled.
///
/// Install it in the binary: `#[global_allocator] static A: CountingAllocator = CountingAllocator;`
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the same arguments; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// Marks the current thread as working for `meter` until dropped.
struct Enter {
    previous: *const Meter,
}

impl Enter {
    fn new(meter: &Meter) -> Self {
        let previous = CURRENT.with(|c| c.replace(meter as *const Meter));
        Enter { previous }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// Runs `fut`, counting what is allocated while it is polled against `meter`.
pub(crate) async fn metered<F: Future>(meter: &Meter, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        let _enter = Enter::new(meter);
        fut.as_mut().poll(cx)
    })
    .await
}

/// Whether the process counts host-side allocations (the binary installed [`CountingAllocator`]).
pub fn counting_installed() -> bool {
    let meter = Meter::default();
    {
        let _enter = Enter::new(&meter);
        let probe = std::hint::black_box(vec![0u8; 64]);
        drop(probe);
        let held = std::hint::black_box(Box::new(0u64));
        let counted = meter.bytes.load(Ordering::Relaxed) > 0;
        drop(held);
        counted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_net_out_and_never_go_negative() {
        let m = Meter::default();
        m.charge(100);
        assert_eq!(m.host_bytes(), 100);
        m.bytes.fetch_add(-300, Ordering::Relaxed);
        assert_eq!(m.host_bytes(), 0);
        m.reset();
        assert_eq!(m.host_bytes(), 0);
    }

    #[tokio::test]
    async fn metered_restores_the_previous_meter() {
        let outer = Meter::default();
        let inner = Meter::default();
        metered(&outer, async {
            metered(&inner, async {}).await;
            CURRENT.with(|c| assert_eq!(c.get(), &outer as *const Meter));
        })
        .await;
        CURRENT.with(|c| assert!(c.get().is_null()));
    }
}
