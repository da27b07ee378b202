//! The honest comparison of NER fusion against the best single system.
//!
//! The sentences are split into two seeded halves ([`halves`]). Every method
//! of [`report_fusers`] is fitted on one half and scored on the other, both
//! ways, beside every single system on the same sentences. The best fuser
//! and the best system are chosen on the fitting half only (the held-out
//! half plays no part), and the gain of that fuser over that system on the
//! held-out half comes with a paired bootstrap interval over sentences
//! ([`paired_bootstrap`]).

use serde::Serialize;

use super::compare::{Gain, f1_over, halves, paired_bootstrap};
use super::fuser::{NerFuser, NerMethod};
use super::metrics::{Counts, Mode, TypeCounts, corpus_counts};
use super::systems::Systems;
use super::tag::Tag;
use crate::error::{Error, Result};

/// One line of a [`Direction`]: a fuser or a single system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportRow {
    /// The system's name, or the fuser's description.
    pub name: String,
    /// Whether the row is a fuser (else a single system).
    pub fused: bool,
    /// Micro F1 (a fraction) on the half the fusers were fitted on.
    pub fit_f1: f64,
    /// Micro F1 (a fraction) on the held-out half.
    pub held_out_f1: f64,
}

/// One way of the comparison: fitted on one half, scored on the other.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Direction {
    /// The half fitted on: `"A"` (the first of [`halves`]) or `"B"`.
    pub fit_half: &'static str,
    /// The half scored on.
    pub score_half: &'static str,
    /// Sentences in the fitting half.
    pub fit_sentences: usize,
    /// Sentences in the held-out half.
    pub score_sentences: usize,
    /// The fusers of [`report_fusers`] in their order, then the systems.
    pub rows: Vec<ReportRow>,
    /// The row of the fuser with the best F1 on the fitting half (the first
    /// of equals).
    pub best_fuser: usize,
    /// The row of the system with the best F1 on the fitting half.
    pub best_system: usize,
    /// The held-out gain in F1 of the best fuser over the best system.
    pub gain: Gain,
}

impl Direction {
    /// What the gain's interval says: `"fusion helps"` (above zero),
    /// `"fusion hurts"` (below) or `"no clear difference"`.
    pub fn verdict(&self) -> &'static str {
        if self.gain.low > 0.0 {
            "fusion helps"
        } else if self.gain.high < 0.0 {
            "fusion hurts"
        } else {
            "no clear difference"
        }
    }
}

/// The result of [`report`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NerReport {
    /// The systems' names.
    pub systems: Vec<String>,
    /// Sentences in all.
    pub sentences: usize,
    /// How entities were read (and the F1 learning maximised).
    pub mode: Mode,
    /// The seed of the halves and of the bootstrap.
    pub seed: u64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Fitted on half A and scored on B, then the other way.
    pub directions: Vec<Direction>,
}

/// The fusers every report compares: each method unlearned and learned,
/// and span vote with learned per-type weights, all maximising `mode`'s F1.
pub fn report_fusers(mode: Mode) -> Vec<NerFuser> {
    let mut out = Vec::new();
    for method in NerMethod::ALL {
        for learn in [false, true] {
            let mut f = NerFuser::new(method);
            f.learn = learn;
            f.mode = mode;
            out.push(f);
        }
    }
    let mut per_type = NerFuser::new(NerMethod::SpanVote);
    per_type.learn = true;
    per_type.per_type = true;
    per_type.mode = mode;
    out.push(per_type);
    out
}

/// Each system's tags (probability systems: their most probable labels),
/// system by system, sentence by sentence.
pub fn system_tags(systems: &Systems) -> Vec<Vec<Vec<Tag>>> {
    (0..systems.names().len())
        .map(|s| {
            (0..systems.n_sentences())
                .map(|i| systems.tags_of(systems.hard(s, i)))
                .collect()
        })
        .collect()
}

/// Micro counts per sentence.
fn micro(counts: &[TypeCounts]) -> Vec<Counts> {
    counts.iter().map(TypeCounts::total).collect()
}

