use super::*;
use crate::engine::testutil::*;
use crate::model::{Confidence, SeriesKey, Severity};

fn ev(service: &str, signal: Signal, ts: UnixMs, score: f64) -> AnomalyEvent {
    AnomalyEvent {
        series: SeriesKey(format!("{service}:{signal:?}").into()),
        service: Some(service.into()),
        signal,
        ts,
        value: 1.5,
        score,
        kind: "shift".into(),
        instance: None,
    }
}

#[test]
fn two_strong_anomalies_on_a_quiet_service_open_a_suspected_incident() {
    let s = store();
    let mut sus = Suspects::default();
    let one = [ev("payments", Signal::LatencyP99, at(10), 0.9)];
    assert!(
        sus.update(one.iter(), &watch::Watch::default(), &[], &s, &shop(), at(10)).is_empty(),
        "one blip is not enough"
    );
    let two = [ev("payments", Signal::ErrorRatio, at(12), 0.85)];
    let shown = sus.update(two.iter(), &watch::Watch::default(), &[], &s, &shop(), at(12));
    assert_eq!(shown.len(), 1);
    let inc = &shown[0];
    assert!(inc.id.is_suspected(), "{}", inc.id);
    assert_eq!(inc.title, "suspected: error ratio + p99 latency anomaly on payments, no alert yet");
    assert_eq!(inc.severity, Severity::Info);
    assert!(inc.alerts.is_empty());
    assert_eq!(inc.root_causes[0].confidence, Confidence::Low);
    assert!(inc.root_causes[0].evidence.iter().any(|e| e.text.contains("score 0.90")));
    assert!(inc.root_causes[0].evidence.iter().any(|e| e.text.contains("no alert has fired")));
    assert_eq!(inc.timeline.len(), 2);
    // The same id on the next pass (no new anomaly).
    let again = sus.update([].iter(), &watch::Watch::default(), &[], &s, &shop(), at(13));
    assert_eq!(again[0].id, inc.id);
}

#[test]
fn weak_far_apart_or_non_key_anomalies_do_not() {
    let s = store();
    let mut sus = Suspects::default();
    let evs = [
        ev("cart", Signal::LatencyP99, at(10), 0.6),
        ev("cart", Signal::LatencyP99, at(11), 0.7),
        ev("redis", Signal::Cpu, at(10), 0.99),
        ev("redis", Signal::Memory, at(11), 0.99),
        ev("web", Signal::ErrorRatio, at(10), 0.9),
        ev("web", Signal::ErrorRatio, at(10) + WINDOW_MS + 1, 0.9),
    ];
    assert!(sus.update(evs.iter(), &watch::Watch::default(), &[], &s, &shop(), at(40)).is_empty());
}

/// What clean data produces: single-series blips, now and then next
/// to each other. They open nothing, and an old one does not head (or
/// date) a real problem next door, however long the pass.
#[test]
fn lone_blips_next_door_are_not_a_suspicion_nor_its_start() {
    let s = store();
    let mut sus = Suspects::default();
    let blips = [near("redis", at(10)), near("cart", at(18))];
    assert!(
        sus.update(blips.iter(), &watch::Watch::default(), &[], &s, &shop(), at(18)).is_empty()
    );
    // One pass over a long history: redis blipped 30 steps before cart
    // turned anomalous on two series.
    let mut sus = Suspects::default();
    let history = [
        near("redis", at(0)),
        near("cart", at(28)),
        near("cart", at(30)),
        ev("cart", Signal::ErrorRatio, at(30), 0.99),
    ];
    let shown = sus.update(history.iter(), &watch::Watch::default(), &[], &s, &shop(), at(30));
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].services, ["cart"]);
    assert_eq!(shown[0].started_at, at(28));
}

