//! Saved fusers written by an earlier modelfuse (one per method, in
//! `crates/modelfuse/tests/fixtures/saved`) predict the same bytes today.

mod common;

use common::{modelfuse, repo};

#[test]
fn saved_fusers_predict_the_same_bytes() {
    let dir = repo().join("crates/modelfuse/tests/fixtures/saved");
    let tmp = tempfile::tempdir().unwrap();
    let mut fusers: Vec<_> = std::fs::read_dir(dir.join("fusers"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    fusers.sort();
    assert!(fusers.len() >= 12, "expected a fixture per method");
    for fuser in &fusers {
        let name = fuser.file_stem().unwrap().to_str().unwrap();
        let set = if name.starts_with("reg-") {
            "reg"
        } else {
            "cls"
        };
        let out = tmp.path().join(format!("{name}.csv"));
        let mut cmd = modelfuse();
        cmd.arg("predict")
            .arg("--fuser")
            .arg(fuser)
            .arg("-o")
            .arg(&out);
        for m in ["a", "b", "c"] {
            cmd.arg(dir.join(set).join(format!("{m}.csv")));
        }
        let status = cmd.output().unwrap();
        assert!(
            status.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let expected =
            std::fs::read(dir.join("fusers").join(format!("{name}.predicted.csv"))).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), expected, "{name}");
    }
}
