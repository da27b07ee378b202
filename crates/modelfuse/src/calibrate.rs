//! Temperature scaling: one number per model that fixes over- and
//! under-confidence without changing which class it predicts.
//!
//! A model's probabilities are turned back into logits, divided by a
//! temperature `T` and squashed again (Guo, Pleiss, Sun & Weinberger 2017,
//! "On calibration of modern neural networks"):
//!
//! * single-label tasks: `softmax(ln p / T)` per row, with `p` floored at
//!   `1e-15` so a zero stays finite;
//! * multilabel tasks: `sigmoid(logit(p) / T)` per cell, one `T` per model
//!   for all its labels.
//!
//! `T > 1` softens an over-confident model, `T < 1` sharpens an
//! under-confident one, and the ranking of classes within a row never
//! changes, so accuracy does not either. [`fit_temperature`] finds the `T`
//! that minimises the mean negative log-likelihood on labelled validation
//! data; [`calibrate_models`] does so for every model of a [`Predictions`],
//! and [`calibrate_models_report`] also measures the expected calibration
//! error and the log-loss before and after. Fusing calibrated models is often
//! better than fusing raw ones: an over-confident model otherwise dominates
//! an average.
//!
//! # Example
//!
//! ```
//! use modelfuse::calibrate::calibrate_models_report;
//! use modelfuse::{Predictions, Targets, Task};
//!
//! // A model that is 99% sure every time and right three times in four.
//! let preds = Predictions::new(
//!     Task::Binary,
//!     vec!["overconfident".into()],
//!     vec!["0".into(), "1".into(), "2".into(), "3".into()],
//!     vec!["neg".into(), "pos".into()],
//!     vec![0.99, 0.01, 0.01, 0.99, 0.99, 0.01, 0.99, 0.01],
//! )?;
//! let truth = Targets::Classes(vec![0, 1, 0, 1]);
//! let (calibrated, temps, report) = calibrate_models_report(&preds, &truth)?;
//! assert!(temps[0].get() > 1.0);
//! assert!((calibrated.row(0, 0)[0] - 0.75).abs() < 1e-4);
//! assert!(report[0].log_loss_after < report[0].log_loss_before);
//! # Ok::<(), modelfuse::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::learn::driver::{Driver, Solver, Step};
use crate::learn::simplex::PROBABILITY_FLOOR;
use crate::metrics;
use crate::predictions::{Predictions, Targets, Task, sigmoid};

/// The lowest temperature [`fit_temperature`] returns.
///
/// The search is bounded because the optimum can be infinite: a model that
/// is always right wants `T → 0`, one no better than chance `T → ∞`. Within
/// `[0.01, 100]` probabilities can move between about `1e-15^100` and
/// `1e-15^(1/100)`, far beyond any model worth calibrating.
pub const MIN_TEMPERATURE: f64 = 0.01;

/// The highest temperature [`fit_temperature`] returns (see
/// [`MIN_TEMPERATURE`]).
pub const MAX_TEMPERATURE: f64 = 100.0;

/// Probabilities may overshoot `[0, 1]` by this much from float printing, as
/// [`Predictions`] allows.
const RANGE_SLACK: f32 = 1e-6;

/// A temperature: a finite number greater than zero. Serialised as a plain
/// number.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Temperature(f64);

impl Temperature {
    /// The temperature that leaves probabilities as they are.
    pub const ONE: Temperature = Temperature(1.0);

    /// A temperature of `t`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter)
    /// when `t` is not finite or not greater than zero.
    ///
    /// # Example
    ///
    /// ```
    /// use modelfuse::calibrate::Temperature;
    ///
    /// assert_eq!(Temperature::new(1.5)?.get(), 1.5);
    /// assert_eq!(
    ///     Temperature::new(0.0).unwrap_err().to_string(),
    ///     "expected a finite temperature greater than 0, found 0"
    /// );
    /// # Ok::<(), modelfuse::Error>(())
    /// ```
    pub fn new(t: f64) -> Result<Self> {
        if t.is_finite() && t > 0.0 {
            Ok(Temperature(t))
        } else {
            Err(Error::param(format!(
                "expected a finite temperature greater than 0, found {t}"
            )))
        }
    }

