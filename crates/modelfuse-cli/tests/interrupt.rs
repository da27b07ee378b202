//! Nothing lost: a run killed while it writes (SIGINT, SIGTERM or SIGKILL,
//! at many moments) leaves the output either as it was before or complete,
//! never a mix. Outputs are written to a temporary file in the same folder
//! and renamed (`modelfuse_io::write_atomic`), so the only trace a kill can
//! leave is a stray `.<name>.<random>.tmp`.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::Instant;

use assert_cmd::cargo::CommandCargoExt;

/// Two models' probabilities for `n` samples × 10 classes, big enough that
/// reading, fusing and writing take a noticeable time.
fn write_inputs(dir: &Path, n: usize) {
    for (m, shift) in [("a", 1usize), ("b", 3)] {
        let mut text = String::from("id");
        for c in 0..10 {
            text.push_str(&format!(",c{c}"));
        }
        text.push('\n');
        for i in 0..n {
            text.push_str(&i.to_string());
            let hot = (i * shift) % 10;
            for c in 0..10 {
                text.push_str(if c == hot { ",0.91" } else { ",0.01" });
            }
            text.push('\n');
        }
        std::fs::write(dir.join(format!("{m}.csv")), text).unwrap();
    }
    // The fuser: a plain mean, fitted (nothing to learn) by the CLI itself.
    let status = Process::cargo_bin("modelfuse")
        .unwrap()
        .current_dir(dir)
        .args([
            "fit",
            "a.csv",
            "b.csv",
            "--method",
            "mean",
            "-o",
            "mean.json",
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "fitting the mean failed");
}

fn predict(dir: &Path, out: &str) -> Process {
    let mut cmd = Process::cargo_bin("modelfuse").unwrap();
    cmd.current_dir(dir)
        .args([
            "predict",
            "--fuser",
            "mean.json",
            "a.csv",
            "b.csv",
            "-o",
            out,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn a_killed_write_leaves_the_old_file_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    write_inputs(dir, 50_000);
    // The complete new output, and how long a run takes.
    let started = Instant::now();
    let status = predict(dir, "reference.csv").status().unwrap();
    assert!(status.success(), "the reference run failed");
    let full = started.elapsed();
    let new = std::fs::read(dir.join("reference.csv")).unwrap();
    let old = b"id,c0,label\nthe previous output\n".to_vec();

    let mut outcomes = (0usize, 0usize);
    // Signals at moments spread over the whole run, writing included.
    let steps = 12u32;
    // Up to a quarter past the reference run's length, so that the last
    // signals arrive during or after the write and rename.
    let at = |step: u32| full * step * 5 / (steps * 4);
    for step in 0..=steps {
        for signal in ["INT", "TERM", "KILL"] {
            std::fs::write(dir.join("fused.csv"), &old).unwrap();
            let mut child = predict(dir, "fused.csv").spawn().unwrap();
            std::thread::sleep(at(step));
            let _ = Process::new("kill")
                .args([format!("-{signal}"), child.id().to_string()])
                .status();
            let _ = child.wait();
            let now = std::fs::read(dir.join("fused.csv")).unwrap();
            if now == old {
                outcomes.0 += 1;
            } else if now == new {
                outcomes.1 += 1;
            } else {
                panic!(
                    "after SIG{signal} at {:?} the output is neither the old file nor the new one ({} bytes)",
                    at(step),
                    now.len()
                );
            }
        }
        // Stray temporary files are the only trace; clean them between runs.
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tmp") {
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    // Early signals must have left the old file; a run that finished before
    // its signal left the new one. (Both kinds are expected over the sweep,
    // but a very slow or fast machine may see only one; the invariant above
    // is what matters.)
    eprintln!(
        "old file kept {} times, new file complete {} times",
        outcomes.0, outcomes.1
    );
    assert!(
        outcomes.0 > 0,
        "no signal landed before the rename: {outcomes:?}"
    );
}
