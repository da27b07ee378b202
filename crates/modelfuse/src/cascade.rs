//! Cost-aware cascades: run models cheapest first, stop as soon as the
//! fused prediction so far is confident enough.
//!
//! Fusing N models costs N models at inference. A cascade pays for the
//! expensive ones only on the samples that need them: for each sample it
//! runs the models of its chain in order (cheapest first), fuses the models
//! run so far (the mean of their probabilities, after per-model temperature
//! scaling when calibrated), and stops at the first stage whose
//! [`Confidence`] reaches the threshold; the last stage always stops. What
//! it returns is the fused prediction at the stage where it stopped, and
//! what it costs is the cost of the models it ran.
//!
//! **Costs** ([`CostModel`]) are per sample, in any unit (seconds, FLOPs), one
//! per model, plus optional shared **components** paid once by whichever
//! model needs them first: four heads on one transformer encoder pay for the
//! encoder once.
//!
//! **Fitting** ([`CascadeSettings::fit`]) searches, on labelled validation
//! predictions, every subset of the models (chains ordered by stand-alone
//! cost; all 2^M − 1 subsets up to [`MAX_EXHAUSTIVE_MODELS`] models, else
//! the cheapest-first prefixes) and a grid of thresholds, and keeps the
//! accuracy–cost **frontier**: the points no other point beats on both. The
//! operating point is the cheapest point reaching a target accuracy (by
//! default the full fusion's), or the most accurate within a cost budget.
//! Cost: O(2^M · (N·M·K + T·N·M)) for N samples, K classes, T thresholds,
//! parallel over subsets.
//!
//! A threshold of 0 stops every sample at the first model of the chain; a
//! threshold above 1 never stops early, so the cascade equals the mean of
//! all its models (both are property tests).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::calibrate::{Temperature, fit_temperature};
use crate::error::{Error, ErrorKind, Result};
use crate::predictions::{Predictions, Targets, Task, argmax};

/// Above this many models, chains are the cheapest-first prefixes only
/// (M of them) instead of every subset (2^M − 1).
pub const MAX_EXHAUSTIVE_MODELS: usize = 12;

/// The number of thresholds tried per chain, spread over the quantiles of the
/// confidences seen (plus 0 and "never stop").
pub const THRESHOLD_GRID: usize = 200;

/// How confident the fused prediction of the models run so far is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// The largest fused probability.
    MaxProb,
    /// The largest fused probability minus the second largest.
    Margin,
    /// The fraction of the models run so far whose own top class is the
    /// fused top class; 0 after a single model (one model cannot agree with
    /// anyone), so with any positive threshold an agreement cascade runs at
    /// least two.
    Agreement,
}

impl Confidence {
    /// The CLI and JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::MaxProb => "max-prob",
            Confidence::Margin => "margin",
            Confidence::Agreement => "agreement",
        }
    }
}

impl std::str::FromStr for Confidence {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "max-prob" => Ok(Confidence::MaxProb),
            "margin" => Ok(Confidence::Margin),
            "agreement" => Ok(Confidence::Agreement),
            _ => Err(Error::param(format!(
                "expected a confidence rule (max-prob, margin, agreement), found '{s}'"
            ))),
        }
    }
}

/// The cost of running models, per sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostModel {
    /// What the numbers measure ("ms per sample", "GFLOPs per sample").
    #[serde(default)]
    pub unit: String,
    /// Each model's own cost, by model name.
    pub models: BTreeMap<String, f64>,
    /// Shared components' costs, by name, paid once per sample by the first
    /// model that needs them.
    #[serde(default)]
    pub components: BTreeMap<String, f64>,
    /// The components each model needs, by model name.
    #[serde(default)]
    pub needs: BTreeMap<String, Vec<String>>,
}

