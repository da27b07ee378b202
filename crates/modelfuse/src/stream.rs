//! Fusing models one at a time: a saved fuser whose method combines the
//! models independently per row (the means, the geometric mean, the vote)
//! takes each model's output as it is read, so a prediction holds one
//! model's rows at a time besides the output, however many models there are.
//!
//! ```text
//! First::new(names, first output)   the layout, from the first model
//! FittedFuser::stream(first) ──► FuseStream
//!     prepare(output)   validate and align one model (any thread)
//!     add(prepared)     add it to the sums (in model order)
//!     finish()          the fused Predictions
//! ```
//!
//! The result is the one [`Fitted::predict`](crate::Fitted::predict) gives on all the models at
//! once, bit for bit: every row's sum takes the models in the fitted order
//! (a model given early waits until its turn), with the same per-model
//! temperatures and output temperature. Each model is checked as
//! [`Predictions::from_outputs`](crate::Predictions::from_outputs) checks
//! it against the first model in name order, with the same messages; a
//! problem is reported for the first model that has one, in the order the
//! models are given, where the batch path reads every file first.
//!
//! Memory: the sums (8 bytes per cell; a soft tie rule keeps a second set),
//! the output (4 bytes per cell), and the models prepared but not yet
//! added. Time: O(M·N·K), as the batch kernels.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::fitted::FittedFuser;
use crate::fuser::{RowShape, RowSum};
use crate::fusers::FUSED;
use crate::predictions::{Aligned, BuildOptions, Layout, ModelOutput, Predictions, Task};

/// The first model of a stream, validated: the layout (task, ids,
/// classes) every later model is aligned to.
pub struct First {
    names: Vec<String>,
    layout: Layout,
    aligned: Aligned,
}

impl First {
    /// Validates `out`, the output of the first in name order of the models
    /// named `names` (every model that will be given; the file stems).
    /// `opts` are the reading options ([`FittedFuser::read_options`]).
    ///
    /// # Errors
    ///
    /// Those of [`Predictions::from_outputs`](crate::Predictions::from_outputs)
    /// for `out`, and for names given twice; [`ErrorKind::InvalidParameter`]
    /// when `out` is not the first in name order.
    pub fn new(names: &[String], out: ModelOutput, opts: &BuildOptions) -> Result<First> {
        let mut sorted = names.to_vec();
        sorted.sort();
        if let Some(pair) = sorted.windows(2).find(|p| p[0] == p[1]) {
            return Err(Error::mismatch(format!(
                "two models are named '{}'; model names must be unique",
                pair[0]
            )));
        }
        if sorted.first() != Some(&out.name) {
            return Err(Error::param(format!(
                "expected the first model in name order ('{}') to start the stream, found '{}'",
                sorted.first().map(String::as_str).unwrap_or_default(),
                out.name
            )));
        }
        let (layout, aligned) = Layout::first(out, opts)?;
        Ok(First {
            names: sorted,
            layout,
            aligned,
        })
    }
}

/// One model's rows, validated and aligned by [`FuseStream::prepare`].
pub struct Prepared {
    name: String,
    /// The model's place in the fuser's order; `None` for a model pruned
    /// away at fit time (checked, then left out).
    at: Option<usize>,
    values: Vec<f32>,
}

/// The model and how many values, not the values (millions, often).
impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("name", &self.name)
            .field("at", &self.at)
            .field("values", &self.values.len())
            .finish()
    }
}

/// A fusion in progress (see the [module docs](self)).
pub struct FuseStream<'f> {
    fitted: &'f FittedFuser,
    layout: Layout,
    sum: Box<dyn RowSum>,
    /// Every model that will be given, and its place in the fuser's order.
    given: BTreeMap<String, Option<usize>>,
    next: usize,
    pending: BTreeMap<usize, Vec<f32>>,
}

impl FittedFuser {
    /// Whether [`FittedFuser::stream`] can fuse this fuser's models one at a
    /// time (its method combines them per row, and it was not fitted on
    /// segments).
    pub fn streams(&self) -> bool {
        let shape = RowShape {
            task: self.task(),
            models: self.models().len(),
            rows: 0,
        };
        self.segments().is_none()
            && matches!(self.build().and_then(|f| f.row_sum(shape)), Ok(Some(_)))
    }

