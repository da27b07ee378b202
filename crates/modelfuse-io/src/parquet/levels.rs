//! Checks the repetition and definition levels of every data page before the
//! parquet crate decodes them.
//!
//! Levels are RLE / bit-packed hybrid runs. The parquet crate (60.1) trusts
//! a bit-packed run's length: a run claiming more levels than the page's
//! level bytes hold makes its fast decoder for nullable flat columns slice
//! past the buffer and panic (`BitChunks::new`: "offset + len out of
//! bounds"; a 718-byte file found by fuzzing, kept in
//! `fuzz/known_crashes/`), and a V1 page with `BIT_PACKED` levels longer than
//! the page panics when the crate slices them out. So every page goes through
//! [`CheckedPages`], which the crate calls for its pages (through the
//! [`RowGroups`] hook): each page arrives decompressed, its level sections
//! are located exactly as the crate will locate them, and each run is
//! checked to fit in its bytes, for the levels the page says it holds. A
//! page that fails is a [`Parse`](crate::ErrorKind::Parse) error naming the
//! row group, column and page; nothing is decompressed twice and a check
//! costs a few bytes per run (one run per page for a column without nulls).
//!
//! Fuzzing found more shapes the crate trusts: a dictionary page of zero
//! values that holds bytes and a V2 page whose levels hold more values than
//! its header's count of non-null values (both make it divide by zero), and
//! a dictionary-encoded page in a chunk without a dictionary page (it
//! panics). All are refused here too (the levels at the maximum definition
//! level are counted: a pop count for the usual one-bit levels).

use std::fs::File;
use std::sync::Arc;

use parquet::arrow::arrow_reader::RowGroups;
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageIterator, PageMetadata, PageReader};
use parquet::errors::{ParquetError, Result as PqResult};
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};
use parquet::file::serialized_reader::SerializedPageReader;

/// Every row group of one file, with each column chunk's pages checked.
pub(crate) struct CheckedRowGroups {
    pub(crate) file: Arc<File>,
    pub(crate) meta: Arc<ParquetMetaData>,
}

impl RowGroups for CheckedRowGroups {
    fn num_rows(&self) -> usize {
        self.meta
            .row_groups()
            .iter()
            .map(|g| g.num_rows().max(0) as usize)
            .sum()
    }

    fn column_chunks(&self, column: usize) -> PqResult<Box<dyn PageIterator>> {
        Ok(Box::new(Chunks {
            file: Arc::clone(&self.file),
            meta: Arc::clone(&self.meta),
            column,
            next_group: 0,
        }))
    }

    fn row_groups(&self) -> Box<dyn Iterator<Item = &RowGroupMetaData> + '_> {
        Box::new(self.meta.row_groups().iter())
    }

    fn metadata(&self) -> &ParquetMetaData {
        &self.meta
    }
}

/// The column chunks of one column, row group after row group.
struct Chunks {
    file: Arc<File>,
    meta: Arc<ParquetMetaData>,
    column: usize,
    next_group: usize,
}

impl Iterator for Chunks {
    type Item = PqResult<Box<dyn PageReader>>;

    fn next(&mut self) -> Option<Self::Item> {
        let group = self.next_group;
        let meta = self.meta.row_groups().get(group)?;
        self.next_group += 1;
        let chunk = meta.column(self.column);
        let descr = chunk.column_descr();
        let rows = meta.num_rows().max(0) as usize;
        Some(
            SerializedPageReader::new(Arc::clone(&self.file), chunk, rows, None).map(|inner| {
                Box::new(CheckedPages {
                    inner,
                    max_def: descr.max_def_level(),
                    max_rep: descr.max_rep_level(),
                    group,
                    column: self.column,
                    page: 0,
                    dictionary: false,
                }) as Box<dyn PageReader>
            }),
        )
    }
}

impl PageIterator for Chunks {}

/// A column chunk's pages, each data page's levels checked.
struct CheckedPages {
    inner: SerializedPageReader<File>,
    max_def: i16,
    max_rep: i16,
    group: usize,
    column: usize,
    /// 0-based index of the next page in the chunk (dictionary included).
    page: usize,
    /// Whether the chunk's dictionary page has been read.
    dictionary: bool,
}

impl CheckedPages {
    fn check(&mut self, page: &Page) -> PqResult<()> {
        let checked = match page {
            Page::DictionaryPage { .. } => {
                self.dictionary = true;
                check_page(page, self.max_rep, self.max_def)
            }
            // The crate expects (panics without) a dictionary before a
            // dictionary-encoded page, as the format requires: refuse a
            // chunk that lacks one (found by fuzzing).
            _ if !self.dictionary && is_dictionary_encoded(page.encoding()) => Err(format!(
                "a page encoded as {} with no dictionary page before it",
                page.encoding()
            )),
            _ => check_page(page, self.max_rep, self.max_def),
        };
        checked.map_err(|what| {
            ParquetError::General(format!(
                "corrupt Parquet page: row group {}, column {}, page {}: {what}",
                self.group, self.column, self.page
            ))
        })
    }
}