    /// The temperature as a number.
    pub fn get(self) -> f64 {
        self.0
    }

    /// Rescales probability rows (`samples × n_outputs`, row-major) by this
    /// temperature: `softmax(ln p / T)` per row for single-label tasks,
    /// `sigmoid(logit(p) / T)` per value for multilabel tasks.
    ///
    /// Single-label rows stay on the simplex (summing to one up to `f32`
    /// rounding) and multilabel values in `[0, 1]`. A temperature of exactly
    /// one, and any regression task, return the rows unchanged.
    ///
    /// # Panics
    ///
    /// When `n_outputs` is not the task's number of outputs or does not
    /// divide `rows.len()`.
    ///
    /// # Example
    ///
    /// ```
    /// use modelfuse::Task;
    /// use modelfuse::calibrate::Temperature;
    ///
    /// let soft = Temperature::new(2.0)?.apply(&[0.8, 0.2], 2, Task::Binary);
    /// assert_eq!(soft, [2.0 / 3.0, 1.0 / 3.0]); // √0.8 : √0.2 = 2 : 1
    /// # Ok::<(), modelfuse::Error>(())
    /// ```
    pub fn apply(&self, rows: &[f32], n_outputs: usize, task: Task) -> Vec<f32> {
        assert!(
            n_outputs == task.n_outputs() && rows.len().is_multiple_of(n_outputs),
            "expected rows of {} outputs for a {} task, found {} values in rows of {n_outputs}",
            task.n_outputs(),
            task.name(),
            rows.len()
        );
        if self.0 == 1.0 || task == Task::Regression {
            return rows.to_vec();
        }
        let beta = 1.0 / self.0;
        let mut out = Vec::with_capacity(rows.len());
        match task {
            Task::Binary | Task::Multiclass { .. } => {
                let mut buf = vec![0.0f64; n_outputs];
                for row in rows.chunks_exact(n_outputs) {
                    for (b, &p) in buf.iter_mut().zip(row) {
                        *b = beta * ln_floored(p as f64);
                    }
                    let max = buf.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for b in buf.iter_mut() {
                        *b = (*b - max).exp();
                        sum += *b;
                    }
                    out.extend(buf.iter().map(|&b| (b / sum) as f32));
                }
            }
            Task::Multilabel { .. } => {
                out.extend(rows.iter().map(|&p| sigmoid(beta * logit(p)) as f32));
            }
            Task::Regression => unreachable!("returned above"),
        }
        out
    }
}

impl Default for Temperature {
    /// [`Temperature::ONE`].
    fn default() -> Self {
        Temperature::ONE
    }
}

impl TryFrom<f64> for Temperature {
    type Error = Error;
    fn try_from(t: f64) -> Result<Self> {
        Temperature::new(t)
    }
}

impl From<Temperature> for f64 {
    fn from(t: Temperature) -> f64 {
        t.0
    }
}

impl fmt::Display for Temperature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The temperature that minimises the mean negative log-likelihood of the
/// rescaled probabilities (see [`Temperature::apply`]) on labelled rows,
/// within [`MIN_TEMPERATURE`]`..=`[`MAX_TEMPERATURE`].
///
/// `rows` is `samples × n_outputs`, row-major: one model's probabilities,
/// such as [`Predictions::model`]. The likelihood is convex in `1/T`, so a
/// safeguarded Newton iteration on `1/T` (falling back to bisection of a
/// bracket when a Newton step would leave it) finds the one minimum to
/// machine precision in a handful of steps, running in the
/// [`Driver`]. When the likelihood does not depend on `T` at all (every row
/// uniform), the result is [`Temperature::ONE`].
///
/// # Errors
///
/// * [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) for a
///   regression task.
/// * [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `n_outputs` is not
///   the task's or does not divide `rows.len()`, and the target errors of
///   [`optimize_weights`](crate::learn::simplex::optimize_weights).
/// * [`ErrorKind::InvalidValue`](crate::ErrorKind::InvalidValue) when a
///   value is not a probability.
///
/// # Example
///
/// ```
/// use modelfuse::calibrate::fit_temperature;
/// use modelfuse::{Targets, Task};
///
/// // Says 60/40 and is right every time: wants to be sharper.
/// let rows = [0.6, 0.4, 0.4, 0.6, 0.6, 0.4, 0.45, 0.55];
/// let truth = Targets::Classes(vec![0, 1, 0, 1]);
/// let t = fit_temperature(&rows, 2, Task::Binary, &truth)?;
/// assert!(t.get() < 1.0);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn fit_temperature(
    rows: &[f32],
    n_outputs: usize,
    task: Task,
    targets: &Targets,
) -> Result<Temperature> {
    let nll = Likelihood::new(rows, n_outputs, task, targets)?;
    let mut search = TemperatureSearch::new(&nll);
    Driver::new(200, 0.0).run(&mut search)?;
    Temperature::new(1.0 / search.beta)
}

