//! Segment-level predictions grouped by document, and the fixed poolings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::error::{Error, Result};
use crate::predictions::{
    self, BuildOptions, ModelOutput, Predictions, Targets, Task, TaskHint, argmax, id_order,
};

use super::settings::Pooling;

/// One model's segment-level output as read from a file: rows are segments,
/// each with its document.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentedOutput {
    /// The rows: `ids` name segments (unique within the model).
    pub output: ModelOutput,
    /// The document of each row.
    pub docs: Vec<String>,
    /// Each row's position within its document (the `segment` column), when
    /// given; otherwise the file order is the position.
    pub positions: Option<Vec<i64>>,
    /// Each row's length (the `length` column: tokens, seconds…), when given;
    /// positive and finite.
    pub lengths: Option<Vec<f64>>,
}

/// One model's validated segments.
#[derive(Clone, Debug)]
pub(super) struct ModelSegments {
    /// One model; rows are segments in [`id_order`].
    pub(super) preds: Predictions,
    /// The rows of each document (indices into `docs`), by position.
    pub(super) groups: Vec<Vec<usize>>,
    /// The length of each row (1 when not given).
    pub(super) lengths: Vec<f64>,
    /// Whether lengths were given.
    pub(super) has_lengths: bool,
}

/// The validated segment-level predictions of several models, grouped by
/// document.
#[derive(Clone, Debug)]
pub struct SegmentedPredictions {
    /// The documents, in [`id_order`].
    pub(super) docs: Vec<String>,
    /// One entry per model, sorted by name.
    pub(super) models: Vec<ModelSegments>,
}

impl SegmentedPredictions {
    /// Validates and groups the segment-level outputs of several models.
    ///
    /// Each model's rows are validated as [`Predictions::from_outputs`]
    /// validates them (every model gets the same task and classes). Models
    /// may segment documents differently, but must cover the same
    /// documents.
    ///
    /// # Errors
    ///
    /// Those of [`Predictions::from_outputs`], plus: lengths that are not
    /// positive and finite, two rows of a document at the same position,
    /// a row count that does not match the documents', and models covering
    /// different documents.
    pub fn from_outputs(outputs: Vec<SegmentedOutput>, opts: &BuildOptions) -> Result<Self> {
        let mut outputs = outputs;
        if outputs.is_empty() {
            return Err(Error::shape("expected at least one model, found none"));
        }
        outputs.sort_by(|a, b| a.output.name.cmp(&b.output.name));
        for o in &mut outputs {
            predictions::canonicalise_classes(&mut o.output, opts.task == TaskHint::Multilabel);
        }
        // Fix the task and classes once, from all models, so that each model
        // validated alone ends up with the same ones.
        let plain: Vec<ModelOutput> = outputs.iter().map(|o| o.output.clone()).collect();
        let mut opts = opts.clone();
        if let Some(classes) = predictions::shared_classes(&plain, &opts)? {
            opts.classes = Some(classes);
        }
        drop(plain);
        let mut models = Vec::with_capacity(outputs.len());
        let mut groups_by_doc = Vec::with_capacity(outputs.len());
        for seg in outputs {
            let (m, groups) = model_segments(seg, &opts)?;
            models.push(m);
            groups_by_doc.push(groups);
        }
        let first: &BTreeMap<String, Vec<usize>> = &groups_by_doc[0];
        for (m, groups) in models.iter().zip(&groups_by_doc).skip(1) {
            if groups.len() != first.len() || !groups.keys().eq(first.keys()) {
                let missing: Vec<&str> = first
                    .keys()
                    .filter(|d| !groups.contains_key(*d))
                    .map(|s| s.as_str())
                    .collect();
                let extra: Vec<&str> = groups
                    .keys()
                    .filter(|d| !first.contains_key(*d))
                    .map(|s| s.as_str())
                    .collect();
                let mut msg = format!(
                    "expected the same {} documents as model '{}', found {}",
                    first.len(),
                    models[0].name(),
                    groups.len()
                );
                if !missing.is_empty() {
                    msg.push_str(&format!(
                        "; missing {}: {}",
                        missing.len(),
                        predictions::preview(&missing)
                    ));
                }
                if !extra.is_empty() {
                    msg.push_str(&format!(
                        "; unexpected {}: {}",
                        extra.len(),
                        predictions::preview(&extra)
                    ));
                }
                return Err(Error::mismatch(msg).with_model(m.name().to_string()));
            }
        }
        let mut docs: Vec<String> = first.keys().cloned().collect();
        docs.sort_by(|a, b| id_order(a, b));
        for (m, mut groups) in models.iter_mut().zip(groups_by_doc) {
            m.groups = docs
                .iter()
                .map(|d| groups.remove(d).expect("checked above"))
                .collect();
        }
        Ok(SegmentedPredictions { docs, models })
    }

