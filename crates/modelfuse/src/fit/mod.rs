//! The fit pipeline: what happens around a method's own fit.
//!
//! [`FuserSpec::fit_with`] runs, in order: pruning ([`prune`], models that do
//! not help, judged out of fold) → per-model temperatures ([`crate::calibrate`])
//! → the method's own fit ([`crate::fusers::MethodParams::fit`]) → the output
//! temperature, fitted on out-of-fold fused predictions ([`cv`]). The result
//! is a [`FittedFuser`], the saved form (see [`crate::FittedFuser`]).
//!
//! [`FitOptions`] holds the one seed and the one folds count every step
//! uses: the folds of pruning and calibration, and the random choices of
//! methods whose own seed is unset (blending's split, selection's bags).
//! [`cv`] is a leaf (folds and a fit-and-predict closure); [`prune`] takes
//! its out-of-fold predictions from the caller, so neither depends on the
//! pipeline that uses them.

pub mod cv;
pub mod prune;
mod prune_mean;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::calibrate;
use crate::error::{Error, Result};
use crate::fitted::{Calibration, FittedFuser};
use crate::fuser::Fitted;
use crate::fusers::FitContext;
use crate::predictions::{Predictions, Targets};
use crate::spec::FuserSpec;
use prune::PruneOptions;

/// Which temperatures to fit (see [`crate::calibrate`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Calibrate {
    /// No calibration.
    #[default]
    None,
    /// One temperature per model, applied before fusing.
    Models,
    /// One temperature for the fused output, fitted on out-of-fold fused
    /// predictions.
    Output,
    /// Both.
    Both,
}

impl Calibrate {
    fn models(self) -> bool {
        matches!(self, Calibrate::Models | Calibrate::Both)
    }

    fn output(self) -> bool {
        matches!(self, Calibrate::Output | Calibrate::Both)
    }
}

impl FromStr for Calibrate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Calibrate> {
        Ok(match s {
            "none" => Calibrate::None,
            "models" => Calibrate::Models,
            "output" => Calibrate::Output,
            "both" => Calibrate::Both,
            _ => {
                return Err(Error::param(format!(
                    "expected a calibration among [none, models, output, both], found '{s}'"
                )));
            }
        })
    }
}

impl fmt::Display for Calibrate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Calibrate::None => "none",
            Calibrate::Models => "models",
            Calibrate::Output => "output",
            Calibrate::Both => "both",
        })
    }
}

/// What surrounds a method's own fit: pruning, calibration, and the folds
/// and seed every step that needs them uses.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// Temperatures to fit.
    pub calibrate: Calibrate,
    /// Drop models that do not help before fitting.
    pub prune: Option<PruneOptions>,
    /// Folds for out-of-fold predictions (pruning, output calibration).
    pub folds: usize,
    /// Seed of the folds, and of the method's random choices when its own
    /// seed is unset.
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            calibrate: Calibrate::None,
            prune: None,
            folds: 5,
            seed: 0,
        }
    }
}

impl FitOptions {
    /// What learns from labels in fitting `spec` with these options, if
    /// anything: the method (by name), else `pruning`, else `calibration`.
    /// Front ends ask before reading the data, to say which flag is missing.
    pub fn needs_labels(&self, spec: &FuserSpec) -> Option<&'static str> {
        if spec.needs_targets() {
            Some(spec.method().name())
        } else if self.prune.is_some() {
            Some("pruning")
        } else if self.calibrate != Calibrate::None {
            Some("calibration")
        } else {
            None
        }
    }

    /// The folds of these options over `targets` (at most one per sample).
    fn folds_over(&self, targets: &Targets, n_classes: usize) -> Result<Vec<Vec<usize>>> {
        cv::folds_for(targets, n_classes, self.folds.min(targets.len()), self.seed)
    }
}

impl FuserSpec {
    /// Fits the fuser on `preds` and, for methods that learn, `targets`.
    ///
    /// # Errors
    ///
    /// Labels missing for a method that learns from them; weights naming
    /// models that are not there (or leaving some out); a method that does
    /// not apply to the task; or any error of the method's own fit.
    pub fn fit(&self, preds: &Predictions, targets: Option<&Targets>) -> Result<FittedFuser> {
        self.fit_with(preds, targets, &FitOptions::default())
    }

