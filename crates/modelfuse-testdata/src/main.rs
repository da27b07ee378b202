//! `modelfuse-data`: lays out a staged dataset for `examples/get-data.sh`.
//!
//! ```text
//! modelfuse-data layout <set> <from> <to>
//! ```
//!
//! `<from>` holds the set's source files in the layout of `../shared/data/<set>/`; `<to>`
//! receives the layout the README and the tests use (see `modelfuse_testdata::layout`).
//! It is written next to `<to>` first and renamed into place, so a failed run leaves the
//! previous copy as it was.

use std::path::PathBuf;
use std::process::ExitCode;

use modelfuse_testdata::{Set, layout};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        let sets: Vec<&str> = Set::ALL.iter().map(|s| s.name()).collect();
        eprintln!(
            "usage: modelfuse-data layout <set> <from> <to>   (sets: {})",
            sets.join(", ")
        );
        ExitCode::from(2)
    };
    let [cmd, set, from, to] = args.as_slice() else {
        return usage();
    };
    let Some(set) = Set::from_name(set).filter(|_| cmd == "layout") else {
        return usage();
    };
    let to = PathBuf::from(to);
    let tmp = to.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    let result = layout(set, &PathBuf::from(from), &tmp).and_then(|()| {
        move_into(&tmp, &to).map_err(|e| {
            modelfuse_testdata::Error::from_message(format!("moving into {}: {e}", to.display()))
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            eprintln!("modelfuse-data: {e}");
            ExitCode::from(2)
        }
    }
}

/// Moves every entry of `tmp` into `to` (which may already hold other files, such as the
/// staged `original/` folder), replacing entries of the same name.
fn move_into(tmp: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(tmp)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if dest.is_dir() {
            std::fs::remove_dir_all(&dest)?;
        } else if dest.exists() {
            std::fs::remove_file(&dest)?;
        }
        std::fs::rename(entry.path(), dest)?;
    }
    std::fs::remove_dir(tmp)
}
