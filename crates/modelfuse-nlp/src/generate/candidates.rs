//! [`Candidates`]: the central type of generation fusion. Every system's
//! output for every segment, aligned, with each candidate's prior within its
//! system (one candidate per system for plain text; several for n-best lists).

use serde::Deserialize;

use crate::{Error, ErrorKind, Result};

/// One system's output, parsed but not yet aligned with the others.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemOutput {
    /// The system's name (the CLI uses the file name).
    pub name: String,
    /// Per segment, the system's candidates, best first, with their prior
    /// (within the segment, the priors of one system sum to 1).
    pub segments: Vec<Vec<(String, f64)>>,
}

impl SystemOutput {
    /// A plain-text output: one segment per line (`\n` or `\r\n`; a final
    /// newline ends the last line rather than starting an empty one).
    pub fn from_lines(name: impl Into<String>, text: &str) -> SystemOutput {
        SystemOutput {
            name: name.into(),
            segments: text.lines().map(|l| vec![(l.to_string(), 1.0)]).collect(),
        }
    }

    /// An n-best list in JSON Lines: one line per segment,
    /// `{"candidates": [{"text": "…", "score": -1.2}, …]}`, best first.
    /// `score` is optional (a log-probability or any score where higher is
    /// better); the priors are the softmax of the scores within the segment,
    /// or uniform when no candidate has one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] naming the line: not JSON, no candidates, a
    /// score on some candidates but not others, a non-finite score.
    pub fn from_nbest_jsonl(name: impl Into<String>, text: &str) -> Result<SystemOutput> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Line {
            candidates: Vec<Cand>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Cand {
            text: String,
            score: Option<f64>,
        }
        let name = name.into();
        let mut segments = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let at = |msg: String| {
                Error::new(ErrorKind::Format, msg)
                    .with_source(&name)
                    .with_line(i + 1)
            };
            let parsed: Line = serde_json::from_str(line).map_err(|e| {
                at(format!(
                    "expected {{\"candidates\": [{{\"text\": …, \"score\": …}}]}}, {e}"
                ))
            })?;
            if parsed.candidates.is_empty() {
                return Err(at("expected at least one candidate, found none".into()));
            }
            let scores: Vec<Option<f64>> = parsed.candidates.iter().map(|c| c.score).collect();
            let priors = if scores.iter().all(Option::is_none) {
                vec![1.0 / scores.len() as f64; scores.len()]
            } else if let Some(s) = scores.iter().copied().collect::<Option<Vec<f64>>>() {
                if s.iter().any(|v| !v.is_finite()) {
                    return Err(at("expected finite scores".into()));
                }
                softmax(&s)
            } else {
                return Err(at("expected a score on every candidate or on none".into()));
            };
            segments.push(
                parsed
                    .candidates
                    .into_iter()
                    .map(|c| c.text)
                    .zip(priors)
                    .collect(),
            );
        }
        Ok(SystemOutput { name, segments })
    }
}

fn softmax(s: &[f64]) -> Vec<f64> {
    let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = s.iter().map(|v| (v - max).exp()).collect();
    let z: f64 = e.iter().sum();
    e.into_iter().map(|v| v / z).collect()
}

/// One candidate of one segment.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The generated text.
    pub text: String,
    /// The index of its system in [`Candidates::systems`].
    pub system: usize,
    /// Its prior within its system for this segment (1 for plain text).
    pub prior: f64,
}

/// Every system's candidates for every segment, aligned.
///
/// Systems are sorted by name, so results never depend on the order the
/// files were given in; within a segment candidates are ordered by system,
/// then by n-best rank. That candidate order is the one tie rules and
/// pairwise score files refer to.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidates {
    systems: Vec<String>,
    segments: Vec<Vec<Candidate>>,
}

