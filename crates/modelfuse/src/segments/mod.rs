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

mod fit;
mod pool;
mod settings;
#[cfg(test)]
mod tests;

/// The saved form of a fit on segments (it lives with [`crate::FittedFuser`]).
pub use crate::fitted::FittedSegments;
pub use pool::{SegmentedOutput, SegmentedPredictions};
pub use settings::{Order, Pooling, SegmentSettings};
