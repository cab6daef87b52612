//! The `:` command line: the command table (which the help overlay lists),
//! parsing a typed line, and Tab completion of command names and arguments.
//!
//! Pure string work; what a command does is decided in `update`.

use super::state::SortOrder;

/// One command as the help overlay lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub usage: &'static str,
    pub help: &'static str,
}

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec { name: "theme", aliases: &[], usage: ":theme NAME", help: "switch colour theme" },
    CommandSpec {
        name: "sort",
        aliases: &[],
        usage: ":sort severity|age|alerts|title",
        help: "order the incident list",
    },
    CommandSpec {
        name: "ack",
        aliases: &[],
        usage: ":ack [NOTE]",
        help: "acknowledge the selection with a note",
    },
    CommandSpec { name: "unack", aliases: &[], usage: ":unack", help: "expire quell's ack" },
    CommandSpec {
        name: "silence",
        aliases: &[],
        usage: ":silence MATCHER... [for=1h] [-- COMMENT]",
        help: "create a silence (s prefills it)",
    },
    CommandSpec {
        name: "silences",
        aliases: &[],
        usage: ":silences",
        help: "list silences and acks (e extend, x expire)",
    },
    CommandSpec {
        name: "sources",
        aliases: &[],
        usage: ":sources",
        help: "health of every source (r retry)",
    },
    CommandSpec {
        name: "anomalies",
        aliases: &[],
        usage: ":anomalies",
        help: "anomalies the detectors found, newest first",
    },
    CommandSpec {
        name: "forecasts",
        aliases: &[],
        usage: ":forecasts",
        help: "predicted threshold breaches, soonest first",
    },
    CommandSpec {
        name: "export",
        aliases: &[],
        usage: ":export FILE",
        help: "write the incident summary (Markdown) to FILE",
    },
    CommandSpec {
        name: "resolved",
        aliases: &[],
        usage: ":resolved [hide|show]",
        help: "hide or show resolved incidents (H toggles)",
    },
    CommandSpec { name: "help", aliases: &[], usage: ":help", help: "show this help" },
    CommandSpec {
        name: "messages",
        aliases: &[],
        usage: ":messages",
        help: "the recent status messages, whole, newest first",
    },
    CommandSpec {
        name: "audit",
        aliases: &[],
        usage: ":audit",
        help: "runbook audit log (runs and refusals)",
    },
    CommandSpec { name: "quit", aliases: &["q"], usage: ":q  :quit", help: "quit quell" },
];

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Empty,
    Theme(Option<String>),
    Sort(Option<String>),
    Help,
    Audit,
    Messages,
    Quit,
    Ack(String),
    Unack,
    Silence(String),
    Silences,
    Sources,
    Anomalies,
    Forecasts,
    Export(String),
    /// `Some(true)` hide, `Some(false)` show, `None` toggle.
    Resolved(Option<bool>),
    Unknown(String),
}

#[must_use]
pub fn parse(line: &str) -> Command {
    let mut words = line.split_whitespace();
    let Some(head) = words.next() else {
        return Command::Empty;
    };
    let arg = words.next().map(str::to_string);
    // Everything after the command word, spaces kept (notes, matchers, paths).
    let rest = line.trim_start().get(head.len()..).unwrap_or("").trim().to_string();
    match resolve(head) {
        Some("ack") => Command::Ack(rest),
        Some("unack") => Command::Unack,
        Some("silence") => Command::Silence(rest),
        Some("silences") => Command::Silences,
        Some("sources") => Command::Sources,
        Some("anomalies") => Command::Anomalies,
        Some("forecasts") => Command::Forecasts,
        Some("export") => Command::Export(rest),
        Some("theme") => Command::Theme(arg),
        Some("sort") => Command::Sort(arg),
        Some("help") => Command::Help,
        Some("audit") => Command::Audit,
        Some("messages") => Command::Messages,
        Some("resolved") => match arg.as_deref() {
            Some("hide") => Command::Resolved(Some(true)),
            Some("show") => Command::Resolved(Some(false)),
            None => Command::Resolved(None),
            Some(other) => Command::Unknown(format!("resolved {other}")),
        },
        Some("quit") => Command::Quit,
        _ => Command::Unknown(head.to_string()),
    }
}

/// The canonical name of a command word or alias.
fn resolve(word: &str) -> Option<&'static str> {
    COMMANDS.iter().find(|c| c.name == word || c.aliases.contains(&word)).map(|c| c.name)
}

/// Complete command lines that extend `line`: command names while the first
/// word is typed, then theme names or sort keys as the argument.
#[must_use]
pub fn candidates(line: &str, theme_names: &[String]) -> Vec<String> {
    let trimmed = line.trim_start();
    match trimmed.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|c| c.name.starts_with(trimmed))
            .map(|c| {
                if matches!(c.name, "theme" | "sort" | "ack" | "silence" | "export" | "resolved") {
                    format!("{} ", c.name)
                } else {
                    c.name.to_string()
                }
            })
            .collect(),
        Some((head, arg)) => {
            let arg = arg.trim_start();
            let options: Vec<String> = match resolve(head) {
                Some("theme") => theme_names.to_vec(),
                Some("sort") => SortOrder::ALL.iter().map(|o| o.name().to_string()).collect(),
                Some("resolved") => vec!["hide".into(), "show".into()],
                _ => Vec::new(),
            };
            options
                .into_iter()
                .filter(|o| o.starts_with(arg))
                .map(|o| format!("{head} {o}"))
                .collect()
        }
    }
}

/// The longest prefix every candidate shares.
#[must_use]
pub fn common_prefix(cands: &[String]) -> String {
    let Some(first) = cands.first() else {
        return String::new();
    };
    let mut prefix: &str = first;
    for c in &cands[1..] {
        let end = prefix
            .char_indices()
            .zip(c.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8());
        prefix = prefix.get(..end).unwrap_or_default();
    }
    prefix.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_aliases() {
        assert_eq!(parse("q"), Command::Quit);
        assert_eq!(parse(" quit "), Command::Quit);
        assert_eq!(parse("sort age"), Command::Sort(Some("age".into())));
        assert_eq!(parse("theme"), Command::Theme(None));
        assert_eq!(parse("frobnicate x"), Command::Unknown("frobnicate".into()));
        assert_eq!(parse("   "), Command::Empty);
    }

    #[test]
    fn completes_names_then_arguments() {
        let themes = vec!["dark".to_string(), "high-contrast".to_string(), "light".to_string()];
        assert_eq!(candidates("th", &themes), vec!["theme "]);
        assert_eq!(candidates("", &themes).len(), COMMANDS.len());
        assert_eq!(candidates("theme h", &themes), vec!["theme high-contrast"]);
        assert_eq!(candidates("theme ", &themes).len(), 3);
        assert_eq!(candidates("sort a", &themes), vec!["sort age", "sort alerts"]);
        assert!(candidates("nope x", &themes).is_empty());
        assert_eq!(common_prefix(&["sort age".into(), "sort alerts".into()]), "sort a");
        assert_eq!(common_prefix(&["日本".into(), "日x".into()]), "日");
    }
}
