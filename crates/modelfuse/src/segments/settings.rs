//! The settings of serial fusion: how segments are pooled and which fusion
//! comes first. A leaf: the saved form ([`crate::FittedFuser`]) records them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a document's segments are pooled into one prediction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// The mean of the segments' predictions.
    #[default]
    Mean,
    /// The per-class maximum (renormalised for single-label tasks).
    Max,
    /// The mean weighted by segment length.
    Length,
    /// The majority class's segments, averaged.
    Majority,
    /// A meta-model over pooled statistics, fitted on labelled documents.
    Learned,
}

impl Pooling {
    /// Every pooling, in command-line order.
    pub const ALL: [Pooling; 5] = [
        Pooling::Mean,
        Pooling::Max,
        Pooling::Length,
        Pooling::Majority,
        Pooling::Learned,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Max => "max",
            Pooling::Length => "length",
            Pooling::Majority => "majority",
            Pooling::Learned => "learned",
        }
    }
}

impl fmt::Display for Pooling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Pooling {
    type Err = Error;
    fn from_str(s: &str) -> Result<Pooling> {
        Pooling::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::param(format!(
                    "expected a pooling among [mean, max, length, majority, learned], found '{s}'"
                ))
            })
    }
}

/// Which fusion comes first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Pool each model's segments into documents, then fuse the models.
    #[default]
    SegmentsFirst,
    /// Fuse the models segment by segment, then pool the fused segments.
    ModelsFirst,
}

impl Order {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Order::SegmentsFirst => "segments-first",
            Order::ModelsFirst => "models-first",
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Order {
    type Err = Error;
    fn from_str(s: &str) -> Result<Order> {
        match s {
            "segments-first" => Ok(Order::SegmentsFirst),
            "models-first" => Ok(Order::ModelsFirst),
            _ => Err(Error::param(format!(
                "expected an order among [segments-first, models-first], found '{s}'"
            ))),
        }
    }
}

/// The segment settings of a fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentSettings {
    /// How segments are pooled.
    pub pooling: Pooling,
    /// Which fusion comes first.
    pub order: Order,
}
