//! Acknowledgements written to a real Alertmanager (Debian's 0.25): one
//! marked silence per ack, extended in place, expired on unack, seen by both
//! replicas of an HA pair, pending while the cluster is down and applied
//! exactly once after, never duplicated, persisted across restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use quell::ack::{AckCommand, AckTarget};
use quell::model::{AckPhase, Clock, IncidentId, SystemClock};
use support::ack::{
    HOSTILE, ack_cmd, alerts, end_of, fp_of, labels, live_silences, no, silences, targets, view_of,
    writer, yes,
};
use support::servers::{Alertmanager, TempDir, free_port};
use support::{alert_json, eventually, post_alerts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_is_one_marked_silence_extended_in_place_and_expired_by_unack() {
    let am = Alertmanager::single(&[]);
    let url = am.url();
    let (ls, ts) = targets();
    let mut posted: Vec<serde_json::Value> =
        ls.iter().map(|l| alert_json(&l.iter().collect::<Vec<_>>())).collect();
    posted.push(alert_json(&[("alertname", "Down"), ("instance", "c:9100"), ("job", "api")]));
    post_alerts(&url, &posted).await;

    let mut w = writer(std::slice::from_ref(&url), None);
    let now = SystemClock.now();
    w.command(ack_cmd(ts), now).await;
    assert!(w.cycle(now, &yes).await);
    let st = w.statuses();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].phase, AckPhase::Active);
    assert_eq!(st[0].silence_ids.len(), 1, "two pods of one alert: one silence");

    let live = live_silences(&url).await;
    assert_eq!(live.len(), 1, "{live:?}");
    let s = &live[0];
    let id = s["id"].as_str().unwrap().to_string();
    assert_eq!(st[0].silence_ids[0], id);
    assert_eq!(s["createdBy"], "ana@bastion");
    assert_eq!(s["comment"], "ACK! INC-1: on it (quell)");

    // The hostile value was escaped correctly: Alertmanager itself says the
    // acked alerts (and only those) are silenced by it.
    let u = url.clone();
    let want = id.clone();
    eventually(Duration::from_secs(10), "acked alerts suppressed", || {
        let (u, want) = (u.clone(), want.clone());
        async move {
            let a = alerts(&u).await;
            let silenced = |inst: &str| {
                a.iter().any(|x| {
                    x["labels"]["instance"] == inst
                        && x["status"]["silencedBy"]
                            .as_array()
                            .is_some_and(|v| v.contains(&want.clone().into()))
                })
            };
            silenced(HOSTILE) && silenced("b:9100") && !silenced("c:9100")
        }
    })
    .await;

    // Near its end while the alerts fire: extended in place, same id.
    let later = now + 11 * 60_000;
    let before_end = end_of(s);
    assert!(w.cycle(later, &yes).await);
    let live = live_silences(&url).await;
    assert_eq!(live.len(), 1, "extension never forks the silence: {live:?}");
    assert_eq!(live[0]["id"], id.as_str(), "same id");
    let new_end = end_of(&live[0]);
    assert!(new_end > before_end + 10 * 60_000, "{new_end} vs {before_end}");
    assert_eq!(live[0]["startsAt"], s["startsAt"], "stored startsAt kept");
    // Nothing due: no write.
    assert!(!w.cycle(later + 1_000, &yes).await);
    assert_eq!(end_of(&live_silences(&url).await[0]), new_end);

    // Un-acknowledge: the silence expires, the ack is gone.
    w.command(AckCommand::Unack { incident: IncidentId("INC-1".into()) }, later).await;
    w.cycle(later, &yes).await;
    assert!(w.statuses().is_empty());
    assert!(live_silences(&url).await.is_empty());
    let all = silences(&url).await;
    assert_eq!(all.len(), 1, "expired, not duplicated: {all:?}");
    assert_eq!(all[0]["status"]["state"], "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolved_alerts_let_the_ack_run_out_unextended() {
    let am = Alertmanager::single(&[]);
    let url = am.url();
    let (_, ts) = targets();
    let mut w = writer(std::slice::from_ref(&url), None);
    let now = SystemClock.now();
    w.command(ack_cmd(ts), now).await;
    w.cycle(now, &yes).await;
    let end = end_of(&live_silences(&url).await[0]);
    // Alerts resolved: near the end nothing is extended.
    w.cycle(now + 11 * 60_000, &no).await;
    assert_eq!(end_of(&live_silences(&url).await[0]), end, "not extended");
    // Past its end the ack is done.
    w.cycle(now + 16 * 60_000, &no).await;
    assert!(w.statuses().is_empty());
    assert_eq!(silences(&url).await.len(), 1, "no new silence was made");
}

