//! Reading tagged text: CoNLL-style files (one system each) and column files
//! (one column per system), and checking that systems line up with the gold.
//!
//! # CoNLL files
//!
//! One token per line; the fields are separated by spaces or tabs (any
//! number); the **first** field is the token and the **last** the tag, so
//! files with extra columns (POS, chunk) read as they are. A blank line (or
//! one of only spaces and tabs) ends a sentence; several blank lines count
//! as one. Line ends may be LF or CRLF. Lines whose first field is
//! `-DOCSTART-` are skipped and end the current sentence. A final sentence
//! needs no trailing blank line.
//!
//! Only ASCII spaces and tabs separate fields: a token made of other Unicode
//! white space (a no-break space, say) stays a token.
//!
//! # Column files
//!
//! Tab-separated, with a header `sent_id tok_id token gold <system>…`; one
//! row per token; a change of `sent_id` starts a new sentence. The column
//! named `gold` is the reference; every column after it is a system, named
//! by its header.

use crate::error::{Error, ErrorKind, Result};
use crate::ner::tag::Tag;

/// One sentence of one file: its tokens, their tags, and the 1-based line
/// of each token in the file (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// The tokens, as written.
    pub tokens: Vec<String>,
    /// One tag per token.
    pub tags: Vec<Tag>,
    /// The line of each token.
    pub lines: Vec<usize>,
    /// The line just after the sentence (its blank line, or one past the
    /// end of the file): where a missing token was expected.
    pub end_line: usize,
}

impl Sentence {
    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the sentence has no tokens (never true for parsed files).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// A tagged text: a source name (the file, for messages) and its sentences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tagged {
    /// Where it came from, used in every message about it.
    pub source: String,
    /// The sentences in file order.
    pub sentences: Vec<Sentence>,
}

impl Tagged {
    /// The tags of every sentence.
    pub fn tags(&self) -> Vec<Vec<Tag>> {
        self.sentences.iter().map(|s| s.tags.clone()).collect()
    }

    /// The total number of tokens.
    pub fn n_tokens(&self) -> usize {
        self.sentences.iter().map(Sentence::len).sum()
    }
}

fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split([' ', '\t']).filter(|f| !f.is_empty())
}

/// Parses a CoNLL-style text (see the [module docs](self)).
///
/// # Errors
///
/// [`ErrorKind::Format`] naming `source` and the line: a line with only one
/// field (no tag), a tag that is not `O`, `B-x`, `I-x`, `E-x` or `S-x`; and
/// a text without any token.
pub fn parse_conll(text: &str, source: &str) -> Result<Tagged> {
    let mut sentences = Vec::new();
    let mut current = Sentence {
        tokens: Vec::new(),
        tags: Vec::new(),
        lines: Vec::new(),
        end_line: 0,
    };
    let flush = |current: &mut Sentence, sentences: &mut Vec<Sentence>, end_line: usize| {
        if !current.is_empty() {
            current.end_line = end_line;
            sentences.push(std::mem::replace(
                current,
                Sentence {
                    tokens: Vec::new(),
                    tags: Vec::new(),
                    lines: Vec::new(),
                    end_line: 0,
                },
            ));
        }
    };
    let mut n_lines = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        n_lines = line_no;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let mut f = fields(line);
        let Some(token) = f.next() else {
            flush(&mut current, &mut sentences, line_no);
            continue;
        };
        if token == "-DOCSTART-" {
            flush(&mut current, &mut sentences, line_no);
            continue;
        }
        let Some(tag) = f.last() else {
            return Err(Error::new(
                ErrorKind::Format,
                format!(
                    "expected a token and a tag separated by white space, found only '{token}'"
                ),
            )
            .with_source(source)
            .with_line(line_no));
        };
        let tag = Tag::parse(tag).map_err(|e| e.with_source(source).with_line(line_no))?;
        current.tokens.push(token.to_string());
        current.tags.push(tag);
        current.lines.push(line_no);
    }
    // A text ending in '\n' splits into a last empty piece; the sentence
    // before it ends on that (non-existent) line either way.
    flush(&mut current, &mut sentences, n_lines + 1);
    if sentences.is_empty() {
        return Err(
            Error::new(ErrorKind::Format, "expected tagged tokens, found none").with_source(source),
        );
    }
    Ok(Tagged {
        source: source.to_string(),
        sentences,
    })
}

