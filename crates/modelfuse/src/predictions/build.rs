//! Building [`Predictions`] from what front ends read: [`ModelOutput`]s are
//! checked, aligned by name and id, and turned into one dense block.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use super::*;
use crate::error::{Error, ErrorKind, Result};

/// What one model predicted, as read from a file: not yet validated or aligned.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOutput {
    /// The model's name (the file stem); models are aligned by it.
    pub name: String,
    /// One id per row, in file order: [`Ids::Rows`] when the file has no
    /// ids and its rows are named by their number.
    pub ids: Ids,
    /// The predicted values.
    pub content: Content,
}

/// The values of a [`ModelOutput`].
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// One score per class: probabilities, or logits when
    /// [`BuildOptions::logits`] is set. Row-major, `ids.len() × columns.len()`.
    Scores {
        /// Class names, one per column.
        columns: Vec<String>,
        /// Row-major values.
        values: Vec<f32>,
    },
    /// Hard predictions: one class label per row. For multilabel tasks the
    /// label sets are `|`-separated (an empty string is the empty set).
    Labels(Vec<String>),
    /// Regression: one value per row.
    Values(Vec<f32>),
}

/// Which task to build when the files alone cannot tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskHint {
    /// Regression when the files hold values, otherwise binary or multiclass
    /// by the number of classes.
    #[default]
    Auto,
    /// Independent labels: scores are per-label probabilities (or logits
    /// turned into probabilities by a sigmoid) that need not sum to one.
    Multilabel,
}

/// Settings for [`Predictions::from_outputs`].
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Which task to build.
    pub task: TaskHint,
    /// Scores are logits: softmax them (sigmoid for multilabel).
    pub logits: bool,
    /// Rescale probability rows that do not sum to one instead of rejecting
    /// them (they must still be non-negative with a positive sum).
    pub renormalize: bool,
    /// The classes, in this order (for example those a fitted fuser was fitted
    /// on). When `None`, the classes are the columns of the first model with
    /// scores, or, when every model gave hard labels, the sorted union of all
    /// labels seen and of [`BuildOptions::extra_classes`].
    pub classes: Option<Vec<String>>,
    /// Labels known to be classes although no model predicted them (the labels
    /// file's, typically). Used only when the classes are discovered.
    pub extra_classes: Vec<String>,
    /// When every model gave hard labels and the classes are discovered: the
    /// classes are exactly [`BuildOptions::extra_classes`] (the labels
    /// file's), and a model predicting a class outside them is an error
    /// rather than a new class (a model writing `Yes` where the labels say
    /// `1` would otherwise score 0 without a word).
    pub closed_classes: bool,
}

/// The one spelling of a class name that is a decimal number with trailing
/// zeros in its fraction: `1.0` and `1.00` are `1`, `0.50` is `0.5`. Every
/// class name (score columns, hard labels, labels files) goes through it, so
/// `1` and `1.0` are one class, not two. Other spellings are kept as written
/// (`01`, `+1`, `1e0` and `1` stay distinct names, and then fail to match
/// rather than silently merging).
pub fn canonical_class(name: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let digits = name.strip_prefix('-').unwrap_or(name);
    let Some((int, frac)) = digits.split_once('.') else {
        return Cow::Borrowed(name);
    };
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !is_digits(int) || !is_digits(frac) || !frac.ends_with('0') {
        return Cow::Borrowed(name);
    }
    let kept = frac.trim_end_matches('0');
    let cut = name.len() - (frac.len() - kept.len()) - usize::from(kept.is_empty());
    Cow::Owned(name[..cut].to_string())
}

/// Rewrites a model's class names (score columns, hard labels) to their
/// [`canonical_class`] spelling.
pub(crate) fn canonicalise_classes(out: &mut ModelOutput, multilabel: bool) {
    match &mut out.content {
        Content::Scores { columns, .. } => {
            for c in columns.iter_mut() {
                if let std::borrow::Cow::Owned(s) = canonical_class(c) {
                    *c = s;
                }
            }
        }
        Content::Labels(labels) => {
            for l in labels.iter_mut() {
                if !l.contains('.') {
                    continue;
                }
                if multilabel {
                    let parts: Vec<String> = l
                        .split('|')
                        .map(|p| canonical_class(p.trim()).into_owned())
                        .collect();
                    *l = parts.join("|");
                } else if let std::borrow::Cow::Owned(s) = canonical_class(l) {
                    *l = s;
                }
            }
        }
        Content::Values(_) => {}
    }
}