impl CostModel {
    /// Checks the costs: finite, non-negative, components known.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] naming the bad entry.
    pub fn check(&self) -> Result<()> {
        for (name, c) in self.models.iter().chain(&self.components) {
            if !c.is_finite() || *c < 0.0 {
                return Err(Error::param(format!(
                    "expected a finite, non-negative cost for '{name}', found {c}"
                )));
            }
        }
        for (model, needs) in &self.needs {
            for c in needs {
                if !self.components.contains_key(c) {
                    return Err(Error::param(format!(
                        "model '{model}' needs component '{c}', which has no cost"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The cost of running `run` (model names), components paid once.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] for a model without a cost.
    pub fn cost_of<'a>(&self, run: impl IntoIterator<Item = &'a str>) -> Result<f64> {
        let mut total = 0.0;
        let mut paid: Vec<&str> = Vec::new();
        for m in run {
            total += self.models.get(m).copied().ok_or_else(|| {
                Error::new(
                    ErrorKind::Mismatch,
                    format!("model '{m}' has no cost in the cost file"),
                )
            })?;
            for c in self.needs.get(m).into_iter().flatten() {
                if !paid.contains(&c.as_str()) {
                    paid.push(c);
                    total += self.components[c];
                }
            }
        }
        Ok(total)
    }

    /// The cost of each prefix of `chain`: `out[k]` is the cost of running
    /// its first `k + 1` models.
    fn prefix_costs(&self, chain: &[&str]) -> Result<Vec<f64>> {
        (1..=chain.len())
            .map(|k| self.cost_of(chain[..k].iter().copied()))
            .collect()
    }
}

/// How to choose the operating point on the frontier.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// The cheapest point whose accuracy reaches the full fusion's (the mean
    /// of all models, calibrated like the cascade) minus this tolerance.
    MatchFull {
        /// Accuracy the cascade may lose, in `[0, 1]`.
        tolerance: f64,
    },
    /// The cheapest point with at least this accuracy.
    TargetAccuracy(f64),
    /// The most accurate point costing at most this much per sample.
    Budget(f64),
}

/// The settings of a cascade search.
#[derive(Clone, Debug, PartialEq)]
pub struct CascadeSettings {
    /// The stopping rule.
    pub confidence: Confidence,
    /// Fit a temperature per model on the labels before thresholding.
    pub calibrate: bool,
    /// The operating point to pick.
    pub goal: Goal,
}

impl Default for CascadeSettings {
    /// Max-probability stopping, calibrated, matching the full fusion.
    fn default() -> Self {
        CascadeSettings {
            confidence: Confidence::MaxProb,
            calibrate: true,
            goal: Goal::MatchFull { tolerance: 0.0 },
        }
    }
}

/// One accuracy–cost point: a chain and a threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// The models run, in order (cheapest first).
    pub chain: Vec<String>,
    /// Stop when the confidence reaches this; above 1 never stops early.
    pub threshold: f64,
    /// The accuracy on the fitting samples.
    pub accuracy: f64,
    /// The mean cost per sample.
    pub cost: f64,
    /// The fraction of samples that stopped after each stage.
    pub stopped: Vec<f64>,
}

/// A fitted cascade: its chain, temperatures, threshold and the frontier it
/// was chosen from. Saved as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedCascade {
    /// The file format version ([`crate::FORMAT_VERSION`]).
    pub modelfuse: u32,
    /// Always `"cascade"`.
    pub kind: String,
    /// The class names, in order.
    pub classes: Vec<String>,
    /// The stopping rule.
    pub confidence: Confidence,
    /// The models run, cheapest first.
    pub chain: Vec<String>,
    /// The temperature of each chain model (1 when not calibrated).
    pub temperatures: Vec<f64>,
    /// Stop when the confidence reaches this.
    pub threshold: f64,
    /// The costs the cascade was fitted with.
    pub costs: CostModel,
    /// The chosen point as measured on the fitting data.
    pub fitted: FrontierPoint,
    /// The full fusion (mean of every model) on the fitting data.
    pub full: FrontierPoint,
    /// The temperature of each model of the full fusion, in `full.chain`
    /// order (1 when not calibrated).
    pub full_temperatures: Vec<f64>,
    /// The frontier, cheapest first.
    pub frontier: Vec<FrontierPoint>,
}

/// What a cascade did on some samples.
#[derive(Clone, Debug)]
pub struct CascadeOutput {
    /// The fused probabilities (one model, `cascade`).
    pub fused: Predictions,
    /// How many chain models ran for each sample.
    pub stages: Vec<usize>,
    /// The cost spent on each sample.
    pub costs: Vec<f64>,
}

impl CascadeOutput {
    /// The mean cost per sample.
    pub fn mean_cost(&self) -> f64 {
        self.costs.iter().sum::<f64>() / self.costs.len().max(1) as f64
    }
}

/// Everything about one chain that thresholds do not change: per sample and
/// stage, the confidence, whether the fused top class is right, and the
/// prefix costs.
struct ChainTrace {
    chain: Vec<usize>,
    /// `[sample][stage]` flattened.
    confidence: Vec<f64>,
    correct: Vec<bool>,
    prefix_cost: Vec<f64>,
}

/// The fused probabilities of every prefix of `chain` for one sample, fed
/// one stage at a time; returns the confidence and top class at each stage.
fn stage_stats(
    probs: &[&[f32]],
    chain: &[usize],
    i: usize,
    k: usize,
    rule: Confidence,
    mut each: impl FnMut(usize, f64, usize, &[f64]),
) {
    let mut sum = vec![0.0f64; k];
    let mut tops: Vec<usize> = Vec::with_capacity(chain.len());
    let mut fused = vec![0.0f64; k];
    for (stage, &m) in chain.iter().enumerate() {
        let row = &probs[m][i * k..(i + 1) * k];
        for (s, &p) in sum.iter_mut().zip(row) {
            *s += f64::from(p);
        }
        tops.push(argmax(row));
        let n = (stage + 1) as f64;
        for (f, s) in fused.iter_mut().zip(&sum) {
            *f = s / n;
        }
        // Top class, ties to the lowest index (the crate's rule).
        let mut top = 0;
        for j in 1..k {
            if fused[j] > fused[top] {
                top = j;
            }
        }
        let conf = match rule {
            Confidence::MaxProb => fused[top],
            Confidence::Margin => {
                let second = (0..k)
                    .filter(|&j| j != top)
                    .map(|j| fused[j])
                    .fold(0.0, f64::max);
                fused[top] - second
            }
            Confidence::Agreement => {
                if stage == 0 {
                    0.0
                } else {
                    tops.iter().filter(|&&t| t == top).count() as f64 / n
                }
            }
        };
        each(stage, conf, top, &fused);
    }
}

impl CascadeSettings {
    /// Searches chains and thresholds on labelled validation predictions and
    /// returns the cascade at the chosen operating point.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsupported`] unless the task is binary or multiclass;
    /// [`ErrorKind::Mismatch`] for a model without a cost or targets that do
    /// not fit; [`ErrorKind::InvalidParameter`] for bad costs or a goal no
    /// point reaches (the message gives the best reachable value).
    pub fn fit(
        &self,
        preds: &Predictions,
        targets: &Targets,
        costs: &CostModel,
    ) -> Result<FittedCascade> {
        let task = preds.task();
        if !task.is_single_label() || task == Task::Regression {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "cascades need a binary or multiclass task, found {}",
                    task.name()
                ),
            ));
        }
        costs.check()?;
        let Some(y) = targets.classes() else {
            return Err(Error::new(ErrorKind::Mismatch, "expected class labels"));
        };
        if y.len() != preds.n_samples() {
            return Err(Error::shape(format!(
                "expected {} labels, found {}",
                preds.n_samples(),
                y.len()
            )));
        }
        let names = preds.models();
        for n in names {
            costs.cost_of([n.as_str()])?;
        }
        let k = preds.n_outputs();
        let temperatures: Vec<Temperature> = if self.calibrate {
            (0..preds.n_models())
                .map(|m| {
                    if preds.is_hard(m) {
                        Ok(Temperature::ONE)
                    } else {
                        fit_temperature(preds.model(m), k, task, targets)
                            .map_err(|e| e.with_model(names[m].clone()))
                    }
                })
                .collect::<Result<_>>()?
        } else {
            vec![Temperature::ONE; preds.n_models()]
        };
        let scaled: Vec<Vec<f32>> = (0..preds.n_models())
            .map(|m| temperatures[m].apply(preds.model(m), k, task))
            .collect();
        let probs: Vec<&[f32]> = scaled.iter().map(Vec::as_slice).collect();

