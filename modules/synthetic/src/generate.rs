//! The pure computations behind the scenarios: the time axis, splitmix64, random walks and sines.

use std::f64::consts::PI;

/// The splitmix64 increment (the golden ratio in 64-bit fixed point).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Where the points of a random-walk or sine series lie: `len` instants `step_ms` apart from
/// `from_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeAxis {
    pub(crate) from_ms: i64,
    pub(crate) step_ms: i64,
    pub(crate) len: usize,
}

impl TimeAxis {
    /// Applies the README's rules to a query's time range, interval, point budget and forced
    /// point count.
    pub(crate) fn new(
        from_ms: i64,
        to_ms: i64,
        interval_ms: i64,
        max_data_points: i64,
        points: Option<i64>,
    ) -> Self {
        let span = to_ms.saturating_sub(from_ms);
        let step = if interval_ms > 0 { interval_ms } else { 1000 };
        let mut n = (span / step).saturating_add(1);
        let mut budget_step = step;
        if max_data_points > 0 && n > max_data_points {
            n = max_data_points;
            budget_step = span / (n - 1).max(1);
        }
        let (n, step) = match points {
            Some(points) => (points, step),
            None => (n, budget_step),
        };
        Self {
            from_ms,
            step_ms: step,
            len: usize::try_from(n).unwrap_or(0),
        }
    }

    /// The instants, in milliseconds since the Unix epoch.
    ///
    /// Stepped by addition: a saturating multiplication per point is a call to a 128-bit
    /// multiply routine in WebAssembly, which made up most of a 1,000,000-point query's time.
    pub(crate) fn times_ms(self) -> impl Iterator<Item = i64> {
        let mut next = self.from_ms;
        (0..self.len).map(move |_| {
            let t = next;
            next = next.saturating_add(self.step_ms);
            t
        })
    }
}

/// The splitmix64 generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(state: u64) -> Self {
        Self { state }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in `[0, 1)` from the top 53 bits.
    pub(crate) fn next_unit(&mut self) -> f64 {
        const TWO_POW_53: f64 = 9_007_199_254_740_992.0;
        // A 53-bit integer is exact in f64.
        let top = (self.next_u64() >> 11) as f64;
        top / TWO_POW_53
    }
}

/// A random walk: the first value is `start`, each next one moves by `(u - 0.5) * spread`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RandomWalk {
    rng: SplitMix64,
    next: f64,
    spread: f64,
}

impl RandomWalk {
    /// The walk of series `series`: its generator starts at `seed + series * GOLDEN_GAMMA`.
    pub(crate) fn new(seed: u64, series: u64, start: f64, spread: f64) -> Self {
        Self {
            rng: SplitMix64::new(seed.wrapping_add(series.wrapping_mul(GOLDEN_GAMMA))),
            next: start,
            spread,
        }
    }

    /// The walk's next value.
    pub(crate) fn next_value(&mut self) -> f64 {
        let value = self.next;
        self.next = value + (self.rng.next_unit() - 0.5) * self.spread;
        value
    }

    /// The walk's first `len` values.
    pub(crate) fn take(mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.next_value()).collect()
    }
}