/// Parses a column file (see the [module docs](self)) into the gold and one
/// [`Tagged`] per system, each with source `"<source>:<column>"`.
///
/// # Errors
///
/// [`ErrorKind::Format`] naming the line: a header without `sent_id`,
/// `tok_id`, `token` and `gold` first or without systems, a row with the
/// wrong number of fields, a bad tag, no rows.
pub fn parse_columns(text: &str, source: &str) -> Result<(Tagged, Vec<Tagged>)> {
    let mut lines = text.split('\n').enumerate().map(|(i, l)| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        (i + 1, l)
    });
    let fmt = |line: usize, msg: String| {
        Error::new(ErrorKind::Format, msg)
            .with_source(source)
            .with_line(line)
    };
    let (_, header) = lines
        .next()
        .ok_or_else(|| fmt(1, "expected a header, found nothing".into()))?;
    let names: Vec<&str> = header.split('\t').map(str::trim).collect();
    if names.len() < 5 || names[..4] != ["sent_id", "tok_id", "token", "gold"] {
        return Err(fmt(
            1,
            format!(
                "expected the header 'sent_id tok_id token gold <system>…' (tab-separated), found '{}'",
                names.join(" ")
            ),
        ));
    }
    let n_cols = names.len();
    let mut texts: Vec<Tagged> = names[3..]
        .iter()
        .map(|n| Tagged {
            source: format!("{source}:{n}"),
            sentences: Vec::new(),
        })
        .collect();
    let mut prev_id: Option<String> = None;
    for (line_no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() != n_cols {
            return Err(fmt(
                line_no,
                format!(
                    "expected {n_cols} tab-separated fields, found {}",
                    cells.len()
                ),
            ));
        }
        let new_sentence = prev_id.as_deref() != Some(cells[0]);
        prev_id = Some(cells[0].to_string());
        for (t, cell) in texts.iter_mut().zip(&cells[3..]) {
            let tag = Tag::parse(cell.trim()).map_err(|e| {
                e.with_source(source)
                    .with_line(line_no)
                    .with_item(format!("column '{}'", t.source))
            })?;
            if new_sentence {
                if let Some(last) = t.sentences.last_mut() {
                    last.end_line = line_no;
                }
                t.sentences.push(Sentence {
                    tokens: Vec::new(),
                    tags: Vec::new(),
                    lines: Vec::new(),
                    end_line: 0,
                });
            }
            let s = t.sentences.last_mut().expect("a sentence was just pushed");
            s.tokens.push(cells[2].to_string());
            s.tags.push(tag);
            s.lines.push(line_no);
        }
    }
    let end = text.split('\n').count() + 1;
    for t in &mut texts {
        if let Some(last) = t.sentences.last_mut() {
            last.end_line = end;
        }
    }
    if texts[0].sentences.is_empty() {
        return Err(
            Error::new(ErrorKind::Format, "expected token rows, found none").with_source(source),
        );
    }
    let gold = texts.remove(0);
    Ok((gold, texts))
}

