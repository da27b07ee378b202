//! Turning the paths a person typed into the prediction files to read.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::FileFormat;
use crate::error::{Error, Result};

/// Expands files and folders into the list of prediction files to read.
///
/// * A file is kept as given, whatever its extension ([`read_predictions`]
///   judges it).
/// * A folder gives its prediction files, those ending in `.csv`, `.tsv`,
///   `.parquet`, `.npy` or `.npz` (any case), sorted by file name. It is not
///   searched recursively, and it skips what lives beside predictions in a
///   dataset folder: labels files (`*.labels.csv`, `*.labels.tsv`,
///   `*.labels.parquet`, and `labels.*`), sidecars (`*.ids.txt`,
///   `classes.txt`, `*.classes.txt`, `*.json`, none of which has a
///   prediction extension anyway) and hidden files (`.*`, which include the
///   temporary files of [`write_atomic`](crate::write_atomic)).
///
/// The order of `inputs` is kept; a model's name is its file stem, so two
/// files with the same stem (`a/bert.csv`, `b/bert.parquet`) are an error
/// rather than a silent overwrite of one model by another.
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io) for a path that does not exist or
/// a folder that cannot be listed; [`ErrorKind::Shape`](crate::ErrorKind::Shape)
/// for a folder without prediction files;
/// [`ErrorKind::Format`](crate::ErrorKind::Format) naming both paths when two
/// inputs share a stem.
///
/// [`read_predictions`]: crate::read_predictions
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    expand_inputs_noting(inputs).map(|(files, _)| files)
}

/// An entry of an input folder that [`expand_inputs_noting`] did not read,
/// with the reason, so that a model never vanishes without a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The entry's path.
    pub path: PathBuf,
    /// Why it was not read, e.g. "a symbolic link to nothing".
    pub reason: String,
}

/// [`expand_inputs`], also returning the folder entries with a prediction
/// extension that were skipped and why: labels files, symbolic links to
/// nothing or in a loop, FIFOs, sockets, devices and folders. (Hidden files
/// and other extensions are skipped silently, as documented there.)
///
/// # Errors
///
/// Those of [`expand_inputs`].
pub fn expand_inputs_noting(inputs: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<Skipped>)> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| Error::io("cannot open", e).or_path(input))?;
        if meta.is_dir() {
            let found = list_folder(input, &mut skipped).map_err(|e| e.or_path(input))?;
            if found.is_empty() {
                return Err(Error::shape(
                    "expected prediction files (.csv, .tsv, .parquet, .npy, .npz) in this \
                     folder, found none",
                )
                .or_path(input));
            }
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    let mut by_stem: BTreeMap<String, &PathBuf> = BTreeMap::new();
    for file in &files {
        let stem = model_name(file)?;
        if let Some(before) = by_stem.insert(stem.clone(), file) {
            return Err(Error::format(format!(
                "expected one file per model name, found two for '{stem}': {} and {}",
                before.display(),
                file.display()
            )));
        }
    }
    Ok((files, skipped))
}

/// Files as given and folders expanded to their files, for inputs that are not
/// prediction tables (NER, QA and generation systems): in each folder, every
/// non-hidden entry whose name `accept` takes, sorted by name. An entry that is
/// not a readable regular file (a dangling or looping link, a FIFO, a socket, a
/// sub-folder) is returned as [`Skipped`] with the reason, never dropped in
/// silence; hidden entries and names `accept` refuses are left out, as
/// documented by each command.
///
/// # Errors
///
/// When an input cannot be opened or listed, or a folder holds none of the
/// files (`what` names them in the message).
pub fn expand_files(
    inputs: &[PathBuf],
    accept: impl Fn(&str) -> bool,
    what: &str,
) -> Result<(Vec<PathBuf>, Vec<Skipped>)> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| Error::io("cannot open", e).or_path(input))?;
        if !meta.is_dir() {
            files.push(input.clone());
            continue;
        }
        let cannot = |e| Error::io("cannot list the folder", e).or_path(input);
        let mut found = Vec::new();
        let mut noted = Vec::new();
        for entry in fs::read_dir(input).map_err(cannot)? {
            let entry = entry.map_err(cannot)?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || !accept(&name) {
                continue;
            }
            match classify(entry.path()) {
                Ok(file) => found.push(file),
                Err(s) => noted.push(s),
            }
        }
        if found.is_empty() {
            return Err(
                Error::shape(format!("expected {what} in this folder, found none")).or_path(input),
            );
        }
        found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        noted.sort_by(|a, b| a.path.cmp(&b.path));
        files.extend(found);
        skipped.extend(noted);
    }
    Ok((files, skipped))
}

