//! Terminal input on a dedicated thread: crossterm's blocking reader feeds
//! key and resize messages into a channel the async loop selects on. The
//! thread polls with a timeout so it notices shutdown; it must not touch
//! state or draw.
//!
//! The thread is never joined: when the terminal hangs up (SSH dropped,
//! tmux server killed) crossterm keeps reading EOF inside `poll` and never
//! returns, and waiting for it would keep a dead quell alive. The process
//! exiting ends it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossterm::event::{self, Event};
use tokio::sync::mpsc;

use crate::app::Msg;

/// How often the reader checks whether it should stop.
const POLL: Duration = Duration::from_millis(100);

pub struct InputThread {
    stop: Arc<AtomicBool>,
    /// While set the thread does not read, so a child process that was
    /// handed the terminal gets every key.
    paused: Arc<AtomicBool>,
    _handle: JoinHandle<()>,
}

impl InputThread {
    /// Starts reading. Key and resize events arrive on `tx`; a read error
    /// ends the thread (the channel closing tells the loop).
    ///
    /// # Errors
    /// When the thread cannot be spawned.
    pub fn spawn(tx: mpsc::UnboundedSender<Msg>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let paused = Arc::new(AtomicBool::new(false));
        let hold = Arc::clone(&paused);
        let handle = std::thread::Builder::new().name("quell-input".into()).spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if hold.load(Ordering::SeqCst) {
                    std::thread::sleep(POLL);
                    continue;
                }
                match event::poll(POLL) {
                    Ok(false) => {}
                    Ok(true) => {
                        let msg = match event::read() {
                            Ok(Event::Key(k)) => Msg::Key(k),
                            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                            Ok(_) => continue,
                            Err(_) => break,
                        };
                        if tx.send(msg).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        })?;
        Ok(Self { stop, paused, _handle: handle })
    }

    /// Stops (or resumes) reading. Pausing waits out a poll in progress.
    pub fn pause(&self, on: bool) {
        self.paused.store(on, Ordering::SeqCst);
        if on {
            std::thread::sleep(POLL + POLL / 2);
        }
    }
}

impl Drop for InputThread {
    /// Asks the thread to stop at its next poll timeout, without waiting.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
