//! Text preparation exactly as sacrebleu 2.6.0 does it: Python's notion of
//! whitespace, and the `13a` and `zh` tokenisers of BLEU.
//!
//! Every function here returns the same string as its sacrebleu twin, so
//! n-gram counts, and hence scores, agree to the last bit. The rules look
//! arbitrary in places; where they do, the comment says which sacrebleu quirk
//! is being reproduced, so nobody "fixes" it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, ErrorKind};

/// Python's `str.isspace`: Unicode `White_Space` plus the four ASCII
/// information separators U+001C..U+001F, which Python (bidi classes B and S)
/// treats as whitespace and Rust's `char::is_whitespace` does not. `split()`,
/// `strip()` and `rstrip()` in sacrebleu all use this set.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `s.split()`: maximal runs of non-whitespace.
pub fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_space).filter(|w| !w.is_empty())
}

/// The tokeniser applied before BLEU counts words (sacrebleu `--tokenize`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tokenizer {
    /// `13a`, sacrebleu's default: mteval-v13a's punctuation splitting.
    #[default]
    #[serde(rename = "13a")]
    Thirteen,
    /// `zh`: every CJK character (sacrebleu's ranges) is its own token, then
    /// `13a`'s punctuation rules. Use it for Chinese targets.
    Zh,
}

impl Tokenizer {
    /// The name sacrebleu and the command line use: `13a` or `zh`.
    pub fn name(self) -> &'static str {
        match self {
            Tokenizer::Thirteen => "13a",
            Tokenizer::Zh => "zh",
        }
    }

    /// Tokenises one segment as sacrebleu's BLEU does, including its
    /// `rstrip()` of the segment: the tokens joined by single spaces.
    pub fn tokenize(self, segment: &str) -> String {
        let segment = segment.trim_end_matches(is_py_space);
        match self {
            Tokenizer::Thirteen => tokenize_13a(segment),
            Tokenizer::Zh => tokenize_zh(segment),
        }
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tokenizer {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "13a" => Ok(Tokenizer::Thirteen),
            "zh" => Ok(Tokenizer::Zh),
            _ => Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("unknown tokenizer {s:?}: expected 13a or zh"),
            )),
        }
    }
}

/// sacrebleu's `Tokenizer13a`: markup replacements, then the shared regular
/// expressions on the segment padded with a space on each side.
fn tokenize_13a(line: &str) -> String {
    let mut line = line.replace("<skipped>", "").replace("-\n", "");
    line = line.replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    post_tokenize(&format!(" {line} "))
}

