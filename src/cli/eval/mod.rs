//! `quell eval`: measure the engine against ground truth and public benchmarks.
//! Each evaluation lives in its own file and shares nothing but this dispatch.

mod csv;
pub mod loghub;
pub mod nab;
pub mod rca;
pub mod scenarios;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Numenta Anomaly Benchmark: anomaly detection on metric streams.
    Nab(nab::NabArgs),
    /// Loghub-2k: log template mining (grouping accuracy).
    Loghub(loghub::LoghubArgs),
    /// The demo world's scenario library: grouping and root-cause accuracy.
    Scenarios(scenarios::ScenariosArgs),
    /// Nezha's fault-injection data: root-cause ranking (AC@k) on real faults.
    Rca(rca::RcaArgs),
}

/// # Errors
/// Whatever the chosen evaluation reports.
pub fn run(cmd: &EvalCommand) -> anyhow::Result<()> {
    match cmd {
        EvalCommand::Nab(a) => nab::run(a),
        EvalCommand::Loghub(a) => loghub::run(a),
        EvalCommand::Scenarios(a) => scenarios::run(a),
        EvalCommand::Rca(a) => rca::run(a),
    }
}
