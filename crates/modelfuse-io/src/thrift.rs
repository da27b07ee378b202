//! A bounded reader of Thrift compact-protocol structs, used to check a
//! Parquet file's footer and page headers before the parquet crate parses
//! them.
//!
//! The parquet crate (60.1) parses these structs without bounding its work
//! in two ways, both found by fuzzing (`fuzz/known_hangs/`):
//! - it skips the elements of an unknown list, set or map of booleans
//!   without reading a byte per element (compact protocol spends one), so a
//!   list claiming 2^31 booleans costs 2^31 empty iterations: seconds on a
//!   733-byte footer, more when such lists nest;
//! - it reads a field the format declares as its declared type whatever the
//!   wire type says (a binary sent where an `i32` is declared is read as a
//!   varint), so a walk that skipped by wire type would read the bytes one
//!   way and the crate another, and the crate would meet structures the
//!   walk never checked.
//!
//! So this reader knows the declared type of every field the crate reads
//! (the `Known` tables below, from parquet.thrift and the crate's readers),
//! refuses a known field whose wire type differs, skips containers of
//! booleans as the crate does (reading nothing per element) but against a
//! budget of one element per byte of the struct, checks every other length
//! and element count against the bytes left, and caps nesting. A struct it
//! accepts is read by the crate at the same byte positions, in time linear
//! in its size.

use std::io::Read;

/// Deeper nesting than any real footer or page header has (footers nest 6
/// levels: FileMetaData, RowGroup, ColumnChunk, ColumnMetaData, Statistics).
const MAX_DEPTH: u32 = 32;

pub(crate) type Check<T> = std::result::Result<T, String>;

/// A Thrift compact-protocol reader that never reads past `left` bytes.
pub(crate) struct Compact<'a, R> {
    reader: &'a mut R,
    /// Bytes that may still be read.
    pub(crate) left: u64,
    /// Container elements that may still be skipped without reading a byte
    /// (booleans, as the crate skips them).
    empty_skips: u64,
    depth: u32,
    /// What the bytes are, for messages ("column chunk", "footer").
    region: &'static str,
}

impl<'a, R: Read> Compact<'a, R> {
    pub(crate) fn new(reader: &'a mut R, left: u64, region: &'static str) -> Self {
        Compact {
            reader,
            left,
            empty_skips: left,
            depth: 0,
            region,
        }
    }

    /// Reads a struct of kind `known` to its stop byte.
    pub(crate) fn walk(&mut self, known: Known) -> Check<()> {
        self.fields(|this, id, ty| this.known_field(known, id, ty))
    }