/// quell stopped with an ack on record; meanwhile the cluster lost the
/// silence (a replica set recreated without its data) and the alerts
/// resolved and fired again. The ack was for the occurrence that had
/// started when it was made: that one still firing gets its silence back,
/// a new one is not acknowledged in the engineer's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_ack_comes_back_for_its_occurrence_not_for_a_new_one() {
    let dir = TempDir::new("acks-occurrence");
    let path = dir.0.join("acks.json");
    let (_, ts) = targets();
    let now = SystemClock.now();
    {
        let old = Alertmanager::single(&[]);
        let mut w = writer(&[old.url()], Some(path.clone()));
        w.command(ack_cmd(ts), now).await;
        w.cycle(now, &yes).await;
        assert_eq!(w.statuses()[0].phase, AckPhase::Active);
    }
    let saved = std::fs::read(&path).unwrap();
    let am = Alertmanager::single(&[]);
    let url = am.url();
    let later = now + 20 * 60_000;

    // The same alerts fire again, from 10 minutes after the ack.
    let refired = |_: &quell::model::Fingerprint| Some(now + 10 * 60_000);
    let mut w = writer(std::slice::from_ref(&url), Some(path.clone()));
    w.cycle(later, &refired).await;
    w.cycle(later + 61_000, &refired).await;
    assert!(silences(&url).await.is_empty(), "no silence for a new occurrence");
    assert!(w.statuses().is_empty(), "{:?}", w.statuses());
    drop(w);

    // The occurrence it was made for still fires: its silence comes back.
    std::fs::write(&path, &saved).unwrap();
    let mut w = writer(std::slice::from_ref(&url), Some(path));
    w.cycle(later, &yes).await;
    assert_eq!(live_silences(&url).await.len(), 1);
    assert_eq!(w.statuses()[0].phase, AckPhase::Active);
}