/// Fits one temperature per model and rescales each model by it.
///
/// Models that gave hard labels are returned unchanged with
/// [`Temperature::ONE`]: their one-hot rows carry no confidence to rescale,
/// and a temperature fitted to them would only measure the arbitrary
/// `1e-15` floor that turns a zero into a logit. They stay hard labels for
/// the fusers (see [`Predictions::is_hard`]).
///
/// # Errors
///
/// As [`fit_temperature`], naming the model.
pub fn calibrate_models(
    preds: &Predictions,
    targets: &Targets,
) -> Result<(Predictions, Vec<Temperature>)> {
    let task = preds.task();
    if task == Task::Regression {
        return Err(regression_unsupported());
    }
    targets.check_for(preds)?;
    let k = preds.n_outputs();
    let mut temps = Vec::with_capacity(preds.n_models());
    for m in 0..preds.n_models() {
        let t = if preds.is_hard(m) {
            Temperature::ONE
        } else {
            fit_temperature(preds.model(m), k, task, targets)
                .map_err(|e| e.with_model(preds.models()[m].clone()))?
        };
        temps.push(t);
    }
    let calibrated = apply_temperatures(preds, &temps)?;
    Ok((calibrated, temps))
}

/// Rescales each model by its temperature (one per model, in model order),
/// for example temperatures fitted on validation data applied to test data.
///
/// # Errors
///
/// * [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) for a
///   regression task.
/// * [`ErrorKind::Shape`](crate::ErrorKind::Shape) when there is not one
///   temperature per model.
/// * [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter)
///   when a model that gave hard labels has a temperature other than one
///   (see [`calibrate_models`]).
pub fn apply_temperatures(preds: &Predictions, temps: &[Temperature]) -> Result<Predictions> {
    let task = preds.task();
    if task == Task::Regression {
        return Err(regression_unsupported());
    }
    if temps.len() != preds.n_models() {
        return Err(Error::shape(format!(
            "expected one temperature per model ({}), found {}",
            preds.n_models(),
            temps.len()
        )));
    }
    let k = preds.n_outputs();
    let mut values = Vec::with_capacity(preds.as_slice().len());
    for (m, t) in temps.iter().enumerate() {
        if preds.is_hard(m) && *t != Temperature::ONE {
            return Err(Error::param(format!(
                "expected a temperature of 1 for a model that gave hard labels, found {t}"
            ))
            .with_model(preds.models()[m].clone()));
        }
        values.extend(t.apply(preds.model(m), k, task));
    }
    Ok(preds.with_values(values))
}

/// How one model's calibration changed with its temperature.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationReport {
    /// The model's name.
    pub model: String,
    /// The fitted temperature (1 for hard labels).
    pub temperature: f64,
    /// The expected calibration error ([`metrics::ece`]) before scaling;
    /// NaN (serialised as `null`) for multilabel tasks, where ECE is not
    /// defined.
    pub ece_before: f64,
    /// The expected calibration error after scaling.
    pub ece_after: f64,
    /// The log-loss ([`metrics::log_loss`], or
    /// [`metrics::multilabel_log_loss`]) before scaling.
    pub log_loss_before: f64,
    /// The log-loss after scaling.
    pub log_loss_after: f64,
}

