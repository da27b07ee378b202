//! Parquet prediction and labels files.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use modelfuse::{BuildOptions, Predictions};

fuzz_target!(|data: &[u8]| {
    let path = common::file_with("parquet", data);
    if let Ok(out) = modelfuse_io::read_predictions(&path) {
        let _ = Predictions::from_outputs(vec![out], &BuildOptions::default());
    }
    let _ = modelfuse_io::read_labels(&path);
});
