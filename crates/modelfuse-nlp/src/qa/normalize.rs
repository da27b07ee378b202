//! The official SQuAD answer normalisation, character for character.
//!
//! Both official scripts (v1.1 and v2.0) normalise an answer by, in this
//! order: Python's `str.lower()`; deleting every ASCII punctuation character
//! (`string.punctuation`); replacing each whole word `a`, `an` or `the` by a
//! space (`re.sub(r"\b(a|an|the)\b", " ", text)`); and collapsing whitespace
//! (`" ".join(text.split())`). Two answers are the same answer when their
//! normalised forms are equal, which is what exact match tests and what the
//! QA fusers vote on.
//!
//! Where Python and Rust disagree on Unicode, this module follows Python:
//! `str.split()` also splits on the ASCII separators U+001C–U+001F, which
//! Rust's `char::is_whitespace` does not count. Python's `\w` (a word
//! character for `\b`) is approximated by `char::is_alphanumeric` or `_`;
//! the two differ only on combining marks with the `Other_Alphabetic`
//! property (Rust counts them, Python does not), which matters only for an
//! article directly followed by such a mark.

/// Normalises an answer as the official SQuAD evaluation scripts do.
///
/// # Example
///
/// ```
/// use modelfuse_nlp::qa::normalize_answer;
///
/// assert_eq!(normalize_answer("The  Denver Broncos!"), "denver broncos");
/// assert_eq!(normalize_answer("an apple, a pear"), "apple pear");
/// assert_eq!(normalize_answer("Anne"), "anne");
/// ```
pub fn normalize_answer(text: &str) -> String {
    let lower = text.to_lowercase();
    let no_punct: String = lower
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    let no_articles = remove_articles(&no_punct);
    let mut out = String::with_capacity(no_articles.len());
    for word in python_split(&no_articles) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The tokens the official F1 compares: the normalised answer split on
/// whitespace (none for an empty answer).
pub fn answer_tokens(text: &str) -> Vec<String> {
    normalize_answer(text)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Python's `str.isspace()` for one character: Rust's whitespace plus the
/// ASCII information separators U+001C–U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` with no arguments: runs of whitespace separate,
/// and there are no empty pieces.
fn python_split(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_python_space).filter(|w| !w.is_empty())
}

/// A character of Python's `\w` (see the module documentation).
fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// `re.sub(r"\b(a|an|the)\b", " ", text)`: between word boundaries the
/// pattern can only match a whole run of word characters, so every such run
/// that is exactly `a`, `an` or `the` becomes one space.
fn remove_articles(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word_start: Option<usize> = None;
    let flush = |out: &mut String, word: &str| {
        if matches!(word, "a" | "an" | "the") {
            out.push(' ');
        } else {
            out.push_str(word);
        }
    };
    for (i, c) in text.char_indices() {
        if is_word_char(c) {
            word_start.get_or_insert(i);
        } else {
            if let Some(start) = word_start.take() {
                flush(&mut out, &text[start..i]);
            }
            out.push(c);
        }
    }
    if let Some(start) = word_start {
        flush(&mut out, &text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_follows_the_official_order_of_steps() {
        // Punctuation goes before articles: "the-end" becomes "theend".
        assert_eq!(normalize_answer("the-end"), "theend");
        // `_` is ASCII punctuation, so it goes before articles are matched.
        assert_eq!(normalize_answer("The (a) An the_x"), "thex");
        assert_eq!(normalize_answer("  A  "), "");
        assert_eq!(normalize_answer("théâtre the"), "théâtre");
        assert_eq!(normalize_answer("Ω the"), "ω");
        assert_eq!(normalize_answer("1\u{1f}2\u{a0}3"), "1 2 3");
        // Non-ASCII punctuation stays, as in Python.
        assert_eq!(normalize_answer("“quoted” — dash"), "“quoted” — dash");
        assert_eq!(normalize_answer("24–10"), "24–10");
    }

    #[test]
    fn tokens_of_an_empty_or_article_only_answer_are_empty() {
        assert!(answer_tokens("").is_empty());
        assert!(answer_tokens("the").is_empty());
        assert_eq!(
            answer_tokens("Santa Clara, California"),
            ["santa", "clara", "california"]
        );
    }
}
