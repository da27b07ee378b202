//! Shared by the fuzz targets: the file readers take paths, so each input is
//! written to a file with the extension under test, in a folder made once
//! per process.

use std::path::PathBuf;
use std::sync::OnceLock;

/// A path `input.<ext>` in this process's scratch folder, holding `data`.
pub fn file_with(ext: &str, data: &[u8]) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a scratch folder"));
    let path = dir.path().join(format!("input.{ext}"));
    std::fs::write(&path, data).expect("writing the scratch file");
    path
}
