//! CSV and TSV prediction files.
//!
//! The rules, beyond the column layout of [`crate::columns`]:
//!
//! * the first non-blank line is the header; a UTF-8 byte-order mark before
//!   it is skipped;
//! * fields may be quoted as in RFC 4180 (the `csv` crate does the parsing),
//!   and whitespace around names and cells is trimmed;
//! * blank lines (empty or only whitespace) are skipped anywhere;
//! * every other line must have as many fields as the header, with no empty
//!   cell in a column we read;
//! * scores are parsed as `f32`; `nan` and `inf` are accepted here, because
//!   the core rejects non-finite values with a message naming the sample id.
//!
//! Line numbers in errors count physical lines from 1, blank ones included,
//! so they match what an editor shows (see `Lines` for why the csv crate's
//! own count is not used).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use csv::ByteRecord;
use modelfuse::{Content, IdsBuilder, ModelOutput};

use crate::columns::{self, Layout, SegmentColumns, Target};
use crate::error::{Error, Result};
use crate::rows::{self, no_data_rows};
use crate::segments::SegmentParts;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An open CSV/TSV file whose header has been read.
pub(crate) struct Table {
    reader: csv::Reader<Lines<BufReader<File>>>,
    header: Vec<String>,
    header_line: u64,
    record: ByteRecord,
    /// The line `record` starts on.
    line: u64,
}

/// Passes bytes through to the csv parser, keeping those the parser may
/// still be working on, so that a record's byte offset can be turned into
/// the line it starts on.
///
/// The csv crate's own line count leaves out the blank lines it skips, and
/// the offset it reports for a record is where the search for it began, which
/// is before any blank lines. So we count newlines ourselves, up to the first
/// byte at or after that offset that is not a line terminator.
struct Lines<R> {
    inner: R,
    /// Bytes read from `inner` from offset `window_start` on.
    window: Vec<u8>,
    window_start: u64,
    /// How much of `window` has been counted into `newlines`.
    counted: usize,
    newlines: u64,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<R> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            inner,
            window: Vec::new(),
            window_start: 0,
            counted: 0,
            newlines: 0,
        }
    }

    /// The 1-based line of the first record starting at or after `offset`.
    /// Offsets must not decrease from one call to the next.
    fn line_at(&mut self, offset: u64) -> u64 {
        let rel = usize::try_from(offset.saturating_sub(self.window_start)).unwrap_or(usize::MAX);
        let mut start = rel.clamp(self.counted, self.window.len());
        while start < self.window.len() && matches!(self.window[start], b'\r' | b'\n') {
            start += 1;
        }
        let window = &self.window[self.counted..start];
        self.newlines += window.iter().filter(|&&b| b == b'\n').count() as u64;
        self.counted = start;
        // Drop counted bytes now and then, not per record, to keep it linear.
        if self.counted > 1 << 16 {
            self.window.drain(..self.counted);
            self.window_start += self.counted as u64;
            self.counted = 0;
        }
        self.newlines + 1
    }
}

/// One data row of a [`Table`], borrowed until the next is read.
pub(crate) struct Row<'a> {
    line: u64,
    record: &'a ByteRecord,
    header: &'a [String],
}

impl Table {
    /// Opens `path` and reads its header. `delimiter` is `b','` or `b'\t'`.
    pub(crate) fn open(path: &Path, delimiter: u8) -> Result<Table> {
        let file = File::open(path).map_err(|e| Error::io("cannot open", e))?;
        let mut buf = BufReader::new(file);
        // The csv crate would keep a byte-order mark as part of the first
        // name, and a quoted first name after it would not even be unquoted,
        // so drop it before the parser sees it.
        let starts_with_bom = buf
            .fill_buf()
            .map_err(|e| Error::io("cannot read", e))?
            .starts_with(BOM);
        if starts_with_bom {
            buf.consume(BOM.len());
        }
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            // Ragged rows are checked here, to report them in our own words.
            .flexible(true)
            .from_reader(Lines::new(buf));
        let mut table = Table {
            reader,
            header: Vec::new(),
            header_line: 1,
            record: ByteRecord::new(),
            line: 1,
        };
        if !table.advance()? {
            return Err(no_data_rows());
        }
        table.header_line = table.line;
        let header = (0..table.record.len())
            .map(|j| {
                decode(&table.record[j])
                    .map(|s| s.trim().to_string())
                    .map_err(|e| e.at_line(table.header_line))
            })
            .collect::<Result<Vec<_>>>()?;
        table.header = header;
        Ok(table)
    }

    /// The trimmed column names.
    pub(crate) fn header(&self) -> &[String] {
        &self.header
    }

    /// The line the header is on (1 unless blank lines precede it).
    pub(crate) fn header_line(&self) -> u64 {
        self.header_line
    }

