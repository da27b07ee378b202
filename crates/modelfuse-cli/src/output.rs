//! The one place that writes data: output files (atomically, through
//! `modelfuse_io::write_atomic`), standard output for `-`, and JSON on
//! stdout; and the one mapping of a failed write to [`WriteError`] (exit
//! code 1, where bad input is 2).
//!
//! The rule of every command: data (tables, JSON, `-` outputs) on stdout;
//! messages (progress, "saved …", notes and warnings) on stderr, so that
//! `modelfuse … > out` keeps only results.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use modelfuse::Predictions;
use modelfuse::metrics::Metric;

use crate::load::is_stdio;

/// An error while writing an output (as opposed to bad input): exit code 1.
#[derive(Debug)]
pub struct WriteError(pub anyhow::Error);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for WriteError {}

/// Marks an error as a failure to write (exit code 1).
pub fn failed(err: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(WriteError(err))
}

/// Writes an output file atomically, or to standard output for `-`; a
/// failure says "writing `what` to `path`".
pub fn write(
    path: &Path,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let result = if is_stdio(path) {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        match write(&mut lock).and_then(|()| lock.flush()) {
            // A reader that stopped early: end quietly, as `print!` does.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            r => r.map_err(anyhow::Error::from),
        }
    } else {
        modelfuse_io::write_atomic(path, |w| write(w)).map_err(anyhow::Error::from)
    };
    result
        .with_context(|| format!("writing {what} to {}", path.display()))
        .map_err(failed)
}

/// [`write`] of a text.
pub fn write_text(path: &Path, what: &str, text: &str) -> Result<()> {
    write(path, what, |w| w.write_all(text.as_bytes()))
}

/// Saves a text to a file (never standard output: the outputs a later
/// command reads back, such as fitted fusers); a failure says "`doing` to
/// `path`" (`doing`: "writing the cascade", "saving the fitted fuser").
pub fn save_text(path: &Path, doing: &str, text: &str) -> Result<()> {
    modelfuse_io::write_atomic(path, |w| w.write_all(text.as_bytes()))
        .with_context(|| format!("{doing} to {}", path.display()))
        .map_err(failed)
}

/// [`save_text`] of a JSON value, pretty and newline-terminated.
pub fn save_json(path: &Path, doing: &str, value: &serde_json::Value) -> Result<()> {
    save_text(path, doing, &(pretty(value) + "\n"))
}

/// Writes fused predictions in the format of the path's extension
/// (`modelfuse_io::write_predictions`), or as CSV to standard output for `-`
/// when `stdout` allows it.
pub fn predictions(path: &Path, preds: &Predictions, stdout: bool) -> Result<()> {
    const WHAT: &str = "the fused predictions";
    if stdout && is_stdio(path) {
        return write(path, WHAT, |w| {
            modelfuse_io::write_predictions_csv(w, preds)
        });
    }
    modelfuse_io::write_predictions(path, preds)
        .with_context(|| format!("writing {WHAT} to {}", path.display()))
        .map_err(failed)
}

/// Writes the outputs of one run into `dir`, or none: each goes to a hidden
/// temporary file there first, and only when all are complete are they
/// renamed into place (`auto`'s fuser, fused test predictions and report).
pub fn all_or_nothing(dir: &Path, outputs: &[Staged<'_>]) -> Result<()> {
    all_or_nothing_inner(dir, outputs).map_err(failed)
}

/// One output of [`all_or_nothing`], by its file name in the folder.
pub enum Staged<'a> {
    /// A text; a failure says "saving …" (`saving: true`) or "writing …".
    Text {
        name: &'a str,
        text: &'a str,
        saving: bool,
    },
    /// Predictions, in the format of the name's extension.
    Predictions {
        name: &'a str,
        preds: &'a Predictions,
    },
}

fn all_or_nothing_inner(dir: &Path, outputs: &[Staged<'_>]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let staged = |name: &str| dir.join(format!(".modelfuse-staged.{name}"));
    let mut done: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| -> Result<()> {
        for output in outputs {
            match output {
                Staged::Text { name, text, saving } => {
                    let tmp = staged(name);
                    let verb = if *saving { "saving" } else { "writing" };
                    modelfuse_io::write_atomic(&tmp, |w| w.write_all(text.as_bytes()))
                        .with_context(|| format!("{verb} {}", dir.join(name).display()))?;
                    done.push((tmp, dir.join(name)));
                }
                Staged::Predictions { name, preds } => {
                    let tmp = staged(name);
                    modelfuse_io::write_predictions(&tmp, preds)
                        .with_context(|| format!("writing {}", dir.join(name).display()))?;
                    done.push((tmp, dir.join(name)));
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &done {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    for (tmp, path) in &done {
        std::fs::rename(tmp, path)
            .with_context(|| format!("moving {} into place", path.display()))?;
    }
    Ok(())
}

/// JSON as text, pretty (not newline-terminated).
pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values always serialise")
}

/// Prints JSON to stdout, pretty and newline-terminated.
pub fn print_json(value: &serde_json::Value) {
    println!("{}", pretty(value));
}

/// A number as JSON; NaN and infinities (undefined metrics) become null.
pub fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// A JSON object of metric name → value (NaN becomes null).
pub fn metrics_json(all: &[(Metric, f64)]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = all
        .iter()
        .map(|(m, v)| (m.name().to_string(), json_number(*v)))
        .collect();
    serde_json::Value::Object(map)
}

/// What a command that wrote a file says: its summary line on stderr (where
/// every "saved …" message goes, so stdout stays for results), and with
/// `--json` the same facts as JSON on stdout.
pub fn report_written(json: bool, summary: String, facts: serde_json::Value) {
    eprintln!("{summary}");
    if json {
        print_json(&facts);
    }
}

/// Says on stderr that a file was saved.
pub fn saved(path: &Path) {
    eprintln!("saved {}", path.display());
}
