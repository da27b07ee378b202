//! Inputs that fuzzing (`fuzz/`) found to crash a reader, kept so they never
//! do again. Each must give an error, not a panic.

use std::path::Path;

use modelfuse_io::ErrorKind;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A Parquet footer whose column chunk has a negative offset made the
/// parquet crate assert while opening the pages.
#[test]
fn issue9_parquet_footer_with_a_negative_chunk_offset() {
    let path = fixture("fuzz_negative_chunk_offset.parquet");
    let err = modelfuse_io::read_predictions(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(err.to_string().contains("corrupt Parquet footer"), "{err}");
    assert!(modelfuse_io::read_labels(&path).is_err());
}
