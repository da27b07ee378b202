//! Diversity between models: how differently they err.
//!
//! Fusing models pays off only when they make *different* mistakes: averaging
//! two models that are wrong on the same samples fixes nothing. This module
//! measures that, following Kuncheva & Whitaker (2003), "Measures of
//! diversity in classifier ensembles" (Machine Learning 51, 181–207).
//!
//! [`diversity`] is the one call most code needs: it takes aligned
//! [`Predictions`] and [`Targets`] and returns a [`DiversityReport`] with one
//! [`PairDiversity`] per pair of models and a [`DiversitySummary`] over the
//! whole ensemble. The building blocks are public too, as pure functions on
//! slices ([`disagreement`], [`double_fault`], [`q_statistic`],
//! [`error_correlation`], [`cohen_kappa`], [`pearson_correlation`]) and as
//! two small types: [`OracleTable`] (the 2×2 table of one pair) and
//! [`Correctness`] (the models × decisions matrix of right/wrong).
//!
//! # Measures
//!
//! A model's *oracle output* on a decision is 1 when it is right and 0 when
//! it is wrong. For two models a and b, N11 counts the decisions both get
//! right, N10 those only a gets right, N01 those only b gets right and N00
//! those both get wrong; N is their sum.
//!
//! | measure | definition | range |
//! |---|---|---|
//! | disagreement | (N01 + N10) / N | [0, 1], higher is more diverse |
//! | double fault | N00 / N | [0, 1], lower is better |
//! | Yule's Q | (N11 N00 − N01 N10) / (N11 N00 + N01 N10) | [−1, 1], lower is more diverse |
//! | error correlation ρ | (N11 N00 − N01 N10) / √((N11+N10)(N01+N00)(N11+N01)(N10+N00)) | [−1, 1], lower is more diverse |
//! | Cohen's κ | of the two models' *predicted labels* (not their correctness), as scikit-learn's `cohen_kappa_score(pred_a, pred_b)` | [−1, 1], lower is more diverse |
//!
//! Over the ensemble of L models, with l(j) the number of models right on
//! decision j of N:
//!
//! | measure | definition |
//! |---|---|
//! | Kohavi–Wolpert variance | Σⱼ l(j) (L − l(j)) / (N L²) |
//! | entropy E | Σⱼ min(l(j), L − l(j)) / (N (L − ⌈L/2⌉)) |
//! | interrater agreement κ | 1 − (Σⱼ l(j) (L − l(j)) / L) / (N (L − 1) p̄ (1 − p̄)), p̄ the mean accuracy |
//! | oracle accuracy | fraction of decisions at least one model gets right |
//!
//! # Undefined values
//!
//! A measure whose denominator is zero is *not defined*, and is reported as
//! [`f64::NAN`] rather than as a made-up number: a Q of 0 would claim
//! "independent errors" for a model that never errs, which is false. NaN is
//! never equal to itself, so compare with [`f64::is_nan`]; `serde_json`
//! writes it as `null`. The cases:
//!
//! * every measure, when there are no decisions (N = 0);
//! * Q, when N11 N00 = N01 N10 = 0 (for example, a model that is always
//!   right or always wrong);
//! * ρ, when either model is always right or always wrong (a zero margin);
//! * Cohen's κ, when both models predict one and the same label everywhere
//!   (chance agreement is 1; scikit-learn also gives NaN here);
//! * entropy E and interrater κ, when there is only one model; interrater κ
//!   also when p̄ is 0 or 1. The Kohavi–Wolpert variance of one model is 0,
//!   as its formula gives.
//!
//! The means in [`DiversitySummary`] skip undefined pairs and say how many
//! they skipped ([`PairMean::undefined`]).
//!
//! # Tasks
//!
//! * **Binary and multiclass**: one decision per sample; a model's label is
//!   [`Predictions::predicted_classes`] (the argmax, ties to the lowest
//!   class index), and it is right when that equals the target.
//! * **Multilabel**: every (sample, label) cell is a separate yes/no
//!   decision, "yes" when the probability is at least 0.5; so N is
//!   samples × labels, and Cohen's κ is computed over the cells' 0/1 labels.
//! * **Regression**: there is no "right" or "wrong", so the oracle measures
//!   do not apply. `error_correlation` becomes the Pearson correlation of the
//!   two models' residuals y − ŷ; disagreement, double fault, Q and κ are NaN
//!   for every pair, and so are the ensemble-level measures built on
//!   correctness. Instead, [`DiversitySummary::ambiguity`] gives the
//!   Krogh–Vedelsby ambiguity, the spread of the models around their mean.
//!
//! # Complexity
//!
//! For M models and N decisions, the pairwise part takes O(M² · N) time
//! (each pair scans every decision once; Cohen's κ adds O(K) per pair for K
//! classes), and the ensemble-level part O(M · N). Memory is O(M · N).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::predictions::{Predictions, Targets};

/// The diversity of one pair of models (`a` before `b` in model order).
///
/// Which fields are defined depends on the task; see the [module
/// docs](self#tasks). Undefined values are NaN.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairDiversity {
    /// The first model's name.
    pub a: String,
    /// The second model's name.
    pub b: String,
    /// Fraction of decisions where exactly one of the two is right.
    pub disagreement: f64,
    /// Fraction of decisions where both are wrong.
    pub double_fault: f64,
    /// Yule's Q of the two models' correctness.
    pub q_statistic: f64,
    /// Correlation of the two models' correctness (classification), or of
    /// their residuals (regression).
    pub error_correlation: f64,
    /// Cohen's κ between the two models' predicted labels.
    pub kappa: f64,
}

/// The mean of one pairwise measure over all pairs, skipping pairs where it
/// is not defined.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PairMean {
    /// The mean over the pairs where the measure is defined; NaN when it is
    /// defined for none (or there are no pairs).
    pub mean: f64,
    /// How many pairs were skipped because the measure is not defined there.
    pub undefined: usize,
}

impl PairMean {
    /// The mean of the defined (non-NaN) values, and how many were NaN.
    pub fn of(values: impl IntoIterator<Item = f64>) -> PairMean {
        let (mut sum, mut defined, mut undefined) = (0.0, 0usize, 0usize);
        for v in values {
            if v.is_nan() {
                undefined += 1;
            } else {
                sum += v;
                defined += 1;
            }
        }
        let mean = if defined == 0 {
            f64::NAN
        } else {
            sum / defined as f64
        };
        PairMean { mean, undefined }
    }
}

