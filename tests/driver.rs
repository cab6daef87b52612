//! The single pipeline driver, fed in virtual time by the demo world and by
//! a recording of it, finds the incidents the four separate drivers found
//! before it (pinned in `tests/golden/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use quell::connectors::Event;
use quell::connectors::record::Recorder;
use quell::driver::demo::driver_for;
use quell::driver::replay::replay_view;
use quell::engine::EngineConfig;
use quell::model::View;
use quell::sim::{self, World};
use quell::store::StoreLimits;

/// 2026-01-01T04:00:00Z, the start `quell snapshot --demo` uses.
const START: i64 = 1_767_240_000_000;
const SECONDS: i64 = 3_600;

fn steps() -> usize {
    sim::DEMO_WARMUP_STEPS + usize::try_from(SECONDS * 1_000 / sim::STEP_MS).unwrap()
}

/// State, alert count and title of every incident, sorted.
fn summary(view: &View) -> Vec<String> {
    let mut rows: Vec<String> = view
        .incidents
        .iter()
        .map(|i| format!("{}\t{}\t{}", i.state.word(), i.alerts.len(), i.title))
        .collect();
    rows.sort();
    rows
}

fn golden() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/demo_seed1_3600s.tsv"
    ))
    .unwrap();
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(str::to_string).collect()
}

#[test]
fn the_demo_world_through_the_driver_in_virtual_time_finds_the_pinned_incidents() {
    let mut world = World::demo(1, START);
    let mut driver = driver_for(&world, StoreLimits::default(), EngineConfig::default());
    let mut view = View::default();
    for _ in 0..steps() {
        driver.ingest_all(world.step());
        view = driver.analyze(world.now());
    }
    let want = golden();
    assert_eq!(want.len(), 7, "the golden file lists the seven faults' incidents");
    assert_eq!(summary(&view), want);
}

#[test]
fn a_recording_of_the_demo_world_replays_through_the_driver_to_the_pinned_incidents() {
    let dir = std::env::temp_dir().join(format!("quell-driver-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo.ndjson");
    let mut world = World::demo(1, START);
    let mut rec = Recorder::create(&path, u64::MAX).unwrap();
    let edges = world.topology().edges().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    rec.write(world.now(), Event::Topology(edges)).unwrap();
    for _ in 0..steps() {
        for ev in world.step() {
            rec.write(world.now(), Event::Ingest(ev)).unwrap();
        }
    }
    rec.flush().unwrap();
    let view = replay_view(&quell::config::Config::default(), &path).unwrap();
    assert_eq!(summary(&view), golden());
    std::fs::remove_dir_all(&dir).unwrap();
}
