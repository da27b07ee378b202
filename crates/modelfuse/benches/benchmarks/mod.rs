//! Benchmark areas, one file each, and what they share: the criterion
//! configuration, the sizes and the synthetic data.

pub mod data;
pub mod diversity;
pub mod fusers;
pub mod metrics;
pub mod selection;
pub mod stacking;

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode};

/// Warm-up before measuring: every call measured here runs for a
/// millisecond or more and reaches a steady state at once.
const WARM_UP: Duration = Duration::from_secs(1);
/// Criterion's default target time of a benchmark.
const MEASUREMENT: Duration = Duration::from_secs(5);

/// The configuration every group starts from: criterion's defaults with a
/// one-second warm-up, and the command-line options (a name filter,
/// `--save-baseline`, …). Each benchmark then fits the sampling to the
/// duration of its calls with [`budget`], which takes precedence over
/// `--sample-size` and `--measurement-time`.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .configure_from_args()
}

/// Runs `f` once, checked by the caller, and returns its result with how long
/// it took, for [`budget`].
pub fn once<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Fits a group's sampling to calls that take `took` (measured by [`once`]),
/// so that criterion neither warns that it cannot finish in time nor runs
/// for minutes. Under a millisecond: criterion's defaults (a hundred samples
/// of a growing number of calls, in five seconds). Up to 25 ms: a hundred
/// samples of equally many calls ("flat"), which fit in the five seconds.
/// Longer, the large sizes: criterion's minimum of ten samples of two calls
/// each, about twenty calls in all (two per sample, because criterion warns
/// when a sample is a single call). Every setting is set each time, so a
/// benchmark never inherits the previous one's.
pub fn budget(group: &mut BenchmarkGroup<'_, WallTime>, took: Duration) {
    let (mode, samples, warm_up, measure) = if took < Duration::from_millis(1) {
        (SamplingMode::Auto, 100, WARM_UP, MEASUREMENT)
    } else if took < Duration::from_millis(25) {
        (SamplingMode::Flat, 100, WARM_UP, MEASUREMENT)
    } else {
        (
            SamplingMode::Flat,
            10,
            Duration::from_millis(1),
            took.mul_f64(15.0),
        )
    };
    group
        .sampling_mode(mode)
        .sample_size(samples)
        .warm_up_time(warm_up)
        .measurement_time(measure);
}