        // Chains: models ordered by stand-alone cost, ties by name.
        let mut by_cost: Vec<(f64, usize)> = (0..names.len())
            .map(|m| Ok((costs.cost_of([names[m].as_str()])?, m)))
            .collect::<Result<_>>()?;
        by_cost.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let order: Vec<usize> = by_cost.iter().map(|c| c.1).collect();
        let m = order.len();
        let chains: Vec<Vec<usize>> = if m <= MAX_EXHAUSTIVE_MODELS {
            (1u32..(1 << m))
                .map(|mask| {
                    (0..m)
                        .filter(|&b| mask & (1 << b) != 0)
                        .map(|b| order[b])
                        .collect()
                })
                .collect()
        } else {
            (1..=m).map(|p| order[..p].to_vec()).collect()
        };
        let n = preds.n_samples();
        let trace = |chain: &Vec<usize>| -> Result<ChainTrace> {
            let l = chain.len();
            let mut confidence = vec![0.0; n * l];
            let mut correct = vec![false; n * l];
            for i in 0..n {
                stage_stats(&probs, chain, i, k, self.confidence, |s, c, top, _| {
                    confidence[i * l + s] = c;
                    correct[i * l + s] = top == y[i];
                });
            }
            let chain_names: Vec<&str> = chain.iter().map(|&m| names[m].as_str()).collect();
            Ok(ChainTrace {
                chain: chain.clone(),
                confidence,
                correct,
                prefix_cost: costs.prefix_costs(&chain_names)?,
            })
        };
        let point = |t: &ChainTrace, threshold: f64| -> FrontierPoint {
            let l = t.chain.len();
            let (mut right, mut cost) = (0usize, 0.0);
            let mut stopped = vec![0usize; l];
            for i in 0..n {
                let s = (0..l)
                    .find(|&s| s + 1 == l || t.confidence[i * l + s] >= threshold)
                    .expect("the last stage always stops");
                right += usize::from(t.correct[i * l + s]);
                cost += t.prefix_cost[s];
                stopped[s] += 1;
            }
            FrontierPoint {
                chain: t.chain.iter().map(|&m| names[m].clone()).collect(),
                threshold,
                accuracy: right as f64 / n as f64,
                cost: cost / n as f64,
                stopped: stopped.iter().map(|&c| c as f64 / n as f64).collect(),
            }
        };
        let points: Vec<Vec<FrontierPoint>> = chains
            .par_iter()
            .map(|chain| {
                let t = trace(chain)?;
                let l = chain.len();
                if l == 1 {
                    return Ok(vec![point(&t, 0.0)]);
                }
                // Thresholds: 0, the quantiles of the early stages'
                // confidences, and "never stop" (above 1).
                let mut seen: Vec<f64> = (0..n)
                    .flat_map(|i| t.confidence[i * l..i * l + l - 1].iter().copied())
                    .collect();
                seen.sort_by(f64::total_cmp);
                let mut grid: Vec<f64> = vec![0.0];
                for q in 1..THRESHOLD_GRID {
                    grid.push(seen[(q * (seen.len() - 1)) / THRESHOLD_GRID]);
                }
                grid.push(1.0 + 1e-9);
                grid.dedup();
                Ok(grid.into_iter().map(|th| point(&t, th)).collect())
            })
            .collect::<Result<_>>()?;
        let all: Vec<FrontierPoint> = points.into_iter().flatten().collect();
        let frontier = pareto(&all);
        let full = {
            let t = trace(&order)?;
            point(&t, 1.0 + 1e-9)
        };
        let chosen = match self.goal {
            Goal::MatchFull { tolerance } => {
                cheapest_reaching(&frontier, full.accuracy - tolerance)
            }
            Goal::TargetAccuracy(a) => cheapest_reaching(&frontier, a),
            Goal::Budget(b) => frontier
                .iter()
                .filter(|p| p.cost <= b)
                .max_by(|a, b| {
                    a.accuracy
                        .total_cmp(&b.accuracy)
                        .then(b.cost.total_cmp(&a.cost))
                })
                .cloned()
                .ok_or_else(|| {
                    Error::param(format!(
                        "no cascade costs at most {b} per sample; the cheapest costs {}",
                        frontier[0].cost
                    ))
                }),
        }?;
        let temps_of_chain = chosen
            .chain
            .iter()
            .map(|c| temperatures[preds.model_index(c).expect("a chain model")].get())
            .collect();
        let full_temperatures = order.iter().map(|&m| temperatures[m].get()).collect();
        Ok(FittedCascade {
            modelfuse: crate::FORMAT_VERSION,
            kind: "cascade".into(),
            classes: preds.classes().to_vec(),
            confidence: self.confidence,
            chain: chosen.chain.clone(),
            temperatures: temps_of_chain,
            full_temperatures,
            threshold: chosen.threshold,
            costs: costs.clone(),
            fitted: chosen,
            full,
            frontier,
        })
    }
}

