//! What the end-to-end test binaries share: running the `modelfuse` binary,
//! finding the repository's files, and checking outcomes.

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `modelfuse` binary built for these tests.
pub fn modelfuse() -> Command {
    Command::cargo_bin("modelfuse").unwrap()
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path under `examples/`: what the project made itself (the BANKING77 zoo, the
/// windowed taggers' outputs).
pub fn example(part: &str) -> PathBuf {
    repo().join("examples").join(part)
}

/// A path in a real third-party dataset, read from outside the repository
/// (`../shared/data` or `$MODELFUSE_DATA`) and laid out by `modelfuse-testdata`; the test
/// fails with the missing file and how to get it when the data is absent.
pub fn data(set: modelfuse_testdata::Set, part: &str) -> PathBuf {
    modelfuse_testdata::prepared(set).join(part)
}

/// Runs a command that must succeed; returns its stdout.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command expected to fail on bad input (exit code 2); returns its
/// stderr.
pub fn bad_input(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// Writes `text` to `dir/name`; returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}
