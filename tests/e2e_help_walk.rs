//! End to end, as a new user would: the real binary in tmux at 80×24 and
//! 200×50, the help overlay read from top to bottom, then every key it
//! lists (in every context) and every `:` command pressed, each checked for
//! doing what help says. The list of keys comes from the keymap itself: a
//! key added without a check here fails this test.
//!
//! tmux is required (CI installs it); without it the test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use quell::app::Action;
use quell::app::command::COMMANDS;
use quell::app::keymap::{Context, Keymap};
use support::tmux::require_tmux;
use support::walk::{
    Walk, collapse, finish, footer, hints, incident_count, read_help, selected_id,
};

fn walk_help(walk: &mut Walk) {
    let help = read_help(walk);
    let km = Keymap::defaults();
    for ctx in Context::ALL {
        assert!(help.contains(&format!("Keys: {}", ctx.name())), "help lacks {ctx:?}");
        for (action, keys) in km.bindings(ctx) {
            if keys.is_empty() {
                continue;
            }
            assert!(
                help.contains(&collapse(action.describe())),
                "help lacks {}",
                action.describe()
            );
            // The nine runbook keys read as one `1–9` line.
            let label = match action {
                Action::Runbook(_) => "1\u{2013}9".to_string(),
                _ => keys[0].label(),
            };
            assert!(help.contains(&label), "help lacks the key {label}");
        }
    }
    for c in COMMANDS {
        assert!(help.contains(&collapse(c.usage)), "help lacks {}", c.usage);
        assert!(help.contains(&collapse(c.help)), "help cuts {}", c.help);
    }
    assert!(!help.contains('\u{2026}'), "something in help is cut: {help}");
    // Scrolling keys of the help itself.
    let at_end = walk.screen();
    walk.press(Context::Help, Action::Up, "k", "help scrolled up", |s| s != at_end);
    walk.press(Context::Help, Action::Down, "j", "help scrolled down", |s| s.contains("Glyphs"));
    walk.press(Context::Help, Action::Top, "g", "help at the top", |s| s.contains("Keys: main"));
    walk.press(Context::Help, Action::Bottom, "G", "help at the end", |s| s.contains("Glyphs"));
    walk.press(Context::Help, Action::PageUp, "PPage", "help a page up", |s| {
        !s.contains("Glyphs") || !s.contains("CRIT  ▲ HIGH")
    });
    // `?` toggles it, `q` (like Esc) closes it and quell keeps running.
    walk.press(Context::Help, Action::Help, "?", "help toggled off", |s| !s.contains("Keys: "));
    walk.tmux.keys(&["?"]);
    walk.wait("help again", |s| s.contains("Keys: main"));
    walk.press(Context::Help, Action::Back, "q", "q closes help", |s| {
        !s.contains("Keys: ") && s.contains("Root causes")
    });
    assert!(!walk.exit_file.exists(), "q in help quit quell");
}

