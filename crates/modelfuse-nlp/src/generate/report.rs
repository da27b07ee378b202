//! The comparison `modelfuse generate report` prints: every fusion method
//! beside every single system, the best single system and the oracle, and
//! learned weights scored only on segments they were not fitted on.

use serde::Serialize;

use super::bleu::Bleu;
use super::candidates::Candidates;
use super::chrf::Chrf;
use super::fit::{ReferenceStats, WeightSearch};
use super::mbr::Mbr;
use super::segment_metric::SegmentMetric;
use super::tokenize::Tokenizer;
use super::utility::{Utility, UtilityMatrices};
use super::vote::vote;
use crate::Result;

/// The settings of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportSettings {
    /// The BLEU tokeniser (`zh` for Chinese targets).
    pub tokenizer: Tokenizer,
    /// The weight search of the learned rows.
    pub search: WeightSearch,
}

/// What a row of the report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// One system's own output.
    System,
    /// A fusion method.
    Fusion,
    /// The per-segment best candidate by sentence chrF against the reference:
    /// an upper bound for selection, not a method (it reads the reference).
    Oracle,
}

/// One row: corpus chrF, chrF++ and BLEU of one output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The system's name, or the method's.
    pub name: String,
    /// What the row is.
    pub kind: RowKind,
    /// Corpus chrF2.
    pub chrf: f64,
    /// Corpus chrF++.
    #[serde(rename = "chrf++")]
    pub chrf_pp: f64,
    /// Corpus BLEU.
    pub bleu: f64,
}

/// Weights fitted on one half of the segments, scored on the other.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeldOut {
    /// `first-half` or `second-half`: the segments the weights were fitted on.
    pub fitted_on: String,
    /// The segments scored (the other half).
    pub scored_segments: usize,
    /// The learned weights, in system order.
    pub weights: Vec<f64>,
    /// On the scored half: MBR with the learned weights.
    pub learned: Row,
    /// On the scored half: MBR with uniform weights.
    pub uniform: Row,
    /// On the scored half: the system best on the fitting half (chosen
    /// without looking at the scored half).
    pub best_single: Row,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Segments scored.
    pub segments: usize,
    /// The systems, sorted by name.
    pub systems: Vec<String>,
    /// Single systems, then fusion methods, then the oracle.
    pub rows: Vec<Row>,
    /// The single system with the best corpus chrF.
    pub best_single: String,
    /// The two held-out evaluations of learned weights.
    pub held_out: Vec<HeldOut>,
}

/// The segments of the first half: `0..n/2`; the second half is the rest.
pub fn halves(n: usize) -> [std::ops::Range<usize>; 2] {
    [0..n / 2, n / 2..n]
}

struct Scorer<'a> {
    refs: &'a [&'a [&'a str]],
    bleu: Bleu,
}

impl Scorer<'_> {
    fn row(&self, name: &str, kind: RowKind, texts: &[&str], range: std::ops::Range<usize>) -> Row {
        let refs: Vec<&[&str]> = self.refs.iter().map(|r| &r[range.clone()]).collect();
        Row {
            name: name.to_string(),
            kind,
            chrf: Chrf::CHRF.corpus_multi(texts, &refs),
            chrf_pp: Chrf::CHRF_PP.corpus_multi(texts, &refs),
            bleu: self.bleu.corpus_multi(texts, &refs),
        }
    }
}

