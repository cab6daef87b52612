//! `State`: everything the screen shows, and nothing else.
//!
//! Rendering reads it, `update` alone writes it. It holds the latest `View`
//! by `Arc` (never a copy of the store) plus purely interactive state:
//! selections, focus, filter, command line, overlays, flash, marks.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::app::keymap::Keymap;
use crate::model::{Fingerprint, IncidentId, View};
use crate::runbook::Runbook;
use crate::theme::Theme;

/// The panes of the main screen, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Incidents,
    Alerts,
    Causes,
    Runbooks,
}

impl Pane {
    pub const ORDER: [Self; 4] = [Self::Incidents, Self::Alerts, Self::Causes, Self::Runbooks];

    #[must_use]
    pub fn next(self, forward: bool) -> Self {
        let i = Self::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        let n = Self::ORDER.len();
        Self::ORDER[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

/// A list shown over the panes (`:silences`, `:sources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Silences,
    Sources,
    /// Anomalies the detectors found, newest first.
    Anomalies,
    /// Predicted threshold breaches, soonest first.
    Forecasts,
}

/// What the keyboard is typing into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Firing (open) incidents first, worst severity first; then quiet,
    /// then resolved ones, each by severity; newest first within.
    Severity,
    /// Newest first.
    Age,
    /// Most alerts first.
    Alerts,
    /// Alphabetical by title.
    Title,
}

impl SortOrder {
    pub const ALL: [Self; 4] = [Self::Severity, Self::Age, Self::Alerts, Self::Title];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Severity => "severity",
            Self::Age => "age",
            Self::Alerts => "alerts",
            Self::Title => "title",
        }
    }

    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Info,
    Error,
}

/// A short message in the footer that expires after a few ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub kind: FlashKind,
    pub ticks_left: u8,
}

/// Tab completion in progress on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    /// Full command lines the Tab key cycles through.
    pub candidates: Vec<String>,
    /// Index of the candidate currently in the line.
    pub index: usize,
}

/// Cursor (selected row) per pane, plus scroll offsets of the overlays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursors {
    pub incidents: usize,
    pub alerts: usize,
    pub causes: usize,
    pub runbooks: usize,
    pub detail_scroll: usize,
    pub help_scroll: usize,
    /// Selected row of the open list overlay.
    pub overlay: usize,
}

/// Seconds without a new view before the header says so.
pub const STALE_AFTER_TICKS: u32 = 10;

#[derive(Debug, Clone)]
pub struct State {
    pub view: Arc<View>,
    /// False until the first view arrives ("waiting for data…").
    pub has_data: bool,
    /// Ticks since the last view arrived.
    pub ticks_since_view: u32,
    /// Indices into `view.incidents` after filter and sort: what the list shows.
    pub visible: Vec<usize>,
    /// Identity of the selected incident, so the selection follows it when
    /// a new view reorders the list.
    pub selected: Option<IncidentId>,
    pub cursors: Cursors,
    pub focus: Pane,
    pub mode: Mode,
    /// The filter in effect (live while typing it).
    pub filter: String,
    /// The command line being typed (without the `:`).
    pub command: String,
    /// Cursor in the line being typed, in characters; anything past the
    /// end means the end (a prefilled line starts there).
    pub input_cursor: usize,
    /// Command lines run, oldest first; Up/Down recall them.
    pub history: Vec<String>,
    /// Position while browsing the history, and the line typed before it.
    pub history_pos: Option<usize>,
    pub history_draft: String,
    /// Until the operator moves the incidents cursor, the selection stays
    /// on the top row: the first screen shows what is worst right now, not
    /// whatever happened to be first when quell started.
    pub follow_top: bool,
    /// Resolved incidents are left out of the list (`H`, `:resolved`).
    pub hide_resolved: bool,
    /// A risky action waiting for a second look (expire, merge, split).
    pub pending: Option<super::confirm::Pending>,
    pub completion: Option<Completion>,
    pub help_open: bool,
    /// The logs pane replaces the runbooks pane (key `l`); `logs_lines`
    /// shows the selected pattern's lines instead of the patterns.
    pub logs_open: bool,
    pub logs_lines: bool,
    /// Fuzzy filter over the lines view (`/` there; see `app/logs.rs`).
    pub logs_filter: String,
    /// The alert whose detail view is open.
    pub drill: Option<Fingerprint>,
    pub sort: SortOrder,
    pub flash: Option<Flash>,
    pub theme: Theme,
    pub marked: BTreeSet<IncidentId>,
    /// Alerts marked in the alerts pane (what `x` splits out).
    pub marked_alerts: BTreeSet<Fingerprint>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Page and content sizes from the renderer, for paging and scrolling.
    pub measure: super::nav::Measure,
    pub keymap: Keymap,
    pub runbooks: Vec<Runbook>,
    pub read_only: bool,
    /// A list overlay is open.
    pub overlay: Option<Overlay>,
    /// The "read whole" view (`v`, `:messages`).
    pub reader: Option<super::reader::Reader>,
    /// Recent status messages, newest first (`:messages`).
    pub messages: std::collections::VecDeque<String>,
    /// What this session can do (writers, links, durations), set at start.
    pub caps: Capabilities,
    /// Incidents already seen (no notification for them again).
    pub seen_incidents: std::collections::HashSet<IncidentId>,
    /// Runbook dialog, runs and their output, the audit overlay.
    pub runbook_flow: super::runbook_flow::RunbookFlow,
    /// Something changed since the last frame.
    pub dirty: bool,
}

