//! Tags (`O`, `B-x`, `I-x`, `E-x`, `S-x`) and the dense label set fusers
//! work in.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};

/// The position part of a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prefix {
    /// Outside any entity.
    O,
    /// The first token of an entity.
    B,
    /// A token inside an entity.
    I,
    /// The last token of an entity (IOBES).
    E,
    /// A single-token entity (IOBES).
    S,
}

/// One token's tag: a [`Prefix`] and, unless it is `O`, an entity type.
///
/// Parsed once from text by [`Tag::parse`], which accepts exactly `O` and
/// `P-type` with `P` one of `B`, `I`, `E`, `S` and a non-empty type that
/// neither starts nor ends with `-`. On that set, seqeval's two ways of
/// reading a type (`tag[1:].split('-', 1)[-1]` in the default mode,
/// `tag[1:].strip('-')` in the strict one) agree, which is why the rest is
/// refused rather than guessed at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    prefix: Prefix,
    kind: String,
}

impl Tag {
    /// The `O` tag.
    pub fn outside() -> Tag {
        Tag {
            prefix: Prefix::O,
            kind: String::new(),
        }
    }

    /// A tag with a prefix other than `O` and an entity type.
    ///
    /// # Panics
    ///
    /// When `prefix` is [`Prefix::O`] or `kind` is empty: an internal misuse.
    pub fn new(prefix: Prefix, kind: &str) -> Tag {
        assert!(
            prefix != Prefix::O && !kind.is_empty(),
            "Tag::new needs B, I, E or S and a type"
        );
        Tag {
            prefix,
            kind: kind.to_string(),
        }
    }

