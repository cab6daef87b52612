//! quell's full cycle against one real Alertmanager holding 10,000 alerts
//! (fetch, parse, merge, ingest, correlate) next to `amtool alert query -o
//! json` fetching and printing the same alerts, side by side in one run.
//!
//! `cargo bench --bench alertmanager` (needs scripts/fetch-test-servers.sh).
//!
//! Measured 2026-11-23 on the shared 2-core dev machine (Alertmanager 0.25):
//! quell 1.01 s (8 incidents) vs amtool 1.56 s, median of 5; quell's RSS
//! grew by about 69 MiB with the 10,000 alerts loaded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quell::connectors::alertmanager::Cluster;
use quell::model::{Clock, SystemClock, Topology};
use quell::pipeline::Pipeline;
use support::servers::{Alertmanager, bin};
use support::{alert_json, am_alert_count, am_toml, config, post_alerts};

const ALERTS: usize = 10_000;
const RUNS: usize = 5;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
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
        let cfg = config(&am_toml("bench", &[am.url()], ""));
        let mut quell_times = Vec::new();
        let mut amtool_times = Vec::new();
        let mut incidents = 0;
        let mut rss_growth = 0;
        for _ in 0..RUNS {
            // amtool: fetch and print the same alerts as JSON.
            let t = Instant::now();
            let out = Command::new(bin("amtool"))
                .args(["alert", "query", "-o", "json", &format!("--alertmanager.url={}", am.url())])
                .stdout(Stdio::piped())
                .output()
                .unwrap();
            amtool_times.push(t.elapsed());
            assert!(out.status.success() && out.stdout.len() > ALERTS * 100);

            // quell: fetch + parse + merge, then ingest + correlate into a view.
            let before = rss_kib();
            let t = Instant::now();
            let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
            let events = c.cycle().await;
            let mut pipe = Pipeline::new(cfg.store.clone(), cfg.engine.clone(), Topology::new());
            pipe.ingest_all(events);
            let view = pipe.analyze(SystemClock.now());
            quell_times.push(t.elapsed());
            assert_eq!(view.alerts.len(), ALERTS);
            incidents = view.incidents.len();
            rss_growth = rss_growth.max(rss_kib().saturating_sub(before));
            drop(view);
        }
        println!(
            "{ALERTS} alerts, median of {RUNS}: quell fetch+parse+merge+correlate {:?} ({incidents} incidents), \
             amtool alert query -o json {:?}; quell RSS growth with them loaded ≈ {} MiB",
            median(quell_times),
            median(amtool_times),
            rss_growth / 1024
        );
    });
}
