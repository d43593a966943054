//! One store's budget: all its linear memories, all its tables and what the host holds for the
//! module, against the call's limit, backed by a reservation in the process-wide pool.

use std::sync::Arc;

use wasmtime::ResourceLimiter;

use super::meter::Meter;
use super::pool::Reservation;
use crate::policy::limits::{MAX_INSTANCES, MAX_MEMORIES, MAX_TABLES, TABLE_ELEMENT_BYTES};

/// Reservations grow in steps of this much, so most growth costs no atomic operation.
const RESERVATION_STEP: usize = 1 << 20;

/// What a store holds, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Bytes of all linear memories.
    pub linear: usize,
    /// Bytes of all tables, counted at 8 bytes per element.
    pub tables: usize,
    /// Bytes the host allocated for the module and still holds.
    pub host: usize,
}

impl Usage {
    pub fn total(&self) -> usize {
        self.linear
            .saturating_add(self.tables)
            .saturating_add(self.host)
    }
}

/// Why a store's call was stopped by its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exceeded {
    /// The call's own budget: `usage` is what it held, `requested` what it asked for on top.
    Budget {
        usage: Usage,
        requested: usize,
        limit: usize,
    },
    /// The process-wide pool had no room left.
    HostBusy,
}

/// The `ResourceLimiter` of a store, also checked on every host ↔ wasm transition.
#[derive(Debug)]
pub(crate) struct StoreBudget {
    limit: usize,
    linear: usize,
    tables: usize,
    pub(crate) meter: Arc<Meter>,
    reservation: Reservation,
    exceeded: Option<Exceeded>,
}

impl StoreBudget {
    pub(crate) fn new(limit: usize, reservation: Reservation) -> Self {
        StoreBudget {
            limit,
            linear: 0,
            tables: 0,
            meter: Arc::default(),
            reservation,
            exceeded: None,
        }
    }

    pub(crate) fn usage(&self) -> Usage {
        Usage {
            linear: self.linear,
            tables: self.tables,
            host: self.meter.host_bytes(),
        }
    }

    pub(crate) fn exceeded(&self) -> Option<Exceeded> {
        self.exceeded
    }

    /// Starts a new call: its own host-side count and no refusal yet.
    pub(crate) fn begin_call(&mut self) {
        self.meter.reset();
        self.exceeded = None;
    }

    /// After a call: the reservation shrinks to what an idle store holds (its memories and
    /// tables; the call's output left with the results).
    pub(crate) fn settle(&mut self) {
        let keep = self.linear.saturating_add(self.tables);
        self.reservation.shrink_to(keep);
    }

    /// Whether the store may hold `extra` more bytes; records why not.
    pub(crate) fn admit(&mut self, extra: usize) -> bool {
        let usage = self.usage();
        let total = usage.total().saturating_add(extra);
        if total > self.limit {
            self.exceeded.get_or_insert(Exceeded::Budget {
                usage,
                requested: extra,
                limit: self.limit,
            });
            return false;
        }
        if total > self.reservation.bytes() {
            let step = total
                .div_ceil(RESERVATION_STEP)
                .saturating_add(1)
                .saturating_mul(RESERVATION_STEP)
                .min(self.limit);
            if !self.reservation.grow_to(step) && !self.reservation.grow_to(total) {
                self.exceeded.get_or_insert(Exceeded::HostBusy);
                return false;
            }
        }
        true
    }

    /// The check run on every host ↔ wasm transition: host-side growth shows up here.
    pub(crate) fn check(&mut self) -> wasmtime::Result<()> {
        if self.admit(0) {
            Ok(())
        } else {
            Err(BudgetStop.into())
        }
    }
}

/// The error that stops a call whose store went over its budget; the call is then reported
/// from [`StoreBudget::exceeded`].
#[derive(Debug)]
pub(crate) struct BudgetStop;

impl std::fmt::Display for BudgetStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("memory budget exceeded")
    }
}

impl std::error::Error for BudgetStop {}

impl ResourceLimiter for StoreBudget {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let delta = desired.saturating_sub(current);
        if !self.admit(delta) {
            return Ok(false);
        }
        self.linear = self.linear.saturating_add(delta);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let delta = desired
            .saturating_sub(current)
            .saturating_mul(TABLE_ELEMENT_BYTES);
        if !self.admit(delta) {
            return Ok(false);
        }
        self.tables = self.tables.saturating_add(delta);
        Ok(true)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES.value as usize
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES.value as usize
    }

    fn tables(&self) -> usize {
        MAX_TABLES.value as usize
    }
}

#[cfg(test)]
mod tests {
    use super::super::pool::MemoryPool;
    use super::*;

    fn budget(limit: usize, pool: usize) -> StoreBudget {
        StoreBudget::new(limit, Reservation::empty(Arc::new(MemoryPool::new(pool))))
    }

    #[test]
    fn every_memory_and_table_counts_against_one_limit() {
        let mut b = budget(16 << 20, 1 << 30);
        // Many memories, each small enough on its own.
        for _ in 0..3 {
            assert!(b.memory_growing(0, 4 << 20, None).unwrap());
        }
        assert!(!b.memory_growing(0, 8 << 20, None).unwrap());
        assert!(matches!(
            b.exceeded(),
            Some(Exceeded::Budget { usage, requested, limit })
                if usage.linear == 12 << 20 && requested == 8 << 20 && limit == 16 << 20
        ));
        b.begin_call();
        // Tables count at 8 bytes an element.
        assert!(!b.table_growing(0, 1 << 20, None).unwrap());
        assert!(b.table_growing(0, 1000, None).unwrap());
        assert_eq!(b.usage().tables, 8000);
    }

    #[test]
    fn host_side_bytes_count_too() {
        let mut b = budget(1 << 20, 1 << 30);
        assert!(b.check().is_ok());
        b.meter.charge(2 << 20);
        assert!(b.check().is_err());
        assert!(
            matches!(b.exceeded(), Some(Exceeded::Budget { usage, .. }) if usage.host == 2 << 20)
        );
    }

    #[test]
    fn an_exhausted_pool_means_host_busy_and_settling_gives_back() {
        let pool = Arc::new(MemoryPool::new(10 << 20));
        let mut a = StoreBudget::new(64 << 20, Reservation::empty(pool.clone()));
        assert!(a.memory_growing(0, 8 << 20, None).unwrap());
        let mut b = StoreBudget::new(64 << 20, Reservation::empty(pool.clone()));
        assert!(!b.memory_growing(0, 4 << 20, None).unwrap());
        assert_eq!(b.exceeded(), Some(Exceeded::HostBusy));
        a.meter.charge(1 << 20);
        assert!(a.check().is_ok());
        a.settle();
        assert_eq!(pool.used(), 8 << 20, "idle stores keep only their memories");
    }
}
