//! Properties of the NER fusers on random tag sequences: every fused
//! sentence is valid IOB2; one system fused alone comes back unchanged; span
//! voting over identical systems returns their spans; runs repeat exactly.

use modelfuse_nlp::ner::{
    LabelSet, Mode, NerFuser, NerMethod, Prefix, Systems, Tag, entities, is_valid_iob2, repair_iob2,
};
use proptest::prelude::*;

const TYPES: [&str; 2] = ["a", "b"];

fn tag(code: u8, iobes: bool) -> Tag {
    let n_prefix = if iobes { 4 } else { 2 };
    let p = code % (1 + n_prefix * 2);
    if p == 0 {
        return Tag::outside();
    }
    let prefix = [Prefix::B, Prefix::I, Prefix::E, Prefix::S][usize::from((p - 1) / 2)];
    Tag::new(prefix, TYPES[usize::from((p - 1) % 2)])
}

/// Random corpora: `systems` systems × up to 6 sentences of 1..12 tokens.
fn corpus(systems: usize, iobes: bool) -> impl Strategy<Value = Vec<Vec<Vec<Tag>>>> {
    prop::collection::vec(1usize..12, 1..6).prop_flat_map(move |lens| {
        let sentence = |n: usize| prop::collection::vec(any::<u8>(), n);
        let one = lens.iter().map(|&n| sentence(n)).collect::<Vec<_>>();
        prop::collection::vec(one, systems).prop_map(move |sys| {
            sys.into_iter()
                .map(|sents| {
                    sents
                        .into_iter()
                        .map(|s| s.into_iter().map(|c| tag(c, iobes)).collect())
                        .collect()
                })
                .collect()
        })
    })
}

fn systems_of(corpus: &[Vec<Vec<Tag>>]) -> Systems {
    let inputs = corpus
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("s{i}"), t.clone()))
        .collect();
    Systems::from_tags(inputs, TYPES.iter().map(|t| t.to_string())).unwrap()
}

/// Valid IOB2: repairs the labels of the first system's tags.
fn valid(tags: &[Vec<Tag>]) -> Vec<Vec<Tag>> {
    let set = LabelSet::new(TYPES.iter().map(|t| t.to_string()));
    tags.iter()
        .map(|s| {
            let mut l: Vec<usize> = s.iter().map(|t| set.label(t).unwrap()).collect();
            repair_iob2(&mut l);
            l.into_iter().map(|x| set.tag(x)).collect()
        })
        .collect()
}

proptest! {
    #[test]
    fn fused_output_is_always_valid_iob2(c in corpus(3, true), w in prop::collection::vec(0.0f64..3.0, 3), thr in 0.05f64..1.0) {
        let sys = systems_of(&c);
        for method in NerMethod::ALL {
            let mut f = NerFuser::new(method);
            f.threshold = thr;
            f.weights = Some((0..3).map(|i| (format!("s{i}"), w[i] + 0.01)).collect());
            let fitted = f.fit(&sys, None, &[]).unwrap();
            let a = fitted.predict_labels(&sys).unwrap();
            for s in &a {
                prop_assert!(is_valid_iob2(s), "{method:?}: {s:?}");
            }
            // Same inputs, same output.
            prop_assert_eq!(&a, &fitted.predict_labels(&sys).unwrap());
        }
    }

    #[test]
    fn repair_makes_any_sequence_valid(codes in prop::collection::vec(0usize..5, 0..30)) {
        let mut l = codes.clone();
        repair_iob2(&mut l);
        prop_assert!(is_valid_iob2(&l));
        if is_valid_iob2(&codes) {
            prop_assert_eq!(l, codes);
        }
    }

    #[test]
    fn one_system_on_valid_iob2_comes_back_unchanged(c in corpus(1, false)) {
        let tags = valid(&c[0]);
        let sys = systems_of(std::slice::from_ref(&tags));
        for method in [NerMethod::TokenVote, NerMethod::Viterbi] {
            let fused = NerFuser::new(method).fit(&sys, None, &[]).unwrap().predict(&sys).unwrap();
            prop_assert_eq!(&fused, &tags, "{:?}", method);
        }
    }

    #[test]
    fn span_vote_of_identical_systems_returns_their_spans(c in corpus(1, true), copies in 1usize..5, thr in 0.05f64..1.0) {
        let corpus: Vec<_> = std::iter::repeat_n(c[0].clone(), copies).collect();
        let sys = systems_of(&corpus);
        let mut f = NerFuser::new(NerMethod::SpanVote);
        f.threshold = thr;
        let fused = f.fit(&sys, None, &[]).unwrap().predict(&sys).unwrap();
        for (got, want) in fused.iter().zip(&c[0]) {
            prop_assert_eq!(
                entities(got, Mode::Strict).unwrap(),
                entities(want, Mode::Conlleval).unwrap()
            );
        }
    }
}
