//! The silence editor: `s` prefills the command line with matchers that
//! cover every active alert of the selection (one `;`-separated group per
//! silence the exact cover needs), the line is parsed back, previewed
//! (how many active alerts it would match) and submitted as one silence
//! per group. Pure; the writes are effects for the ack writer.

use super::ack::{ack_targets, writable};
use super::action::Effect;
use super::state::{Pane, State};
use crate::ack::AckCommand;
use crate::ack::plan::cover;
use crate::model::{Alert, Labels, SilenceMatcher, UnixMs, View};
use crate::sanitize::clean_line;

/// `s`: opens the command line with a `silence` command prefilled with
/// matchers for the selection (editable), the default duration and a comment.
pub fn open_silence_editor(state: &mut State) {
    if !writable(state, "silence") {
        return;
    }
    let single = state.focus == Pane::Alerts || state.drill.is_some();
    let Some(inc) = state.selected_incident() else {
        state.flash_error("silence: nothing selected");
        return;
    };
    let mut alerts = ack_targets(state, inc, single);
    let now = state.view.now;
    alerts.retain(|t| {
        state.view.alerts.get(&t.fingerprint).is_some_and(|a| reported_active(&a.alert, now))
    });
    let labels: Vec<&Labels> = alerts.iter().map(|t| &t.labels).collect();
    let sets = cover(&labels);
    if sets.is_empty() {
        state.flash_error("silence: no active alerts to base matchers on");
        return;
    }
    // Every group the selection needs, `;` between them: one silence each.
    let groups: Vec<String> = sets
        .iter()
        .map(|set| set.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
        .collect();
    let dur = crate::base::HumanDuration(std::time::Duration::from_millis(
        u64::try_from(state.caps.silence_ms).unwrap_or(3_600_000),
    ));
    state.mode = super::state::Mode::Command;
    state.completion = None;
    state.command = format!("silence {} for={dur} -- ", groups.join(GROUP_SEP));
    // The cursor at the end, for the comment; Home or ctrl-a reaches the matchers.
    state.input_cursor = usize::MAX;
    if sets.len() > 1 {
        state.flash_info(format!(
            "{} alert(s) need {} silences, one per `;` group",
            alerts.len(),
            sets.len()
        ));
    }
}

/// Between matcher groups on the editor's line.
const GROUP_SEP: &str = " ; ";

/// A parsed `:silence MATCHER... [; MATCHER...] [for=DURATION] [-- COMMENT]`
/// line: one silence per `;`-separated group of matchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceSpec {
    pub groups: Vec<Vec<SilenceMatcher>>,
    pub duration_ms: i64,
    pub comment: String,
}

/// Parses the silence editor's line. Matchers are `name OP "value"` with
/// OP one of `=`, `!=`, `=~`, `!~` and the value quoted (`\"`, `\\`, `\n`
/// escapes) or a bare word.
///
/// # Errors
/// What is wrong with the line, for the footer.
pub fn parse_silence(args: &str, default_ms: i64) -> Result<SilenceSpec, String> {
    let (head, comment) = match args.split_once(" -- ") {
        Some((h, c)) => (h, c.trim().to_string()),
        None => (args.trim_end_matches(" --").trim_end_matches("--"), String::new()),
    };
    let mut groups: Vec<Vec<SilenceMatcher>> = vec![Vec::new()];
    let mut duration_ms = default_ms;
    let mut rest = head.trim_start();
    while !rest.is_empty() {
        if let Some(d) = rest.strip_prefix("for=") {
            let end = d.find(char::is_whitespace).unwrap_or(d.len());
            duration_ms = crate::base::HumanDuration::parse(&d[..end])?.as_ms();
            rest = d[end..].trim_start();
            continue;
        }
        if let Some(after) = rest.strip_prefix(';') {
            groups.push(Vec::new());
            rest = after.trim_start();
            continue;
        }
        let (m, after) = parse_matcher(rest)?;
        if let Some(g) = groups.last_mut() {
            g.push(m);
        }
        rest = after.trim_start();
    }
    groups.retain(|g| !g.is_empty());
    if groups.is_empty() {
        return Err("a silence needs at least one matcher, e.g. alertname=\"X\"".into());
    }
    if groups
        .iter()
        .any(|g| g.iter().all(|m| m.value.is_empty() || (m.is_regex && m.value == ".*")))
    {
        return Err("refusing a silence that matches every alert".into());
    }
    if duration_ms < 60_000 {
        return Err("a silence lasts at least 1m".into());
    }
    Ok(SilenceSpec { groups, duration_ms, comment })
}

