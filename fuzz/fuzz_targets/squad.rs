//! SQuAD dataset and prediction files, the official metrics on whatever
//! parsed, and generation inputs (n-best JSONL).
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelfuse_nlp::qa;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = qa::Dataset::parse(text, "fuzz") {
        let v = qa::ScriptVersion::for_dataset(&d);
        let _ = qa::evaluate(&d, |_| Some(text), std::iter::empty(), v);
    }
    if let Ok(s) = qa::SystemAnswers::parse(text, "fuzz") {
        for id in s.ids() {
            let _ = qa::normalize_answer(s.answer(id).unwrap_or(""));
        }
    }
    let _ = modelfuse_nlp::generate::SystemOutput::from_nbest_jsonl("fuzz", text);
});
