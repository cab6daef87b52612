//! The interactive terminal: owns the terminal (through `guard`), reads
//! keys (through `input`), and runs the loop that feeds `app::update` and
//! draws with `ui::render`.
//!
//! The loop prioritises keys over view updates over the 1 s tick, redraws
//! only when state is dirty, coalesces bursts and caps frames at ~30 fps,
//! wraps each frame in synchronized output and never clears the screen per
//! frame. It must not compute anything about incidents itself.

mod guard;
mod input;
mod runner;
pub mod terminal_io;

use std::io::{self, Stdout, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::execute;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::ack::AckLink;
use crate::app::keymap::Keymap;
use crate::app::{Capabilities, Effect, Msg, State, update};
use crate::model::View;
use crate::runbook::Runbook;
use crate::theme::Theme;

pub use guard::restore as restore_terminal;

/// Shortest time between two frames (~30 fps).
const FRAME: Duration = Duration::from_millis(33);

/// What the interactive UI needs from configuration.
pub struct TuiOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    pub runbooks: Vec<Runbook>,
    pub read_only: bool,
    /// Where `:theme NAME` looks for user themes besides the built-ins.
    pub user_theme_dir: Option<PathBuf>,
    /// The running ack writer; `None` in read-only mode and replays.
    pub ack: Option<AckLink>,
    /// Acks and editor silences (for the durations commands show).
    pub ack_config: crate::ack::AckConfig,
    /// Retry every source now (live sources only).
    pub retry: Option<Box<dyn Fn() + Send>>,
    /// Merge/split requests to the pipeline and its answers; `None` in replays.
    pub regroup: Option<crate::driver::OperatorLink>,
    /// Severity at or above which new incidents notify; `None` never.
    pub notify: Option<crate::model::Severity>,
}

/// Runs the TUI until the user quits, SIGTERM, SIGHUP, SIGINT or SIGQUIT
/// arrives, or the terminal input ends. The terminal is restored on every
/// path; SIGTSTP suspends to the shell and SIGCONT comes back.
///
/// # Errors
/// Terminal setup or drawing failures.
pub async fn run(opts: TuiOptions, mut views: watch::Receiver<Arc<View>>) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    // Raw mode turns Ctrl-C and Ctrl-\ into keys, but `kill -INT`/`-QUIT`
    // still arrive as signals and must restore the terminal like SIGTERM.
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut sigquit = signal(SignalKind::quit()).context("installing the SIGQUIT handler")?;
    // SIGTSTP: leave the terminal as found, stop, and take it back on SIGCONT.
    let mut sigtstp = signal(SignalKind::from_raw(rustix::process::Signal::TSTP.as_raw()))
        .context("installing the SIGTSTP handler")?;

    let mut caps = Capabilities {
        theme_names: Theme::available(opts.user_theme_dir.as_deref()),
        ack_ms: opts.ack_config.duration.as_ms(),
        silence_ms: opts.ack_config.silence_duration.as_ms(),
        ack_ask_note: opts.ack_config.ask_note,
        notify: opts.notify,
        ..Capabilities::default()
    };
    let theme_dir = opts.user_theme_dir;
    let (ack_commands, mut notices) = match opts.ack {
        Some(link) => {
            caps.can_write = true;
            caps.ack_author = link.author;
            caps.ack_urls = link.urls;
            (Some(link.commands), Some(link.notices))
        }
        None => {
            caps.ack_author = opts.ack_config.author();
            (None, None)
        }
    };
    let retry = opts.retry;
    let (regroup, mut regroup_replies) = match opts.regroup {
        Some(link) => (Some(link.requests), Some(link.replies)),
        None => (None, None),
    };
    caps.can_regroup = regroup.is_some();
    let mut state = State::new(opts.theme, opts.keymap, opts.runbooks, opts.read_only)
        .with_capabilities(caps)
        .with_measure(crate::ui::MEASURE);

    let _guard =
        guard::TerminalGuard::enter().context("entering raw mode and the alternate screen")?;
    let mut terminal =
        Terminal::new(CrosstermBackend::new(io::stdout())).context("opening the terminal")?;
    let size = terminal.size().context("reading the terminal size")?;
    update(&mut state, Msg::Resize(size.width, size.height));

    // The first frame goes out before any data: "waiting for data…".
    draw(&mut terminal, &mut state)?;

    let (tx, mut keys) = mpsc::unbounded_channel();
    let input = input::InputThread::spawn(tx).context("starting the input thread")?;
    let mut runner = runner::Runner::new();

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut views_open = true;
    // A view that is already there counts as news.
    if views.borrow().now != 0 || !views.borrow().incidents.is_empty() {
        let v = Arc::clone(&views.borrow_and_update());
        update(&mut state, Msg::View(v));
    }
    let mut last_frame = Instant::now();

    loop {
        let frame_due = last_frame + FRAME;
        let msgs: Vec<Msg> = tokio::select! {
            biased;
            k = keys.recv() => match k {
                Some(first) => {
                    // Coalesce a burst (pasted text, key repeat) into one frame.
                    let mut batch = vec![first];
                    while let Ok(more) = keys.try_recv() {
                        batch.push(more);
                    }
                    batch
                }
                None => break, // input is gone: nothing can drive the UI
            },
            Some(n) = next_notice(&mut notices), if notices.is_some() => vec![Msg::Notice(n)],
            Some(n) = next_notice(&mut regroup_replies), if regroup_replies.is_some() => {
                vec![Msg::Notice(n)]
            }
            Some(m) = runner.recv() => vec![m],
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
            _ = sigquit.recv() => break,
            _ = sigtstp.recv() => {
                suspend_to_shell(&mut terminal, &input)?;
                let size = terminal.size().context("reading the terminal size")?;
                vec![Msg::Resize(size.width, size.height)]
            }
            changed = views.changed(), if views_open => match changed {
                Ok(()) => vec![Msg::View(Arc::clone(&views.borrow_and_update()))],
                Err(_) => {
                    views_open = false;
                    vec![failed("the data pipeline stopped; showing the last view")]
                }
            },
            _ = tick.tick() => {
                // A hung-up terminal (SSH gone without SIGHUP reaching us)
                // fails this ioctl; there is nobody left to draw for.
                if crossterm::terminal::size().is_err() {
                    break;
                }
                vec![Msg::Tick]
            }
            () = tokio::time::sleep_until(frame_due), if state.dirty => Vec::new(),
        };
        let mut quit = false;
        // Effects answer with messages, handled in turn: `update` stays the
        // only writer of `State`.
        let mut queue: std::collections::VecDeque<Msg> = msgs.into();
        while let Some(msg) = queue.pop_front() {
            for effect in update(&mut state, msg) {
                match effect {
                    Effect::Quit => quit = true,
                    Effect::LoadTheme(name) => {
                        let loaded =
                            Theme::load(&name, theme_dir.as_deref()).map_err(|e| e.to_string());
                        queue.push_back(Msg::ThemeLoaded(loaded));
                    }
                    Effect::Runbook(e) => runner.handle(e, &mut terminal, &input),
                    Effect::Bell => {
                        let mut out = io::stdout();
                        let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                    }
                    Effect::Ack(cmd) => {
                        let sent = ack_commands.as_ref().is_some_and(|tx| tx.send(cmd).is_ok());
                        if !sent {
                            queue.push_back(failed("nothing is written: no ack writer is running"));
                        }
                    }
                    Effect::Copy { text, what } => {
                        queue.push_back(
                            if terminal_io::write_raw(&terminal_io::osc52(&text)).is_ok() {
                                done(format!(
                                    "{what} copied ({} lines, OSC 52; tmux needs set-clipboard on)",
                                    text.lines().count()
                                ))
                            } else {
                                failed("copy failed: the terminal did not take it")
                            },
                        );
                    }
                    Effect::Export { path, text } => {
                        queue.push_back(match terminal_io::export(&path, &text) {
                            Ok(p) => done(format!("summary written to {p}")),
                            Err(e) => failed(format!(
                                "export to {} failed: {e}",
                                crate::sanitize::clean_line(&path, 120)
                            )),
                        });
                    }
                    Effect::Notify { title, body } => {
                        let _ = terminal_io::write_raw(&terminal_io::notification(&title, &body));
                    }
                    Effect::Regroup(cmd) => {
                        let by = state.caps.ack_author.clone();
                        let sent = regroup.as_ref().is_some_and(|tx| {
                            tx.send(crate::engine::regroup::Request { cmd, by }).is_ok()
                        });
                        if !sent {
                            queue.push_back(failed("merge/split is not available here (a replay)"));
                        }
                    }
                    Effect::Retry => {
                        if let Some(r) = &retry {
                            r();
                        } else {
                            queue.push_back(done("nothing to retry: no remote sources"));
                        }
                    }
                }
            }
        }
        if quit {
            break;
        }
        if state.dirty && Instant::now() >= frame_due {
            draw(&mut terminal, &mut state)?;
            last_frame = Instant::now();
        }
    }
    Ok(())
}