/// The sine of series `series` at `t_ms`: `amplitude * sin(2π * t_s / period + series * π/4)`.
pub(crate) fn sine(t_ms: i64, series: u64, amplitude: f64, period_seconds: f64) -> f64 {
    let (t_ms, series) = (t_ms as f64, series as f64);
    amplitude * (2.0 * PI * (t_ms / 1000.0) / period_seconds + series * PI / 4.0).sin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(from: i64, to: i64, interval: i64, max: i64, points: Option<i64>) -> TimeAxis {
        TimeAxis::new(from, to, interval, max, points)
    }

    #[test]
    fn time_axis_rules() {
        // (from, to, intervalMs, maxDataPoints, points) -> (step, n)
        let cases = [
            // Default step of 1s, both ends included.
            ((0, 10_000, 0, 0, None), (1000, 11)),
            // The interval sets the step; integer division drops a partial step.
            ((0, 10_500, 250, 0, None), (250, 43)),
            ((0, 999, 1000, 0, None), (1000, 1)),
            // A point budget shrinks n and stretches the step over the range.
            ((0, 10_000, 100, 11, None), (1000, 11)),
            ((0, 10_000, 100, 3, None), (5000, 3)),
            ((0, 10_000, 100, 1, None), (10_000, 1)),
            // Within budget: untouched.
            ((0, 10_000, 1000, 11, None), (1000, 11)),
            // `points` forces n and keeps the step from before the budget rule.
            ((0, 10_000, 100, 3, Some(5)), (100, 5)),
            ((0, 10_000, 0, 0, Some(0)), (1000, 0)),
            ((0, 10_000, 0, 0, Some(-1)), (1000, 0)),
            // A reversed range truncates towards zero, like Go's integer division.
            ((10_000, 9_500, 0, 0, None), (1000, 1)),
            ((10_000, 0, 0, 0, None), (1000, 0)),
            // A negative interval means "none".
            ((0, 2000, -5, 0, None), (1000, 3)),
        ];
        for ((from, to, interval, max, points), (step, len)) in cases {
            let got = axis(from, to, interval, max, points);
            assert_eq!(
                (got.step_ms, got.len),
                (step, len),
                "from={from} to={to} interval={interval} max={max} points={points:?}"
            );
        }
    }

    #[test]
    fn time_axis_instants() {
        let times: Vec<_> = axis(1_000, 3_000, 500, 0, None).times_ms().collect();
        assert_eq!(times, [1_000, 1_500, 2_000, 2_500, 3_000]);
    }

    #[test]
    fn splitmix64_reference_values() {
        // Seed 0: the first outputs of the reference splitmix64.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn unit_draws_are_in_range() {
        let mut rng = SplitMix64::new(42);
        for _ in 0..10_000 {
            let u = rng.next_unit();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
        let mut rng = SplitMix64::new(0);
        assert_eq!(
            rng.next_unit(),
            (0xE220_A839_7B1D_CDAF_u64 >> 11) as f64 / 2f64.powi(53)
        );
    }

    #[test]
    fn random_walk_follows_its_draws() {
        let values = RandomWalk::new(7, 0, 10.0, 2.0).take(4);
        let mut rng = SplitMix64::new(7);
        let mut want = vec![10.0];
        for _ in 0..3 {
            let last = *want.last().unwrap();
            want.push(last + (rng.next_unit() - 0.5) * 2.0);
        }
        assert_eq!(values, want);
        assert!(RandomWalk::new(0, 0, 0.0, 1.0).take(0).is_empty());
    }

    #[test]
    fn random_walk_series_start_at_offset_states() {
        let mut second = RandomWalk::new(5, 1, 0.0, 1.0);
        let mut rng = SplitMix64::new(5u64.wrapping_add(GOLDEN_GAMMA));
        assert_eq!(second.next_value(), 0.0);
        assert_eq!(second.next_value(), rng.next_unit() - 0.5);
        // The state wraps around.
        let mut wrapped = RandomWalk::new(u64::MAX, 3, 0.0, 1.0);
        wrapped.next_value();
        let mut rng = SplitMix64::new(u64::MAX.wrapping_add(GOLDEN_GAMMA.wrapping_mul(3)));
        assert_eq!(wrapped.next_value(), rng.next_unit() - 0.5);
    }

    #[test]
    fn random_walk_streams_like_it_batches() {
        let mut streamed = RandomWalk::new(0, 0, 0.0, 1.0);
        let batch = RandomWalk::new(0, 0, 0.0, 1.0).take(5);
        let streamed: Vec<_> = (0..5).map(|_| streamed.next_value()).collect();
        assert_eq!(streamed, batch);
    }

    #[test]
    fn sine_values() {
        assert_eq!(sine(0, 0, 1.0, 60.0), 0.0);
        assert!((sine(15_000, 0, 2.0, 60.0) - 2.0).abs() < 1e-12);
        assert!((sine(0, 2, 1.0, 60.0) - 1.0).abs() < 1e-12);
        assert!((sine(0, 1, 1.0, 60.0) - (PI / 4.0).sin()).abs() < 1e-15);
    }
}