    /// Starts fusing the models of `first` one at a time.
    ///
    /// # Errors
    ///
    /// Those of [`Fitted::predict`](crate::Fitted::predict) for predictions
    /// laid out as `first` (another task, other classes or models);
    /// [`ErrorKind::Unsupported`] when the fuser does not stream
    /// ([`FittedFuser::streams`]).
    pub fn stream(&self, first: First) -> Result<FuseStream<'_>> {
        if self.segments().is_some() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                "this fuser was fitted on segments (rows with a document id); give it segment-level predictions",
            ));
        }
        let First {
            names: sorted,
            layout,
            aligned,
        } = first;
        self.check_layout(layout.task(), layout.classes())?;
        self.check_models(&sorted)?;
        let shape = RowShape {
            task: layout.task(),
            models: self.models().len(),
            rows: layout.n_samples(),
        };
        let sum = self.build()?.row_sum(shape)?.ok_or_else(|| {
            Error::unsupported(format!(
                "{} does not fuse models one at a time; predict with every model at once",
                self.spec().method()
            ))
        })?;
        let given = sorted
            .into_iter()
            .map(|name| {
                let at = self.models().iter().position(|m| *m == name);
                (name, at)
            })
            .collect();
        let mut stream = FuseStream {
            fitted: self,
            layout,
            sum,
            given,
            next: 0,
            pending: BTreeMap::new(),
        };
        let first = stream.calibrated(aligned.name, aligned.values, aligned.hard)?;
        stream.add(first)?;
        Ok(stream)
    }
}