/// The diversity of the whole ensemble: the mean of each pairwise measure,
/// and the measures defined over all models at once.
///
/// See the [module docs](self) for the definitions and undefined cases.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiversitySummary {
    /// Mean of [`PairDiversity::disagreement`].
    pub disagreement: PairMean,
    /// Mean of [`PairDiversity::double_fault`].
    pub double_fault: PairMean,
    /// Mean of [`PairDiversity::q_statistic`].
    pub q_statistic: PairMean,
    /// Mean of [`PairDiversity::error_correlation`].
    pub error_correlation: PairMean,
    /// Mean of [`PairDiversity::kappa`].
    pub kappa: PairMean,
    /// Kohavi–Wolpert variance of the models' correctness, in [0, 1/4];
    /// higher is more diverse. NaN for regression.
    pub kohavi_wolpert_variance: f64,
    /// Kuncheva's entropy measure E, in [0, 1]; higher is more diverse. NaN
    /// for regression and for a single model.
    pub entropy: f64,
    /// Kuncheva's interrater agreement κ (Fleiss-style, over correctness);
    /// lower is more diverse. NaN for regression, for a single model, and
    /// when every model is always right (or always wrong).
    pub interrater_agreement: f64,
    /// Fraction of decisions at least one model gets right: the accuracy of
    /// a perfect selector, an upper bound for any fusion that picks one
    /// model's answer. NaN for regression.
    pub oracle_accuracy: f64,
    /// Regression only: the Krogh–Vedelsby ambiguity, the mean over samples
    /// and models of (ŷ − mean of ŷ over models)². The ensemble mean's
    /// squared error equals the models' mean squared error minus this. NaN
    /// for classification.
    pub ambiguity: f64,
}

/// The diversity of every pair of models and of the ensemble as a whole.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiversityReport {
    /// The model names, in [`Predictions::models`] order.
    pub models: Vec<String>,
    /// One entry per pair (i, j) with i < j, in model order: (0, 1), (0, 2),
    /// …, (1, 2), …; empty for a single model.
    pub pairs: Vec<PairDiversity>,
    /// Means over pairs and ensemble-level measures.
    pub summary: DiversitySummary,
}

/// Measures how diverse the models in `preds` are, given the true `targets`.
///
/// See the [module docs](self) for the measures, how each task is handled,
/// and which values are NaN (not defined). Takes O(M² · N) time for M
/// models and N decisions.
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the targets are not of the kind the task needs
/// (class indices, a label matrix, or real values) or do not have one entry
/// per sample (and label); [`ErrorKind::UnknownLabel`](crate::ErrorKind::UnknownLabel) for a class index
/// outside the classes; [`ErrorKind::InvalidValue`](crate::ErrorKind::InvalidValue) for a regression target
/// that is not finite.
///
/// # Example
///
/// ```
/// use modelfuse::{BuildOptions, Content, ModelOutput, Predictions, Targets};
/// use modelfuse::diversity::diversity;
///
/// let model = |name: &str, labels: [&str; 4]| ModelOutput {
///     name: name.into(),
///     ids: vec!["1", "2", "3", "4"].into(),
///     content: Content::Labels(labels.iter().map(|s| s.to_string()).collect()),
/// };
/// let preds = Predictions::from_outputs(
///     vec![model("a", ["x", "x", "y", "y"]), model("b", ["x", "y", "y", "x"])],
///     &BuildOptions::default(),
/// )?;
/// let truth: Vec<(String, String)> = [("1", "x"), ("2", "x"), ("3", "y"), ("4", "x")]
///     .iter()
///     .map(|(i, l)| (i.to_string(), l.to_string()))
///     .collect();
/// let report = diversity(&preds, &Targets::align(&preds, &truth)?)?;
/// let pair = &report.pairs[0];
/// assert_eq!((pair.a.as_str(), pair.b.as_str()), ("a", "b"));
/// assert_eq!(pair.disagreement, 0.5); // samples 2 and 4
/// assert_eq!(pair.double_fault, 0.0);
/// assert_eq!(pair.q_statistic, -1.0); // they never fail together
/// assert_eq!(report.summary.oracle_accuracy, 1.0);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn diversity(preds: &Predictions, targets: &Targets) -> Result<DiversityReport> {
    targets.check_for(preds)?;
    let (pairs, summary) = match targets {
        Targets::Values(y) => regression_diversity(preds, y),
        _ => classification_diversity(preds, &Decisions::new(preds, targets)?),
    };
    Ok(DiversityReport {
        models: preds.models().to_vec(),
        pairs,
        summary,
    })
}

/// The 2×2 table of two models' oracle outputs: how many decisions both get
/// right (`n11`), only the first (`n10`), only the second (`n01`), neither
/// (`n00`). Every oracle-output pairwise measure is a function of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct OracleTable {
    /// Both right.
    pub n11: u64,
    /// Only the first right.
    pub n10: u64,
    /// Only the second right.
    pub n01: u64,
    /// Both wrong.
    pub n00: u64,
}

impl OracleTable {
    /// Counts the table from two models' correctness on the same decisions.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the slices differ in length.
    pub fn from_correct(a_correct: &[bool], b_correct: &[bool]) -> Result<OracleTable> {
        same_len("correctness indicators", a_correct.len(), b_correct.len())?;
        Ok(OracleTable::count(a_correct, b_correct))
    }

    /// The counting loop, for callers that already know the lengths agree.
    fn count(a: &[bool], b: &[bool]) -> OracleTable {
        // Three branch-free counts, which the compiler vectorises; the other
        // cells follow from them.
        let right = |x: &[bool]| x.iter().filter(|&&r| r).count() as u64;
        let n11 = a.iter().zip(b).filter(|&(&x, &y)| x & y).count() as u64;
        let (a_right, b_right) = (right(a), right(b));
        OracleTable {
            n11,
            n10: a_right - n11,
            n01: b_right - n11,
            n00: a.len() as u64 + n11 - a_right - b_right,
        }
    }

    /// The number of decisions N.
    pub fn n(&self) -> u64 {
        self.n11 + self.n10 + self.n01 + self.n00
    }

    /// (N01 + N10) / N; NaN when N = 0.
    pub fn disagreement(&self) -> f64 {
        ratio(self.n01 + self.n10, self.n())
    }

    /// N00 / N; NaN when N = 0.
    pub fn double_fault(&self) -> f64 {
        ratio(self.n00, self.n())
    }