    /// Reads the next data row, or `None` at the end of the file.
    ///
    /// # Errors
    ///
    /// A row whose number of fields differs from the header's.
    pub(crate) fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        if !self.advance()? {
            return Ok(None);
        }
        let line = self.line;
        if self.record.len() != self.header.len() {
            return Err(Error::shape(format!(
                "expected {} fields as in the header, found {}",
                self.header.len(),
                self.record.len()
            ))
            .at_line(line));
        }
        Ok(Some(Row {
            line,
            record: &self.record,
            header: &self.header,
        }))
    }

    /// Reads the next non-blank record into `self.record`.
    fn advance(&mut self) -> Result<bool> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(csv_error)?;
            if !more {
                return Ok(false);
            }
            let offset = self.record.position().map_or(0, |p| p.byte());
            self.line = self.reader.get_mut().line_at(offset);
            // The csv crate already skips empty lines; a line of spaces is a
            // record with one blank field, and is as empty to a reader.
            let blank = self.record.len() == 1 && self.record[0].trim_ascii().is_empty();
            if !blank {
                return Ok(true);
            }
        }
    }
}

impl Row<'_> {
    /// The line this row starts on.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The trimmed text of column `j`, possibly empty.
    pub(crate) fn text(&self, j: usize) -> Result<&str> {
        decode(&self.record[j])
            .map(str::trim)
            .map_err(|e| self.locate(e, j))
    }

    /// The trimmed, non-empty text of column `j`; `what` names what the cell
    /// should hold ("an id", "a label") for the error message.
    pub(crate) fn cell(&self, j: usize, what: &str) -> Result<&str> {
        let text = self.text(j)?;
        if text.is_empty() {
            return Err(self.locate(
                Error::parse(format!("expected {what}, found an empty cell")),
                j,
            ));
        }
        Ok(text)
    }

    /// Column `j` as an `f32`.
    pub(crate) fn number(&self, j: usize) -> Result<f32> {
        // Nearly every cell is an ASCII number with ASCII blanks at most:
        // parsed from its bytes without the NUL scan and Unicode trim every
        // text cell gets (a third of a CSV file's read time). Anything else
        // takes the general path below, which gives the same value or error.
        if let Ok(text) = std::str::from_utf8(self.record[j].trim_ascii())
            && let Ok(x) = text.parse::<f32>()
        {
            return Ok(x);
        }
        let text = self.cell(j, "a number")?;
        text.parse::<f32>().map_err(|_| {
            self.locate(
                Error::parse(format!("expected a number, found '{text}'")),
                j,
            )
        })
    }

    /// Attaches this row's line and column `j`'s name to an error.
    pub(crate) fn locate(&self, e: Error, j: usize) -> Error {
        e.at_line(self.line).in_column(self.header[j].clone())
    }
}

/// Reads a CSV (`delimiter` `b','`) or TSV (`b'\t'`) prediction file, with
/// its segment columns when it has a `doc` column.
pub(crate) fn read_table(
    path: &Path,
    delimiter: u8,
    name: String,
) -> Result<(ModelOutput, Option<SegmentParts>)> {
    let mut table = Table::open(path, delimiter)?;
    let at_header = |e: Error| e.at_line(table.header_line());
    let layout = columns::predictions_layout(table.header()).map_err(at_header)?;
    let seg_cols = SegmentColumns::find(table.header()).map_err(at_header)?;
    let mut segments = seg_cols.map(|c| SegmentParts::new(&c));
    let id = layout.id();
    let mut ids = IdsBuilder::default();
    let mut scores = Vec::new();
    let mut labels = Vec::new();
    let mut values = Vec::new();
    while let Some(row) = table.next_row()? {
        ids.push(row.cell(id, "an id")?);
        match &layout {
            Layout::Scores { classes, .. } => {
                for &j in classes {
                    scores.push(row.number(j)?);
                }
            }
            Layout::Labels { label, .. } => labels.push(row.cell(*label, "a label")?.to_string()),
            Layout::Values { value, .. } => values.push(row.number(*value)?),
        }
        if let (Some(parts), Some(c)) = (segments.as_mut(), seg_cols) {
            let doc = row.cell(c.doc, "a document id")?;
            let position = c.segment.map(|j| row.cell(j, "a position")).transpose()?;
            let length = c.length.map(|j| row.number(j)).transpose()?;
            parts
                .push(doc, position, length)
                .map_err(|(e, j)| row.locate(e, j.resolve(&c)))?;
        }
    }
    if ids.is_empty() {
        return Err(no_data_rows());
    }
    let content = match layout {
        Layout::Scores { classes, .. } => Content::Scores {
            columns: classes.iter().map(|&j| table.header[j].clone()).collect(),
            values: scores,
        },
        Layout::Labels { .. } => Content::Labels(labels),
        Layout::Values { .. } => Content::Values(values),
    };
    Ok((
        ModelOutput {
            name,
            ids: ids.finish(),
            content,
        },
        segments,
    ))
}

