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