impl Predictions {
    /// Aligns and validates the outputs of several models.
    ///
    /// Models end up sorted by name, samples in [`id_order`]. Logits are turned
    /// into probabilities here; hard labels become one-hot rows flagged as hard.
    ///
    /// # Errors
    ///
    /// An error names the model, the sample id and the class concerned, and
    /// says what was expected and what was found: no models, duplicated model
    /// names or ids, a model without rows, ids or classes that differ between
    /// models, labels outside the classes, values that are not finite,
    /// probabilities outside `[0, 1]` or rows not summing to one.
    pub fn from_outputs(mut outputs: Vec<ModelOutput>, opts: &BuildOptions) -> Result<Self> {
        if outputs.is_empty() {
            return Err(Error::shape("expected at least one model, found none"));
        }
        outputs.sort_by(|a, b| a.name.cmp(&b.name));
        for out in &mut outputs {
            canonicalise_classes(out, opts.task == TaskHint::Multilabel);
        }
        for pair in outputs.windows(2) {
            if pair[0].name == pair[1].name {
                return Err(Error::mismatch(format!(
                    "two models are named '{}'; model names must be unique",
                    pair[0].name
                )));
            }
        }
        // When every model numbers its rows alike (files without ids), the
        // ids are "0".."n-1" in row order, which is also their id order:
        // nothing to compare, hash or sort. Otherwise the row numbers are
        // written out and aligned like any other ids.
        let rows = row_numbered(&outputs);
        if rows.is_none() {
            for out in &mut outputs {
                out.ids.materialise();
            }
        }
        for (i, out) in outputs.iter().enumerate() {
            // Models usually share one id list (same file layout, same row
            // order): comparing the lists is a memcmp per id, far cheaper than
            // hashing every id of every model again.
            let ids_checked = i > 0 && out.ids == outputs[0].ids;
            check_model_shape(out, ids_checked)?;
        }
        let task_kind = task_kind(&outputs, opts)?;
        let ids = match rows {
            Some(n) => Ids::Rows(n),
            None => Ids::Names(aligned_ids(&outputs)?),
        };
        let classes = match task_kind {
            Kind::Regression => vec!["value".to_string()],
            Kind::Single | Kind::Multi => discover_classes(&outputs, opts)?,
        };
        let task = task_of(task_kind, &classes)?;
        let n = ids.len();
        let k = classes.len();
        // The file row of each canonical id, computed once per distinct id
        // list (once in all when every model lists its ids in the same order).
        let mut row_lists: Vec<(&Ids, Vec<usize>)> = Vec::new();
        let mut list_of = Vec::with_capacity(outputs.len());
        for out in &outputs {
            let at = match row_lists.iter().position(|(l, _)| **l == out.ids) {
                Some(at) => at,
                None => {
                    row_lists.push((&out.ids, file_rows(out, &ids)));
                    row_lists.len() - 1
                }
            };
            list_of.push(at);
        }
        // Each model's block is filled in place, the models in parallel; the
        // error reported is the first in model order, as a sequential fill
        // would find it.
        let mut values = vec![0f32; outputs.len() * n * k];
        let filled: Vec<Result<()>> = {
            use rayon::prelude::*;
            values
                .par_chunks_mut((n * k).max(1))
                .zip(outputs.par_iter().zip(&list_of))
                .map(|(block, (out, &at))| {
                    fill_model(out, &row_lists[at].1, &ids, &classes, task, opts, block)
                        .map_err(|e| e.with_model(out.name.clone()))
                })
                .collect()
        };
        filled.into_iter().collect::<Result<()>>()?;
        let hard = outputs
            .iter()
            .map(|out| matches!(out.content, Content::Labels(_)))
            .collect();
        Ok(Predictions {
            task,
            models: outputs.into_iter().map(|o| o.name).collect(),
            ids: ids.into_names().into(),
            classes,
            hard,
            values,
        })
    }
}

/// The task of models of `kind` with these classes.
fn task_of(kind: Kind, classes: &[String]) -> Result<Task> {
    Ok(match kind {
        Kind::Regression => Task::Regression,
        Kind::Multi => Task::Multilabel {
            n_labels: classes.len(),
        },
        Kind::Single => {
            if classes.len() < 2 {
                return Err(Error::shape(format!(
                    "expected at least two classes, found {} ({})",
                    classes.len(),
                    classes.join(", ")
                )));
            }
            Task::classification(classes.len())
        }
    })
}

/// `Some(n)` when every model's ids are [`Ids::Rows`]`(n)`, the same `n`.
fn row_numbered(outputs: &[ModelOutput]) -> Option<usize> {
    let Ids::Rows(n) = outputs.first()?.ids else {
        return None;
    };
    outputs
        .iter()
        .all(|o| matches!(o.ids, Ids::Rows(m) if m == n))
        .then_some(n)
}

