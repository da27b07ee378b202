//! Which saved file a JSON text is, from its top-level keys, so that a file
//! given to the wrong command is refused in words ("this is a cascade file;
//! use `modelfuse cascade predict`") rather than with a JSON parser's
//! "unknown field".

/// The kinds of JSON files modelfuse writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FittedKind {
    /// A fitted fuser (`modelfuse fit`, `auto`'s `fuser.json`).
    Fuser,
    /// A fitted cascade (`modelfuse cascade fit`).
    Cascade,
    /// A cascade's frontier (`cascade fit --frontier`).
    Frontier,
    /// A NER fuser (`modelfuse ner fit`).
    Ner,
    /// A QA fuser (`modelfuse qa fit`).
    Qa,
    /// A generation (MBR) fuser (`modelfuse generate fit`).
    Generate,
    /// The report of `modelfuse auto` (`report.json`).
    AutoReport,
}

impl FittedKind {
    /// The kind of a JSON text by its top-level keys, or `None` when it is not
    /// a JSON object or looks like none of them (the reader then reports
    /// what is wrong with it).
    pub fn sniff(text: &str) -> Option<FittedKind> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        if let Some(first) = value.as_array().and_then(|a| a.first()) {
            let point = first.get("chain").is_some() && first.get("threshold").is_some();
            return point.then_some(FittedKind::Frontier);
        }
        let obj = value.as_object()?;
        let has = |k: &str| obj.contains_key(k);
        let task = obj.get("task").and_then(|t| t.as_str());
        Some(if has("chain") && has("threshold") {
            FittedKind::Cascade
        } else if task == Some("ner") || (has("types") && has("systems")) {
            FittedKind::Ner
        } else if has("format_version") || task == Some("qa") {
            FittedKind::Qa
        } else if has("mbr") {
            FittedKind::Generate
        } else if has("report") && has("outputs") {
            FittedKind::AutoReport
        } else if has("spec") && has("models") {
            FittedKind::Fuser
        } else {
            return None;
        })
    }

    /// What the file is, for messages ("a cascade file (`cascade fit`)").
    pub fn what(self) -> &'static str {
        match self {
            FittedKind::Fuser => "a fitted fuser file (from `modelfuse fit`)",
            FittedKind::Cascade => "a cascade file (from `modelfuse cascade fit`)",
            FittedKind::Frontier => {
                "a cascade frontier (from `cascade fit --frontier`), not a fuser"
            }
            FittedKind::Ner => "a NER fuser file (from `modelfuse ner fit`)",
            FittedKind::Qa => "a QA fuser file (from `modelfuse qa fit`)",
            FittedKind::Generate => "a generation fuser file (from `modelfuse generate fit`)",
            FittedKind::AutoReport => "the report of `modelfuse auto`, not a fuser",
        }
    }

    /// The command that reads this kind of file (`None` for files that are
    /// not fusers).
    pub fn command(self) -> Option<&'static str> {
        Some(match self {
            FittedKind::Fuser => "modelfuse predict --fuser",
            FittedKind::Cascade => "modelfuse cascade predict --fuser",
            FittedKind::Frontier | FittedKind::AutoReport => return None,
            FittedKind::Ner => "modelfuse ner fuse --fuser",
            FittedKind::Qa => "modelfuse qa fuse --fuser",
            FittedKind::Generate => "modelfuse generate fuse --fuser",
        })
    }

    /// `Err(message)` when `text` is another kind of file than `expected`.
    ///
    /// # Errors
    ///
    /// The message says what the file is and which command reads it.
    pub fn expect(text: &str, expected: FittedKind) -> Result<(), String> {
        match FittedKind::sniff(text) {
            Some(kind) if kind != expected => Err(format!(
                "expected {}, found {}; {}",
                expected.what(),
                kind.what(),
                match kind.command() {
                    Some(c) => format!("use `{c}`"),
                    None => "give the fuser saved beside it (fuser.json, or the file given to -o)"
                        .into(),
                }
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_told_apart_by_their_keys() {
        let cases = [
            (
                r#"{"modelfuse": 1, "spec": {}, "models": [], "state": {}}"#,
                Some(FittedKind::Fuser),
            ),
            (
                r#"{"modelfuse": 1, "kind": "cascade", "chain": [], "threshold": 0.5}"#,
                Some(FittedKind::Cascade),
            ),
            (
                r#"{"modelfuse": 1, "task": "ner", "spec": {}, "systems": [], "types": []}"#,
                Some(FittedKind::Ner),
            ),
            (
                r#"{"format_version": 1, "task": "qa", "systems": []}"#,
                Some(FittedKind::Qa),
            ),
            (
                r#"{"modelfuse": 1, "method": "mbr", "mbr": {}, "systems": []}"#,
                Some(FittedKind::Generate),
            ),
            (
                r#"{"report": {}, "outputs": {}}"#,
                Some(FittedKind::AutoReport),
            ),
            (
                r#"[{"chain": ["a"], "threshold": 0.5}]"#,
                Some(FittedKind::Frontier),
            ),
            (r#"[1, 2]"#, None),
            (r#"{"modelfuse": 1,"#, None),
        ];
        for (text, want) in cases {
            assert_eq!(FittedKind::sniff(text), want, "{text}");
        }
        let e = FittedKind::expect(cases[1].0, FittedKind::Fuser).unwrap_err();
        assert_eq!(
            e,
            "expected a fitted fuser file (from `modelfuse fit`), found a cascade file (from `modelfuse cascade fit`); use `modelfuse cascade predict --fuser`"
        );
    }
}