/// Builds the report of `candidates` against one or more reference streams
/// (`refs[stream][segment]`).
///
/// Rows: each system; `mbr-chrf` (uniform weights, self included, the
/// default), `mbr-chrf-no-self`, `mbr-bleu`, `vote`; `mbr-chrf-learned`, the
/// whole corpus with each half fused by weights fitted on the *other* half
/// (two-fold cross-fitting, so no segment is scored by weights that saw its
/// reference); and `oracle`.
///
/// # Errors
///
/// [`crate::ErrorKind::Mismatch`] when `refs` is not line-aligned with the
/// systems.
pub fn report(
    candidates: &Candidates,
    refs: &[&[&str]],
    settings: &ReportSettings,
) -> Result<Report> {
    let n = candidates.n_segments();
    let reference = ReferenceStats::compute(candidates, refs)?;
    let scorer = Scorer {
        refs,
        bleu: Bleu::corpus_default(settings.tokenizer),
    };
    let s = candidates.systems().len();
    let uniform = vec![1.0 / s as f64; s];
    let one_best = candidates.one_best();
    let mut rows: Vec<Row> = candidates
        .systems()
        .iter()
        .zip(&one_best)
        .map(|(name, texts)| scorer.row(name, RowKind::System, texts, 0..n))
        .collect();
    let best = (0..s)
        .max_by(|&a, &b| rows[a].chrf.total_cmp(&rows[b].chrf).then(b.cmp(&a)))
        .unwrap_or(0);
    let best_single = candidates.systems()[best].clone();

    let chrf_m = UtilityMatrices::compute(Utility::Chrf, candidates)?;
    let mbr = Mbr::default();
    let no_self = Mbr {
        include_self: false,
        ..mbr
    };
    let bleu_mbr = Mbr {
        utility: Utility::Bleu {
            tokenizer: settings.tokenizer,
        },
        ..mbr
    };
    let bleu_m = UtilityMatrices::compute(bleu_mbr.utility, candidates)?;
    rows.push(scorer.row(
        "mbr-chrf",
        RowKind::Fusion,
        &mbr.predict(&chrf_m, candidates, &uniform),
        0..n,
    ));
    rows.push(scorer.row(
        "mbr-chrf-no-self",
        RowKind::Fusion,
        &no_self.predict(&chrf_m, candidates, &uniform),
        0..n,
    ));
    rows.push(scorer.row(
        "mbr-bleu",
        RowKind::Fusion,
        &bleu_mbr.predict(&bleu_m, candidates, &uniform),
        0..n,
    ));
    let voted = vote(candidates, &uniform, &mbr, &chrf_m);
    let voted: Vec<&str> = voted.iter().map(String::as_str).collect();
    rows.push(scorer.row("vote", RowKind::Fusion, &voted, 0..n));

    // Two-fold cross-fitting of the weights.
    let parts = halves(n);
    let mut learned_texts: Vec<&str> = Vec::with_capacity(n);
    let mut held_out = Vec::new();
    let mut per_half: Vec<Vec<&str>> = vec![Vec::new(), Vec::new()];
    for (fit_half, score_half) in [(0, 1), (1, 0)] {
        let (fr, sr) = (parts[fit_half].clone(), parts[score_half].clone());
        let fit_c = candidates.slice(fr.clone());
        let fitted = settings.search.fit(
            &mbr,
            &chrf_m.slice(fr.clone()),
            &fit_c,
            &reference.slice(fr.clone()),
        )?;
        let score_c = candidates.slice(sr.clone());
        let score_m = chrf_m.slice(sr.clone());
        // Picks on the slice index the same candidates as in the whole set.
        let texts_of = |picks: Vec<usize>| -> Vec<&str> {
            picks
                .iter()
                .enumerate()
                .map(|(k, &i)| candidates.segment(sr.start + k)[i].text.as_str())
                .collect()
        };
        let learned = texts_of(mbr.select(&score_m, &score_c, &fitted.weights));
        let unif = texts_of(mbr.select(&score_m, &score_c, &uniform));
        // The best single system by chrF on the fitting half only.
        let fit_ref = reference.slice(fr.clone());
        let pick_best = (0..s)
            .max_by(|&a, &b| {
                let sa = fit_ref.corpus_chrf(&system_picks(&fit_c, a));
                let sb = fit_ref.corpus_chrf(&system_picks(&fit_c, b));
                sa.total_cmp(&sb).then(b.cmp(&a))
            })
            .unwrap_or(0);
        let name = |h: usize| if h == 0 { "first-half" } else { "second-half" };
        held_out.push(HeldOut {
            fitted_on: name(fit_half).to_string(),
            scored_segments: sr.len(),
            weights: fitted.weights.clone(),
            learned: scorer.row("mbr-chrf-learned", RowKind::Fusion, &learned, sr.clone()),
            uniform: scorer.row("mbr-chrf", RowKind::Fusion, &unif, sr.clone()),
            best_single: scorer.row(
                &candidates.systems()[pick_best],
                RowKind::System,
                &one_best[pick_best][sr.clone()],
                sr.clone(),
            ),
        });
        per_half[score_half] = learned;
    }
    for half in &per_half {
        learned_texts.extend(half.iter().copied());
    }
    rows.push(scorer.row("mbr-chrf-learned", RowKind::Fusion, &learned_texts, 0..n));

    let oracle = reference.oracle();
    let oracle_texts: Vec<&str> = oracle
        .iter()
        .enumerate()
        .map(|(seg, &i)| candidates.segment(seg)[i].text.as_str())
        .collect();
    rows.push(scorer.row("oracle", RowKind::Oracle, &oracle_texts, 0..n));
    Ok(Report {
        segments: n,
        systems: candidates.systems().to_vec(),
        rows,
        best_single,
        held_out,
    })
}

/// The index of system `sys`'s first candidate in every segment.
fn system_picks(candidates: &Candidates, sys: usize) -> Vec<usize> {
    candidates
        .segments()
        .iter()
        .map(|seg| seg.iter().position(|c| c.system == sys).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::candidates::SystemOutput;

    #[test]
    fn report_has_every_row_and_two_held_out_halves() {
        let c = Candidates::new(vec![
            SystemOutput::from_lines("a", "the cat sat\nhello world\nit rains\nyes\n"),
            SystemOutput::from_lines("b", "a cat sat\nhello world!\nit is raining\nno\n"),
            SystemOutput::from_lines("c", "the cat sits\nhi world\nit rains\nyes\n"),
        ])
        .unwrap();
        let refs = ["the cat sat", "hello world", "it rains", "yes"];
        let r = report(&c, &[&refs], &ReportSettings::default()).unwrap();
        let names: Vec<&str> = r.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "a",
                "b",
                "c",
                "mbr-chrf",
                "mbr-chrf-no-self",
                "mbr-bleu",
                "vote",
                "mbr-chrf-learned",
                "oracle"
            ]
        );
        assert_eq!(r.best_single, "a");
        assert_eq!(r.held_out.len(), 2);
        let oracle = r.rows.last().unwrap();
        assert!(r.rows.iter().all(|row| row.chrf <= oracle.chrf + 1e-9));
    }
}
