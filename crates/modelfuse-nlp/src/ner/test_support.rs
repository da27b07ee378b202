//! Helpers shared by the NER modules' unit tests.

use super::tag::Tag;

/// Tags from a whitespace-separated string (`"B-PER I-PER O"`).
pub(crate) fn tags(s: &str) -> Vec<Tag> {
    s.split_whitespace()
        .map(|t| Tag::parse(t).unwrap())
        .collect()
}
