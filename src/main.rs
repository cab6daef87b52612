//! Entry point: parse arguments, hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    quell::cli::run(quell::cli::Cli::parse())
}
