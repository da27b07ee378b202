//! Saved NER, QA and MBR fitter files of the layouts before the core's one
//! envelope still load and predict the same, and fitting again gives the
//! same fit. The fixtures in `tests/fixtures/` were written by the code of
//! 6ee79a8 (commit d6ff575 holds the ignored test that wrote them) from the
//! inline data below.

use std::collections::BTreeMap;
use std::path::PathBuf;

use modelfuse_nlp::generate::{
    Candidates, FittedMbr, Mbr, ReferenceStats, SystemOutput, Utility, UtilityMatrices,
    WeightSearch,
};
use modelfuse_nlp::ner::{FittedNer, NerFuser, NerMethod, Systems, Tag};
use modelfuse_nlp::qa::{
    Abstain, Dataset, FittedQa, QaFuser, QaMethod, Question, ScriptVersion, SystemAnswers,
};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn tags(s: &str) -> Vec<Tag> {
    s.split_whitespace()
        .map(|t| Tag::parse(t).unwrap())
        .collect()
}

fn ner_data() -> (Systems, Vec<Vec<Tag>>) {
    let gold = vec![
        tags("B-x I-x O B-y"),
        tags("O B-y O O"),
        tags("B-x O B-x I-x"),
        tags("O O B-y I-y"),
    ];
    let noisy = vec![
        tags("B-y I-y O O"),
        tags("B-x I-x O O"),
        tags("O O B-y I-y"),
        tags("O O B-y I-y"),
    ];
    let sys = Systems::from_tags(
        vec![
            ("good".into(), gold.clone()),
            ("n1".into(), noisy.clone()),
            ("n2".into(), noisy),
        ],
        [],
    )
    .unwrap();
    (sys, gold)
}

fn qa_data() -> (Vec<(String, SystemAnswers)>, Dataset) {
    let ids = ["1", "2", "3", "4", "5"];
    let good = SystemAnswers::from_answers(ids.map(|i| (i.to_string(), "right".to_string())));
    let bad = SystemAnswers::from_answers(ids.map(|i| (i.to_string(), "wrong".to_string())));
    let half = SystemAnswers::from_answers(ids.iter().map(|i| {
        (
            i.to_string(),
            if *i < "3" { "right" } else { "" }.to_string(),
        )
    }));
    let d = Dataset::from_questions(
        "2.0",
        ids.iter()
            .map(|i| Question {
                id: i.to_string(),
                answers: vec![if *i == "5" {
                    String::new()
                } else {
                    "right".into()
                }],
                article: 0,
            })
            .collect(),
    )
    .unwrap();
    (
        vec![
            ("good".into(), good),
            ("bad1".into(), bad.clone()),
            ("bad2".into(), bad),
            ("half".into(), half),
        ],
        d,
    )
}