impl FuseStream<'_> {
    /// Validates and aligns one model's output (from any thread; several at
    /// once is fine).
    ///
    /// # Errors
    ///
    /// Those [`Predictions::from_outputs`](crate::Predictions::from_outputs)
    /// gives this model beside the first; a model not among the names the
    /// stream was started with.
    pub fn prepare(&self, out: ModelOutput) -> Result<Prepared> {
        if !self.given.contains_key(&out.name) {
            return Err(Error::mismatch(format!(
                "expected one of the models [{}], found '{}'",
                self.given.keys().cloned().collect::<Vec<_>>().join(", "),
                out.name
            )));
        }
        let aligned = self.layout.align(out)?;
        self.calibrated(aligned.name, aligned.values, aligned.hard)
    }

    /// The model's rows with its fitted temperature applied.
    fn calibrated(&self, name: String, values: Vec<f32>, hard: bool) -> Result<Prepared> {
        let at = self.given[&name];
        let temps = self.fitted.calibration().and_then(|c| c.models.as_deref());
        let (Some(m), Some(temps)) = (at, temps) else {
            return Ok(Prepared { name, at, values });
        };
        let task = self.layout.task();
        if task == Task::Regression {
            return Err(crate::fusers::unsupported(
                "temperature scaling",
                Task::Regression,
                "",
            ));
        }
        if temps.len() != self.fitted.models().len() {
            return Err(Error::shape(format!(
                "expected one temperature per model ({}), found {}",
                self.fitted.models().len(),
                temps.len()
            )));
        }
        let t = temps[m];
        if hard && t != crate::calibrate::Temperature::ONE {
            return Err(Error::param(format!(
                "expected a temperature of 1 for a model that gave hard labels, found {t}"
            ))
            .with_model(name));
        }
        let values = t.apply(&values, task.n_outputs(), task);
        Ok(Prepared { name, at, values })
    }

    /// Adds a prepared model; models given before their turn wait for it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] for a model given twice.
    pub fn add(&mut self, prepared: Prepared) -> Result<()> {
        let Some(at) = prepared.at else {
            return Ok(());
        };
        if at < self.next || self.pending.contains_key(&at) {
            return Err(Error::mismatch(format!(
                "model '{}' was given twice; model names must be unique",
                prepared.name
            )));
        }
        self.pending.insert(at, prepared.values);
        while let Some(values) = self.pending.remove(&self.next) {
            self.sum.add(self.next, &values);
            self.next += 1;
        }
        Ok(())
    }

    /// The fused predictions.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] when a model the fuser was fitted on was not
    /// added.
    pub fn finish(self) -> Result<Predictions> {
        let models = self.fitted.models();
        if self.next < models.len() {
            let missing: Vec<&str> = models[self.next..]
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.pending.contains_key(&(self.next + i)))
                .map(|(_, m)| m.as_str())
                .collect();
            return Err(Error::mismatch(format!(
                "expected a prediction of every model the fuser was fitted on; not given: {}",
                missing.join(", ")
            )));
        }
        let mut values = self.sum.finish();
        let task = self.layout.task();
        if let Some(t) = self.fitted.calibration().and_then(|c| c.output.as_ref()) {
            values = t.apply(&values, task.n_outputs(), task);
        }
        Ok(self.layout.into_fused(FUSED, values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{Calibrate, FitOptions};
    use crate::learn::rng::Rng;
    use crate::predictions::{Content, Ids, Targets, TaskHint};
    use crate::spec::FuserSpec;
    use crate::{Fitted, fusers};
    use proptest::prelude::*;

    /// `m` models of `n` rows and `k` classes, each model's rows in its own
    /// shuffled order (ids are names) or numbered (`rows`); probabilities,
    /// hard labels (model 1 when `hard`), or regression values (`k == 1`).
    fn outputs(
        seed: u64,
        m: usize,
        n: usize,
        k: usize,
        rows: bool,
        hard: bool,
    ) -> Vec<ModelOutput> {
        let mut rng = Rng::new(seed);
        (0..m)
            .map(|model| {
                let mut order: Vec<usize> = (0..n).collect();
                if !rows {
                    rng.shuffle(&mut order);
                }
                let ids = match rows {
                    true => Ids::Rows(n),
                    false => Ids::Names(order.iter().map(|i| format!("s{i}")).collect()),
                };
                let content = if k == 1 {
                    Content::Values(
                        (0..n)
                            .map(|_| (rng.next_f64() * 10.0 - 5.0) as f32)
                            .collect(),
                    )
                } else if hard && model == 1 {
                    Content::Labels((0..n).map(|_| format!("c{}", rng.below(k))).collect())
                } else {
                    let mut values = Vec::with_capacity(n * k);
                    for _ in 0..n {
                        let row: Vec<f64> = (0..k).map(|_| rng.next_f64().powi(3) + 1e-3).collect();
                        let sum: f64 = row.iter().sum();
                        values.extend(row.iter().map(|x| (x / sum) as f32));
                    }
                    Content::Scores {
                        columns: (0..k).map(|j| format!("c{j}")).collect(),
                        values,
                    }
                };
                ModelOutput {
                    name: format!("model{model}"),
                    ids,
                    content,
                }
            })
            .collect()
    }

    fn labels(preds: &Predictions, seed: u64) -> Targets {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let k = preds.n_outputs();
        let table: Vec<(String, String)> = preds
            .ids()
            .iter()
            .map(|id| {
                let label = match preds.task() {
                    Task::Regression => format!("{}", rng.next_f64()),
                    _ => preds.classes()[rng.below(k)].clone(),
                };
                (id.clone(), label)
            })
            .collect();
        Targets::align(preds, &table).unwrap()
    }

    /// The stream's result, the models given in `order` (indices into
    /// `outs`, which are in name order).
    fn streamed(
        fitted: &FittedFuser,
        outs: &[ModelOutput],
        order: &[usize],
        opts: &BuildOptions,
    ) -> Result<Predictions> {
        let names: Vec<String> = outs.iter().map(|o| o.name.clone()).collect();
        let first = First::new(&names, outs[0].clone(), opts)?;
        let mut stream = fitted.stream(first)?;
        for &i in order.iter().filter(|&&i| i != 0) {
            let prepared = stream.prepare(outs[i].clone())?;
            stream.add(prepared)?;
        }
        stream.finish()
    }

    fn bits(p: &Predictions) -> Vec<u32> {
        p.as_slice().iter().map(|x| x.to_bits()).collect()
    }

    const STREAMING: &[&str] = &[
        r#"{"method": "mean"}"#,
        r#"{"method": "geometric"}"#,
        r#"{"method": "soft-vote"}"#,
        r#"{"method": "vote"}"#,
        r#"{"method": "vote", "tie": "soft"}"#,
        r#"{"method": "score-weighted", "by": "accuracy"}"#,
        r#"{"method": "optimized"}"#,
        r#"{"method": "selection", "rounds": 7}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every streaming method gives the batch prediction's bits, with
        /// models in any order, shuffled rows, hard labels, temperatures.
        #[test]
        fn streaming_equals_predicting_at_once(
            seed in any::<u64>(),
            m in 1usize..5,
            n in 1usize..60,
            k in 2usize..5,
            rows in any::<bool>(),
            hard in any::<bool>(),
            calibrate in any::<bool>(),
            multilabel in any::<bool>(),
        ) {
            let outs = outputs(seed, m, n, k, rows, hard && !multilabel);
            let opts = BuildOptions {
                task: if multilabel { TaskHint::Multilabel } else { TaskHint::Auto },
                ..BuildOptions::default()
            };
            let preds = Predictions::from_outputs(outs.clone(), &opts).unwrap();
            let targets = labels(&preds, seed);
            let mut order: Vec<usize> = (0..m).collect();
            Rng::new(seed).shuffle(&mut order);
            for spec in STREAMING {
                let spec: FuserSpec = serde_json::from_str(spec).unwrap();
                let fit = FitOptions {
                    calibrate: if calibrate && !hard && !multilabel { Calibrate::Both } else { Calibrate::None },
                    folds: 2,
                    ..FitOptions::default()
                };
                let Ok(fitted) = spec.fit_with(&preds, Some(&targets), &fit) else {
                    continue;
                };
                let read = fitted.read_options(opts.clone());
                let batch = Predictions::from_outputs(outs.clone(), &read).and_then(|p| fitted.predict(&p));
                let stream = streamed(&fitted, &outs, &order, &read);
                match (batch, stream) {
                    (Ok(b), Ok(s)) => {
                        prop_assert!(fitted.streams());
                        prop_assert_eq!(b.ids(), s.ids());
                        prop_assert_eq!(b.classes(), s.classes());
                        prop_assert_eq!(b.models(), s.models());
                        prop_assert_eq!(bits(&b), bits(&s), "{}", spec.method());
                    }
                    (Err(b), Err(s)) => prop_assert_eq!(b.to_string(), s.to_string()),
                    (b, s) => prop_assert!(false, "{}: batch {:?}, stream {:?}", spec.method(), b.err(), s.err()),
                }
            }
        }

        /// Regression means stream too.
        #[test]
        fn streaming_regression_equals_predicting_at_once(seed in any::<u64>(), m in 1usize..5, n in 1usize..40) {
            let outs = outputs(seed, m, n, 1, false, false);
            let preds = Predictions::from_outputs(outs.clone(), &BuildOptions::default()).unwrap();
            let fitted = FuserSpec::Mean(fusers::MeanParams {}).fit(&preds, None).unwrap();
            let read = fitted.read_options(BuildOptions::default());
            let order: Vec<usize> = (0..m).rev().collect();
            let s = streamed(&fitted, &outs, &order, &read).unwrap();
            prop_assert_eq!(bits(&fitted.predict(&preds).unwrap()), bits(&s));
        }
    }

    fn fitted(spec: &str, outs: &[ModelOutput]) -> FittedFuser {
        let preds = Predictions::from_outputs(outs.to_vec(), &BuildOptions::default()).unwrap();
        let spec: FuserSpec = serde_json::from_str(spec).unwrap();
        let targets = labels(&preds, 1);
        spec.fit(&preds, Some(&targets)).unwrap()
    }

    /// Both paths' error for the same inputs.
    fn both_errors(fitted: &FittedFuser, outs: &[ModelOutput]) -> (String, String) {
        let opts = fitted.read_options(BuildOptions::default());
        let batch = Predictions::from_outputs(outs.to_vec(), &opts)
            .and_then(|p| fitted.predict(&p))
            .unwrap_err();
        let order: Vec<usize> = (0..outs.len()).collect();
        let stream = streamed(fitted, outs, &order, &opts).unwrap_err();
        (batch.to_string(), stream.to_string())
    }

    #[test]
    fn streaming_reports_what_predicting_at_once_reports() {
        let outs = outputs(3, 3, 5, 3, false, false);
        let fitted = fitted(r#"{"method": "mean"}"#, &outs);
        type Change = Box<dyn Fn(&mut Vec<ModelOutput>)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "a missing id",
                Box::new(|o| {
                    let Ids::Names(ids) = &mut o[2].ids else {
                        unreachable!()
                    };
                    ids[0] = "elsewhere".into();
                }),
            ),
            (
                "a value out of range",
                Box::new(|o| {
                    let Content::Scores { values, .. } = &mut o[1].content else {
                        unreachable!()
                    };
                    values[4] = 7.0;
                }),
            ),
            (
                "other classes",
                Box::new(|o| {
                    let Content::Scores { columns, .. } = &mut o[2].content else {
                        unreachable!()
                    };
                    columns[1] = "other".into();
                }),
            ),
            (
                "a model more",
                Box::new(|o| {
                    let mut extra = o[2].clone();
                    extra.name = "model9".into();
                    o.push(extra);
                }),
            ),
            (
                "a model fewer",
                Box::new(|o| {
                    o.pop();
                }),
            ),
            (
                "another task",
                Box::new(|o| {
                    for out in o.iter_mut() {
                        out.content = Content::Values(vec![0.5; 5]);
                    }
                }),
            ),
            (
                "a label outside the classes",
                Box::new(|o| {
                    o[1].content = Content::Labels(vec![
                        "c0".into(),
                        "c9".into(),
                        "c1".into(),
                        "c2".into(),
                        "c0".into(),
                    ]);
                }),
            ),
        ];
        for (what, change) in cases {
            let mut bad = outs.clone();
            change(&mut bad);
            let (batch, stream) = both_errors(&fitted, &bad);
            assert_eq!(batch, stream, "{what}");
        }
    }

    #[test]
    fn streaming_leaves_out_pruned_models_and_refuses_a_model_twice() {
        let outs = outputs(5, 3, 8, 2, true, false);
        let preds =
            Predictions::from_outputs(outs[..2].to_vec(), &BuildOptions::default()).unwrap();
        let mean = FuserSpec::Mean(fusers::MeanParams {})
            .fit(&preds, None)
            .unwrap();
        // As pruning saves it: the model left out, and why.
        let text = mean.to_json().replacen(
            "\"state\"",
            "\"dropped\": [{\"model\": \"model2\", \"reason\": \"pruned\"}],\n  \"state\"",
            1,
        );
        let fitted = FittedFuser::from_json(&text).unwrap();
        assert_eq!(fitted.dropped().len(), 1);
        let opts = fitted.read_options(BuildOptions::default());
        let s = streamed(&fitted, &outs, &[0, 1, 2], &opts).unwrap();
        assert_eq!(bits(&s), bits(&fitted.predict(&preds).unwrap()));

        let names: Vec<String> = outs[..2].iter().map(|o| o.name.clone()).collect();
        let first = First::new(&names, outs[0].clone(), &opts).unwrap();
        let mut stream = fitted.stream(first).unwrap();
        let again = stream.prepare(outs[0].clone()).unwrap();
        assert_eq!(
            stream.add(again).unwrap_err().to_string(),
            "model 'model0' was given twice; model names must be unique"
        );
        let unnamed = stream.prepare(outs[2].clone()).unwrap_err();
        assert_eq!(
            unnamed.to_string(),
            "expected one of the models [model0, model1], found 'model2'"
        );
        assert_eq!(
            stream.finish().unwrap_err().to_string(),
            "expected a prediction of every model the fuser was fitted on; not given: model1"
        );
    }

    #[test]
    fn methods_that_need_every_model_at_once_do_not_stream() {
        let outs = outputs(7, 3, 30, 3, true, false);
        for spec in [
            r#"{"method": "median"}"#,
            r#"{"method": "rank"}"#,
            r#"{"method": "stacking"}"#,
            r#"{"method": "vote", "tie": "best-model"}"#,
        ] {
            assert!(!fitted(spec, &outs).streams(), "{spec}");
        }
        for spec in STREAMING {
            assert!(fitted(spec, &outs).streams(), "{spec}");
        }
    }
}