/// The cheapest frontier point with at least `accuracy`.
fn cheapest_reaching(frontier: &[FrontierPoint], accuracy: f64) -> Result<FrontierPoint> {
    // Compare with a hair of slack: accuracies are ratios of counts.
    frontier
        .iter()
        .find(|p| p.accuracy >= accuracy - 1e-12)
        .cloned()
        .ok_or_else(|| {
            let best = frontier.iter().map(|p| p.accuracy).fold(0.0, f64::max);
            Error::param(format!(
                "no cascade reaches accuracy {accuracy:.4}; the best reaches {best:.4}"
            ))
        })
}

/// The points no other point beats on both cost and accuracy, cheapest
/// first. Ties: equal cost and accuracy keep the shorter chain, then the
/// earlier chain by name order, then the lower threshold.
fn pareto(points: &[FrontierPoint]) -> Vec<FrontierPoint> {
    let mut sorted: Vec<&FrontierPoint> = points.iter().collect();
    sorted.sort_by(|a, b| {
        a.cost
            .total_cmp(&b.cost)
            .then(b.accuracy.total_cmp(&a.accuracy))
            .then(a.chain.len().cmp(&b.chain.len()))
            .then(a.chain.cmp(&b.chain))
            .then(a.threshold.total_cmp(&b.threshold))
    });
    let mut out: Vec<FrontierPoint> = Vec::new();
    for p in sorted {
        if out.last().is_none_or(|last| p.accuracy > last.accuracy) {
            out.push(p.clone());
        }
    }
    out
}