    /// The documents, in [`id_order`].
    pub fn docs(&self) -> &[String] {
        &self.docs
    }

    /// The models, sorted by name.
    pub fn models(&self) -> Vec<&str> {
        self.models.iter().map(ModelSegments::name).collect()
    }

    /// The task.
    pub fn task(&self) -> Task {
        self.models[0].preds.task()
    }

    /// The classes, in output order.
    pub fn classes(&self) -> &[String] {
        self.models[0].preds.classes()
    }

    /// The number of segments of model `m`.
    pub fn n_segments(&self, m: usize) -> usize {
        self.models[m].preds.n_samples()
    }

    /// Every model's segments pooled into documents: one row per document (in
    /// [`SegmentedPredictions::docs`] order) for each model.
    ///
    /// # Errors
    ///
    /// [`Pooling::Learned`] (it needs a fitted aggregator), `length` without
    /// lengths, and `majority` for regression.
    pub fn pool(&self, pooling: Pooling) -> Result<Predictions> {
        let parts = self
            .models
            .iter()
            .map(|m| m.pool(&self.docs, pooling))
            .collect::<Result<Vec<_>>>()?;
        Ok(stack_models(&parts))
    }

    /// The segment-level predictions of every model, for fusing models
    /// segment by segment.
    ///
    /// # Errors
    ///
    /// Models that predict different segments.
    pub fn segment_level(&self) -> Result<Predictions> {
        let first = &self.models[0];
        for m in &self.models[1..] {
            if m.preds.ids() != first.preds.ids() {
                let theirs: BTreeSet<&str> = m.preds.ids().iter().map(|s| s.as_str()).collect();
                let ours: BTreeSet<&str> = first.preds.ids().iter().map(|s| s.as_str()).collect();
                let missing: Vec<&str> = ours.difference(&theirs).copied().collect();
                let extra: Vec<&str> = theirs.difference(&ours).copied().collect();
                let mut msg = format!(
                    "fusing models first needs every model to predict the same segments: expected the {} segment ids of model '{}', found {}",
                    ours.len(),
                    first.name(),
                    theirs.len()
                );
                if !missing.is_empty() {
                    msg.push_str(&format!("; missing {}", predictions::preview(&missing)));
                }
                if !extra.is_empty() {
                    msg.push_str(&format!("; unexpected {}", predictions::preview(&extra)));
                }
                msg.push_str(" (pool segments first instead: order segments-first)");
                return Err(Error::mismatch(msg).with_model(m.name().to_string()));
            }
            // Same ids; the documents of a segment must agree too.
            for ((g, h), doc) in first.groups.iter().zip(&m.groups).zip(&self.docs) {
                let mut a = g.clone();
                let mut b = h.clone();
                a.sort_unstable();
                b.sort_unstable();
                if a != b {
                    return Err(Error::mismatch(format!(
                        "expected the segments of document '{doc}' to be those of model '{}'",
                        first.name()
                    ))
                    .with_model(m.name().to_string()));
                }
            }
        }
        let parts: Vec<Predictions> = self.models.iter().map(|m| m.preds.clone()).collect();
        Ok(stack_models(&parts))
    }

    /// The model named `name`.
    pub(super) fn model(&self, name: &str) -> Result<&ModelSegments> {
        self.models
            .iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                Error::mismatch(format!(
                    "this fuser was fitted on other models: expected model '{name}', found [{}]",
                    self.models().join(", ")
                ))
            })
    }

    /// The doc-level targets from a labels table.
    pub(super) fn doc_targets(&self, labels: &[(String, String)]) -> Result<Targets> {
        let template = self.models[0].pool(&self.docs, Pooling::Mean)?;
        Targets::align(&template, labels)
    }

    /// For each segment of model `m` (in row order), the index of its
    /// document.
    pub(super) fn doc_of_rows(&self, m: usize) -> Vec<usize> {
        let seg = &self.models[m];
        let mut doc_of = vec![0; seg.preds.n_samples()];
        for (d, rows) in seg.groups.iter().enumerate() {
            for &r in rows {
                doc_of[r] = d;
            }
        }
        doc_of
    }
}

impl ModelSegments {
    pub(super) fn name(&self) -> &str {
        &self.preds.models()[0]
    }

    /// This model's segments pooled into `docs` (one row each).
    pub(super) fn pool(&self, docs: &[String], pooling: Pooling) -> Result<Predictions> {
        self.pool_values(self.preds.model(0), docs, pooling)
            .map(|values| self.doc_level(docs, self.name(), values))
    }