#[test]
fn an_alert_or_an_incident_on_the_service_takes_over_and_quiet_ones_go() {
    let mut s = store();
    let mut sus = Suspects::default();
    let evs = [
        ev("payments", Signal::LatencyP99, at(10), 0.9),
        ev("payments", Signal::LatencyP99, at(11), 0.9),
        ev("cart", Signal::LatencyP99, at(10), 0.9),
        ev("cart", Signal::ErrorRatio, at(11), 0.9),
    ];
    assert_eq!(sus.update(evs.iter(), &watch::Watch::default(), &[], &s, &shop(), at(11)).len(), 2);
    poll(&mut s, at(12), vec![alert("HighLatency", "payments", "warning", at(12))]);
    let shown = sus.update([].iter(), &watch::Watch::default(), &[], &s, &shop(), at(12));
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].services, ["cart"]);
    // Quiet for a while: shown as quiet, then gone.
    let later = at(11) + WINDOW_MS + 1;
    assert_eq!(
        sus.update([].iter(), &watch::Watch::default(), &[], &s, &shop(), later)[0].state,
        IncidentState::Quiet
    );
    assert!(
        sus.update([].iter(), &watch::Watch::default(), &[], &s, &shop(), at(11) + QUIET_MS + 1)
            .is_empty()
    );
}

/// CPU saturation corroborates a slow service; it never opens a
/// suspicion by itself, however often it repeats.
#[test]
fn cpu_corroborates_latency_but_is_no_incident_alone() {
    let s = store();
    let mut sus = Suspects::default();
    let busy = [
        ev("redis", Signal::Cpu, at(10), 0.99),
        ev("redis", Signal::Cpu, at(11), 0.99),
        ev("redis", Signal::Cpu, at(12), 0.99),
    ];
    assert!(sus.update(busy.iter(), &watch::Watch::default(), &[], &s, &shop(), at(12)).is_empty());
    let mut sus = Suspects::default();
    let slow = [
        ev("payments", Signal::Cpu, at(10), 0.99),
        ev("payments", Signal::LatencyP99, at(12), 0.9),
    ];
    let shown = sus.update(slow.iter(), &watch::Watch::default(), &[], &s, &shop(), at(12));
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].services, ["payments"]);
    assert_eq!(shown[0].started_at, at(10), "dated by the CPU anomaly that came first");
    assert_eq!(shown[0].title, "suspected: CPU + p99 latency anomaly on payments, no alert yet");
}

/// A strong p99 anomaly.
fn near(service: &str, ts: UnixMs) -> AnomalyEvent {
    ev(service, Signal::LatencyP99, ts, 0.95)
}

#[test]
fn neighbours_in_the_call_graph_are_one_suspicion_led_by_the_first() {
    let s = store();
    let mut sus = Suspects::default();
    // postgres first (twice), then its caller payments; warehouse is elsewhere.
    let evs = [
        near("postgres", at(10)),
        near("postgres", at(11)),
        near("payments", at(11)),
        near("warehouse", at(12)),
    ];
    let shown = sus.update(evs.iter(), &watch::Watch::default(), &[], &s, &shop(), at(12));
    assert_eq!(shown.len(), 1, "warehouse alone is one blip: {shown:?}");
    let g = &shown[0];
    assert_eq!(g.services, ["postgres", "payments"]);
    assert_eq!(g.root_causes[0].service, "postgres");
    assert!(g.root_causes[0].score > g.root_causes[1].score);
    assert!(g.title.ends_with("on postgres, payments, no alert yet"), "{}", g.title);
}

#[test]
fn an_alert_next_door_takes_the_suspicion_over() {
    let mut s = store();
    let mut sus = Suspects::default();
    let evs = [near("redis", at(10)), near("redis", at(11))];
    assert_eq!(sus.update(evs.iter(), &watch::Watch::default(), &[], &s, &shop(), at(11)).len(), 1);
    // cart calls redis and now alerts.
    poll(&mut s, at(12), vec![alert("HighErrorRate", "cart", "critical", at(12))]);
    assert!(sus.update([].iter(), &watch::Watch::default(), &[], &s, &shop(), at(12)).is_empty());
}

fn sign(service: &str, instrument: watch::Instrument, ts: UnixMs) -> Sign {
    Sign {
        service: service.into(),
        ts,
        until: ts,
        instrument,
        strength: 9.0,
        score: 0.7,
        text: format!("{service} {instrument:?}"),
        again: false,
    }
}

