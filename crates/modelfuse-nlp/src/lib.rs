//! Fuse the outputs of NLP systems that are not class probabilities: named
//! entity taggers ([`ner`]), extractive question answering systems
//! ([`qa`]) and text generators such as translation systems ([`generate`]).
//!
//! Each task has the same three parts as classification fusion in the core
//! `modelfuse` crate: readers that parse a system's output once and check it,
//! metrics that equal the reference tool's (seqeval for NER, the official
//! SQuAD scripts for QA), and fusers whose settings are separate from their
//! fitted state, which serialises to a versioned JSON file.
//!
//! This crate does no file I/O: parsers take text and a source name for
//! error messages; the `modelfuse` CLI reads and writes the files.

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