fn parse_matcher(s: &str) -> Result<(SilenceMatcher, &str), String> {
    let name_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .ok_or_else(|| format!("expected an operator after {s:?}"))?;
    let (name, rest) = s.split_at(name_end);
    if name.is_empty() {
        return Err(format!("expected a label name at {:?}", clean_line(s, 20)));
    }
    let (is_equal, is_regex, rest) = if let Some(r) = rest.strip_prefix("!~") {
        (false, true, r)
    } else if let Some(r) = rest.strip_prefix("=~") {
        (true, true, r)
    } else if let Some(r) = rest.strip_prefix("!=") {
        (false, false, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (true, false, r)
    } else {
        return Err(format!("expected =, !=, =~ or !~ after {name}"));
    };
    let (value, after) = if let Some(q) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = q.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, e)) => out.push(e),
                    None => return Err("unfinished escape".into()),
                },
                c => out.push(c),
            }
        }
        let end = end.ok_or_else(|| format!("unterminated quote in the value of {name}"))?;
        (out, &q[end..])
    } else {
        let end = rest.find(|c: char| c.is_whitespace() || c == ';').unwrap_or(rest.len());
        (rest[..end].to_string(), &rest[end..])
    };
    if is_regex && regex::Regex::new(&format!("^(?:{value})$")).is_err() {
        return Err(format!("invalid regex for {name}"));
    }
    Ok((SilenceMatcher { name: name.to_string(), value, is_regex, is_equal }, after))
}

/// Whether a source reports `a` active now: not resolved, not kept only
/// because its absence is unconfirmed (a replica down or restarting), not
/// over by its rule engine's word (an Alertmanager holding it until its
/// lease ends), and not past the end its source gave it. Only these count
/// and get silenced.
#[must_use]
pub fn reported_active(a: &Alert, now: UnixMs) -> bool {
    a.state.is_active()
        && !a.unconfirmed
        && a.rule_ended.is_none()
        && a.ends_at.is_none_or(|end| end > now)
}

/// How many alerts a source reports active that any of the groups selects.
#[must_use]
pub fn preview_count(view: &View, groups: &[Vec<SilenceMatcher>]) -> usize {
    let compiled: Vec<_> = groups.iter().map(|g| crate::model::CompiledMatchers::new(g)).collect();
    view.alerts
        .values()
        .filter(|a| reported_active(&a.alert, view.now))
        .filter(|a| compiled.iter().any(|c| c.matches(&a.alert.labels)))
        .count()
}