/// Two instruments agreeing on one service open a suspicion; one
/// instrument twice, or two instruments on two services, do not.
#[test]
fn two_instruments_on_one_service_corroborate_one_does_not() {
    use watch::Instrument::{LogErrors, Metrics, Spans};
    let s = store();
    let mut sus = Suspects::default();
    let same = [sign("cart", LogErrors, at(10)), sign("cart", LogErrors, at(11))];
    assert!(
        sus.update([].iter(), &watch::Watch::holding(same.to_vec()), &[], &s, &shop(), at(11))
            .is_empty()
    );
    let mut sus = Suspects::default();
    let apart = [sign("cart", LogErrors, at(10)), sign("redis", Spans, at(10))];
    assert!(
        sus.update([].iter(), &watch::Watch::holding(apart.to_vec()), &[], &s, &shop(), at(10))
            .is_empty()
    );
    let mut sus = Suspects::default();
    let late = [sign("cart", LogErrors, at(10)), sign("cart", Spans, at(10) + WINDOW_MS + 1)];
    assert!(
        sus.update([].iter(), &watch::Watch::holding(late.to_vec()), &[], &s, &shop(), late[1].ts)
            .is_empty()
    );
    // A detector's anomaly is the metrics instrument: with spans, it counts.
    let mut sus = Suspects::default();
    let cpu = [ev("payments", Signal::Cpu, at(10), 0.9)];
    let spans = [sign("payments", Spans, at(11))];
    assert!(sus.update(cpu.iter(), &watch::Watch::default(), &[], &s, &shop(), at(10)).is_empty());
    let shown =
        sus.update([].iter(), &watch::Watch::holding(spans.to_vec()), &[], &s, &shop(), at(11));
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].services, ["payments"]);
    assert_eq!(shown[0].started_at, at(10));
    assert_eq!(shown[0].title, "suspected: CPU + spans anomaly on payments, no alert yet");
    let ev0 = &shown[0].root_causes[0].evidence;
    assert!(ev0.iter().any(|e| e.text == "payments Spans"), "{ev0:?}");
    assert!(!ev0.iter().any(|e| e.text.contains("from metrics only")), "{ev0:?}");
    // The window's metrics are the same instrument as the detectors'.
    let mut sus = Suspects::default();
    let metrics = [sign("payments", Metrics, at(11))];
    assert!(
        sus.update(cpu.iter(), &watch::Watch::holding(metrics.to_vec()), &[], &s, &shop(), at(11))
            .is_empty()
    );
}

/// One instrument's sign seen again in a window apart from the first, or
/// on the data since the first alone (two independent looks),
/// corroborates; seen again in an overlapping window, or as a window's
/// metrics, it does not.
#[test]
fn a_sign_seen_again_in_a_window_apart_corroborates() {
    use watch::Instrument::{LogStopped, Metrics, Spans};
    let s = store();
    let t0 = at(10);
    let opens = |signs: Vec<Sign>| {
        let now = signs.iter().map(|x| x.ts).max().unwrap_or(t0);
        let mut sus = Suspects::default();
        sus.update([].iter(), &watch::Watch::holding(signs), &[], &s, &shop(), now)
    };
    let apart = opens(vec![sign("cart", Spans, t0), sign("cart", Spans, t0 + watch::WINDOW_MS)]);
    assert_eq!(apart.len(), 1);
    assert_eq!(apart[0].services, ["cart"]);
    assert_eq!(apart[0].started_at, t0);
    let overlapping = vec![
        sign("cart", Spans, t0),
        sign("cart", Spans, t0 + watch::EVERY_MS),
        sign("cart", Spans, t0 + watch::WINDOW_MS - 1),
    ];
    assert!(opens(overlapping).is_empty());
    // Overlapping, but held on the data the first look never read.
    let fresh = Sign { again: true, ..sign("cart", Spans, t0 + watch::EVERY_MS) };
    let again = opens(vec![sign("cart", Spans, t0), fresh]);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].started_at, t0);
    let stale = vec![sign("cart", LogStopped, t0), sign("cart", LogStopped, t0 + WINDOW_MS + 1)];
    assert!(opens(stale).is_empty());
    let metrics = vec![sign("cart", Metrics, t0), sign("cart", Metrics, t0 + watch::WINDOW_MS)];
    assert!(opens(metrics).is_empty());
    let elsewhere = vec![sign("cart", Spans, t0), sign("redis", Spans, t0 + watch::WINDOW_MS)];
    assert!(opens(elsewhere).is_empty());
    // Its neighbours' signs in between, more than the evidence keeps, do
    // not push its first look out.
    let mut busy = vec![sign("cart", Spans, t0)];
    for k in 0..12 {
        let svc = if k % 2 == 0 { "frontend" } else { "redis" };
        busy.push(sign(svc, Metrics, t0 + 1 + k * 10_000));
    }
    busy.push(sign("cart", Spans, t0 + watch::WINDOW_MS));
    let shown = opens(busy);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].root_causes[0].service, "cart");
}