fn walk_main(walk: &mut Walk) {
    let m = Context::Main;
    let s = walk.wait("two incidents with alerts", |s| {
        incident_count(s) >= 2 && s.contains(" alert") && selected_id(s).is_some()
    });
    // From the top of the list.
    walk.tmux.keys(&["g"]);
    let s2 = walk.wait("the first row", |x| x.contains('▶'));
    let first = selected_id(&s2).unwrap();
    let _ = s;
    walk.press(m, Action::Down, "j", "the next incident", |s| {
        selected_id(s).is_some_and(|id| id != first)
    });
    walk.press(m, Action::Up, "k", "the first incident again", |s| {
        selected_id(s).as_deref() == Some(&first)
    });
    walk.press(m, Action::Bottom, "G", "the last incident", |s| {
        selected_id(s).is_some_and(|id| id != first)
    });
    walk.press(m, Action::Top, "g", "the first incident", |s| {
        selected_id(s).as_deref() == Some(&first)
    });
    walk.press(m, Action::PageDown, "NPage", "a page down", |s| {
        selected_id(s).is_some_and(|id| id != first)
    });
    walk.press(m, Action::PageUp, "PPage", "a page up", |s| {
        selected_id(s).as_deref() == Some(&first)
    });
    // Panes: Tab moves the thick border, Shift-Tab back.
    walk.press(m, Action::NextPane, "Tab", "the detail pane focused", |s| {
        s.contains("┏ I-") || s.contains("┏ S-")
    });
    walk.press(m, Action::PrevPane, "BTab", "the incidents focused", |s| s.contains("┏ Incidents"));
    // Enter drills in, Esc backs out.
    walk.press(m, Action::Enter, "Enter", "the alerts pane focused", |s| {
        s.contains("┏ I-") || s.contains("┏ S-")
    });
    walk.press(m, Action::Back, "Escape", "back to the list", |s| s.contains("┏ Incidents"));
    // Filter and command line.
    walk.press(m, Action::Filter, "/", "the filter line", |s| {
        footer(s).starts_with('/') && s.contains(" incidents")
    });
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
    walk.press(m, Action::Command, ":", "the command line", |s| footer(s).starts_with(':'));
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
    // Space marks (the header counts it), Esc clears the marks.
    walk.press(m, Action::Mark, "Space", "a mark", |s| s.contains("1 marked"));
    walk.tmux.keys(&["Escape"]);
    walk.wait("marks cleared", |s| !s.contains("marked") && s.contains("cleared"));
    walk.tmux.keys(&["g"]);
    // Acks and silences write (to the demo's own Alertmanager): the footer says what happened.
    walk.press(m, Action::Ack, "a", "the ack flash", |s| footer(s).contains("ack"));
    walk.press(m, Action::Unack, "A", "the un-ack flash", |s| footer(s).contains("ack"));
    walk.press(m, Action::Silence, "s", "the silence editor", |s| {
        (footer(s).starts_with(':') && footer(s).contains("for=1h"))
            || footer(s).contains("silence:")
    });
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
    walk.press(m, Action::Copy, "y", "the copy flash", |s| s.contains("Markdown summary copied"));
    walk.press(m, Action::CopyCommand, "Y", "the amtool flash", |s| {
        s.contains("amtool commands copied") || s.contains("no active alerts")
    });
    walk.press(m, Action::Retry, "R", "the retry flash", |s| {
        s.contains("retrying every source") || s.contains("nothing to retry")
    });
    walk.press(m, Action::Logs, "l", "the logs pane", |s| s.contains("Logs: "));
    walk.tmux.keys(&["l"]);
    walk.wait("the runbooks pane back", |s| s.contains("Runbooks"));
    walk.tmux.keys(&["g"]);
    walk.press(m, Action::Merge, "m", "how to merge", |s| {
        s.contains("mark incidents with") || s.contains("suspected incidents have no")
    });
    walk.press(m, Action::Split, "x", "how to split", |s| s.contains("mark its alerts"));
    walk.press(m, Action::ToggleResolved, "H", "resolved hidden", |s| {
        s.contains("resolved incidents hidden")
    });
    walk.tmux.keys(&["H"]);
    walk.wait("resolved shown", |s| s.contains("resolved incidents shown"));
    walk.press(m, Action::KillRun, "K", "nothing to kill", |s| s.contains("no runbook is running"));
    walk.press(m, Action::CopyLink, "o", "the runbook link", |s| {
        s.contains("copied http") || s.contains("no runbook_url") || s.contains("not a plain")
    });
    // `v` reads what has focus: in the incidents list (Esc brings focus
    // back there) the selected incident, title and whole timeline.
    walk.tmux.keys(&["Escape"]);
    walk.wait("the incidents focused", |s| s.contains("┏ Incidents"));
    walk.tmux.keys(&["g"]);
    let s = walk.main_screen();
    let id = selected_id(&s).unwrap();
    walk.press(m, Action::Read, "v", "the incident read whole", |s| {
        s.contains(&format!("Read \u{00b7} {id}")) && s.contains("Timeline:")
    });
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
}

