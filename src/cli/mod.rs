//! Command-line interface: argument types and dispatch to the run modes.
//!
//! `main.rs` parses [`Cli`] and calls [`run`]. Every mode loads and validates
//! the config before anything touches the terminal, so a bad config is a
//! clear message on stderr and exit code 2, never a broken screen.

pub mod eval;
mod live_snapshot;
mod logging;
mod record;
mod snapshot;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{self, ConfigOrigin, Loaded};

#[derive(Debug, Parser)]
#[command(name = "quell", version, about = "On-call incident triage in the terminal", long_about = None)]
pub struct Cli {
    /// Config file (default: $QUELL_CONFIG, else $XDG_CONFIG_HOME/quell/config.toml, else ~/.config/quell/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Run the embedded demo world even if sources are configured.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Seed of the demo world.
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
    /// Never write to any backend; hide dangerous runbooks.
    #[arg(long)]
    pub read_only: bool,
    /// Theme name (overrides `ui.theme`).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Demo speed: simulated seconds per real second.
    #[arg(long, value_name = "X")]
    pub speed: Option<f64>,
    /// Replay a recording made by `quell record` instead of polling (with --speed N).
    #[arg(long, global = true, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline without a terminal and print what the engine sees.
    Snapshot(SnapshotArgs),
    /// Record everything the configured sources deliver, as NDJSON, until Ctrl-C.
    Record(RecordArgs),
    /// Measure the engine: `quell eval nab|loghub|scenarios ...`.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Simulated seconds of the demo world to run after its warm-up.
    #[arg(long, default_value_t = 600, value_name = "N")]
    pub seconds: u64,
    /// Print JSON (default: a short human summary).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Recording file (rotated to FILE.1 when it reaches --max-mb).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Size cap of the recording in MiB.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_mb: u64,
    /// With --demo: simulated seconds to record after the warm-up.
    #[arg(long, default_value_t = 3600, value_name = "N")]
    pub seconds: u64,
}

