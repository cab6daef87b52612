//! The log template table in the data dir, kept in step with a running
//! pipeline: loaded before the first line, saved at most once a minute
//! while lines arrive, and once more when the pipeline task ends cleanly.
//!
//! Saving encodes on the pipeline task (which owns the miner) and writes
//! on tokio's blocking pool, never on the UI loop; the write is atomic (see
//! [`crate::base::write_atomic`]) and the format is the engine's
//! ([`crate::engine::logs::persist`]). A failure is logged and retried at
//! the next save: the table is a convenience, never a reason to stop.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::engine::logs::persist;
use crate::engine::logs::{Miner, MinerConfig};
use crate::pipeline::Pipeline;

/// File name inside the data dir.
pub const FILE_NAME: &str = "log_templates.json";
/// The demo world's table, kept apart from real sources' templates.
pub const DEMO_FILE_NAME: &str = "log_templates.demo.json";

/// `<data dir>/log_templates.json`, when there is a data dir.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    crate::base::paths::data_dir().map(|d| d.join(FILE_NAME))
}

/// `<data dir>/log_templates.demo.json`, when there is a data dir.
#[must_use]
pub fn demo_path() -> Option<PathBuf> {
    crate::base::paths::data_dir().map(|d| d.join(DEMO_FILE_NAME))
}

/// Writes the miner's templates to `path` atomically.
///
/// # Errors
/// The directory cannot be created or the file cannot be written.
pub fn save(miner: &Miner, path: &Path) -> std::io::Result<()> {
    crate::base::write_atomic(path, &persist::encode(miner)?)
}

/// A miner holding the templates saved at `path`, or an empty one when the
/// file does not exist.
///
/// # Errors
/// The file exists but cannot be read or parsed, or comes from a newer
/// format.
pub fn load(path: &Path, cfg: MinerConfig) -> std::io::Result<Miner> {
    match std::fs::read(path) {
        Ok(bytes) => persist::decode(&bytes, cfg),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Miner::new(cfg)),
        Err(e) => Err(e),
    }
}

/// Time between saves while lines keep arriving.
pub const SAVE_EVERY: Duration = Duration::from_secs(60);

/// One pipeline's template file.
#[derive(Debug)]
pub struct TemplateFile {
    path: PathBuf,
    every: Duration,
    /// The miner's line counter at the last save.
    saved_lines: u64,
    last_save: Instant,
    writing: Option<JoinHandle<()>>,
}

