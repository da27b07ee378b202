//! Outputs never clobber inputs: before a command reads anything, every
//! output path it was given is checked against every input path (files, and
//! the files of input folders), by what they resolve to — the same file
//! through a symbolic link, a hard link or another spelling of the path is
//! the same file. `--force` lifts the check.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Result, bail};

use crate::cli::{Cli, Command};
use crate::commands::{cascade, generate, ner, qa};

/// Set once from `--force` before any command runs.
static FORCE: AtomicBool = AtomicBool::new(false);

/// What a path resolves to: device and inode on Unix (hard links and
/// symbolic links included), the canonical path elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    let meta = fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = &meta;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        fs::canonicalize(path).ok().map(Identity::Path)
    }
}

/// An input, or the files of an input folder (one level, as every reader
/// lists folders).
fn input_files(input: &Path) -> Vec<PathBuf> {
    if input.is_dir() {
        let mut v: Vec<PathBuf> = fs::read_dir(input)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.sort();
        v
    } else {
        vec![input.to_path_buf()]
    }
}

/// Whether `--force` was given.
pub fn forced() -> bool {
    FORCE.load(Ordering::Relaxed)
}

/// Refuses outputs that are inputs, and two outputs that are one file.
pub fn check(inputs: &[&Path], outputs: &[&Path]) -> Result<()> {
    let mut seen: Vec<(Identity, PathBuf)> = Vec::new();
    for input in inputs.iter().filter(|p| p.as_os_str() != "-") {
        for file in input_files(input) {
            if let Some(id) = identity(&file) {
                seen.push((id, file));
            }
        }
    }
    let mut written: BTreeSet<PathBuf> = BTreeSet::new();
    for out in outputs.iter().filter(|p| p.as_os_str() != "-") {
        // Checked before anything is read, so that a long fit does not end
        // on an output it could never write.
        if out.is_dir() {
            bail!(
                "{}: expected a file to write, found a folder; name a file inside it",
                out.display()
            );
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            bail!(
                "{}: expected an existing folder to write into, found no folder {}; create it first",
                out.display(),
                parent.display()
            );
        }
        if !written.insert(normal(out)) {
            bail!(
                "{}: given as two outputs; each output needs its own file",
                out.display()
            );
        }
        if FORCE.load(Ordering::Relaxed) {
            continue;
        }
        let Some(id) = identity(out) else { continue };
        if let Some((_, input)) = seen.iter().find(|(i, _)| *i == id) {
            let same = if input.as_path() == *out {
                String::new()
            } else {
                format!(" {}", input.display())
            };
            bail!(
                "{}: refusing to overwrite the input{same}; write the output elsewhere, or pass --force to overwrite it",
                out.display()
            );
        }
    }
    Ok(())
}

/// A path with its existing part resolved, for comparing outputs that do
/// not exist yet.
fn normal(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            fs::canonicalize(parent)
                .map(|p| p.join(name))
                .unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// Whether `inner` is `outer` or lies inside it (both resolved as far as they
/// exist).
pub fn is_within(inner: &Path, outer: &Path) -> bool {
    let outer = normal(outer);
    let mut p = normal(inner);
    loop {
        if p == outer {
            return true;
        }
        if !p.pop() {
            return false;
        }
    }
}

/// Records `--force` and checks the command's outputs against its inputs.
pub fn check_command(cli: &Cli) -> Result<()> {
    FORCE.store(cli.force, Ordering::Relaxed);
    let (inputs, outputs) = paths(&cli.command);
    if json_flag(&cli.command) && outputs.iter().any(|p| p.as_os_str() == "-") {
        bail!("-o -: expected no --json with it, since both would be written to stdout");
    }
    check(&inputs, &outputs)
}

fn many(v: &[PathBuf]) -> Vec<&Path> {
    v.iter().map(PathBuf::as_path).collect()
}

fn opt(p: &Option<PathBuf>) -> Vec<&Path> {
    p.as_deref().into_iter().collect()
}

/// Whether a command that writes a file was asked for a JSON summary.
fn json_flag(command: &Command) -> bool {
    match command {
        Command::Predict(a) => a.json,
        Command::Ner {
            command: ner::NerCommand::Fuse(a),
        } => a.json,
        Command::Qa {
            command: qa::QaCommand::Fuse(a),
        } => a.json,
        Command::Generate {
            command: generate::GenerateCommand::Fuse(a),
        } => a.json,
        _ => false,
    }
}

/// Every path a command reads, and every file it writes.
fn paths(command: &Command) -> (Vec<&Path>, Vec<&Path>) {
    use cascade::CascadeCommand as C;
    use generate::GenerateCommand as G;
    use ner::NerCommand as N;
    use qa::QaCommand as Q;
    let none = (Vec::new(), Vec::new());
    match command {
        // `auto` checks its output folder against the dataset itself.
        Command::Inspect(_) | Command::Evaluate(_) | Command::Auto(_) => none,
        Command::Completions { .. } => none,
        Command::Fit(a) => (
            [many(&a.inputs), opt(&a.labels)].concat(),
            vec![a.output.as_path()],
        ),
        Command::Predict(a) => (
            [many(&a.inputs), vec![a.fuser.as_path()]].concat(),
            vec![a.output.as_path()],
        ),
        Command::Cascade { command: C::Fit(a) } => (
            [many(&a.inputs), vec![a.labels.as_path(), a.costs.as_path()]].concat(),
            [vec![a.output.as_path()], opt(&a.frontier)].concat(),
        ),
        Command::Cascade {
            command: C::Predict(a),
        } => (
            [many(&a.inputs), vec![a.fuser.as_path()], opt(&a.labels)].concat(),
            [vec![a.output.as_path()], opt(&a.frontier)].concat(),
        ),
        Command::Ner { command: N::Fit(a) } => (
            [many(&a.input.inputs), opt(&a.gold)].concat(),
            vec![a.output.as_path()],
        ),
        Command::Ner {
            command: N::Fuse(a),
        } => (
            [many(&a.input.inputs), opt(&a.fuser), opt(&a.words)].concat(),
            vec![a.output.as_path()],
        ),
        Command::Qa { command: Q::Fit(a) } => (
            [many(&a.systems.inputs), vec![a.dataset.dataset.as_path()]].concat(),
            vec![a.output.as_path()],
        ),
        Command::Qa {
            command: Q::Fuse(a),
        } => (
            [many(&a.systems.inputs), opt(&a.fuser)].concat(),
            vec![a.output.as_path()],
        ),
        Command::Generate { command: G::Fit(a) } => (
            [
                many(&a.hyps.inputs),
                many(&a.reference),
                a.utility.file().into_iter().collect(),
            ]
            .concat(),
            vec![a.output.as_path()],
        ),
        Command::Generate {
            command: G::Fuse(a),
        } => (
            [
                many(&a.hyps.inputs),
                opt(&a.fuser),
                a.utility.file().into_iter().collect(),
            ]
            .concat(),
            vec![a.output.as_path()],
        ),
        Command::Ner { .. } | Command::Qa { .. } | Command::Generate { .. } => none,
    }
}