/// [`calibrate_models`], plus a [`CalibrationReport`] per model measuring the
/// expected calibration error and the log-loss before and after.
///
/// # Errors
///
/// As [`calibrate_models`].
pub fn calibrate_models_report(
    preds: &Predictions,
    targets: &Targets,
) -> Result<(Predictions, Vec<Temperature>, Vec<CalibrationReport>)> {
    let (calibrated, temps) = calibrate_models(preds, targets)?;
    let k = preds.n_outputs();
    let measure = |rows: &[f32]| match targets {
        Targets::Classes(y) => (metrics::ece(y, rows, k), metrics::log_loss(y, rows, k)),
        Targets::Multilabel { matrix, .. } => {
            (f64::NAN, metrics::multilabel_log_loss(matrix, rows))
        }
        Targets::Values(_) => unreachable!("calibrate_models rejects regression"),
    };
    let reports = temps
        .iter()
        .enumerate()
        .map(|(m, t)| {
            let (ece_before, log_loss_before) = measure(preds.model(m));
            let (ece_after, log_loss_after) = measure(calibrated.model(m));
            CalibrationReport {
                model: preds.models()[m].clone(),
                temperature: t.get(),
                ece_before,
                ece_after,
                log_loss_before,
                log_loss_after,
            }
        })
        .collect();
    Ok((calibrated, temps, reports))
}

fn regression_unsupported() -> Error {
    crate::fusers::unsupported("temperature scaling", Task::Regression, "")
}

fn ln_floored(p: f64) -> f64 {
    p.max(PROBABILITY_FLOOR).ln()
}

/// `ln p − ln(1 − p)`, both floored, with `1 − p` taken in f64.
fn logit(p: f32) -> f64 {
    let p = p as f64;
    ln_floored(p) - ln_floored(1.0 - p)
}

/// The mean negative log-likelihood of `softmax(β · l)` over rows of logits
/// `l` with a true class each, as a function of `β = 1/T`.
///
/// Multilabel cells become two-class rows `[0, logit p]`, whose softmax is
/// the sigmoid, so one formula serves both task kinds.
struct Likelihood {
    width: usize,
    logits: Vec<f64>,
    truth: Vec<usize>,
}

impl Likelihood {
    fn new(rows: &[f32], k: usize, task: Task, targets: &Targets) -> Result<Self> {
        if task == Task::Regression {
            return Err(regression_unsupported());
        }
        if k != task.n_outputs() || !rows.len().is_multiple_of(k) {
            return Err(Error::shape(format!(
                "expected rows of {} outputs for a {} task, found {} values in rows of {k}",
                task.n_outputs(),
                task.name(),
                rows.len()
            )));
        }
        if let Some(&p) = rows
            .iter()
            .find(|p| !(-RANGE_SLACK..=1.0 + RANGE_SLACK).contains(*p))
        {
            return Err(Error::invalid_value(format!(
                "expected probabilities in [0, 1] to calibrate, found {p}"
            )));
        }
        targets.check(task, rows.len() / k, k, None)?;
        Ok(match targets {
            Targets::Classes(y) => Likelihood {
                width: k,
                logits: rows.iter().map(|&p| ln_floored(p as f64)).collect(),
                truth: y.clone(),
            },
            Targets::Multilabel { matrix, .. } => Likelihood {
                width: 2,
                logits: rows.iter().flat_map(|&p| [0.0, logit(p)]).collect(),
                truth: matrix.iter().map(|&on| usize::from(on)).collect(),
            },
            Targets::Values(_) => unreachable!("Targets::check matched the targets to the task"),
        })
    }

    /// The likelihood and its first two derivatives in `β`: the mean over
    /// rows of `E_q[l] − l_y` and of `Var_q[l]`, where `q = softmax(β l)`.
    fn eval(&self, beta: f64) -> (f64, f64, f64) {
        let (mut value, mut slope, mut curvature) = (0.0, 0.0, 0.0);
        for (row, &y) in self.logits.chunks_exact(self.width).zip(&self.truth) {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (mut total, mut first) = (0.0, 0.0);
            for &l in row {
                let e = (beta * (l - max)).exp();
                total += e;
                first += e * l;
            }
            let mean = first / total;
            // The variance from deviations, not E[l²] − E[l]², which cancels
            // catastrophically when the row is nearly certain.
            let var: f64 = row
                .iter()
                .map(|&l| (beta * (l - max)).exp() * (l - mean) * (l - mean))
                .sum::<f64>()
                / total;
            value += beta * max + total.ln() - beta * row[y];
            slope += mean - row[y];
            curvature += var;
        }
        let n = self.truth.len() as f64;
        (value / n, slope / n, curvature / n)
    }
}