impl TemplateFile {
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self::with_interval(path, SAVE_EVERY)
    }

    #[must_use]
    pub fn with_interval(path: PathBuf, every: Duration) -> Self {
        Self { path, every, saved_lines: 0, last_save: Instant::now(), writing: None }
    }

    /// Loads the saved table into a pipeline that has seen no lines yet. A
    /// missing file is an empty table; an unreadable one is moved aside
    /// (`*.unreadable`) and the table starts empty.
    pub fn load_into(&mut self, pipe: &mut Pipeline) {
        let cfg = pipe.log_patterns().miner().config();
        match load(&self.path, cfg) {
            Ok(miner) => {
                tracing::info!(path = %self.path.display(), templates = miner.len(), "log templates loaded");
                pipe.restore_log_templates(miner);
            }
            Err(e) => {
                let aside = self.path.with_extension("json.unreadable");
                tracing::warn!(path = %self.path.display(), "log templates unreadable ({e}); moved to {}", aside.display());
                let _ = std::fs::rename(&self.path, aside);
            }
        }
        self.saved_lines = pipe.log_patterns().miner().lines_seen();
    }

    fn changed(&self, pipe: &Pipeline) -> bool {
        pipe.log_patterns().miner().lines_seen() != self.saved_lines
    }

    /// Saves in the background when the interval has passed and lines
    /// arrived since the last save (and no earlier write is still running).
    pub fn tick(&mut self, pipe: &Pipeline) {
        if self.last_save.elapsed() < self.every || !self.changed(pipe) {
            return;
        }
        if self.writing.as_ref().is_some_and(|w| !w.is_finished()) {
            return;
        }
        if let Some(job) = self.start_write(pipe) {
            self.writing = Some(job);
        }
    }

    /// Saves now if anything changed and waits for the write (clean exit).
    pub async fn close(&mut self, pipe: &Pipeline) {
        if let Some(w) = self.writing.take() {
            let _ = w.await;
        }
        if self.changed(pipe)
            && let Some(job) = self.start_write(pipe)
        {
            let _ = job.await;
        }
    }

    fn start_write(&mut self, pipe: &Pipeline) -> Option<JoinHandle<()>> {
        let miner = pipe.log_patterns().miner();
        let bytes = match persist::encode(miner) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("log templates not saved: {e}");
                return None;
            }
        };
        self.saved_lines = miner.lines_seen();
        self.last_save = Instant::now();
        let path = self.path.clone();
        Some(tokio::task::spawn_blocking(move || {
            if let Err(e) = crate::base::write_atomic(&path, &bytes) {
                tracing::warn!(path = %path.display(), "log templates not saved: {e}");
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::config::Config;
    use crate::engine::logs::TemplateId;
    use crate::model::{LogLevel, LogRecord, Topology};
    use crate::store::Ingest;

    fn pipeline() -> Pipeline {
        let cfg = Config::default();
        Pipeline::new(cfg.store, cfg.engine, Topology::new())
    }

    fn feed(pipe: &mut Pipeline, lines: &[String]) {
        let recs = lines
            .iter()
            .enumerate()
            .map(|(i, l)| LogRecord {
                ts: 1_000 * i64::try_from(i).unwrap(),
                source: "t".into(),
                service: Some("svc".into()),
                level: LogLevel::sniff(l),
                line: l.clone(),
                trace: None,
                template: Default::default(),
            })
            .collect();
        pipe.ingest(Ingest::Logs(recs));
    }

    /// The template ids of "svc".
    fn ids(pipe: &Pipeline) -> BTreeSet<TemplateId> {
        pipe.log_patterns().of_service("svc").map(|(id, _)| id).collect()
    }

    const NAMES: [&str; 6] = ["ann", "bob", "cy", "dee", "ed", "flo"];

    /// Lines whose templates depend on what came before: two events that
    /// differ in one word (choice positions), and a variable user name.
    fn lines(from: usize, to: usize) -> Vec<String> {
        (from..to)
            .map(|i| match i % 3 {
                0 => format!("VM Started instance i-{i}"),
                1 => format!("VM Paused instance i-{i}"),
                _ => format!("session opened for user {}", NAMES[(i / 3) % NAMES.len()]),
            })
            .collect()
    }

    fn temp_path(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("quell-tpl-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join(FILE_NAME)
    }

    #[test]
    fn an_absent_table_is_empty_and_a_garbled_one_an_error() {
        let path = temp_path("load");
        assert!(load(&path, MinerConfig::default()).unwrap().is_empty());
        let mut m = Miner::new(MinerConfig::default());
        let id = m.add("user login ok");
        save(&m, &path).unwrap();
        assert_eq!(load(&path, MinerConfig::default()).unwrap().add("user login ok"), id);
        std::fs::write(&path, b"{not json").unwrap();
        assert!(load(&path, MinerConfig::default()).is_err());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn template_ids_carry_over_a_save_and_load_between_pipeline_runs() {
        let path = temp_path("ids");
        let (first, later) = (lines(0, 30), lines(30, 60));

        // Run 1 reads the first half and exits cleanly.
        let mut a = pipeline();
        let mut f = TemplateFile::new(path.clone());
        f.load_into(&mut a);
        feed(&mut a, &first);
        f.close(&a).await;
        assert!(path.exists());

        // Run 2 starts from the saved table and reads the second half.
        let mut b = pipeline();
        TemplateFile::new(path.clone()).load_into(&mut b);
        feed(&mut b, &later);

        // One run that never restarted, over both halves.
        let mut whole = pipeline();
        feed(&mut whole, &first);
        feed(&mut whole, &later);
        let (got, want) = (ids(&b), ids(&whole));
        assert_eq!(got.len(), 3, "VM Started, VM Paused, session opened: {got:?}");
        assert!(got.is_subset(&want), "{got:?} vs {want:?}");
        // Without the table, a fresh run names the same events differently.
        let mut fresh = pipeline();
        feed(&mut fresh, &later);
        assert!(!ids(&fresh).is_subset(&want), "the saved table is what keeps the ids");

        // The same lines again after a restart get ids run 1 gave them (its
        // earliest lines had ids of templates that later generalised).
        let mut again = pipeline();
        TemplateFile::new(path.clone()).load_into(&mut again);
        feed(&mut again, &first);
        assert_eq!(ids(&again).len(), 3);
        assert!(ids(&again).is_subset(&ids(&a)), "{:?} vs {:?}", ids(&again), ids(&a));
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn saves_in_the_background_only_when_lines_arrived() {
        let path = temp_path("tick");
        let mut p = pipeline();
        let mut f = TemplateFile::with_interval(path.clone(), Duration::ZERO);
        f.load_into(&mut p);
        f.tick(&p);
        assert!(f.writing.is_none(), "nothing seen, nothing written");
        feed(&mut p, &lines(0, 6));
        f.tick(&p);
        f.writing.take().unwrap().await.unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("instance <*>"));
        std::fs::remove_file(&path).unwrap();
        f.tick(&p);
        f.close(&p).await;
        assert!(!path.exists(), "unchanged since the last save: not rewritten");
        feed(&mut p, &lines(6, 7));
        f.close(&p).await;
        assert!(path.exists(), "a clean exit saves what changed");

        // An unreadable table is moved aside and the run starts empty.
        std::fs::write(&path, b"{truncated").unwrap();
        let mut q = pipeline();
        TemplateFile::new(path.clone()).load_into(&mut q);
        assert!(q.log_patterns().miner().is_empty());
        assert!(path.with_extension("json.unreadable").exists());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