/// A model's ids as names: [`Ids::Rows`] are written out (rarely needed:
/// only when aligning models whose ids are not all numbered rows alike).
fn id_names(ids: &Ids) -> Cow<'_, [String]> {
    match ids {
        Ids::Names(v) => Cow::Borrowed(v.as_slice()),
        Ids::Rows(_) => Cow::Owned(ids.clone().into_names()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    Multi,
    Regression,
}

/// Checks one model's sizes, and its ids for duplicates unless
/// `ids_checked` (they equal an already checked model's).
fn check_model_shape(out: &ModelOutput, ids_checked: bool) -> Result<()> {
    let err = |msg: String| Err(Error::shape(msg).with_model(out.name.clone()));
    if out.ids.is_empty() {
        return err("expected at least one row, found none".into());
    }
    let n = out.ids.len();
    match &out.content {
        Content::Scores { columns, values } => {
            if columns.is_empty() {
                return err("expected at least one class column, found none".into());
            }
            if values.len() != n * columns.len() {
                return err(format!(
                    "expected {n} rows × {} columns = {} values, found {}",
                    columns.len(),
                    n * columns.len(),
                    values.len()
                ));
            }
            if let Some(dup) = first_duplicate(columns) {
                return Err(
                    Error::mismatch(format!("the class column '{dup}' appears twice"))
                        .with_model(out.name.clone()),
                );
            }
        }
        Content::Labels(labels) if labels.len() != n => {
            return err(format!("expected {n} labels, found {}", labels.len()));
        }
        Content::Values(v) if v.len() != n => {
            return err(format!("expected {n} values, found {}", v.len()));
        }
        _ => {}
    }
    // Numbered rows cannot repeat.
    let dup = match &out.ids {
        Ids::Rows(_) => None,
        Ids::Names(v) if !ids_checked => first_duplicate(v),
        Ids::Names(_) => None,
    };
    if let Some(dup) = dup {
        return Err(
            Error::mismatch("the id appears more than once; ids must be unique")
                .with_model(out.name.clone())
                .with_id(dup),
        );
    }
    Ok(())
}

fn first_duplicate(items: &[String]) -> Option<String> {
    // Ids usually come in order; strictly increasing items cannot repeat, and
    // checking that costs two integer parses per item, not a hash-map insert.
    if items
        .windows(2)
        .all(|w| id_order(&w[0], &w[1]) == Ordering::Less)
    {
        return None;
    }
    let mut seen = HashMap::with_capacity(items.len());
    for s in items {
        if seen.insert(s.as_str(), ()).is_some() {
            return Some(s.clone());
        }
    }
    None
}

pub(super) fn unique(what: &str, items: &[String]) -> Result<()> {
    match first_duplicate(items) {
        Some(d) => Err(Error::mismatch(format!(
            "the {what} '{d}' appears more than once"
        ))),
        None => Ok(()),
    }
}

/// The classes [`Predictions::from_outputs`] would give `outputs` together
/// (`None` for regression), so that models validated one at a time get the
/// same ones.
pub(crate) fn shared_classes(
    outputs: &[ModelOutput],
    opts: &BuildOptions,
) -> Result<Option<Vec<String>>> {
    for (i, out) in outputs.iter().enumerate() {
        check_model_shape(out, i > 0 && out.ids == outputs[0].ids)?;
    }
    match task_kind(outputs, opts)? {
        Kind::Regression => Ok(None),
        Kind::Single | Kind::Multi => discover_classes(outputs, opts).map(Some),
    }
}

fn task_kind(outputs: &[ModelOutput], opts: &BuildOptions) -> Result<Kind> {
    let regression: Vec<&str> = outputs
        .iter()
        .filter(|o| matches!(o.content, Content::Values(_)))
        .map(|o| o.name.as_str())
        .collect();
    if regression.len() == outputs.len() {
        if opts.task == TaskHint::Multilabel {
            return Err(Error::mismatch(
                "expected multilabel scores, found regression values (a 'value' column)",
            ));
        }
        return Ok(Kind::Regression);
    }
    if !regression.is_empty() {
        let other = outputs
            .iter()
            .find(|o| !matches!(o.content, Content::Values(_)))
            .map(|o| o.name.as_str())
            .unwrap_or_default();
        return Err(Error::mismatch(format!(
            "models disagree on the task: [{}] give regression values, '{other}' gives class scores or labels",
            regression.join(", ")
        )));
    }
    Ok(match opts.task {
        TaskHint::Auto => Kind::Single,
        TaskHint::Multilabel => Kind::Multi,
    })
}

/// The sorted ids of the first model, after checking every model has the
/// same set.
fn aligned_ids(outputs: &[ModelOutput]) -> Result<Vec<String>> {
    let first = &outputs[0];
    let first_ids = id_names(&first.ids);
    let mut ids = first_ids.to_vec();
    ids.sort_by(|a, b| id_order(a, b));
    // Built only when a model lists other ids than the first (or the same in
    // another order): a million-id set costs more than the rest of loading.
    let mut reference: Option<BTreeSet<&str>> = None;
    for out in &outputs[1..] {
        if out.ids == first.ids {
            continue;
        }
        let reference =
            reference.get_or_insert_with(|| first_ids.iter().map(|s| s.as_str()).collect());
        same_id_set(reference, &first.name, out)?;
    }
    Ok(ids)
}

/// Checks that `out` has the ids of `reference`, the set of model `first`'s.
fn same_id_set(reference: &BTreeSet<&str>, first: &str, out: &ModelOutput) -> Result<()> {
    let out_ids = id_names(&out.ids);
    let other: BTreeSet<&str> = out_ids.iter().map(|s| s.as_str()).collect();
    if other == *reference {
        return Ok(());
    }
    let missing: Vec<&str> = reference.difference(&other).copied().collect();
    let extra: Vec<&str> = other.difference(reference).copied().collect();
    let mut msg = format!(
        "expected the same {} ids as model '{first}', found {} ids",
        reference.len(),
        other.len()
    );
    if !missing.is_empty() {
        msg.push_str(&format!(
            "; missing {}: {}",
            missing.len(),
            preview(&missing)
        ));
    }
    if !extra.is_empty() {
        msg.push_str(&format!(
            "; unexpected {}: {}",
            extra.len(),
            preview(&extra)
        ));
    }
    Err(Error::mismatch(msg).with_model(out.name.clone()))
}

/// Up to five items, then a count of the rest.
pub(crate) fn preview(items: &[&str]) -> String {
    let mut s = items
        .iter()
        .take(5)
        .map(|x| format!("'{x}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 5 {
        s.push_str(&format!(" and {} more", items.len() - 5));
    }
    s
}

pub(super) fn split_labels(label: &str, multilabel: bool) -> Vec<&str> {
    if !multilabel {
        return vec![label];
    }
    label
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn discover_classes(outputs: &[ModelOutput], opts: &BuildOptions) -> Result<Vec<String>> {
    let multilabel = opts.task == TaskHint::Multilabel;
    // Where the expected classes come from, for messages.
    let mut source = "the fuser was fitted on".to_string();
    let classes = if let Some(given) = &opts.classes {
        given.clone()
    } else if let Some(out) = outputs
        .iter()
        .find(|o| matches!(o.content, Content::Scores { .. }))
    {
        source = format!("of model '{}'", out.name);
        match &out.content {
            Content::Scores { columns, .. } => columns.clone(),
            _ => unreachable!("found by the filter above"),
        }
    } else {
        let mut set: BTreeSet<&str> = BTreeSet::new();
        for out in outputs {
            if let Content::Labels(labels) = &out.content {
                for l in labels {
                    set.extend(split_labels(l, multilabel));
                }
            }
        }
        let extra: Vec<String> = opts
            .extra_classes
            .iter()
            .flat_map(|c| split_labels(c, multilabel))
            .map(|c| canonical_class(c).into_owned())
            .collect();
        check_hard_classes(outputs, &extra, opts.closed_classes, multilabel)?;
        set.extend(extra.iter().map(String::as_str));
        let mut v: Vec<String> = set.into_iter().map(String::from).collect();
        v.sort_by(|a, b| id_order(a, b));
        v
    };
    for out in outputs {
        check_columns(out, &classes, &source)?;
    }
    Ok(classes)
}

/// Every model with scores must have exactly the columns `classes`, in any
/// order; `source` says where they come from, for the message.
fn check_columns(out: &ModelOutput, classes: &[String], source: &str) -> Result<()> {
    let Content::Scores { columns, .. } = &out.content else {
        return Ok(());
    };
    let want: BTreeSet<&str> = classes.iter().map(|s| s.as_str()).collect();
    let have: BTreeSet<&str> = columns.iter().map(|s| s.as_str()).collect();
    if have == want {
        return Ok(());
    }
    let missing: Vec<&str> = want.difference(&have).copied().collect();
    let extra: Vec<&str> = have.difference(&want).copied().collect();
    let mut msg = format!(
        "expected the class columns [{}] {source}, found [{}]",
        classes.join(", "),
        columns.join(", ")
    );
    if !missing.is_empty() {
        msg.push_str(&format!("; missing: {}", preview(&missing)));
    }
    if !extra.is_empty() {
        msg.push_str(&format!("; unexpected: {}", preview(&extra)));
    }
    Err(Error::mismatch(msg).with_model(out.name.clone()))
}

/// When every model gave hard labels, nothing says what the classes are
/// but the labels themselves, so a spelling no one else uses would become a
/// class of its own and score as always wrong. With `closed` (the labels
/// file's classes are `extra`), every predicted class must be one of them;
/// without labels, each model must share at least one class with the others.
fn check_hard_classes(
    outputs: &[ModelOutput],
    extra: &[String],
    closed: bool,
    multilabel: bool,
) -> Result<()> {
    let sets: Vec<BTreeSet<&str>> = outputs
        .iter()
        .map(|out| match &out.content {
            Content::Labels(labels) => labels
                .iter()
                .flat_map(|l| split_labels(l, multilabel))
                .collect(),
            _ => BTreeSet::new(),
        })
        .collect();
    fn sorted<'a>(set: &BTreeSet<&'a str>) -> Vec<&'a str> {
        let mut v: Vec<&str> = set.iter().copied().collect();
        v.sort_by(|a, b| id_order(a, b));
        v
    }
    if closed {
        let known: BTreeSet<&str> = extra.iter().map(String::as_str).collect();
        let mut known_sorted: Vec<&str> = known.iter().copied().collect();
        known_sorted.sort_by(|a, b| id_order(a, b));
        for (out, set) in outputs.iter().zip(&sets) {
            let unknown: BTreeSet<&str> = set.difference(&known).copied().collect();
            if !unknown.is_empty() {
                return Err(Error::new(
                    ErrorKind::UnknownLabel,
                    format!(
                        "expected predicted classes among the labels' classes [{}], found {} that no label names: {} (with hard labels, the labels file gives the classes)",
                        known_sorted.join(", "),
                        unknown.len(),
                        preview(&sorted(&unknown))
                    ),
                )
                .with_model(out.name.clone()));
            }
        }
        return Ok(());
    }
    if outputs.len() < 2 {
        return Ok(());
    }
    for (m, (out, set)) in outputs.iter().zip(&sets).enumerate() {
        let others: BTreeSet<&str> = sets
            .iter()
            .enumerate()
            .filter(|(o, _)| *o != m)
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        if !set.is_empty() && set.is_disjoint(&others) {
            return Err(Error::mismatch(format!(
                "expected labels sharing classes with the other models' [{}], found only [{}]",
                sorted(&others).join(", "),
                sorted(set).join(", ")
            ))
            .with_model(out.name.clone()));
        }
    }
    Ok(())
}

/// For each canonical id, the row of `out` that holds it (the ids are
/// already checked to be the same set).
fn file_rows(out: &ModelOutput, ids: &Ids) -> Vec<usize> {
    // Files already in id order, the usual case, need no lookups; so are
    // numbered rows (their order is the id order).
    if matches!(out.ids, Ids::Rows(_)) || out.ids == *ids {
        return (0..ids.len()).collect();
    }
    let ids = id_names(ids);
    let names = id_names(&out.ids);
    let row_of: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    ids.iter().map(|id| row_of[id.as_str()]).collect()
}

/// Fills one model's aligned `block` (zeros on entry): rows reordered to `ids` (`rows[i]` is the
/// file row of `ids[i]`), columns to `classes`.
fn fill_model(
    out: &ModelOutput,
    rows: &[usize],
    ids: &Ids,
    classes: &[String],
    task: Task,
    opts: &BuildOptions,
    block: &mut [f32],
) -> Result<()> {
    let k = classes.len();
    debug_assert_eq!(block.len(), ids.len() * k);
    match &out.content {
        Content::Values(v) => {
            for i in 0..ids.len() {
                let x = v[rows[i]];
                if !x.is_finite() {
                    return Err(Error::invalid_value(format!(
                        "expected a finite value, found {x}"
                    ))
                    .with_id(ids.id(i).into_owned()));
                }
                block[i] = x;
            }
        }
        Content::Labels(labels) => {
            let class_of: HashMap<&str, usize> = classes
                .iter()
                .enumerate()
                .map(|(j, c)| (c.as_str(), j))
                .collect();
            let multilabel = matches!(task, Task::Multilabel { .. });
            for i in 0..ids.len() {
                let label = &labels[rows[i]];
                for part in split_labels(label, multilabel) {
                    let Some(&j) = class_of.get(part) else {
                        return Err(Error::new(
                            ErrorKind::UnknownLabel,
                            format!(
                                "expected a label among [{}], found '{part}'",
                                preview(&classes.iter().map(|s| s.as_str()).collect::<Vec<_>>())
                            ),
                        )
                        .with_id(ids.id(i).into_owned()));
                    };
                    block[i * k + j] = 1.0;
                }
            }
        }
        Content::Scores { columns, values } => {
            let col_of: Vec<usize> = classes
                .iter()
                .map(|c| columns.iter().position(|x| x == c).expect("checked"))
                .collect();
            let width = columns.len();
            for (i, dst) in block.chunks_exact_mut(k).enumerate() {
                let src = &values[rows[i] * width..][..width];
                for (j, &c) in col_of.iter().enumerate() {
                    dst[j] = src[c];
                }
            }
            prepare_rows(block, classes, task, opts, ids)?;
        }
    }
    Ok(())
}

/// [`prepare_row`] on every row of `block` (row `i` is id `ids[i]`, for
/// messages).
///
/// Probabilities as given, the usual case, are checked four rows at a time:
/// every check of a row in one pass (finite, in range, its f64 sum in column
/// order), four rows' sums side by side because each is a chain of dependent
/// additions (a row of 100 classes is a 100-add chain), then the same
/// rescaling, so the same values as the general path. A group with any row
/// that fails a check goes through the general path, which names the
/// problem of the first such row.
fn prepare_rows(
    block: &mut [f32],
    classes: &[String],
    task: Task,
    opts: &BuildOptions,
    ids: &Ids,
) -> Result<()> {
    let k = classes.len();
    let general = |rows: &mut [f32], first: usize| -> Result<()> {
        for (r, row) in rows.chunks_exact_mut(k).enumerate() {
            prepare_row(row, classes, task, opts)
                .map_err(|e| e.with_id(ids.id(first + r).into_owned()))?;
        }
        Ok(())
    };
    if opts.logits || opts.renormalize || task == Task::Regression {
        return general(block, 0);
    }
    let single = task.is_single_label();
    let done = block.len() / (4 * k) * 4;
    let mut quads = block.chunks_exact_mut(4 * k);
    for (q, quad) in quads.by_ref().enumerate() {
        if !probabilities4(quad, k, single) {
            general(quad, 4 * q)?;
        }
    }
    general(quads.into_remainder(), done)
}

/// Checks four rows of `k` probabilities and rescales them as
/// [`prepare_row`] does; `false`, with the rows untouched, when one fails a
/// check.
#[inline]
fn probabilities4(quad: &mut [f32], k: usize, single: bool) -> bool {
    let mut ok = true;
    let mut sums = [0f64; 4];
    for j in 0..k {
        for (q, sum) in sums.iter_mut().enumerate() {
            let x = quad[q * k + j];
            ok &= (-RANGE_TOLERANCE..=1.0 + RANGE_TOLERANCE).contains(&x);
            *sum += x as f64;
        }
    }
    if !ok || (single && sums.iter().any(|s| (s - 1.0).abs() > SUM_TOLERANCE)) {
        return false;
    }
    for (row, &sum) in quad.chunks_exact_mut(k).zip(&sums) {
        if single {
            for x in row.iter_mut() {
                *x = (*x as f64 / sum).clamp(0.0, 1.0) as f32;
            }
        } else {
            for x in row.iter_mut() {
                *x = x.clamp(0.0, 1.0);
            }
        }
    }
    true
}

/// Checks one row of scores and turns it into probabilities in place.
fn prepare_row(row: &mut [f32], classes: &[String], task: Task, opts: &BuildOptions) -> Result<()> {
    for (j, &x) in row.iter().enumerate() {
        if !x.is_finite() {
            return Err(
                Error::invalid_value(format!("expected a finite number, found {x}"))
                    .with_class(classes[j].clone()),
            );
        }
    }
    let single = task.is_single_label();
    if opts.logits {
        if single {
            softmax_in_place(row);
        } else {
            for x in row.iter_mut() {
                *x = sigmoid(*x as f64) as f32;
            }
        }
        return Ok(());
    }
    if single && opts.renormalize {
        if let Some(j) = row.iter().position(|&x| x < 0.0) {
            return Err(Error::invalid_value(format!(
                "expected a non-negative score to renormalise, found {}",
                row[j]
            ))
            .with_class(classes[j].clone()));
        }
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        if sum <= 0.0 {
            return Err(Error::invalid_value(
                "expected scores with a positive sum to renormalise, found a sum of 0",
            ));
        }
        for x in row.iter_mut() {
            *x = (*x as f64 / sum) as f32;
        }
        return Ok(());
    }
    check_row(row, classes, task, true)?;
    if single {
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        for x in row.iter_mut() {
            *x = (*x as f64 / sum).clamp(0.0, 1.0) as f32;
        }
    } else {
        for x in row.iter_mut() {
            *x = x.clamp(0.0, 1.0);
        }
    }
    Ok(())
}

/// Checks a row against the task's invariants; `from_file` adds the hints a
/// person reading a file needs (`--logits`, `--renormalize`).
pub(super) fn check_row(
    row: &[f32],
    classes: &[String],
    task: Task,
    from_file: bool,
) -> Result<()> {
    if task == Task::Regression {
        return match row[0].is_finite() {
            true => Ok(()),
            false => Err(Error::invalid_value(format!(
                "expected a finite value, found {}",
                row[0]
            ))),
        };
    }
    for (j, &x) in row.iter().enumerate() {
        if !x.is_finite() || !(-RANGE_TOLERANCE..=1.0 + RANGE_TOLERANCE).contains(&x) {
            let hint = if from_file {
                " (are these logits? pass --logits)"
            } else {
                ""
            };
            return Err(Error::invalid_value(format!(
                "expected a probability in [0, 1], found {x}{hint}"
            ))
            .with_class(classes[j].clone()));
        }
    }
    if task.is_single_label() {
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            let hint = if from_file {
                " (pass --renormalize to rescale rows, or --logits for raw scores)"
            } else {
                ""
            };
            return Err(Error::invalid_value(format!(
                "expected probabilities summing to 1 (±{SUM_TOLERANCE}), found a sum of {sum:.6}{hint}"
            )));
        }
    }
    Ok(())
}