impl Iterator for CheckedPages {
    type Item = PqResult<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        self.get_next_page().transpose()
    }
}

impl PageReader for CheckedPages {
    fn get_next_page(&mut self) -> PqResult<Option<Page>> {
        let page = self.inner.get_next_page()?;
        if let Some(page) = &page {
            self.check(page)?;
            self.page += 1;
        }
        Ok(page)
    }

    fn peek_next_page(&mut self) -> PqResult<Option<PageMetadata>> {
        self.inner.peek_next_page()
    }

    fn skip_next_page(&mut self) -> PqResult<()> {
        self.page += 1;
        self.inner.skip_next_page()
    }

    fn at_record_boundary(&mut self) -> PqResult<bool> {
        self.inner.at_record_boundary()
    }
}

type Check<T> = std::result::Result<T, String>;

fn is_dictionary_encoded(encoding: Encoding) -> bool {
    matches!(
        encoding,
        Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY
    )
}

/// Checks the level sections of a (decompressed) page: repetition levels
/// first, then definition levels, each only when the column has them.
fn check_page(page: &Page, max_rep: i16, max_def: i16) -> Check<()> {
    match page {
        Page::DataPage {
            buf,
            num_values,
            def_level_encoding,
            rep_level_encoding,
            ..
        } => {
            let mut rest = buf.as_ref();
            if max_rep > 0 {
                rest = v1_levels(rest, *rep_level_encoding, max_rep, *num_values)
                    .map_err(|e| format!("repetition levels: {e}"))?;
            }
            if max_def > 0 {
                v1_levels(rest, *def_level_encoding, max_def, *num_values)
                    .map_err(|e| format!("definition levels: {e}"))?;
            }
            Ok(())
        }
        Page::DataPageV2 {
            buf,
            num_values,
            num_nulls,
            def_levels_byte_len,
            rep_levels_byte_len,
            ..
        } => {
            let rep_len = *rep_levels_byte_len as usize;
            let def_len = *def_levels_byte_len as usize;
            if rep_len.saturating_add(def_len) > buf.len() {
                return Err(format!(
                    "{rep_len} bytes of repetition and {def_len} of definition levels in a {}-byte page",
                    buf.len()
                ));
            }
            if max_rep > 0 {
                hybrid(&buf[..rep_len], bit_width(max_rep), max_rep, *num_values)
                    .map_err(|e| format!("repetition levels: {e}"))?;
            }
            let present = if max_def > 0 {
                hybrid(
                    &buf[rep_len..rep_len + def_len],
                    bit_width(max_def),
                    max_def,
                    *num_values,
                )
                .map_err(|e| format!("definition levels: {e}"))?
            } else {
                u64::from(*num_values)
            };
            // The crate sizes its value decoder by the header's count of
            // non-null values and divides by what is left of it: a page
            // whose levels hold more values than that made it divide by
            // zero (found by fuzzing).
            let values = num_values.saturating_sub(*num_nulls);
            if present > u64::from(values) {
                return Err(format!(
                    "the levels hold {present} values, the header {values} ({num_values} minus {num_nulls} nulls)"
                ));
            }
            Ok(())
        }
        // The crate's string dictionary decoder divides the page's bytes by
        // its value count: an empty dictionary with bytes made it divide by
        // zero (found by fuzzing).
        Page::DictionaryPage {
            buf, num_values, ..
        } if *num_values == 0 && !buf.is_empty() => Err(format!(
            "a dictionary page of 0 values holds {} bytes",
            buf.len()
        )),
        Page::DictionaryPage { .. } => Ok(()),
    }
}

/// Checks one level section of a V1 page and returns the bytes after it.
fn v1_levels(buf: &[u8], encoding: Encoding, max: i16, num_values: u32) -> Check<&[u8]> {
    let width = bit_width(max);
    match encoding {
        Encoding::RLE => {
            let Some((len, rest)) = buf.split_first_chunk::<4>() else {
                return Err(format!("a {}-byte page has no level length", buf.len()));
            };
            // The crate reads the length as an i32 and casts it, so a
            // negative length is huge and refused here too.
            let len = i32::from_le_bytes(*len) as usize;
            if len > rest.len() {
                return Err(format!(
                    "{len} bytes of levels with only {} left in the page",
                    rest.len()
                ));
            }
            hybrid(&rest[..len], width, max, num_values)?;
            Ok(&rest[len..])
        }
        #[allow(deprecated)]
        Encoding::BIT_PACKED => {
            let len = (num_values as usize * width as usize).div_ceil(8);
            if len > buf.len() {
                return Err(format!(
                    "{num_values} bit-packed levels need {len} bytes, the page has {}",
                    buf.len()
                ));
            }
            Ok(&buf[len..])
        }
        other => Err(format!("levels encoded as {other}, expected RLE")),
    }
}

