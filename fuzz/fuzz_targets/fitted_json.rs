//! Every saved fuser format: the core's fitted fuser and cascade, and the
//! NER, QA and generation fusers; and the type check in front of them
//! (`FittedKind`): it never panics, and it never refuses a file that the
//! reader of its kind accepts (a file given to the wrong command is named,
//! one given to the right command always reaches its reader).
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelfuse_io::FittedKind;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let kind = FittedKind::sniff(text);
    let accepted_as = |k: FittedKind| {
        assert!(
            FittedKind::expect(text, k).is_ok(),
            "a valid {k:?} file was refused as {kind:?}"
        );
    };
    if modelfuse::FittedFuser::from_json(text).is_ok() {
        accepted_as(FittedKind::Fuser);
    }
    if let Ok(c) = serde_json_cascade(text)
        && c.check().is_ok()
    {
        accepted_as(FittedKind::Cascade);
    }
    if modelfuse_nlp::ner::FittedNer::from_json(text).is_ok() {
        accepted_as(FittedKind::Ner);
    }
    if modelfuse_nlp::qa::FittedQa::from_json(text, "fuzz").is_ok() {
        accepted_as(FittedKind::Qa);
    }
    if modelfuse_nlp::generate::FittedMbr::from_json(text).is_ok() {
        accepted_as(FittedKind::Generate);
    }
});

fn serde_json_cascade(
    text: &str,
) -> Result<modelfuse::cascade::FittedCascade, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(text)?)
}