/// Models validated and aligned one at a time, as
/// [`Predictions::from_outputs`] aligns them all at once, so that a fusion
/// can take them one after another (streaming): the layout (task, ids in
/// [`id_order`], classes) comes from the first model, and each later model
/// gets the checks and messages `from_outputs` would give it against that
/// one. Give the models in name order for the messages to name the same
/// reference model.
pub(crate) struct Layout {
    first: String,
    /// The first model's ids in its file order, the cheap comparison.
    first_ids: Ids,
    /// The ids in [`id_order`]: the row order of every aligned block.
    ids: Ids,
    classes: Vec<String>,
    kind: Kind,
    task: Task,
    opts: BuildOptions,
    /// Where the classes come from, for messages.
    source: String,
}

/// One model's rows aligned to a [`Layout`].
pub(crate) struct Aligned {
    pub(crate) name: String,
    pub(crate) values: Vec<f32>,
    pub(crate) hard: bool,
}

impl Layout {
    /// The layout of `out`'s model, and its rows aligned to it.
    pub(crate) fn first(mut out: ModelOutput, opts: &BuildOptions) -> Result<(Layout, Aligned)> {
        canonicalise_classes(&mut out, opts.task == TaskHint::Multilabel);
        check_model_shape(&out, false)?;
        let one = std::slice::from_ref(&out);
        let kind = task_kind(one, opts)?;
        let classes = match kind {
            Kind::Regression => vec!["value".to_string()],
            Kind::Single | Kind::Multi => discover_classes(one, opts)?,
        };
        let task = task_of(kind, &classes)?;
        let ids = match &out.ids {
            Ids::Rows(n) => Ids::Rows(*n),
            Ids::Names(v) => {
                let mut v = v.clone();
                v.sort_by(|a, b| id_order(a, b));
                Ids::Names(v)
            }
        };
        let source = match (&opts.classes, &out.content) {
            (None, Content::Scores { .. }) => format!("of model '{}'", out.name),
            _ => "the fuser was fitted on".to_string(),
        };
        let layout = Layout {
            first: out.name.clone(),
            first_ids: out.ids.clone(),
            ids,
            classes,
            kind,
            task,
            opts: opts.clone(),
            source,
        };
        let aligned = layout.fill(out)?;
        Ok((layout, aligned))
    }

