//! Benchmark areas, one file each.

pub mod generate;
