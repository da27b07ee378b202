//! CSV and TSV prediction and labels files, plain and gzip text; then the
//! core's validation of whatever parsed.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use modelfuse::{BuildOptions, Predictions};

fuzz_target!(|data: &[u8]| {
    for ext in ["csv", "tsv"] {
        let path = common::file_with(ext, data);
        if let Ok(out) = modelfuse_io::read_predictions(&path) {
            let _ = Predictions::from_outputs(vec![out], &BuildOptions::default());
        }
        let _ = modelfuse_io::read_labels(&path);
    }
    let _ = modelfuse_io::read_text(&common::file_with("gz", data));
});