/// A digit was answered: its dialog, or a refusal naming the runbook or key.
/// Each digit is pressed after `K` left "no runbook is running" in the
/// footer, so an older flash cannot pass for this key's answer.
fn answered(s: &str, n: u8) -> bool {
    let f = footer(s);
    s.contains(&format!("un runbook {n}"))
        || (f.contains("runbook") && !f.contains("no runbook is running"))
}

/// The main screen with a selected incident and at least one runbook.
fn offers_runbooks(s: &str) -> bool {
    selected_id(s).is_some() && s.contains("Runbooks ") && !s.contains("Runbooks 0")
}

fn clear_flash(walk: &Walk) {
    walk.tmux.keys(&["K"]);
    walk.wait("a fresh flash", |s| footer(s).contains("no runbook is running"));
}

/// Digits run the runbook on their key: a dialog, or a refusal that says why.
fn walk_runbooks(walk: &mut Walk) {
    walk.tmux.keys(&["g"]);
    walk.main_screen();
    let mut opened = 0;
    for n in 1..=9u8 {
        // At demo speed an incident can end between two digits; each digit
        // is pressed while some incident offers runbooks.
        walk.wait("an incident with runbooks", offers_runbooks);
        clear_flash(walk);
        let key = n.to_string();
        let s = walk.press(Context::Main, Action::Runbook(n), &key, "a dialog or a refusal", |s| {
            answered(s, n)
        });
        if s.contains(&format!("un runbook {n}")) {
            opened += 1;
            assert!(s.contains("Enter run") || s.contains("Enter confirm"), "{s}");
            // `y` copies elsewhere and is not a yes here.
            walk.tmux.keys(&["y"]);
            std::thread::sleep(Duration::from_millis(300));
            assert!(walk.screen().contains(&format!("un runbook {n}")), "y acted on the dialog");
            walk.press(Context::Dialog, Action::DeleteBack, "BSpace", "the dialog still up", |s| {
                s.contains(&format!("un runbook {n}"))
            });
            walk.press(Context::Dialog, Action::Back, "Escape", "cancelled", |s| {
                s.contains("runbook cancelled")
            });
        }
    }
    assert!(opened >= 1, "no digit opened a runbook dialog");
    // The demo's show-args runbook applies to everything: Enter runs it.
    let key = (1..=9)
        .find(|n| {
            walk.wait("an incident with runbooks", offers_runbooks);
            clear_flash(walk);
            walk.tmux.keys(&[&n.to_string()]);
            let s = walk.wait("dialog or refusal", |s| answered(s, *n));
            let yes = s.contains(&format!("un runbook {n} \u{00b7} Show the arguments"));
            if !yes && s.contains(&format!("un runbook {n}")) {
                walk.tmux.keys(&["Escape"]);
                walk.wait("cancelled", |s| s.contains("runbook cancelled"));
            }
            yes
        })
        .expect("the show-args runbook is offered");
    let _ = key;
    walk.press(Context::Dialog, Action::Confirm, "Enter", "the run's output", |s| {
        s.contains("exit 0")
    });
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
}