impl FittedCascade {
    /// Serialises to pretty JSON (see [`crate::format`]).
    pub fn to_json(&self) -> String {
        crate::format::to_json(self)
    }

    /// Parses a saved cascade, version and kind first (see
    /// [`crate::format`]), and checks it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for malformed JSON, a newer format version or
    /// another kind; those of [`FittedCascade::check`].
    pub fn from_json(text: &str) -> Result<FittedCascade> {
        let fitted: FittedCascade = crate::format::from_json(text, "cascade", Some("cascade"))?;
        fitted.check()?;
        Ok(fitted)
    }

    /// Checks a loaded cascade.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for a newer format or another kind;
    /// [`ErrorKind::InvalidParameter`] for inconsistent fields.
    pub fn check(&self) -> Result<()> {
        if self.modelfuse > crate::FORMAT_VERSION || self.kind != "cascade" {
            // What `from_json` checks first; a cascade built in code can
            // still be wrong here.
            return Err(Error::new(
                ErrorKind::Format,
                format!(
                    "expected a cascade (kind \"cascade\") of format version {} or older, found kind {:?}, version {}",
                    crate::FORMAT_VERSION,
                    self.kind,
                    self.modelfuse
                ),
            ));
        }
        if self.chain.is_empty() || self.chain.len() != self.temperatures.len() {
            return Err(Error::param(
                "expected a non-empty chain with one temperature per model",
            ));
        }
        for &t in &self.temperatures {
            Temperature::new(t)?;
        }
        self.costs.check()
    }