    /// Yule's Q, (N11 N00 − N01 N10) / (N11 N00 + N01 N10); NaN when both
    /// products are zero.
    pub fn q_statistic(&self) -> f64 {
        // Products of counts in 128 bits stay exact for any realistic N, so
        // the only rounding is the final division.
        let same = self.n11 as u128 * self.n00 as u128;
        let crossed = self.n01 as u128 * self.n10 as u128;
        if same + crossed == 0 {
            return f64::NAN;
        }
        (same as i128 - crossed as i128) as f64 / (same + crossed) as f64
    }

    /// The correlation ρ of the two correctness indicators; NaN when either
    /// model is always right or always wrong (a margin of zero).
    pub fn correlation(&self) -> f64 {
        let num = (self.n11 as u128 * self.n00 as u128) as i128
            - (self.n01 as u128 * self.n10 as u128) as i128;
        let a = (self.n11 + self.n10) as u128 * (self.n01 + self.n00) as u128;
        let b = (self.n11 + self.n01) as u128 * (self.n10 + self.n00) as u128;
        if a == 0 || b == 0 {
            return f64::NAN;
        }
        // The four-margin product can exceed u128 for N beyond ~4e9; each
        // half cannot, so the product is taken in f64.
        let rho = num as f64 / (a as f64 * b as f64).sqrt();
        // Rounding may push |ρ| a hair past 1 when the models are identical.
        rho.clamp(-1.0, 1.0)
    }
}

/// Disagreement of two models: the fraction of decisions where exactly one
/// is right. NaN for empty slices.
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the slices differ in length.
pub fn disagreement(a_correct: &[bool], b_correct: &[bool]) -> Result<f64> {
    Ok(OracleTable::from_correct(a_correct, b_correct)?.disagreement())
}

/// Double fault of two models: the fraction of decisions both get wrong.
/// NaN for empty slices.
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the slices differ in length.
pub fn double_fault(a_correct: &[bool], b_correct: &[bool]) -> Result<f64> {
    Ok(OracleTable::from_correct(a_correct, b_correct)?.double_fault())
}

/// Yule's Q of two models' correctness; see [`OracleTable::q_statistic`]
/// for when it is NaN.
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the slices differ in length.
pub fn q_statistic(a_correct: &[bool], b_correct: &[bool]) -> Result<f64> {
    Ok(OracleTable::from_correct(a_correct, b_correct)?.q_statistic())
}

/// Correlation ρ of two models' correctness indicators (equal to that of
/// their error indicators); see [`OracleTable::correlation`] for when it is
/// NaN.
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the slices differ in length.
pub fn error_correlation(a_correct: &[bool], b_correct: &[bool]) -> Result<f64> {
    Ok(OracleTable::from_correct(a_correct, b_correct)?.correlation())
}

/// Cohen's κ between two label sequences, (p_o − p_e) / (1 − p_e), exactly
/// as scikit-learn's `cohen_kappa_score(a_labels, b_labels)`.
///
/// Labels are any class indices; only equality matters. NaN when chance
/// agreement p_e is 1, which happens only when both sequences are one and the
/// same label throughout (or empty).
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the slices differ in length.
///
/// # Example
///
/// ```
/// use modelfuse::diversity::cohen_kappa;
///
/// assert_eq!(cohen_kappa(&[0, 1, 2], &[0, 1, 2])?, 1.0);
/// assert_eq!(cohen_kappa(&[0, 1, 0, 1], &[1, 0, 1, 0])?, -1.0);
/// assert!(cohen_kappa(&[3, 3], &[3, 3])?.is_nan());
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn cohen_kappa(a_labels: &[usize], b_labels: &[usize]) -> Result<f64> {
    same_len("label sequences", a_labels.len(), b_labels.len())?;
    // A map, not a dense histogram: the labels may be arbitrary integers.
    let mut counts: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    let mut agree = 0u64;
    for (&x, &y) in a_labels.iter().zip(b_labels) {
        agree += u64::from(x == y);
        counts.entry(x).or_default().0 += 1;
        counts.entry(y).or_default().1 += 1;
    }
    let chance = counts
        .values()
        .map(|&(ca, cb)| ca as u128 * cb as u128)
        .sum();
    Ok(kappa_from_counts(a_labels.len() as u64, agree, chance))
}

/// Cohen's κ from N, the number of agreements, and Σₖ count_a(k) count_b(k).
///
/// With p_o = agree / N and p_e = chance / N², κ = 1 − N (N − agree) /
/// (N² − chance): integer numerator and denominator, so the only rounding is
/// the final division, and the zero denominator is detected exactly.
fn kappa_from_counts(n: u64, agree: u64, chance: u128) -> f64 {
    let n2 = n as u128 * n as u128;
    if n2 == chance {
        return f64::NAN;
    }
    1.0 - (n as u128 * (n - agree) as u128) as f64 / (n2 - chance) as f64
}

/// The Pearson correlation of `x` and `y`, clamped to [−1, 1] against
/// rounding. NaN when either has zero variance (including fewer than two
/// values) or holds a non-finite value.
///
/// For regression, [`diversity`] reports this of two models' residuals as
/// their `error_correlation`.
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the slices differ in length.
pub fn pearson_correlation(x: &[f64], y: &[f64]) -> Result<f64> {
    same_len("value sequences", x.len(), y.len())?;
    Ok(pearson(x, y))
}

/// [`pearson_correlation`] for slices already known to be of equal length.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    // Two passes (mean, then centred sums) rather than the one-pass formula,
    // which cancels catastrophically when the mean is large next to the
    // spread, as residuals of good models on large targets are.
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
}

/// Which models got which decisions right: an M × N matrix of oracle
/// outputs, the input of every correctness-based measure.
///
/// A decision is a sample for binary and multiclass tasks and a (sample,
/// label) cell, sample-major, for multilabel tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correctness {
    n_models: usize,
    n_decisions: usize,
    /// Model-major: model m's decisions are `cells[m * n_decisions..]`.
    cells: Vec<bool>,
}

impl Correctness {
    /// Builds the matrix from one correctness vector per model.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when there are no models or the vectors differ
    /// in length.
    pub fn new(models: Vec<Vec<bool>>) -> Result<Correctness> {
        let Some(first) = models.first() else {
            return Err(Error::shape("expected at least one model, found none"));
        };
        let n_decisions = first.len();
        if let Some((m, v)) = models
            .iter()
            .enumerate()
            .find(|(_, v)| v.len() != n_decisions)
        {
            return Err(Error::shape(format!(
                "expected {n_decisions} decisions for every model (as for model 0), found {} for model {m}",
                v.len()
            )));
        }
        Ok(Correctness {
            n_models: models.len(),
            n_decisions,
            cells: models.concat(),
        })
    }

