//! The `runbook_url` annotation: which alert's link applies, whether it is a
//! plain http(s) link safe to hand to the clipboard, and the `o` key that
//! copies it (OSC 52).

use super::*;

/// Longest `runbook_url` copied.
const MAX_LINK: usize = 2048;

/// The `runbook_url` annotation of the alert in focus (the detail view, the
/// alerts cursor), else of the incident's first alert that has one.
#[must_use]
pub fn runbook_link(state: &State) -> Option<String> {
    let url = |a: &AlertView| a.alert.annotations.get("runbook_url").map(str::to_string);
    state
        .focused_alert()
        .and_then(url)
        .or_else(|| state.incident_alerts().into_iter().find_map(url))
}

/// Whether a link is safe to hand to the clipboard: http(s), no spaces,
/// controls or bidi marks, bounded length.
#[must_use]
pub fn is_safe_link(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.len() <= MAX_LINK
        && url.len() > 8
        && !url.chars().any(|c| c.is_whitespace() || crate::sanitize::is_control_or_bidi(c))
}

/// `o`: copies the runbook link (OSC 52) when it is an http(s) URL.
pub fn copy_runbook_link(state: &mut State) -> Vec<Effect> {
    let Some(url) = runbook_link(state) else {
        state.flash_info("no runbook_url annotation on this incident's alerts");
        return Vec::new();
    };
    let shown = crate::sanitize::clean_line(&url, 80);
    if !is_safe_link(&url) {
        state.flash_error(format!("runbook_url {shown} is not a plain http(s) link; not copied"));
        return Vec::new();
    }
    state.flash_info(format!("copied {shown}"));
    vec![eff(RunbookEffect::CopyLink(url))]
}
