//! The miner's guards against a value no mask knows in a line's first word.

use super::*;

/// A made-up name of letters only (no digit, no hex run): masks cannot
/// tell it from a word.
fn name(i: usize) -> String {
    let mut s = String::from("op");
    let mut k = i;
    for _ in 0..4 {
        s.push(char::from(b'g' + (k % 20) as u8));
        k /= 20;
    }
    s
}

/// Each line's final template, as `eval loghub` reads them.
fn final_ids(m: &mut Miner, lines: &[String]) -> Vec<TemplateId> {
    let clusters: Vec<TemplateId> = lines.iter().map(|l| m.add_detailed(l).0).collect();
    clusters.iter().zip(lines).filter_map(|(c, l)| m.regroup(*c, l).map(|r| r.0)).collect()
}

#[test]
fn a_name_in_the_first_word_does_not_make_a_template_per_line() {
    let mut m = Miner::new(MinerConfig::default());
    let lines: Vec<String> =
        (0..300).map(|i| format!("{} logged in from the console", name(i))).collect();
    let ids = final_ids(&mut m, &lines);
    assert_eq!(ids.len(), lines.len());
    assert!(ids.iter().all(|&id| id == ids[0]), "one event, one template");
    assert_eq!(m.len(), 1);
    // A stream of new names grows no table.
    assert_eq!(m.buckets.len(), 1);
    assert_eq!(m.by_rest.len(), 1);
}

#[test]
fn a_few_event_names_in_the_first_word_stay_apart() {
    let mut m = Miner::new(MinerConfig::default());
    let names = ["boot", "wait", "halt", "clusterAddMember", "risBoot", "bootGenvmunix"];
    let lines: Vec<String> =
        (0..120).map(|i| format!("{} (command {})", names[i % names.len()], 100 + i)).collect();
    let ids = final_ids(&mut m, &lines);
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), names.len(), "one template per command name");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(*id, ids[i % names.len()], "line {i}");
    }
}

#[test]
fn two_word_lines_keep_their_first_word() {
    // `Starting server` / `Stopping server`: too short to tell a name from
    // an event, so no line joins another by the rest of it.
    let mut m = Miner::new(MinerConfig::default());
    let a = m.add("Starting server");
    let b = m.add("Stopping server");
    assert_ne!(a, b);
    assert_eq!(m.len(), 2, "two templates, not one with choices");
}

/// Lines of a key=value logger (made up, in the style of logfmt): one
/// template per message, whatever the values, and the message in its text.
/// Every line shares its keys with the others, so key tokens alone would
/// make them look alike.
#[test]
fn a_key_value_logger_gets_a_template_per_message() {
    let messages = [
        "msg=\"write failed\"",
        "msg=\"read failed\"",
        "msg=\"cache miss\"",
        "msg=\"lease lost\"",
        "msg=\"peer joined\"",
        "msg=\"peer left\"",
        "msg=started",
        "msg=\"retry 3 of 5\" err=\"dial tcp 10.0.0.3:443: i/o timeout\"",
    ];
    let mut lines = Vec::new();
    for i in 0..40 {
        for msg in messages {
            lines.push(format!(
                "ts=2026-12-04T15:{:02}:{:02}Z level=info component=api {msg} request_id={:x}",
                i % 60,
                (i * 7) % 60,
                0x5eed_0000 + i * 977
            ));
        }
    }
    let mut m = Miner::new(MinerConfig::default());
    let ids = final_ids(&mut m, &lines);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(*id, ids[i % messages.len()], "line {i}: {}", lines[i]);
    }
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), messages.len(), "one template per message");
    // The template texts, as the patterns pane shows them.
    let mut text = |line: &str| {
        let c = m.add_detailed(line).0;
        m.regroup(c, line).map(|r| r.1).unwrap_or_default()
    };
    assert_eq!(
        text(&lines[0]),
        "ts=<*> level=<*> component=<*> msg=\"write failed\" request_id=<*>"
    );
    assert_eq!(
        text(&lines[7]),
        "ts=<*> level=<*> component=<*> msg=\"retry <*> of <*> err=\"dial tcp <*> i/o timeout\" request_id=<*>"
    );
}