/// Runs the comparison (see the [module docs](self)).
///
/// # Errors
///
/// The errors of scoring a system against the gold (prefixed with the
/// system's name), of fitting and fusing, and of the bootstrap.
pub fn report(
    systems: &Systems,
    gold: &[Vec<Tag>],
    mode: Mode,
    seed: u64,
    resamples: usize,
) -> Result<NerReport> {
    let n = systems.n_sentences();
    let (half_a, half_b) = halves(n, seed);
    let names = systems.names().to_vec();
    let singles: Vec<Vec<Counts>> = system_tags(systems)
        .iter()
        .zip(&names)
        .map(|(t, name)| {
            corpus_counts(gold, t, mode)
                .map(|c| micro(&c))
                .map_err(|e| Error::new(e.kind(), format!("{name}: {e}")))
        })
        .collect::<Result<_>>()?;
    let fusers = report_fusers(mode);
    let mut directions = Vec::new();
    for (fit_name, fit_half, score_name, score_half) in
        [("A", &half_a, "B", &half_b), ("B", &half_b, "A", &half_a)]
    {
        let f1 = |c: &[Counts], half: &[usize]| f1_over(c, half.iter().copied());
        let mut rows: Vec<(ReportRow, Vec<Counts>)> = Vec::new();
        let mut row = |name: String, fused: bool, counts: Vec<Counts>| {
            let r = ReportRow {
                name,
                fused,
                fit_f1: f1(&counts, fit_half),
                held_out_f1: f1(&counts, score_half),
            };
            rows.push((r, counts));
        };
        for f in &fusers {
            let fitted = f.fit(systems, Some(gold), fit_half)?;
            let tags = fitted.predict(systems)?;
            row(
                f.describe(),
                true,
                micro(&corpus_counts(gold, &tags, mode)?),
            );
        }
        for (name, c) in names.iter().zip(&singles) {
            row(name.clone(), false, c.clone());
        }
        // Chosen on the fitting half only: the held-out half plays no part.
        let pick = |fused: bool| {
            rows.iter()
                .enumerate()
                .filter(|(_, (r, _))| r.fused == fused)
                .fold(None::<usize>, |best, (i, (r, _))| match best {
                    Some(b) if rows[b].0.fit_f1 >= r.fit_f1 => Some(b),
                    _ => Some(i),
                })
                .expect("there is at least one fuser and one system")
        };
        let (best_fuser, best_system) = (pick(true), pick(false));
        let sub = |c: &[Counts]| score_half.iter().map(|&i| c[i]).collect::<Vec<_>>();
        let gain = paired_bootstrap(
            &sub(&rows[best_fuser].1),
            &sub(&rows[best_system].1),
            resamples,
            0.95,
            seed,
        )?;
        directions.push(Direction {
            fit_half: fit_name,
            score_half: score_name,
            fit_sentences: fit_half.len(),
            score_sentences: score_half.len(),
            rows: rows.into_iter().map(|(r, _)| r).collect(),
            best_fuser,
            best_system,
            gain,
        });
    }
    Ok(NerReport {
        systems: names,
        sentences: n,
        mode,
        seed,
        resamples,
        directions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::{SystemInput, parse_conll};

    fn tags(text: &str) -> Vec<Vec<Tag>> {
        parse_conll(text, "t").unwrap().tags()
    }

    #[test]
    fn the_report_compares_every_fuser_with_every_system_both_ways() {
        let gold_text = "a B-PER\nb O\n\nc B-LOC\nd O\n\ne B-PER\nf I-PER\n\ng O\nh B-ORG\n\n";
        let gold = tags(gold_text);
        let good = tags(gold_text);
        let bad = tags("a O\nb O\n\nc B-LOC\nd O\n\ne B-PER\nf O\n\ng O\nh O\n\n");
        let systems = Systems::new(
            vec![
                ("bad".to_string(), SystemInput::Tags(bad)),
                ("good".to_string(), SystemInput::Tags(good)),
            ],
            Vec::new(),
        )
        .unwrap();
        let r = report(&systems, &gold, Mode::Conlleval, 0, 100).unwrap();
        assert_eq!(r.systems, ["bad", "good"]);
        assert_eq!(r.sentences, 4);
        assert_eq!(r.directions.len(), 2);
        let fusers = report_fusers(Mode::Conlleval).len();
        for d in &r.directions {
            assert_eq!(d.fit_sentences + d.score_sentences, 4);
            assert_eq!(d.rows.len(), fusers + 2);
            assert!(d.rows[..fusers].iter().all(|r| r.fused));
            assert!(d.rows[fusers..].iter().all(|r| !r.fused));
            // The perfect system is the best one, on either half.
            assert_eq!(d.rows[d.best_system].name, "good");
            assert_eq!(d.rows[d.best_system].held_out_f1, 1.0);
            assert!(d.rows[d.best_fuser].fused);
            assert!(d.gain.gain <= 0.0, "{:?}", d.gain);
            assert_ne!(d.verdict(), "fusion helps");
        }
        // The same seed gives the same report.
        assert_eq!(r, report(&systems, &gold, Mode::Conlleval, 0, 100).unwrap());
    }
}
