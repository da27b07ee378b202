//! NER probability JSONL, per sentence and per window: the parsers, then
//! alignment to words and window merging on synthetic reference words
//! (enough one-letter words to cover every offset), then the systems built
//! from what aligned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelfuse_nlp::ner::{self, Alignment, SystemInput, WindowMerge};

/// One sentence of one-letter words whose text (`"a a a"`) is `chars` long
/// at least, at most 64 words.
fn words(chars: usize) -> Vec<String> {
    vec!["a".to_string(); chars.div_ceil(2).clamp(1, 64)]
}

fn systems(input: SystemInput) {
    let _ = ner::Systems::new(vec![("fuzz".to_string(), input)], Vec::<String>::new());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sents) = ner::parse_probs_jsonl(text, "fuzz") {
        let refs: Vec<Vec<String>> = sents
            .iter()
            .map(|s| words(s.offsets.iter().map(|o| o[1]).max().unwrap_or(0)))
            .collect();
        for how in [Alignment::FirstSubtoken, Alignment::Mean] {
            if let Ok(input) = ner::align_corpus(&sents, &refs, how, "fuzz") {
                systems(input);
            }
        }
    }
    if matches!(ner::is_window_file(text, "fuzz"), Ok(true))
        && let Ok(windows) = ner::parse_windows_jsonl(text, "fuzz")
    {
        let n = windows.iter().map(|w| w.sentence).max().unwrap_or(0).min(16) + 1;
        let longest = windows
            .iter()
            .map(|w| w.start.saturating_add(w.words.len()))
            .max()
            .unwrap_or(1)
            .min(64);
        let refs = vec![vec!["a".to_string(); longest.max(1)]; n];
        for how in [
            WindowMerge::Mean,
            WindowMerge::Centre,
            WindowMerge::MaxContext,
            WindowMerge::First,
        ] {
            if let Ok(input) =
                ner::merge_windows(&windows, &refs, Alignment::FirstSubtoken, how, "fuzz")
            {
                systems(input);
            }
        }
    }
});