/// Checks that the RLE / bit-packed hybrid runs in `data` hold their first
/// `num_values` levels: each bit-packed run's levels up to that count lie
/// inside `data`, and each repeated run has its value. Runs past the count
/// are never read and not checked. Returns how many of those levels equal
/// `max` (for definition levels: the values present). Time: one step per
/// repeated run, one per level of a bit-packed run.
fn hybrid(data: &[u8], width: u8, max: i16, num_values: u32) -> Check<u64> {
    let value_bytes = usize::from(width).div_ceil(8);
    let mut left = num_values as u64;
    let mut at_max = 0u64;
    let mut pos = 0usize;
    while left > 0 && pos < data.len() {
        let (header, len) = varint(&data[pos..])?;
        pos += len;
        let count = header >> 1;
        if header & 1 == 1 {
            // `count` groups of 8 levels, `width` bytes per group.
            let levels = count.saturating_mul(8);
            let read = levels.min(left);
            let need = read.saturating_mul(u64::from(width)).div_ceil(8);
            let have = (data.len() - pos) as u64;
            if need > have {
                return Err(format!(
                    "a bit-packed run of {levels} levels needs {need} bytes for the {read} the page holds, {have} are left"
                ));
            }
            at_max += count_packed(&data[pos..], width, read as usize, max);
            left -= read;
            let run_bytes = count.saturating_mul(u64::from(width));
            pos = pos.saturating_add(usize::try_from(run_bytes).unwrap_or(usize::MAX));
        } else {
            let Some(value) = data.get(pos..pos + value_bytes) else {
                return Err(format!(
                    "a run of {count} repeated levels has no value at byte {pos}"
                ));
            };
            // Little-endian, as the crate reads it; levels fit in 2 bytes.
            let value = value
                .iter()
                .rev()
                .fold(0u64, |v, &b| (v << 8) | u64::from(b));
            let read = count.min(left);
            if value == max as u64 {
                at_max += read;
            }
            left -= read;
            pos += value_bytes;
        }
    }
    Ok(at_max)
}

/// How many of the first `n` levels bit-packed in `data` (`width` bits each,
/// least significant bit first) equal `max`.
fn count_packed(data: &[u8], width: u8, n: usize, max: i16) -> u64 {
    let width = usize::from(width);
    if width == 1 {
        // The common case (nullable flat columns): count the set bits.
        let full = n / 8;
        let mut ones: u64 = data[..full].iter().map(|b| u64::from(b.count_ones())).sum();
        if !n.is_multiple_of(8) {
            ones += u64::from((data[full] & ((1u8 << (n % 8)) - 1)).count_ones());
        }
        return if max == 1 { ones } else { n as u64 - ones };
    }
    let mask = (1u64 << width) - 1;
    (0..n)
        .filter(|&i| {
            let bit = i * width;
            let mut v = 0u64;
            for (j, &b) in data[bit / 8..(bit + width).div_ceil(8)].iter().enumerate() {
                v |= u64::from(b) << (8 * j);
            }
            (v >> (bit % 8)) & mask == max as u64
        })
        .count() as u64
}

/// A ULEB128 run header as the crate reads it (at most 10 bytes).
fn varint(data: &[u8]) -> Check<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in data.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i as u32).min(63);
        if b & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err("a run header longer than its bytes or than 10 bytes".into())
}

