//! `soft-vote`: the (optionally weighted) mean of probabilities, as
//! scikit-learn's `VotingClassifier(voting="soft")`; fused by [`WeightedMean`].

use crate::fusers::WeightedMean;
use crate::weights::Weights;

crate::fusers::method::optional_weights_params! {
    /// The parameters of `soft-vote`.
    SoftVoteParams, "soft-vote", |weights, n| {
        WeightedMean::new(weights.cloned().unwrap_or_else(|| Weights::uniform(n)))
    }
}