    /// Which models in `preds` are right on which decisions, given the
    /// targets (see the [module docs](self#tasks) for what a decision is).
    ///
    /// # Errors
    ///
    /// As [`diversity`], plus [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) for a regression
    /// task, where nothing is simply right or wrong.
    pub fn from_predictions(preds: &Predictions, targets: &Targets) -> Result<Correctness> {
        targets.check_for(preds)?;
        Ok(Decisions::new(preds, targets)?.correctness())
    }

    /// Number of models M.
    pub fn n_models(&self) -> usize {
        self.n_models
    }

    /// Number of decisions N.
    pub fn n_decisions(&self) -> usize {
        self.n_decisions
    }

    /// Model `m`'s correctness on every decision.
    ///
    /// # Panics
    ///
    /// When `m` is not below [`Correctness::n_models`].
    pub fn model(&self, m: usize) -> &[bool] {
        assert!(m < self.n_models, "model {m} of {}", self.n_models);
        &self.cells[m * self.n_decisions..(m + 1) * self.n_decisions]
    }

    /// The 2×2 table of models `a` and `b`.
    ///
    /// # Panics
    ///
    /// When `a` or `b` is not below [`Correctness::n_models`].
    pub fn pair(&self, a: usize, b: usize) -> OracleTable {
        OracleTable::count(self.model(a), self.model(b))
    }

    /// l(j): how many models are right on each decision.
    pub fn n_correct(&self) -> Vec<u64> {
        let mut l = vec![0u64; self.n_decisions];
        for m in 0..self.n_models {
            for (count, &right) in l.iter_mut().zip(self.model(m)) {
                *count += u64::from(right);
            }
        }
        l
    }

    /// p̄: the models' mean accuracy over all decisions; NaN with no
    /// decisions.
    pub fn mean_accuracy(&self) -> f64 {
        let right = self.cells.iter().filter(|&&c| c).count() as u64;
        ratio(right, self.cells.len() as u64)
    }

    /// Kohavi–Wolpert variance, Σⱼ l(j) (L − l(j)) / (N L²): the variance of
    /// "is a random model right" per decision, averaged. It equals
    /// (L − 1) / (2L) times the mean pairwise disagreement. NaN with no
    /// decisions; 0 for a single model.
    pub fn kohavi_wolpert_variance(&self) -> f64 {
        let l_models = self.n_models as u64;
        let spread: u64 = self.n_correct().iter().map(|&l| l * (l_models - l)).sum();
        ratio(spread, self.n_decisions as u64 * l_models * l_models)
    }

    /// Kuncheva's entropy measure E, Σⱼ min(l(j), L − l(j)) / (N (L −
    /// ⌈L/2⌉)): 0 when the models always agree on being right or wrong, 1
    /// when they split as evenly as possible on every decision. NaN for a
    /// single model (the denominator is zero) or with no decisions.
    pub fn entropy(&self) -> f64 {
        let l_models = self.n_models as u64;
        let minority: u64 = self.n_correct().iter().map(|&l| l.min(l_models - l)).sum();
        ratio(
            minority,
            self.n_decisions as u64 * (l_models - l_models.div_ceil(2)),
        )
    }

    /// Kuncheva's interrater agreement κ over correctness (a Fleiss-style
    /// κ), 1 − (Σⱼ l(j) (L − l(j)) / L) / (N (L − 1) p̄ (1 − p̄)). It equals
    /// 1 − D̄ / (2 p̄ (1 − p̄)) with D̄ the mean pairwise disagreement. NaN for
    /// a single model, with no decisions, or when p̄ is 0 or 1.
    pub fn interrater_agreement(&self) -> f64 {
        let (l_models, n) = (self.n_models as f64, self.n_decisions as f64);
        let counts = self.n_correct();
        let spread: u64 = counts.iter().map(|&l| l * (self.n_models as u64 - l)).sum();
        // With T right answers out of NL, p̄ (1 − p̄) = T (NL − T) / (NL)²,
        // so the whole ratio reduces to S N L / ((L − 1) T (NL − T)), a
        // ratio of integer-valued terms with no intermediate rounding of p̄.
        let right: u64 = counts.iter().sum();
        let wrong = self.cells.len() as u64 - right;
        let den = (l_models - 1.0) * right as f64 * wrong as f64;
        if den == 0.0 {
            return f64::NAN;
        }
        1.0 - spread as f64 * n * l_models / den
    }

    /// Fraction of decisions at least one model gets right; NaN with no
    /// decisions.
    pub fn oracle_accuracy(&self) -> f64 {
        let covered = self.n_correct().iter().filter(|&&l| l > 0).count() as u64;
        ratio(covered, self.n_decisions as u64)
    }
}

/// The per-decision labels of every model and the truth, for the
/// classification tasks. Labels are class indices (binary, multiclass) or
/// 0/1 (multilabel cells).
struct Decisions {
    truth: Vec<usize>,
    /// One label vector per model, in model order.
    labels: Vec<Vec<usize>>,
    /// Labels lie in `0..n_labels`.
    n_labels: usize,
}

impl Decisions {
    /// Expects targets already checked against `preds` by [`Targets::check_for`].
    fn new(preds: &Predictions, targets: &Targets) -> Result<Decisions> {
        let models = 0..preds.n_models();
        match targets {
            Targets::Classes(truth) => Ok(Decisions {
                truth: truth.clone(),
                labels: models.map(|m| preds.predicted_classes(m)).collect(),
                n_labels: preds.n_outputs(),
            }),
            Targets::Multilabel { matrix, .. } => Ok(Decisions {
                truth: matrix.iter().map(|&t| usize::from(t)).collect(),
                // Every cell is its own decision; the model says "yes" at a
                // probability of one half or more, the threshold
                // scikit-learn users apply to sigmoid outputs.
                labels: models
                    .map(|m| {
                        preds
                            .model(m)
                            .iter()
                            .map(|&p| usize::from(p >= 0.5))
                            .collect()
                    })
                    .collect(),
                n_labels: 2,
            }),
            Targets::Values(_) => Err(Error::unsupported(
                "expected a classification task to tell right from wrong, found regression",
            )),
        }
    }