    /// The full fusion this cascade was compared with, as a cascade that
    /// never stops early: every model, cheapest first, calibrated alike.
    pub fn full_fusion(&self) -> FittedCascade {
        FittedCascade {
            chain: self.full.chain.clone(),
            temperatures: self.full_temperatures.clone(),
            threshold: f64::INFINITY,
            ..self.clone()
        }
    }

    /// The cascade at another point of its frontier (same temperatures), to
    /// measure the whole frontier on new data.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] for a chain model outside the full fusion.
    pub fn at_point(&self, point: &FrontierPoint) -> Result<FittedCascade> {
        let temperatures = point
            .chain
            .iter()
            .map(|name| {
                self.full
                    .chain
                    .iter()
                    .position(|m| m == name)
                    .map(|i| self.full_temperatures[i])
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Mismatch,
                            format!("model '{name}' is not one of the cascade's models"),
                        )
                    })
            })
            .collect::<Result<_>>()?;
        Ok(FittedCascade {
            chain: point.chain.clone(),
            temperatures,
            threshold: point.threshold,
            fitted: point.clone(),
            ..self.clone()
        })
    }

    /// Runs the cascade on `preds` (which must hold every chain model, with
    /// the fitted classes in order; other models are ignored).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] naming a chain model that is missing or
    /// classes that differ: the cascade must be refitted when its members
    /// change.
    pub fn predict(&self, preds: &Predictions) -> Result<CascadeOutput> {
        self.check()?;
        if preds.classes() != self.classes.as_slice() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                "the predictions' classes differ from the cascade's; refit the cascade",
            ));
        }
        let k = preds.n_outputs();
        let task = preds.task();
        let mut scaled = Vec::with_capacity(self.chain.len());
        for (name, &t) in self.chain.iter().zip(&self.temperatures) {
            let m = preds.model_index(name).ok_or_else(|| {
                Error::new(
                    ErrorKind::Mismatch,
                    format!(
                        "the cascade runs model '{name}', which is not among the predictions {:?}; refit the cascade when its members change",
                        preds.models()
                    ),
                )
            })?;
            scaled.push(Temperature::new(t)?.apply(preds.model(m), k, task));
        }
        let probs: Vec<&[f32]> = scaled.iter().map(Vec::as_slice).collect();
        let chain: Vec<usize> = (0..self.chain.len()).collect();
        let names: Vec<&str> = self.chain.iter().map(String::as_str).collect();
        let prefix = self.costs.prefix_costs(&names)?;
        let n = preds.n_samples();
        let l = chain.len();
        let mut values = Vec::with_capacity(n * k);
        let mut stages = Vec::with_capacity(n);
        let mut spent = Vec::with_capacity(n);
        for i in 0..n {
            let mut done = false;
            stage_stats(
                &probs,
                &chain,
                i,
                k,
                self.confidence,
                |s, conf, _, fused| {
                    if !done && (s + 1 == l || conf >= self.threshold) {
                        done = true;
                        values.extend(fused.iter().map(|&v| v as f32));
                        stages.push(s + 1);
                        spent.push(prefix[s]);
                    }
                },
            );
        }
        let fused = Predictions::new(
            task,
            vec!["cascade".into()],
            preds.ids().to_vec(),
            preds.classes().to_vec(),
            values,
        )?;
        Ok(CascadeOutput {
            fused,
            stages,
            costs: spent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preds(models: &[&[f32]]) -> Predictions {
        let n = models[0].len() / 2;
        Predictions::new(
            Task::Binary,
            (0..models.len()).map(|m| format!("m{m}")).collect(),
            (0..n).map(|i| i.to_string()).collect(),
            vec!["a".into(), "b".into()],
            models.concat(),
        )
        .unwrap()
    }

    fn costs(c: &[f64]) -> CostModel {
        CostModel {
            unit: "ms".into(),
            models: c
                .iter()
                .enumerate()
                .map(|(m, &v)| (format!("m{m}"), v))
                .collect(),
            components: BTreeMap::new(),
            needs: BTreeMap::new(),
        }
    }

    #[test]
    fn shared_components_are_paid_once() {
        let mut c = costs(&[1.0, 2.0, 3.0]);
        c.components.insert("encoder".into(), 10.0);
        c.needs.insert("m0".into(), vec!["encoder".into()]);
        c.needs.insert("m1".into(), vec!["encoder".into()]);
        assert_eq!(c.cost_of(["m0", "m1"]).unwrap(), 13.0);
        assert_eq!(c.cost_of(["m2", "m1"]).unwrap(), 15.0);
        assert_eq!(c.cost_of(["m2"]).unwrap(), 3.0);
        c.needs.insert("m2".into(), vec!["gpu".into()]);
        assert!(c.check().is_err());
    }

    #[test]
    fn a_cheap_confident_model_handles_the_easy_samples() {
        // m0 (cheap) is right and sure on samples 0-1, unsure and wrong on
        // 2-3; m1 (expensive) is always right.
        let m0 = [0.95, 0.05, 0.05, 0.95, 0.6, 0.4, 0.45, 0.55];
        let m1 = [0.9, 0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.1];
        let p = preds(&[&m0, &m1]);
        let y = Targets::Classes(vec![0, 1, 1, 0]);
        let settings = CascadeSettings {
            calibrate: false,
            ..CascadeSettings::default()
        };
        let fitted = settings.fit(&p, &y, &costs(&[1.0, 10.0])).unwrap();
        assert_eq!(fitted.full.accuracy, 1.0);
        assert_eq!(fitted.fitted.accuracy, 1.0);
        // Half the samples stop after the cheap model: cost 1·½ + 11·½.
        assert_eq!(fitted.fitted.cost, 6.0);
        assert_eq!(fitted.chain, ["m0", "m1"]);
        let out = fitted.predict(&p).unwrap();
        assert_eq!(out.stages, [1, 1, 2, 2]);
        assert_eq!(out.mean_cost(), 6.0);
        // The frontier is sorted by cost with rising accuracy.
        for w in fitted.frontier.windows(2) {
            assert!(w[0].cost <= w[1].cost && w[0].accuracy < w[1].accuracy);
        }
    }

    #[test]
    fn budget_goal_and_unreachable_goals() {
        let m0 = [0.95, 0.05, 0.6, 0.4];
        let m1 = [0.9, 0.1, 0.1, 0.9];
        let p = preds(&[&m0, &m1]);
        let y = Targets::Classes(vec![0, 1]);
        let settings = CascadeSettings {
            calibrate: false,
            goal: Goal::Budget(1.0),
            ..CascadeSettings::default()
        };
        let f = settings.fit(&p, &y, &costs(&[1.0, 10.0])).unwrap();
        assert_eq!(f.chain, ["m0"]);
        let e = CascadeSettings {
            goal: Goal::Budget(0.5),
            ..settings
        }
        .fit(&p, &y, &costs(&[1.0, 10.0]))
        .unwrap_err();
        assert!(e.to_string().contains("the cheapest costs 1"), "{e}");
        let e = CascadeSettings {
            calibrate: false,
            goal: Goal::TargetAccuracy(1.01),
            ..CascadeSettings::default()
        }
        .fit(&p, &y, &costs(&[1.0, 10.0]))
        .unwrap_err();
        assert!(e.to_string().contains("the best reaches 1.0000"), "{e}");
    }

    #[test]
    fn members_must_match_and_files_round_trip() {
        let m0 = [0.95, 0.05, 0.6, 0.4];
        let m1 = [0.9, 0.1, 0.1, 0.9];
        let p = preds(&[&m0, &m1]);
        let y = Targets::Classes(vec![0, 1]);
        let f = CascadeSettings::default()
            .fit(&p, &y, &costs(&[1.0, 10.0]))
            .unwrap();
        let json = serde_json::to_string(&f).unwrap();
        let back: FittedCascade = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
        let only = p.single_model(1);
        if f.chain.len() > 1 || f.chain[0] != "m1" {
            let e = f.predict(&only).unwrap_err();
            assert!(e.to_string().contains("refit the cascade"), "{e}");
        }
    }

    #[test]
    fn agreement_is_zero_after_one_model() {
        let m0 = [0.95, 0.05, 0.6, 0.4];
        let p = preds(&[&m0, &m0]);
        let mut seen = Vec::new();
        stage_stats(
            &[p.model(0), p.model(1)],
            &[0, 1],
            0,
            2,
            Confidence::Agreement,
            |s, c, _, _| seen.push((s, c)),
        );
        assert_eq!(seen, [(0, 0.0), (1, 1.0)]);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn rows(n: usize) -> impl Strategy<Value = Vec<f32>> {
            proptest::collection::vec(0.01f32..0.99, n)
                .prop_map(|v| v.iter().flat_map(|&p| [p, 1.0 - p]).collect())
        }

        proptest! {
            #[test]
            fn threshold_zero_is_the_cheapest_model_and_above_one_the_full_mean(
                a in rows(6), b in rows(6), c in rows(6),
                rule in prop_oneof![Just(Confidence::MaxProb), Just(Confidence::Margin), Just(Confidence::Agreement)],
            ) {
                let p = preds(&[&a, &b, &c]);
                let cost = costs(&[3.0, 1.0, 2.0]);
                let chain: Vec<String> = vec!["m1".into(), "m2".into(), "m0".into()];
                let cascade = |threshold: f64| FittedCascade {
                    modelfuse: crate::FORMAT_VERSION,
                    kind: "cascade".into(),
                    classes: p.classes().to_vec(),
                    confidence: rule,
                    chain: chain.clone(),
                    temperatures: vec![1.0; 3],
                    full_temperatures: vec![1.0; 3],
                    threshold,
                    costs: cost.clone(),
                    fitted: FrontierPoint { chain: vec![], threshold, accuracy: 0.0, cost: 0.0, stopped: vec![] },
                    full: FrontierPoint { chain: vec![], threshold, accuracy: 0.0, cost: 0.0, stopped: vec![] },
                    frontier: vec![],
                };
                let never = cascade(1.5).predict(&p).unwrap();
                prop_assert!(never.costs.iter().all(|&c| c == 6.0));
                for i in 0..6 {
                    for j in 0..2 {
                        let mean = (f64::from(a[2 * i + j]) + f64::from(b[2 * i + j]) + f64::from(c[2 * i + j])) / 3.0;
                        prop_assert!((f64::from(never.fused.row(0, i)[j]) - mean).abs() < 1e-6);
                    }
                }
                let zero = cascade(0.0).predict(&p).unwrap();
                prop_assert!(zero.costs.iter().all(|&c| c == 1.0));
                prop_assert_eq!(zero.fused.model(0), p.model(1));
            }
        }
    }
}
