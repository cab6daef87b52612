//! Merges and splits through the pipeline as the live driver runs it: the
//! decision applies from the next view, is saved in the data dir and
//! journaled, and a restarted pipeline restores it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use quell::engine::EngineConfig;
use quell::engine::regroup::{Regroup, Request};
use quell::model::{Alert, AlertState, Labels, Topology};
use quell::pipeline::{Pipeline, REGROUP_FILE};
use quell::store::{Ingest, StoreLimits};

const T: i64 = 1_800_000_000_000;

fn alert(name: &str, service: &str) -> Alert {
    let mut l = Labels::new();
    l.insert("alertname".into(), name.into());
    l.insert("service".into(), service.into());
    l.insert("severity".into(), "critical".into());
    Alert::new("am", l, AlertState::Firing, T)
}

fn pipeline(dir: &support::servers::TempDir) -> Pipeline {
    let topo = Topology::from_edges([("web", "db")]);
    let mut p = Pipeline::new(StoreLimits::default(), EngineConfig::default(), topo);
    p.set_regroup_file(dir.0.join(REGROUP_FILE));
    p.ingest(Ingest::AlertPoll {
        source: "am".into(),
        at: T,
        alerts: vec![alert("DiskFull", "reports"), alert("QueueStuck", "mailer")],
    });
    p
}

#[test]
fn a_merge_is_saved_journaled_and_restored() {
    let dir = support::servers::TempDir::new("regroup");
    let mut p = pipeline(&dir);
    let v = p.analyze(T + 1_000);
    assert_eq!(v.incidents.len(), 2, "unrelated services");
    let (a, b) = (v.incidents[0].id.clone(), v.incidents[1].id.clone());
    let req = Request {
        cmd: Regroup::Merge { into: a.clone(), from: vec![b.clone()] },
        by: "ana@bastion".into(),
    };
    assert_eq!(p.regroup(&req, T + 2_000).unwrap(), format!("merged {b} into {a}"));
    let v = p.analyze(T + 3_000);
    assert_eq!(v.incidents.len(), 1);
    assert_eq!(v.incidents[0].alerts.len(), 2);

    let saved = std::fs::read_to_string(dir.0.join(REGROUP_FILE)).unwrap();
    assert!(saved.contains("ana@bastion") && saved.contains(&b.0), "{saved}");
    let journal = std::fs::read_to_string(dir.0.join("journal.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
    assert_eq!(entry["what"], "incidents merged");
    assert_eq!(entry["who"], "ana@bastion");
    assert_eq!(entry["incident"], a.0.as_str());

    // A restart restores the decision: the same alerts show as one incident.
    let mut again = pipeline(&dir);
    let v = again.analyze(T + 1_000);
    assert_eq!(v.incidents.len(), 1, "{:?}", v.incidents);
    assert_eq!(v.incidents[0].id, a);

    // A refused decision changes nothing and writes nothing.
    let before = std::fs::read_to_string(dir.0.join("journal.jsonl")).unwrap();
    let bad = Request { cmd: Regroup::Merge { into: a.clone(), from: vec![a] }, by: "x".into() };
    assert!(again.regroup(&bad, T + 2_000).is_err());
    assert_eq!(std::fs::read_to_string(dir.0.join("journal.jsonl")).unwrap(), before);
}

#[test]
fn a_broken_decisions_file_is_set_aside_not_fatal() {
    let dir = support::servers::TempDir::new("regroup-bad");
    std::fs::write(dir.0.join(REGROUP_FILE), "{not json").unwrap();
    let mut p = pipeline(&dir);
    assert_eq!(p.analyze(T + 1_000).incidents.len(), 2);
    assert!(dir.0.join("regroup.json.bad").exists());
}
