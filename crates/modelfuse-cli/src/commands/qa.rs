//! `modelfuse qa …`: evaluate, fit and fuse extractive QA systems.

use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum QaCommand {}

pub fn run(command: QaCommand) -> Result<()> {
    match command {}
}