fn walk_lists(walk: &mut Walk) {
    let l = Context::List;
    walk.command("silences", "silences", |s| s.contains("Silences "));
    // Its footer offers what acts here (once no flash covers it).
    let s = walk.wait("the list's hints", |s| hints(s).contains("expire"));
    assert!(!hints(&s).contains("retry"), "{s}");
    walk.press(l, Action::Down, "j", "the list", |s| s.contains("Silences "));
    walk.press(l, Action::Up, "k", "the list", |s| s.contains("Silences "));
    walk.press(l, Action::Bottom, "G", "the list", |s| s.contains("Silences "));
    walk.press(l, Action::Top, "g", "the list", |s| s.contains("Silences "));
    walk.press(l, Action::PageDown, "NPage", "the list", |s| s.contains("Silences "));
    walk.press(l, Action::PageUp, "PPage", "the list", |s| s.contains("Silences "));
    // `x` never expires on one key: a dialog (or nothing to expire).
    let s = walk.press(l, Action::Expire, "x", "a second look", |s| {
        s.contains("Expire silence") || s.contains("select a silence") || s.contains("already")
    });
    if s.contains("Expire silence") {
        walk.tmux.keys(&["Escape"]);
        walk.wait("expire cancelled", |s| s.contains("expire cancelled"));
    }
    walk.press(l, Action::Extend, "e", "extend", |s| {
        s.contains("extending silence") || s.contains("select a silence") || s.contains("already")
    });
    // `v` reads the selected silence whole; Esc goes back to the list.
    let s = walk.press(l, Action::Read, "v", "the silence read whole", |s| {
        s.contains("Read \u{00b7} Silence")
            || s.contains("Read \u{00b7} Pending ack")
            || s.contains("nothing selected to read")
    });
    if s.contains("Read \u{00b7}") {
        assert!(s.contains("matchers:") || s.contains("alerts:"), "{s}");
        walk.tmux.keys(&["Escape"]);
    }
    walk.wait("the list again", |s| s.contains("Silences ") && !s.contains("Read \u{00b7}"));
    walk.press(l, Action::Help, "?", "help over the list", |s| s.contains("Keys: main"));
    walk.tmux.keys(&["Escape"]);
    walk.wait("the list again", |s| s.contains("Silences ") && !s.contains("Keys: "));
    walk.press(l, Action::Command, ":", "the command line over the list", |s| {
        footer(s).starts_with(':')
    });
    // Esc and the next key sent at once read as Alt plus that key: wait
    // for the command line to close first.
    walk.tmux.keys(&["Escape"]);
    walk.wait("the command line closed", |s| {
        s.contains("Silences ") && !footer(s).starts_with(':')
    });
    walk.press(l, Action::Back, "q", "the list closed", |s| {
        !s.contains("Silences ") && s.contains("Root causes")
    });
    assert!(!walk.exit_file.exists(), "q in a list quit quell");
    walk.command("sources", "sources", |s| s.contains("Sources ") && s.contains("retry"));
    walk.press(l, Action::Retry, "r", "the retry", |s| {
        s.contains("retrying") || s.contains("nothing to retry")
    });
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
    walk.command("anomalies", "anomalies", |s| s.contains("Anomalies "));
    let s = walk.wait("the list's hints", |s| hints(s).contains("close"));
    assert!(!hints(&s).contains("expire") && !hints(&s).contains("retry"), "{s}");
    walk.tmux.keys(&["q"]);
    walk.main_screen();
    walk.command("forecasts", "forecasts", |s| s.contains("Forecasts "));
    walk.tmux.keys(&["q"]);
    walk.main_screen();
    walk.command("audit", "audit", |s| s.contains("Audit log") && s.contains("wall-clock UTC"));
    walk.tmux.keys(&["q"]);
    walk.main_screen();
}