    /// Pools `values` (one row per segment, this model's row order).
    pub(super) fn pool_values(
        &self,
        values: &[f32],
        docs: &[String],
        pooling: Pooling,
    ) -> Result<Vec<f32>> {
        let task = self.preds.task();
        let k = self.preds.n_outputs();
        let row = |r: usize| &values[r * k..(r + 1) * k];
        match pooling {
            Pooling::Learned => {
                return Err(Error::param(
                    "learned pooling needs a fitted aggregator; fit the fuser with labels",
                ));
            }
            Pooling::Length if !self.has_lengths => {
                return Err(Error::param(
                    "length pooling needs each segment's length: add a 'length' column",
                )
                .with_model(self.name().to_string()));
            }
            Pooling::Majority if task == Task::Regression => {
                return Err(Error::unsupported(
                    "majority pooling needs classes; use mean, max, length or learned for regression",
                ));
            }
            _ => {}
        }
        let mut out = Vec::with_capacity(docs.len() * k);
        let mut acc = vec![0f64; k];
        for rows in &self.groups {
            if let [only] = rows[..] {
                // Pooling one segment is the identity, bit for bit.
                out.extend_from_slice(row(only));
                continue;
            }
            acc.iter_mut().for_each(|a| *a = 0.0);
            match pooling {
                Pooling::Mean | Pooling::Length => {
                    let mut total = 0.0;
                    for &r in rows {
                        let w = if pooling == Pooling::Length {
                            self.lengths[r]
                        } else {
                            1.0
                        };
                        total += w;
                        for (a, &v) in acc.iter_mut().zip(row(r)) {
                            *a += w * v as f64;
                        }
                    }
                    acc.iter_mut().for_each(|a| *a /= total);
                }
                Pooling::Max => {
                    acc.iter_mut().for_each(|a| *a = f64::NEG_INFINITY);
                    for &r in rows {
                        for (a, &v) in acc.iter_mut().zip(row(r)) {
                            *a = a.max(v as f64);
                        }
                    }
                    if task.is_single_label() {
                        normalise(&mut acc);
                    }
                }
                Pooling::Majority => majority(&mut acc, rows, row, task),
                Pooling::Learned => unreachable!("refused above"),
            }
            out.extend(acc.iter().map(|&a| a as f32));
        }
        Ok(out)
    }

    /// A one-model doc-level prediction named `name`.
    pub(super) fn doc_level(&self, docs: &[String], name: &str, values: Vec<f32>) -> Predictions {
        Predictions::from_parts(
            self.preds.task(),
            vec![name.to_string()],
            docs.to_vec(),
            self.preds.classes().to_vec(),
            vec![false],
            values,
        )
    }

    /// The statistics a learned aggregator sees of `values` (one row per
    /// segment), as a doc-level prediction of up to five pseudo-models.
    pub(super) fn statistics(&self, values: &[f32], docs: &[String]) -> Result<Predictions> {
        let k = self.preds.n_outputs();
        let mut names = vec!["first", "last"];
        let mut blocks = Vec::new();
        for pick_last in [false, true] {
            let mut v = Vec::with_capacity(docs.len() * k);
            for rows in &self.groups {
                let r = if pick_last {
                    rows[rows.len() - 1]
                } else {
                    rows[0]
                };
                v.extend_from_slice(&values[r * k..(r + 1) * k]);
            }
            blocks.push(v);
        }
        if self.has_lengths {
            names.push("length");
            blocks.push(self.pool_values(values, docs, Pooling::Length)?);
        }
        names.push("max");
        blocks.push(self.pool_values(values, docs, Pooling::Max)?);
        names.push("mean");
        blocks.push(self.pool_values(values, docs, Pooling::Mean)?);
        Ok(Predictions::from_parts(
            self.preds.task(),
            names.into_iter().map(String::from).collect(),
            docs.to_vec(),
            self.preds.classes().to_vec(),
            vec![false; blocks.len()],
            blocks.concat(),
        ))
    }
}

/// Scales a non-negative row to sum to one (a zero row becomes uniform).
pub(super) fn normalise(acc: &mut [f64]) {
    let sum: f64 = acc.iter().sum();
    if sum > 0.0 {
        acc.iter_mut().for_each(|a| *a /= sum);
    } else {
        let u = 1.0 / acc.len() as f64;
        acc.iter_mut().for_each(|a| *a = u);
    }
}

