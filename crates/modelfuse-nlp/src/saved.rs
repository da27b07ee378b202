//! The saved fitter files of the three tasks on the core's one versioned
//! JSON envelope ([`modelfuse::format`]): the version in the field
//! `modelfuse`, checked first (a newer file gets the core's "written by a
//! newer modelfuse" message, not one about a field), then the task tag in
//! the field `task` (`"ner"`, `"qa"` or `"generate"`), then the body.
//!
//! Files of the older layouts still load: a QA file's `format_version`
//! reads as `modelfuse`, and an MBR file without a `task` reads as
//! `"generate"`. Weights of a saved file are checked by
//! [`modelfuse::Weights`] (finite, non-negative, a positive sum); the file
//! keeps them as written.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};

/// `value` as the core writes saved files: pretty JSON, a trailing newline.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    modelfuse::format::to_json(value)
}

/// Reads a saved `what` of task `task`, upgrading the older layouts first.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &str, task: &str) -> Result<T> {
    let mut value = modelfuse::format::parse(text)?;
    if let Some(obj) = value.as_object_mut() {
        if !obj.contains_key("modelfuse")
            && let Some(v) = obj.remove("format_version")
        {
            obj.insert("modelfuse".into(), v);
        }
        if task == "generate" && !obj.contains_key("task") && obj.contains_key("mbr") {
            obj.insert("task".into(), task.into());
        }
    }
    Ok(modelfuse::format::from_value(
        value,
        what,
        Some(("task", task)),
    )?)
}

/// Checks weights through [`modelfuse::Weights`]: finite, non-negative and
/// with a positive sum; an error of `kind` otherwise.
pub(crate) fn check_weights(kind: ErrorKind, weights: impl IntoIterator<Item = f64>) -> Result<()> {
    modelfuse::Weights::new(weights.into_iter().collect())
        .map(drop)
        .map_err(|e| Error::new(kind, e.to_string()))
}
