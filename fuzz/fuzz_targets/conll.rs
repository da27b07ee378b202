//! CoNLL files, the column file, probability JSONL and the evaluation of
//! whatever parsed against itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelfuse_nlp::ner;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(tagged) = ner::parse_conll(text, "fuzz") {
        let _ = ner::check_aligned(&tagged, &tagged);
    }
    let _ = ner::parse_columns(text, "fuzz");
    let _ = ner::parse_probs_jsonl(text, "fuzz");
});
