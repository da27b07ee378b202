//! The one error type of `modelfuse-io`.
//!
//! An [`Error`] says which file went wrong and where in it: the 1-based
//! [`line`](Error::line) of a CSV/TSV file (or of a sidecar text file), the
//! 1-based data [`row`](Error::row) of a Parquet or NumPy file, and the
//! [`column`](Error::column) by name. Lower-level errors (from the operating
//! system, the parquet, arrow or zip crates) are kept as the
//! [`source`](std::error::Error::source) rather than flattened into a string,
//! so callers can still inspect, say, the [`std::io::ErrorKind`].
//!
//! Following the Rust API guidelines, an error's display does not repeat its
//! source's message (printing both would say it twice when the chain is
//! shown, as `anyhow`'s `{:#}` does). Print the whole chain to show people
//! the operating system's reason too.

use std::fmt;
use std::path::{Path, PathBuf};

/// A specialised `Result` for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely: stable enough to map to exit codes, HTTP status
/// codes or exception classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system refused (a missing file, a permission, a full
    /// disk), or an output could not be encoded.
    Io,
    /// The bytes could not be decoded: text that is not a number, text that
    /// is not UTF-8, a corrupt Parquet, NumPy or zip file.
    Parse,
    /// The file decodes but is not laid out as modelfuse expects: an
    /// unsupported extension, missing, duplicated or extra columns, a column
    /// of the wrong type, an array of the wrong rank or dtype, a duplicated
    /// id in a labels file.
    Format,
    /// Counts disagree: a row with the wrong number of fields, a file without
    /// data rows, a sidecar with the wrong number of lines, a folder without
    /// prediction files, a write of more than one model.
    Shape,
}

/// The error type of `modelfuse-io`.
///
/// Its [`Display`](fmt::Display) reads like
/// `predictions/bert.csv: line 17, column 'pos': expected a number, found 'abc'`:
/// the path, then the position when known, then what was expected and what
/// was found. When a lower-level error caused it (an I/O error, a corrupt
/// Parquet file), the display says what we were doing (`cannot open`) and the
/// lower error is the [`source`](std::error::Error::source): print the chain,
/// as `format!("{:#}", anyhow::Error::from(e))` does, to show both.
///
/// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: String,
    path: Option<PathBuf>,
    line: Option<u64>,
    row: Option<u64>,
    column: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            path: None,
            line: None,
            row: None,
            column: None,
            source: None,
        }))
    }

    /// The coarse category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The file concerned, when the error concerns one file.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// The 1-based line of a text file (CSV, TSV or a sidecar), counting the
    /// header as line 1 and every physical line, including blank ones.
    pub fn line(&self) -> Option<u64> {
        self.0.line
    }

    /// The 1-based data row of a Parquet or NumPy file (the header, if any,
    /// is not counted).
    pub fn row(&self) -> Option<u64> {
        self.0.row
    }

    /// The name of the column concerned.
    pub fn column(&self) -> Option<&str> {
        self.0.column.as_deref()
    }

    /// The message without the path and position prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub(crate) fn parse(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Parse, message)
    }

    pub(crate) fn format(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Format, message)
    }

    pub(crate) fn shape(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Shape, message)
    }

    /// An operating-system error, with what we were doing when it happened
    /// (`"cannot open"`, `"cannot write"`).
    pub(crate) fn io(doing: &str, err: std::io::Error) -> Self {
        Self::new(ErrorKind::Io, doing).with_source(err)
    }

    /// A failure to produce an output, from a lower-level crate (arrow or
    /// parquet refusing to encode); reported as [`ErrorKind::Io`], the kind
    /// of every failure to write.
    pub(crate) fn write_from(
        doing: &str,
        err: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(ErrorKind::Io, doing).with_source(err)
    }

    /// A decoding error from a lower-level crate (parquet, arrow, zip).
    pub(crate) fn parse_from(
        doing: &str,
        err: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(ErrorKind::Parse, doing).with_source(err)
    }

    pub(crate) fn with_source(
        mut self,
        err: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.0.source = Some(Box::new(err));
        self
    }

    /// Attaches `path` unless a more precise one (a sidecar's) is already set.
    pub fn or_path(mut self, path: &Path) -> Self {
        if self.0.path.is_none() {
            self.0.path = Some(path.to_path_buf());
        }
        self
    }

    /// Puts `prefix: ` before the message (the `.npz` array concerned).
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.0.message = format!("{prefix}: {}", self.0.message);
        self
    }

    pub(crate) fn at_line(mut self, line: u64) -> Self {
        self.0.line = Some(line);
        self
    }

    pub(crate) fn at_row(mut self, row: u64) -> Self {
        self.0.row = Some(row);
        self
    }

    pub(crate) fn in_column(mut self, column: impl Into<String>) -> Self {
        self.0.column = Some(column.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        if let Some(path) = &e.path {
            write!(f, "{}: ", path.display())?;
        }
        let mut position = Vec::new();
        if let Some(line) = e.line {
            position.push(format!("line {line}"));
        }
        if let Some(row) = e.row {
            position.push(format!("row {row}"));
        }
        if let Some(column) = &e.column {
            position.push(format!("column '{column}'"));
        }
        if !position.is_empty() {
            write!(f, "{}: ", position.join(", "))?;
        }
        f.write_str(&e.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        f.debug_struct("Error")
            .field("kind", &e.kind)
            .field("message", &e.message)
            .field("path", &e.path)
            .field("line", &e.line)
            .field("row", &e.row)
            .field("column", &e.column)
            .field("source", &e.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_names_path_position_then_message() {
        let e = Error::parse("expected a number, found 'abc'")
            .at_line(17)
            .in_column("pos")
            .or_path(Path::new("predictions/bert.csv"));
        insta::assert_snapshot!(e, @"predictions/bert.csv: line 17, column 'pos': expected a number, found 'abc'");
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert_eq!(e.line(), Some(17));
        assert_eq!(e.column(), Some("pos"));
    }

    #[test]
    fn error_keeps_the_first_path() {
        let e = Error::shape("x")
            .or_path(Path::new("a.ids.txt"))
            .or_path(Path::new("a.npy"));
        assert_eq!(e.path(), Some(Path::new("a.ids.txt")));
    }

    #[test]
    fn error_wraps_the_io_error_as_source() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Error::io("cannot open", io).or_path(Path::new("a.csv"));
        insta::assert_snapshot!(e, @"a.csv: cannot open");
        let source = std::error::Error::source(&e).expect("a source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("an io error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn error_is_one_pointer_wide_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
