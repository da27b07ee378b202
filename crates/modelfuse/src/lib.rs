//! Fuse the predictions of several models into one better predictor.
//!
//! `modelfuse` takes the outputs of several fine-tuned models on the same
//! samples (class probabilities, hard labels, or regression values), aligns
//! them by model name, sample id and class name, and combines them: averages,
//! votes, weighted and rank-based schemes. It scores models and fusions with
//! the usual metrics (computed exactly as scikit-learn does) and measures how
//! diverse the models are. It does no I/O: the `modelfuse-io` crate reads and
//! writes files, and the `modelfuse` binary drives both.
//!
//! # Overview
//!
//! * [`Predictions`]: the validated `models × samples × outputs` block, built
//!   once by [`Predictions::from_outputs`]; [`Targets`] holds the truth.
//! * [`Weights`]: per-model weights that always lie on the simplex.
//! * [`Fuser`] / [`Fitted`]: settings that learn, and a fuser ready to
//!   predict.
//! * [`FuserSpec`]: the one serialisable enum naming every method;
//!   [`FittedFuser`] is the versioned, saved form of a fitted fuser.
//! * [`metrics`] and [`diversity`]: how good each model and the fusion are,
//!   and how differently the models err.
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`fusers`] | one file per method: its parameters ([`MethodParams`]) and its fuser |
//! | [`fit`] | the fit pipeline: [`FitOptions`], pruning ([`prune`]), out-of-fold predictions ([`cv`]) |
//! | [`calibrate`] | temperature scaling of models and of the fused output |
//! | [`format`](mod@format) | the versioned JSON envelope of saved files ([`FittedFuser`], [`cascade::FittedCascade`]) |
//! | [`metrics`] | the [`metrics::Metric`] enum and metrics equal to scikit-learn's |
//! | [`diversity`] | pairwise and ensemble-level diversity |
//! | [`verdict`] | bootstrap intervals and paired comparisons: does fusion really help? |
//! | [`auto`] | the nested-CV search over candidate fusers and its honest recommendation |
//! | [`cascade`] | cost-aware cascades: run cheap models first, stop when confident |
//! | [`segments`] | serial fusion of documents cut into segments |
//! | [`learn`] | the solvers learned fusers use (L-BFGS, logistic, ridge, NNLS, simplex), seeded folds and RNG |
//!
//! # Example
//!
//! ```
//! use modelfuse::{BuildOptions, Content, Fitted, FuserSpec, ModelOutput, Predictions};
//!
//! let model = |name: &str, p: [f32; 4]| ModelOutput {
//!     name: name.into(),
//!     ids: vec!["a", "b"].into(),
//!     content: Content::Scores {
//!         columns: vec!["neg".into(), "pos".into()],
//!         values: p.to_vec(),
//!     },
//! };
//! let preds = Predictions::from_outputs(
//!     vec![model("bert", [0.9, 0.1, 0.4, 0.6]), model("roberta", [0.7, 0.3, 0.2, 0.8])],
//!     &BuildOptions::default(),
//! )?;
//! let fitted = FuserSpec::Mean(Default::default()).fit(&preds, None)?;
//! let fused = fitted.predict(&preds)?;
//! assert_eq!(fused.row(0, 0), [0.8, 0.2]);
//! assert_eq!(fused.row(0, 1), [0.3, 0.7]);
//! # Ok::<(), modelfuse::Error>(())
//! ```
#![deny(missing_docs)]

pub mod auto;
pub mod calibrate;
pub mod cascade;
pub mod diversity;
mod error;
pub mod fit;
mod fitted;
pub mod format;
mod fuser;
pub mod fusers;
pub mod learn;
pub mod metrics;
mod predictions;
pub mod segments;
mod spec;
pub mod stream;
pub mod verdict;
mod weights;

pub use error::{Error, ErrorKind, Location, Result};
pub use fit::{Calibrate, FitOptions, cv, prune};
pub use fitted::{Calibration, Dropped, FORMAT_VERSION, FittedFuser};
pub use fuser::{Fitted, Fuser, RowShape, RowSum};
pub use fusers::FittedState;
pub use fusers::method::{MethodParams, NamedWeights, SpecOptions};
pub use predictions::{
    BuildOptions, Content, Ids, IdsBuilder, ModelOutput, Predictions, SUM_TOLERANCE, Targets, Task,
    TaskHint, argmax, canonical_class, id_order,
};
pub use spec::{FuserSpec, Method};
pub use weights::Weights;
