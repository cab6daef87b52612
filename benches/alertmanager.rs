//! quell against `amtool`, and quell's memory for a huge answer.
//!
//! 1. One real Alertmanager holding 10,000 alerts. Each round, interleaved:
//!    `amtool alert query -o json` (fetch + print), quell's library cycle
//!    (fetch, parse, merge, ingest, correlate into a view) and the binary
//!    `quell snapshot --json` (the same plus process start and printing).
//!    Reported: medians and the median of the per-round ratios to amtool.
//! 2. Peak RSS of a fresh process (this bench re-run as a child) taking a
//!    125,000-alert answer (about 46 MB of JSON) from a local fake through
//!    fetch, parse, merge, the store (capped at 50,000) and correlation:
//!    with small status and silences answers after it (as a real server
//!    sends), and with every endpoint sending the 46 MB body (worst case).
//!
//! `cargo bench --bench alertmanager` (needs scripts/fetch-test-servers.sh).
//! Figures are written down in the README's Performance table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quell::connectors::alertmanager::Cluster;
use quell::model::{Clock, SystemClock, Topology};
use quell::pipeline::Pipeline;
use support::servers::{Alertmanager, TempDir, bin};
use support::stub::{Reply, Stub};
use support::{alert_json, am_alert_count, am_toml, big_answer, config, post_alerts};

const ALERTS: usize = 10_000;
const RUNS: usize = 7;
const HUGE: usize = 125_000;
const CHILD: &str = "QUELL_BENCH_HUGE_URL";

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Child mode: take the huge answer once, print peak RSS in KiB.
async fn huge_child(url: &str) {
    let extra = "timeout = \"120s\"\nmax_response_bytes = 200000000";
    let cfg = config(&am_toml("huge", &[url.to_string()], extra));
    let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
    let events = c.cycle().await;
    // Where the peak grows: each stage's high-water mark, then the total.
    println!("stage fetch+parse+merge: peak {} MiB", status_kib("VmHWM:") / 1024);
    let mut pipe = Pipeline::new(cfg.store.clone(), cfg.engine.clone(), Topology::new());
    pipe.ingest_all(events);
    println!("stage store: peak {} MiB", status_kib("VmHWM:") / 1024);
    let view = pipe.analyze(SystemClock.now());
    println!("stage correlate+view: peak {} MiB", status_kib("VmHWM:") / 1024);
    println!(
        "{} {} {}",
        status_kib("VmHWM:"),
        pipe.store().alert_count(),
        pipe.store().dropped_alerts()
    );
    drop(view);
}

async fn versus_amtool() {
    let am = Alertmanager::single(&[]);
    let services = ["payments", "checkout", "search", "db", "cache", "auth", "web", "queue"];
    for batch in 0..ALERTS / 1_000 {
        let alerts: Vec<serde_json::Value> = (0..1_000)
            .map(|i| {
                let n = batch * 1_000 + i;
                let inst = format!("host-{n}:9100");
                let name = format!("Alert{}", n % 40);
                alert_json(&[
                    ("alertname", &name),
                    ("service", services[n % services.len()]),
                    ("instance", &inst),
                    ("severity", if n % 7 == 0 { "critical" } else { "warning" }),
                ])
            })
            .collect();
        post_alerts(&am.url(), &alerts).await;
    }
    while am_alert_count(&am.url()).await < ALERTS {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cfg_text = am_toml("bench", &[am.url()], "");
    let cfg = config(&cfg_text);
    let dir = TempDir::new("bench-am");
    let cfg_path = dir.file("quell.toml", &cfg_text);
    let (mut amtool, mut lib, mut snap) = (Vec::new(), Vec::new(), Vec::new());
    let (mut lib_ratio, mut snap_ratio) = (Vec::new(), Vec::new());
    let mut incidents = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(bin("amtool"))
            .args(["alert", "query", "-o", "json", &format!("--alertmanager.url={}", am.url())])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        let a = t.elapsed();
        assert!(out.status.success() && out.stdout.len() > ALERTS * 100);

        let t = Instant::now();
        let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
        let events = c.cycle().await;
        let mut pipe = Pipeline::new(cfg.store.clone(), cfg.engine.clone(), Topology::new());
        pipe.ingest_all(events);
        let view = pipe.analyze(SystemClock.now());
        let l = t.elapsed();
        assert_eq!(view.alerts.len(), ALERTS);
        incidents = view.incidents.len();
        drop(view);

        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_quell"))
            .args(["snapshot", "--json", "--config"])
            .arg(&cfg_path)
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        let s = t.elapsed();
        assert!(out.status.success() && out.stdout.len() > ALERTS * 100);

        amtool.push(a);
        lib.push(l);
        snap.push(s);
        lib_ratio.push(l.as_secs_f64() / a.as_secs_f64());
        snap_ratio.push(s.as_secs_f64() / a.as_secs_f64());
    }
    println!(
        "{ALERTS} alerts, {RUNS} interleaved rounds, medians: amtool alert query -o json {:?}; \
         quell fetch+parse+merge+correlate {:?} ({incidents} incidents), ratio {:.2}; \
         quell snapshot --json {:?}, ratio {:.2}",
        median(amtool),
        median(lib),
        median(lib_ratio),
        median(snap),
        median(snap_ratio),
    );
}

fn huge_rss() {
    let big = big_answer(HUGE);
    // As a real Alertmanager holding that many alerts: the alert list is
    // huge, the status and silences that follow it are not.
    let real = Stub::routes(
        vec![("/api/v2/alerts", Reply::json(big.clone()))],
        Reply::json(b"[]".to_vec()),
    );
    huge_child_run("the alert list 46 MB, other answers small", &real.url());
    // Worst case: every endpoint answers the 46 MB body (this is what the
    // bench measured before 2026-12-04: status and silences too).
    let every = Stub::start(Reply::json(big));
    huge_child_run("every endpoint answers the 46 MB body", &every.url());
}

fn huge_child_run(what: &str, url: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, url)
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("");
    let mut parts = line.split_whitespace().map(|p| p.parse::<u64>().unwrap_or(0));
    let (hwm, kept, dropped) =
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    println!(
        "{HUGE} alerts in one answer ({what}): peak RSS {} MiB (process total), {kept} kept, {dropped} dropped and counted",
        hwm / 1024
    );
    for stage in text.lines().filter(|l| l.starts_with("stage ")) {
        println!("  {stage}");
    }
}

fn main() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    if let Ok(url) = std::env::var(CHILD) {
        rt.block_on(huge_child(&url));
        return;
    }
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    if only.as_deref().is_none_or(|o| o == "amtool") {
        rt.block_on(versus_amtool());
    }
    if only.as_deref().is_none_or(|o| o == "rss") {
        huge_rss();
    }
}
