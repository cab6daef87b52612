//! Runbook execution against real scripts written into temp dirs: hostile
//! label values, tampered or exposed scripts, symlink swaps, timeouts with
//! background grandchildren, and the audit trail of every run and refusal.
//!
//! Temp dirs live under cargo's target tmp dir, not /tmp: a world-writable
//! script directory is refused by design.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quell::runbook::audit::{AuditLog, Event};
use quell::runbook::exec::{self, RunEvent, Spawn, Stream};
use quell::runbook::expand::Target;
use quell::runbook::integrity::{self, sha256_hex};
use quell::runbook::run::Plan;
use support::runbook::{Fixture, grandchild_pid, grandchild_script, labels, run, wait_dead};

#[test]
fn hostile_label_values_are_one_literal_argument_or_refused() {
    let fx = Fixture::new("hostile");
    let side = fx.path("side-effect");
    let s = side.display().to_string();
    let mut rb = fx.arg_recorder();
    rb.args = vec!["--host".into(), "{label.instance}".into(), "{incident.id}".into()];
    rb.env.insert("TARGET".into(), "{label.instance}".into());

    let literal = [
        format!("x$(touch {s})"),
        format!("`touch {s}`"),
        format!("; touch {s}; rm -rf ~"),
        format!("a && touch {s} || touch {s} | cat > {s}"),
        format!("'\"$IFS{{touch,{s}}}\"'"),
        String::from_utf8_lossy(b"caf\xe9 \xff\xfe").into_owned(),
    ];
    for v in &literal {
        let _ = std::fs::remove_file(fx.path("args.bin"));
        let (outcome, lines) = run(&fx, &rb, &labels(&[("instance", v)])).expect(v);
        assert!(outcome.success(), "{v:?}: {outcome:?}");
        assert_eq!(lines, vec![(Stream::Stdout, "ran with 3 args".to_string())]);
        let args = fx.recorded_args().expect("the script ran");
        assert_eq!(args, vec![b"--host".to_vec(), v.as_bytes().to_vec(), b"inc-7".to_vec()]);
        assert!(!side.exists(), "{v:?} ran something besides the script");
    }

    let refused = [
        (format!("a\ntouch {s}"), "U+000A"),
        ("-rf".to_string(), "starts with '-'"),
        ("\x1b]52;c;cm0gLXJmIH4=\x07".to_string(), "U+001B"),
        ("x\x1b[2J".to_string(), "U+001B"),
        (format!("{s}\0"), "NUL"),
        ("a".repeat(100_000), "limit"),
    ];
    for (v, why) in &refused {
        let _ = std::fs::remove_file(fx.path("args.bin"));
        let e = run(&fx, &rb, &labels(&[("instance", v)])).expect_err("must refuse");
        assert!(e.contains("{label.instance}") && e.contains(why), "{e}");
        assert!(fx.recorded_args().is_none(), "a refused run must not start");
        assert!(!side.exists());
    }

    let audit = fx.audit();
    let count = |ev| audit.iter().filter(|e| e.event == Some(ev)).count();
    assert_eq!(count(Event::Started), literal.len());
    assert_eq!(count(Event::Finished), literal.len());
    assert_eq!(count(Event::Refused), refused.len());
    let first = audit.iter().find(|e| e.event == Some(Event::Started)).unwrap();
    assert_eq!(first.argv, ["--host", literal[0].as_str(), "inc-7"]);
    assert_eq!(first.env["TARGET"], literal[0]);
    assert_eq!(first.incident, "inc-7");
    assert_eq!(first.alerts, ["fp-1"]);
    assert!(!first.who.user.is_empty());
    assert!(audit.iter().any(|e| e.reason.as_deref().is_some_and(|r| r.contains("NUL"))));
}

