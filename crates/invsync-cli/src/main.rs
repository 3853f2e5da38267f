//! The `invsync` command line.
//!
//! Exit codes: 0 success, 2 bad input (the message names file, line, column and value),
//! 1 any other failure (for example, the output cannot be written).

#![forbid(unsafe_code)]

mod plan;
mod replay;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keeps inventory true across systems and decides how much stock to hold.
#[derive(Debug, Parser)]
#[command(name = "invsync", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Plan orders: demand scenarios and the cheapest policy for every item.
    Plan(plan::Args),
    /// Replay a ledger event file into balances (or one item x location's history).
    Replay(replay::Args),
}

/// A failure and its exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Anything else: exit 1.
    Other(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Replay(args) => replay::run(&args),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Other(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}
