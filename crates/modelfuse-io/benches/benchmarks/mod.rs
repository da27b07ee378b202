//! Benchmark areas of `modelfuse-io`, one file each, and their criterion
//! configuration.

pub mod loading;

use std::time::Duration;

use criterion::Criterion;

/// Every call here reads or aligns a few MB and takes tens of milliseconds:
/// criterion's minimum of ten samples over ten seconds, after a one-second
/// warm-up, measures them without warnings; the command-line options (a
/// filter, `--save-baseline`, …) still apply.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .configure_from_args()
}
