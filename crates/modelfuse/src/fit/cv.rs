//! Cross-validation: scoring a fuser on rows whose labels it never saw.
//!
//! A fuser that learns (weights, a meta-model, a selection) looks better on
//! the rows it was fitted on than it will on new data. Here it is fitted
//! `k` times, each time on all folds but one, and predicts the fold it left
//! out; the out-of-fold predictions together cover every row exactly once
//! and can be scored honestly, compared with single models, and
//! bootstrapped.
//!
//! A leaf: it knows folds, not fusers. What is fitted on each training part
//! is the caller's closure ([`crate::fit::out_of_fold`] fits a spec).

use crate::error::{Error, Result};
use crate::learn::folds;
use crate::predictions::{Predictions, Targets};

/// The test rows of each of `k` folds: stratified by class for single-label
/// targets, plain shuffled folds otherwise. Deterministic for a seed.
///
/// # Errors
///
/// `k < 2` or more folds than samples.
pub fn folds_for(
    targets: &Targets,
    n_classes: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<Vec<usize>>> {
    match targets {
        Targets::Classes(y) => folds::stratified_k_fold(y, n_classes, k, seed),
        other => folds::k_fold(other.len(), k, seed),
    }
}

/// Out-of-fold predictions: for each fold, `fit_predict(train, train
/// targets, test)` fits on the other folds and predicts this one. Returns one
/// fused model whose every row was predicted by a fuser that did not see its
/// label.
///
/// # Errors
///
/// Folds that do not partition the rows, or any error of `fit_predict` on a
/// fold (the message names the fold).
pub fn cross_val_predict(
    preds: &Predictions,
    targets: &Targets,
    folds: &[Vec<usize>],
    fit_predict: impl Fn(&Predictions, &Targets, &Predictions) -> Result<Predictions>,
) -> Result<Predictions> {
    let n = preds.n_samples();
    let k = preds.n_outputs();
    let mut seen = vec![false; n];
    for fold in folds {
        for &i in fold {
            if i >= n || std::mem::replace(&mut seen[i], true) {
                return Err(Error::param(
                    "expected folds that cover every row exactly once",
                ));
            }
        }
    }
    if seen.iter().any(|s| !s) {
        return Err(Error::param(
            "expected folds that cover every row exactly once",
        ));
    }
    let mut out = vec![0f32; n * k];
    for (f, test) in folds.iter().enumerate() {
        let train = folds::complement(n, test);
        let fused = fit_predict(
            &preds.select_rows(&train),
            &targets.select(&train),
            &preds.select_rows(test),
        )
        .map_err(|e| {
            Error::new(
                e.kind(),
                format!("fold {} of {}: {}", f + 1, folds.len(), e.message()),
            )
        })?;
        for (j, &i) in test.iter().enumerate() {
            out[i * k..(i + 1) * k].copy_from_slice(fused.row(0, j));
        }
    }
    Ok(Predictions::fused(preds, crate::fusers::FUSED, out))
}