/// A look taken in by a suspicion that then expired still pairs with the
/// next one: which suspicion held it is bookkeeping.
/// A spans sign on cart at each of `offsets` (ms after `at(10)`), one pass
/// each: what each pass showed.
fn cart_spans_at(offsets: &[i64]) -> Vec<Vec<Arc<Incident>>> {
    let s = store();
    let mut sus = Suspects::default();
    offsets
        .iter()
        .map(|k| {
            let t = at(10) + k;
            let w = watch::Watch::holding(vec![sign("cart", watch::Instrument::Spans, t)]);
            sus.update([].iter(), &w, &[], &s, &shop(), t)
        })
        .collect()
}

#[test]
fn a_look_outlives_the_suspicion_that_held_it() {
    let m = 60_000;
    // At 0 and 5 minutes (too far apart to pair); the first suspicion
    // expires; again at 6 and 8: 8 pairs with 5, 3 minutes before it.
    let minutes = [0, 5, 6, 8];
    let passes = cart_spans_at(&minutes.map(|k| k * m));
    for (k, shown) in minutes.iter().zip(&passes) {
        assert_eq!(shown.is_empty(), *k < 8, "minute {k}: {shown:?}");
    }
    assert_eq!(passes[3][0].started_at, at(10) + 6 * m);
}

/// A suspicion once corroborated stays shown while clues keep coming,
/// though the looks that corroborated it have aged out.
#[test]
fn a_corroborated_suspicion_outlives_its_first_looks() {
    let m = 60_000;
    let steps = [(0, false), (3 * m, true), (5 * m + m / 2, true)];
    let passes = cart_spans_at(&steps.map(|(k, _)| k));
    for ((k, shown), open) in steps.iter().zip(&passes) {
        assert_eq!(!open.is_empty(), *shown, "at {k} ms: {open:?}");
    }
}

/// A service corroborated on its own leads its group, even when a
/// neighbour's lone sign came first.
#[test]
fn the_corroborated_service_leads_its_group() {
    use watch::Instrument::{LogErrors, LogStopped};
    let s = store();
    let mut sus = Suspects::default();
    let signs = [
        sign("checkout", LogErrors, at(10)),
        sign("payments", LogErrors, at(11)),
        sign("payments", LogStopped, at(11)),
    ];
    let shown =
        sus.update([].iter(), &watch::Watch::holding(signs.to_vec()), &[], &s, &shop(), at(11));
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].root_causes[0].service, "payments");
    assert_eq!(shown[0].root_causes[1].service, "checkout");
    // Dated by the corroborated service's first sign: the blip next door
    // is evidence (see `a_blip_next_door_does_not_date_the_trouble_it_joins`).
    assert_eq!(shown[0].started_at, at(11));
}

/// A suspicion whose ranked cause is a service that alerts is that
/// problem's symptom further out: the incident made of alerts takes over,
/// even when no suspected service is next to it.
#[test]
fn a_suspicion_ranked_to_an_alerting_service_is_taken_over() {
    use crate::model::{Confidence, RootCause};
    use watch::Instrument::{LogErrors, LogStopped};
    let signs = [sign("payments", LogErrors, at(10)), sign("payments", LogStopped, at(11))];
    let watch = watch::Watch::holding(signs.to_vec());
    let cause = |service: &str| RootCause {
        service: service.into(),
        score: 0.2,
        confidence: Confidence::Low,
        evidence: vec![],
    };
    for (ranked_first, kept) in [("payments", true), ("redis", false)] {
        let mut s = store();
        let mut sus = Suspects::default();
        assert_eq!(sus.update([].iter(), &watch, &[], &s, &shop(), at(11)).len(), 1);
        sus.open[0].ranked = Some((at(11), vec![cause(ranked_first)]));
        // redis alerts; it is not next to payments.
        poll(&mut s, at(12), vec![alert("HighErrorRate", "redis", "critical", at(12))]);
        let shown = sus.update([].iter(), &watch, &[], &s, &shop(), at(12));
        assert_eq!(shown.len(), usize::from(kept), "ranked first {ranked_first}: {shown:?}");
    }
}

