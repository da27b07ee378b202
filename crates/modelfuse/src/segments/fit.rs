//! Fitting a fuser on segments and predicting with it, in either order;
//! learned pooling's aggregator.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::fit::{self, FitOptions, cv};
use crate::fitted::FittedFuser;
use crate::fusers::{FUSED, OptimizedParams};
use crate::predictions::{Predictions, Targets, Task};
use crate::spec::FuserSpec;

use super::pool::{SegmentedPredictions, stack_models};
use super::settings::{Order, Pooling, SegmentSettings};
use crate::fitted::FittedSegments;

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