/// Majority pooling of `rows` into `acc` (see the module docs for the rule).
pub(super) fn majority<'a>(
    acc: &mut [f64],
    rows: &[usize],
    row: impl Fn(usize) -> &'a [f32],
    task: Task,
) {
    let k = acc.len();
    if task.is_single_label() {
        let mut votes = vec![0usize; k];
        let mut mass = vec![0f64; k];
        for &r in rows {
            votes[argmax(row(r))] += 1;
            for (m, &v) in mass.iter_mut().zip(row(r)) {
                *m += v as f64;
            }
        }
        // Most votes, then most probability, then the first class.
        let winner = (0..k)
            .max_by(|&a, &b| {
                votes[a]
                    .cmp(&votes[b])
                    .then(mass[a].total_cmp(&mass[b]))
                    .then(b.cmp(&a))
            })
            .expect("at least one class");
        let voters: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| argmax(row(r)) == winner)
            .collect();
        for &r in &voters {
            for (a, &v) in acc.iter_mut().zip(row(r)) {
                *a += v as f64;
            }
        }
        acc.iter_mut().for_each(|a| *a /= voters.len() as f64);
        return;
    }
    // Multilabel: label by label.
    for (j, a) in acc.iter_mut().enumerate() {
        let on = rows.iter().filter(|&&r| row(r)[j] >= 0.5).count();
        let off = rows.len() - on;
        let side: Vec<f64> = rows
            .iter()
            .map(|&r| row(r)[j] as f64)
            .filter(|&v| match on.cmp(&off) {
                std::cmp::Ordering::Greater => v >= 0.5,
                std::cmp::Ordering::Less => v < 0.5,
                std::cmp::Ordering::Equal => true,
            })
            .collect();
        *a = side.iter().sum::<f64>() / side.len() as f64;
    }
}

/// One model's rows validated, and its rows grouped by document (each group
/// sorted by position).
pub(super) fn model_segments(
    seg: SegmentedOutput,
    opts: &BuildOptions,
) -> Result<(ModelSegments, BTreeMap<String, Vec<usize>>)> {
    let SegmentedOutput {
        output,
        docs,
        positions,
        lengths,
    } = seg;
    let name = output.name.clone();
    let err = |e: Error| e.with_model(name.clone());
    let n = output.ids.len();
    if docs.len() != n {
        return Err(err(Error::shape(format!(
            "expected one document per row ({n}), found {}",
            docs.len()
        ))));
    }
    for (what, len) in [
        ("positions", positions.as_ref().map(Vec::len)),
        ("lengths", lengths.as_ref().map(Vec::len)),
    ] {
        if let Some(len) = len.filter(|&l| l != n) {
            return Err(err(Error::shape(format!(
                "expected one of the {what} per row ({n}), found {len}"
            ))));
        }
    }
    if let Some(l) = &lengths
        && let Some(i) = l.iter().position(|x| !(x.is_finite() && *x > 0.0))
    {
        return Err(err(Error::invalid_value(format!(
            "expected a positive, finite segment length, found {}",
            l[i]
        ))
        .with_id(output.ids.id(i).into_owned())));
    }
    // Per file row: document, position, length; keyed by segment id so they
    // follow the rows into id order.
    let file_ids = output.ids.clone().into_names();
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, id) in file_ids.iter().enumerate() {
        by_id.insert(id.as_str(), i);
    }
    let preds = Predictions::from_outputs(vec![output], opts).map_err(&err)?;
    let mut groups: BTreeMap<String, Vec<(i64, usize)>> = BTreeMap::new();
    let mut row_lengths = Vec::with_capacity(n);
    for (r, id) in preds.ids().iter().enumerate() {
        let i = by_id[id.as_str()];
        let pos = positions.as_ref().map_or(i as i64, |p| p[i]);
        groups.entry(docs[i].clone()).or_default().push((pos, r));
        row_lengths.push(lengths.as_ref().map_or(1.0, |l| l[i]));
    }
    let mut out = BTreeMap::new();
    for (doc, mut rows) in groups {
        rows.sort_unstable();
        if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(err(Error::mismatch(format!(
                "two segments of document '{doc}' are at position {}: '{}' and '{}'",
                w[0].0,
                preds.ids()[w[0].1],
                preds.ids()[w[1].1]
            ))));
        }
        out.insert(doc, rows.into_iter().map(|(_, r)| r).collect());
    }
    Ok((
        ModelSegments {
            preds,
            groups: Vec::new(),
            lengths: row_lengths,
            has_lengths: lengths.is_some(),
        },
        out,
    ))
}

/// One-model predictions over the same samples and classes, as one
/// multi-model prediction (models in the order given).
pub(super) fn stack_models(parts: &[Predictions]) -> Predictions {
    let first = &parts[0];
    let mut values = Vec::with_capacity(parts.len() * first.as_slice().len());
    let mut models = Vec::with_capacity(parts.len());
    let mut hard = Vec::with_capacity(parts.len());
    for p in parts {
        debug_assert_eq!(p.ids(), first.ids());
        debug_assert_eq!(p.classes(), first.classes());
        models.push(p.models()[0].clone());
        hard.push(p.is_hard(0));
        values.extend_from_slice(p.model(0));
    }
    Predictions::from_parts(
        first.task(),
        models,
        first.shared_ids(),
        first.classes().to_vec(),
        hard,
        values,
    )
}
