//! The one error type of `modelfuse-nlp`.
//!
//! Like the core's: opaque, with a coarse [`ErrorKind`] to match on and a
//! structured [`Location`] (source, line, sentence or question id, system) to
//! point at the bad input. Messages are lowercase, carry no trailing period,
//! and say what was expected and what was found.

use std::fmt;

/// A specialised `Result` for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely; stable enough to map to exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file does not parse: bad JSON, a CoNLL line without a tag, a tag
    /// that is not `O`, `B-x`, `I-x`, `E-x` or `S-x`.
    Format,
    /// Systems, sentences, tokens or question ids do not line up.
    Mismatch,
    /// A setting of a fuser or metric is invalid.
    InvalidParameter,
    /// A value is not allowed (NaN, a negative weight or probability).
    InvalidValue,
    /// A saved fitted fuser is malformed or from an unknown format version.
    FittedFormat,
}

/// Where an error was found; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The input concerned (a file name, or a system name).
    pub source: Option<String>,
    /// The 1-based line in that input.
    pub line: Option<usize>,
    /// The sentence index (0-based) or question id concerned.
    pub item: Option<String>,
}

/// The error type of `modelfuse-nlp`.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: String,
    location: Location,
}

impl Error {
    /// Creates an error of the given kind with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            location: Location::default(),
        }))
    }

    /// Attaches the input (file or system) this error concerns, unless one is
    /// already attached (the innermost source is the most precise).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        if self.0.location.source.is_none() {
            self.0.location.source = Some(source.into());
        }
        self
    }

    /// Attaches the 1-based line this error concerns.
    pub fn with_line(mut self, line: usize) -> Self {
        self.0.location.line = Some(line);
        self
    }

    /// Attaches the sentence or question this error concerns.
    pub fn with_item(mut self, item: impl Into<String>) -> Self {
        self.0.location.item = Some(item.into());
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Where the error was found.
    pub fn location(&self) -> &Location {
        &self.0.location
    }

    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = &self.0.location;
        if let Some(source) = &loc.source {
            write!(f, "{source}")?;
            if let Some(line) = loc.line {
                write!(f, ":{line}")?;
            }
            write!(f, ": ")?;
        } else if let Some(line) = loc.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(item) = &loc.item {
            write!(f, "{item}: ")?;
        }
        write!(f, "{}", self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("location", &self.0.location)
            .finish()
    }
}

impl std::error::Error for Error {}

impl From<modelfuse::Error> for Error {
    fn from(e: modelfuse::Error) -> Self {
        let kind = match e.kind() {
            modelfuse::ErrorKind::InvalidParameter | modelfuse::ErrorKind::InvalidWeights => {
                ErrorKind::InvalidParameter
            }
            modelfuse::ErrorKind::InvalidValue => ErrorKind::InvalidValue,
            modelfuse::ErrorKind::Format => ErrorKind::FittedFormat,
            _ => ErrorKind::Mismatch,
        };
        Error::new(kind, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_the_location_first() {
        let e = Error::new(ErrorKind::Format, "expected a tag, found nothing")
            .with_source("arcada.conll")
            .with_line(12);
        assert_eq!(
            e.to_string(),
            "arcada.conll:12: expected a tag, found nothing"
        );
        let e = Error::new(ErrorKind::Mismatch, "no prediction").with_item("q1");
        assert_eq!(e.to_string(), "q1: no prediction");
    }

    #[test]
    fn the_innermost_source_wins() {
        let e = Error::new(ErrorKind::Format, "x")
            .with_source("inner")
            .with_source("outer");
        assert_eq!(e.location().source.as_deref(), Some("inner"));
    }
}
