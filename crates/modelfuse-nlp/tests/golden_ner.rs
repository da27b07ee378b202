//! Entity metrics against seqeval 1.2.2 (`scripts/golden/ner_golden.py` →
//! `tests/golden/ner.json`), in both modes, on the real WNUT-17 systems, on
//! fused outputs and on synthetic ill-formed sequences; and the committed
//! fused outputs against the fusers that produced them.

use std::path::{Path, PathBuf};

use modelfuse_nlp::ner::{
    self, Evaluation, FittedNer, Mode, NerFuser, NerMethod, Systems, Tag, parse_conll,
};
use serde_json::Value;

const TOL: f64 = 1e-9;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A repository path, or `examples/wnut17/data/…`: the WNUT-17 files that
/// `examples/get-data.sh` lays out there, read here from `../shared/data` through
/// `modelfuse-testdata` (real third-party data is not committed).
fn resolve(rel: &str) -> PathBuf {
    match rel.strip_prefix("examples/wnut17/data/") {
        Some(part) => modelfuse_testdata::wnut17().join(part),
        None => repo().join(rel),
    }
}

fn read(rel: &str) -> ner::Tagged {
    let path = resolve(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    parse_conll(&text, rel).unwrap()
}

fn tags_of(v: &Value) -> Vec<Vec<Tag>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s.as_array()
                .unwrap()
                .iter()
                .map(|t| Tag::parse(t.as_str().unwrap()).unwrap())
                .collect()
        })
        .collect()
}

fn close(name: &str, what: &str, got: f64, want: &Value) {
    let want = want.as_f64().unwrap();
    assert!(
        (got - want).abs() <= TOL,
        "{name}: {what}: got {got}, seqeval {want}"
    );
}

fn check(name: &str, got: Result<Evaluation, modelfuse_nlp::Error>, want: &Value) {
    if let Some(err) = want.get("error") {
        let e = got.expect_err(name);
        assert_eq!(
            e.kind(),
            modelfuse_nlp::ErrorKind::InvalidValue,
            "{name}: {err}"
        );
        return;
    }
    let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
    close(name, "precision", got.overall.precision, &want["precision"]);
    close(name, "recall", got.overall.recall, &want["recall"]);
    close(name, "f1", got.overall.f1, &want["f1"]);
    let per_type = want["per_type"].as_object().unwrap();
    assert_eq!(
        got.per_type
            .iter()
            .map(|t| t.0.as_str())
            .collect::<Vec<_>>(),
        per_type.keys().map(String::as_str).collect::<Vec<_>>(),
        "{name}: types"
    );
    for (kind, scores, counts) in &got.per_type {
        let w = &per_type[kind];
        close(name, kind, scores.precision, &w[0]);
        close(name, kind, scores.recall, &w[1]);
        close(name, kind, scores.f1, &w[2]);
        assert_eq!(
            counts.gold as u64,
            w[3].as_u64().unwrap(),
            "{name}: {kind} support"
        );
    }
}

#[test]
fn metrics_equal_seqeval_in_both_modes() {
    let golden: Value = serde_json::from_str(include_str!("golden/ner.json")).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() > 60);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (gold, pred) = match case.get("gold_file") {
            Some(g) => (
                read(g.as_str().unwrap()).tags(),
                read(case["pred_file"].as_str().unwrap()).tags(),
            ),
            None => (tags_of(&case["gold"]), tags_of(&case["pred"])),
        };
        check(
            name,
            ner::evaluate(&gold, &pred, Mode::Conlleval),
            &case["conlleval"],
        );
        check(
            name,
            ner::evaluate(&gold, &pred, Mode::Strict),
            &case["strict"],
        );
    }
}

fn wnut_systems() -> Systems {
    let dir = resolve("examples/wnut17/data/systems");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        inputs.push((name.clone(), parse_conll(&text, &name).unwrap().tags()));
    }
    let gold = read("examples/wnut17/data/gold.conll");
    let types = gold
        .tags()
        .into_iter()
        .flatten()
        .filter(|t| !t.is_outside())
        .map(|t| t.kind().to_string());
    Systems::from_tags(inputs, types).unwrap()
}

#[test]
fn committed_fused_outputs_are_reproduced() {
    let systems = wnut_systems();
    let dir = "crates/modelfuse-nlp/tests/golden/ner_fused";
    for method in NerMethod::ALL {
        let fused = NerFuser::new(method)
            .fit(&systems, None, &[])
            .unwrap()
            .predict(&systems)
            .unwrap();
        assert_eq!(
            fused,
            read(&format!("{dir}/{}.conll", method.name())).tags(),
            "{method:?}"
        );
    }
    let text = std::fs::read_to_string(repo().join(dir).join("span-vote-learned.json")).unwrap();
    let fitted = FittedNer::from_json(&text).unwrap();
    let fused = fitted.predict(&systems).unwrap();
    assert_eq!(
        fused,
        read(&format!("{dir}/span-vote-learned.conll")).tags()
    );
}

/// The halves and the paired bootstrap, replayed in Python with the same
/// generator (`scripts/golden/synthetic.py`) and `numpy.quantile`.
#[test]
fn halves_and_bootstrap_equal_the_python_replay() {
    let golden: Value = serde_json::from_str(include_str!("golden/ner.json")).unwrap();
    let c = &golden["comparison"];
    let gold = read("examples/wnut17/data/gold.conll").tags();
    let as_vec = |v: &Value| -> Vec<usize> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    let (a, b) = ner::halves(gold.len(), 0);
    assert_eq!(a, as_vec(&c["half_a"]));
    assert_eq!(b, as_vec(&c["half_b"]));
    assert_eq!(
        ner::halves(gold.len(), 7).0[..10],
        as_vec(&c["halves_seed_7_first_10"])[..]
    );

    let bs = &c["bootstrap"];
    let micro = |name: &str| -> Vec<ner::Counts> {
        let pred = read(&format!("examples/wnut17/data/systems/{name}.conll")).tags();
        let all = ner::corpus_counts(&gold, &pred, Mode::Conlleval).unwrap();
        b.iter().map(|&i| all[i].total()).collect()
    };
    let g = ner::paired_bootstrap(
        &micro(bs["a"].as_str().unwrap()),
        &micro(bs["b"].as_str().unwrap()),
        bs["resamples"].as_u64().unwrap() as usize,
        bs["confidence"].as_f64().unwrap(),
        bs["seed"].as_u64().unwrap(),
    )
    .unwrap();
    close("bootstrap", "gain", g.gain, &bs["gain"]);
    close("bootstrap", "low", g.low, &bs["low"]);
    close("bootstrap", "high", g.high, &bs["high"]);
    close("bootstrap", "p_value", g.p_value, &bs["p_value"]);
}
