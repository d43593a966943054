//! The process-wide budget: memory every module call and idle store holds, and slots for calls
//! and streams. Admission happens here: when the budget is spent, a new call waits (within its
//! deadline) for another to finish, then fails as "host busy" — the process is never the one that
//! runs out of memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::policy::HostLimits;

/// Why the host turned a call away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Busy {
    #[error(
        "the Quarry host is busy: its memory budget of {budget_mib} MiB (memory_budget_mb in [plugin.quarry-wasm-datasource]) is held by other module calls; try again"
    )]
    Memory { budget_mib: usize },
    #[error(
        "the Quarry host is busy: all {slots} module call slots (max_concurrent_calls in [plugin.quarry-wasm-datasource]) stayed in use until this call's deadline; try again"
    )]
    Calls { slots: usize },
    #[error(
        "the Quarry host runs its maximum of {max} streams (max_streams in [plugin.quarry-wasm-datasource]); this stream was refused"
    )]
    Streams { max: usize },
}

/// Memory reserved by calls and idle stores, within a fixed capacity.
pub(crate) struct MemoryPool {
    capacity: usize,
    used: AtomicUsize,
    released: Notify,
    /// Drops idle stores everywhere to make room; set by the runtime.
    evict_idle: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for MemoryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryPool")
            .field("capacity", &self.capacity)
            .field("used", &self.used())
            .finish_non_exhaustive()
    }
}

impl MemoryPool {
    pub(crate) fn new(capacity: usize) -> Self {
        MemoryPool {
            capacity,
            used: AtomicUsize::new(0),
            released: Notify::new(),
            evict_idle: OnceLock::new(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub(crate) fn set_evictor(&self, evict: Box<dyn Fn() + Send + Sync>) {
        let _ = self.evict_idle.set(evict);
    }

    fn try_take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&n| n <= self.capacity)
            })
            .is_ok()
    }

    /// Takes `bytes` now if there is room, dropping idle stores first when there is not.
    pub(crate) fn try_reserve(&self, bytes: usize) -> bool {
        if self.try_take(bytes) {
            return true;
        }
        if let Some(evict) = self.evict_idle.get() {
            evict();
        }
        self.try_take(bytes)
    }

    /// Takes `bytes`, waiting until `deadline` for other calls to release enough.
    pub(crate) async fn reserve(&self, bytes: usize, deadline: Instant) -> Result<(), Busy> {
        loop {
            let released = self.released.notified();
            if self.try_reserve(bytes) {
                return Ok(());
            }
            if bytes > self.capacity
                || tokio::time::timeout_at(deadline.into(), released)
                    .await
                    .is_err()
            {
                return Err(Busy::Memory {
                    budget_mib: self.capacity >> 20,
                });
            }
        }
    }

    pub(crate) fn release(&self, bytes: usize) {
        if bytes > 0 {
            self.used.fetch_sub(bytes, Ordering::AcqRel);
            self.released.notify_waiters();
        }
    }
}

/// Bytes held in a [`MemoryPool`] until dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    pool: Arc<MemoryPool>,
    bytes: usize,
}

