//! Bounded walks over the Thrift structs of a Parquet file (its footer and
//! every page header) before the parquet crate parses them.
//!
//! The parquet crate (60.1) hangs on hostile Thrift in several ways, each
//! found by fuzzing and kept in `fuzz/known_hangs/`: a page header claiming
//! a list of 2^31 elements cost 2^31 empty reads past the end of an
//! 862-byte file; a footer claiming 2^31 booleans cost as many empty skips.
//! [`super::thrift`] reads each struct as the crate will, checking every
//! length and count against the bytes there, so a hostile file is refused
//! in time linear in its size. Each page must also fit in its chunk. Only
//! headers are read: the page bodies are seeked over.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use parquet::file::metadata::ParquetMetaData;

use super::thrift::{Compact, Known};
use crate::error::{Error, Result};

/// The footer's length and magic number close a Parquet file.
const TAIL: u64 = 8;

/// Walks the footer of `file` (`len` bytes), before the crate parses it. A
/// file too short or without the magic number is left for the crate to
/// refuse, with its own message.
pub(crate) fn check_footer(file: &File, len: u64) -> Result<()> {
    if len < TAIL {
        return Ok(());
    }
    let mut reader = BufReader::with_capacity(8 * 1024, file);
    let mut tail = [0u8; TAIL as usize];
    reader
        .seek(SeekFrom::Start(len - TAIL))
        .and_then(|_| reader.read_exact(&mut tail))
        .map_err(|e| Error::io("cannot read", e))?;
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if &tail[4..] != b"PAR1" || footer_len + TAIL > len {
        return Ok(());
    }
    let start = len - TAIL - footer_len;
    reader
        .seek(SeekFrom::Start(start))
        .map_err(|e| Error::io("cannot read", e))?;
    let mut footer = Compact::new(&mut reader, footer_len, "footer");
    footer.walk(Known::FileMetaData).map_err(|what| {
        let at = start + footer_len - footer.left;
        Error::parse(format!(
            "corrupt Parquet footer (bytes {start}..{}), by byte {at}: {what}",
            len - TAIL
        ))
    })
}

/// Walks the page headers of every column chunk of `file` (described by
/// `meta`, whose chunk ranges have been checked to lie inside the file).
pub(crate) fn check_pages(file: &File, meta: &ParquetMetaData) -> Result<()> {
    let mut reader = BufReader::with_capacity(8 * 1024, file);
    for (r, group) in meta.row_groups().iter().enumerate() {
        for (c, col) in group.columns().iter().enumerate() {
            let start = col
                .dictionary_page_offset()
                .unwrap_or(col.data_page_offset()) as u64;
            let end = start + col.compressed_size() as u64;
            let corrupt = |at: u64, what: String| {
                Error::parse(format!(
                    "corrupt Parquet page header: row group {r}, column {c}, byte {at}: {what}"
                ))
            };
            let mut pos = start;
            while pos < end {
                reader
                    .seek(SeekFrom::Start(pos))
                    .map_err(|e| Error::io("cannot read", e))?;
                let mut header = Compact::new(&mut reader, end - pos, "column chunk");
                let size = header.page_size().map_err(|what| corrupt(pos, what))?;
                let header_len = (end - pos) - header.left;
                let body_end = pos + header_len + size;
                if body_end > end {
                    return Err(corrupt(
                        pos,
                        format!(
                            "a page of {size} bytes after a {header_len}-byte header runs past the column chunk's end at byte {end}"
                        ),
                    ));
                }
                pos = body_end;
            }
        }
    }
    Ok(())
}
