//! `modelfuse ner …`: evaluate, fit and fuse named entity taggers.

use anyhow::Result;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum NerCommand {}

pub fn run(command: NerCommand) -> Result<()> {
    match command {}
}
