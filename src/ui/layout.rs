//! Where each pane goes, as plain `Rect` arithmetic shared by the renderer
//! and by `update` (page sizes). Saturating everywhere: any terminal size,
//! from 0×0 to 1000×1000, yields valid rectangles inside the screen.
//!
//! ```text
//! 80×24 (a tmux pane); larger screens scale the same proportions
//! ┌──────────────────────────────────────────────────────────────────────────────┐
//! │ header: quell │ sources + health │ counts │ marked │ clock            (1 row) │
//! ├──────────────────────────────────────────────────────────────────────────────┤
//! │ incidents list: sev glyph+WORD, title, age, alerts, ack, state (≤2/5 body) │
//! ├───────────────────────────────────────────────┬──────────────────────────────┤
//! │ incident detail: timeline, then alerts        │ root causes (ranked, with    │
//! │ grouped by alertname, each with a sparkline   │ evidence)            (3/5)   │
//! │                          (50% wide, 58% ≥100) ├──────────────────────────────┤
//! │                                               │ runbooks, keys 1–9   (2/5)   │
//! ├───────────────────────────────────────────────┴──────────────────────────────┤
//! │ footer: key hints from the keymap, or the filter/command line, + flash  (1) │
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::layout::Rect;

/// Below this the screen says "terminal too small" instead of drawing panes.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    /// Everything between header and footer (the alert detail and the help
    /// overlay use it whole).
    pub body: Rect,
    pub footer: Rect,
    pub incidents: Rect,
    pub detail: Rect,
    pub causes: Rect,
    pub runbooks: Rect,
}

#[must_use]
pub fn fits(area: Rect) -> bool {
    area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT
}

/// Pane rectangles for a screen; `incident_rows` (how many incidents are
/// listed) lets a short list give its spare rows to the panes below.
#[must_use]
pub fn areas(area: Rect, incident_rows: usize) -> Areas {
    let Rect { x, y, width: w, height: h } = area;
    let header = Rect::new(x, y, w, h.min(1));
    let footer_h = u16::from(h >= 2);
    let footer = Rect::new(x, y.saturating_add(h.saturating_sub(footer_h)), w, footer_h);
    let body_h = h.saturating_sub(header.height + footer_h);
    let body = Rect::new(x, y.saturating_add(header.height), w, body_h);

    let wanted = u16::try_from(incident_rows.saturating_add(2)).unwrap_or(u16::MAX);
    let inc_h = wanted.clamp(body_h.min(5), (body_h / 5 * 2).max(body_h.min(5)));
    let incidents = Rect::new(x, body.y, w, inc_h);
    let lower_y = body.y.saturating_add(inc_h);
    let lower_h = body_h - inc_h;
    // Narrow screens split evenly so evidence lines stay readable; wide
    // ones give the alerts and their sparklines the extra room.
    let share = if w < 100 { 50 } else { 58 };
    let detail_w = (u32::from(w) * share / 100).max(40).min(u32::from(w));
    let detail_w = u16::try_from(detail_w).unwrap_or(w);
    let detail = Rect::new(x, lower_y, detail_w, lower_h);
    let right_x = x.saturating_add(detail_w);
    let right_w = w - detail_w;
    // Runbooks get two fifths, at least 4 rows (a border and two entries)
    // and at most 10: a long list scrolls, root causes deserve the room.
    let runbooks_h = (lower_h / 5 * 2).clamp(lower_h.min(4), lower_h.min(10));
    let causes_h = lower_h - runbooks_h;
    let causes = Rect::new(right_x, lower_y, right_w, causes_h);
    let runbooks =
        Rect::new(right_x, lower_y.saturating_add(causes_h), right_w, lower_h - causes_h);
    Areas { header, body, footer, incidents, detail, causes, runbooks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_stays_inside_the_screen() {
        for (w, h) in
            [(0, 0), (1, 1), (10, 3), (80, 24), (200, 50), (1000, 1000), (u16::MAX, u16::MAX)]
        {
            let screen = Rect::new(0, 0, w, h);
            let a = areas(screen, 3);
            for r in [a.header, a.body, a.footer, a.incidents, a.detail, a.causes, a.runbooks] {
                assert!(screen.union(r) == screen || r.is_empty(), "{w}x{h}: {r:?}");
            }
        }
    }

    #[test]
    fn tmux_pane_proportions() {
        let a = areas(Rect::new(0, 0, 80, 24), 30);
        assert_eq!(a.header.height, 1);
        assert_eq!(a.footer.y, 23);
        assert_eq!(a.incidents.height, 8);
        let a = areas(Rect::new(0, 0, 80, 24), 2);
        assert_eq!(a.incidents.height, 5, "a short list gives its rows away");
        assert_eq!(a.detail.width + a.causes.width, 80);
        assert!(a.runbooks.height >= 4);
    }
}