/// A teammate expired quell's ack silence while quell was stopped: the
/// first pass after the restart sees it, rather than showing the alerts
/// acked until the next periodic check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_expired_while_quell_was_stopped_is_seen_at_once() {
    let am = Alertmanager::single(&[]);
    let url = am.url();
    let dir = TempDir::new("acks-expired");
    let path = dir.0.join("acks.json");
    let (_, ts) = targets();
    let now = SystemClock.now();
    let mut w = writer(std::slice::from_ref(&url), Some(path.clone()));
    w.command(ack_cmd(ts), now).await;
    w.cycle(now, &yes).await;
    let id = w.statuses()[0].silence_ids[0].clone();
    drop(w);
    let gone =
        reqwest::Client::new().delete(format!("{url}/api/v2/silence/{id}")).send().await.unwrap();
    assert!(gone.status().is_success(), "{}", gone.status());
    let mut w = writer(std::slice::from_ref(&url), Some(path));
    assert_eq!(w.statuses().len(), 1, "the record as saved");
    w.cycle(now + 5_000, &yes).await;
    assert!(w.statuses().is_empty(), "{:?}", w.statuses());
    let notices = format!("{:?}", w.take_notices());
    assert!(notices.contains("expired on the cluster by someone else"), "{notices}");
    assert!(live_silences(&url).await.is_empty(), "not re-created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ha_pair_sees_the_ack_on_both_replicas_after_one_write() {
    let (a, b) = Alertmanager::pair();
    let urls = vec![a.url(), b.url()];
    let (_, ts) = targets();
    let mut w = writer(&urls, None);
    let now = SystemClock.now();
    w.command(ack_cmd(ts), now).await;
    w.cycle(now, &yes).await;
    let id = w.statuses()[0].silence_ids[0].clone();
    for u in &urls {
        let (u, id) = (u.clone(), id.clone());
        eventually(Duration::from_secs(15), "gossip to both replicas", || {
            let (u, id) = (u.clone(), id.clone());
            async move {
                let l = live_silences(&u).await;
                l.len() == 1 && l[0]["id"] == id.as_str()
            }
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_while_down_stays_pending_then_lands_exactly_once() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = TempDir::new("acks");
    let path = dir.0.join("acks.json");
    let (_, ts) = targets();
    let mut w = writer(std::slice::from_ref(&url), Some(path.clone()));
    let now = SystemClock.now();
    w.command(ack_cmd(ts.clone()), now).await;
    w.cycle(now, &yes).await;
    let st = w.statuses();
    match &st[0].phase {
        AckPhase::Pending { attempts, last_error } => {
            assert_eq!(*attempts, 1);
            assert!(
                last_error.as_deref().is_some_and(|e| e.contains("unreachable")),
                "{last_error:?}"
            );
        }
        other => panic!("expected pending, got {other:?}"),
    }
    // Backoff: not retried at once.
    assert!(!w.cycle(now + 1_000, &yes).await);

    let am = Alertmanager::single_at(port);
    let retry_at = SystemClock.now() + 60_000;
    w.cycle(retry_at, &yes).await;
    assert_eq!(w.statuses()[0].phase, AckPhase::Active);
    assert_eq!(live_silences(&am.url()).await.len(), 1);

    // A restart that lost the id (as after a post that timed out) looks the
    // silence up instead of posting a second one.
    drop(w);
    std::fs::remove_file(&path).unwrap();
    let mut again = writer(std::slice::from_ref(&url), Some(path.clone()));
    again.command(ack_cmd(ts), retry_at).await;
    again.cycle(retry_at, &yes).await;
    assert_eq!(again.statuses()[0].phase, AckPhase::Active);
    assert_eq!(live_silences(&am.url()).await.len(), 1, "never duplicated");

    // Records persist: a new writer over the same file knows the ack.
    drop(again);
    let mut restored = writer(std::slice::from_ref(&url), Some(path));
    let st = restored.statuses();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].silence_ids.len(), 1);
    restored.command(AckCommand::Unack { incident: IncidentId("INC-1".into()) }, retry_at).await;
    restored.cycle(retry_at, &yes).await;
    assert!(live_silences(&am.url()).await.is_empty());

    // Who did what, in order, in the journal beside the records.
    let journal = std::fs::read_to_string(dir.0.join("journal.jsonl")).unwrap();
    let whats: Vec<String> = journal
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["what"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        whats,
        [
            "ack requested",
            "ack applied",
            "ack requested",
            "ack applied",
            "unack requested",
            "unack applied"
        ],
        "{journal}"
    );
    assert!(journal.contains("\"who\":\"ana@bastion\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_silences_with_hostile_matchers_select_exactly_their_alert() {
    let am = Alertmanager::single(&[]);
    let url = am.url();
    post_alerts(
        &url,
        &[
            alert_json(&[("alertname", "Odd"), ("instance", HOSTILE)]),
            alert_json(&[("alertname", "Odd"), ("instance", "plain")]),
        ],
    )
    .await;
    let mut w = writer(std::slice::from_ref(&url), None);
    let now = SystemClock.now();
    // Typed in the editor exactly as the prefilled line shows it.
    let line =
        format!("{} for=30m -- window", quell::model::SilenceMatcher::equal("instance", HOSTILE));
    let mut spec = quell::app::silence::parse_silence(&line, 3_600_000).unwrap();
    w.command(
        AckCommand::Create {
            source: "am".into(),
            matchers: spec.groups.remove(0),
            duration_ms: spec.duration_ms,
            comment: spec.comment,
        },
        now,
    )
    .await;
    let live = live_silences(&url).await;
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["matchers"][0]["value"], HOSTILE);
    assert_eq!(live[0]["comment"], "window");
    let id = live[0]["id"].as_str().unwrap().to_string();
    let u = url.clone();
    let want = id.clone();
    eventually(Duration::from_secs(10), "only the hostile alert silenced", || {
        let (u, want) = (u.clone(), want.clone());
        async move {
            let a = alerts(&u).await;
            let by = |inst: &str| {
                a.iter().any(|x| {
                    x["labels"]["instance"] == inst
                        && x["status"]["silencedBy"]
                            .as_array()
                            .is_some_and(|v| v.contains(&want.clone().into()))
                })
            };
            by(HOSTILE) && !by("plain")
        }
    })
    .await;
    // Extend by an hour: same silence, later end; then expire it.
    let end = end_of(&live[0]);
    w.command(AckCommand::Extend { source: "am".into(), id: id.clone(), by_ms: 3_600_000 }, now)
        .await;
    let live = live_silences(&url).await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["id"], id.as_str());
    assert!(end_of(&live[0]) >= end + 3_500_000);
    w.command(AckCommand::Expire { source: "am".into(), id: id.clone() }, now).await;
    assert!(live_silences(&url).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosts_incident_is_acked_with_one_silence_that_spares_everything_else() {
    let am = Alertmanager::single(&[]);
    let url = am.url();
    let host = |name: &str, h: &str, sev: &str| {
        labels(&[("alertname", name), ("instance", h), ("job", "node"), ("severity", sev)])
    };
    let cpu = host("HostHighCpuLoad", "web-1:9100", "warning");
    let mem = host("HostOutOfMemory", "web-1:9100", "critical");
    let disk = host("HostOutOfDiskSpace", "web-1:9100", "warning");
    // Not part of the incident: the other host, and web-1's clock alert
    // that resolved a moment ago (kept unconfirmed by a disruption).
    let other = host("HostHighCpuLoad", "web-2:9100", "warning");
    let gone = host("HostClockSkew", "web-1:9100", "warning");
    let all = [&cpu, &mem, &disk, &other];
    let posted: Vec<serde_json::Value> =
        all.iter().map(|l| alert_json(&l.iter().collect::<Vec<_>>())).collect();
    post_alerts(&url, &posted).await;

    let mut w = writer(std::slice::from_ref(&url), None);
    w.observe(view_of(&[
        (&cpu, false),
        (&mem, false),
        (&disk, false),
        (&other, false),
        (&gone, true),
    ]));
    let targets: Vec<AckTarget> = [&cpu, &mem, &disk, &gone]
        .iter()
        .map(|l| AckTarget { source: "am".into(), fingerprint: fp_of(l), labels: (*l).clone() })
        .collect();
    let now = SystemClock.now();
    w.command(
        AckCommand::Ack {
            incident: IncidentId("I-0a1b2c".into()),
            title: "HostOutOfMemory".into(),
            alerts: targets,
            note: String::new(),
        },
        now,
    )
    .await;
    assert!(w.cycle(now, &yes).await);
    let st = w.statuses();
    assert_eq!(st[0].silence_ids.len(), 1, "one action, one silence: {st:?}");
    assert_eq!(st[0].fingerprints.len(), 3, "the unconfirmed alert is not acked");
    let live = live_silences(&url).await;
    assert_eq!(live.len(), 1);
    let comment = live[0]["comment"].as_str().unwrap();
    assert_eq!(comment.matches("I-0a1b2c").count(), 1, "{comment}");
    let id = live[0]["id"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(10), "the silence applied", || {
        let url = url.clone();
        let id = id.clone();
        async move {
            let list = alerts(&url).await;
            let silenced = |inst: &str, name: &str| {
                list.iter().any(|a| {
                    a["labels"]["instance"] == inst
                        && a["labels"]["alertname"] == name
                        && a["status"]["silencedBy"]
                            .as_array()
                            .is_some_and(|s| s.contains(&id.clone().into()))
                })
            };
            silenced("web-1:9100", "HostHighCpuLoad")
                && silenced("web-1:9100", "HostOutOfMemory")
                && silenced("web-1:9100", "HostOutOfDiskSpace")
                && list.iter().any(|a| a["labels"]["instance"] == "web-2:9100")
                && !silenced("web-2:9100", "HostHighCpuLoad")
        }
    })
    .await;
    let matchers = live[0]["matchers"].as_array().unwrap();
    let clock = gone.get("alertname").unwrap();
    assert!(!matchers.iter().any(|m| m["value"].as_str().unwrap().contains(clock)), "{matchers:?}");
}
