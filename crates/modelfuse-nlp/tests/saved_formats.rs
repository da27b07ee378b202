//! Shared inline data for the saved-format fixtures (see the loading tests
//! below the data).

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

#[test]
#[ignore = "writes the fixtures with the code of the day"]
fn write_fixtures() {
    let dir = fixtures();
    let (sys, gold) = ner_data();
    let all: Vec<usize> = (0..gold.len()).collect();
    let mut out = BTreeMap::new();
    for (name, method, learn, per_type) in [
        ("ner_span_vote_per_type", NerMethod::SpanVote, true, true),
        ("ner_token_vote", NerMethod::TokenVote, true, false),
        ("ner_viterbi", NerMethod::Viterbi, false, false),
    ] {
        let mut f = NerFuser::new(method);
        f.learn = learn;
        f.per_type = per_type;
        let fitted = f.fit(&sys, Some(&gold), &all).unwrap();
        std::fs::write(dir.join(format!("{name}.json")), fitted.to_json()).unwrap();
        let pred: Vec<String> = fitted
            .predict(&sys)
            .unwrap()
            .iter()
            .map(|s| {
                s.iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.insert(name.to_string(), serde_json::json!(pred));
        let _: FittedNer = FittedNer::from_json(&fitted.to_json()).unwrap();
    }
    let (systems, d) = qa_data();
    let pairs: Vec<(&str, &SystemAnswers)> = systems.iter().map(|(n, a)| (n.as_str(), a)).collect();
    for (name, method, learn, abstain) in [
        ("qa_vote_learned", QaMethod::Vote, true, Abstain::Learn),
        (
            "qa_consensus",
            QaMethod::Consensus,
            false,
            Abstain::Below(0.3),
        ),
    ] {
        let fitted = QaFuser {
            method,
            learn_weights: learn,
            abstain,
            ..QaFuser::default()
        }
        .fit(&pairs, &d, ScriptVersion::V2_0)
        .unwrap();
        std::fs::write(dir.join(format!("{name}.json")), fitted.to_json()).unwrap();
        let pred: BTreeMap<String, String> = fitted
            .fuse(&pairs)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.text))
            .collect();
        out.insert(name.to_string(), serde_json::json!(pred));
        let _: FittedQa = FittedQa::from_json(&fitted.to_json(), "x").unwrap();
    }
    let (c, refs) = mbr_data();
    let mbr = Mbr::default();
    let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
    let r = ReferenceStats::compute(&c, &[&refs]).unwrap();
    let fitted = WeightSearch::default().fit(&mbr, &m, &c, &r).unwrap();
    // As the CLI writes it: `to_json` and a newline.
    std::fs::write(dir.join("mbr.json"), format!("{}\n", fitted.to_json())).unwrap();
    let w = fitted.weights_for(c.systems()).unwrap();
    out.insert("mbr".to_string(), serde_json::json!(mbr.fuse(&m, &c, &w)));
    let _: FittedMbr = FittedMbr::from_json(&fitted.to_json()).unwrap();
    std::fs::write(
        dir.join("predictions.json"),
        serde_json::to_string_pretty(&out).unwrap() + "\n",
    )
    .unwrap();
}