fn walk_input(walk: &mut Walk) {
    let i = Context::Input;
    // Type, move, delete, complete, recall: the line behaves like a shell's.
    walk.tmux.keys(&[":"]);
    walk.tmux.literal("heme darkx");
    walk.press(i, Action::DeleteBack, "BSpace", "x deleted", |s| footer(s).contains(":heme dark"));
    walk.press(i, Action::LineStart, "Home", "at the start", |s| footer(s).contains(":heme"));
    walk.tmux.literal("t");
    walk.wait("typed at the cursor", |s| footer(s).contains(":theme dark"));
    walk.press(i, Action::LineEnd, "End", "at the end", |s| footer(s).contains(":theme dark"));
    walk.press(i, Action::CursorLeft, "Left", "one left", |s| footer(s).contains(":theme dark"));
    walk.press(i, Action::DeleteForward, "DC", "k deleted", |s| footer(s).contains(":theme dar"));
    walk.press(i, Action::CursorRight, "Right", "one right", |s| footer(s).contains(":theme dar"));
    walk.press(i, Action::WordLeft, "M-b", "a word left", |s| footer(s).contains(":theme dar"));
    walk.press(i, Action::DeleteToEnd, "C-k", "the rest deleted", |s| {
        footer(s).contains(":theme ") && !footer(s).contains("dar")
    });
    walk.press(i, Action::WordRight, "M-f", "a word right", |s| footer(s).contains(":theme"));
    walk.press(i, Action::DeleteWord, "C-w", "the word deleted", |s| {
        footer(s).starts_with(":") && !footer(s).contains("theme")
    });
    walk.tmux.literal("so");
    walk.press(i, Action::Complete, "Tab", "completed", |s| footer(s).contains(":sort "));
    walk.press(i, Action::DeleteToStart, "C-u", "the line cleared", |s| {
        !footer(s).contains("sort")
    });
    walk.tmux.literal("sort age");
    walk.press(i, Action::Submit, "Enter", "sorted", |s| s.contains("sorted by age"));
    walk.tmux.keys(&[":"]);
    walk.press(i, Action::HistoryPrev, "Up", "recalled", |s| footer(s).contains(":sort age"));
    walk.press(i, Action::HistoryNext, "Down", "the draft", |s| !footer(s).contains("sort age"));
    walk.press(i, Action::Cancel, "Escape", "left", |s| !footer(s).starts_with(':'));
}

fn walk_commands(walk: &mut Walk) {
    walk.command("theme", "theme", |s| s.contains("available:"));
    walk.command("theme", "theme light", |s| s.contains("theme: light"));
    walk.command("theme", "theme dark", |s| s.contains("theme: dark"));
    walk.command("sort", "sort severity", |s| s.contains("sorted by severity"));
    walk.command("ack", "ack e2e note", |s| footer(s).contains("ack"));
    walk.command("unack", "unack", |s| footer(s).contains("ack"));
    walk.command("silence", "silence alertname=\"E2eNothing\" for=1m", |s| {
        // "creating 1 silence(s)…", then the writer's answer.
        footer(s).contains("silence")
    });
    walk.command("resolved", "resolved hide", |s| s.contains("resolved incidents hidden"));
    walk.command("resolved", "resolved show", |s| s.contains("resolved incidents shown"));
    let bad = "/nonexistent-quell-dir/x.md";
    walk.command("export", &format!("export {bad}"), |s| s.contains("export to /nonexistent"));
    let good = walk.home.join("summary.md");
    walk.command("export", &format!("export {}", good.display()), |s| {
        s.contains("summary written")
    });
    let md = std::fs::read_to_string(&good).unwrap();
    assert!(md.contains(" UTC") && md.contains("**Started:** 20"), "{md}");
    walk.command("help", "help", |s| s.contains("Keys: main"));
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
    // The status messages so far, whole, newest first.
    walk.command("messages", "messages", |s| {
        s.contains("Status messages, newest first") && s.contains("theme: dark")
    });
    walk.tmux.keys(&["Escape"]);
    walk.main_screen();
}

fn run(w: u16, h: u16, quit_by_command: bool) -> BTreeSet<&'static str> {
    require_tmux();
    let mut walk = Walk::start(w, h);
    walk.wait("the first screen", |s| s.contains("Incidents") && s.contains('▶'));
    walk_help(&mut walk);
    walk_main(&mut walk);
    walk_runbooks(&mut walk);
    walk_lists(&mut walk);
    walk_input(&mut walk);
    walk_commands(&mut walk);
    let commands = walk.commands.clone();
    finish(walk, quit_by_command);
    let mut commands = commands;
    if quit_by_command {
        commands.insert("quit");
    }
    commands
}

#[test]
fn every_key_and_command_in_help_does_what_help_says() {
    let mut commands = run(80, 24, false);
    commands.extend(run(200, 50, true));
    let all: BTreeSet<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let untried: Vec<_> = all.difference(&commands).collect();
    assert!(untried.is_empty(), "commands help lists but the walk never ran: {untried:?}");
}
