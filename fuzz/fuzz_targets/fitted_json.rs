//! Every saved fuser format: the core's fitted fuser and cascade, and the
//! NER, QA and generation fusers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = modelfuse::FittedFuser::from_json(text);
    if let Ok(c) = serde_json_cascade(text) {
        let _ = c.check();
    }
    let _ = modelfuse_nlp::ner::FittedNer::from_json(text);
    let _ = modelfuse_nlp::qa::FittedQa::from_json(text, "fuzz");
    let _ = modelfuse_nlp::generate::FittedMbr::from_json(text);
});

fn serde_json_cascade(
    text: &str,
) -> Result<modelfuse::cascade::FittedCascade, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(text)?)
}
