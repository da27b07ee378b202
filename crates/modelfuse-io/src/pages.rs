//! A bounded walk over the page headers of a Parquet file, before the
//! parquet crate decodes any page.
//!
//! Page headers are Thrift structs (compact protocol). The parquet crate
//! (60.1) skips fields it does not know with a reader that, past the end of
//! the bytes, reads nothing and succeeds; a header claiming a list of 2^31
//! elements then costs 2^31 empty reads: a hang on an 862-byte file (found
//! by fuzzing, kept in `fuzz/known_hangs/`). Here every length and element
//! count is checked against the bytes left in the column chunk before
//! anything is skipped, nesting is capped, and each page must fit in its
//! chunk, so a hostile header is refused in time linear in the file's size.
//! Only headers are read: the page bodies are seeked over.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use parquet::file::metadata::ParquetMetaData;

use crate::error::{Error, Result};

/// Deeper nesting than any real page header has (they nest 3 levels).
const MAX_DEPTH: u32 = 32;

/// The Thrift compact-protocol field id of `PageHeader.compressed_page_size`.
const COMPRESSED_PAGE_SIZE: i16 = 3;

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
                let mut header = Compact {
                    reader: &mut reader,
                    left: end - pos,
                    depth: 0,
                };
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

/// A Thrift compact-protocol reader that never reads past `left` bytes.
struct Compact<'a, R> {
    reader: &'a mut R,
    left: u64,
    depth: u32,
}

type Check<T> = std::result::Result<T, String>;

impl<R: Read> Compact<'_, R> {
    /// Reads a `PageHeader` and returns its `compressed_page_size`.
    fn page_size(&mut self) -> Check<u64> {
        let mut size = None;
        self.fields(|this, id, ty| {
            if id == COMPRESSED_PAGE_SIZE && is_int(ty) {
                let v = zigzag(this.varint()?);
                size = Some(u64::try_from(v).map_err(|_| format!("a negative page size {v}"))?);
                Ok(())
            } else {
                this.known_field(Known::PageHeader, id, ty)
            }
        })?;
        size.ok_or_else(|| "no compressed page size".to_string())
    }

    /// Skips field `id` of a `struct_` struct after checking that its wire
    /// type is the one the Parquet format declares. The parquet crate reads
    /// a known field as its declared type whatever the wire says (a binary
    /// sent where an `i32` is declared is read as a varint), so a header
    /// whose wire types lie is read one way here and another way there: a
    /// fuzzed file hung the crate that way after this walk had accepted it.
    fn known_field(&mut self, struct_: Known, id: i16, ty: u8) -> Check<()> {
        let Some(declared) = struct_.field(id) else {
            // Unknown fields are skipped by wire type, here as in the crate.
            return self.skip(ty);
        };
        let ok = match declared {
            Declared::Int => is_int(ty),
            Declared::Bool => ty == BOOL_TRUE || ty == BOOL_FALSE,
            Declared::Binary => ty == BINARY,
            Declared::Struct(_) => ty == STRUCT,
        };
        if !ok {
            return Err(format!(
                "field {id} of a {} has wire type {ty}, not the {} the format declares",
                struct_.name(),
                declared.name()
            ));
        }
        match declared {
            Declared::Struct(inner) => self.fields(|this, id, ty| this.known_field(inner, id, ty)),
            _ => self.skip(ty),
        }
    }

    fn byte(&mut self) -> Check<u8> {
        if self.left == 0 {
            return Err("the header runs past the column chunk".into());
        }
        let mut b = [0u8];
        self.reader
            .read_exact(&mut b)
            .map_err(|e| format!("cannot read: {e}"))?;
        self.left -= 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> Check<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a variable-length integer longer than 10 bytes".into())
    }

    /// Skips `n` bytes, after checking they are there.
    fn skip_bytes(&mut self, n: u64) -> Check<()> {
        if n > self.left {
            return Err(format!(
                "a field of {n} bytes with only {} left in the column chunk",
                self.left
            ));
        }
        let copied = std::io::copy(&mut self.reader.by_ref().take(n), &mut std::io::sink())
            .map_err(|e| format!("cannot read: {e}"))?;
        if copied != n {
            return Err("the file ends inside a page header".into());
        }
        self.left -= n;
        Ok(())
    }

    /// Reads a struct's fields up to its stop byte, calling `field` with each
    /// field's id and type (the value unread).
    fn fields(&mut self, mut field: impl FnMut(&mut Self, i16, u8) -> Check<()>) -> Check<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("structs nested deeper than {MAX_DEPTH} levels"));
        }
        let mut last: i16 = 0;
        loop {
            let b = self.byte()?;
            if b == 0 {
                break;
            }
            let ty = b & 0x0f;
            let delta = (b >> 4) as i16;
            let id = if delta == 0 {
                zigzag(self.varint()?) as i16
            } else {
                last.wrapping_add(delta)
            };
            last = id;
            // Booleans carry their value in the field header (`skip` reads
            // nothing for them); they are passed on so that their wire type
            // is checked too.
            field(self, id, ty)?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// Skips a value of type `ty` (a field's; see `skip_element` for list
    /// elements).
    fn skip(&mut self, ty: u8) -> Check<()> {
        match ty {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.skip_bytes(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.skip_bytes(8),
            BINARY => {
                let n = self.varint()?;
                self.skip_bytes(n)
            }
            LIST | SET => {
                let head = self.byte()?;
                let et = head & 0x0f;
                let n = match head >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                self.count(n, 1)?;
                (0..n).try_for_each(|_| self.skip_element(et))
            }
            MAP => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                self.count(n, 2)?;
                (0..n).try_for_each(|_| {
                    self.skip_element(types >> 4)?;
                    self.skip_element(types & 0x0f)
                })
            }
            STRUCT => self.fields(|this, _, ty| this.skip(ty)),
            other => Err(format!("an unknown Thrift type {other}")),
        }
    }

    /// Skips a list, set or map element: booleans take a byte there.
    fn skip_element(&mut self, ty: u8) -> Check<()> {
        match ty {
            BOOL_TRUE | BOOL_FALSE => self.skip_bytes(1),
            _ => self.skip(ty),
        }
    }

    /// Checks that `n` elements of at least `min_bytes` each can fit.
    fn count(&self, n: u64, min_bytes: u64) -> Check<()> {
        if n.saturating_mul(min_bytes) > self.left {
            return Err(format!(
                "a list of {n} elements with only {} bytes left in the column chunk",
                self.left
            ));
        }
        Ok(())
    }
}

