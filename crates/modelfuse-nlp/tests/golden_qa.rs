//! SQuAD exact match and F1 against the official evaluation scripts, on the
//! real predictions of five SQuAD v1.1 leaderboard systems
//! (SQuAD v1.1 dev, read from `../shared/data/squad11` through
//! `modelfuse-testdata`; `examples/get-data.sh squad11` lays out the same files in
//! `examples/squad11/data/`). The expected values come from
//! `scripts/golden/qa_golden.py`, which runs the official v1.1 and v2.0
//! scripts.

use std::path::{Path, PathBuf};

use modelfuse_nlp::qa::{
    Dataset, Question, ScriptVersion, SystemAnswers, evaluate, exact_match, f1, normalize_answer,
};
use serde_json::Value;

fn example() -> PathBuf {
    modelfuse_testdata::squad11()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn golden() -> Value {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/qa.json"))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn systems() -> Vec<(String, SystemAnswers)> {
    let mut out: Vec<(String, SystemAnswers)> = std::fs::read_dir(example().join("predictions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            let name = name.strip_suffix(".json").unwrap().to_string();
            let answers = SystemAnswers::parse(&read(&p), &name).unwrap();
            (name, answers)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Equal to the last bit or to 1e-12 relative: the sums run in the same
/// order as Python's, so they should be bitwise equal.
fn close(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{what}: got {got}, official script {want}"
    );
}

#[test]
fn v1_scores_equal_the_official_script_on_five_real_systems() {
    let dataset = Dataset::parse(&read(&example().join("dev-v1.1.json")), "dev").unwrap();
    assert_eq!(dataset.questions().len(), 10_570);
    assert_eq!(ScriptVersion::for_dataset(&dataset), ScriptVersion::V1_1);
    let golden = golden();
    let systems = systems();
    assert_eq!(systems.len(), 5);
    let dropped: std::collections::HashSet<&str> = dataset.questions()[..1000]
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    for (name, answers) in &systems {
        let s = evaluate(
            &dataset,
            |id| answers.answer(id),
            answers.ids(),
            ScriptVersion::V1_1,
        )
        .unwrap();
        let want = &golden["v1"][name];
        close(s.exact_match, &want["exact_match"], name);
        close(s.f1, &want["f1"], name);

        let partial = |id: &str| {
            if dropped.contains(id) {
                None
            } else {
                answers.answer(id)
            }
        };
        let s = evaluate(&dataset, partial, answers.ids(), ScriptVersion::V1_1).unwrap();
        assert_eq!(
            s.missing,
            1000 + golden_missing(&dataset, answers, &dropped)
        );
        let want = &golden["v1_partial"][name];
        close(s.exact_match, &want["exact_match"], name);
        close(s.f1, &want["f1"], name);
    }
}

/// Questions the system itself never answered, outside the dropped ones.
fn golden_missing(
    d: &Dataset,
    a: &SystemAnswers,
    dropped: &std::collections::HashSet<&str>,
) -> usize {
    d.questions()
        .iter()
        .filter(|q| !dropped.contains(q.id.as_str()) && a.answer(&q.id).is_none())
        .count()
}

#[test]
fn v2_scores_equal_the_official_script_on_a_squad2_style_variant() {
    // The variant of qa_golden.py: question i (file order) is unanswerable
    // when i % 7 == 3, and the prediction is "" when i % 5 == 1 (or when the
    // system gave none).
    let base = Dataset::parse(&read(&example().join("dev-v1.1.json")), "dev").unwrap();
    let questions: Vec<Question> = base
        .questions()
        .iter()
        .enumerate()
        .map(|(i, q)| Question {
            answers: if i % 7 == 3 {
                vec![]
            } else {
                q.answers.clone()
            },
            ..q.clone()
        })
        .collect();
    let dataset = Dataset::from_questions("v2.0", questions).unwrap();
    assert_eq!(ScriptVersion::for_dataset(&dataset), ScriptVersion::V2_0);
    let golden = golden();
    for (name, answers) in &systems() {
        let preds: Vec<(String, String)> = dataset
            .questions()
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let a = if i % 5 == 1 {
                    ""
                } else {
                    answers.answer(&q.id).unwrap_or("")
                };
                (q.id.clone(), a.to_string())
            })
            .collect();
        let variant = SystemAnswers::from_answers(preds);
        let s = evaluate(
            &dataset,
            |id| variant.answer(id),
            variant.ids(),
            ScriptVersion::V2_0,
        )
        .unwrap();
        let want = &golden["v2"][name];
        close(s.exact_match, &want["exact"], name);
        close(s.f1, &want["f1"], name);
        assert_eq!(s.total as u64, want["total"].as_u64().unwrap());
        let has = s.has_ans.unwrap();
        close(has.exact_match, &want["HasAns_exact"], name);
        close(has.f1, &want["HasAns_f1"], name);
        assert_eq!(has.total as u64, want["HasAns_total"].as_u64().unwrap());
        let no = s.no_ans.unwrap();
        close(no.exact_match, &want["NoAns_exact"], name);
        close(no.f1, &want["NoAns_f1"], name);
    }
}

#[test]
fn normalisation_edge_cases_equal_both_scripts() {
    for case in golden()["pairs"].as_array().unwrap() {
        let p = case["prediction"].as_str().unwrap();
        let g = case["gold"].as_str().unwrap();
        assert_eq!(
            normalize_answer(p),
            case["normalized"].as_str().unwrap(),
            "{p:?}"
        );
        assert_eq!(
            exact_match(p, g),
            case["v1_exact"].as_bool().unwrap(),
            "{p:?} {g:?}"
        );
        close(f1(p, g, ScriptVersion::V1_1), &case["v1_f1"], p);
        assert_eq!(
            u64::from(exact_match(p, g)),
            case["v2_exact"].as_u64().unwrap()
        );
        close(f1(p, g, ScriptVersion::V2_0), &case["v2_f1"], p);
    }
}