/// Reads a CSV/TSV labels file into entries positioned by line.
pub(crate) fn read_labels(path: &Path, delimiter: u8) -> Result<rows::Table> {
    let mut table = Table::open(path, delimiter)?;
    let layout =
        columns::labels_layout(table.header()).map_err(|e| e.at_line(table.header_line()))?;
    let mut entries = Vec::new();
    while let Some(row) = table.next_row()? {
        let id = row.cell(layout.id, "an id")?.to_string();
        // Empty labels are judged by the labels reader, the same way for
        // every format; numbers are checked here, where the line is known.
        let target = row.text(layout.target)?;
        if layout.kind == Target::Value && !target.is_empty() {
            row.number(layout.target)?;
        }
        entries.push(rows::Entry {
            id,
            target: target.to_string(),
            position: row.line(),
        });
    }
    if entries.is_empty() {
        return Err(no_data_rows());
    }
    Ok(rows::Table {
        kind: layout.kind,
        target_column: table.header[layout.target].clone(),
        position: rows::Position::Line,
        entries,
    })
}

/// Decodes one field as UTF-8, naming the first bad byte.
fn decode(bytes: &[u8]) -> Result<&str> {
    if bytes.contains(&0) {
        return Err(Error::parse(
            "expected text, found a NUL byte (a binary file, or text saved as UTF-16? save it as UTF-8)",
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let bad = bytes[e.valid_up_to()];
        Error::parse(format!(
            "expected UTF-8 text, found the byte 0x{bad:02x} (save the file as UTF-8)"
        ))
    })
}

fn csv_error(err: csv::Error) -> Error {
    match err.into_kind() {
        csv::ErrorKind::Io(io) => Error::io("cannot read", io),
        // Flexible byte records fail only on I/O (no UTF-8 or length checks
        // in the parser), so this is a safety net rather than a real path.
        _ => Error::parse("cannot parse the file as CSV"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_predictions, write_predictions};
    use modelfuse::{BuildOptions, Predictions};

    /// Writes `text` to `name` in a fresh folder and reads it back.
    fn read_text(name: &str, text: &[u8]) -> Result<ModelOutput> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read_predictions(&path)
    }

    /// The error message without the temporary folder.
    fn read_err(name: &str, text: &[u8]) -> String {
        let e = read_text(name, text).unwrap_err();
        let path = e.path().expect("errors name the file").to_path_buf();
        let shown = e.to_string();
        shown.replace(&format!("{}: ", path.display()), &format!("{name}: "))
    }

    fn scores(name: &str, ids: &[&str], columns: &[&str], values: &[f32]) -> ModelOutput {
        ModelOutput {
            name: name.into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            content: Content::Scores {
                columns: columns.iter().map(|s| s.to_string()).collect(),
                values: values.to_vec(),
            },
        }
    }

    #[test]
    fn csv_reads_scores_with_bom_quotes_and_spaces() {
        let text = b"\xEF\xBB\xBF\"id\",\"neg\", pos \n a ,0.25, 0.75\n\n\"b\",1,0\n";
        let out = read_text("bert.csv", text).unwrap();
        assert_eq!(
            out,
            scores(
                "bert",
                &["a", "b"],
                &["neg", "pos"],
                &[0.25, 0.75, 1.0, 0.0]
            )
        );
    }

    #[test]
    fn csv_reads_columns_in_any_order() {
        let out = read_text("m.csv", b"pos,id,neg\n0.9,2,0.1\n0.2,1,0.8\n").unwrap();
        assert_eq!(
            out,
            scores("m", &["2", "1"], &["pos", "neg"], &[0.9, 0.1, 0.2, 0.8])
        );
    }

    #[test]
    fn csv_rows_in_any_order_align_in_the_core() {
        let a = read_text("a.csv", b"id,neg,pos\n1,0.1,0.9\n2,0.8,0.2\n").unwrap();
        let b = read_text("b.csv", b"id,pos,neg\n2,0.3,0.7\n1,0.6,0.4\n").unwrap();
        let p = Predictions::from_outputs(vec![a, b], &BuildOptions::default()).unwrap();
        assert_eq!(p.ids(), ["1", "2"]);
        assert_eq!(p.row(1, 0), [0.4, 0.6]);
        assert_eq!(p.row(1, 1), [0.7, 0.3]);
    }

    #[test]
    fn tsv_reads_labels_and_values() {
        let out = read_text("hard.tsv", b"id\tlabel\n1\tcat\n2\tdog|cat\n").unwrap();
        assert_eq!(
            out.content,
            Content::Labels(vec!["cat".into(), "dog|cat".into()])
        );
        let out = read_text("reg.tsv", b"value\tid\n1.5\tx\n-2\ty\n").unwrap();
        assert_eq!(out.content, Content::Values(vec![1.5, -2.0]));
        assert_eq!(out.ids, ["x", "y"]);
    }

    #[test]
    fn csv_quoted_fields_may_hold_delimiters_and_newlines() {
        let out = read_text("q.csv", b"id,\"a,b\",c\n\"x\ny\",0.5,0.5\n").unwrap();
        assert_eq!(out, scores("q", &["x\ny"], &["a,b", "c"], &[0.5, 0.5]));
    }

    #[test]
    fn csv_keeps_nan_and_inf_for_the_core_to_reject() {
        let out = read_text("m.csv", b"id,value\n1,nan\n2,-inf\n").unwrap();
        let Content::Values(v) = out.content else {
            panic!("expected values")
        };
        assert!(v[0].is_nan());
        assert_eq!(v[1], f32::NEG_INFINITY);
    }

    #[test]
    fn csv_reads_back_our_own_output() {
        let input = scores("fused", &["1", "2"], &["neg", "pos"], &[0.1, 0.9, 0.7, 0.3]);
        let p = Predictions::from_outputs(vec![input.clone()], &BuildOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fused.csv");
        write_predictions(&path, &p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "id,neg,pos,label\n1,0.1,0.9,pos\n2,0.7,0.3,neg\n"
        );
        assert_eq!(read_predictions(&path).unwrap(), input);
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        insta::assert_snapshot!(
            read_err("bert.csv", b"id,neg,pos\n1,0.5,0.5\n2,0.5,abc\n"),
            @"bert.csv: line 3, column 'pos': expected a number, found 'abc'"
        );
        insta::assert_snapshot!(
            read_err("bert.csv", b"id,neg,pos\n1,0.5,0.5\n\n2,0.5\n"),
            @"bert.csv: line 4: expected 3 fields as in the header, found 2"
        );
        insta::assert_snapshot!(
            read_err("bert.csv", b"id,neg,pos\n1,0.5,\n"),
            @"bert.csv: line 2, column 'pos': expected a number, found an empty cell"
        );
        insta::assert_snapshot!(
            read_err("bert.csv", b"id,neg,pos\n,0.5,0.5\n"),
            @"bert.csv: line 2, column 'id': expected an id, found an empty cell"
        );
        insta::assert_snapshot!(
            read_err("bert.csv", b"id,label\n1,caf\xe9\n"),
            @"bert.csv: line 2, column 'label': expected UTF-8 text, found the byte 0xe9 (save the file as UTF-8)"
        );
    }

    #[test]
    fn csv_header_errors_name_the_header_line() {
        insta::assert_snapshot!(
            read_err("bert.csv", b"id,pos,neg,pos\n1,0.5,0.5,0.5\n"),
            @"bert.csv: line 1, column 'pos': expected unique column names, found 'pos' as columns 2 and 4"
        );
        insta::assert_snapshot!(
            read_err("bert.csv", b"\nsample,neg,pos\n1,0.5,0.5\n"),
            @"bert.csv: line 2: expected a column named 'id', found [sample, neg, pos]"
        );
    }

    #[test]
    fn csv_line_numbers_count_blank_and_quoted_lines() {
        let text = b"\r\nid,label\r\n1,a\r\n\r\n  \r\n2,\"b\r\nc\"\r\n\n3,\r\n";
        insta::assert_snapshot!(
            read_err("m.csv", text),
            @"m.csv: line 9, column 'label': expected a label, found an empty cell"
        );
        let mut text = b"id,value\n".to_vec();
        for i in 0..20_000 {
            text.extend_from_slice(format!("{i},{i}\n\n").as_bytes());
        }
        text.extend_from_slice(b"x,y\n");
        insta::assert_snapshot!(
            read_err("m.csv", &text),
            @"m.csv: line 40002, column 'value': expected a number, found 'y'"
        );
    }

    #[test]
    fn csv_without_data_rows_is_an_error() {
        let empty = read_text("e.csv", b"").unwrap_err();
        assert_eq!(empty.kind(), crate::ErrorKind::Shape);
        insta::assert_snapshot!(read_err("e.csv", b""), @"e.csv: expected at least one data row, found none");
        insta::assert_snapshot!(read_err("e.csv", b"\xEF\xBB\xBFid,pos,neg\n  \n"), @"e.csv: expected at least one data row, found none");
    }
}