    /// Reads a `PageHeader` and returns its `compressed_page_size`.
    pub(crate) fn page_size(&mut self) -> Check<u64> {
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

    /// Reads field `id` of a `struct_` struct after checking that its wire
    /// type is the one the Parquet format declares (see the module's doc).
    fn known_field(&mut self, struct_: Known, id: i16, ty: u8) -> Check<()> {
        let Some(declared) = struct_.field(id) else {
            // Unknown fields are skipped by wire type, here as in the crate.
            return self.skip(ty);
        };
        let ok = match declared {
            Declared::Int => is_int(ty),
            Declared::Byte => ty == BYTE,
            Declared::Double => ty == DOUBLE,
            Declared::Bool => is_bool(ty),
            Declared::Binary => ty == BINARY,
            Declared::Struct(_) => ty == STRUCT,
            Declared::List(_) => ty == LIST,
        };
        if !ok {
            return Err(format!(
                "field {id} of a {} has wire type {ty}, not the {} the format declares",
                struct_.name(),
                declared.name()
            ));
        }
        match declared {
            Declared::Struct(inner) => self.walk(inner),
            Declared::List(element) => self.known_list(struct_, id, element),
            _ => self.skip(ty),
        }
    }

    /// Reads a list the format declares with elements of type `element`.
    fn known_list(&mut self, struct_: Known, id: i16, element: Element) -> Check<()> {
        let (et, n) = self.list_header()?;
        if n == 0 {
            return Ok(());
        }
        let ok = match element {
            Element::Int => is_int(et),
            Element::Struct(_) => et == STRUCT,
        };
        if !ok {
            return Err(format!(
                "field {id} of a {} is a list of wire type {et}, not of the {} the format declares",
                struct_.name(),
                element.name()
            ));
        }
        self.count(n, 1)?;
        self.nest()?;
        for _ in 0..n {
            match element {
                Element::Int => self.skip(et)?,
                Element::Struct(inner) => self.walk(inner)?,
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn byte(&mut self) -> Check<u8> {
        if self.left == 0 {
            return Err(format!("a struct runs past the {}", self.region));
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
                "a field of {n} bytes with only {} left in the {}",
                self.left, self.region
            ));
        }
        let copied = std::io::copy(&mut self.reader.by_ref().take(n), &mut std::io::sink())
            .map_err(|e| format!("cannot read: {e}"))?;
        if copied != n {
            return Err(format!("the file ends inside the {}", self.region));
        }
        self.left -= n;
        Ok(())
    }

    fn nest(&mut self) -> Check<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("structs nested deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    /// Reads a struct's fields up to its stop byte, calling `field` with each
    /// field's id and type (the value unread).
    fn fields(&mut self, mut field: impl FnMut(&mut Self, i16, u8) -> Check<()>) -> Check<()> {
        self.nest()?;
        let mut last: i16 = 0;
        loop {
            let b = self.byte()?;
            // The crate takes any byte whose type nibble is 0 for the stop.
            if b & 0x0f == 0 {
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

    /// A list or set header: its element type and count.
    fn list_header(&mut self) -> Check<(u8, u64)> {
        let head = self.byte()?;
        let n = match head >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        Ok((head & 0x0f, n))
    }

    /// Skips `n` container elements that the crate skips without reading a
    /// byte (booleans), against the budget.
    fn skip_empty(&mut self, n: u64) -> Check<()> {
        if n > self.empty_skips {
            return Err(format!(
                "containers of {n} more booleans than the {} has bytes",
                self.region
            ));
        }
        self.empty_skips -= n;
        Ok(())
    }

    /// Skips a container element of type `ty`: nothing for a boolean (see
    /// `skip_empty`), as for a field otherwise.
    fn skip_element(&mut self, ty: u8) -> Check<()> {
        if is_bool(ty) {
            return Ok(());
        }
        self.skip(ty)
    }

    /// Skips a value of type `ty` (a field's, or a container element's other
    /// than a boolean).
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
                let (et, n) = self.list_header()?;
                if n == 0 {
                    return Ok(());
                }
                if is_bool(et) {
                    return self.skip_empty(n);
                }
                self.count(n, 1)?;
                self.nest()?;
                (0..n).try_for_each(|_| self.skip(et))?;
                self.depth -= 1;
                Ok(())
            }
            MAP => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                let (key, value) = (types >> 4, types & 0x0f);
                let read = u64::from(!is_bool(key)) + u64::from(!is_bool(value));
                if read < 2 {
                    self.skip_empty(n)?;
                }
                self.count(n, read)?;
                self.nest()?;
                (0..n).try_for_each(|_| {
                    self.skip_element(key)?;
                    self.skip_element(value)
                })?;
                self.depth -= 1;
                Ok(())
            }
            STRUCT => self.fields(|this, _, ty| this.skip(ty)),
            other => Err(format!("an unknown Thrift type {other}")),
        }
    }

    /// Checks that `n` elements of at least `min_bytes` each can fit.
    fn count(&self, n: u64, min_bytes: u64) -> Check<()> {
        if n.saturating_mul(min_bytes) > self.left {
            return Err(format!(
                "a list of {n} elements with only {} bytes left in the {}",
                self.left, self.region
            ));
        }
        Ok(())
    }
}

/// The structs whose fields the reader knows, with the fields the parquet
/// crate reads as their declared types. Fields the crate skips by wire type
/// (encryption, `path_in_schema`, key-value metadata of a column, a row
/// group's `total_compressed_size`) are left out, so they are skipped the
/// same way here.
#[derive(Clone, Copy)]
pub(crate) enum Known {
    PageHeader,
    DataPageHeader,
    DictionaryPageHeader,
    DataPageHeaderV2,
    Statistics,
    FileMetaData,
    SchemaElement,
    LogicalType,
    DecimalType,
    TimeType,
    TimeUnit,
    IntType,
    VariantType,
    GeometryType,
    GeographyType,
    RowGroup,
    ColumnChunk,
    ColumnMetaData,
    KeyValue,
    SortingColumn,
    PageEncodingStats,
    SizeStatistics,
    GeospatialStatistics,
    BoundingBox,
    ColumnOrder,
    /// The crate reads the empty structs of unions as a lone stop byte.
    Empty,
}

/// The type the Parquet format declares for a known field.
#[derive(Clone, Copy)]
enum Declared {
    /// `i16`, `i32` or `i64` (and enums): a zigzag varint, whichever integer
    /// wire type carries it.
    Int,
    Byte,
    Double,
    Bool,
    Binary,
    Struct(Known),
    List(Element),
}

/// The element type of a declared list.
#[derive(Clone, Copy)]
enum Element {
    Int,
    Struct(Known),
}

impl Known {
    /// The declared type of field `id` (parquet.thrift), if the crate reads
    /// it.
    fn field(self, id: i16) -> Option<Declared> {
        use Declared::*;
        use Known as K;
        Some(match (self, id) {
            (K::PageHeader, 1..=4) => Int,
            (K::PageHeader, 5) => Struct(K::DataPageHeader),
            (K::PageHeader, 6) => Struct(K::Empty),
            (K::PageHeader, 7) => Struct(K::DictionaryPageHeader),
            (K::PageHeader, 8) => Struct(K::DataPageHeaderV2),
            (K::DataPageHeader, 1..=4) => Int,
            (K::DataPageHeader, 5) => Struct(K::Statistics),
            (K::DictionaryPageHeader, 1 | 2) => Int,
            (K::DictionaryPageHeader, 3) => Bool,
            (K::DataPageHeaderV2, 1..=6) => Int,
            (K::DataPageHeaderV2, 7) => Bool,
            (K::DataPageHeaderV2, 8) => Struct(K::Statistics),
            (K::Statistics, 1 | 2 | 5 | 6) => Binary,
            (K::Statistics, 3 | 4 | 9) => Int,
            (K::Statistics, 7 | 8) => Bool,

            (K::FileMetaData, 1 | 3) => Int,
            (K::FileMetaData, 2) => List(Element::Struct(K::SchemaElement)),
            (K::FileMetaData, 4) => List(Element::Struct(K::RowGroup)),
            (K::FileMetaData, 5) => List(Element::Struct(K::KeyValue)),
            (K::FileMetaData, 6) => Binary,
            (K::FileMetaData, 7) => List(Element::Struct(K::ColumnOrder)),
            (K::SchemaElement, 1..=3 | 5..=9) => Int,
            (K::SchemaElement, 4) => Binary,
            (K::SchemaElement, 10) => Struct(K::LogicalType),
            (K::LogicalType, 1..=4 | 6 | 11..=15 | 19) => Struct(K::Empty),
            (K::LogicalType, 5) => Struct(K::DecimalType),
            (K::LogicalType, 7 | 8) => Struct(K::TimeType),
            (K::LogicalType, 10) => Struct(K::IntType),
            (K::LogicalType, 16) => Struct(K::VariantType),
            (K::LogicalType, 17) => Struct(K::GeometryType),
            (K::LogicalType, 18) => Struct(K::GeographyType),
            (K::DecimalType, 1 | 2) => Int,
            (K::TimeType, 1) => Bool,
            (K::TimeType, 2) => Struct(K::TimeUnit),
            (K::TimeUnit, 1..=3) => Struct(K::Empty),
            (K::IntType, 1) => Byte,
            (K::IntType, 2) => Bool,
            (K::VariantType, 1) => Byte,
            (K::GeometryType, 1) => Binary,
            (K::GeographyType, 1) => Binary,
            (K::GeographyType, 2) => Int,
            (K::RowGroup, 1) => List(Element::Struct(K::ColumnChunk)),
            (K::RowGroup, 2 | 3 | 5 | 7) => Int,
            (K::RowGroup, 4) => List(Element::Struct(K::SortingColumn)),
            (K::ColumnChunk, 1) => Binary,
            (K::ColumnChunk, 2 | 4..=7) => Int,
            (K::ColumnChunk, 3) => Struct(K::ColumnMetaData),
            (K::ColumnMetaData, 1 | 4..=7 | 9..=11 | 14 | 15) => Int,
            (K::ColumnMetaData, 2) => List(Element::Int),
            (K::ColumnMetaData, 12) => Struct(K::Statistics),
            (K::ColumnMetaData, 13) => List(Element::Struct(K::PageEncodingStats)),
            (K::ColumnMetaData, 16) => Struct(K::SizeStatistics),
            (K::ColumnMetaData, 17) => Struct(K::GeospatialStatistics),
            (K::KeyValue, 1 | 2) => Binary,
            (K::SortingColumn, 1) => Int,
            (K::SortingColumn, 2 | 3) => Bool,
            (K::PageEncodingStats, 1..=3) => Int,
            (K::SizeStatistics, 1) => Int,
            (K::SizeStatistics, 2 | 3) => List(Element::Int),
            (K::GeospatialStatistics, 1) => Struct(K::BoundingBox),
            (K::GeospatialStatistics, 2) => List(Element::Int),
            (K::BoundingBox, 1..=8) => Double,
            (K::ColumnOrder, 1..=3) => Struct(K::Empty),
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
            Known::FileMetaData => "FileMetaData",
            Known::SchemaElement => "SchemaElement",
            Known::LogicalType => "LogicalType",
            Known::DecimalType => "DecimalType",
            Known::TimeType => "TimeType",
            Known::TimeUnit => "TimeUnit",
            Known::IntType => "IntType",
            Known::VariantType => "VariantType",
            Known::GeometryType => "GeometryType",
            Known::GeographyType => "GeographyType",
            Known::RowGroup => "RowGroup",
            Known::ColumnChunk => "ColumnChunk",
            Known::ColumnMetaData => "ColumnMetaData",
            Known::KeyValue => "KeyValue",
            Known::SortingColumn => "SortingColumn",
            Known::PageEncodingStats => "PageEncodingStats",
            Known::SizeStatistics => "SizeStatistics",
            Known::GeospatialStatistics => "GeospatialStatistics",
            Known::BoundingBox => "BoundingBox",
            Known::ColumnOrder => "ColumnOrder",
            Known::Empty => "empty struct",
        }
    }
}

impl Declared {
    fn name(self) -> &'static str {
        match self {
            Declared::Int => "integer",
            Declared::Byte => "byte",
            Declared::Double => "double",
            Declared::Bool => "bool",
            Declared::Binary => "binary",
            Declared::Struct(_) => "struct",
            Declared::List(_) => "list",
        }
    }
}

impl Element {
    fn name(self) -> &'static str {
        match self {
            Element::Int => "integers",
            Element::Struct(_) => "structs",
        }
    }
}

/// The Thrift compact-protocol field id of `PageHeader.compressed_page_size`.
const COMPRESSED_PAGE_SIZE: i16 = 3;

fn is_bool(ty: u8) -> bool {
    ty == BOOL_TRUE || ty == BOOL_FALSE
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
        let mut c = Compact::new(&mut r, bytes.len() as u64, "column chunk");
        let size = c.page_size()?;
        Ok((size, bytes.len() as u64 - c.left))
    }

