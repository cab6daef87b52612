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
use crate::app::{Effect, Msg, State, update};
use crate::model::View;
use crate::runbook::Runbook;
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;

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
    pub regroup: Option<crate::connectors::OperatorLink>,
    /// Severity at or above which new incidents notify; `None` never.
    pub notify: Option<crate::model::Severity>,
}

/// Runs the TUI until the user quits, SIGTERM or SIGHUP arrives, or the
/// terminal input ends. The terminal is restored on every path.
///
/// # Errors
/// Terminal setup or drawing failures.
pub async fn run(opts: TuiOptions, mut views: watch::Receiver<Arc<View>>) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;

    let mut state = State::new(opts.theme, opts.keymap, opts.runbooks, opts.read_only);
    state.theme_names = Theme::available(opts.user_theme_dir.as_deref());
    let theme_dir = opts.user_theme_dir;
    state.ack_ms = opts.ack_config.duration.as_ms();
    state.silence_ms = opts.ack_config.silence_duration.as_ms();
    state.ack_ask_note = opts.ack_config.ask_note;
    let (ack_commands, mut notices) = match opts.ack {
        Some(link) => {
            state.can_write = true;
            state.ack_author = link.author;
            state.ack_urls = link.urls;
            (Some(link.commands), Some(link.notices))
        }
        None => {
            state.ack_author = opts.ack_config.author();
            (None, None)
        }
    };
    let retry = opts.retry;
    let (regroup, mut regroup_replies) = match opts.regroup {
        Some(link) => (Some(link.requests), Some(link.replies)),
        None => (None, None),
    };
    state.can_regroup = regroup.is_some();
    state.notify = opts.notify;

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
            changed = views.changed(), if views_open => match changed {
                Ok(()) => vec![Msg::View(Arc::clone(&views.borrow_and_update()))],
                Err(_) => {
                    views_open = false;
                    state.flash_error("the data pipeline stopped; showing the last view");
                    state.dirty = true;
                    Vec::new()
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
        for msg in msgs {
            for effect in update(&mut state, msg) {
                match effect {
                    Effect::Quit => quit = true,
                    Effect::LoadTheme(name) => {
                        let loaded =
                            Theme::load(&name, theme_dir.as_deref()).map_err(|e| e.to_string());
                        update(&mut state, Msg::ThemeLoaded(loaded));
                    }
                    Effect::Runbook(e) => runner.handle(e, &mut terminal, &input),
                    Effect::Bell => {
                        let mut out = io::stdout();
                        let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                    }
                    Effect::Ack(cmd) => {
                        let sent = ack_commands.as_ref().is_some_and(|tx| tx.send(cmd).is_ok());
                        if !sent {
                            state.flash_error("nothing is written: no ack writer is running");
                            state.dirty = true;
                        }
                    }
                    Effect::Copy { text, what } => {
                        if terminal_io::write_raw(&terminal_io::osc52(&text)).is_ok() {
                            state.flash_info(format!(
                                "{what} copied ({} lines, OSC 52; tmux needs set-clipboard on)",
                                text.lines().count()
                            ));
                        } else {
                            state.flash_error("copy failed: the terminal did not take it");
                        }
                        state.dirty = true;
                    }
                    Effect::Export { path, text } => {
                        match terminal_io::export(&path, &text) {
                            Ok(p) => state.flash_info(format!("summary written to {p}")),
                            Err(e) => state.flash_error(format!(
                                "export to {} failed: {e}",
                                crate::sanitize::clean_line(&path, 120)
                            )),
                        }
                        state.dirty = true;
                    }
                    Effect::Notify { title, body } => {
                        let _ = terminal_io::write_raw(&terminal_io::notification(&title, &body));
                    }
                    Effect::Regroup(cmd) => {
                        let by = state.ack_author.clone();
                        let sent = regroup.as_ref().is_some_and(|tx| {
                            tx.send(crate::engine::regroup::Request { cmd, by }).is_ok()
                        });
                        if !sent {
                            state.flash_error("merge/split is not available here (a replay)");
                            state.dirty = true;
                        }
                    }
                    Effect::Retry => {
                        if let Some(r) = &retry {
                            r();
                        } else {
                            state.flash_info("nothing to retry: no remote sources");
                            state.dirty = true;
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
    state.dirty = false;
    Ok(())
}

/// The next notice, if a writer runs (the select arm is disabled otherwise).
async fn next_notice(
    rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<crate::ack::Notice>>,
) -> Option<crate::ack::Notice> {
    match rx.as_mut() {
        Some(r) => r.recv().await,
        None => None,
    }
}