#[test]
fn a_permissive_regex_still_passes_big_and_multiline_values_as_one_element() {
    let fx = Fixture::new("regex");
    let side = fx.path("side");
    let mut rb = fx.arg_recorder();
    rb.args = vec!["{label.blob}".into()];
    rb.validate.insert("label.blob".into(), "(?s).*".into());
    let big = format!("{}\n$(touch {})\n-rf", "x".repeat(100_000), side.display());
    let (outcome, _) = run(&fx, &rb, &labels(&[("blob", &big)])).unwrap();
    assert!(outcome.success());
    assert_eq!(fx.recorded_args().unwrap(), vec![big.as_bytes().to_vec()]);
    assert!(!side.exists());
}

#[test]
fn a_modified_script_is_refused_and_audited() {
    let fx = Fixture::new("modified");
    let rb = fx.arg_recorder();
    std::fs::write(&rb.path, "#!/bin/sh\ntouch /tmp/quell-test-should-not-exist\n").unwrap();
    let e = run(&fx, &rb, &labels(&[])).unwrap_err();
    assert!(e.contains("sha256 mismatch"), "{e}");
    assert!(fx.recorded_args().is_none());
    let audit = fx.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].event, Some(Event::Refused));
    assert_eq!(audit[0].sha256, rb.sha256);
    let actual = sha256_hex(&std::fs::read(&rb.path).unwrap());
    assert_eq!(audit[0].actual_sha256.as_deref(), Some(actual.as_str()));
}

#[test]
fn world_or_group_writable_scripts_and_dirs_are_refused() {
    let fx = Fixture::new("perms");
    let rb = fx.arg_recorder();
    let script_dir = fx.dir.join("scripts");
    for (path, mode, why) in [
        (Path::new(&rb.path), 0o702, "0702"),
        (Path::new(&rb.path), 0o720, "0720"),
        (script_dir.as_path(), 0o777, "0777"),
        (fx.dir.as_path(), 0o775, "0775"),
    ] {
        let before = std::fs::metadata(path).unwrap().permissions();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        let e = run(&fx, &rb, &labels(&[])).unwrap_err();
        assert!(e.contains("writable by group or others") && e.contains(why), "{e}");
        std::fs::set_permissions(path, before).unwrap();
    }
    assert!(fx.recorded_args().is_none());
    assert_eq!(fx.audit().len(), 4);
    assert!(fx.audit().iter().all(|e| e.event == Some(Event::Refused)));
    // Restored permissions run again.
    assert!(run(&fx, &rb, &labels(&[])).unwrap().0.success());
}

#[test]
fn a_writable_config_file_refuses_every_run() {
    let mut fx = Fixture::new("config");
    let rb = fx.arg_recorder();
    let cfg = fx.path("config.toml");
    std::fs::write(&cfg, "").unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o666)).unwrap();
    fx.exec.config_file = Some(cfg.clone());
    let e = run(&fx, &rb, &labels(&[])).unwrap_err();
    assert!(e.starts_with("config file:") && e.contains("0666"), "{e}");
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(run(&fx, &rb, &labels(&[])).unwrap().0.success());
}