    fn footer(bytes: &[u8]) -> Check<u64> {
        let mut r = bytes;
        let mut c = Compact::new(&mut r, bytes.len() as u64, "footer");
        c.walk(Known::FileMetaData)?;
        Ok(bytes.len() as u64 - c.left)
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
            Err("a struct runs past the column chunk".into())
        );
        let negative = [0x35, 0x01, 0x00];
        assert_eq!(size_of(&negative), Err("a negative page size -1".into()));
        let deep = [0x9c; 40];
        assert_eq!(
            size_of(&deep),
            Err("structs nested deeper than 32 levels".into())
        );
    }

    #[test]
    fn skips_containers_of_booleans_as_the_crate_does_within_a_budget() {
        // Field 10 of a FileMetaData (undeclared) holding a list of 2^31 - 1
        // booleans: the crate skips it without reading, the footer hang CI's
        // fuzzing found.
        let long = [0xa9, 0xf1, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00];
        assert_eq!(
            footer(&long),
            Err("containers of 2147483647 more booleans than the footer has bytes".into())
        );
        // Three booleans cost no bytes, as in the crate: the bytes after
        // the list header are the next fields (here an i32 field 11).
        assert_eq!(footer(&[0xa9, 0x31, 0x15, 0x02, 0x00]), Ok(5));
        // A map of i16 keys to booleans reads the keys only.
        assert_eq!(footer(&[0xab, 0x02, 0x41, 0x02, 0x04, 0x00]), Ok(6));
        // Nested lists share one budget: 4 lists of 14 booleans in 6 bytes.
        let nested = [0xa9, 0x49, 0xe1, 0xe1, 0xe1, 0xe1, 0x00];
        assert_eq!(
            footer(&nested),
            Err("containers of 14 more booleans than the footer has bytes".into())
        );
    }

    #[test]
    fn walks_a_footer_with_its_declared_lists() {
        // version 1; schema: one element named "a"; num_rows 2; no row
        // groups; created_by "x".
        let meta = [
            0x15, 0x02, // field 1 version: i32 1
            0x19, 0x1c, // field 2 schema: list of 1 struct
            0x48, 0x01, b'a', 0x00, // SchemaElement { 4: name "a" }
            0x16, 0x04, // field 3 num_rows: i64 2
            0x19, 0x0c, // field 4 row_groups: empty list of structs
            0x28, 0x01, b'x', // field 6 created_by
            0x00,
        ];
        assert_eq!(footer(&meta), Ok(meta.len() as u64));
        // The schema sent as a list of i32s.
        let mut lying = meta;
        lying[3] = 0x15;
        let err = footer(&lying).unwrap_err();
        assert!(
            err.contains("field 2 of a FileMetaData is a list of wire type 5"),
            "{err}"
        );
        // num_rows sent as a binary.
        let mut lying = meta;
        lying[8] = 0x18;
        assert!(
            footer(&lying)
                .unwrap_err()
                .contains("field 3 of a FileMetaData")
        );
    }
}
