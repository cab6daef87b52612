//! What is on top: the screen as a stack of layers, decided in one place.
//!
//! Key handling (`update`), scrolling (`nav`), Esc and drawing (`ui`) all
//! ask [`State::layers`] / [`State::top`] instead of each testing the
//! flags in their own order. Bottom to top:
//!
//! ```text
//!  Confirm       a risky action's second look (expire, merge, split)
//!  Dialog        the runbook run dialog
//!  Input         typing a filter or a `:` command (the footer line)
//!  Help          the key help overlay (drawn over the lists it explains)
//!  Reader        one item's text whole (`v`, `:messages`)
//!  Audit         the runbook audit list
//!  List(which)   :silences, :sources, :anomalies, :forecasts
//!  Drill         one alert's detail fills the body
//!  Panes         the four panes (runbook output may replace the detail)
//! ```
//!
//! Input sits above help and lists for keys (the line being typed gets
//! them) but is drawn in the footer, so it never covers anything.

use super::state::{Mode, Overlay, State};

/// One layer of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Panes,
    Drill,
    List(Overlay),
    Audit,
    Reader,
    Help,
    Input(Mode),
    Dialog,
    Confirm,
}

impl Layer {
    /// Layers drawn over the panes as a box: links under them are not clickable.
    #[must_use]
    pub fn covers_panes(self) -> bool {
        matches!(
            self,
            Self::List(_) | Self::Help | Self::Audit | Self::Reader | Self::Dialog | Self::Confirm
        )
    }

    /// Layers that scroll with the navigation keys (their own cursor).
    #[must_use]
    pub fn scrolls(self) -> bool {
        matches!(
            self,
            Self::List(_) | Self::Audit | Self::Reader | Self::Help | Self::Drill | Self::Panes
        )
    }
}

impl State {
    /// Every open layer, bottom first; `Panes` is always there.
    #[must_use]
    pub fn layers(&self) -> Vec<Layer> {
        let mut out = vec![Layer::Panes];
        if self.drill.is_some() {
            out.push(Layer::Drill);
        }
        if let Some(o) = self.overlay {
            out.push(Layer::List(o));
        }
        if self.runbook_flow.audit_open {
            out.push(Layer::Audit);
        }
        if self.reader.is_some() {
            out.push(Layer::Reader);
        }
        if self.help_open {
            out.push(Layer::Help);
        }
        if self.mode != Mode::Normal {
            out.push(Layer::Input(self.mode));
        }
        if self.runbook_flow.dialog.is_some() {
            out.push(Layer::Dialog);
        }
        if self.pending.is_some() {
            out.push(Layer::Confirm);
        }
        out
    }

    /// The layer that gets the keys.
    #[must_use]
    pub fn top(&self) -> Layer {
        self.layers().last().copied().unwrap_or(Layer::Panes)
    }

    /// The topmost layer that scrolls (what Up/Down/PgUp/PgDn move).
    #[must_use]
    pub fn scroll_layer(&self) -> Layer {
        self.layers().into_iter().rev().find(|l| l.scrolls()).unwrap_or(Layer::Panes)
    }

    /// Whether a box covers the panes (help, a list, the audit, a dialog);
    /// a list is only drawn once there is a view to list from.
    #[must_use]
    pub fn panes_covered(&self) -> bool {
        self.layers()
            .iter()
            .any(|l| l.covers_panes() && (self.has_data || !matches!(l, Layer::List(_))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixture;

    #[test]
    fn layers_stack_in_one_order_and_the_top_gets_the_keys() {
        let mut s = fixture::state();
        assert_eq!(s.top(), Layer::Panes);
        assert!(!s.panes_covered());
        s.drill = Some(crate::model::Fingerprint::from("fp"));
        assert_eq!(s.top(), Layer::Drill);
        s.help_open = true;
        assert_eq!(s.layers(), vec![Layer::Panes, Layer::Drill, Layer::Help]);
        assert!(s.panes_covered());
        s.mode = Mode::Command;
        assert_eq!(s.top(), Layer::Input(Mode::Command));
        assert_eq!(s.scroll_layer(), Layer::Help, "typing does not scroll; help under it does");
        s.mode = Mode::Normal;
        s.help_open = false;
        assert_eq!(s.scroll_layer(), Layer::Drill);
    }

    #[test]
    fn a_list_takes_keys_at_once_but_covers_the_panes_only_with_data() {
        let mut s = fixture::state();
        s.has_data = false;
        s.overlay = Some(Overlay::Sources);
        assert_eq!(s.top(), Layer::List(Overlay::Sources));
        assert!(!s.panes_covered());
        s.has_data = true;
        assert!(s.panes_covered());
    }
}
