//! The segment columns of segment-level prediction tables (`doc`, `segment`,
//! `length`), gathered row by row by the CSV and Parquet readers.

use modelfuse::ModelOutput;
use modelfuse::segments::SegmentedOutput;

use crate::columns::SegmentColumns;
use crate::error::Error;

/// Which segment column a bad cell is in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Which {
    Segment,
    Length,
}

impl Which {
    /// The column's index in the table.
    pub(crate) fn resolve(self, c: &SegmentColumns) -> usize {
        match self {
            Which::Segment => c.segment,
            Which::Length => c.length,
        }
        .expect("only present columns are read")
    }
}

/// The segment columns read so far.
#[derive(Debug)]
pub(crate) struct SegmentParts {
    docs: Vec<String>,
    positions: Option<Vec<i64>>,
    lengths: Option<Vec<f64>>,
}

impl SegmentParts {
    pub(crate) fn new(c: &SegmentColumns) -> Self {
        SegmentParts {
            docs: Vec::new(),
            positions: c.segment.map(|_| Vec::new()),
            lengths: c.length.map(|_| Vec::new()),
        }
    }

    /// Adds a row: its (non-empty) document, position text and length.
    pub(crate) fn push(
        &mut self,
        doc: &str,
        position: Option<&str>,
        length: Option<f32>,
    ) -> std::result::Result<(), (Error, Which)> {
        self.docs.push(doc.to_string());
        if let (Some(v), Some(text)) = (self.positions.as_mut(), position) {
            let p = text.parse::<i64>().map_err(|_| {
                (
                    Error::parse(format!(
                        "expected a whole number (the segment's position), found '{text}'"
                    )),
                    Which::Segment,
                )
            })?;
            v.push(p);
        }
        if let (Some(v), Some(x)) = (self.lengths.as_mut(), length) {
            if !(x.is_finite() && x > 0.0) {
                return Err((
                    Error::parse(format!("expected a positive segment length, found {x}")),
                    Which::Length,
                ));
            }
            v.push(x as f64);
        }
        Ok(())
    }

    /// The segment-level output of a model.
    pub(crate) fn into_output(self, output: ModelOutput) -> SegmentedOutput {
        SegmentedOutput {
            output,
            docs: self.docs,
            positions: self.positions,
            lengths: self.lengths,
        }
    }
}

/// The error for a segment-level table read as one row per sample.
pub(crate) fn unexpected_doc() -> Error {
    Error::format(
        "found a 'doc' column: rows are segments of documents; fuse them with fit --pool (or a fuser fitted on segments), or drop the column",
    )
}

/// The error for a table without a `doc` column read as segments.
pub(crate) fn missing_doc(output: &ModelOutput) -> Error {
    let mut names = vec!["id".to_string()];
    match &output.content {
        modelfuse::Content::Scores { columns, .. } => names.extend(columns.iter().cloned()),
        modelfuse::Content::Labels(_) => names.push("label".into()),
        modelfuse::Content::Values(_) => names.push("value".into()),
    }
    Error::format(format!(
        "expected a 'doc' column naming each segment's document, found [{}]",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray};
    use modelfuse::Content;

    use crate::{ErrorKind, read_predictions, read_segments};

    #[test]
    fn csv_segments_read_with_doc_segment_and_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bert.csv");
        std::fs::write(
            &path,
            "id,doc,segment,length,neg,pos\nd1-0,d1,0,12,0.9,0.1\nd1-1,d1,1,3.5,0.4,0.6\nd2-0,d2,0,7,0.2,0.8\n",
        )
        .unwrap();
        let s = read_segments(&path).unwrap();
        assert_eq!(s.docs, ["d1", "d1", "d2"]);
        assert_eq!(s.positions, Some(vec![0, 1, 0]));
        assert_eq!(s.lengths, Some(vec![12.0, 3.5, 7.0]));
        let Content::Scores { columns, .. } = &s.output.content else {
            panic!("scores")
        };
        assert_eq!(columns, &["neg", "pos"]);
        let e = read_predictions(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        insta::assert_snapshot!(e.message(), @"found a 'doc' column: rows are segments of documents; fuse them with fit --pool (or a fuser fitted on segments), or drop the column");
    }

    #[test]
    fn segment_errors_name_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bert.csv");
        let err = |text: &str| {
            std::fs::write(&path, text).unwrap();
            read_segments(&path).unwrap_err().to_string()
        };
        let name = path.display().to_string();
        let strip = |s: String| s.replacen(&name, "bert.csv", 1);
        insta::assert_snapshot!(strip(err("id,doc,segment,neg,pos\na,d,first,0.5,0.5\n")), @"bert.csv: line 2, column 'segment': expected a whole number (the segment's position), found 'first'");
        insta::assert_snapshot!(strip(err("id,doc,length,neg,pos\na,d,-1,0.5,0.5\n")), @"bert.csv: line 2, column 'length': expected a positive segment length, found -1");
        insta::assert_snapshot!(strip(err("id,doc,neg,pos\na,,0.5,0.5\n")), @"bert.csv: line 2, column 'doc': expected a document id, found an empty cell");
        insta::assert_snapshot!(strip(err("id,neg,pos\na,0.5,0.5\n")), @"bert.csv: expected a 'doc' column naming each segment's document, found [id, neg, pos]");
        insta::assert_snapshot!(strip(err("id,length,neg,pos\na,1,0.5,0.5\n")), @"bert.csv: line 1, column 'length': found a 'length' column but no 'doc' column: segment-level predictions name each row's document in a 'doc' column");
        let npy = dir.path().join("bert.npy");
        insta::assert_snapshot!(read_segments(&npy).unwrap_err().message(), @"expected a CSV, TSV or Parquet table with a 'doc' column for segment-level predictions, found a NumPy file");
    }

    #[test]
    fn parquet_segments_read_with_integer_positions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bert.parquet");
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
            ("doc", Arc::new(Int64Array::from(vec![7, 7, 8]))),
            ("segment", Arc::new(Int64Array::from(vec![1, 0, 0]))),
            ("length", Arc::new(Float32Array::from(vec![2.0, 1.0, -3.0]))),
            ("neg", Arc::new(Float32Array::from(vec![0.5, 0.25, 1.0]))),
            ("pos", Arc::new(Float32Array::from(vec![0.5, 0.75, 0.0]))),
        ];
        let batch = RecordBatch::try_from_iter(cols).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let e = read_segments(&path).unwrap_err();
        assert_eq!((e.row(), e.column()), (Some(3), Some("length")));
        assert_eq!(e.message(), "expected a positive segment length, found -3");
    }
}
