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
    let mut files = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| Error::io("cannot open", e).or_path(input))?;
        if meta.is_dir() {
            let found = list_folder(input).map_err(|e| e.or_path(input))?;
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
    Ok(files)
}

/// The model name a prediction file gives: its file stem.
pub(crate) fn model_name(path: &Path) -> Result<String> {
    match path.file_stem().map(|s| s.to_str()) {
        Some(Some(stem)) if !stem.is_empty() => Ok(stem.to_string()),
        _ => Err(Error::format(
            "expected a file name in UTF-8 to name the model after, found none",
        )
        .or_path(path)),
    }
}

fn list_folder(dir: &Path) -> Result<Vec<PathBuf>> {
    let cannot = |e| Error::io("cannot list the folder", e);
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_prediction_file_name(name) {
            continue;
        }
        // Follows symlinks: a link to a prediction file is one.
        let is_file = fs::metadata(&path).map(|m| m.is_file()).unwrap_or(false);
        if is_file {
            found.push(path);
        }
    }
    found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(found)
}

/// Whether a file found in a folder is a prediction file, by its name alone.
fn is_prediction_file_name(name: &str) -> bool {
    if name.starts_with('.') {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let Some((stem, ext)) = lower.rsplit_once('.') else {
        return false;
    };
    if FileFormat::from_extension(ext).is_none() {
        return false;
    }
    stem != "labels" && !stem.ends_with(".labels")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let files = expand_inputs(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(names(&files), ["bert.csv", "roberta.parquet", "x.NPY"]);
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
