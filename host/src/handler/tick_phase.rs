//! When a stream's ticks fall. Every stream starts on a process-wide grid of [`SLOT`]s, so
//! streams whose intervals are whole slots tick in step: those that fall in one slot are woken
//! together and their packets leave in a few writes instead of one wake-up and one write each
//! (with 1,000 streams at 10 Hz that was most of the host's CPU). A stream's first tick waits
//! at most one slot.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::{Instant, Interval, MissedTickBehavior};

/// One stream's ticks: on the grid, every `period`.
pub(crate) struct Ticks {
    interval: Interval,
    period: Duration,
    skipped: bool,
}

impl Ticks {
    pub(crate) fn new(period: Duration) -> Self {
        let mut interval = tokio::time::interval_at(first_tick(), period);
        // After a late tick the next comes back to the grid, so streams stay in step.
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        Self {
            interval,
            period,
            skipped: false,
        }
    }

    /// Waits for the next tick to run. Cancel-safe (it is raced against the stream's end).
    pub(crate) async fn next(&mut self) {
        loop {
            let due = self.interval.tick().await;
            let run = runs(due.elapsed(), self.period, self.skipped);
            self.skipped = !run;
            if run {
                return;
            }
        }
    }
}

/// Whether a tick `late` past its time runs: one more than half a period late (the last tick
/// ran long) is skipped, so the module is not called twice in quick succession, but never two
/// in a row, so a host too loaded to tick on time still ticks.
fn runs(late: Duration, period: Duration, skipped_last: bool) -> bool {
    late <= period / 2 || skipped_last
}

/// The grid's step: short enough that no one sees the delay, long enough to gather streams.
const SLOT: Duration = Duration::from_millis(10);

fn anchor() -> Instant {
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    *ANCHOR.get_or_init(Instant::now)
}

/// The first slot boundary at or after now.
fn first_tick() -> Instant {
    next_boundary(anchor(), Instant::now(), SLOT)
}

/// The first time at or after `now` that lies a whole number of `slot`s after `anchor`.
fn next_boundary(anchor: Instant, now: Instant, slot: Duration) -> Instant {
    let since = now.saturating_duration_since(anchor).as_nanos();
    let step = slot.as_nanos().max(1);
    let slots = since.div_ceil(step);
    let offset = u64::try_from(slots * step).unwrap_or(u64::MAX);
    anchor + Duration::from_nanos(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_whole_slots_after_the_anchor_and_never_before_now() {
        let anchor = Instant::now();
        let slot = Duration::from_millis(10);
        for now_ms in [0u64, 1, 9, 10, 11, 25, 1_000, 1_003] {
            let now = anchor + Duration::from_millis(now_ms);
            let b = next_boundary(anchor, now, slot);
            let since = b.duration_since(anchor).as_millis() as u64;
            assert_eq!(since % 10, 0, "{now_ms} ms gave {since} ms");
            assert!(b >= now, "{now_ms} ms gave an earlier boundary");
            assert!(b - now < slot, "{now_ms} ms waits a whole slot or more");
        }
    }

    #[test]
    fn a_tick_over_half_a_period_late_is_skipped_but_never_two_in_a_row() {
        let period = Duration::from_millis(100);
        let ms = Duration::from_millis;
        assert!(runs(ms(0), period, false));
        assert!(runs(ms(50), period, false));
        assert!(!runs(ms(51), period, false));
        assert!(!runs(ms(99), period, false));
        assert!(
            runs(ms(51), period, true),
            "the tick after a skipped one runs"
        );
    }

    #[test]
    fn streams_started_within_one_slot_share_their_first_tick() {
        let anchor = Instant::now();
        let slot = Duration::from_millis(10);
        let a = next_boundary(anchor, anchor + Duration::from_micros(10_100), slot);
        let b = next_boundary(anchor, anchor + Duration::from_micros(19_900), slot);
        assert_eq!(a, b);
    }
}