/// Safeguarded Newton on `β = 1/T` for the convex likelihood: Newton steps
/// while they stay inside a bracket on which the slope changes sign,
/// geometric bisection of the bracket otherwise. Convexity makes the slope
/// increasing, so the bracket always holds the minimum and shrinks every
/// step; near the minimum Newton converges quadratically.
struct TemperatureSearch<'a> {
    nll: &'a Likelihood,
    lo: f64,
    hi: f64,
    beta: f64,
    value: f64,
    slope: f64,
    curvature: f64,
    done: bool,
}

impl<'a> TemperatureSearch<'a> {
    fn new(nll: &'a Likelihood) -> Self {
        let (value, slope, curvature) = nll.eval(1.0);
        let mut search = TemperatureSearch {
            nll,
            lo: 1.0 / MAX_TEMPERATURE,
            hi: 1.0 / MIN_TEMPERATURE,
            beta: 1.0,
            value,
            slope,
            curvature,
            done: slope == 0.0 || curvature <= 0.0,
        };
        if search.done {
            // Flat (every row uniform) or already optimal at T = 1.
            return search;
        }
        // The bound on the downhill side ends the search when the slope has
        // not changed sign by then; otherwise it closes the bracket.
        let bound = if slope < 0.0 { search.hi } else { search.lo };
        let (v, s, c) = nll.eval(bound);
        if s * slope >= 0.0 {
            search.beta = bound;
            (search.value, search.slope, search.curvature) = (v, s, c);
            search.done = true;
        } else if slope < 0.0 {
            search.lo = 1.0;
        } else {
            search.hi = 1.0;
        }
        search
    }
}