/// Runs the parsed command line.
#[must_use]
pub fn run(cli: Cli) -> ExitCode {
    let loaded = match config::load(cli.config.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("quell: {e}");
            return ExitCode::from(2);
        }
    };
    let loaded = match apply_flags(loaded, &cli) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("quell: {e}");
            return ExitCode::from(2);
        }
    };
    // Sources that will be polled need their secrets: a missing one is a
    // config error (file, line, key, source), before the terminal is touched.
    let polls_sources = loaded.config.has_sources()
        && !cli.demo
        && cli.replay.is_none()
        && !cli.print_config
        && !matches!(cli.command, Some(Command::Eval(_)));
    if polls_sources && let Err(e) = config::check_secrets(&loaded) {
        eprintln!("quell: {e}");
        return ExitCode::from(2);
    }
    let result = if cli.print_config {
        print_config(&loaded)
    } else {
        match &cli.command {
            Some(Command::Snapshot(args)) => {
                snapshot::run(&loaded, args, cli.demo, cli.replay.as_deref())
            }
            Some(Command::Record(args)) => record::run(&loaded, args, cli.demo),
            Some(Command::Eval(cmd)) => eval::run(cmd),
            None => interactive(&loaded, &cli),
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `quell snapshot --json | head`: the reader left; that is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quell: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether an error is a write to a closed pipe, anywhere in its chain.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().map(std::io::Error::kind).or_else(|| {
            c.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind)
        }) == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Flags override the file (the last layer). A flag is checked as strictly
/// as the same key in the file: `--theme nope` fails in every mode.
fn apply_flags(mut loaded: Loaded, cli: &Cli) -> anyhow::Result<Loaded> {
    if let Some(t) = &cli.theme {
        let dir = config::themes_dir(&loaded.config);
        crate::theme::Theme::load(t, dir.as_deref())
            .map_err(|e| anyhow::anyhow!("--theme {}: {e}", crate::sanitize::clean_line(t, 60)))?;
        loaded.config.ui.theme.clone_from(t);
    }
    if let Some(s) = cli.seed {
        loaded.config.demo.seed = s;
    }
    if let Some(x) = cli.speed {
        if !(x > 0.0 && x <= 10_000.0) {
            anyhow::bail!("--speed must be between 0 and 10000, got {x}");
        }
        loaded.config.demo.speed = x;
    }
    Ok(loaded)
}

fn print_config(loaded: &Loaded) -> anyhow::Result<()> {
    let origin = match &loaded.origin {
        ConfigOrigin::Defaults => "embedded defaults (no config file)".to_string(),
        ConfigOrigin::File(p) => p.display().to_string(),
    };
    let text = loaded.config.to_toml()?;
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(
        &mut out,
        format!("# effective quell config from {origin}\n{text}").as_bytes(),
    )?;
    Ok(())
}

fn interactive(loaded: &Loaded, cli: &Cli) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    use std::sync::Arc;

    use crate::app::keymap::Keymap;
    use crate::driver::demo::{self, DemoOptions};
    use crate::theme::Theme;

    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("quell needs a terminal; for scripts use `quell snapshot --json`");
    }
    let cfg = &loaded.config;
    let theme_dir = config::themes_dir(cfg);
    // Everything that can fail on configuration fails here, before the terminal is touched.
    let theme = Theme::from_env_or(&cfg.ui.theme, theme_dir.as_deref())?;
    let keymap = Keymap::with_overrides(&cfg.keys)?;
    let runbooks = if cfg.runbooks.is_empty() && !cfg.has_sources() {
        crate::runbook::demo::installed()
    } else {
        cfg.runbooks.clone()
    };
    let live = cfg.has_sources() && !cli.demo && cli.replay.is_none();
    let log = logging::init();
    tracing::info!(config = ?loaded.origin, log = ?log, "quell starting");
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(Arc::new(crate::model::View::default()));
        let opts = DemoOptions {
            seed: cfg.demo.seed,
            speed: cfg.demo.speed,
            limits: cfg.store.clone(),
            engine: cfg.engine.clone(),
            ack: cfg.ack.clone(),
        };
        // Replays take no regrouping: they show what was recorded.
        let (operator, operator_link) = crate::driver::operator_link();
        let regroup = cli.replay.is_none().then_some(operator_link);
        let (world, live, ack): (_, Option<crate::connectors::live::Live>, _) =
            if let Some(path) = &cli.replay {
                let speed = cli.speed.unwrap_or(1.0);
                let replay = crate::driver::replay::spawn_replay(cfg, path.clone(), speed, tx);
                (Some(replay), None, None)
            } else if live {
                let templates = crate::connectors::templates::default_path();
                let (live, ack) = crate::driver::live::spawn_persisted(
                    cfg,
                    tx,
                    cli.read_only,
                    templates,
                    Some(operator),
                )?;
                (None, Some(live), ack)
            } else {
                let templates = crate::connectors::templates::demo_path();
                let (world, ack) =
                    demo::spawn_persisted(opts, tx, cli.read_only, templates, Some(operator));
                (Some(world), None, ack)
            };
        let retry: Option<Box<dyn Fn() + Send>> = live.as_ref().map(|l| {
            let handle = l.retry_handle();
            Box::new(move || handle.send_modify(|n| *n += 1)) as Box<dyn Fn() + Send>
        });
        let tui = crate::tui::TuiOptions {
            theme,
            keymap,
            runbooks,
            read_only: cli.read_only,
            user_theme_dir: theme_dir,
            ack,
            ack_config: cfg.ack.clone(),
            retry,
            regroup,
            notify: cfg.ui.notify_level().unwrap_or(Some(crate::model::Severity::Critical)),
        };
        let result = crate::tui::run(tui, rx).await;
        // The UI is gone: pipelines save their log templates and end.
        let grace = std::time::Duration::from_secs(if cli.replay.is_some() { 0 } else { 2 });
        if let Some(mut w) = world
            && tokio::time::timeout(grace, &mut w).await.is_err()
        {
            w.abort();
        }
        if let Some(l) = live {
            l.shutdown(grace).await;
        }
        result
    })?;
    // Don't wait for blocked threads (the key reader) on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
