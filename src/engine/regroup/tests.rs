use super::*;
use crate::engine::testutil::*;
use crate::engine::{Engine, EngineConfig};

fn engine() -> Engine {
    Engine::new(EngineConfig::default(), shop())
}

fn ids(incs: &[Arc<Incident>]) -> Vec<&str> {
    incs.iter().map(|i| i.id.0.as_str()).collect()
}

fn with_service<'a>(incs: &'a [Arc<Incident>], svc: &str) -> &'a Arc<Incident> {
    incs.iter().find(|i| i.services.iter().any(|s| s == svc)).expect(svc)
}

#[test]
fn a_merge_folds_one_incident_into_another_and_keeps_folding_new_alerts() {
    let mut s = store();
    let mut e = engine();
    let pay = alert("HighLatency", "payments", "warning", at(100));
    let wh = alert("DiskFull", "warehouse", "critical", at(101));
    poll(&mut s, at(101), vec![pay.clone(), wh.clone()]);
    let incs = e.update(&s, at(101));
    assert_eq!(incs.len(), 2, "unrelated services: two incidents");
    let into = with_service(&incs, "payments").id.clone();
    let from = with_service(&incs, "warehouse").id.clone();
    let said = e
        .regroup(&Regroup::Merge { into: into.clone(), from: vec![from.clone()] }, "ana", at(102))
        .unwrap();
    assert_eq!(said, format!("merged {from} into {into}"));
    let incs = e.update(&s, at(102));
    assert_eq!(ids(&incs), [into.0.as_str()]);
    let m = &incs[0];
    assert_eq!(m.alerts.len(), 2);
    assert_eq!(m.severity, crate::model::Severity::Critical, "the worse severity");
    assert!(m.services.contains(&"warehouse".to_string()));
    assert!(m.timeline.iter().any(|t| t.text == format!("{from} merged in by the operator")));
    assert!(
        m.timeline.iter().any(|t| t.kind == crate::model::TimelineKind::Regrouped),
        "the operator's merge is typed as a regroup"
    );
    assert!(m.title.contains("DiskFull"), "re-titled from the worst alert: {}", m.title);
    assert!(!m.root_causes.is_empty(), "causes ranked for the merged incident");

    // A later alert that the correlator puts into the absorbed incident
    // shows in the merged one.
    let wh2 = alert("HighLatency", "warehouse", "warning", at(103));
    poll(&mut s, at(103), vec![pay, wh, wh2]);
    let incs = e.update(&s, at(103));
    assert_eq!(incs.len(), 1, "{:?}", ids(&incs));
    assert_eq!(incs[0].alerts.len(), 3);
}

#[test]
fn a_split_moves_alerts_into_a_new_incident_that_stays_split_when_they_fire_again() {
    let mut s = store();
    let mut e = engine();
    let pg = alert("HighLatency", "postgres", "warning", at(100));
    let pay = alert("HighLatency", "payments", "warning", at(102));
    let co = alert("HighErrorRate", "checkout", "critical", at(104));
    poll(&mut s, at(105), vec![pg.clone(), pay.clone(), co.clone()]);
    let incs = e.update(&s, at(105));
    assert_eq!(incs.len(), 1, "one cascade");
    let whole = incs[0].id.clone();
    let cmd = Regroup::Split { from: whole.clone(), alerts: vec![co.fingerprint.clone()] };
    let said = e.regroup(&cmd, "ana", at(106)).unwrap();
    assert!(said.starts_with(&format!("split 1 alert(s) out of {whole} into I-")), "{said}");
    let incs = e.update(&s, at(106));
    assert_eq!(incs.len(), 2);
    assert_eq!(incs[0].id, whole, "the original keeps its id and place");
    assert_eq!(incs[0].alerts.len(), 2);
    assert!(!incs[0].services.contains(&"checkout".to_string()));
    assert!(incs[0].timeline.iter().all(|t| !t.text.starts_with("HighErrorRate")));
    let part = &incs[1];
    assert_eq!(part.alerts, std::slice::from_ref(&co.fingerprint));
    assert_eq!(part.services, ["checkout"]);
    assert_eq!(part.severity, crate::model::Severity::Critical);
    assert_eq!(incs[0].severity, crate::model::Severity::Warning, "severity recomputed");
    assert!(
        part.timeline.iter().any(|t| t.text == format!("split out of {whole} by the operator"))
    );
    assert!(part.timeline.iter().any(|t| t.kind == crate::model::TimelineKind::Regrouped));
    assert!(!part.root_causes.is_empty());

    // It resolves and fires again: still on its own.
    let mut resolved = co.clone();
    resolved.state = crate::model::AlertState::Resolved;
    poll(&mut s, at(110), vec![pg.clone(), pay.clone(), resolved]);
    e.update(&s, at(110));
    let again = alert("HighErrorRate", "checkout", "critical", at(112));
    poll(&mut s, at(112), vec![pg, pay, again]);
    let incs = e.update(&s, at(112));
    let holding: Vec<&Arc<Incident>> =
        incs.iter().filter(|i| i.alerts.contains(&co.fingerprint)).collect();
    assert_eq!(holding.len(), 1);
    assert_eq!(holding[0].id, part.id);
    assert_eq!(holding[0].state, IncidentState::Open);
}