/// The structs of a page header whose fields the walk checks.
#[derive(Clone, Copy)]
enum Known {
    PageHeader,
    DataPageHeader,
    DictionaryPageHeader,
    DataPageHeaderV2,
    Statistics,
}

/// The type the Parquet format declares for a known field.
#[derive(Clone, Copy)]
enum Declared {
    /// `i32` or `i64` (and enums): a zigzag varint, whichever integer wire
    /// type carries it.
    Int,
    Bool,
    Binary,
    Struct(Known),
}

impl Known {
    /// The declared type of field `id` (parquet.thrift), if known.
    fn field(self, id: i16) -> Option<Declared> {
        use Declared::*;
        Some(match (self, id) {
            (Known::PageHeader, 1..=4) => Int,
            (Known::PageHeader, 5) => Struct(Known::DataPageHeader),
            (Known::PageHeader, 7) => Struct(Known::DictionaryPageHeader),
            (Known::PageHeader, 8) => Struct(Known::DataPageHeaderV2),
            (Known::DataPageHeader, 1..=4) => Int,
            (Known::DataPageHeader, 5) => Struct(Known::Statistics),
            (Known::DictionaryPageHeader, 1 | 2) => Int,
            (Known::DictionaryPageHeader, 3) => Bool,
            (Known::DataPageHeaderV2, 1..=6) => Int,
            (Known::DataPageHeaderV2, 7) => Bool,
            (Known::DataPageHeaderV2, 8) => Struct(Known::Statistics),
            (Known::Statistics, 1 | 2 | 5 | 6) => Binary,
            (Known::Statistics, 3 | 4) => Int,
            (Known::Statistics, 7 | 8) => Bool,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Known::PageHeader => "PageHeader",
            Known::DataPageHeader => "DataPageHeader",
            Known::DictionaryPageHeader => "DictionaryPageHeader",
            Known::DataPageHeaderV2 => "DataPageHeaderV2",
            Known::Statistics => "Statistics",
        }
    }
}

impl Declared {
    fn name(self) -> &'static str {
        match self {
            Declared::Int => "integer",
            Declared::Bool => "bool",
            Declared::Binary => "binary",
            Declared::Struct(_) => "struct",
        }
    }
}

