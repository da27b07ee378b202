//! Serial fusion: documents split into segments, each segment predicted, the
//! segments' predictions pooled into one prediction per document — and that
//! combined with fusion across models, in either order.
//!
//! A long input (a document longer than a model's context, a recording cut
//! into windows) is predicted piece by piece. Each piece is a *segment*: a
//! row of a model's output with the id of its document (and optionally its
//! position and length). Two orders combine the two kinds of fusion:
//!
//! * [`Order::SegmentsFirst`] pools each model's segments into one prediction
//!   per document, then fuses the models at the document level. Models may
//!   segment differently (other tokenisers, other window sizes).
//! * [`Order::ModelsFirst`] fuses the models segment by segment (the fuser
//!   learns from each segment labelled with its document's label), then
//!   pools the fused segments. Every model must predict the same segments.
//!
//! Pooling ([`Pooling`]), per document and class, over its segments:
//!
//! | pooling | classification | multilabel | regression |
//! |---|---|---|---|
//! | `mean` | mean probability | mean per label | mean |
//! | `max` | per-class maximum, renormalised to sum to 1 | per-label maximum | maximum |
//! | `length` | mean weighted by the `length` column | the same | the same |
//! | `majority` | the class most segments predict; the mean of the rows that predict it | per label: the side (≥ 0.5 or not) most segments take; the mean of the probabilities on that side | — |
//! | `learned` | a class-shared logistic model over pooled statistics | per label | a weighted mean |
//!
//! A document with one segment is passed through unchanged by every fixed
//! pooling (the property tests check it). The majority vote breaks ties
//! towards the class with the larger summed probability over the document's
//! segments, then the class listed first; a multilabel tie (as many segments
//! on each side) takes the mean of all segments.
//!
//! The learned aggregator sees, per document, five statistics of the
//! segments' predictions as if they were five models — `first` and `last`
//! (the segments with the smallest and largest position), `length` (the
//! length-weighted mean; only when lengths are given), `max` and `mean` —
//! and is a logistic model over their log-probabilities with one
//! coefficient per statistic shared by all classes (a conditional logit:
//! `p(k) ∝ exp(τ · Σ_s w_s log stat_s(k))`, the weights on the simplex
//! fitted for log-loss, the temperature τ fitted out of fold). Its few
//! parameters do not grow with the number of classes: per-class logistic
//! models overfit 1,540 documents of 77 classes (a stacking fuser over three
//! pooled models, 231 features, lost 8 points of accuracy on the BANKING77
//! windows against their plain mean). For regression it is the
//! squared-error optimal weighted mean of the statistics.
//!
//! Wherever a learned stage's output feeds another learned stage, the
//! predictions are out of fold, with folds over documents (never splitting
//! a document's segments): the fuser across
//! models is fitted on out-of-fold pooled predictions (segments first), and
//! the aggregator on out-of-fold fused segments when the fuser learns
//! (models first).
//!
//! Cost: pooling is O(S·K) per model for S segments and K classes; building
//! the per-document groups is O(S log S).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::fit::{self, FitOptions, cv};
use crate::fitted::FittedFuser;
use crate::fusers::{FUSED, OptimizedParams};
use crate::predictions::{
    self, BuildOptions, ModelOutput, Predictions, Targets, Task, TaskHint, argmax, id_order,
};
use crate::spec::FuserSpec;

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

/// How a document's segments are pooled into one prediction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// The mean of the segments' predictions.
    #[default]
    Mean,
    /// The per-class maximum (renormalised for single-label tasks).
    Max,
    /// The mean weighted by segment length.
    Length,
    /// The majority class's segments, averaged.
    Majority,
    /// A meta-model over pooled statistics, fitted on labelled documents.
    Learned,
}

impl Pooling {
    /// Every pooling, in command-line order.
    pub const ALL: [Pooling; 5] = [
        Pooling::Mean,
        Pooling::Max,
        Pooling::Length,
        Pooling::Majority,
        Pooling::Learned,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Max => "max",
            Pooling::Length => "length",
            Pooling::Majority => "majority",
            Pooling::Learned => "learned",
        }
    }
}

