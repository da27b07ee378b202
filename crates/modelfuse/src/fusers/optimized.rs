//! `optimized`: weights on the simplex that minimise the log-loss of the
//! weighted mean (or of the weighted geometric mean, or the squared error for
//! regression), or, with `by`, that a derivative-free search finds best for
//! any metric. The solvers are [`crate::learn::simplex`]'s; the fused output
//! is a [`WeightedMean`] or a weighted [`GeometricMean`].

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuser::Fitted;
use crate::fusers::method::{FitContext, FittedState, MethodParams, SpecOptions};
use crate::fusers::{GeometricMean, WeightedMean, unsupported};
use crate::learn::simplex;
use crate::metrics::Metric;
use crate::predictions::Task;

/// The parameters of `optimized`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizedParams {
    /// A metric to optimise instead of the loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Metric>,
    /// Optimise the weights of a weighted geometric mean.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub geometric: bool,
}

impl MethodParams for OptimizedParams {
    const NAME: &'static str = "optimized";
    const OPTIONS: &'static [&'static str] = &["by", "geometric"];

    fn from_options(o: &SpecOptions) -> Result<Self> {
        Ok(OptimizedParams {
            by: o.by,
            geometric: o.geometric,
        })
    }

    fn needs_targets(&self) -> bool {
        true
    }

    fn describe(&self, task: Task) -> String {
        let what = if self.geometric { "geometric, " } else { "" };
        match self.by {
            Some(m) => format!("optimized ({what}{m})"),
            None if task == Task::Regression => format!("optimized ({what}squared error)"),
            None => format!("optimized ({what}log_loss)"),
        }
    }

    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState> {
        let (preds, t) = (cx.preds, cx.targets_for(Self::NAME)?);
        let objective = match (preds.task(), self.geometric) {
            (Task::Regression, false) => simplex::Objective::SquaredError,
            (Task::Regression, true) => {
                return Err(unsupported(
                    "the geometric mean",
                    Task::Regression,
                    "; use optimized without --geometric",
                ));
            }
            (_, false) => simplex::Objective::LogLoss,
            (_, true) => simplex::Objective::GeometricLogLoss,
        };
        let weights = match self.by {
            None => {
                simplex::optimize_weights(preds, t, objective, &simplex::SimplexOptions::default())?
                    .0
            }
            Some(_) if self.geometric => {
                return Err(Error::unsupported(
                    "optimized --by searches the weights of the arithmetic mean; drop --geometric or --by",
                ));
            }
            Some(metric) => {
                simplex::search_weights(preds, t, metric, &simplex::SearchOptions::default())?.0
            }
        };
        Ok(FittedState {
            weights: Some(weights),
            ..FittedState::default()
        })
    }

    fn build(&self, state: &FittedState, _n_models: usize) -> Result<Box<dyn Fitted>> {
        let weights = state.weights_for(Self::NAME)?;
        Ok(if self.geometric {
            Box::new(GeometricMean::with_weights(weights))
        } else {
            Box::new(WeightedMean::new(weights))
        })
    }
}