    /// Checks `out` against the layout and aligns its rows.
    pub(crate) fn align(&self, mut out: ModelOutput) -> Result<Aligned> {
        canonicalise_classes(&mut out, self.opts.task == TaskHint::Multilabel);
        let same_ids = out.ids == self.first_ids;
        check_model_shape(&out, same_ids)?;
        let values = matches!(out.content, Content::Values(_));
        if values != (self.kind == Kind::Regression) {
            let (regression, other) = match values {
                true => (&out.name, &self.first),
                false => (&self.first, &out.name),
            };
            return Err(Error::mismatch(format!(
                "models disagree on the task: [{regression}] give regression values, '{other}' gives class scores or labels"
            )));
        }
        if self.kind != Kind::Regression {
            check_columns(&out, &self.classes, &self.source)?;
        }
        if !same_ids {
            let canonical = id_names(&self.ids);
            let reference: BTreeSet<&str> = canonical.iter().map(String::as_str).collect();
            same_id_set(&reference, &self.first, &out)?;
        }
        self.fill(out)
    }

    /// `out`'s rows in the layout's order, checked and turned into
    /// probabilities; a file already in that order is checked in place.
    fn fill(&self, out: ModelOutput) -> Result<Aligned> {
        let in_order = matches!(out.ids, Ids::Rows(_)) || out.ids == self.ids;
        let hard = matches!(out.content, Content::Labels(_));
        let name = out.name;
        let with_model = |e: Error| e.with_model(name.clone());
        let values = match out.content {
            Content::Scores {
                columns,
                mut values,
            } if in_order && columns == self.classes => {
                prepare_rows(&mut values, &self.classes, self.task, &self.opts, &self.ids)
                    .map_err(with_model)?;
                values
            }
            content => {
                let out = ModelOutput {
                    name: name.clone(),
                    ids: out.ids,
                    content,
                };
                let rows = file_rows(&out, &self.ids);
                let mut block = vec![0f32; self.ids.len() * self.classes.len()];
                fill_model(
                    &out,
                    &rows,
                    &self.ids,
                    &self.classes,
                    self.task,
                    &self.opts,
                    &mut block,
                )
                .map_err(with_model)?;
                block
            }
        };
        Ok(Aligned { name, values, hard })
    }

