//! Whole text files, plain or gzip-compressed: the inputs of the NLP commands
//! (CoNLL files, SQuAD JSON, system outputs) are read through here.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// The largest text file read (after decompression): 4 GiB. Bigger inputs are
/// almost certainly a mistake (a decompression bomb, the wrong file), and
/// reading them whole would exhaust memory before any message.
pub const MAX_TEXT_BYTES: u64 = 4 << 30;

/// Reads a whole UTF-8 text file; a name ending in `.gz` (any case) is
/// decompressed first. A UTF-8 byte order mark at the start is dropped.
///
/// # Errors
///
/// Names the file: [`ErrorKind::Io`](crate::ErrorKind::Io) when it cannot be
/// opened or read; [`ErrorKind::Parse`](crate::ErrorKind::Parse) for a corrupt
/// gzip stream, or bytes that are not UTF-8 (with the line and the byte
/// offset of the first bad byte); [`ErrorKind::Shape`](crate::ErrorKind::Shape)
/// for more than [`MAX_TEXT_BYTES`].
///
/// # Example
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("gold.conll");
/// std::fs::write(&path, "\u{feff}Paris\tB-location\n")?;
/// assert_eq!(modelfuse_io::read_text(&path)?, "Paris\tB-location\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_text(path: &Path) -> Result<String> {
    read_inner(path).map_err(|e| e.or_path(path))
}

fn read_inner(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io("cannot open", e))?;
    let gz = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            if gz && e.kind() != std::io::ErrorKind::PermissionDenied {
                Error::parse_from("not a valid gzip file", e)
            } else {
                Error::io("cannot read", e)
            }
        })?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(Error::shape(format!(
            "larger than {} GiB of text; is this the right file?",
            MAX_TEXT_BYTES >> 30
        )));
    }
    decode_text(bytes)
}

/// Decodes a whole text input read by other means (standard input) as
/// [`read_text`] decodes a file: UTF-8, a leading byte order mark dropped,
/// and no NUL byte (found in binary files and in text saved as UTF-16, which
/// is otherwise often valid UTF-8 and would be read as garbled text).
///
/// # Errors
///
/// [`ErrorKind::Parse`](crate::ErrorKind::Parse) naming the line and byte
/// offset of the first byte that is not UTF-8, or of the first NUL byte.
pub fn decode_text(bytes: Vec<u8>) -> Result<String> {
    let line_of =
        |bytes: &[u8], at: usize| 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Error::parse(format!(
            "expected text, found a NUL byte at byte offset {at} (a binary file, or text saved as UTF-16? save it as UTF-8)"
        ))
        .at_line(line_of(&bytes, at)));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        Error::parse(format!(
            "expected UTF-8 text, found byte 0x{:02x} at byte offset {at}",
            bytes[at]
        ))
        .at_line(line_of(bytes, at))
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::ErrorKind;

    #[test]
    fn a_nul_byte_is_refused_with_its_line_and_offset() {
        // "ab\n" in UTF-16 LE is valid UTF-8 with NULs between the letters.
        let e = decode_text(b"ok\na\0b\0".to_vec()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert_eq!(
            e.to_string(),
            "line 2: expected text, found a NUL byte at byte offset 4 (a binary file, or text saved as UTF-16? save it as UTF-8)"
        );
        assert_eq!(decode_text(b"\xef\xbb\xbfok\n".to_vec()).unwrap(), "ok\n");
    }

    #[test]
    fn gzip_is_decompressed_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json.GZ");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"{\"q1\": \"Paris\"}").unwrap();
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        assert_eq!(read_text(&path).unwrap(), "{\"q1\": \"Paris\"}");
    }

    #[test]
    fn corrupt_gzip_and_bad_utf8_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("bad.gz");
        std::fs::write(&gz, b"not gzip at all").unwrap();
        let e = read_text(&gz).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(e.to_string().contains("bad.gz"), "{e}");

        let txt = dir.path().join("latin1.conll");
        std::fs::write(&txt, b"ok O\nCaf\xe9 O\n").unwrap();
        let e = read_text(&txt).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert_eq!(e.line(), Some(2));
        let shown = e.to_string();
        assert!(
            shown.contains("latin1.conll") && shown.contains("0xe9"),
            "{shown}"
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let e = read_text(Path::new("/nonexistent/gold.conll")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
    }
}