impl fmt::Display for Pooling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Pooling {
    type Err = Error;
    fn from_str(s: &str) -> Result<Pooling> {
        Pooling::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::param(format!(
                    "expected a pooling among [mean, max, length, majority, learned], found '{s}'"
                ))
            })
    }
}

/// Which fusion comes first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Pool each model's segments into documents, then fuse the models.
    #[default]
    SegmentsFirst,
    /// Fuse the models segment by segment, then pool the fused segments.
    ModelsFirst,
}

impl Order {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Order::SegmentsFirst => "segments-first",
            Order::ModelsFirst => "models-first",
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Order {
    type Err = Error;
    fn from_str(s: &str) -> Result<Order> {
        match s {
            "segments-first" => Ok(Order::SegmentsFirst),
            "models-first" => Ok(Order::ModelsFirst),
            _ => Err(Error::param(format!(
                "expected an order among [segments-first, models-first], found '{s}'"
            ))),
        }
    }
}

/// The segment settings of a fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentSettings {
    /// How segments are pooled.
    pub pooling: Pooling,
    /// Which fusion comes first.
    pub order: Order,
}

/// What a fitted fuser records of its segments: the settings, and the
/// fitted aggregators of learned pooling (by model name for segments-first,
/// one named `fused` for models-first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedSegments {
    /// Which fusion comes first.
    pub order: Order,
    /// How segments are pooled.
    pub pooling: Pooling,
    /// The learned aggregators (learned pooling only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aggregators: BTreeMap<String, FittedFuser>,
}

/// One model's validated segments.
#[derive(Clone, Debug)]
struct ModelSegments {
    /// One model; rows are segments in [`id_order`].
    preds: Predictions,
    /// The rows of each document (indices into `docs`), by position.
    groups: Vec<Vec<usize>>,
    /// The length of each row (1 when not given).
    lengths: Vec<f64>,
    /// Whether lengths were given.
    has_lengths: bool,
}