    /// The task of the models.
    pub(crate) fn task(&self) -> Task {
        self.task
    }

    /// The classes, in the order of every aligned block.
    pub(crate) fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Rows per model.
    pub(crate) fn n_samples(&self) -> usize {
        self.ids.len()
    }

    /// The fused prediction `values` (one model, `name`) on this layout.
    pub(crate) fn into_fused(self, name: &str, values: Vec<f32>) -> Predictions {
        let p = Predictions {
            task: self.task,
            models: vec![name.to_string()],
            ids: self.ids.into_names().into(),
            classes: self.classes,
            hard: vec![false],
            values,
        };
        debug_assert!(p.validate().is_ok(), "{:?}", p.validate());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictions::test_support::scores;

    #[test]
    fn rows_checked_four_at_a_time_name_the_first_bad_row() {
        let k = 3;
        let good = |i: usize| {
            let a = 0.1 + 0.05 * (i % 5) as f32;
            [a, 0.3, 0.7 - a]
        };
        let block: Vec<f32> = (0..11).flat_map(good).collect();
        let ids = Ids::Rows(11);
        let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let task = Task::classification(k);
        let opts = BuildOptions::default();
        // Valid rows: the values of the row-by-row path.
        let mut fast = block.clone();
        prepare_rows(&mut fast, &classes, task, &opts, &ids).unwrap();
        let mut slow = block.clone();
        for row in slow.chunks_exact_mut(k) {
            prepare_row(row, &classes, task, &opts).unwrap();
        }
        assert_eq!(fast, slow);
        // A bad row in a group of four, after one, and in the remainder.
        for (bad, value) in [(6, 1.5), (5, f32::NAN), (9, 0.9), (2, -0.5)] {
            let mut b = block.clone();
            b[bad * k + 1] = value;
            if bad == 2 {
                b[3 * k] = 7.0; // a later bad row in the same group is not the one named
            }
            let e = prepare_rows(&mut b, &classes, task, &opts, &ids).unwrap_err();
            assert_eq!(
                e.location().id.as_deref(),
                Some(bad.to_string().as_str()),
                "{e}"
            );
        }
    }

    #[test]
    fn predictions_align_rows_and_columns_by_name() {
        let a = scores("a", &["2", "10"], &["x", "y"], &[0.2, 0.8, 0.6, 0.4]);
        let b = scores("b", &["10", "2"], &["y", "x"], &[0.3, 0.7, 0.9, 0.1]);
        let p = Predictions::from_outputs(vec![b, a], &BuildOptions::default()).unwrap();
        assert_eq!(p.models(), ["a", "b"]);
        assert_eq!(p.ids(), ["2", "10"]);
        assert_eq!(p.classes(), ["x", "y"]);
        assert_eq!(p.task(), Task::Binary);
        assert_eq!(p.row(0, 0), [0.2, 0.8]);
        assert_eq!(p.row(1, 0), [0.1, 0.9]);
        assert_eq!(p.row(1, 1), [0.7, 0.3]);
    }

    #[test]
    fn predictions_reject_missing_ids() {
        let a = scores("a", &["1", "2"], &["x", "y"], &[0.5; 4]);
        let b = scores("b", &["1", "3"], &["x", "y"], &[0.5; 4]);
        let e = Predictions::from_outputs(vec![a, b], &BuildOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Mismatch);
        assert_eq!(
            e.to_string(),
            "model 'b': expected the same 2 ids as model 'a', found 2 ids; missing 1: '2'; unexpected 1: '3'"
        );
    }

    #[test]
    fn predictions_reject_rows_off_the_simplex() {
        let a = scores("a", &["1"], &["x", "y", "z"], &[0.5, 0.4, 0.3]);
        let e = Predictions::from_outputs(vec![a.clone()], &BuildOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'a', id '1': expected probabilities summing to 1 (±0.001), found a sum of 1.200000 (pass --renormalize to rescale rows, or --logits for raw scores)"
        );
        let opts = BuildOptions {
            renormalize: true,
            ..Default::default()
        };
        let p = Predictions::from_outputs(vec![a], &opts).unwrap();
        let s: f32 = p.row(0, 0).iter().sum();
        assert!((s - 1.0).abs() < 1e-6);
    }

    #[test]
    fn predictions_softmax_logits_stably() {
        let a = scores("a", &["1"], &["x", "y"], &[1000.0, 0.0]);
        let opts = BuildOptions {
            logits: true,
            ..Default::default()
        };
        let p = Predictions::from_outputs(vec![a], &opts).unwrap();
        assert_eq!(p.row(0, 0), [1.0, 0.0]);
    }

    #[test]
    fn hard_labels_become_one_hot_with_discovered_classes() {
        let a = ModelOutput {
            name: "a".into(),
            ids: vec!["1", "2"].into(),
            content: Content::Labels(vec!["1".into(), "0".into()]),
        };
        let opts = BuildOptions {
            extra_classes: vec!["2".into()],
            ..Default::default()
        };
        let p = Predictions::from_outputs(vec![a], &opts).unwrap();
        assert_eq!(p.classes(), ["0", "1", "2"]);
        assert!(p.is_hard(0));
        assert_eq!(p.row(0, 0), [0.0, 1.0, 0.0]);
        assert_eq!(p.predicted_classes(0), vec![1, 0]);
    }

    fn labels(name: &str, ids: &[&str], labels: &[&str]) -> ModelOutput {
        ModelOutput {
            name: name.into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            content: Content::Labels(labels.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn numerically_equal_class_spellings_are_one_class() {
        for (given, want) in [
            ("1.0", "1"),
            ("1.00", "1"),
            ("-2.0", "-2"),
            ("0.50", "0.5"),
            ("1", "1"),
            ("01", "01"),
            ("1.", "1."),
            ("a.0", "a.0"),
            ("1e0", "1e0"),
        ] {
            assert_eq!(canonical_class(given), want, "{given}");
        }
        let a = labels("a", &["1", "2", "3", "4"], &["1", "0", "1", "0"]);
        let b = labels("b", &["1", "2", "3", "4"], &["1.0", "0.0", "1.0", "1.0"]);
        let p = Predictions::from_outputs(vec![a, b], &BuildOptions::default()).unwrap();
        assert_eq!(p.classes(), ["0", "1"]);
        let s = scores("s", &["1"], &["0.0", "1.0"], &[0.2, 0.8]);
        let p = Predictions::from_outputs(vec![s], &BuildOptions::default()).unwrap();
        assert_eq!(p.classes(), ["0", "1"]);
        let t = Targets::align(&p, &[("1".into(), "1".into())]).unwrap();
        assert_eq!(t, Targets::Classes(vec![1]));
    }

    #[test]
    fn hard_labels_outside_the_labels_or_the_other_models_are_errors() {
        let a = labels("a", &["1", "2"], &["1", "0"]);
        let opts = BuildOptions {
            extra_classes: vec!["No".into(), "Yes".into()],
            closed_classes: true,
            ..Default::default()
        };
        let e = Predictions::from_outputs(vec![a.clone()], &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'a': expected predicted classes among the labels' classes [No, Yes], found 2 that no label names: '0', '1' (with hard labels, the labels file gives the classes)"
        );
        let b = labels("b", &["1", "2"], &["x", "y"]);
        let e = Predictions::from_outputs(vec![a, b], &BuildOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'a': expected labels sharing classes with the other models' [x, y], found only [0, 1]"
        );
    }

    /// `out` with its ids replaced by `ids`.
    fn with_ids(out: &ModelOutput, ids: Ids) -> ModelOutput {
        ModelOutput { ids, ..out.clone() }
    }

    fn row_names(n: usize) -> Ids {
        (0..n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn numbered_rows_build_what_their_written_out_names_build() {
        let n = 12;
        let vals: Vec<f32> = (0..n)
            .flat_map(|i| [i as f32 / 20.0, 1.0 - i as f32 / 20.0])
            .collect();
        let a = scores("a", &[], &["x", "y"], &vals);
        let b = ModelOutput {
            name: "b".into(),
            ids: Ids::Rows(0),
            content: Content::Labels(
                (0..n)
                    .map(|i| if i % 2 == 0 { "x" } else { "y" }.to_string())
                    .collect(),
            ),
        };
        let c = ModelOutput {
            name: "c".into(),
            ids: Ids::Rows(0),
            content: Content::Values(vals[..n].to_vec()),
        };
        let logits = BuildOptions {
            logits: true,
            ..Default::default()
        };
        for (outs, opts) in [
            (vec![a.clone(), b.clone()], BuildOptions::default()),
            (vec![b.clone()], BuildOptions::default()),
            (vec![c.clone()], BuildOptions::default()),
            (vec![a.clone()], logits),
        ] {
            let rows: Vec<ModelOutput> = outs.iter().map(|o| with_ids(o, Ids::Rows(n))).collect();
            let names: Vec<ModelOutput> = outs.iter().map(|o| with_ids(o, row_names(n))).collect();
            let from_rows = Predictions::from_outputs(rows, &opts).unwrap();
            let from_names = Predictions::from_outputs(names, &opts).unwrap();
            assert_eq!(from_rows.ids(), from_names.ids());
            assert_eq!(from_rows.ids()[10], "10");
            assert_eq!(from_rows, from_names);
        }
    }

    #[test]
    fn numbered_rows_align_with_named_ids_as_before() {
        // "0".."3" named in another order, against numbered rows.
        let named = scores(
            "a",
            &["3", "1", "0", "2"],
            &["x", "y"],
            &[0.3, 0.7, 0.1, 0.9, 0.0, 1.0, 0.2, 0.8],
        );
        let rows = with_ids(
            &scores(
                "b",
                &[],
                &["y", "x"],
                &[1.0, 0.0, 0.9, 0.1, 0.8, 0.2, 0.7, 0.3],
            ),
            Ids::Rows(4),
        );
        let as_names = with_ids(&rows, row_names(4));
        let opts = BuildOptions::default();
        let mixed = Predictions::from_outputs(vec![rows.clone(), named.clone()], &opts).unwrap();
        let before =
            Predictions::from_outputs(vec![as_names.clone(), named.clone()], &opts).unwrap();
        assert_eq!(mixed, before);
        assert_eq!(mixed.ids(), ["0", "1", "2", "3"]);
        assert_eq!(mixed.row(0, 3), [0.3, 0.7]);
        assert_eq!(mixed.row(1, 3), [0.3, 0.7]);
        // The errors are the same too: a missing id, a duplicate, other counts.
        for other in [
            scores("a", &["0", "1", "2", "x"], &["x", "y"], &[0.5; 8]),
            scores("a", &["0", "1", "2", "2"], &["x", "y"], &[0.5; 8]),
            with_ids(&scores("a", &[], &["x", "y"], &[0.5; 6]), Ids::Rows(3)),
            with_ids(&scores("a", &[], &["x", "y"], &[0.5; 6]), row_names(3)),
        ] {
            let e_rows =
                Predictions::from_outputs(vec![rows.clone(), other.clone()], &opts).unwrap_err();
            let other_names = with_ids(&other, other.ids.clone().into_names().into());
            let e_names =
                Predictions::from_outputs(vec![as_names.clone(), other_names], &opts).unwrap_err();
            assert_eq!(e_rows.to_string(), e_names.to_string());
            assert_eq!(e_rows.kind(), e_names.kind());
        }
        let e = Predictions::from_outputs(
            vec![
                rows.clone(),
                with_ids(&scores("a", &[], &["x", "y"], &[0.5; 6]), Ids::Rows(3)),
            ],
            &opts,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'b': expected the same 3 ids as model 'a', found 4 ids; unexpected 1: '3'"
        );
        let e = Predictions::from_outputs(vec![with_ids(&rows, Ids::Rows(0))], &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'b': expected at least one row, found none"
        );
    }
}
