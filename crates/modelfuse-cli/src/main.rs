//! The `modelfuse` command: fuse the predictions of several models on files.
//!
//! A thin layer over the `modelfuse` library and `modelfuse-io`: it parses
//! arguments into typed settings, loads and validates the files, calls the
//! library, and prints tables or JSON. Exit codes: 0 success, 1 a failure
//! writing outputs, 2 bad input or bad usage (the message names the file, the
//! row or id, and what was expected and found).

mod cli;
mod commands;
mod guard;
mod load;
mod output;
mod parse;
mod progress;
mod table;

use std::process::ExitCode;

use clap::Parser;

/// A reader that stops early (`modelfuse … | head -1`) closes stdout; the
/// next print then panics inside `println!`. Like other Unix tools, exit
/// quietly instead: every output file is written before anything is printed.
fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    exit_quietly_on_broken_pipe();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<output::WriteError>().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
