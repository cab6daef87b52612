//! `quell record`: run the configured sources and write everything they
//! deliver to a size-capped, rotating NDJSON recording until Ctrl-C.

use anyhow::Context;

use crate::config::Loaded;
use crate::connectors::live;
use crate::connectors::record::Recorder;
use crate::model::{Clock, SystemClock};

use super::RecordArgs;

pub fn run(loaded: &Loaded, args: &RecordArgs) -> anyhow::Result<()> {
    let cfg = &loaded.config;
    if !cfg.has_sources() {
        anyhow::bail!("nothing to record: the config has no [[alertmanager]] or [[prometheus]]");
    }
    let max_bytes = args.max_mb.max(1).saturating_mul(1024 * 1024);
    let mut rec = Recorder::create(&args.out, max_bytes)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let result: anyhow::Result<()> = runtime.block_on(async {
        let (live, mut events) = live::spawn_sources(cfg)?;
        let mut count: u64 = 0;
        loop {
            tokio::select! {
                ev = events.recv() => {
                    let Some(ev) = ev else { break };
                    rec.write(SystemClock.now(), ev)?;
                    count += 1;
                    if count % 64 == 0 {
                        rec.flush()?;
                    }
                }
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        drop(live);
        rec.flush()?;
        eprintln!("quell: recorded {count} events to {}", args.out.display());
        Ok(())
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}