/// A folder entry as a file to read, or why it cannot be one (symbolic links
/// are followed: a link to a file is that file).
fn classify(path: PathBuf) -> std::result::Result<PathBuf, Skipped> {
    match fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(path),
        Ok(m) => Err(Skipped {
            path,
            reason: not_a_file(&m).into(),
        }),
        Err(e) => {
            let link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            let reason = match (link, e.kind()) {
                (true, std::io::ErrorKind::NotFound) => {
                    "a symbolic link to nothing (its target does not exist)".to_string()
                }
                (true, _) => format!("a symbolic link that cannot be followed (a loop?): {e}"),
                _ => format!("cannot be read: {e}"),
            };
            Err(Skipped { path, reason })
        }
    }
}

/// The name an NLP system file (tagger output, QA answers, translations)
/// gives its system, and its extension: the file name without a trailing
/// `.gz` (in any case), then without its last extension when something is
/// left before the dot; the extension lowercased (empty when there is none).
/// `wnut.bert.conll.gz` → (`wnut.bert`, `conll`); `sys.JSONL` → (`sys`,
/// `jsonl`); `.hidden` → (`.hidden`, ``). The one naming rule of the `ner`,
/// `qa` and `generate` commands.
pub fn system_name(path: &Path) -> (String, String) {
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Lowercasing ASCII keeps every byte where it is, so the cut is on a
    // character boundary.
    if name.len() > 3 && name.to_ascii_lowercase().ends_with(".gz") {
        name.truncate(name.len() - 3);
    }
    match name.rfind('.') {
        Some(dot) if dot > 0 => {
            let ext = name[dot + 1..].to_ascii_lowercase();
            name.truncate(dot);
            (name, ext)
        }
        _ => (name, String::new()),
    }
}

/// The model name a prediction file gives: its file stem (what
/// [`read_predictions`](crate::read_predictions) names its output).
///
/// # Errors
///
/// [`ErrorKind::Format`](crate::ErrorKind::Format), with the path, for a
/// name that is not UTF-8 or is empty.
pub fn model_name(path: &Path) -> Result<String> {
    match path.file_stem().map(|s| s.to_str()) {
        Some(Some(stem)) if !stem.is_empty() => Ok(stem.to_string()),
        _ => Err(Error::format(
            "expected a file name in UTF-8 to name the model after, found none",
        )
        .or_path(path)),
    }
}

fn list_folder(dir: &Path, skipped: &mut Vec<Skipped>) -> Result<Vec<PathBuf>> {
    let cannot = |e| Error::io("cannot list the folder", e);
    let mut found = Vec::new();
    let mut noted = Vec::new();
    for entry in fs::read_dir(dir).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            noted.push(Skipped {
                path,
                reason: "a file name that is not UTF-8 (a model is named after it)".into(),
            });
            continue;
        };
        if name.starts_with('.') || !has_prediction_extension(name) {
            continue;
        }
        if is_labels_file_name(name) {
            noted.push(Skipped {
                path,
                reason: "named as a labels file (labels.* or *.labels.*), so not read as a model; rename it to fuse it".into(),
            });
            continue;
        }
        // Follows symlinks: a link to a prediction file is one.
        match classify(path) {
            Ok(file) => found.push(file),
            Err(s) => noted.push(s),
        }
    }
    found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    noted.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.extend(noted);
    Ok(found)
}

/// What an entry that is not a regular file is, in words.
fn not_a_file(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder, not a file (folders are not searched recursively)";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe), not a regular file";
        }
        if t.is_socket() {
            return "a socket, not a regular file";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device, not a regular file";
        }
    }
    "not a regular file"
}

/// Whether a name has one of the prediction extensions.
fn has_prediction_extension(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| FileFormat::from_extension(&ext.to_ascii_lowercase()).is_some())
}