/// A fault spreads to a suspicion's neighbours in its first minutes; a
/// neighbour of a neighbour turning bad later is trouble of its own, or
/// a busy call graph would chain every fault of the hour into one.
#[test]
fn a_neighbours_neighbour_in_trouble_later_is_a_suspicion_of_its_own() {
    use watch::Instrument::{LogErrors, Spans};
    let s = store();
    let mut sus = Suspects::default();
    let t0 = at(10);
    let signs = vec![
        sign("postgres", LogErrors, t0),
        sign("postgres", Spans, t0),
        // payments calls postgres: one minute later it is the same trouble.
        sign("payments", Spans, at(14)),
        sign("payments", Spans, at(26)),
        // checkout calls payments; it turns bad 6.5 minutes in.
        sign("checkout", LogErrors, at(36)),
        sign("checkout", Spans, at(36)),
    ];
    let shown = sus.update([].iter(), &watch::Watch::holding(signs), &[], &s, &shop(), at(36));
    let services: Vec<&[String]> = shown.iter().map(|i| i.services.as_slice()).collect();
    assert_eq!(services.len(), 2, "{services:?}");
    assert!(services.contains(&&["postgres".to_string(), "payments".to_string()][..]));
    assert!(services.contains(&&["checkout".to_string()][..]));
    let checkout = shown.iter().find(|i| i.services == ["checkout"]).unwrap();
    assert_eq!(checkout.started_at, at(36));
}

/// A lone blip next door that a suspicion took in before it was
/// corroborated is evidence, not the start of the trouble: the suspicion
/// starts at the first clue of the service that corroborated it.
#[test]
fn a_blip_next_door_does_not_date_the_trouble_it_joins() {
    use watch::Instrument::{LogErrors, Spans};
    let s = store();
    let mut sus = Suspects::default();
    let signs = vec![
        sign("payments", LogErrors, at(10)),
        sign("postgres", LogErrors, at(14)),
        sign("postgres", Spans, at(14)),
    ];
    let shown = sus.update([].iter(), &watch::Watch::holding(signs), &[], &s, &shop(), at(14));
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].services, ["payments", "postgres"]);
    assert_eq!(shown[0].started_at, at(14));
    assert_eq!(shown[0].root_causes[0].service, "postgres");
    // It stays dated so as its clues age out and new ones come.
    let later = vec![sign("postgres", Spans, at(30))];
    let shown = sus.update([].iter(), &watch::Watch::holding(later), &[], &s, &shop(), at(30));
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].started_at, at(14));
}

/// A service whose own trouble went quiet for [`REARM_MS`] starts a new
/// suspicion when it is in trouble again, though a neighbour's clues kept
/// its old one going: that is its next fault, not the old one still
/// showing.
#[test]
fn a_service_quiet_for_a_while_in_trouble_again_is_a_new_suspicion() {
    use watch::Instrument::{LogErrors, Metrics, Spans};
    let s = store();
    let mut sus = Suspects::default();
    let m = 60_000;
    let t0 = at(10);
    let passes: [(UnixMs, Vec<Sign>); 4] = [
        (t0, vec![sign("cart", LogErrors, t0), sign("cart", Spans, t0)]),
        (t0 + 3 * m, vec![sign("redis", Metrics, t0 + 3 * m)]),
        (t0 + 6 * m, vec![sign("redis", Metrics, t0 + 6 * m)]),
        (t0 + 8 * m, vec![sign("cart", LogErrors, t0 + 8 * m), sign("cart", Spans, t0 + 8 * m)]),
    ];
    let mut shown = Vec::new();
    for (now, signs) in passes {
        shown = sus.update([].iter(), &watch::Watch::holding(signs), &[], &s, &shop(), now);
    }
    assert!(t0 + 8 * m - (t0 + 6 * m) <= REARM_MS && 8 * m > REARM_MS);
    let mut starts: Vec<UnixMs> = shown.iter().map(|i| i.started_at).collect();
    starts.sort_unstable();
    assert_eq!(starts, [t0, t0 + 8 * m], "{shown:?}");
    let again = shown.iter().find(|i| i.started_at == t0 + 8 * m);
    assert_eq!(again.map(|i| i.services.clone()), Some(vec!["cart".to_string()]));
}