/// What this session can do and how it is set up, decided once at start
/// (config, ack writer, pipeline links) and handed to [`State::with_capabilities`].
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// Theme names `:theme` completes.
    pub theme_names: Vec<String>,
    /// An ack writer runs (false in read-only mode and replays).
    pub can_write: bool,
    /// A pipeline takes merges and splits (not in replays).
    pub can_regroup: bool,
    /// Who acks and silences name as creator.
    pub ack_author: String,
    /// One Alertmanager URL per cluster, for `amtool` commands.
    pub ack_urls: std::collections::BTreeMap<crate::model::SourceId, String>,
    /// Ack and editor silence lengths (for commands quell shows).
    pub ack_ms: i64,
    pub silence_ms: i64,
    /// `a` opens `:ack ` for a note first.
    pub ack_ask_note: bool,
    /// Severity at or above which a new incident notifies; `None` never.
    pub notify: Option<crate::model::Severity>,
}

impl Default for Capabilities {
    /// Nothing written, nothing linked; the default ack (15m) and silence
    /// (1h) lengths; critical incidents notify.
    fn default() -> Self {
        Self {
            theme_names: Vec::new(),
            can_write: false,
            can_regroup: false,
            ack_author: String::new(),
            ack_urls: std::collections::BTreeMap::new(),
            ack_ms: 900_000,
            silence_ms: 3_600_000,
            ack_ask_note: false,
            notify: Some(crate::model::Severity::Critical),
        }
    }
}

impl State {
    /// The session's capabilities, set once before the first frame.
    #[must_use]
    pub fn with_capabilities(mut self, caps: Capabilities) -> Self {
        self.caps = caps;
        self
    }

    /// How the renderer measures pages and lengths (navigation asks it).
    #[must_use]
    pub fn with_measure(mut self, measure: super::nav::Measure) -> Self {
        self.measure = measure;
        self
    }

    #[must_use]
    pub fn new(theme: Theme, keymap: Keymap, runbooks: Vec<Runbook>, read_only: bool) -> Self {
        Self {
            view: Arc::new(View::default()),
            has_data: false,
            ticks_since_view: 0,
            visible: Vec::new(),
            selected: None,
            cursors: Cursors::default(),
            focus: Pane::Incidents,
            mode: Mode::Normal,
            filter: String::new(),
            command: String::new(),
            input_cursor: 0,
            history: Vec::new(),
            history_pos: None,
            history_draft: String::new(),
            follow_top: true,
            hide_resolved: false,
            pending: None,
            completion: None,
            help_open: false,
            logs_open: false,
            logs_lines: false,
            logs_filter: String::new(),
            drill: None,
            sort: SortOrder::Severity,
            flash: None,
            theme,
            marked: BTreeSet::new(),
            marked_alerts: BTreeSet::new(),
            size: (80, 24),
            measure: super::nav::Measure::UNDRAWN,
            keymap,
            runbooks,
            read_only,
            overlay: None,
            reader: None,
            messages: std::collections::VecDeque::new(),
            caps: Capabilities::default(),
            seen_incidents: std::collections::HashSet::new(),
            runbook_flow: super::runbook_flow::RunbookFlow::default(),
            dirty: true,
        }
    }

    /// Seconds without a new view, when that is long enough to mention.
    #[must_use]
    pub fn stale_for(&self) -> Option<u32> {
        let limit = crate::model::quiet_limit_ms(&self.view.sources);
        let quiet = i64::from(self.ticks_since_view) * 1000;
        (self.has_data && self.ticks_since_view >= STALE_AFTER_TICKS && quiet >= limit)
            .then_some(self.ticks_since_view)
    }
}