impl Solver for TemperatureSearch<'_> {
    fn next_iter(&mut self) -> Result<Step> {
        if self.done {
            return Ok(Step {
                objective: self.value,
                converged: true,
            });
        }
        let newton = self.beta - self.slope / self.curvature;
        let next = if self.curvature > 0.0 && newton > self.lo && newton < self.hi {
            newton
        } else {
            (self.lo * self.hi).sqrt()
        };
        let (value, slope, curvature) = self.nll.eval(next);
        if slope < 0.0 {
            self.lo = next;
        } else {
            self.hi = next;
        }
        let moved = (next - self.beta).abs();
        (self.beta, self.value, self.slope, self.curvature) = (next, value, slope, curvature);
        self.done = slope == 0.0 || moved <= 1e-15 * next || self.hi - self.lo <= 1e-15 * next;
        Ok(Step {
            objective: value,
            converged: self.done,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::fusers::test_support::{build, probs, values};
    use crate::predictions::{BuildOptions, Content, ModelOutput, TaskHint, argmax};
    use proptest::prelude::*;

    /// A model that says `confidence` for its top class and is right in
    /// `right` of every 4 samples; `n` samples, 2 classes.
    fn binary_model(confidence: f32, right: usize, n: usize) -> (Vec<f32>, Targets) {
        let mut rows = Vec::with_capacity(2 * n);
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            rows.extend([confidence, 1.0 - confidence]);
            y.push(usize::from(i % 4 >= right));
        }
        (rows, Targets::Classes(y))
    }

    #[test]
    fn temperature_softens_overconfidence_and_sharpens_timidity() {
        // Says 95% and is right 75% of the time: the optimum rescales the
        // confidence to exactly the accuracy, 0.75.
        let (rows, t) = binary_model(0.95, 3, 40);
        let temp = fit_temperature(&rows, 2, Task::Binary, &t).unwrap();
        let want = (0.95f64 / 0.05).ln() / 3f64.ln();
        assert!((temp.get() - want).abs() < 1e-6 * want, "{temp}");
        let calibrated = temp.apply(&rows, 2, Task::Binary);
        assert!((calibrated[0] - 0.75).abs() < 1e-6, "{calibrated:?}");

        let (rows, t) = binary_model(0.6, 3, 40);
        assert!(fit_temperature(&rows, 2, Task::Binary, &t).unwrap().get() < 1.0);
    }

    #[test]
    fn temperature_stops_at_its_bounds() {
        // Always right: the likelihood keeps improving as T → 0.
        let (rows, t) = binary_model(0.7, 4, 8);
        let temp = fit_temperature(&rows, 2, Task::Binary, &t).unwrap();
        assert_eq!(temp.get(), MIN_TEMPERATURE);
        // Right half the time with confidence: T → ∞ is best.
        let (rows, t) = binary_model(0.7, 2, 8);
        let temp = fit_temperature(&rows, 2, Task::Binary, &t).unwrap();
        assert_eq!(temp.get(), MAX_TEMPERATURE);
        // Uniform rows do not depend on T at all.
        let (rows, t) = binary_model(0.5, 3, 8);
        let temp = fit_temperature(&rows, 2, Task::Binary, &t).unwrap();
        assert_eq!(temp, Temperature::ONE);
    }

    #[test]
    fn multilabel_temperature_scales_every_cell() {
        // Two labels; the model says 0.9 / 0.1 and is right 3 times in 4.
        let rows: Vec<f32> = vec![0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1];
        let matrix = vec![true, false, true, false, true, false, false, true];
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix,
        };
        let task = Task::Multilabel { n_labels: 2 };
        let temp = fit_temperature(&rows, 2, task, &t).unwrap();
        let out = temp.apply(&rows, 2, task);
        assert!(
            (out[0] - 0.75).abs() < 1e-6 && (out[1] - 0.25).abs() < 1e-6,
            "{out:?}"
        );
    }

    #[test]
    fn apply_keeps_rows_on_the_simplex_and_the_ranking() {
        let rows = [0.7f32, 0.2, 0.1, 0.0, 0.0, 1.0];
        let task = Task::Multiclass { n_classes: 3 };
        assert_eq!(Temperature::ONE.apply(&rows, 3, task), rows);
        for t in [0.3, 2.0, 50.0] {
            let out = Temperature::new(t).unwrap().apply(&rows, 3, task);
            for (a, b) in out.chunks_exact(3).zip(rows.chunks_exact(3)) {
                let sum: f32 = a.iter().sum();
                assert!((sum - 1.0).abs() < 1e-6, "T = {t}: {a:?}");
                assert_eq!(argmax(a), argmax(b));
            }
        }
        assert_eq!(
            Temperature::new(3.0)
                .unwrap()
                .apply(&[1.5, -2.0], 1, Task::Regression),
            [1.5, -2.0]
        );
    }

    #[test]
    fn temperature_is_checked_and_serialised_as_a_number() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = Temperature::new(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        }
        let t = Temperature::new(1.25).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "1.25");
        assert_eq!(serde_json::from_str::<Temperature>("1.25").unwrap(), t);
        assert!(serde_json::from_str::<Temperature>("-2").is_err());
    }

    #[test]
    fn fit_temperature_rejects_bad_input() {
        let t = Targets::Classes(vec![0, 1]);
        let e = fit_temperature(
            &[1.0, 2.0],
            1,
            Task::Regression,
            &Targets::Values(vec![1.0, 2.0]),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(
            e.to_string(),
            "temperature scaling does not apply to a regression task"
        );
        let e = fit_temperature(&[0.5, 0.5, 0.5], 2, Task::Binary, &t).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected rows of 2 outputs for a binary task, found 3 values in rows of 2"
        );
        let e = fit_temperature(&[2.0, -1.0, 0.5, 0.5], 2, Task::Binary, &t).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected probabilities in [0, 1] to calibrate, found 2"
        );
        let e =
            fit_temperature(&[0.5; 4], 2, Task::Binary, &Targets::Classes(vec![0])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
    }

    fn hard_and_soft() -> Predictions {
        let soft = ModelOutput {
            name: "soft".into(),
            ids: (0..8).map(|i| i.to_string()).collect(),
            content: Content::Scores {
                columns: vec!["a".into(), "b".into()],
                values: [0.95f32, 0.05].repeat(8),
            },
        };
        let hard = ModelOutput {
            name: "hard".into(),
            ids: (0..8).map(|i| i.to_string()).collect(),
            content: Content::Labels(
                ["a", "a", "b", "a"]
                    .repeat(2)
                    .into_iter()
                    .map(String::from)
                    .collect(),
            ),
        };
        Predictions::from_outputs(vec![soft, hard], &BuildOptions::default()).unwrap()
    }

    #[test]
    fn hard_label_models_are_left_alone() {
        let p = hard_and_soft();
        let t = Targets::Classes([0, 0, 0, 1].repeat(2));
        let (calibrated, temps, reports) = calibrate_models_report(&p, &t).unwrap();
        let hard = p.model_index("hard").unwrap();
        let soft = p.model_index("soft").unwrap();
        assert_eq!(temps[hard], Temperature::ONE);
        assert!(temps[soft].get() > 1.0);
        assert!(calibrated.is_hard(hard));
        assert_eq!(calibrated.model(hard), p.model(hard));
        let r = &reports[soft];
        assert!(r.ece_after < r.ece_before, "{r:?}");
        assert!(r.log_loss_after < r.log_loss_before, "{r:?}");
        assert!(r.ece_after < 1e-6, "{r:?}");

        let mut forced = temps.clone();
        forced[hard] = Temperature::new(2.0).unwrap();
        let e = apply_temperatures(&p, &forced).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model 'hard': expected a temperature of 1 for a model that gave hard labels, found 2"
        );
        let e = apply_temperatures(&p, &temps[..1]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected one temperature per model (2), found 1"
        );
    }

    #[test]
    fn calibration_refuses_regression() {
        let r = values(&[vec![1.0, 2.0]]);
        let e = calibrate_models(&r, &Targets::Values(vec![1.0, 2.0])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn multilabel_report_has_no_ece() {
        let p = build(&[vec![0.9, 0.2, 0.8, 0.3]], 2, TaskHint::Multilabel);
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix: vec![true, false, false, true],
        };
        let (_, _, reports) = calibrate_models_report(&p, &t).unwrap();
        assert!(reports[0].ece_before.is_nan() && reports[0].ece_after.is_nan());
        let json = serde_json::to_value(&reports[0]).unwrap();
        assert!(json["ece_before"].is_null());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn calibrated_rows_stay_on_the_simplex(
            (blocks, k, y) in (1usize..4, 1usize..15, 2usize..5).prop_flat_map(|(m, n, k)| (
                prop::collection::vec(prop::collection::vec(0.0f32..1.0, n * k), m),
                Just(k),
                prop::collection::vec(0..k, n),
            ))
        ) {
            let blocks: Vec<Vec<f32>> = blocks
                .into_iter()
                .map(|mut b| {
                    for row in b.chunks_exact_mut(k) {
                        let s: f32 = row.iter().sum::<f32>() + 1e-3;
                        row.iter_mut().for_each(|x| *x = (*x + 1e-3 / k as f32) / s);
                    }
                    b
                })
                .collect();
            let p = probs(&blocks, k);
            let (calibrated, temps) = calibrate_models(&p, &Targets::Classes(y)).unwrap();
            for (m, t) in temps.iter().enumerate() {
                prop_assert!((MIN_TEMPERATURE..=MAX_TEMPERATURE).contains(&t.get()));
                for i in 0..p.n_samples() {
                    let row = calibrated.row(m, i);
                    let sum: f64 = row.iter().map(|&x| x as f64).sum();
                    prop_assert!((sum - 1.0).abs() < 1e-5, "{row:?}");
                    prop_assert!(row.iter().all(|&x| (0.0..=1.0).contains(&x)));
                    // The ranking is kept: the top class stays on top.
                    let before = p.row(m, i);
                    let top = argmax(row);
                    prop_assert!(before[top] >= before[argmax(before)] - 1e-6);
                }
            }
        }
    }
}
