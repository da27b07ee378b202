//! The `modelfuse` command: fuse the predictions of several models on files.
//!
//! A thin layer over the `modelfuse` library and `modelfuse-io`: it parses
//! arguments into typed settings, loads and validates the files, calls the
//! library, and prints tables or JSON. Exit codes: 0 success, 1 a failure
//! writing outputs, 2 bad input or bad usage (the message names the file, the
//! row or id, and what was expected and found).

mod args;
mod commands;
mod load;
mod table;

use std::process::ExitCode;

use clap::Parser;

/// An error while writing an output (as opposed to bad input): exit code 1.
#[derive(Debug)]
pub struct WriteError(pub anyhow::Error);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for WriteError {}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<WriteError>().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