fn mbr_data() -> (Candidates, Vec<&'static str>) {
    let c = Candidates::new(vec![
        SystemOutput::from_lines("bad1", "the dog ran home\nit is cold today\nyes\n"),
        SystemOutput::from_lines("bad2", "the dog ran home!\nit is cold today!\nyes!\n"),
        SystemOutput::from_lines("good", "a cat sat on the mat\nthe sun is warm\nno\n"),
    ])
    .unwrap();
    (c, vec!["a cat sat on the mat", "the sun is warm", "no"])
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

fn predictions() -> serde_json::Value {
    serde_json::from_str(&read("predictions.json")).unwrap()
}

fn ner_settings(name: &str) -> NerFuser {
    let (method, learn, per_type) = match name {
        "ner_span_vote_per_type" => (NerMethod::SpanVote, true, true),
        "ner_token_vote" => (NerMethod::TokenVote, true, false),
        _ => (NerMethod::Viterbi, false, false),
    };
    let mut f = NerFuser::new(method);
    f.learn = learn;
    f.per_type = per_type;
    f
}

fn qa_settings(name: &str) -> QaFuser {
    match name {
        "qa_vote_learned" => QaFuser {
            method: QaMethod::Vote,
            learn_weights: true,
            abstain: Abstain::Learn,
            ..QaFuser::default()
        },
        _ => QaFuser {
            method: QaMethod::Consensus,
            abstain: Abstain::Below(0.3),
            ..QaFuser::default()
        },
    }
}

const NER: [&str; 3] = ["ner_span_vote_per_type", "ner_token_vote", "ner_viterbi"];
const QA: [&str; 2] = ["qa_vote_learned", "qa_consensus"];

fn ner_text(fitted: &FittedNer, sys: &Systems) -> Vec<String> {
    fitted
        .predict(sys)
        .unwrap()
        .iter()
        .map(|s| {
            s.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn qa_text(fitted: &FittedQa, pairs: &[(&str, &SystemAnswers)]) -> BTreeMap<String, String> {
    fitted
        .predict(pairs)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.text))
        .collect()
}

/// NER files kept their layout: the old file loads, predicts as before, and
/// fitting again writes it byte for byte (the grid search is unchanged).
#[test]
fn old_ner_files_load_predict_the_same_and_refit_identically() {
    let (sys, gold) = ner_data();
    let all: Vec<usize> = (0..gold.len()).collect();
    let want = predictions();
    for name in NER {
        let old = read(&format!("{name}.json"));
        let fitted = FittedNer::from_json(&old).unwrap();
        assert_eq!(
            serde_json::json!(ner_text(&fitted, &sys)),
            want[name],
            "{name}"
        );
        let again = ner_settings(name).fit(&sys, Some(&gold), &all).unwrap();
        assert_eq!(again.to_json(), old, "{name}");
    }
}

/// QA files written with `format_version` load and predict as before; a
/// new fit is the same file with the core's version field.
#[test]
fn old_qa_files_load_predict_the_same_and_refit_identically() {
    let (systems, d) = qa_data();
    let pairs: Vec<(&str, &SystemAnswers)> = systems.iter().map(|(n, a)| (n.as_str(), a)).collect();
    let want = predictions();
    for name in QA {
        let old = read(&format!("{name}.json"));
        assert!(
            old.contains("\"format_version\": 1"),
            "{name}: an old-form fixture"
        );
        let fitted = FittedQa::from_json(&old, name).unwrap();
        assert_eq!(
            serde_json::json!(qa_text(&fitted, &pairs)),
            want[name],
            "{name}"
        );
        let again = qa_settings(name)
            .fit(&pairs, &d, ScriptVersion::V2_0)
            .unwrap();
        assert_eq!(again, fitted, "{name}");
        assert_eq!(
            again.to_json(),
            old.replace("\"format_version\": 1", "\"modelfuse\": 1"),
            "{name}"
        );
        assert_eq!(FittedQa::from_json(&again.to_json(), name).unwrap(), again);
    }
}

/// MBR files written without a `task` load and select as before; a new fit
/// is the same file with the task tag.
#[test]
fn old_mbr_files_load_predict_the_same_and_refit_identically() {
    let (c, refs) = mbr_data();
    let mbr = Mbr::default();
    let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
    let old = read("mbr.json");
    assert!(!old.contains("\"task\""), "an old-form fixture");
    let fitted = FittedMbr::from_json(&old).unwrap();
    let w = fitted.weights_for(c.systems()).unwrap();
    assert_eq!(
        serde_json::json!(mbr.predict(&m, &c, &w)),
        predictions()["mbr"]
    );
    let r = ReferenceStats::compute(&c, &[&refs]).unwrap();
    let again = WeightSearch::default().fit(&mbr, &m, &c, &r).unwrap();
    assert_eq!(again, fitted);
    assert_eq!(
        format!("{}\n", again.to_json()),
        old.replacen(
            "\"modelfuse\": 1,\n",
            "\"modelfuse\": 1,\n  \"task\": \"generate\",\n",
            1
        )
    );
}

/// Every fitter file checks its version first, with the core's message,
/// then its task tag.
#[test]
fn newer_versions_and_other_tasks_are_refused_first() {
    let newer = |text: &str| {
        text.replacen("\"modelfuse\": 1", "\"modelfuse\": 9", 1)
            .replacen("\"format_version\": 1", "\"format_version\": 9", 1)
            .replacen("{\n", "{\n  \"field_of_the_future\": 1,\n", 1)
    };
    let version = |what: &str| {
        format!(
            "expected a {what} of format version 1 or older, found version 9 (written by a newer modelfuse)"
        )
    };
    let ner = read("ner_viterbi.json");
    let qa = read("qa_consensus.json");
    let mbr = read("mbr.json");
    assert_eq!(
        FittedNer::from_json(&newer(&ner)).unwrap_err().to_string(),
        version("fitted NER fuser")
    );
    assert_eq!(
        FittedQa::from_json(&newer(&qa), "f.json")
            .unwrap_err()
            .to_string(),
        format!("f.json: {}", version("fitted QA fuser"))
    );
    assert_eq!(
        FittedMbr::from_json(&newer(&mbr)).unwrap_err().to_string(),
        version("fitted generation fuser")
    );
    assert_eq!(
        FittedNer::from_json(&qa.replace("format_version", "modelfuse"))
            .unwrap_err()
            .to_string(),
        "expected a fitted NER fuser (task \"ner\"), found \"qa\""
    );
    assert_eq!(
        FittedMbr::from_json(&ner).unwrap_err().to_string(),
        "expected a fitted generation fuser (task \"generate\"), found \"ner\""
    );
}
