//! The one versioned JSON envelope of saved files.
//!
//! Every saved file carries the format version in the field `modelfuse` (and,
//! where the format has several kinds, a `kind` tag). Reading checks, in this
//! order: that the text is JSON, the version (so a file from a newer
//! modelfuse gets a message about versions, not about a field this build
//! does not know), the kind, and only then the body. Writing is pretty JSON
//! with a trailing newline, deterministic (fields in declaration order, maps
//! sorted by key). [`crate::FittedFuser`], [`crate::cascade::FittedCascade`]
//! and the NER, QA and MBR fitters of `modelfuse-nlp` (tag field `task`,
//! through [`from_value`]) use it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};

/// The version of the saved formats this build writes and reads. A file with
/// a higher version was written by a newer modelfuse and is refused rather
/// than misread.
pub const FORMAT_VERSION: u32 = 1;

/// `value` as pretty JSON with a trailing newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    // The saved types hold only strings, numbers (NaN becomes null), maps
    // with string keys and sequences, which serde_json always writes.
    let mut s = serde_json::to_string_pretty(value).expect("saved types always serialise");
    s.push('\n');
    s
}

/// Parses a saved `what` (e.g. `"fitted fuser"`), checking its version
/// first and then, when `kind` is given, its `kind` tag.
///
/// # Errors
///
/// [`ErrorKind::Format`] for text that is not JSON, a missing or newer
/// version, another kind, or a body that does not parse.
pub fn from_json<T: DeserializeOwned>(text: &str, what: &str, kind: Option<&str>) -> Result<T> {
    from_value(parse(text)?, what, kind.map(|k| ("kind", k)))
}

/// `text` as a JSON value, for readers that upgrade an older layout before
/// [`from_value`].
///
/// # Errors
///
/// [`ErrorKind::Format`] for text that is not JSON.
pub fn parse(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::Format,
            format!("expected JSON, found an error: {e}"),
        )
    })
}

/// As [`from_json`] on a parsed value, with the tag in a field of the
/// format's choosing: `tag = Some((field, value))` (the NLP fitters tag
/// theirs `"task"`, e.g. `("task", "ner")`).
///
/// # Errors
///
/// As [`from_json`].
pub fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
    tag: Option<(&str, &str)>,
) -> Result<T> {
    let format = |msg: String| Error::new(ErrorKind::Format, msg);
    match value.get("modelfuse").and_then(|v| v.as_u64()) {
        None => {
            return Err(format(format!(
                "expected a {what} with a \"modelfuse\" format version, found none"
            )));
        }
        Some(v) if v > u64::from(FORMAT_VERSION) => {
            return Err(format(format!(
                "expected a {what} of format version {FORMAT_VERSION} or older, found version {v} (written by a newer modelfuse)"
            )));
        }
        Some(_) => {}
    }
    if let Some((field, kind)) = tag {
        let found = value.get(field);
        if found.and_then(|k| k.as_str()) != Some(kind) {
            let found = found.map_or_else(|| "none".to_string(), |k| k.to_string());
            return Err(format(format!(
                "expected a {what} ({field} \"{kind}\"), found {found}"
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| format(format!("malformed {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Saved {
        modelfuse: u32,
        kind: String,
    }

    #[test]
    fn version_is_checked_before_kind_and_body() {
        let read =
            |t: &str| from_json::<Saved>(t, "thing", Some("thing")).map_err(|e| e.to_string());
        assert_eq!(
            read(r#"{"modelfuse": 9, "kind": "other", "new_field": 1}"#).unwrap_err(),
            "expected a thing of format version 1 or older, found version 9 (written by a newer modelfuse)"
        );
        assert_eq!(
            read(r#"{"kind": "thing"}"#).unwrap_err(),
            "expected a thing with a \"modelfuse\" format version, found none"
        );
        assert_eq!(
            read(r#"{"modelfuse": 1, "kind": "other"}"#).unwrap_err(),
            "expected a thing (kind \"thing\"), found \"other\""
        );
        assert!(
            read(r#"{"modelfuse": 1, "kind": "thing", "x": 1}"#)
                .unwrap_err()
                .starts_with("malformed thing: unknown field `x`")
        );
        let ok = read(r#"{"modelfuse": 1, "kind": "thing"}"#).unwrap();
        assert_eq!(
            to_json(&ok),
            "{\n  \"modelfuse\": 1,\n  \"kind\": \"thing\"\n}\n"
        );
    }
}