/// Checks that `system` has the sentences and tokens of `gold`: the same
/// number of sentences, and in each the same number of tokens. Token strings
/// are not compared, because systems normalise them (one WNUT-17 team wrote
/// `get` for `gt`) while their tags still line up.
///
/// # Errors
///
/// [`ErrorKind::Mismatch`] naming the system's source, the line where the
/// first difference shows, the sentence (0-based), and what was expected
/// (from the gold, with its line) and found.
pub fn check_aligned(gold: &Tagged, system: &Tagged) -> Result<()> {
    for (i, (g, s)) in gold.sentences.iter().zip(&system.sentences).enumerate() {
        if g.len() != s.len() {
            let line = if s.len() < g.len() {
                s.end_line
            } else {
                s.lines[g.len()]
            };
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "expected {} tokens (as in {} from line {}), found {}",
                    g.len(),
                    gold.source,
                    g.lines[0],
                    s.len()
                ),
            )
            .with_source(system.source.clone())
            .with_line(line)
            .with_item(format!("sentence {i}")));
        }
    }
    let (ng, ns) = (gold.sentences.len(), system.sentences.len());
    if ng != ns {
        let line = if ns < ng {
            system.sentences.last().map_or(1, |s| s.end_line)
        } else {
            system.sentences[ng].lines[0]
        };
        return Err(Error::new(
            ErrorKind::Mismatch,
            format!(
                "expected {ng} sentences (as in {}), found {ns}",
                gold.source
            ),
        )
        .with_source(system.source.clone())
        .with_line(line)
        .with_item(format!("sentence {}", ng.min(ns))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conll_reads_crlf_docstart_extra_columns_and_no_final_blank() {
        let text = "-DOCSTART- -X- O\r\n\r\nJohn NNP B-PER\r\nlives\tO\r\n\r\n\r\nParis  B-LOC";
        let t = parse_conll(text, "a.conll").unwrap();
        assert_eq!(t.sentences.len(), 2);
        assert_eq!(t.sentences[0].tokens, ["John", "lives"]);
        assert_eq!(t.sentences[0].tags[0].to_string(), "B-PER");
        assert_eq!(t.sentences[0].lines, [3, 4]);
        assert_eq!(t.sentences[0].end_line, 5);
        assert_eq!(t.sentences[1].tokens, ["Paris"]);
        assert_eq!(t.sentences[1].end_line, 8);
    }

    #[test]
    fn conll_errors_name_file_and_line() {
        let e = parse_conll("a O\nb\n", "x.conll").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        assert_eq!(
            e.to_string(),
            "x.conll:2: expected a token and a tag separated by white space, found only 'b'"
        );
        let e = parse_conll("a O\nb B_PER\n", "x.conll").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.conll:2: expected a tag O, B-x, I-x, E-x or S-x, found 'B_PER'"
        );
        assert_eq!(
            parse_conll("\n\n", "e").unwrap_err().kind(),
            ErrorKind::Format
        );
    }

    #[test]
    fn misaligned_systems_are_named_with_line_and_sentence() {
        let gold = parse_conll("a O\nb O\n\nc O\n", "gold.conll").unwrap();
        let short = parse_conll("a O\n\nc O\n", "sys.conll").unwrap();
        let e = check_aligned(&gold, &short).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Mismatch);
        assert_eq!(
            e.to_string(),
            "sys.conll:2: sentence 0: expected 2 tokens (as in gold.conll from line 1), found 1"
        );
        let fewer = parse_conll("a O\nb O\n", "sys.conll").unwrap();
        assert_eq!(
            check_aligned(&gold, &fewer).unwrap_err().to_string(),
            "sys.conll:3: sentence 1: expected 2 sentences (as in gold.conll), found 1"
        );
        let same = parse_conll("x B-a\ny I-a\n\nz O", "sys.conll").unwrap();
        check_aligned(&gold, &same).unwrap();
    }

    #[test]
    fn columns_split_into_gold_and_systems() {
        let text = "sent_id\ttok_id\ttoken\tgold\tsa\tsb\n0\t0\tJohn\tB-PER\tB-PER\tO\n0\t1\tsays\tO\tO\tO\n1\t0\thi\tO\tO\tB-X\n";
        let (gold, systems) = parse_columns(text, "m.tsv").unwrap();
        assert_eq!(gold.sentences.len(), 2);
        assert_eq!(systems.len(), 2);
        assert_eq!(systems[1].source, "m.tsv:sb");
        assert_eq!(systems[1].sentences[1].tags[0].to_string(), "B-X");
        check_aligned(&gold, &systems[0]).unwrap();
        let e =
            parse_columns("sent_id\ttok_id\ttoken\tgold\tsa\n0\t0\tx\tO\n", "m.tsv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.tsv:2: expected 5 tab-separated fields, found 4"
        );
    }
}
