//! Budgets: what one module call may make the host hold ([`StoreBudget`], counted in bytes over
//! all memories, tables and host-side allocations), and what the whole process may hold
//! ([`HostBudget`], with admission).

mod meter;
mod pool;
mod store;

pub use meter::{CountingAllocator, counting_installed};
pub(crate) use meter::{Meter, metered};
pub(crate) use pool::Reservation;
pub use pool::{Busy, HostBudget};
pub use store::Usage;
pub(crate) use store::{Exceeded, StoreBudget};