fn is_int(ty: u8) -> bool {
    matches!(ty, I16 | I32 | I64)
}

fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    fn size_of(bytes: &[u8]) -> Check<(u64, u64)> {
        let mut r = bytes;
        let mut c = Compact {
            reader: &mut r,
            left: bytes.len() as u64,
            depth: 0,
        };
        let size = c.page_size()?;
        Ok((size, bytes.len() as u64 - c.left))
    }

    #[test]
    fn reads_the_compressed_size_and_skips_the_rest() {
        // type = 0 (i32 field 1), uncompressed 100 (field 2), compressed 42
        // (field 3), a struct in a field the format does not declare (9,
        // skipped by wire type) holding an i32 and a list of two i32s, then
        // stop.
        let header = [
            0x15, 0x00, // field 1, i32 0
            0x15, 0xc8, 0x01, // field 2, i32 100
            0x15, 0x54, // field 3, i32 42
            0x6c, // field 9, struct
            0x15, 0x02, // field 1, i32 1
            0x19, 0x25, 0x02, 0x04, // field 2, list of 2 i32
            0x00, // end of the nested struct
            0x00, // stop
        ];
        assert_eq!(size_of(&header), Ok((42, header.len() as u64)));
    }

    #[test]
    fn refuses_known_fields_of_another_wire_type() {
        // crc (field 4, an i32) sent as a binary of 4 bytes: the fuzzed hang.
        let header = [
            0x15, 0x00, 0x15, 0x12, 0x15, 0x16, 0x18, 0x04, 1, 2, 3, 4, 0x00,
        ];
        assert_eq!(
            size_of(&header),
            Err(
                "field 4 of a PageHeader has wire type 8, not the integer the format declares"
                    .into()
            )
        );
        // data_page_header (field 5) sent as an i64; a nested Statistics
        // min (field 6 of DataPageHeader's field 5) sent as an i32.
        assert!(size_of(&[0x15, 0x00, 0x15, 0x12, 0x15, 0x16, 0x26, 0x00, 0x00]).is_err());
        let nested = [
            0x15, 0x00, 0x15, 0x12, 0x15, 0x16, 0x2c, 0x5c, 0x65, 0x02, 0x00, 0x00, 0x00,
        ];
        assert_eq!(
            size_of(&nested),
            Err(
                "field 6 of a Statistics has wire type 5, not the binary the format declares"
                    .into()
            )
        );
    }

    #[test]
    fn refuses_counts_and_lengths_the_bytes_cannot_hold() {
        // A list claiming 2^31 elements (in a field the format does not
        // declare): the first fuzzed hang.
        let list = [0x99, 0xf5, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00];
        assert_eq!(
            size_of(&list),
            Err("a list of 2147483648 elements with only 1 bytes left in the column chunk".into())
        );
        let binary = [0x98, 0xff, 0x7f, 0x00];
        assert_eq!(
            size_of(&binary),
            Err("a field of 16383 bytes with only 1 left in the column chunk".into())
        );
        assert_eq!(
            size_of(&[0x15, 0x00]),
            Err("the header runs past the column chunk".into())
        );
        let negative = [0x35, 0x01, 0x00];
        assert_eq!(size_of(&negative), Err("a negative page size -1".into()));
        let deep = [0x9c; 40];
        assert_eq!(
            size_of(&deep),
            Err("structs nested deeper than 32 levels".into())
        );
    }
}
