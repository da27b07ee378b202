//! Inputs that fuzzing (`fuzz/`) found to crash a reader, kept so they never
//! do again. Each must give an error, not a panic.

use std::path::Path;

use modelfuse_io::ErrorKind;

/// The error reading `path` gives, with its sources, after checking it is a
/// parse error for predictions and an error for labels too.
fn parse_error_chain(path: &Path) -> String {
    let err = modelfuse_io::read_predictions(path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(modelfuse_io::read_labels(path).is_err());
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        chain.push_str(&format!(": {e}"));
        source = e.source();
    }
    chain
}

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

/// A data page whose encoded definition levels run past their bytes made
/// the parquet crate's level decoder panic ("offset + len out of bounds").
#[test]
fn issue9_parquet_data_page_with_overlong_definition_levels() {
    let path = fixture("fuzz_def_levels_panic.parquet");
    let chain = parse_error_chain(&path);
    assert!(
        chain.contains(
            "corrupt Parquet page: row group 0, column 0, page 1: definition levels: \
             a bit-packed run of 1008 levels needs 1 bytes for the 2 the page holds, 0 are left"
        ),
        "{chain}"
    );
    assert!(modelfuse_io::read_labels(&path).is_err());
}

/// A dictionary page of zero values holding bytes made the crate's string
/// dictionary decoder divide by zero.
#[test]
fn issue9_parquet_empty_dictionary_page_with_bytes() {
    let chain = parse_error_chain(&fixture("fuzz_empty_dictionary_with_bytes.parquet"));
    assert!(
        chain.contains(
            "corrupt Parquet page: row group 0, column 1, page 0: \
             a dictionary page of 0 values holds 10 bytes"
        ),
        "{chain}"
    );
}

/// A dictionary-encoded data page in a column chunk without a dictionary
/// page made the crate panic ("Decoder for dict should have been set").
#[test]
fn issue9_parquet_dictionary_encoded_page_without_a_dictionary() {
    let chain = parse_error_chain(&fixture("fuzz_dictionary_page_missing.parquet"));
    assert!(
        chain.contains("with no dictionary page before it"),
        "{chain}"
    );
}

/// A page header sending known fields with other wire types (`crc` as a
/// binary, `data_page_header` as an i64) was skipped one way by the page
/// walk and read another way by the crate, which then hung in its skips.
#[test]
fn issue9_parquet_page_header_with_lying_wire_types() {
    let chain = parse_error_chain(&fixture("fuzz_header_wire_type_hang.parquet"));
    assert!(
        chain.contains("field 4 of a PageHeader has wire type 8, not the integer"),
        "{chain}"
    );
}

/// A footer with undeclared fields holding lists of 2 * 10^8 booleans: the
/// crate skips booleans in a list without reading a byte each, so it spun
/// for seconds on a 733-byte file (past libFuzzer's limit in CI); the
/// footer walk refuses it first.
#[test]
fn issue9_parquet_footer_with_a_huge_list_of_booleans() {
    let chain = parse_error_chain(&fixture("fuzz_footer_bool_list_hang.parquet"));
    assert!(chain.contains("corrupt Parquet footer"), "{chain}");
    assert!(
        chain.contains("more booleans than the footer has bytes"),
        "{chain}"
    );
}