/// Job control (SIGTSTP): hands the terminal back to the shell as it was
/// (raw mode off, main screen, cursor shown), stops the process group,
/// and when the shell continues it (SIGCONT, `fg`) re-enters quell's modes
/// and forces a full redraw; keys are read again.
fn suspend_to_shell(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    input: &input::InputThread,
) -> anyhow::Result<()> {
    input.pause(true);
    guard::suspend();
    // SIGSTOP cannot be caught, so this returns only after SIGCONT. The
    // whole group stops, as the shell expects of a job.
    if let Err(e) = rustix::process::kill_current_process_group(rustix::process::Signal::STOP) {
        tracing::warn!(error = %e, "could not stop for SIGTSTP");
    }
    guard::resume().context("re-entering raw mode and the alternate screen")?;
    terminal.clear().context("redrawing after a suspend")?;
    input.pause(false);
    Ok(())
}

/// One frame inside synchronized output, so a slow link never shows half
/// a frame. ratatui diffs against the previous frame; nothing is cleared.
fn draw(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    state: &mut State,
) -> anyhow::Result<()> {
    execute!(io::stdout(), BeginSynchronizedUpdate).context("starting a frame")?;
    let mut links = Vec::new();
    let drawn = terminal
        .draw(|f| links = crate::ui::render_with_links(f, state, &state.theme))
        .map(|frame| terminal_io::hyperlinks(&mut io::stdout(), frame.buffer, &links));
    execute!(io::stdout(), EndSynchronizedUpdate).context("ending a frame")?;
    drawn.context("drawing a frame")?.context("writing hyperlinks")?;
    update(state, Msg::Drawn);
    Ok(())
}

/// An effect's success, reported back to `update` like any other notice.
fn done(text: impl Into<String>) -> Msg {
    Msg::Notice(crate::model::Notice::Info(text.into()))
}

/// An effect's failure, reported back to `update`.
fn failed(text: impl Into<String>) -> Msg {
    Msg::Notice(crate::model::Notice::Error(text.into()))
}

/// The next notice, if a writer runs (the select arm is disabled otherwise).
async fn next_notice(
    rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<crate::model::Notice>>,
) -> Option<crate::model::Notice> {
    match rx.as_mut() {
        Some(r) => r.recv().await,
        None => None,
    }
}
