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

/// A page header claiming a Thrift list of 2^31 elements made the parquet
/// crate spin through 2^31 empty reads (a hang on an 862-byte file); the
/// page-header walk refuses it first.
#[test]
fn issue9_parquet_page_header_with_a_huge_list() {
    let path = fixture("fuzz_thrift_list_hang.parquet");
    let err = modelfuse_io::read_predictions(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(
        err.to_string().contains("corrupt Parquet page header"),
        "{err}"
    );
    assert!(modelfuse_io::read_labels(&path).is_err());
}