/// Labels files beside predictions: `labels.*` and `*.labels.*`.
fn is_labels_file_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower.rsplit_once('.').map_or(lower.as_str(), |(s, _)| s);
    stem == "labels" || stem.ends_with(".labels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_names_drop_gz_then_the_last_extension() {
        let name = |p: &str| system_name(Path::new(p));
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(name("dir/wnut.bert.conll.gz"), pair("wnut.bert", "conll"));
        assert_eq!(name("sys.JSONL.GZ"), pair("sys", "jsonl"));
        assert_eq!(name("answers.json"), pair("answers", "json"));
        assert_eq!(name("plain"), pair("plain", ""));
        assert_eq!(name(".hidden"), pair(".hidden", ""));
        assert_eq!(name("é.gz"), pair("é", ""));
        assert_eq!(name("x.gz"), pair("x", ""));
    }

    fn touch(dir: &Path, names: &[&str]) {
        for n in names {
            fs::write(dir.join(n), "").unwrap();
        }
    }

    fn names(paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn inputs_expand_folders_sorted_and_skip_labels_and_sidecars() {
        let dir = tempfile::tempdir().unwrap();
        touch(
            dir.path(),
            &[
                "roberta.parquet",
                "bert.csv",
                "x.NPY",
                "val.labels.csv",
                "labels.parquet",
                "x.ids.txt",
                "classes.txt",
                "fitted.json",
                ".bert.csv.abc.tmp",
                ".hidden.csv",
                "notes.md",
            ],
        );
        fs::create_dir(dir.path().join("sub.csv")).unwrap();
        let (files, skipped) = expand_inputs_noting(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(names(&files), ["bert.csv", "roberta.parquet", "x.NPY"]);
        let skipped: Vec<String> = skipped
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    s.path.file_name().unwrap().to_string_lossy(),
                    s.reason
                )
            })
            .collect();
        assert_eq!(
            skipped,
            [
                "labels.parquet: named as a labels file (labels.* or *.labels.*), so not read as a model; rename it to fuse it",
                "sub.csv: a folder, not a file (folders are not searched recursively)",
                "val.labels.csv: named as a labels file (labels.* or *.labels.*), so not read as a model; rename it to fuse it",
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn inputs_say_which_links_and_special_files_they_skip() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        touch(d, &["a.csv"]);
        std::os::unix::fs::symlink("missing.csv", d.join("dangling.csv")).unwrap();
        std::os::unix::fs::symlink("loop.csv", d.join("loop.csv")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(d.join("pipe.csv"))
            .status()
            .is_ok_and(|s| s.success());
        let (files, skipped) = expand_inputs_noting(&[d.to_path_buf()]).unwrap();
        assert_eq!(names(&files), ["a.csv"]);
        let reasons: Vec<(String, &str)> = skipped
            .iter()
            .map(|s| {
                (
                    s.path.file_name().unwrap().to_string_lossy().into_owned(),
                    s.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            reasons[0],
            (
                "dangling.csv".into(),
                "a symbolic link to nothing (its target does not exist)"
            )
        );
        assert_eq!(reasons[1].0, "loop.csv");
        assert!(
            reasons[1]
                .1
                .starts_with("a symbolic link that cannot be followed (a loop?): "),
            "{}",
            reasons[1].1
        );
        if fifo {
            assert_eq!(
                reasons[2],
                ("pipe.csv".into(), "a FIFO (named pipe), not a regular file")
            );
        }
    }

    #[test]
    fn inputs_keep_files_as_given_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), &["b.csv", "a.txt"]);
        let given = [dir.path().join("b.csv"), dir.path().join("a.txt")];
        assert_eq!(expand_inputs(&given).unwrap(), given);
    }

    #[test]
    fn inputs_errors_name_the_paths() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let shown = |e: Error| e.to_string().replace(&d.display().to_string(), "dir");
        fs::create_dir(d.join("a")).unwrap();
        fs::create_dir(d.join("empty")).unwrap();
        touch(&d.join("a"), &["bert.csv"]);
        touch(d, &["bert.parquet", "empty/labels.csv"]);

        let e = expand_inputs(&[d.join("a"), d.join("bert.parquet")]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Format);
        insta::assert_snapshot!(shown(e), @"expected one file per model name, found two for 'bert': dir/a/bert.csv and dir/bert.parquet");

        let e = expand_inputs(&[d.join("empty")]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Shape);
        insta::assert_snapshot!(shown(e), @"dir/empty: expected prediction files (.csv, .tsv, .parquet, .npy, .npz) in this folder, found none");

        let e = expand_inputs(&[d.join("missing.csv")]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Io);
        assert_eq!(e.path(), Some(d.join("missing.csv").as_path()));
    }
}