/// The validated segment-level predictions of several models, grouped by
/// document.
#[derive(Clone, Debug)]
pub struct SegmentedPredictions {
    /// The documents, in [`id_order`].
    docs: Vec<String>,
    /// One entry per model, sorted by name.
    models: Vec<ModelSegments>,
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
    fn model(&self, name: &str) -> Result<&ModelSegments> {
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
    fn doc_targets(&self, labels: &[(String, String)]) -> Result<Targets> {
        let template = self.models[0].pool(&self.docs, Pooling::Mean)?;
        Targets::align(&template, labels)
    }

    /// For each segment of model `m` (in row order), the index of its
    /// document.
    fn doc_of_rows(&self, m: usize) -> Vec<usize> {
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
    fn name(&self) -> &str {
        &self.preds.models()[0]
    }

    /// This model's segments pooled into `docs` (one row each).
    fn pool(&self, docs: &[String], pooling: Pooling) -> Result<Predictions> {
        self.pool_values(self.preds.model(0), docs, pooling)
            .map(|values| self.doc_level(docs, self.name(), values))
    }

    /// Pools `values` (one row per segment, this model's row order).
    fn pool_values(&self, values: &[f32], docs: &[String], pooling: Pooling) -> Result<Vec<f32>> {
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
    fn doc_level(&self, docs: &[String], name: &str, values: Vec<f32>) -> Predictions {
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
    fn statistics(&self, values: &[f32], docs: &[String]) -> Result<Predictions> {
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
fn normalise(acc: &mut [f64]) {
    let sum: f64 = acc.iter().sum();
    if sum > 0.0 {
        acc.iter_mut().for_each(|a| *a /= sum);
    } else {
        let u = 1.0 / acc.len() as f64;
        acc.iter_mut().for_each(|a| *a = u);
    }
}

/// Majority pooling of `rows` into `acc` (see the module docs for the rule).
fn majority<'a>(acc: &mut [f64], rows: &[usize], row: impl Fn(usize) -> &'a [f32], task: Task) {
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
fn model_segments(
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
        .with_id(output.ids[i].clone())));
    }
    // Per file row: document, position, length; keyed by segment id so they
    // follow the rows into id order.
    let file_ids = output.ids.clone();
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
fn stack_models(parts: &[Predictions]) -> Predictions {
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

/// The aggregator of learned pooling and what surrounds its fit: a
/// log-linear model with one coefficient per statistic, shared by every
/// class — the weighted geometric mean of the statistics with log-loss
/// optimal weights, then a fitted temperature (out of fold) — so its
/// parameters do not grow with the number of classes. Regression: the
/// squared-error optimal weighted mean.
fn aggregator(task: Task, options: &FitOptions) -> (FuserSpec, FitOptions) {
    let regression = task == Task::Regression;
    let spec = FuserSpec::Optimized(OptimizedParams {
        by: None,
        geometric: !regression,
    });
    let options = FitOptions {
        calibrate: if regression {
            crate::Calibrate::None
        } else {
            crate::Calibrate::Output
        },
        prune: None,
        folds: options.folds,
        seed: options.seed,
    };
    (spec, options)
}

/// The folds of `options` over the documents, for out-of-fold predictions.
fn doc_folds(targets: &Targets, n_classes: usize, options: &FitOptions) -> Result<Vec<Vec<usize>>> {
    let k = options.folds.min(targets.len());
    cv::folds_for(targets, n_classes, k, options.seed)
}

impl SegmentSettings {
    /// What learns from labels in fitting `spec` on segments with these
    /// settings and `options`, if anything: the method, else learned
    /// pooling, else pruning or calibration (see [`FitOptions::needs_labels`]).
    pub fn needs_labels(&self, spec: &FuserSpec, options: &FitOptions) -> Option<&'static str> {
        match options.needs_labels(spec) {
            Some(what) if spec.needs_targets() => Some(what),
            _ if self.pooling == Pooling::Learned => Some("learned pooling"),
            other => other,
        }
    }
}

impl FuserSpec {
    /// Fits the fuser on segment-level predictions: pools and fuses in the
    /// order of `settings` (see the [module docs](crate::segments)).
    /// `labels` are `(document id, label)` pairs; needed when the method,
    /// pruning, calibration or the pooling learns.
    ///
    /// The result is a [`FittedFuser`] with [`FittedFuser::segments`] set;
    /// apply it with [`FittedFuser::predict_segments`].
    ///
    /// # Errors
    ///
    /// Those of [`FuserSpec::fit_with`]; labels missing where something
    /// learns; models that segment differently with [`Order::ModelsFirst`];
    /// a pooling that does not apply (see [`SegmentedPredictions::pool`]).
    pub fn fit_segments(
        &self,
        segs: &SegmentedPredictions,
        labels: Option<&[(String, String)]>,
        options: &FitOptions,
        settings: SegmentSettings,
    ) -> Result<FittedFuser> {
        let doc_targets = labels.map(|l| segs.doc_targets(l)).transpose()?;
        let n_classes = segs.classes().len();
        let learned = settings.pooling == Pooling::Learned;
        if let (None, Some(what)) = (&doc_targets, settings.needs_labels(self, options)) {
            return Err(Error::param(format!(
                "{what} learns from labels; pass the documents' labels"
            )));
        }
        let mut aggregators = BTreeMap::new();
        let mut fitted = match settings.order {
            Order::SegmentsFirst if !learned => {
                let docs = segs.pool(settings.pooling)?;
                self.fit_with(&docs, doc_targets.as_ref(), options)?
            }
            Order::SegmentsFirst => {
                let t = doc_targets.as_ref().expect("checked above");
                let folds = doc_folds(t, n_classes, options)?;
                let (agg_spec, inner) = aggregator(segs.task(), options);
                let mut parts = Vec::with_capacity(segs.models.len());
                for m in &segs.models {
                    let stats = m.statistics(m.preds.model(0), &segs.docs)?;
                    let agg = agg_spec
                        .fit_with(&stats, Some(t), &inner)
                        .map_err(|e| e.with_model(m.name().to_string()))?;
                    let oof = fit::out_of_fold(&agg_spec, &inner, &stats, t, &folds)
                        .map_err(|e| e.with_model(m.name().to_string()))?;
                    parts.push(oof.renamed(m.name()));
                    aggregators.insert(m.name().to_string(), agg);
                }
                let docs = stack_models(&parts);
                let fitted = self.fit_with(&docs, Some(t), options)?;
                // Pruned models need no aggregator.
                aggregators.retain(|name, _| fitted.models().contains(name));
                fitted
            }
            Order::ModelsFirst => {
                let seg_preds = segs.segment_level()?;
                let doc_of = segs.doc_of_rows(0);
                let seg_targets = doc_targets.as_ref().map(|t| t.select(&doc_of));
                let fitted = self.fit_with(&seg_preds, seg_targets.as_ref(), options)?;
                if learned {
                    let t = doc_targets.as_ref().expect("checked above");
                    let st = seg_targets.as_ref().expect("labels given");
                    // The aggregator must see fused segments as they will be
                    // at prediction time: out of fold when the fuser learns.
                    let fused = if options.needs_labels(self).is_some() {
                        let folds = doc_folds(t, n_classes, options)?;
                        let seg_folds: Vec<Vec<usize>> = folds
                            .iter()
                            .map(|fold| {
                                let mut rows: Vec<usize> = fold
                                    .iter()
                                    .flat_map(|&d| segs.models[0].groups[d].iter().copied())
                                    .collect();
                                rows.sort_unstable();
                                rows
                            })
                            .collect();
                        fit::out_of_fold(self, options, &seg_preds, st, &seg_folds)?
                    } else {
                        crate::Fitted::predict(&fitted, &seg_preds)?
                    };
                    let m = &segs.models[0];
                    let stats = m.statistics(fused.model(0), &segs.docs)?;
                    let (agg_spec, inner) = aggregator(segs.task(), options);
                    let agg = agg_spec.fit_with(&stats, Some(t), &inner)?;
                    aggregators.insert(FUSED.to_string(), agg);
                }
                fitted
            }
        };
        fitted.segments = Some(FittedSegments {
            order: settings.order,
            pooling: settings.pooling,
            aggregators,
        });
        // Fail now, not at prediction time, when something does not apply.
        fitted.predict_segments(segs)?;
        Ok(fitted)
    }
}

impl FittedFuser {
    /// Fuses segment-level predictions into one prediction per document (in
    /// [`SegmentedPredictions::docs`] order), as this fuser was fitted to.
    ///
    /// # Errors
    ///
    /// A fuser fitted without segments; models, classes or a task other than
    /// those fitted on; models that segment differently when fusing models
    /// first; a learned aggregator missing for a model.
    pub fn predict_segments(&self, segs: &SegmentedPredictions) -> Result<Predictions> {
        let Some(seg) = &self.segments else {
            return Err(Error::new(
                ErrorKind::Mismatch,
                "this fuser was fitted on one row per sample, found segments (rows with a document id); fit it on segments to fuse them",
            ));
        };
        let missing_aggregator = |name: &str| {
            Error::new(
                ErrorKind::Format,
                format!(
                    "a fuser with learned pooling needs an aggregator for '{name}', found none"
                ),
            )
        };
        match (seg.order, seg.pooling) {
            (Order::SegmentsFirst, Pooling::Learned) => {
                let mut parts = Vec::with_capacity(self.models().len());
                for name in self.models() {
                    let m = segs.model(name)?;
                    let agg = seg
                        .aggregators
                        .get(name)
                        .ok_or_else(|| missing_aggregator(name))?;
                    let stats = m.statistics(m.preds.model(0), &segs.docs)?;
                    let pooled = crate::Fitted::predict(agg, &stats)
                        .map_err(|e| e.with_model(name.clone()))?;
                    parts.push(pooled.renamed(name));
                }
                self.predict_samples(&stack_models(&parts))
            }
            (Order::SegmentsFirst, pooling) => self.predict_samples(&segs.pool(pooling)?),
            (Order::ModelsFirst, pooling) => {
                let fused = self.predict_samples(&segs.segment_level()?)?;
                let m = &segs.models[0];
                if pooling == Pooling::Learned {
                    let agg = seg
                        .aggregators
                        .get(FUSED)
                        .ok_or_else(|| missing_aggregator(FUSED))?;
                    let stats = m.statistics(fused.model(0), &segs.docs)?;
                    let pooled = crate::Fitted::predict(agg, &stats)?;
                    Ok(pooled.renamed(FUSED))
                } else {
                    let values = m.pool_values(fused.model(0), &segs.docs, pooling)?;
                    Ok(m.doc_level(&segs.docs, FUSED, values))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fitted;
    use crate::fusers::Transform;
    use crate::fusers::{MeanParams, StackingParams};
    use crate::predictions::Content;

    /// A model over segments: `(segment id, doc, probabilities)`.
    fn model(
        name: &str,
        rows: &[(&str, &str, &[f32])],
        lengths: Option<&[f64]>,
    ) -> SegmentedOutput {
        let k = rows[0].2.len();
        SegmentedOutput {
            output: ModelOutput {
                name: name.into(),
                ids: rows.iter().map(|r| r.0.to_string()).collect(),
                content: Content::Scores {
                    columns: (0..k).map(|j| format!("c{j}")).collect(),
                    values: rows.iter().flat_map(|r| r.2.iter().copied()).collect(),
                },
            },
            docs: rows.iter().map(|r| r.1.to_string()).collect(),
            positions: None,
            lengths: lengths.map(<[f64]>::to_vec),
        }
    }

    fn build(models: Vec<SegmentedOutput>) -> SegmentedPredictions {
        SegmentedPredictions::from_outputs(models, &BuildOptions::default()).unwrap()
    }

    fn rows(p: &Predictions, m: usize) -> Vec<Vec<f32>> {
        (0..p.n_samples()).map(|i| p.row(m, i).to_vec()).collect()
    }

    const A: &[(&str, &str, &[f32])] = &[
        ("a1", "a", &[0.6, 0.3, 0.1]),
        ("a2", "a", &[0.2, 0.7, 0.1]),
        ("a3", "a", &[0.5, 0.1, 0.4]),
        ("b1", "b", &[0.1, 0.1, 0.8]),
    ];

    #[test]
    fn pooling_by_mean_max_length_and_majority() {
        let s = build(vec![model("m", A, Some(&[1.0, 2.0, 1.0, 5.0]))]);
        assert_eq!(s.docs(), ["a", "b"]);
        let close = |got: Vec<Vec<f32>>, want: [[f32; 3]; 2]| {
            for (g, w) in got.iter().zip(want) {
                for (x, y) in g.iter().zip(w) {
                    assert!((x - y).abs() < 1e-6, "{got:?} vs {want:?}");
                }
            }
        };
        close(
            rows(&s.pool(Pooling::Mean).unwrap(), 0),
            [[1.3 / 3.0, 1.1 / 3.0, 0.6 / 3.0], [0.1, 0.1, 0.8]],
        );
        close(
            rows(&s.pool(Pooling::Length).unwrap(), 0),
            [[1.5 / 4.0, 1.8 / 4.0, 0.7 / 4.0], [0.1, 0.1, 0.8]],
        );
        close(
            rows(&s.pool(Pooling::Max).unwrap(), 0),
            [[0.6 / 1.7, 0.7 / 1.7, 0.4 / 1.7], [0.1, 0.1, 0.8]],
        );
        // Two segments vote c0 (a1, a3), one c1: the mean of a1 and a3.
        close(
            rows(&s.pool(Pooling::Majority).unwrap(), 0),
            [[0.55, 0.2, 0.25], [0.1, 0.1, 0.8]],
        );
    }

    #[test]
    fn majority_ties_go_to_the_larger_summed_probability_then_the_first_class() {
        let tie: &[(&str, &str, &[f32])] =
            &[("1", "d", &[0.5, 0.4, 0.1]), ("2", "d", &[0.1, 0.8, 0.1])];
        // One vote each for c0 and c1; c1 has more mass (1.2 vs 0.6).
        let s = build(vec![model("m", tie, None)]);
        assert_eq!(
            rows(&s.pool(Pooling::Majority).unwrap(), 0),
            [[0.1, 0.8, 0.1]]
        );
        let even: &[(&str, &str, &[f32])] = &[("1", "d", &[0.6, 0.4]), ("2", "d", &[0.4, 0.6])];
        let s = build(vec![model("m", even, None)]);
        assert_eq!(rows(&s.pool(Pooling::Majority).unwrap(), 0), [[0.6, 0.4]]);
    }

    #[test]
    fn length_pooling_needs_lengths_and_majority_needs_classes() {
        let s = build(vec![model("m", A, None)]);
        let e = s.pool(Pooling::Length).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'm': length pooling needs each segment's length: add a 'length' column"
        );
        assert!(s.pool(Pooling::Learned).is_err());
    }

    #[test]
    fn bad_segments_are_refused_with_the_model_and_id() {
        let e = SegmentedPredictions::from_outputs(
            vec![model("m", A, Some(&[1.0, 0.0, 1.0, 1.0]))],
            &BuildOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'm', id 'a2': expected a positive, finite segment length, found 0"
        );
        let mut dup = model("m", A, None);
        dup.positions = Some(vec![0, 1, 1, 0]);
        let e =
            SegmentedPredictions::from_outputs(vec![dup], &BuildOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'm': two segments of document 'a' are at position 1: 'a2' and 'a3'"
        );
        let other: &[(&str, &str, &[f32])] =
            &[("x", "a", &[0.2, 0.3, 0.5]), ("y", "c", &[0.2, 0.3, 0.5])];
        let e = SegmentedPredictions::from_outputs(
            vec![model("m", A, None), model("n", other, None)],
            &BuildOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'n': expected the same 2 documents as model 'm', found 2; missing 1: 'b'; unexpected 1: 'c'"
        );
    }

    #[test]
    fn models_first_needs_the_same_segments_and_segments_first_does_not() {
        let coarse: &[(&str, &str, &[f32])] =
            &[("a", "a", &[0.3, 0.3, 0.4]), ("b", "b", &[0.2, 0.2, 0.6])];
        let s = build(vec![model("m", A, None), model("n", coarse, None)]);
        let e = s.segment_level().unwrap_err();
        assert!(
            e.to_string()
                .contains("fusing models first needs every model to predict the same segments"),
            "{e}"
        );
        let settings = SegmentSettings {
            pooling: Pooling::Mean,
            order: Order::SegmentsFirst,
        };
        let fitted = FuserSpec::Mean(MeanParams {})
            .fit_segments(&s, None, &FitOptions::default(), settings)
            .unwrap();
        let fused = fitted.predict_segments(&s).unwrap();
        assert_eq!(fused.ids(), ["a", "b"]);
        let want = (1.3 / 3.0 + 0.3) / 2.0;
        assert!((fused.row(0, 0)[0] - want as f32).abs() < 1e-6);
    }

    #[test]
    fn orders_commute_for_means_and_the_saved_fuser_remembers_its_order() {
        let b: &[(&str, &str, &[f32])] = &[
            ("a1", "a", &[0.1, 0.8, 0.1]),
            ("a2", "a", &[0.3, 0.3, 0.4]),
            ("a3", "a", &[0.2, 0.2, 0.6]),
            ("b1", "b", &[0.4, 0.4, 0.2]),
        ];
        let s = build(vec![model("m", A, None), model("n", b, None)]);
        let fit = |order| {
            FuserSpec::Mean(MeanParams {})
                .fit_segments(
                    &s,
                    None,
                    &FitOptions::default(),
                    SegmentSettings {
                        pooling: Pooling::Mean,
                        order,
                    },
                )
                .unwrap()
        };
        let (sf, mf) = (fit(Order::SegmentsFirst), fit(Order::ModelsFirst));
        let (x, y) = (
            sf.predict_segments(&s).unwrap(),
            mf.predict_segments(&s).unwrap(),
        );
        for (p, q) in x.as_slice().iter().zip(y.as_slice()) {
            assert!((p - q).abs() < 1e-6);
        }
        let back = FittedFuser::from_json(&mf.to_json()).unwrap();
        assert_eq!(back, mf);
        assert!(mf.to_json().contains("\"order\": \"models-first\""));
        // A segment fuser does not take one row per sample, nor the reverse.
        let docs = s.pool(Pooling::Mean).unwrap();
        assert!(
            mf.predict(&docs)
                .unwrap_err()
                .to_string()
                .contains("fitted on segments")
        );
        let plain = FuserSpec::Mean(MeanParams {}).fit(&docs, None).unwrap();
        assert!(
            plain
                .predict_segments(&s)
                .unwrap_err()
                .to_string()
                .contains("fitted on one row per sample")
        );
    }

    /// Two informative models whose documents' evidence sits in one of
    /// several segments: learned pooling fits, predicts valid rows, and
    /// survives a round trip, in both orders.
    #[test]
    fn learned_pooling_fits_out_of_fold_in_both_orders() {
        let mut rng = crate::learn::rng::Rng::new(7);
        let mut labels = Vec::new();
        let mut outs: Vec<Vec<(String, String, Vec<f32>)>> = vec![Vec::new(), Vec::new()];
        for d in 0..60 {
            let y = d % 3;
            labels.push((format!("d{d}"), format!("c{y}")));
            let n_seg = 1 + d % 4;
            let key = (d * 7) % n_seg;
            for (m, out) in outs.iter_mut().enumerate() {
                for s in 0..n_seg {
                    let mut p = [0.2f32, 0.2, 0.2];
                    let noise = rng.next_f64() as f32 * 0.3;
                    if s == key {
                        p[y] += 0.5 + noise - 0.1 * m as f32;
                    } else {
                        p[(y + 1 + s % 2) % 3] += 0.3 + noise;
                    }
                    let sum: f32 = p.iter().sum();
                    p.iter_mut().for_each(|x| *x /= sum);
                    out.push((format!("d{d}s{s}"), format!("d{d}"), p.to_vec()));
                }
            }
        }
        let models: Vec<SegmentedOutput> = outs
            .iter()
            .enumerate()
            .map(|(m, rows)| {
                let r: Vec<(&str, &str, &[f32])> = rows
                    .iter()
                    .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_slice()))
                    .collect();
                model(&format!("m{m}"), &r, None)
            })
            .collect();
        let s = build(models);
        for order in [Order::SegmentsFirst, Order::ModelsFirst] {
            let stacking = FuserSpec::Stacking(StackingParams {
                meta: None,
                transform: Some(Transform::Logits),
            });
            for spec in [FuserSpec::Mean(MeanParams {}), stacking] {
                let settings = SegmentSettings {
                    pooling: Pooling::Learned,
                    order,
                };
                let fitted = spec
                    .fit_segments(&s, Some(&labels), &FitOptions::default(), settings)
                    .unwrap();
                let seg = fitted.segments.as_ref().unwrap();
                let want: Vec<&str> = match order {
                    Order::SegmentsFirst => vec!["m0", "m1"],
                    Order::ModelsFirst => vec!["fused"],
                };
                assert_eq!(
                    seg.aggregators
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                    want
                );
                let fused = fitted.predict_segments(&s).unwrap();
                for i in 0..fused.n_samples() {
                    let sum: f32 = fused.row(0, i).iter().sum();
                    assert!((sum - 1.0).abs() < 1e-5);
                }
                let back = FittedFuser::from_json(&fitted.to_json()).unwrap();
                assert_eq!(back.predict_segments(&s).unwrap(), fused);
                // The learned aggregator beats mean pooling on this data,
                // where the mean is dominated by the distracting segments
                // (52 vs 39 of 60 documents in both orders).
                let t = s.doc_targets(&labels).unwrap();
                let acc = |p: &Predictions| {
                    let y = t.classes().unwrap();
                    (0..p.n_samples())
                        .filter(|&i| argmax(p.row(0, i)) == y[i])
                        .count()
                };
                let mean = FuserSpec::Mean(MeanParams {})
                    .fit_segments(&s, None, &FitOptions::default(), SegmentSettings::default())
                    .unwrap()
                    .predict_segments(&s)
                    .unwrap();
                // (A stacker fitted on segments labelled with their
                // document's label learns the distractors too: no claim.)
                assert!(
                    spec != FuserSpec::Mean(MeanParams {}) || acc(&fused) > acc(&mean) + 6,
                    "{order} {}: {} vs {}",
                    spec.method(),
                    acc(&fused),
                    acc(&mean)
                );
            }
        }
        let e = FuserSpec::Mean(MeanParams {})
            .fit_segments(
                &s,
                None,
                &FitOptions::default(),
                SegmentSettings {
                    pooling: Pooling::Learned,
                    order: Order::SegmentsFirst,
                },
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "learned pooling learns from labels; pass the documents' labels"
        );
    }
}
