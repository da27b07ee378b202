//! chrF, chrF++ and BLEU against sacrebleu 2.6.0 on real WMT22 outputs.
//!
//! The expected values come from `scripts/golden/generate_golden.py`
//! (`tests/golden/generate.json`); the texts are slices of the WMT22 files
//! (read from `../shared/data/wmt22` and cut by `modelfuse-testdata`, as
//! `examples/get-data.sh wmt22` does into `examples/wmt22/data/`). Statistics must be equal; scores within 1e-9. One
//! reference (A) throughout, plus A and B together for the multi-reference
//! rules.

use std::path::{Path, PathBuf};

use modelfuse_nlp::generate::{
    Bleu, BleuStats, Candidates, Chrf, Mbr, SegmentMetric, SystemOutput, Tokenizer, Utility,
    UtilityMatrices,
};
use serde_json::Value;

const TOL: f64 = 1e-9;

fn golden() -> Value {
    serde_json::from_str(include_str!("golden/generate.json")).unwrap()
}

fn examples() -> PathBuf {
    modelfuse_testdata::wmt22()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

fn target(pair: &str) -> &str {
    pair.split('-').nth(1).unwrap()
}

fn hyp(pair: &str, system: &str) -> Vec<String> {
    lines(
        &examples()
            .join(pair)
            .join("hyp")
            .join(format!("{system}.{}", target(pair))),
    )
}

fn reference(pair: &str) -> Vec<String> {
    lines(
        &examples()
            .join(pair)
            .join(format!("ref.A.{}", target(pair))),
    )
}

fn reference_b(pair: &str) -> Vec<String> {
    lines(
        &examples()
            .join(pair)
            .join(format!("ref.B.{}", target(pair))),
    )
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn close(what: &str, got: f64, want: &Value) {
    let want = want.as_f64().unwrap();
    assert!(
        (got - want).abs() <= TOL,
        "{what}: got {got}, sacrebleu {want}"
    );
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn corpus_scores_and_statistics_equal_sacrebleu() {
    let g = golden();
    let cases = g["corpus"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let (pair, system) = (
            case["pair"].as_str().unwrap(),
            case["system"].as_str().unwrap(),
        );
        let tok: Tokenizer = case["tokenize"].as_str().unwrap().parse().unwrap();
        let what = format!("{pair} {system} {tok}");
        let (h, r) = (hyp(pair, system), reference(pair));
        let (h, r) = (refs(&h), refs(&r));
        for (chrf, key) in [(Chrf::CHRF, "chrf"), (Chrf::CHRF_PP, "chrf++")] {
            let stats = chrf.corpus_stats(&h, &r);
            let flat: Vec<u64> = stats.0.iter().flatten().copied().collect();
            assert_eq!(
                flat,
                u64s(&case[format!("{key}_stats")]),
                "{what} {key} statistics"
            );
            close(&format!("{what} {key}"), chrf.score(&stats), &case[key]);
        }
        let bleu = Bleu::corpus_default(tok);
        let s: BleuStats = bleu.corpus_stats(&h, &r);
        let mut flat = vec![s.hyp_len, s.ref_len];
        flat.extend(s.correct);
        flat.extend(s.total);
        assert_eq!(flat, u64s(&case["bleu_stats"]), "{what} bleu statistics");
        close(&format!("{what} bleu"), bleu.score(&s), &case["bleu"]);
    }
}

#[test]
fn two_reference_corpus_scores_equal_sacrebleu() {
    let g = golden();
    let cases = g["corpus_two_refs"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let (pair, system) = (
            case["pair"].as_str().unwrap(),
            case["system"].as_str().unwrap(),
        );
        let tok: Tokenizer = case["tokenize"].as_str().unwrap().parse().unwrap();
        let what = format!("{pair} {system} {tok} (refs A, B)");
        let (h, a, b) = (hyp(pair, system), reference(pair), reference_b(pair));
        let (h, a, b) = (refs(&h), refs(&a), refs(&b));
        let streams: [&[&str]; 2] = [&a, &b];
        for (chrf, key) in [(Chrf::CHRF, "chrf"), (Chrf::CHRF_PP, "chrf++")] {
            let stats = chrf.corpus_stats_multi(&h, &streams);
            let flat: Vec<u64> = stats.0.iter().flatten().copied().collect();
            assert_eq!(
                flat,
                u64s(&case[format!("{key}_stats")]),
                "{what} {key} statistics"
            );
            close(&format!("{what} {key}"), chrf.score(&stats), &case[key]);
        }
        let bleu = Bleu::corpus_default(tok);
        let s = bleu.corpus_stats_multi(&h, &streams);
        let mut flat = vec![s.hyp_len, s.ref_len];
        flat.extend(s.correct);
        flat.extend(s.total);
        assert_eq!(flat, u64s(&case["bleu_stats"]), "{what} bleu statistics");
        close(&format!("{what} bleu"), bleu.score(&s), &case["bleu"]);
    }
}

#[test]
fn sentence_scores_equal_sacrebleu() {
    let g = golden();
    let cases = g["sentence"].as_array().unwrap();
    assert!(cases.len() >= 1000);
    let mut files: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    let mut file = |pair: &str, name: &str| -> Vec<String> {
        files
            .entry((pair.to_string(), name.to_string()))
            .or_insert_with(|| {
                if name == "ref.A" {
                    reference(pair)
                } else {
                    hyp(pair, name)
                }
            })
            .clone()
    };
    for case in cases {
        let (pair, system) = (
            case["pair"].as_str().unwrap(),
            case["system"].as_str().unwrap(),
        );
        let seg = case["segment"].as_u64().unwrap() as usize;
        let against = case["against"].as_str().unwrap();
        let tok: Tokenizer = case["tokenize"].as_str().unwrap().parse().unwrap();
        let h = file(pair, system)[seg].clone();
        let r = file(pair, against)[seg].clone();
        let what = format!("{pair} {system} vs {against} segment {seg}");
        close(
            &format!("{what} chrf"),
            Chrf::CHRF.sentence(&h, &r),
            &case["chrf"],
        );
        close(
            &format!("{what} chrf++"),
            Chrf::CHRF_PP.sentence(&h, &r),
            &case["chrf++"],
        );
        close(
            &format!("{what} bleu"),
            Bleu::sentence_default(tok).sentence(&h, &r),
            &case["bleu"],
        );
    }
}

#[test]
fn tokenizer_corner_cases_equal_sacrebleu() {
    let g = golden();
    for case in g["edge"].as_array().unwrap() {
        let (h, r) = (case["hyp"].as_str().unwrap(), case["ref"].as_str().unwrap());
        let tok: Tokenizer = case["tokenize"].as_str().unwrap().parse().unwrap();
        let what = format!("{h:?} vs {r:?} ({tok})");
        assert_eq!(
            tok.tokenize(h),
            case["tokens"].as_str().unwrap(),
            "{what} tokens"
        );
        close(
            &format!("{what} chrf"),
            Chrf::CHRF.sentence(h, r),
            &case["chrf"],
        );
        close(
            &format!("{what} chrf++"),
            Chrf::CHRF_PP.sentence(h, r),
            &case["chrf++"],
        );
        close(
            &format!("{what} bleu"),
            Bleu::sentence_default(tok).sentence(h, r),
            &case["bleu"],
        );
    }
}

#[test]
fn mbr_picks_what_sacrebleu_sentence_chrf_picks() {
    let g = golden();
    let pair = g["mbr"]["pair"].as_str().unwrap();
    let systems: Vec<&str> = g["mbr"]["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let outputs = systems
        .iter()
        .map(|s| SystemOutput::from_lines(*s, &hyp(pair, s).join("\n")))
        .collect();
    let c = Candidates::new(outputs).unwrap();
    let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
    let w = vec![1.0 / systems.len() as f64; systems.len()];
    let picks = Mbr::default().select(&m, &c, &w);
    let want: Vec<usize> = u64s(&g["mbr"]["picks"])
        .into_iter()
        .map(|p| p as usize)
        .collect();
    assert_eq!(picks, want);
}