#[test]
fn impossible_decisions_are_refused_with_a_reason_and_change_nothing() {
    let mut s = store();
    let mut e = engine();
    let pay = alert("HighLatency", "payments", "warning", at(100));
    poll(&mut s, at(100), vec![pay.clone()]);
    let incs = e.update(&s, at(100));
    let only = incs[0].id.clone();
    let nope = IncidentId("I-nope".into());
    let cases = [
        (
            Regroup::Merge { into: only.clone(), from: vec![only.clone()] },
            "nothing to merge",
            RegroupError::NothingToMerge,
        ),
        (
            Regroup::Merge { into: nope.clone(), from: vec![only.clone()] },
            "no incident I-nope",
            RegroupError::NoMergeTarget(nope.clone()),
        ),
        (
            Regroup::Merge { into: only.clone(), from: vec![nope.clone()] },
            "no incident I-nope",
            RegroupError::NoMergeSource(nope.clone()),
        ),
        (
            Regroup::Split { from: only.clone(), alerts: vec![] },
            "nothing to split",
            RegroupError::NothingToSplit,
        ),
        (
            Regroup::Split { from: only.clone(), alerts: vec![pay.fingerprint.clone()] },
            "left without alerts",
            RegroupError::WouldEmpty(only.clone()),
        ),
        (
            Regroup::Split { from: only.clone(), alerts: vec![Fingerprint::from("zz")] },
            "is not in",
            RegroupError::AlertNotIn { alert: Fingerprint::from("zz"), incident: only.clone() },
        ),
    ];
    for (cmd, why, kind) in cases {
        let err = e.regroup(&cmd, "ana", at(101)).unwrap_err();
        assert!(err.to_string().contains(why), "{cmd:?}: {err}");
        assert_eq!(err, kind, "{cmd:?}");
    }
    assert!(e.regroup_decisions().is_empty());
    assert_eq!(ids(&e.update(&s, at(101))), [only.0.as_str()]);
}

#[test]
fn merging_into_a_merge_target_follows_the_chain_and_decisions_round_trip() {
    let mut s = store();
    let mut e = engine();
    let a = alert("A", "payments", "warning", at(100));
    let b = alert("B", "warehouse", "warning", at(100));
    let c = alert("C", "redis", "warning", at(100));
    poll(&mut s, at(100), vec![a, b, c]);
    let incs = e.update(&s, at(100));
    assert_eq!(incs.len(), 3);
    let (ia, ib, ic) = (
        with_service(&incs, "payments").id.clone(),
        with_service(&incs, "warehouse").id.clone(),
        with_service(&incs, "redis").id.clone(),
    );
    e.regroup(&Regroup::Merge { into: ib.clone(), from: vec![ia.clone()] }, "ana", at(101))
        .unwrap();
    e.update(&s, at(101));
    e.regroup(&Regroup::Merge { into: ic.clone(), from: vec![ib.clone()] }, "bo", at(102)).unwrap();
    let incs = e.update(&s, at(102));
    assert_eq!(ids(&incs), [ic.0.as_str()]);
    assert_eq!(incs[0].alerts.len(), 3);

    // Saved and restored into a fresh engine, the grouping is the same.
    let text = serde_json::to_string(e.regroup_decisions()).unwrap();
    let mut fresh = engine();
    fresh.restore_regroup(serde_json::from_str(&text).unwrap());
    let again = fresh.update(&s, at(103));
    assert_eq!(ids(&again), [ic.0.as_str()]);
    assert_eq!(e.regroup_decisions().merged[&ia].by, "ana");
    assert_eq!(e.regroup_decisions().merged[&ia].to, ic, "re-pointed at the final target");
}

#[test]
fn old_decisions_are_forgotten() {
    let mut d = Decisions::default();
    let keep =
        Decision { to: IncidentId("I-b".into()), by: "x".into(), at: 10 * KEEP_MS, why: None };
    let old = Decision { at: 0, ..keep.clone() };
    d.merged.insert(IncidentId("I-a".into()), keep);
    d.split.insert(Fingerprint::from("f"), old);
    d.prune(10 * KEEP_MS + 1);
    assert_eq!(d.merged.len(), 1);
    assert!(d.split.is_empty());
}

#[test]
fn a_split_merged_back_or_elsewhere_never_duplicates_an_incident() {
    let mut s = store();
    let mut e = engine();
    let pg = alert("HighLatency", "postgres", "warning", at(100));
    let pay = alert("HighLatency", "payments", "warning", at(102));
    let co = alert("HighErrorRate", "checkout", "critical", at(104));
    let wh = alert("DiskFull", "warehouse", "warning", at(104));
    poll(&mut s, at(105), vec![pg, pay, co.clone(), wh]);
    let incs = e.update(&s, at(105));
    assert_eq!(incs.len(), 2);
    let cascade = with_service(&incs, "postgres").id.clone();
    let other = with_service(&incs, "warehouse").id.clone();
    let cmd = Regroup::Split { from: cascade.clone(), alerts: vec![co.fingerprint.clone()] };
    e.regroup(&cmd, "ana", at(106)).unwrap();
    let incs = e.update(&s, at(106));
    assert_eq!(incs.len(), 3);
    let part = with_service(&incs, "checkout").id.clone();

    // Merged elsewhere: the checkout alert joins the warehouse incident.
    let cmd = Regroup::Merge { into: other.clone(), from: vec![part.clone()] };
    e.regroup(&cmd, "ana", at(107)).unwrap();
    let incs = e.update(&s, at(107));
    let mut seen: Vec<&str> = ids(&incs);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), incs.len(), "ids are unique: {:?}", ids(&incs));
    assert_eq!(incs.len(), 2);
    let o = incs.iter().find(|i| i.id == other).unwrap();
    assert!(o.alerts.contains(&co.fingerprint));
    assert_eq!(o.alerts.len(), 2);

    // Merged back into where it came from: one incident with all three.
    let cmd = Regroup::Merge { into: cascade.clone(), from: vec![other.clone()] };
    e.regroup(&cmd, "ana", at(108)).unwrap();
    let incs = e.update(&s, at(108));
    assert_eq!(ids(&incs), [cascade.0.as_str()]);
    assert_eq!(incs[0].alerts.len(), 4);
}