impl Reservation {
    pub(crate) fn empty(pool: Arc<MemoryPool>) -> Self {
        Reservation { pool, bytes: 0 }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Holds at least `bytes`, if the pool has room.
    pub(crate) fn grow_to(&mut self, bytes: usize) -> bool {
        if bytes <= self.bytes {
            return true;
        }
        if self.pool.try_reserve(bytes - self.bytes) {
            self.bytes = bytes;
            true
        } else {
            false
        }
    }

    /// Holds at least `bytes`, waiting for room until `deadline`.
    pub(crate) async fn wait_grow_to(
        &mut self,
        bytes: usize,
        deadline: Instant,
    ) -> Result<(), Busy> {
        if bytes > self.bytes {
            self.pool.reserve(bytes - self.bytes, deadline).await?;
            self.bytes = bytes;
        }
        Ok(())
    }

    /// Gives back everything above `bytes`.
    pub(crate) fn shrink_to(&mut self, bytes: usize) {
        if bytes < self.bytes {
            self.pool.release(self.bytes - bytes);
            self.bytes = bytes;
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.pool.release(self.bytes);
    }
}

/// The process-wide budget every datasource's calls draw from.
#[derive(Debug)]
pub struct HostBudget {
    pub(crate) memory: Arc<MemoryPool>,
    calls: Arc<Semaphore>,
    max_calls: usize,
    streams: Arc<Semaphore>,
    max_streams: usize,
}

impl HostBudget {
    pub fn new(limits: &HostLimits) -> Self {
        HostBudget {
            memory: Arc::new(MemoryPool::new(limits.memory_budget_bytes)),
            calls: Arc::new(Semaphore::new(limits.max_concurrent_calls)),
            max_calls: limits.max_concurrent_calls,
            streams: Arc::new(Semaphore::new(limits.max_streams)),
            max_streams: limits.max_streams,
        }
    }

    /// A slot to run one call in, waiting until `deadline`.
    pub(crate) async fn call_slot(&self, deadline: Instant) -> Result<OwnedSemaphorePermit, Busy> {
        match tokio::time::timeout_at(deadline.into(), self.calls.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(Busy::Calls {
                slots: self.max_calls,
            }),
        }
    }

    /// A slot for one stream, for as long as it runs; refused at once when none is free.
    pub(crate) fn stream_slot(&self) -> Result<OwnedSemaphorePermit, Busy> {
        self.streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy::Streams {
                max: self.max_streams,
            })
    }

    /// Bytes reserved now, and the budget.
    pub fn memory_in_use(&self) -> (usize, usize) {
        (self.memory.used(), self.memory.capacity())
    }

    /// Streams running now.
    pub fn streams_running(&self) -> usize {
        self.max_streams - self.streams.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn reservations_wait_for_room_then_report_busy() {
        let pool = Arc::new(MemoryPool::new(100));
        let mut a = Reservation::empty(pool.clone());
        assert!(a.grow_to(80));
        let mut b = Reservation::empty(pool.clone());
        assert!(!b.grow_to(30));
        let soon = Instant::now() + Duration::from_millis(20);
        assert_eq!(
            b.wait_grow_to(30, soon).await,
            Err(Busy::Memory { budget_mib: 0 })
        );
        // Room made while waiting is taken.
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut c = Reservation::empty(pool);
                c.wait_grow_to(50, Instant::now() + Duration::from_secs(30))
                    .await
                    .map(|()| c.bytes())
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        a.shrink_to(10);
        assert_eq!(waiter.await.unwrap(), Ok(50));
        assert_eq!(pool.used(), 10);
        drop(a);
        assert_eq!(pool.used(), 0);
    }

    #[test]
    fn the_evictor_runs_before_refusing() {
        let pool = Arc::new(MemoryPool::new(10));
        let idle = Arc::new(std::sync::Mutex::new(Some(Reservation::empty(
            pool.clone(),
        ))));
        assert!(idle.lock().unwrap().as_mut().unwrap().grow_to(10));
        let held = idle.clone();
        pool.set_evictor(Box::new(move || {
            held.lock().unwrap().take();
        }));
        let mut r = Reservation::empty(pool.clone());
        assert!(r.grow_to(5), "idle memory is given back under pressure");
    }

    #[tokio::test]
    async fn slots_are_bounded() {
        let b = HostBudget::new(&HostLimits {
            max_concurrent_calls: 1,
            max_streams: 1,
            ..HostLimits::default()
        });
        let first = b.call_slot(Instant::now()).await.unwrap();
        assert!(matches!(
            b.call_slot(Instant::now() + Duration::from_millis(5)).await,
            Err(Busy::Calls { slots: 1 })
        ));
        drop(first);
        assert!(b.call_slot(Instant::now()).await.is_ok());
        let s = b.stream_slot().unwrap();
        assert!(b.stream_slot().is_err());
        assert_eq!(b.streams_running(), 1);
        drop(s);
    }
}
