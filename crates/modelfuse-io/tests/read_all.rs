//! `read_predictions_all`: files read in parallel, results in input order.

use std::path::PathBuf;

#[test]
fn reads_every_file_in_input_order_and_reports_the_first_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let good: Vec<PathBuf> = (0..8)
        .map(|m| {
            write(
                &format!("m{m}.csv"),
                &format!("id,a,b\n1,0.{m},0.5\n2,0.5,0.5\n"),
            )
        })
        .collect();
    let outputs = modelfuse_io::read_predictions_all(&good).unwrap();
    let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    assert_eq!(
        outputs[3],
        modelfuse_io::read_predictions(&good[3]).unwrap()
    );

    // Two bad files: the error is always the first one's in input order,
    // whichever thread reads it first.
    let mut paths = good.clone();
    paths.insert(5, write("late.csv", "id,a,b\n1,0.5,oops\n"));
    paths.insert(2, write("early.csv", "id,a,b\n1,0.5\n"));
    for _ in 0..20 {
        let err = modelfuse_io::read_predictions_all(&paths).unwrap_err();
        assert!(err.to_string().contains("early.csv"), "{err}");
    }
    assert!(modelfuse_io::read_predictions_all(&[]).unwrap().is_empty());
}