/// Runs a typed `:silence ...` line: one silence per group, each on the
/// cluster of the first alert it matches (or the first cluster).
pub fn submit_silence(state: &mut State, args: &str) -> Vec<Effect> {
    if !writable(state, "silence") {
        return Vec::new();
    }
    let spec = match parse_silence(args, state.caps.silence_ms) {
        Ok(s) => s,
        Err(e) => {
            state.flash_error(format!("silence: {e}"));
            return Vec::new();
        }
    };
    let comment = if spec.comment.is_empty() {
        format!("silenced from quell by {}", state.caps.ack_author)
    } else {
        spec.comment.clone()
    };
    let mut effects = Vec::new();
    for group in &spec.groups {
        let source = state
            .view
            .alerts
            .values()
            .filter(|a| reported_active(&a.alert, state.view.now))
            .find(|a| group.iter().all(|m| m.matches(&a.alert.labels)))
            .map(|a| a.alert.source.clone())
            .or_else(|| state.caps.ack_urls.keys().next().cloned());
        let Some(source) = source else {
            state.flash_error("silence: no Alertmanager to write to");
            return Vec::new();
        };
        effects.push(Effect::Ack(AckCommand::Create {
            source,
            matchers: group.clone(),
            duration_ms: spec.duration_ms,
            comment: comment.clone(),
        }));
    }
    state.flash_info(format!(
        "creating {} silence(s) ({} alert(s) match now)\u{2026}",
        effects.len(),
        preview_count(&state.view, &spec.groups)
    ));
    effects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_lines_parse_with_quotes_escapes_and_duration() {
        let s = parse_silence(
            r#"alertname="Down" instance=~"a\"b|c\\d" job!=x for=2h -- maintenance window"#,
            3_600_000,
        )
        .unwrap();
        let m = &s.groups[0];
        assert_eq!((s.groups.len(), m.len()), (1, 3));
        assert_eq!(m[1].value, "a\"b|c\\d");
        assert!(m[1].is_regex && m[1].is_equal);
        assert!(!m[2].is_equal && !m[2].is_regex);
        assert_eq!(s.duration_ms, 7_200_000);
        assert_eq!(s.comment, "maintenance window");
        // Round trip: what the editor prefills parses back to the same matcher.
        let m = SilenceMatcher::equal("instance", "x$(id)\"\n\\");
        let back = parse_silence(&m.to_string(), 60_000).unwrap();
        assert_eq!(back.groups, vec![vec![m]]);
    }

    #[test]
    fn silence_lines_refuse_what_alertmanager_would_or_should() {
        assert!(parse_silence("", 60_000).is_err());
        assert!(parse_silence("alertname=~\".*\"", 60_000).unwrap_err().contains("every alert"));
        assert!(parse_silence("a=\"x", 60_000).unwrap_err().contains("unterminated"));
        assert!(parse_silence("a=~\"(\"", 60_000).unwrap_err().contains("regex"));
        assert!(parse_silence("a=b for=10s", 60_000).unwrap_err().contains("1m"));
        assert!(parse_silence("a b", 60_000).is_err());
    }

    #[test]
    fn groups_split_on_semicolons_outside_quotes() {
        let s = parse_silence(r#"a="x;y" b=1 ; a=z;c=2 for=2h -- c"#, 60_000).unwrap();
        assert_eq!(s.groups.len(), 3);
        assert_eq!(s.groups[0][0].value, "x;y", "a quoted `;` is data");
        assert_eq!(s.groups[1][0].value, "z");
        assert_eq!(s.groups[2][0].name, "c");
        assert!(parse_silence("a=x ; b=~\".*\"", 60_000).unwrap_err().contains("every alert"));
        assert!(parse_silence(" ; ; ", 60_000).is_err());
    }

    #[test]
    fn s_on_an_incident_covers_all_its_active_alerts_one_silence_per_group() {
        let mut s = crate::app::fixture::state();
        s.caps.can_write = true;
        s.caps.ack_author = "me".into();
        let inc = s.selected_incident().unwrap().clone();
        let want: Vec<_> = inc.alerts.clone();
        assert!(want.len() >= 3, "the fixture's first incident spans services");
        open_silence_editor(&mut s);
        let spec = parse_silence(s.command.strip_prefix("silence ").unwrap(), 60_000).unwrap();
        assert!(spec.groups.len() > 1, "{}", s.command);
        for fp in &want {
            let labels = &s.view.alerts[fp].alert.labels;
            assert!(
                spec.groups.iter().any(|g| g.iter().all(|m| m.matches(labels))),
                "{fp:?} is not covered by {}",
                s.command
            );
        }
        assert_eq!(preview_count(&s.view, &spec.groups), want.len());
        let line = std::mem::take(&mut s.command);
        let fx = submit_silence(&mut s, line.strip_prefix("silence ").unwrap());
        assert_eq!(fx.len(), spec.groups.len(), "one silence per group");
    }

    #[test]
    fn the_live_count_and_the_editor_leave_out_alerts_no_source_reports() {
        let mut s = crate::app::fixture::state();
        s.caps.can_write = true;
        let inc = s.selected_incident().unwrap().clone();
        let all = parse_silence(r#"alertname=~".+""#, 60_000).unwrap();
        let before = preview_count(&s.view, &all.groups);
        let (kept, gone) = (&inc.alerts[0], &inc.alerts[1]);
        let now = s.view.now;
        let view = std::sync::Arc::make_mut(&mut s.view);
        // Kept through a replica restart, and past the end its source gave it.
        view.alerts.get_mut(kept).unwrap().alert.unconfirmed = true;
        view.alerts.get_mut(gone).unwrap().alert.ends_at = Some(now - 1_000);
        assert_eq!(preview_count(&s.view, &all.groups), before - 2);
        open_silence_editor(&mut s);
        let spec = parse_silence(s.command.strip_prefix("silence ").unwrap(), 60_000).unwrap();
        for fp in [kept, gone] {
            let labels = &s.view.alerts[fp].alert.labels;
            assert!(
                !spec.groups.iter().any(|g| g.iter().all(|m| m.matches(labels))),
                "{fp:?} is no longer reported yet the editor covers it: {}",
                s.command
            );
        }
    }
}