/// Bits per level for levels up to `max`.
fn bit_width(max: i16) -> u8 {
    (16 - (max.max(0) as u16).leading_zeros()) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_widths() {
        assert_eq!(bit_width(0), 0);
        assert_eq!(bit_width(1), 1);
        assert_eq!(bit_width(2), 2);
        assert_eq!(bit_width(3), 2);
        assert_eq!(bit_width(4), 3);
    }

    #[test]
    fn accepts_runs_that_hold_their_levels() {
        // 100 levels of 1 in one repeated run (header 200, two bytes).
        assert_eq!(hybrid(&[0xc8, 0x01, 1], 1, 1, 100), Ok(100));
        // One bit-packed group of 8 levels (1 byte at width 1), for 5 levels.
        assert_eq!(hybrid(&[0b11, 0xff], 1, 1, 5), Ok(5));
        // Two groups at width 2: 4 bytes; the page reads 9 levels, so the
        // second group's first byte (levels 9..12) must be there, not all.
        assert_eq!(hybrid(&[0b101, 0, 0, 0], 2, 3, 9), Ok(0));
        // Runs past the page's levels are not read, so not checked.
        assert_eq!(hybrid(&[8, 1, 0xff], 1, 1, 4), Ok(4));
        // Fewer bytes than levels: the crate reports the short page itself.
        assert_eq!(hybrid(&[], 1, 1, 4), Ok(0));
    }

    #[test]
    fn refuses_runs_longer_than_their_bytes() {
        // 64 groups claimed (512 levels) with one byte of data: the fuzzed
        // panic's shape.
        assert_eq!(
            hybrid(&[0x81, 0x01, 0xff], 1, 1, 100),
            Err("a bit-packed run of 512 levels needs 13 bytes for the 100 the page holds, 1 are left".into())
        );
        assert_eq!(
            hybrid(&[0xc8, 0x01], 1, 1, 100),
            Err("a run of 100 repeated levels has no value at byte 2".into())
        );
        assert!(hybrid(&[0x80; 12], 1, 1, 100).is_err());
    }

    #[test]
    fn counts_the_levels_at_the_maximum() {
        // 0b1011_0110 then 0b01: 6 set bits among the first 10 levels, 4 clear.
        assert_eq!(
            hybrid(&[0b11 << 1 | 1, 0b1011_0110, 0b01, 0xff], 1, 1, 10),
            Ok(6)
        );
        assert_eq!(
            hybrid(&[0b11 << 1 | 1, 0b1011_0110, 0b01, 0xff], 1, 0, 10),
            Ok(4)
        );
        // Width 2, levels 2, 1, 2, 0 (0b00_10_01_10) then 2 (0b10): three 2s.
        assert_eq!(hybrid(&[0b11, 0b0010_0110, 0b10], 2, 2, 5), Ok(3));
        // A repeated run of 0s, then of 1s.
        assert_eq!(hybrid(&[6, 0, 8, 1], 1, 1, 7), Ok(4));
    }

    fn v2_page(num_values: u32, num_nulls: u32, def_len: u32, buf: Vec<u8>) -> Page {
        Page::DataPageV2 {
            buf: buf.into(),
            num_values,
            encoding: Encoding::PLAIN,
            num_nulls,
            num_rows: num_values,
            def_levels_byte_len: def_len,
            rep_levels_byte_len: 0,
            is_compressed: false,
            statistics: None,
        }
    }

    #[test]
    fn v2_pages_hold_no_more_values_than_their_header_counts() {
        // Definition levels: one repeated run of 4 ones; then 4 values.
        let levels = vec![8, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(check_page(&v2_page(4, 0, 2, levels.clone()), 0, 1), Ok(()));
        assert_eq!(
            check_page(&v2_page(4, 4, 2, levels.clone()), 0, 1),
            Err("the levels hold 4 values, the header 0 (4 minus 4 nulls)".into())
        );
        assert_eq!(
            check_page(&v2_page(4, 0, 20, levels), 0, 1),
            Err("0 bytes of repetition and 20 of definition levels in a 10-byte page".into())
        );
        // A required column has no levels: every level is a value.
        assert_eq!(check_page(&v2_page(1, 0, 0, vec![0; 4]), 0, 0), Ok(()));
        assert!(check_page(&v2_page(1, 1, 0, vec![0; 4]), 0, 0).is_err());
    }

    #[test]
    fn dictionary_pages_of_no_values_hold_no_bytes() {
        let dict = |num_values, len| Page::DictionaryPage {
            buf: vec![0u8; len].into(),
            num_values,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        assert_eq!(check_page(&dict(0, 0), 0, 1), Ok(()));
        assert_eq!(check_page(&dict(2, 10), 0, 1), Ok(()));
        assert_eq!(
            check_page(&dict(0, 10), 0, 1),
            Err("a dictionary page of 0 values holds 10 bytes".into())
        );
    }

    #[test]
    fn v1_sections_are_located_like_the_crate_does() {
        // Length 2, then one repeated run of 10 ones, then the values.
        let page = [2, 0, 0, 0, 20, 1, 0xaa, 0xbb];
        assert_eq!(v1_levels(&page, Encoding::RLE, 1, 10), Ok(&page[6..]));
        let long = [9, 0, 0, 0, 20, 1];
        assert!(v1_levels(&long, Encoding::RLE, 1, 10).is_err());
        let negative = [0xff, 0xff, 0xff, 0xff, 20, 1];
        assert!(v1_levels(&negative, Encoding::RLE, 1, 10).is_err());
        assert!(v1_levels(&[1, 0], Encoding::RLE, 1, 10).is_err());
        #[allow(deprecated)]
        let packed = Encoding::BIT_PACKED;
        assert_eq!(v1_levels(&page, packed, 1, 16), Ok(&page[2..]));
        assert!(v1_levels(&page, packed, 1, 100).is_err());
        assert!(v1_levels(&page, Encoding::PLAIN, 1, 10).is_err());
    }
}