    /// Parses `O`, `B-x`, `I-x`, `E-x` or `S-x`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for anything else, quoting the tag.
    pub fn parse(s: &str) -> Result<Tag> {
        if s == "O" {
            return Ok(Tag::outside());
        }
        let bad = || {
            Error::new(
                ErrorKind::Format,
                format!("expected a tag O, B-x, I-x, E-x or S-x, found '{s}'"),
            )
        };
        let mut chars = s.chars();
        let prefix = match chars.next() {
            Some('B') => Prefix::B,
            Some('I') => Prefix::I,
            Some('E') => Prefix::E,
            Some('S') => Prefix::S,
            _ => return Err(bad()),
        };
        let kind = chars.as_str().strip_prefix('-').ok_or_else(bad)?;
        if kind.is_empty() || kind.starts_with('-') || kind.ends_with('-') {
            return Err(bad());
        }
        Ok(Tag {
            prefix,
            kind: kind.to_string(),
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> Prefix {
        self.prefix
    }

    /// The entity type; empty for `O`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether this is `O`.
    pub fn is_outside(&self) -> bool {
        self.prefix == Prefix::O
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = match self.prefix {
            Prefix::O => return f.write_str("O"),
            Prefix::B => 'B',
            Prefix::I => 'I',
            Prefix::E => 'E',
            Prefix::S => 'S',
        };
        write!(f, "{p}-{}", self.kind)
    }
}

/// The IOB2 labels fusers vote over: `O`, then `B-t`, `I-t` for each entity
/// type `t` in sorted order. Label `0` is `O`; type `k` has `B` at `1 + 2k`
/// and `I` at `2 + 2k`. The order is the tie-break order wherever a fuser
/// must pick between equally supported labels (lowest index wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSet {
    types: Vec<String>,
}

impl LabelSet {
    /// The label set of these entity types (sorted and deduplicated here).
    pub fn new(types: impl IntoIterator<Item = String>) -> LabelSet {
        let mut types: Vec<String> = types.into_iter().collect();
        types.sort();
        types.dedup();
        LabelSet { types }
    }

    /// The entity types, sorted.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// The number of labels, `1 + 2 · types`.
    pub fn len(&self) -> usize {
        1 + 2 * self.types.len()
    }

    /// Always false: `O` is always a label.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The index of an entity type.
    pub fn type_index(&self, kind: &str) -> Option<usize> {
        self.types.binary_search_by(|t| t.as_str().cmp(kind)).ok()
    }

    /// The label of `tag` in IOB2: `S-x` counts as `B-x` and `E-x` as `I-x`,
    /// so IOBES systems can be fused with IOB2 ones (the repair or decoding
    /// that follows restores a valid IOB2 sequence).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] when the tag's type is not in the set.
    pub fn label(&self, tag: &Tag) -> Result<usize> {
        if tag.is_outside() {
            return Ok(0);
        }
        let k = self.type_index(tag.kind()).ok_or_else(|| {
            Error::new(
                ErrorKind::Mismatch,
                format!(
                    "expected an entity type among [{}], found '{}'",
                    self.types.join(", "),
                    tag.kind()
                ),
            )
        })?;
        Ok(match tag.prefix() {
            Prefix::B | Prefix::S => 1 + 2 * k,
            _ => 2 + 2 * k,
        })
    }

    /// The tag of a label index.
    ///
    /// # Panics
    ///
    /// When `label >= self.len()`.
    pub fn tag(&self, label: usize) -> Tag {
        assert!(label < self.len(), "label {label} out of range");
        if label == 0 {
            return Tag::outside();
        }
        let kind = &self.types[(label - 1) / 2];
        if label % 2 == 1 {
            Tag::new(Prefix::B, kind)
        } else {
            Tag::new(Prefix::I, kind)
        }
    }

    /// The name of a label (`O`, `B-x`, `I-x`).
    pub fn name(&self, label: usize) -> String {
        self.tag(label).to_string()
    }
}

/// Whether label `next` may follow label `prev` in IOB2 (`prev = None` at
/// the start of a sentence): `I-x` only after `B-x` or `I-x`.
pub fn allowed(prev: Option<usize>, next: usize) -> bool {
    if next == 0 || next % 2 == 1 {
        return true;
    }
    match prev {
        Some(p) if p != 0 => (p - 1) / 2 == (next - 1) / 2,
        _ => false,
    }
}

/// Whether a label sequence is valid IOB2 (every `I-x` continues an `x`).
pub fn is_valid_iob2(labels: &[usize]) -> bool {
    let mut prev = None;
    for &l in labels {
        if !allowed(prev, l) {
            return false;
        }
        prev = Some(l);
    }
    true
}

/// Makes a label sequence valid IOB2 by the conlleval reading: an `I-x` that
/// does not continue an `x` entity (after `O`, at the start, or after a
/// different type) starts one, so it becomes `B-x`. Valid sequences are left
/// as they are, and the entities conlleval reads are unchanged by the repair.
pub fn repair_iob2(labels: &mut [usize]) {
    let mut prev = None;
    for l in labels.iter_mut() {
        if !allowed(prev, *l) {
            *l -= 1;
        }
        prev = Some(*l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_and_print_back() {
        for s in ["O", "B-person", "I-creative-work", "E-x", "S-LOC"] {
            assert_eq!(Tag::parse(s).unwrap().to_string(), s);
        }
        for s in ["", "o", "B", "B-", "B--x", "B-x-", "X-y", "BPER", "O-x"] {
            let e = Tag::parse(s).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Format, "{s}");
        }
        assert_eq!(
            Tag::parse("PER").unwrap_err().to_string(),
            "expected a tag O, B-x, I-x, E-x or S-x, found 'PER'"
        );
    }

    #[test]
    fn label_set_orders_o_then_b_i_per_type() {
        let set = LabelSet::new(["per".to_string(), "loc".to_string()]);
        let names: Vec<String> = (0..set.len()).map(|l| set.name(l)).collect();
        assert_eq!(names, ["O", "B-loc", "I-loc", "B-per", "I-per"]);
        assert_eq!(set.label(&Tag::parse("S-per").unwrap()).unwrap(), 3);
        assert_eq!(set.label(&Tag::parse("E-loc").unwrap()).unwrap(), 2);
        assert_eq!(
            set.label(&Tag::parse("B-org").unwrap()).unwrap_err().kind(),
            ErrorKind::Mismatch
        );
    }

    #[test]
    fn repair_turns_orphan_inside_into_begin() {
        // O I-loc I-per B-per I-per
        let mut l = vec![0, 2, 4, 3, 4];
        repair_iob2(&mut l);
        assert_eq!(l, [0, 1, 3, 3, 4]);
        assert!(is_valid_iob2(&l));
        assert!(!is_valid_iob2(&[2]));
    }
}
