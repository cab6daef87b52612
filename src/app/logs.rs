//! The logs pane's own line filter: in a pattern's lines view `/` narrows
//! the raw lines and leaves the incident list's filter alone (and the
//! other way round).

use super::state::{Pane, State};

impl State {
    /// Whether `/` edits the log-line filter: the logs pane shows a
    /// pattern's lines and has the focus.
    #[must_use]
    pub fn filtering_log_lines(&self) -> bool {
        self.logs_open && self.logs_lines && self.focus == Pane::Runbooks
    }

    /// Enter on the logs pane: into the selected pattern's lines (with an
    /// empty line filter) or back to the patterns.
    pub(super) fn toggle_log_lines(&mut self) {
        self.logs_lines = !self.logs_lines;
        self.logs_filter.clear();
    }
}

#[cfg(test)]
mod tests {
    use crate::app::fixture::typed;
    use std::sync::Arc;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::super::{Mode, Msg, fixture, update};
    use super::*;

    fn key(s: &mut State, code: KeyCode) {
        update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    #[test]
    fn slash_in_the_lines_view_filters_lines_not_incidents() {
        let mut s = fixture::state();
        let svc = s.logs_service().map(str::to_string).unwrap_or_default();
        let mut v = (*s.view).clone();
        v.log_patterns.insert(
            svc,
            vec![crate::model::LogPatternView {
                id: "T1".into(),
                text: "refused to <*>".into(),
                level: crate::model::LogLevel::Error,
                count: 2,
                first_seen: 0,
                last_seen: 0,
                new: true,
                spiking: false,
                lines: vec!["refused to db-1".into(), "refused to cache-2".into()],
            }],
        );
        s.view = Arc::new(v);
        let incidents = s.visible.len();
        assert!(incidents > 0);

        typed(&mut s, "l");
        key(&mut s, KeyCode::Enter);
        assert!(s.filtering_log_lines());
        typed(&mut s, "/cach");
        assert_eq!(s.mode, Mode::Filter);
        assert_eq!((s.logs_filter.as_str(), s.filter.as_str()), ("cach", ""));
        assert_eq!(s.visible.len(), incidents, "the incident list is not narrowed");
        key(&mut s, KeyCode::Enter);
        assert_eq!(s.mode, Mode::Normal);
        assert_eq!(s.logs_filter, "cach", "Enter keeps it");

        // Esc while typing clears only the line filter.
        typed(&mut s, "/x");
        key(&mut s, KeyCode::Esc);
        assert_eq!((s.logs_filter.as_str(), s.mode), ("", Mode::Normal));

        // Back on the patterns, `/` is the incident filter again, and
        // entering the lines starts with an empty line filter.
        typed(&mut s, "/cach");
        key(&mut s, KeyCode::Enter);
        key(&mut s, KeyCode::Esc);
        assert!(!s.filtering_log_lines());
        typed(&mut s, "/zzqq");
        assert_eq!(s.filter, "zzqq");
        assert_eq!(s.visible.len(), 0);
        key(&mut s, KeyCode::Esc);
        key(&mut s, KeyCode::Enter);
        assert!(s.logs_lines && s.logs_filter.is_empty());
    }
}
