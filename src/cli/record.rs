//! `quell record`: run the configured sources and write everything they
//! deliver to a size-capped, rotating NDJSON recording until Ctrl-C.

use anyhow::Context;

use crate::config::Loaded;
use crate::connectors::record::Recorder;
use crate::model::{Clock, SystemClock};

use super::RecordArgs;

pub fn run(loaded: &Loaded, args: &RecordArgs, demo: bool) -> anyhow::Result<()> {
    let cfg = &loaded.config;
    if demo {
        return record_demo(loaded, args);
    }
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
        let (live, mut events) =
            crate::connectors::live::spawn_sources(crate::driver::live::sources(cfg)?);
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

/// `quell record --demo`: the demo world run in virtual time (warm-up plus
/// `--seconds`), written as a recording with the world's timestamps: its
/// topology first, then every event each step delivers. Replaying it with
/// `quell --replay` or `quell snapshot --replay` shows the same incidents.
fn record_demo(loaded: &Loaded, args: &RecordArgs) -> anyhow::Result<()> {
    use crate::connectors::Event;
    use crate::sim::{self, World};

    let cfg = &loaded.config;
    let max_bytes = args.max_mb.max(1).saturating_mul(1024 * 1024);
    let mut rec = Recorder::create(&args.out, max_bytes)?;
    let steps = sim::DEMO_WARMUP_STEPS
        + usize::try_from(args.seconds.saturating_mul(1_000) / sim::STEP_MS.unsigned_abs())
            .unwrap_or(usize::MAX);
    let warmup_ms = sim::STEP_MS * i64::try_from(sim::DEMO_WARMUP_STEPS).unwrap_or(0);
    let mut world = World::demo(cfg.demo.seed, SystemClock.now() - warmup_ms);
    let edges: Vec<(String, String)> =
        world.topology().edges().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    rec.write(world.now(), Event::Topology(edges))?;
    let mut count: u64 = 1;
    for _ in 0..steps {
        for ev in world.step() {
            rec.write(world.now(), Event::Ingest(ev))?;
            count += 1;
        }
    }
    rec.flush()?;
    eprintln!(
        "quell: recorded {count} events of the demo world (seed {}) to {}",
        cfg.demo.seed,
        args.out.display()
    );
    Ok(())
}
