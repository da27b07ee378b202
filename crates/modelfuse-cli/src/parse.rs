//! Value parsers for command-line arguments: library names through the
//! library's own `FromStr` (it owns the names and the message listing the
//! valid ones), and `name=weight` lists. A leaf: it imports nothing from the
//! commands.

use std::collections::BTreeMap;

use modelfuse::NamedWeights;

/// Parses any library type named on the command line (methods, metrics,
/// tie rules, meta-models, transforms, calibrations): the library owns the
/// names and the message listing the valid ones.
pub fn parse<T: std::str::FromStr<Err = modelfuse::Error>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: modelfuse::Error| e.to_string())
}

/// [`parse`] for the settings of `modelfuse-nlp` (QA and NER methods, SQuAD
/// versions).
pub fn parse_nlp<T: std::str::FromStr<Err = modelfuse_nlp::Error>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: modelfuse_nlp::Error| e.to_string())
}

/// Parses a count or a seed: a whole number, 0 or more. A negative number
/// reaches this parser (its argument allows negative numbers) so that it is
/// named as a value out of range, not taken for an unknown flag.
pub fn whole<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected a whole number, 0 or more, found '{s}'"))
}

/// Parses a positive number of seconds (`90`, `2.5`).
pub fn seconds(s: &str) -> Result<std::time::Duration, String> {
    let expected = || format!("expected a positive number of seconds, found '{s}'");
    let x: f64 = s.trim().parse().map_err(|_| expected())?;
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return Err(expected());
    }
    std::time::Duration::try_from_secs_f64(x).map_err(|_| expected())
}

/// Parses `name=weight,name=weight`.
pub fn parse_weights(s: &str) -> Result<NamedWeights, String> {
    let mut map = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, w) = part
            .split_once('=')
            .ok_or_else(|| format!("expected name=weight, found '{part}'"))?;
        let w: f64 = w
            .trim()
            .parse()
            .map_err(|_| format!("expected a number as the weight of '{name}', found '{w}'"))?;
        if map.insert(name.trim().to_string(), w).is_some() {
            return Err(format!("the model '{name}' has two weights"));
        }
    }
    if map.is_empty() {
        return Err("expected at least one name=weight, found none".into());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_report_bad_parts() {
        let w = parse_weights("bert=2, roberta=1").unwrap();
        assert_eq!(w["bert"], 2.0);
        assert_eq!(
            parse_weights("bert").unwrap_err(),
            "expected name=weight, found 'bert'"
        );
        assert_eq!(
            parse_weights("bert=x").unwrap_err(),
            "expected a number as the weight of 'bert', found 'x'"
        );
    }
}
