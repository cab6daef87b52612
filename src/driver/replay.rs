//! Recordings as feeds: to the end in virtual time (`quell snapshot
//! --replay`), or in scaled real time into the UI (`quell --replay`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::Config;
use crate::connectors::Event;
use crate::connectors::record::{RecordError, read};
use crate::model::{UnixMs, View};

use super::{Driver, Feed, Links, Setup};

/// The view at the end of a recording (`quell snapshot --replay`).
///
/// # Errors
/// See [`read`].
pub fn replay_view(cfg: &Config, path: &Path) -> Result<View, RecordError> {
    let mut driver = Driver::new(Setup::from_config(cfg));
    let mut last = 0;
    let mut analyzed: Option<UnixMs> = None;
    read(path, |at, ev| {
        // The engine is online: it sees the recording pass by as the live
        // UI did, one pass per second of recorded time that saw events, so
        // incidents that opened and resolved within it are found too.
        if at > last && analyzed.is_some_and(|a| at - a >= 1_000) {
            driver.analyze(last);
            analyzed = Some(last);
        }
        analyzed.get_or_insert(at);
        driver.apply(ev);
        last = at;
    })?;
    Ok(driver.analyze(last))
}

/// Recorded events released at their recorded pace (scaled by `speed`);
/// events recorded at the same instant form one batch. Everything taken
/// from the reader is held in the feed itself, so a `next` cut short by
/// the driver's other branches loses nothing.
struct ReplayFeed {
    rx: mpsc::Receiver<(UnixMs, Event)>,
    /// The first event of the next instant, read while gathering a batch.
    pending: Option<(UnixMs, Event)>,
    batch: Vec<Event>,
    batch_at: UnixMs,
    started: Instant,
    first: Option<UnixMs>,
    speed: f64,
    now: UnixMs,
}

impl Feed for ReplayFeed {
    async fn next(&mut self) -> Option<Vec<Event>> {
        if self.batch.is_empty() {
            let (at, ev) = match self.pending.take() {
                Some(p) => p,
                None => self.rx.recv().await?,
            };
            self.batch_at = at;
            self.batch.push(ev);
        }
        let at = self.batch_at;
        let t0 = *self.first.get_or_insert(at);
        let due_ms = ((at - t0).max(0) as f64 / self.speed) as u64;
        tokio::time::sleep_until(self.started + Duration::from_millis(due_ms)).await;
        loop {
            match self.rx.recv().await {
                Some((same, ev)) if same == at => self.batch.push(ev),
                next => {
                    self.pending = next;
                    break;
                }
            }
        }
        self.now = at;
        Some(std::mem::take(&mut self.batch))
    }

    fn now(&self) -> UnixMs {
        self.now
    }
}

/// Replays a recording in (scaled) real time into `views`: `quell --replay`.
pub fn spawn_replay(
    cfg: &Config,
    path: PathBuf,
    speed: f64,
    views: watch::Sender<Arc<View>>,
) -> JoinHandle<()> {
    let driver = Driver::new(Setup::from_config(cfg));
    let (tx, rx) = mpsc::channel::<(UnixMs, Event)>(256);
    let reader = tokio::task::spawn_blocking(move || {
        let r = read(&path, |at, ev| {
            let _ = tx.blocking_send((at, ev));
        });
        if let Err(e) = r {
            tracing::error!("replay: {e}");
        }
    });
    let feed = ReplayFeed {
        rx,
        pending: None,
        batch: Vec::new(),
        batch_at: 0,
        started: Instant::now(),
        first: None,
        speed: speed.clamp(0.01, 10_000.0),
        now: 0,
    };
    tokio::spawn(async move {
        driver.run(feed, Links::views(views)).await;
        reader.abort();
    })
}