#[test]
fn the_file_that_declared_the_runbook_is_checked_too() {
    let fx = Fixture::new("source");
    let mut rb = fx.arg_recorder();
    let decl = fx.path("restart.toml");
    std::fs::write(&decl, "").unwrap();
    std::fs::set_permissions(&decl, std::fs::Permissions::from_mode(0o620)).unwrap();
    rb.source = Some(decl.clone());
    let e = run(&fx, &rb, &labels(&[])).unwrap_err();
    assert!(e.contains("restart.toml") && e.contains("0620"), "{e}");
    assert!(fx.recorded_args().is_none());
    std::fs::set_permissions(&decl, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(run(&fx, &rb, &labels(&[])).unwrap().0.success());
}

#[test]
fn a_symlinked_script_is_refused() {
    let fx = Fixture::new("symlink");
    let rb = fx.arg_recorder();
    let link = fx.dir.join("scripts").join("link.sh");
    std::os::unix::fs::symlink(&rb.path, &link).unwrap();
    let mut via_link = rb.clone();
    via_link.path = link.display().to_string();
    let e = run(&fx, &via_link, &labels(&[])).unwrap_err();
    assert!(e.contains("symlink"), "{e}");
    assert!(fx.recorded_args().is_none());
}

/// Whatever happens to the path after the check, the checked bytes run.
#[test]
fn swapping_or_rewriting_the_script_after_the_check_runs_the_checked_bytes() {
    let fx = Fixture::new("swap");
    let good = "#!/bin/sh\necho checked-bytes\n";
    let rb = fx.script("swap.sh", good);
    let evil_side = fx.path("evil-ran");
    let evil = format!("#!/bin/sh\ntouch '{}'\necho evil\n", evil_side.display());

    for swap in ["symlink", "rename", "rewrite-in-place"] {
        std::fs::write(&rb.path, good).unwrap();
        let verified = integrity::verify(Path::new(&rb.path), &rb.sha256).unwrap();
        let evil_path = fx.dir.join("scripts").join("evil.sh");
        std::fs::write(&evil_path, &evil).unwrap();
        std::fs::set_permissions(&evil_path, std::fs::Permissions::from_mode(0o700)).unwrap();
        match swap {
            "symlink" => {
                std::fs::remove_file(&rb.path).unwrap();
                std::os::unix::fs::symlink(&evil_path, &rb.path).unwrap();
            }
            "rename" => std::fs::rename(&evil_path, &rb.path).unwrap(),
            _ => std::fs::write(&rb.path, &evil).unwrap(),
        }
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let spawn = Spawn {
            script: verified,
            argv: Vec::new(),
            env: exec::child_env(&[]),
            timeout: Duration::from_secs(10),
            grace: Duration::from_millis(200),
            max_output: 1000,
        };
        let outcome = exec::start(spawn, move |ev| {
            if let RunEvent::Line { text, .. } = ev {
                sink.lock().unwrap().push(text);
            }
        })
        .unwrap()
        .join();
        assert!(outcome.success(), "{swap}: {outcome:?}");
        assert_eq!(*lines.lock().unwrap(), ["checked-bytes"], "{swap}");
        assert!(!evil_side.exists(), "{swap}: the swapped-in script ran");
        let _ = std::fs::remove_file(&rb.path);
        let _ = std::fs::remove_file(&evil_path);
    }
    // And the next run sees the swap and refuses it.
    std::fs::write(&rb.path, &evil).unwrap();
    let e = run(&fx, &rb, &labels(&[])).unwrap_err();
    assert!(e.contains("sha256 mismatch"), "{e}");
}

#[test]
fn timeout_kills_the_script_and_its_background_grandchild() {
    let fx = Fixture::new("timeout");
    let mut rb = grandchild_script(&fx, "slow.sh", "sleep 300");
    rb.timeout = quell::config::HumanDuration(Duration::from_millis(500));
    let began = Instant::now();
    let (outcome, lines) = run(&fx, &rb, &labels(&[])).unwrap();
    assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
    assert!(outcome.timed_out && !outcome.killed, "{outcome:?}");
    assert_eq!(outcome.signal, Some(libc_sigterm()), "{outcome:?}");
    assert!(outcome.describe().contains("timeout"));
    assert_eq!(lines, vec![(Stream::Stdout, "started".to_string())]);
    assert!(wait_dead(grandchild_pid(&fx, "slow.sh")), "the grandchild survived");
    let fin = fx.audit().into_iter().find(|e| e.event == Some(Event::Finished)).unwrap();
    assert!(fin.timed_out);
    assert_eq!(fin.signal, Some(libc_sigterm()));
}

fn libc_sigterm() -> i32 {
    15
}

#[test]
fn a_script_that_ignores_sigterm_is_killed_after_the_grace() {
    let fx = Fixture::new("stubborn");
    let mut rb = fx.script("stubborn.sh", "#!/bin/sh\ntrap '' TERM\necho ignoring\nsleep 300\n");
    rb.timeout = quell::config::HumanDuration(Duration::from_millis(300));
    let (outcome, _) = run(&fx, &rb, &labels(&[])).unwrap();
    assert!(outcome.timed_out);
    assert_eq!(outcome.signal, Some(9), "{outcome:?}");
}

#[test]
fn kill_on_request_and_leftovers_die_when_the_script_ends() {
    let fx = Fixture::new("kill");
    let rb = grandchild_script(&fx, "wait.sh", "sleep 300");
    let target_labels = labels(&[]);
    let target = Target { labels: &target_labels, incident_id: "i", fingerprint: "f" };
    let plan = Plan::build(&rb, &target, Vec::new(), false).unwrap();
    let handle = fx.exec.start(&plan, "yes", |_| {}).unwrap();
    let pidfile = fx.path("wait.sh.pid");
    let until = Instant::now() + Duration::from_secs(5);
    while !pidfile.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    handle.killer().kill();
    let outcome = handle.join();
    assert!(outcome.killed && !outcome.timed_out, "{outcome:?}");
    assert!(wait_dead(grandchild_pid(&fx, "wait.sh")));

    // A script that exits at once leaves a background sleep behind: the
    // run still ends promptly and the leftover is killed.
    let rb = grandchild_script(&fx, "quick.sh", "exit 3");
    let began = Instant::now();
    let (outcome, _) = run(&fx, &rb, &labels(&[])).unwrap();
    assert_eq!(outcome.exit_code, Some(3));
    assert!(began.elapsed() < Duration::from_secs(5), "{:?}", began.elapsed());
    assert!(wait_dead(grandchild_pid(&fx, "quick.sh")));
}

#[test]
fn output_is_sanitized_capped_counted_and_hashed() {
    let fx = Fixture::new("output");
    let body = "#!/bin/sh\nprintf 'one\\033]52;c;eA==\\007\\n'\necho two >&2\ni=0\nwhile [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done\n";
    let mut rb = fx.script("out.sh", body);
    rb.max_output = 100;
    let (outcome, lines) = run(&fx, &rb, &labels(&[])).unwrap();
    assert!(outcome.success());
    assert!(lines.contains(&(Stream::Stdout, "one".to_string())), "{lines:?}");
    assert!(lines.contains(&(Stream::Stderr, "two".to_string())), "{lines:?}");
    assert!(outcome.truncated);
    let note = lines.iter().filter(|(s, _)| *s == Stream::Note).count();
    assert_eq!(note, 1);
    assert!(lines.len() < 30, "{}", lines.len());
    let mut expected = b"one\x1b]52;c;eA==\x07\n".to_vec();
    let stdout_rest: String = (0..200).map(|i| format!("line-{i}\n")).collect();
    expected.extend_from_slice(stdout_rest.as_bytes());
    assert_eq!(outcome.output_bytes, expected.len() as u64 + 4);
}

#[test]
fn the_environment_is_cleared_except_the_allowlist_and_the_runbook_env() {
    let fx = Fixture::new("env");
    let mut rb = fx.script("env.sh", "#!/bin/sh\nenv\n");
    rb.env.insert("TARGET".into(), "{label.service}".into());
    let (outcome, lines) = run(&fx, &rb, &labels(&[("service", "pay")])).unwrap();
    assert!(outcome.success());
    let names: Vec<&str> = lines.iter().filter_map(|(_, l)| l.split('=').next()).collect();
    for n in &names {
        let allowed = exec::ENV_ALLOWLIST.contains(n)
            || n.starts_with("QUELL_")
            || ["TARGET", "PWD", "SHLVL", "_", "OLDPWD"].contains(n);
        assert!(allowed, "leaked env var {n}");
    }
    assert!(lines.iter().any(|(_, l)| l == "TARGET=pay"));
    assert!(lines.iter().any(|(_, l)| l == "QUELL_INCIDENT=inc-7"));
    assert!(lines.iter().any(|(_, l)| l == "QUELL_DRY_RUN=0"));
}

#[test]
fn no_audit_no_run() {
    let mut fx = Fixture::new("noaudit");
    let rb = fx.arg_recorder();
    // The log's path is a directory: nothing can be appended.
    let blocked = fx.path("blocked");
    std::fs::create_dir_all(&blocked).unwrap();
    fx.exec.audit = AuditLog::new(blocked);
    let e = run(&fx, &rb, &labels(&[])).unwrap_err();
    assert!(e.contains("not run") && e.contains("audit"), "{e}");
    assert!(fx.recorded_args().is_none(), "the script ran without an audit entry");
}

#[test]
fn dry_run_args_replace_args_and_are_audited_as_dry() {
    let fx = Fixture::new("dry");
    let mut rb = fx.arg_recorder();
    rb.args = vec!["{label.service}".into()];
    rb.dry_run_args = Some(vec!["--dry-run".into(), "{label.service}".into()]);
    let l = labels(&[("service", "pay")]);
    let target = Target { labels: &l, incident_id: "i", fingerprint: "f" };
    let plan = Plan::build(&rb, &target, Vec::new(), true).unwrap();
    assert!(plan.dry_run);
    let outcome = fx.exec.start(&plan, "yes", |_| {}).unwrap().join();
    assert!(outcome.success());
    assert_eq!(fx.recorded_args().unwrap(), vec![b"--dry-run".to_vec(), b"pay".to_vec()]);
    assert!(fx.audit().iter().all(|e| e.dry_run));
}

/// A grandchild that leaves the script's session and ignores SIGTERM still
/// dies when the run times out (quell adopts it as a child subreaper).
#[test]
fn a_setsid_grandchild_that_ignores_sigterm_dies_at_the_timeout() {
    let fx = Fixture::new("setsid");
    let pidfile = fx.path("escaped.pid");
    let rb = fx.script(
        "escape.sh",
        &format!(
            "#!/bin/bash\nsetsid bash -c 'trap \"\" TERM; exec sleep 600' &\necho $! > '{}'\necho started\nsleep 300\n",
            pidfile.display()
        ),
    );
    let mut rb = rb;
    rb.timeout = quell::config::HumanDuration(Duration::from_millis(800));
    let began = Instant::now();
    let (outcome, _) = run(&fx, &rb, &labels(&[])).unwrap();
    assert!(outcome.timed_out, "{outcome:?}");
    assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
    let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let alive = !wait_dead(pid);
    if alive {
        // Do not leave it behind for the next test run.
        let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    assert!(!alive, "the setsid grandchild {pid} survived the timeout");
    // And it was reaped, not left a zombie under its adopter.
    let until = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "{pid} left as a zombie");
}

/// A runbook declared in `runbooks/NAME.toml` still depends on the main
/// config (its sources, keys and settings): a main config others can write
/// refuses the run, naming that file.
#[test]
fn a_writable_main_config_refuses_runbooks_from_runbook_files() {
    let fx = Fixture::new("mainconfig");
    let rb = fx.arg_recorder();
    let cfg = fx.path("config.toml");
    std::fs::write(&cfg, "[ui]\ntheme = \"dark\"\n").unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir = fx.path("runbooks");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let decl = dir.join("record.toml");
    std::fs::write(
        &decl,
        format!(
            "id = \"record\"\ntitle = \"record\"\npath = \"{}\"\nsha256 = \"{}\"\n",
            rb.path, rb.sha256
        ),
    )
    .unwrap();
    std::fs::set_permissions(&decl, std::fs::Permissions::from_mode(0o600)).unwrap();
    let loaded = quell::config::load(Some(&cfg)).unwrap();
    let from_file = loaded.config.runbooks.iter().find(|r| r.id == "record").unwrap().clone();
    assert_eq!(from_file.source.as_deref(), Some(decl.as_path()));
    assert!(run(&fx, &from_file, &labels(&[])).unwrap().0.success());

    // The main config becomes world-writable while quell runs.
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::fs::remove_file(fx.path("args.bin")).unwrap();
    let e = run(&fx, &from_file, &labels(&[])).unwrap_err();
    assert!(
        e.starts_with("config file:") && e.contains("config.toml") && e.contains("0666"),
        "{e}"
    );
    assert!(fx.recorded_args().is_none(), "the script ran");
    let refusal = fx.audit().into_iter().rev().find(|e| e.event == Some(Event::Refused)).unwrap();
    assert!(refusal.reason.unwrap_or_default().contains("config.toml"));
    // Group-writable too.
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o620)).unwrap();
    assert!(run(&fx, &from_file, &labels(&[])).unwrap_err().contains("0620"));
}
