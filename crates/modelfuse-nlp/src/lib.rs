//! Fuse the outputs of NLP systems that are not class probabilities: named
//! entity taggers ([`ner`]), extractive question answering systems
//! ([`qa`]) and text generators such as translation systems ([`generate`]).
//!
//! # Overview
//!
//! The three tasks have one shape, and the same parts as classification
//! fusion in the core `modelfuse` crate:
//!
//! | part | [`ner`] | [`qa`] | [`generate`] |
//! |---|---|---|---|
//! | readers (parse once, check) | [`ner::parse_conll`], [`ner::Systems`] | [`qa::Dataset`], [`qa::SystemAnswers`] | [`generate::Candidates`] |
//! | metrics equal to the reference tool | seqeval ([`ner::evaluate`]) | official SQuAD scripts ([`qa::evaluate`]) | sacrebleu ([`generate::Chrf`], [`generate::Bleu`]) |
//! | settings → `fit` → fitted | [`ner::NerFuser::fit`] → [`ner::FittedNer`] | [`qa::QaFuser::fit`] → [`qa::FittedQa`] | [`generate::WeightSearch::fit`] → [`generate::FittedMbr`] |
//! | `predict` | [`ner::FittedNer::predict`] | [`qa::FittedQa::predict`] | [`generate::Mbr::predict`] |
//! | honest comparison on seeded halves | [`ner::halves`] | [`qa::halves`], [`qa::cross_fit`] | [`generate::report()`] |
//!
//! Shared with the core, so the tasks cannot drift apart:
//!
//! * **Weight learning** is coordinate ascent over a grid on the core's
//!   one solver, [`modelfuse::learn::grid`] (itself on
//!   [`modelfuse::learn::driver`]): each task supplies its grid and score;
//!   the visiting order, the tie rule (the first best candidate wins, and
//!   moves only when strictly better than the current state by more than a
//!   task's margin) and the stopping rule are the solver's.
//! * **Halves**: NER and QA split with [`modelfuse::learn::folds::halves`],
//!   so a seed means the same split for both. (`generate`'s report keeps its
//!   contiguous halves of the segment order, [`generate::halves`], which its
//!   published numbers were measured with.)
//! * **Saved files** use the core's one versioned envelope
//!   ([`modelfuse::format`]): the version in `modelfuse` (checked first, so
//!   a newer file says so), the task in `task` (`ner`, `qa`, `generate`),
//!   then the body; files of the older layouts still load. Saved weights
//!   are checked by [`modelfuse::Weights`].
//!
//! This crate does no file I/O: parsers take text and a source name for
//! error messages; the `modelfuse` CLI reads and writes the files.
//!
//! # Example
//!
//! Fit span voting with learned weights on two labelled sentences, save,
//! load and predict:
//!
//! ```
//! use modelfuse_nlp::ner::{FittedNer, NerFuser, NerMethod, Systems, Tag};
//!
//! let tags = |s: &str| s.split(' ').map(Tag::parse).collect::<Result<Vec<_>, _>>();
//! let gold = vec![tags("B-PER I-PER O")?, tags("O B-LOC O")?];
//! let systems = Systems::from_tags(
//!     vec![
//!         ("good".to_string(), gold.clone()),
//!         ("noisy1".to_string(), vec![tags("B-PER O O")?, tags("B-LOC O O")?]),
//!         ("noisy2".to_string(), vec![tags("B-PER O O")?, tags("B-LOC O O")?]),
//!     ],
//!     [],
//! )?;
//! let mut settings = NerFuser::new(NerMethod::SpanVote);
//! settings.learn = true;
//! let fitted = settings.fit(&systems, Some(&gold), &[0, 1])?;
//! assert_eq!(fitted.fit.unwrap().f1, 1.0);
//!
//! let saved = fitted.to_json();
//! assert!(saved.starts_with("{\n  \"modelfuse\": 1,\n  \"task\": \"ner\""));
//! let loaded = FittedNer::from_json(&saved)?;
//! assert_eq!(loaded.predict(&systems)?, gold);
//! # Ok::<(), modelfuse_nlp::Error>(())
//! ```

#![deny(missing_docs)]

mod error;
pub mod generate;
pub mod ner;
pub mod qa;
mod saved;

pub use error::{Error, ErrorKind, Location, Result};

/// The version of the fitted-fuser JSON files this crate writes (NER, QA
/// and MBR fitter files alike): the core's one [`modelfuse::format`]
/// version; newer versions are refused on load.
pub const FORMAT_VERSION: u32 = modelfuse::format::FORMAT_VERSION;
