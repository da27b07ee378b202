//! The one error type of the `modelfuse` library.
//!
//! Errors are opaque: callers match on [`Error::kind`] and read the structured
//! [`Location`] (model, sample id, class) when they need to point at the bad
//! value, and show [`Display`](std::fmt::Display) to people. Messages are
//! lowercase, carry no trailing period, and say what was expected and what was
//! found.

use std::fmt;

/// A specialised `Result` for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely; stable enough to map to exit codes, HTTP status
/// codes or exception classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Shapes or sizes disagree (wrong number of columns, rows, models).
    Shape,
    /// A value is not allowed: NaN or infinity, a probability outside [0, 1],
    /// a row that does not sum to one.
    InvalidValue,
    /// Weights are negative, not finite, all zero, or of the wrong length.
    InvalidWeights,
    /// A setting of a fuser or metric is invalid.
    InvalidParameter,
    /// Sample ids, model names or class names do not line up.
    Mismatch,
    /// A label is not one of the known classes.
    UnknownLabel,
    /// The method or metric does not apply to this task.
    Unsupported,
    /// A saved fitted fuser is malformed or from an unknown format version.
    Format,
}

/// Where in the predictions an error was found. Every field is optional: an
/// error about a whole model has no sample id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The model (prediction file stem) concerned.
    pub model: Option<String>,
    /// The sample id concerned.
    pub id: Option<String>,
    /// The class (output column) concerned.
    pub class: Option<String>,
}

/// The error type of the `modelfuse` library.
///
/// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path.
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

    /// Attaches the model this error concerns.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.0.location.model = Some(model.into());
        self
    }

    /// Attaches the sample id this error concerns.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.0.location.id = Some(id.into());
        self
    }

    /// Attaches the class this error concerns.
    pub fn with_class(mut self, class: impl Into<String>) -> Self {
        self.0.location.class = Some(class.into());
        self
    }

    /// The coarse category of the error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message without the location prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The model, sample id and class the error points at, when known.
    pub fn location(&self) -> &Location {
        &self.0.location
    }

    pub(crate) fn shape(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Shape, message)
    }

    pub(crate) fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidValue, message)
    }

    pub(crate) fn param(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }

    pub(crate) fn mismatch(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Mismatch, message)
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = &self.0.location;
        let mut parts = Vec::new();
        if let Some(m) = &loc.model {
            parts.push(format!("model '{m}'"));
        }
        if let Some(id) = &loc.id {
            parts.push(format!("id '{id}'"));
        }
        if let Some(c) = &loc.class {
            parts.push(format!("class '{c}'"));
        }
        if !parts.is_empty() {
            write!(f, "{}: ", parts.join(", "))?;
        }
        f.write_str(&self.0.message)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_names_location_then_message() {
        let e = Error::invalid_value("expected a probability in [0, 1], found 1.5")
            .with_model("bert")
            .with_id("17")
            .with_class("pos");
        assert_eq!(
            e.to_string(),
            "model 'bert', id '17', class 'pos': expected a probability in [0, 1], found 1.5"
        );
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