    /// Fits with pruning and calibration around the method (see
    /// [`FitOptions`]).
    ///
    /// # Errors
    ///
    /// As [`FuserSpec::fit`]; pruning and calibration need labels.
    pub fn fit_with(
        &self,
        preds: &Predictions,
        targets: Option<&Targets>,
        options: &FitOptions,
    ) -> Result<FittedFuser> {
        self.check()?;
        if let (None, Some(what)) = (targets, options.needs_labels(self)) {
            return Err(Error::param(format!(
                "{what} learns from labels; pass the validation labels"
            )));
        }
        // Seeds are resolved first, so pruning's and calibration's inner fits
        // make the same random choices as the final one.
        let spec = self.with_seed(options.seed);
        // Pruning: the method is then fitted on the kept models only.
        let (preds, dropped) = match (&options.prune, targets) {
            (Some(p), Some(t)) => {
                let pruning = spec.prune(preds, t, p, options)?;
                (
                    Cow::Owned(preds.subset_models(&pruning.kept)?),
                    pruning.dropped,
                )
            }
            _ => (Cow::Borrowed(preds), Vec::new()),
        };
        let (calibrated, model_temps) = match (options.calibrate.models(), targets) {
            (true, Some(t)) => {
                let (p, temps) = calibrate::calibrate_models(&preds, t)?;
                (Cow::Owned(p), Some(temps))
            }
            _ => (Cow::Borrowed(preds.as_ref()), None),
        };
        let state = spec.fit_state(&FitContext {
            preds: &calibrated,
            targets,
            seed: options.seed,
        })?;
        let mut calibration =
            (model_temps.is_some() || options.calibrate.output()).then_some(Calibration {
                models: model_temps,
                output: None,
            });
        if let (true, Some(t), Some(c)) = (options.calibrate.output(), targets, &mut calibration) {
            // Fit the output temperature on out-of-fold fused predictions:
            // in-sample ones are over-confident for methods that learn.
            let inner = FitOptions {
                calibrate: if options.calibrate.models() {
                    Calibrate::Models
                } else {
                    Calibrate::None
                },
                prune: None,
                ..options.clone()
            };
            let folds = options.folds_over(t, preds.n_outputs())?;
            let oof = out_of_fold(&spec, &inner, &preds, t, &folds)?;
            c.output = Some(calibrate::fit_temperature(
                oof.model(0),
                oof.n_outputs(),
                oof.task(),
                t,
            )?);
        }
        let fitted = FittedFuser::new(spec, &preds, state, calibration, dropped)?;
        // Fail at fit time, not at predict time, when the method does not apply.
        fitted.predict(&preds)?;
        Ok(fitted)
    }

    /// Pruning for this spec: refused for weights fixed by name (they would
    /// no longer name every model); otherwise each subset is judged by its
    /// out-of-fold fusion, on the folds of `options`.
    fn prune(
        &self,
        preds: &Predictions,
        targets: &Targets,
        opts: &PruneOptions,
        options: &FitOptions,
    ) -> Result<prune::Pruning> {
        if self.named_weights().is_some() {
            return Err(Error::param(format!(
                "pruning needs a method without fixed per-model weights; {} names its weights",
                self.method()
            )));
        }
        if let FuserSpec::Mean(_) | FuserSpec::SoftVote(_) = self {
            // The unweighted mean learns nothing: its out-of-fold fusion is
            // the mean itself, scored from running sums (the same scores).
            return prune::prune_by(
                preds,
                targets,
                opts,
                &prune_mean::MeanSums { preds, targets },
            );
        }
        let folds = options.folds_over(targets, preds.n_outputs())?;
        prune::prune(preds, targets, opts, |subset| {
            out_of_fold(self, &FitOptions::default(), subset, targets, &folds)
        })
    }
}

/// Out-of-fold predictions of `spec` fitted with `options` (see
/// [`cv::cross_val_predict`]): every row predicted by a fuser that did not see
/// its label.
///
/// # Errors
///
/// As [`cv::cross_val_predict`] and [`FuserSpec::fit_with`].
pub fn out_of_fold(
    spec: &FuserSpec,
    options: &FitOptions,
    preds: &Predictions,
    targets: &Targets,
    folds: &[Vec<usize>],
) -> Result<Predictions> {
    out_of_fold_checked(spec, options, preds, targets, folds, |_| Ok(()))
}

/// [`out_of_fold`], calling `before_fold(f)` before fold `f` (from 0, in
/// order) is fitted; an error from it ends the run with that error (`auto`
/// stops a candidate there when its time budget is spent).
///
/// # Errors
///
/// As [`out_of_fold`], and any error of `before_fold`.
pub fn out_of_fold_checked(
    spec: &FuserSpec,
    options: &FitOptions,
    preds: &Predictions,
    targets: &Targets,
    folds: &[Vec<usize>],
    before_fold: impl Fn(usize) -> Result<()>,
) -> Result<Predictions> {
    let next = std::cell::Cell::new(0);
    cv::cross_val_predict(preds, targets, folds, |train, train_targets, test| {
        before_fold(next.get())?;
        next.set(next.get() + 1);
        spec.fit_with(train, Some(train_targets), options)?
            .predict(test)
    })
}
