//! NumPy `.npy` and `.npz` prediction files.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use modelfuse::{BuildOptions, Predictions};

fuzz_target!(|data: &[u8]| {
    for ext in ["npy", "npz"] {
        let path = common::file_with(ext, data);
        if let Ok(out) = modelfuse_io::read_predictions(&path) {
            let _ = Predictions::from_outputs(vec![out], &BuildOptions::default());
        }
    }
});
