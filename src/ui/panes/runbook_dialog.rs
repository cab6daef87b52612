//! The runbook confirmation dialog: exactly what will run, one argument per
//! line with control characters escaped, the env, the target, the script's
//! hash prefix, limits, and when it last ran and by whom. A `typed`
//! confirmation shows what has been typed so far.
//!
//! ```text
//! ┏ Run runbook 1 · Restart the service's pods ━━━━━━━━━━━━━━━━━━━━━━━┓
//! ┃ target    payments (incident inc-3, 2 alerts)                      ┃
//! ┃ script    /home/me/.local/share/quell/runbooks/restart-service.sh  ┃
//! ┃ sha256    3fa2c1d9e0b14c2a… (checked again right before it runs)   ┃
//! ┃ argv      one line per argument, no shell                          ┃
//! ┃   [1]     "payments"                                               ┃
//! ┃ env       QUELL_RUNBOOK="restart-service"                          ┃
//! ┃ last run  2026-11-23 08:40:12 UTC (wall clock) by alice            ┃
//! ┃ Enter run · Esc cancel  (keys from the keymap's dialog context)    ┃
//! ┗━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┛
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::block;
use crate::app::Action;
use crate::app::keymap::{Context, Keymap};
use crate::app::runbook_flow::Dialog;
use crate::runbook::audit::{REDACTED, is_secret_name};
use crate::runbook::{Confirm, RunMode};
use crate::sanitize;
use crate::theme::{Role, Theme};

/// Quotes a value with every control, bidi and quoting character escaped,
/// so what is shown is unambiguous and inert.
#[must_use]
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => crate::sanitize::push_escaped(&mut out, c),
        }
    }
    out.push('"');
    out
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} B")
    }
}

fn lines<'a>(d: &Dialog, width: usize, keys: (&str, &str), theme: &Theme) -> Vec<Line<'a>> {
    let p = &d.plan;
    let dim = theme.style(Role::TextDim);
    let text = theme.style(Role::Text);
    let label = |s: &str| Span::styled(format!("{s:<10}"), dim);
    let fit = |s: &str, reserve: usize| sanitize::clean_line(s, width.saturating_sub(reserve));
    let mut out = vec![
        Line::from(vec![
            label("target"),
            Span::styled(fit(&p.target, 40), theme.style(Role::Title)),
            Span::styled(
                format!(" (incident {}, {} alert(s))", fit(&p.incident, 60), p.alerts.len()),
                dim,
            ),
        ]),
        Line::from(vec![label("script"), Span::styled(fit(&p.path, 10), text)]),
        Line::from(vec![
            label("sha256"),
            Span::styled(format!("{}\u{2026}", p.sha256.get(..16).unwrap_or(&p.sha256)), text),
            Span::styled(" (checked again right before it runs)", dim),
        ]),
        Line::from(vec![label("argv"), Span::styled("one line per argument, no shell", dim)]),
    ];
    if p.argv.is_empty() {
        out.push(Line::styled("  (no arguments)", dim));
    }
    for (i, a) in p.argv.iter().enumerate() {
        out.push(Line::from(vec![
            Span::styled(format!("{:<10}", format!("  [{}]", i + 1)), dim),
            Span::styled(fit(&escape_value(a), 12), text),
        ]));
    }
    for (k, v) in &p.env {
        let shown = if is_secret_name(k) { REDACTED.to_string() } else { escape_value(v) };
        out.push(Line::from(vec![
            label("env"),
            Span::styled(fit(&format!("{k}={shown}"), 10), text),
        ]));
    }
    let mode = match p.mode {
        RunMode::Capture => "output in the output pane",
        RunMode::Interactive => "interactive: the script gets the terminal",
    };
    out.push(Line::from(vec![
        label("limits"),
        Span::styled(
            format!(
                "timeout {} \u{00b7} output {} \u{00b7} {mode}",
                crate::base::HumanDuration(p.timeout),
                human_bytes(p.max_output)
            ),
            text,
        ),
    ]));
    let last = match (&d.last_run, d.last_run_loaded) {
        (_, false) => "reading the audit log\u{2026}".to_string(),
        (None, true) => "never (according to the audit log)".to_string(),
        (Some(e), true) => {
            let dry = if e.dry_run { " (dry run)" } else { "" };
            format!("{} (wall clock) by {}{dry}", super::audit::wall_time(&e.ts), e.who.describe())
        }
    };
    out.push(Line::from(vec![label("last run"), Span::styled(fit(&last, 10), text)]));
    if p.dry_run {
        out.push(Line::styled(
            "DRY RUN first (dry_run_args); the real run is offered after it succeeds",
            theme.style(Role::FlashInfo),
        ));
    }
    out.push(Line::raw(""));
    let key = theme.style(Role::FooterKey);
    let (ok, no) = keys;
    match p.confirm {
        Confirm::Yes => out.push(Line::from(vec![
            Span::styled(ok.to_string(), key),
            Span::raw(" run \u{00b7} "),
            Span::styled(no.to_string(), key),
            Span::raw(" cancel"),
        ])),
        Confirm::Typed => {
            out.push(Line::from(vec![
                Span::raw("type "),
                Span::styled(fit(&escape_value(&p.target), 30), theme.style(Role::Title)),
                Span::raw(" to confirm: "),
                Span::styled(format!("{}\u{2588}", fit(&d.typed, 40)), theme.style(Role::Input)),
            ]));
            let hint = if d.mismatch {
                Span::styled("that did not match; type it again", theme.style(Role::FlashError))
            } else {
                Span::styled(format!("{ok} confirm \u{00b7} {no} cancel"), dim)
            };
            out.push(Line::from(hint));
        }
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, d: &Dialog, keymap: &Keymap, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(100);
    let inner_w = usize::from(w.saturating_sub(2));
    let label = |a| keymap.first_label(Context::Dialog, a).unwrap_or_else(|| "?".into());
    let keys = (label(Action::Confirm), label(Action::Back));
    let all = lines(d, inner_w, (&keys.0, &keys.1), theme);
    let h = u16::try_from(all.len() + 2).unwrap_or(u16::MAX).min(area.height);
    let popup = crate::ui::popup(area, w, h);
    frame.render_widget(Clear, popup);
    let what = if d.plan.dry_run { "Dry run" } else { "Run" };
    let title = format!(
        "{what} runbook {} \u{00b7} {}",
        d.key,
        super::title_text(&d.plan.title, popup, 20)
    );
    let b = block(vec![Span::raw(title)], true, theme);
    let inner = b.inner(popup);
    frame.render_widget(b.style(theme.style(Role::Help)), popup);
    frame.render_widget(Paragraph::new(all), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_makes_hostile_values_visible_and_inert() {
        assert_eq!(escape_value("a b"), "\"a b\"");
        assert_eq!(escape_value("x$(touch /tmp/p)"), "\"x$(touch /tmp/p)\"");
        assert_eq!(escape_value("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(escape_value("\x1b[2J\u{202e}\0"), r#""\u{1b}[2J\u{202e}\u{0}""#);
    }
}