impl Candidates {
    /// Aligns the systems' outputs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] when no system is given, two systems share a
    /// name, or the systems do not have the same number of segments (the
    /// message names both systems and their counts).
    pub fn new(mut outputs: Vec<SystemOutput>) -> Result<Candidates> {
        if outputs.is_empty() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                "expected at least one system, found none",
            ));
        }
        outputs.sort_by(|a, b| a.name.cmp(&b.name));
        for w in outputs.windows(2) {
            if w[0].name == w[1].name {
                return Err(Error::new(
                    ErrorKind::Mismatch,
                    format!("two systems are named {:?}", w[0].name),
                ));
            }
        }
        // Name the first system whose count differs from the most common
        // count, so the message points at the odd one out.
        let n = majority_len(&outputs);
        if let Some(bad) = outputs.iter().find(|o| o.segments.len() != n) {
            let good = outputs
                .iter()
                .find(|o| o.segments.len() == n)
                .map_or("", |o| o.name.as_str());
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "{} has {} lines but {good} has {n}; system outputs must be line-aligned (one segment per line)",
                    bad.name,
                    bad.segments.len()
                ),
            ));
        }
        let mut segments: Vec<Vec<Candidate>> = (0..n).map(|_| Vec::new()).collect();
        let mut systems = Vec::with_capacity(outputs.len());
        for (s, out) in outputs.into_iter().enumerate() {
            systems.push(out.name);
            for (seg, cands) in segments.iter_mut().zip(out.segments) {
                seg.extend(cands.into_iter().map(|(text, prior)| Candidate {
                    text,
                    system: s,
                    prior,
                }));
            }
        }
        Ok(Candidates { systems, segments })
    }

    /// The systems' names, sorted.
    pub fn systems(&self) -> &[String] {
        &self.systems
    }

    /// The number of segments.
    pub fn n_segments(&self) -> usize {
        self.segments.len()
    }

    /// The candidates of segment `i`.
    pub fn segment(&self, i: usize) -> &[Candidate] {
        &self.segments[i]
    }

    /// All segments.
    pub fn segments(&self) -> &[Vec<Candidate>] {
        &self.segments
    }

    /// Each system's first (best) candidate per segment: its 1-best output,
    /// `[system][segment]`.
    pub fn one_best(&self) -> Vec<Vec<&str>> {
        let mut out: Vec<Vec<&str>> =
            vec![Vec::with_capacity(self.segments.len()); self.systems.len()];
        for seg in &self.segments {
            let mut seen = vec![false; self.systems.len()];
            for c in seg {
                if !seen[c.system] {
                    seen[c.system] = true;
                    out[c.system].push(&c.text);
                }
            }
        }
        out
    }

    /// The segments `range` only (for fitting on one half and scoring on
    /// the other).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Candidates {
        Candidates {
            systems: self.systems.clone(),
            segments: self.segments[range].to_vec(),
        }
    }
}

fn majority_len(outputs: &[SystemOutput]) -> usize {
    let mut lens: Vec<usize> = outputs.iter().map(|o| o.segments.len()).collect();
    lens.sort_unstable();
    let mut best = (0, lens[0]);
    let mut i = 0;
    while i < lens.len() {
        let j = lens[i..].iter().take_while(|&&l| l == lens[i]).count();
        if j > best.0 {
            best = (j, lens[i]);
        }
        i += j;
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_are_sorted_and_aligned() {
        let c = Candidates::new(vec![
            SystemOutput::from_lines("b", "x\ny\n"),
            SystemOutput::from_lines("a", "p\r\nq"),
        ])
        .unwrap();
        assert_eq!(c.systems(), ["a", "b"]);
        assert_eq!(c.segment(1)[0].text, "q");
        assert_eq!(c.segment(1)[1].system, 1);
    }

    #[test]
    fn misaligned_systems_name_the_odd_one_out() {
        let e = Candidates::new(vec![
            SystemOutput::from_lines("a", "1\n2\n3\n"),
            SystemOutput::from_lines("b", "1\n2\n"),
            SystemOutput::from_lines("c", "1\n2\n3\n"),
        ])
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Mismatch);
        assert_eq!(
            e.to_string(),
            "b has 2 lines but a has 3; system outputs must be line-aligned (one segment per line)"
        );
    }

    #[test]
    fn nbest_priors_are_a_softmax_of_the_scores() {
        let o = SystemOutput::from_nbest_jsonl(
            "s",
            "{\"candidates\": [{\"text\": \"a\", \"score\": 0.0}, {\"text\": \"b\", \"score\": 0.0}]}\n{\"candidates\": [{\"text\": \"c\"}]}\n",
        )
        .unwrap();
        assert_eq!(
            o.segments[0],
            vec![("a".to_string(), 0.5), ("b".to_string(), 0.5)]
        );
        assert_eq!(o.segments[1], vec![("c".to_string(), 1.0)]);
        let e = SystemOutput::from_nbest_jsonl("s", "{\"candidates\": []}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "s:1: expected at least one candidate, found none"
        );
    }
}