/// sacrebleu's `TokenizerZh`: strip, put spaces around every character in
/// its CJK ranges, then the shared regular expressions.
fn tokenize_zh(line: &str) -> String {
    let line = line.trim_matches(is_py_space);
    let mut out = String::with_capacity(line.len() * 2);
    for c in line.chars() {
        if is_zh_char(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    post_tokenize(&out)
}

/// The ranges of sacrebleu's `_UCODE_RANGES`. Two of its entries are written
/// `u'\u20000'` and `u'\u2f800'` (meant as U+20000 and U+2F800): Python reads
/// them as a four-digit escape plus a digit, a two-character string, and
/// compares single characters to it lexicographically. The effective ranges
/// are therefore U+2001..=U+2A6D and U+2F81..=U+2FA1 (which sweeps in general
/// punctuation such as dashes and curly quotes), and the supplementary-plane
/// ideographs are not split. We reproduce what sacrebleu does, not what it
/// meant.
const ZH_RANGES: &[(u32, u32)] = &[
    (0x3400, 0x4db5),
    (0x4e00, 0x9fa5),
    (0x9fa6, 0x9fbb),
    (0xf900, 0xfa2d),
    (0xfa30, 0xfa6a),
    (0xfa70, 0xfad9),
    (0x2001, 0x2a6d),
    (0x2f81, 0x2fa1),
    (0xff00, 0xffef),
    (0x2e80, 0x2eff),
    (0x3000, 0x303f),
    (0x31c0, 0x31ef),
    (0x2f00, 0x2fdf),
    (0x2ff0, 0x2fff),
    (0x3100, 0x312f),
    (0x31a0, 0x31bf),
    (0xfe10, 0xfe1f),
    (0xfe30, 0xfe4f),
    (0x2600, 0x26ff),
    (0x2700, 0x27bf),
    (0x3200, 0x32ff),
    (0x3300, 0x33ff),
];

fn is_zh_char(c: char) -> bool {
    let c = c as u32;
    ZH_RANGES.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

/// The character class of 13a's first rule, `[\{-\~\[-\` -\&\(-\+\:-\@\/]`:
/// ASCII symbols except `'`, `,`, `-` and `.`.
fn is_13a_symbol(c: char) -> bool {
    matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

/// sacrebleu's `TokenizerRegexp`: four substitutions applied in turn, each
/// left to right without overlapping matches (as `re.sub` does), then
/// whitespace runs collapsed. The two-character rules are emulated by a scan
/// that consumes both characters of a match, which is exactly `re.sub`'s
/// behaviour for fixed-width patterns.
fn post_tokenize(line: &str) -> String {
    // Rule 1: pad the symbols with spaces.
    let mut s = String::with_capacity(line.len() * 2);
    for c in line.chars() {
        if is_13a_symbol(c) {
            s.push(' ');
            s.push(c);
            s.push(' ');
        } else {
            s.push(c);
        }
    }
    let digit = |c: char| c.is_ascii_digit();
    let period = |c: char| c == '.' || c == ',';
    // Rule 2: `([^0-9])([\.,])` -> `\1 \2 `.
    let s = pairwise(
        &s,
        |a, b| !digit(a) && period(b),
        |a, b, out| {
            out.push(a);
            out.push(' ');
            out.push(b);
            out.push(' ');
        },
    );
    // Rule 3: `([\.,])([^0-9])` -> ` \1 \2`.
    let s = pairwise(
        &s,
        |a, b| period(a) && !digit(b),
        |a, b, out| {
            out.push(' ');
            out.push(a);
            out.push(' ');
            out.push(b);
        },
    );
    // Rule 4: `([0-9])(-)` -> `\1 \2 `.
    let s = pairwise(
        &s,
        |a, b| digit(a) && b == '-',
        |a, b, out| {
            out.push(a);
            out.push(' ');
            out.push(b);
            out.push(' ');
        },
    );
    let mut out = String::with_capacity(s.len());
    for w in py_split(&s) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// One `re.sub` of a two-character pattern: scan left to right; on a match,
/// emit the replacement and skip both characters.
fn pairwise(
    s: &str,
    matches: impl Fn(char, char) -> bool,
    replace: impl Fn(char, char, &mut String),
) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && matches(chars[i], chars[i + 1]) {
            replace(chars[i], chars[i + 1], &mut out);
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_13a_splits_punctuation_but_not_numbers() {
        let t = Tokenizer::Thirteen;
        assert_eq!(t.tokenize("Hello, world."), "Hello , world .");
        assert_eq!(
            t.tokenize("It costs 3.50 (or 1,000)!"),
            "It costs 3.50 ( or 1,000 ) !"
        );
        assert_eq!(t.tokenize("2020-2021 &amp; don't"), "2020 - 2021 & don't");
        assert_eq!(t.tokenize("  trailing   \t"), "trailing");
    }

    #[test]
    fn tokenize_13a_matches_like_re_sub_without_overlap() {
        // "a.." : rule 2 takes "a." then the second "." has no left partner
        // left to match; rule 3 then splits ". ." from what follows.
        assert_eq!(Tokenizer::Thirteen.tokenize("a..b"), "a . . b");
    }

    #[test]
    fn tokenize_zh_splits_cjk_characters_and_the_quirky_punctuation_range() {
        let t = Tokenizer::Zh;
        assert_eq!(t.tokenize("我们今天 OK。"), "我 们 今 天 OK 。");
        // U+201C/U+201D fall in sacrebleu's accidental U+2001..=U+2A6D range.
        assert_eq!(t.tokenize("\u{201c}hi\u{201d}"), "\u{201c} hi \u{201d}");
    }

    #[test]
    fn python_whitespace_includes_information_separators() {
        assert_eq!(py_split("a\u{1f}b c").collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn tokenizer_names_round_trip() {
        for t in [Tokenizer::Thirteen, Tokenizer::Zh] {
            assert_eq!(t.name().parse::<Tokenizer>().unwrap(), t);
        }
        assert!("intl".parse::<Tokenizer>().is_err());
    }
}
