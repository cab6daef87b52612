//! The terminal guard: the one owner of raw mode, the alternate screen and
//! the hidden cursor. It restores the terminal exactly once on every path:
//! drop (normal exit and `?` errors), panic (a chained hook restores before
//! the previous hook prints), and signals (on SIGTERM, SIGHUP, SIGINT and
//! SIGQUIT the loop returns, so the guard drops; SIGTSTP goes through
//! [`suspend`] and [`resume`] around the stop). It must not draw anything.

use std::io::{self, Write};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode,
};

/// True while the terminal is in quell's modes. Global because the panic
/// hook has no other way to reach it, and swapped so restoring happens once.
static ACTIVE: AtomicBool = AtomicBool::new(false);

type Hook = Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

pub struct TerminalGuard {
    previous_hook: Hook,
}

impl TerminalGuard {
    /// Enters raw mode, the alternate screen and hides the cursor.
    ///
    /// # Errors
    /// When the terminal refuses; whatever was already switched is undone.
    pub fn enter() -> io::Result<Self> {
        let previous: Hook = Arc::from(panic::take_hook());
        let chained = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| {
            restore();
            chained(info);
        }));
        let guard = Self { previous_hook: previous };
        ACTIVE.store(true, Ordering::SeqCst);
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
        // Put the previous hook back, unless we are unwinding: replacing a
        // hook while panicking is itself a panic.
        if !std::thread::panicking() {
            let prev = Arc::clone(&self.previous_hook);
            drop(panic::take_hook());
            panic::set_hook(Box::new(move |info| prev(info)));
        }
    }
}

/// Leaves quell's modes to hand the terminal to a child process; the
/// guard stays alive and [`resume`] re-enters them.
pub fn suspend() {
    restore();
}

/// Re-enters raw mode, the alternate screen and the hidden cursor after
/// [`suspend`]; the guard restores them again on exit as usual.
///
/// # Errors
/// When the terminal refuses.
pub fn resume() -> io::Result<()> {
    ACTIVE.store(true, Ordering::SeqCst);
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, Hide)
}

/// Leaves quell's terminal modes, at most once per `enter`. Errors are
/// ignored: after SIGHUP the terminal may be gone, and there is nobody left
/// to tell.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    // A panic may strike between Begin- and EndSynchronizedUpdate.
    let _ = execute!(out, EndSynchronizedUpdate, Show, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = out.flush();
}
