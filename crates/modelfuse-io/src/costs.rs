//! Cost files: what running each model costs per sample, for cascades.
//!
//! Two layouts, by extension:
//!
//! * `.json`: the [`CostModel`] layout, `{"unit": …, "models": {name: cost},
//!   "components": {name: cost}, "needs": {model: [component, …]}}` (only
//!   `models` is required).
//! * anything else: a CSV or TSV table (tab-separated when the first line
//!   holds a tab) with the header `model,cost` and one line per model.
//!   Blank lines are skipped; fields are trimmed.

use std::collections::BTreeMap;
use std::path::Path;

use modelfuse::cascade::CostModel;

use crate::error::{Error, Result};

/// Reads a cost file and checks it ([`CostModel::check`]: finite,
/// non-negative costs, known components).
///
/// A `.json` file is read in the [`CostModel`] layout (only `models` is
/// required); any other file is a CSV or TSV table (tab-separated when the
/// first line holds a tab) with the header `model,cost` and a line per
/// model, blank lines skipped and fields trimmed.
///
/// # Errors
///
/// Each names the file, and for a table the 1-based line:
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when the file cannot be read;
/// [`ErrorKind::Parse`](crate::ErrorKind::Parse) for JSON that is not a cost
/// file, text that is not UTF-8, or a cost that is not a number;
/// [`ErrorKind::Format`](crate::ErrorKind::Format) for a header other than
/// `model,cost`, a model with two costs, or costs the check refuses;
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) for a line without exactly
/// two fields.
pub fn read_costs(path: &Path) -> Result<CostModel> {
    let text = crate::read_text(path)?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let costs = if is_json {
        serde_json::from_str::<CostModel>(&text)
            .map_err(|e| Error::parse(format!("not a cost file: {e}")).or_path(path))?
    } else {
        parse_table(&text).map_err(|e| e.or_path(path))?
    };
    costs
        .check()
        .map_err(|e| Error::format(e.to_string()).or_path(path))?;
    Ok(costs)
}

/// The `model,cost` table of a cost file (errors without the path).
fn parse_table(text: &str) -> Result<CostModel> {
    let sep = if text.lines().next().is_some_and(|l| l.contains('\t')) {
        '\t'
    } else {
        ','
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .map(|(_, l)| l.split(sep).map(str::trim).collect())
        .unwrap_or_default();
    if header != ["model", "cost"] {
        return Err(Error::format(format!(
            "expected the header 'model,cost', found {header:?}"
        ))
        .at_line(1));
    }
    let mut models = BTreeMap::new();
    for (i, line) in lines {
        let line_no = i as u64 + 1;
        let fields: Vec<&str> = line.split(sep).map(str::trim).collect();
        let [model, cost] = fields[..] else {
            return Err(
                Error::shape(format!("expected 2 fields, found {}", fields.len())).at_line(line_no),
            );
        };
        let cost: f64 = cost.parse().map_err(|_| {
            Error::parse(format!(
                "expected a number as the cost of '{model}', found '{cost}'"
            ))
            .at_line(line_no)
        })?;
        if models.insert(model.to_string(), cost).is_some() {
            return Err(Error::format(format!("model '{model}' has two costs")).at_line(line_no));
        }
    }
    Ok(CostModel {
        unit: String::new(),
        models,
        components: Default::default(),
        needs: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// The error's kind and its display without the temporary folder.
    struct Shown {
        kind: ErrorKind,
        text: String,
    }

    impl Shown {
        fn kind(&self) -> ErrorKind {
            self.kind
        }

        fn message(&self) -> &str {
            &self.text
        }
    }

    impl std::fmt::Debug for Shown {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}: {}", self.kind, self.text)
        }
    }

    fn read(name: &str, text: &str) -> std::result::Result<CostModel, Shown> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read_costs(&path).map_err(|e| Shown {
            kind: e.kind(),
            text: e.to_string().replace(&dir.path().display().to_string(), ""),
        })
    }

    #[test]
    fn a_csv_table_gives_each_model_its_cost() {
        let c = read("costs.csv", "model,cost\n\nsmall, 1\nlarge,2.5\n").unwrap();
        assert_eq!(c.models["small"], 1.0);
        assert_eq!(c.models["large"], 2.5);
        assert!(c.unit.is_empty() && c.components.is_empty());
    }

    #[test]
    fn a_tsv_table_is_read_by_its_tabs() {
        let c = read("costs.tsv", "model\tcost\na\t3\n").unwrap();
        assert_eq!(c.models["a"], 3.0);
    }

    #[test]
    fn json_takes_the_cost_model_layout() {
        let c = read(
            "costs.json",
            r#"{"unit": "ms", "models": {"a": 1, "b": 2}, "components": {"enc": 5}, "needs": {"a": ["enc"]}}"#,
        )
        .unwrap();
        assert_eq!(c.unit, "ms");
        assert_eq!(c.components["enc"], 5.0);
        assert_eq!(c.needs["a"], ["enc"]);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            (
                "name,cost\na,1\n",
                ErrorKind::Format,
                r#"line 1: expected the header 'model,cost', found ["name", "cost"]"#,
            ),
            (
                "model,cost\na,1\nb\n",
                ErrorKind::Shape,
                "line 3: expected 2 fields, found 1",
            ),
            (
                "model,cost\n\na,x\n",
                ErrorKind::Parse,
                "line 3: expected a number as the cost of 'a', found 'x'",
            ),
            (
                "model,cost\na,1\na,2\n",
                ErrorKind::Format,
                "line 3: model 'a' has two costs",
            ),
        ];
        for (text, kind, message) in cases {
            let e = read("costs.csv", text).unwrap_err();
            assert_eq!(
                (e.kind(), e.message()),
                (kind, &*format!("/costs.csv: {message}"))
            );
        }
    }

    #[test]
    fn bad_costs_and_bad_json_are_refused() {
        let e = read("costs.csv", "model,cost\na,-1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        assert!(e.message().starts_with("/costs.csv: "), "{}", e.message());
        assert!(e.message().contains("non-negative"), "{}", e.message());
        let e = read("costs.json", r#"{"model": {}}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert!(
            e.message().starts_with("/costs.json: not a cost file: "),
            "{}",
            e.message()
        );
    }
}