    fn correctness(&self) -> Correctness {
        let n = self.truth.len();
        let mut cells = Vec::with_capacity(self.labels.len() * n);
        for labels in &self.labels {
            cells.extend(labels.iter().zip(&self.truth).map(|(p, t)| p == t));
        }
        Correctness {
            n_models: self.labels.len(),
            n_decisions: n,
            cells,
        }
    }

    /// How often each model predicts each label, for Cohen's κ.
    fn histograms(&self) -> Vec<Vec<u64>> {
        self.labels
            .iter()
            .map(|labels| {
                let mut h = vec![0u64; self.n_labels];
                for &l in labels {
                    h[l] += 1;
                }
                h
            })
            .collect()
    }
}

fn classification_diversity(
    preds: &Predictions,
    d: &Decisions,
) -> (Vec<PairDiversity>, DiversitySummary) {
    let correct = d.correctness();
    // Per-model label counts are computed once, so each pair's κ costs one
    // scan for the agreements plus O(K), not a fresh K × K confusion matrix.
    let hist = d.histograms();
    let n = correct.n_decisions() as u64;
    // The M²/2 scans read each model's labels M times: as bytes (up to 256
    // labels) they are an eighth of the memory traffic of `usize` labels.
    let narrow: Option<Vec<Vec<u8>>> = (d.n_labels <= 256).then(|| {
        d.labels
            .iter()
            .map(|l| l.iter().map(|&x| x as u8).collect())
            .collect()
    });
    let agreements = |a: usize, b: usize| -> u64 {
        match &narrow {
            Some(l) => equal_count(&l[a], &l[b]),
            None => equal_count(&d.labels[a], &d.labels[b]),
        }
    };
    // Pairs are independent: rayon collects them in pair order.
    let pairs: Vec<PairDiversity> = pair_indices(preds.n_models())
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(a, b)| {
            let table = correct.pair(a, b);
            let chance = hist[a]
                .iter()
                .zip(&hist[b])
                .map(|(&x, &y)| x as u128 * y as u128)
                .sum();
            PairDiversity {
                a: preds.models()[a].clone(),
                b: preds.models()[b].clone(),
                disagreement: table.disagreement(),
                double_fault: table.double_fault(),
                q_statistic: table.q_statistic(),
                error_correlation: table.correlation(),
                kappa: kappa_from_counts(n, agreements(a, b), chance),
            }
        })
        .collect();
    let summary = DiversitySummary {
        kohavi_wolpert_variance: correct.kohavi_wolpert_variance(),
        entropy: correct.entropy(),
        interrater_agreement: correct.interrater_agreement(),
        oracle_accuracy: correct.oracle_accuracy(),
        ambiguity: f64::NAN,
        ..pair_means(&pairs)
    };
    (pairs, summary)
}

fn regression_diversity(preds: &Predictions, y: &[f64]) -> (Vec<PairDiversity>, DiversitySummary) {
    let residuals: Vec<Vec<f64>> = (0..preds.n_models())
        .map(|m| {
            preds
                .model(m)
                .iter()
                .zip(y)
                .map(|(&p, &t)| t - f64::from(p))
                .collect()
        })
        .collect();
    let pairs: Vec<PairDiversity> = pair_indices(preds.n_models())
        .map(|(a, b)| PairDiversity {
            a: preds.models()[a].clone(),
            b: preds.models()[b].clone(),
            disagreement: f64::NAN,
            double_fault: f64::NAN,
            q_statistic: f64::NAN,
            error_correlation: pearson(&residuals[a], &residuals[b]),
            kappa: f64::NAN,
        })
        .collect();
    let summary = DiversitySummary {
        kohavi_wolpert_variance: f64::NAN,
        entropy: f64::NAN,
        interrater_agreement: f64::NAN,
        oracle_accuracy: f64::NAN,
        ambiguity: ambiguity(preds),
        ..pair_means(&pairs)
    };
    (pairs, summary)
}

/// Krogh–Vedelsby ambiguity of a regression ensemble: the mean over samples
/// of the models' variance around their (unweighted) mean prediction.
fn ambiguity(preds: &Predictions) -> f64 {
    let (m, n) = (preds.n_models(), preds.n_samples());
    let mut total = 0.0;
    let mut column = vec![0.0f64; m];
    for i in 0..n {
        for (k, v) in column.iter_mut().enumerate() {
            *v = f64::from(preds.row(k, i)[0]);
        }
        let mean = column.iter().sum::<f64>() / m as f64;
        total += column.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    }
    total / (m * n) as f64
}

/// The summary's pairwise means; the ensemble-level fields are NaN for the
/// caller to fill in.
fn pair_means(pairs: &[PairDiversity]) -> DiversitySummary {
    let mean = |f: fn(&PairDiversity) -> f64| PairMean::of(pairs.iter().map(f));
    DiversitySummary {
        disagreement: mean(|p| p.disagreement),
        double_fault: mean(|p| p.double_fault),
        q_statistic: mean(|p| p.q_statistic),
        error_correlation: mean(|p| p.error_correlation),
        kappa: mean(|p| p.kappa),
        kohavi_wolpert_variance: f64::NAN,
        entropy: f64::NAN,
        interrater_agreement: f64::NAN,
        oracle_accuracy: f64::NAN,
        ambiguity: f64::NAN,
    }
}

/// Every (i, j) with i < j < m, in the order the report lists pairs.
/// How many positions hold equal values in `a` and `b`.
fn equal_count<T: PartialEq>(a: &[T], b: &[T]) -> u64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as u64
}

fn pair_indices(m: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..m).flat_map(move |i| (i + 1..m).map(move |j| (i, j)))
}

/// `num / den`, NaN when `den` is zero (0/0 in f64 is NaN already, but a
/// positive numerator over zero would give infinity).
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        f64::NAN
    } else {
        num as f64 / den as f64
    }
}

fn same_len(what: &str, a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::shape(format!(
            "expected two {what} of the same length, found {a} and {b}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::predictions::{BuildOptions, Content, ModelOutput, TaskHint};
    use proptest::prelude::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| i.to_string()).collect()
    }

    /// Hard-label predictions over the classes "0".."k-1".
    fn labelled(models: &[(&str, &[usize])], k: usize) -> Predictions {
        let outputs = models
            .iter()
            .map(|(name, labels)| ModelOutput {
                name: name.to_string(),
                ids: ids(labels.len()).into(),
                content: Content::Labels(labels.iter().map(|l| l.to_string()).collect()),
            })
            .collect();
        let opts = BuildOptions {
            classes: Some(ids(k)),
            ..Default::default()
        };
        Predictions::from_outputs(outputs, &opts).unwrap()
    }

    fn regression(models: &[(&str, &[f32])]) -> Predictions {
        let outputs = models
            .iter()
            .map(|(name, values)| ModelOutput {
                name: name.to_string(),
                ids: ids(values.len()).into(),
                content: Content::Values(values.to_vec()),
            })
            .collect();
        Predictions::from_outputs(outputs, &BuildOptions::default()).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn oracle_table_counts_each_cell() {
        let a = [true, true, false, false, true];
        let b = [true, false, true, false, true];
        let t = OracleTable::from_correct(&a, &b).unwrap();
        assert_eq!(
            t,
            OracleTable {
                n11: 2,
                n10: 1,
                n01: 1,
                n00: 1
            }
        );
        assert_eq!(t.disagreement(), 0.4);
        assert_eq!(t.double_fault(), 0.2);
        // (2·1 − 1·1) / (2·1 + 1·1)
        assert!(close(t.q_statistic(), 1.0 / 3.0));
        // (2 − 1) / √(3·2·3·2)
        assert!(close(t.correlation(), 1.0 / 6.0));
    }

    #[test]
    fn q_and_correlation_are_undefined_for_a_model_always_right() {
        let always = [true; 4];
        let other = [true, false, true, false];
        let t = OracleTable::from_correct(&always, &other).unwrap();
        assert!(t.q_statistic().is_nan());
        assert!(t.correlation().is_nan());
        assert_eq!(t.disagreement(), 0.5);
        assert_eq!(t.double_fault(), 0.0);
    }

    #[test]
    fn q_is_defined_at_its_extremes() {
        // N00 = 0 but N01 N10 > 0: Q = −1, the most diverse pair possible.
        let t = OracleTable::from_correct(&[true, false, true], &[false, true, true]).unwrap();
        assert_eq!(t.q_statistic(), -1.0);
    }

    #[test]
    fn measures_of_no_decisions_are_nan() {
        let t = OracleTable::default();
        assert!(t.disagreement().is_nan());
        assert!(t.double_fault().is_nan());
        assert!(t.q_statistic().is_nan());
        assert!(t.correlation().is_nan());
        assert!(cohen_kappa(&[], &[]).unwrap().is_nan());
        assert!(pearson_correlation(&[], &[]).unwrap().is_nan());
        let c = Correctness::new(vec![vec![], vec![]]).unwrap();
        assert!(c.kohavi_wolpert_variance().is_nan());
        assert!(c.entropy().is_nan());
        assert!(c.interrater_agreement().is_nan());
        assert!(c.oracle_accuracy().is_nan());
    }

    #[test]
    fn pairwise_functions_reject_slices_of_different_lengths() {
        let e = disagreement(&[true, false], &[true]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert_eq!(
            e.to_string(),
            "expected two correctness indicators of the same length, found 2 and 1"
        );
        let e = cohen_kappa(&[0], &[0, 1]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected two label sequences of the same length, found 1 and 2"
        );
        let e = pearson_correlation(&[0.0], &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
    }

    #[test]
    fn kappa_matches_a_hand_computed_value() {
        // 4 agreements of 5: p_o = 0.8; a has counts (2, 2, 1), b (1, 3, 1):
        // p_e = (2 + 6 + 1) / 25 = 0.36; κ = 0.44 / 0.64 = 0.6875 (as
        // scikit-learn's cohen_kappa_score).
        let a = [0, 1, 2, 0, 1];
        let b = [0, 1, 2, 1, 1];
        let k = cohen_kappa(&a, &b).unwrap();
        let manual = (0.8 - 0.36) / (1.0 - 0.36);
        assert!(close(k, manual), "{k} vs {manual}");
        assert!(close(k, 0.6875));
    }

    #[test]
    fn kappa_is_undefined_when_both_predict_one_label() {
        assert!(cohen_kappa(&[2, 2, 2], &[2, 2, 2]).unwrap().is_nan());
        // One constant model against a varied one is defined: κ = 0.
        assert_eq!(cohen_kappa(&[2, 2, 2, 2], &[2, 1, 2, 1]).unwrap(), 0.0);
    }

    #[test]
    fn ensemble_measures_match_a_hand_computed_example() {
        // Three models, four decisions: l = [3, 2, 1, 0].
        let c = Correctness::new(vec![
            vec![true, true, true, false],
            vec![true, true, false, false],
            vec![true, false, false, false],
        ])
        .unwrap();
        assert_eq!(c.n_correct(), [3, 2, 1, 0]);
        // Σ l (L − l) = 0 + 2 + 2 + 0 = 4; KW = 4 / (4 · 9).
        assert!(close(c.kohavi_wolpert_variance(), 1.0 / 9.0));
        // L − ⌈L/2⌉ = 1; Σ min(l, L − l) = 0 + 1 + 1 + 0.
        assert!(close(c.entropy(), 0.5));
        // p̄ = 0.5; κ = 1 − (4/3) / (4 · 2 · 0.25) = 1/3.
        assert!(close(c.interrater_agreement(), 1.0 / 3.0));
        assert_eq!(c.oracle_accuracy(), 0.75);
        assert_eq!(c.mean_accuracy(), 0.5);
    }

    #[test]
    fn interrater_agreement_is_undefined_when_every_model_is_always_right() {
        let c = Correctness::new(vec![vec![true; 3], vec![true; 3]]).unwrap();
        assert!(c.interrater_agreement().is_nan());
        assert_eq!(c.kohavi_wolpert_variance(), 0.0);
        assert_eq!(c.entropy(), 0.0);
    }

    #[test]
    fn correctness_rejects_ragged_rows() {
        let e = Correctness::new(vec![vec![true; 3], vec![true; 2]]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected 3 decisions for every model (as for model 0), found 2 for model 1"
        );
        assert_eq!(
            Correctness::new(vec![]).unwrap_err().kind(),
            ErrorKind::Shape
        );
    }

    #[test]
    fn diversity_lists_pairs_in_model_order() {
        let p = labelled(
            &[
                ("c", &[0, 1, 2, 0]),
                ("a", &[0, 1, 1, 0]),
                ("b", &[2, 1, 2, 0]),
            ],
            3,
        );
        let r = diversity(&p, &Targets::Classes(vec![0, 1, 2, 0])).unwrap();
        assert_eq!(r.models, ["a", "b", "c"]);
        let names: Vec<(&str, &str)> = r
            .pairs
            .iter()
            .map(|p| (p.a.as_str(), p.b.as_str()))
            .collect();
        assert_eq!(names, [("a", "b"), ("a", "c"), ("b", "c")]);
        // a misses sample 2, b misses sample 0, c misses nothing.
        assert_eq!(r.pairs[0].disagreement, 0.5);
        assert_eq!(r.pairs[0].double_fault, 0.0);
        assert!(r.pairs[1].q_statistic.is_nan());
        assert_eq!(r.summary.q_statistic.undefined, 2);
        assert_eq!(r.summary.q_statistic.mean, -1.0);
        assert_eq!(r.summary.oracle_accuracy, 1.0);
        assert!(r.summary.ambiguity.is_nan());
    }

    #[test]
    fn diversity_of_one_model_has_no_pairs() {
        let p = labelled(&[("solo", &[0, 1, 1])], 2);
        let r = diversity(&p, &Targets::Classes(vec![0, 1, 0])).unwrap();
        assert!(r.pairs.is_empty());
        for m in [
            r.summary.disagreement,
            r.summary.double_fault,
            r.summary.q_statistic,
            r.summary.error_correlation,
            r.summary.kappa,
        ] {
            assert!(m.mean.is_nan());
            assert_eq!(m.undefined, 0);
        }
        assert_eq!(r.summary.kohavi_wolpert_variance, 0.0);
        assert!(r.summary.entropy.is_nan());
        assert!(r.summary.interrater_agreement.is_nan());
        assert!(close(r.summary.oracle_accuracy, 2.0 / 3.0));
    }

    #[test]
    fn multilabel_cells_are_decisions_at_one_half() {
        let model = |name: &str, values: Vec<f32>| ModelOutput {
            name: name.into(),
            ids: ids(2).into(),
            content: Content::Scores {
                columns: vec!["x".into(), "y".into()],
                values,
            },
        };
        let opts = BuildOptions {
            task: TaskHint::Multilabel,
            ..Default::default()
        };
        // Exactly 0.5 counts as "yes".
        let p = Predictions::from_outputs(
            vec![
                model("a", vec![0.5, 0.2, 0.9, 0.49]),
                model("b", vec![0.1, 0.7, 0.9, 0.6]),
            ],
            &opts,
        )
        .unwrap();
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix: vec![true, false, true, true],
        };
        let c = Correctness::from_predictions(&p, &t).unwrap();
        assert_eq!(c.n_decisions(), 4);
        assert_eq!(c.model(0), [true, true, true, false]);
        assert_eq!(c.model(1), [false, false, true, true]);
        let r = diversity(&p, &t).unwrap();
        assert_eq!(r.pairs[0].disagreement, 0.75);
        // Labels a = [1, 0, 1, 0], b = [0, 1, 1, 1] over the cells.
        let k = cohen_kappa(&[1, 0, 1, 0], &[0, 1, 1, 1]).unwrap();
        assert_eq!(r.pairs[0].kappa, k);
    }

    #[test]
    fn regression_correlates_residuals_and_leaves_the_rest_undefined() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let p = regression(&[("a", &[1.5, 2.0, 2.5, 4.0]), ("b", &[0.5, 2.5, 3.0, 4.5])]);
        let r = diversity(&p, &Targets::Values(y.to_vec())).unwrap();
        let ra = [-0.5, 0.0, 0.5, 0.0];
        let rb = [0.5, -0.5, 0.0, -0.5];
        let pair = &r.pairs[0];
        assert!(close(pair.error_correlation, pearson(&ra, &rb)));
        assert!(pair.disagreement.is_nan() && pair.q_statistic.is_nan() && pair.kappa.is_nan());
        assert_eq!(r.summary.disagreement.undefined, 1);
        assert_eq!(r.summary.error_correlation.undefined, 0);
        assert!(r.summary.oracle_accuracy.is_nan());
        assert!(r.summary.kohavi_wolpert_variance.is_nan());
    }

    #[test]
    fn ambiguity_is_the_gap_between_mean_and_ensemble_error() {
        // Krogh–Vedelsby: MSE(ensemble mean) = mean of MSE(model) − ambiguity.
        let y = [0.3, -1.2, 2.5, 0.0, 1.1];
        let models: [(&str, &[f32]); 3] = [
            ("a", &[0.5, -1.0, 2.0, 0.25, 1.0]),
            ("b", &[0.0, -1.5, 3.0, -0.5, 1.5]),
            ("c", &[0.25, -0.75, 2.25, 0.5, 0.75]),
        ];
        let p = regression(&models);
        let amb = diversity(&p, &Targets::Values(y.to_vec()))
            .unwrap()
            .summary
            .ambiguity;
        let mse = |f: &dyn Fn(usize) -> f64| {
            y.iter()
                .enumerate()
                .map(|(i, t)| (f(i) - t).powi(2))
                .sum::<f64>()
                / y.len() as f64
        };
        let value = |m: usize, i: usize| f64::from(models[m].1[i]);
        let mean_mse = (0..3).map(|m| mse(&|i| value(m, i))).sum::<f64>() / 3.0;
        let ens_mse = mse(&|i| (0..3).map(|m| value(m, i)).sum::<f64>() / 3.0);
        assert!(
            close(ens_mse, mean_mse - amb),
            "{ens_mse} vs {mean_mse} − {amb}"
        );
    }

    #[test]
    fn pearson_is_undefined_without_variance() {
        assert!(
            pearson_correlation(&[1.0, 1.0], &[0.0, 3.0])
                .unwrap()
                .is_nan()
        );
        assert!(pearson_correlation(&[2.0], &[3.0]).unwrap().is_nan());
        let r = pearson_correlation(&[1.0, 2.0, 3.0], &[6.0, 4.0, 2.0]).unwrap();
        assert!(close(r, -1.0), "{r}");
    }

    #[test]
    fn diversity_rejects_targets_of_another_kind_or_length() {
        let p = labelled(&[("a", &[0, 1]), ("b", &[1, 1])], 2);
        let e = diversity(&p, &Targets::Values(vec![0.0, 1.0])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert_eq!(
            e.to_string(),
            "expected class indices as targets for a binary task, found real values"
        );
        let e = diversity(&p, &Targets::Classes(vec![0, 1, 1])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        assert_eq!(e.to_string(), "expected targets for 2 samples, found 3");
        let e = diversity(&p, &Targets::Classes(vec![0, 2])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownLabel);
        assert_eq!(
            e.to_string(),
            "id '1': expected a class index below 2, found 2"
        );
        let e = diversity(
            &p,
            &Targets::Multilabel {
                n_labels: 2,
                matrix: vec![true; 4],
            },
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
    }

    #[test]
    fn diversity_rejects_misshapen_multilabel_and_regression_targets() {
        let p = regression(&[("a", &[1.0, 2.0])]);
        let e = diversity(&p, &Targets::Values(vec![1.0, f64::NAN])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert_eq!(
            e.to_string(),
            "id '1': expected a finite true value, found NaN"
        );
        let e = Correctness::from_predictions(&p, &Targets::Values(vec![1.0, 2.0])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);

        let opts = BuildOptions {
            task: TaskHint::Multilabel,
            ..Default::default()
        };
        let out = ModelOutput {
            name: "a".into(),
            ids: ids(1).into(),
            content: Content::Labels(vec!["x|y".into()]),
        };
        let p = Predictions::from_outputs(vec![out], &opts).unwrap();
        let e = diversity(
            &p,
            &Targets::Multilabel {
                n_labels: 3,
                matrix: vec![true; 3],
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a label matrix with 2 labels, found 3 labels"
        );
        let e = diversity(
            &p,
            &Targets::Multilabel {
                n_labels: 2,
                matrix: vec![true; 3],
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a 1 × 2 label matrix (2 values), found 3 values"
        );
    }

    #[test]
    fn report_serialises_undefined_values_as_null() {
        let p = labelled(&[("a", &[0, 0]), ("b", &[0, 0])], 2);
        let r = diversity(&p, &Targets::Classes(vec![0, 1])).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["pairs"][0]["kappa"], serde_json::Value::Null);
        assert_eq!(json["pairs"][0]["disagreement"], 0.0);
        assert_eq!(json["summary"]["kappa"]["undefined"], 1);
    }

    /// M models × N decisions of random correctness, M in 2..6.
    fn correctness_matrix() -> impl Strategy<Value = Vec<Vec<bool>>> {
        (2usize..6, 1usize..40).prop_flat_map(|(m, n)| {
            proptest::collection::vec(proptest::collection::vec(any::<bool>(), n), m)
        })
    }

    /// Two label sequences of the same length over up to four classes.
    fn label_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
        (1usize..50).prop_flat_map(|n| {
            (
                proptest::collection::vec(0usize..4, n),
                proptest::collection::vec(0usize..4, n),
            )
        })
    }

    proptest! {
        #[test]
        fn pairwise_measures_are_symmetric_and_in_range(rows in correctness_matrix()) {
            let (a, b) = (&rows[0], &rows[1]);
            let d = disagreement(a, b).unwrap();
            prop_assert_eq!(d, disagreement(b, a).unwrap());
            prop_assert!((0.0..=1.0).contains(&d));
            let df = double_fault(a, b).unwrap();
            prop_assert!((0.0..=1.0).contains(&df));
            prop_assert!(d + df <= 1.0 + 1e-12);
            for f in [q_statistic, error_correlation] {
                let v = f(a, b).unwrap();
                prop_assert!(close(v, f(b, a).unwrap()));
                prop_assert!(v.is_nan() || (-1.0..=1.0).contains(&v));
            }
        }

        #[test]
        fn identical_models_agree_fully(labels in proptest::collection::vec(0usize..4, 1..50)) {
            let correct: Vec<bool> = labels.iter().map(|&l| l % 2 == 0).collect();
            prop_assert_eq!(disagreement(&correct, &correct).unwrap(), 0.0);
            let k = cohen_kappa(&labels, &labels).unwrap();
            let constant = labels.iter().all(|&l| l == labels[0]);
            // κ is 1 for identical labels unless they are one constant label,
            // where chance agreement is 1 as well and κ is undefined.
            let expected = if constant { f64::NAN } else { 1.0 };
            prop_assert!(close(k, expected), "κ = {} for {:?}", k, labels);
        }

        #[test]
        fn kappa_is_symmetric_and_at_most_one((a, b) in label_pair()) {
            let k = cohen_kappa(&a, &b).unwrap();
            prop_assert!(close(k, cohen_kappa(&b, &a).unwrap()));
            prop_assert!(k.is_nan() || k <= 1.0 + 1e-12);
        }

        #[test]
        fn ensemble_measures_follow_kunchevas_identities(rows in correctness_matrix()) {
            // Kuncheva & Whitaker (2003): KW = (L − 1) / (2L) · D̄ and
            // κ = 1 − D̄ / (2 p̄ (1 − p̄)), D̄ the mean pairwise disagreement.
            let l = rows.len() as f64;
            let c = Correctness::new(rows.clone()).unwrap();
            let d_mean = PairMean::of(
                pair_indices(rows.len()).map(|(a, b)| c.pair(a, b).disagreement()),
            )
            .mean;
            prop_assert!(close(c.kohavi_wolpert_variance(), (l - 1.0) / (2.0 * l) * d_mean));
            let p = c.mean_accuracy();
            if p > 0.0 && p < 1.0 {
                let kappa = 1.0 - d_mean / (2.0 * p * (1.0 - p));
                prop_assert!(close(c.interrater_agreement(), kappa));
            } else {
                prop_assert!(c.interrater_agreement().is_nan());
            }
            let e = c.entropy();
            prop_assert!((0.0..=1.0).contains(&e));
            prop_assert!((0.0..=0.25).contains(&c.kohavi_wolpert_variance()));
            for m in 0..rows.len() {
                let acc = rows[m].iter().filter(|&&x| x).count() as f64 / rows[m].len() as f64;
                prop_assert!(c.oracle_accuracy() >= acc);
            }
        }

        #[test]
        fn summary_does_not_depend_on_input_order(
            (labels, truth) in (1usize..30).prop_flat_map(|n| (
                proptest::collection::vec(proptest::collection::vec(0usize..3, n), 3),
                proptest::collection::vec(0usize..3, n),
            ))
        ) {
            let named = |order: [usize; 3]| {
                let models: Vec<(&str, &[usize])> = order
                    .iter()
                    .map(|&i| (["a", "b", "c"][i], labels[i].as_slice()))
                    .collect();
                labelled(&models, 3)
            };
            let t = Targets::Classes(truth.clone());
            let r1 = diversity(&named([0, 1, 2]), &t).unwrap();
            let r2 = diversity(&named([2, 0, 1]), &t).unwrap();
            // Same bits, NaN included, whatever order the models came in.
            prop_assert_eq!(format!("{r1:?}"), format!("{r2:?}"));
        }
    }
}
