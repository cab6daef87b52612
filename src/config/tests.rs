use super::*;

fn err(text: &str) -> ConfigError {
    parse(text, Path::new("/etc/q.toml")).expect_err("should fail")
}

#[test]
fn empty_file_is_defaults() {
    assert_eq!(parse("", Path::new("x")).unwrap(), Config::default());
}

#[test]
fn unknown_key_names_line_and_key() {
    let e = err("[ui]\ntheme = \"dark\"\nthemee = \"x\"\n");
    let text = e.to_string();
    assert!(text.contains("/etc/q.toml:3:1"), "{text}");
    assert!(text.contains("ui.themee"), "{text}");
    assert!(text.contains("unknown field"), "{text}");
}

#[test]
fn wrong_type_says_what_was_expected() {
    let e = err("[demo]\nseed = \"one\"\n");
    let text = e.to_string();
    assert!(text.contains(":2:"), "{text}");
    assert!(text.contains("demo.seed"), "{text}");
    assert!(text.contains("u64") || text.contains("integer"), "{text}");
}

#[test]
fn syntax_error_points_at_line() {
    let text = err("[ui\ntheme = 1\n").to_string();
    assert!(text.contains("/etc/q.toml:1:"), "{text}");
}

#[test]
fn validation_errors_locate_the_key() {
    let text = err("[demo]\nseed = 3\nspeed = -1.0\n").to_string();
    assert!(text.contains(":3:"), "{text}");
    assert!(text.contains("demo.speed"), "{text}");
}

#[test]
fn bad_runbook_matcher_is_rejected() {
    let text = err("[[runbook]]\nid = \"r\"\ntitle = \"t\"\nmatch = [\"service=~\\\"(\\\"\"]\n")
        .to_string();
    assert!(text.contains("invalid regex"), "{text}");
}

#[test]
fn runbooks_parse_every_option_and_reject_unsafe_declarations() {
    let sha = "ab".repeat(32);
    let ok = format!(
        "[[runbook]]\nid = \"r\"\ntitle = \"t\"\npath = \"/opt/r.sh\"\nsha256 = \"{sha}\"\n\
         args = [\"--host\", \"{{label.instance}}\"]\nenv = {{ T = \"{{incident.id}}\" }}\n\
         validate = {{ \"label.instance\" = \"[a-z0-9.-]+\" }}\ndry_run_args = [\"-n\"]\n\
         requires_ack = true\nmode = \"interactive\"\ntimeout = \"30s\"\nmax_output = 4096\n"
    );
    let c = parse(&ok, Path::new("t.toml")).unwrap();
    let rb = &c.runbooks[0];
    assert_eq!(rb.mode, crate::runbook::RunMode::Interactive);
    assert_eq!(rb.timeout, HumanDuration::secs(30));
    assert_eq!((rb.max_output, rb.requires_ack), (4096, true));
    assert_eq!(rb.env["T"], "{incident.id}");
    let bad = |from: &str, to: &str| err(&ok.replace(from, to)).to_string();
    let e = bad("path = \"/opt/r.sh\"", "path = \"r.sh\"");
    assert!(e.contains("runbook.path") && e.contains("absolute"), "{e}");
    let e = bad(&sha, "abc");
    assert!(e.contains("sha256") && e.contains("64 hex"), "{e}");
    let e = bad("{label.instance}", "{label.instance");
    assert!(e.contains("unclosed"), "{e}");
    let e = bad("{incident.id}", "{env.HOME}");
    assert!(e.contains("unknown placeholder"), "{e}");
    let e = bad("[a-z0-9.-]+", "(");
    assert!(e.contains("invalid regex"), "{e}");
    let e = bad("mode = \"interactive\"", "mode = \"shell\"");
    assert!(e.contains("mode"), "{e}");
}

#[test]
fn bad_duration_is_rejected() {
    let text = err("[engine]\ngroup_window = \"5 minutes\"\n").to_string();
    assert!(text.contains("engine.group_window"), "{text}");
    assert!(text.contains("invalid duration"), "{text}");
}

#[test]
fn print_config_round_trips() {
    let c =
        parse("[ui]\ntheme = \"light\"\n[topology]\ncalls = [[\"a\", \"b\"]]\n", Path::new("x"))
            .unwrap();
    let again = parse(&c.to_toml().unwrap(), Path::new("x")).unwrap();
    assert_eq!(c, again);
    assert!(again.topology.to_topology().contains("b"));
}

#[test]
fn explicit_missing_file_is_an_error() {
    let e = load(Some(Path::new("/nonexistent/quell.toml"))).expect_err("missing");
    assert!(matches!(e, ConfigError::Io { .. }));
}

#[test]
fn unknown_theme_and_bad_key_are_config_errors() {
    let text = err("[ui]\ntheme = \"no-such-theme\"\n").to_string();
    assert!(text.contains("ui.theme") && text.contains(":2:"), "{text}");
    let text = err("[keys]\nquit = [\"ctrl-ctrl-\"]\n").to_string();
    assert!(text.contains("keys") && text.contains("quit"), "{text}");
    let text = err("[keys]\nno_such_action = [\"x\"]\n").to_string();
    assert!(text.contains("no_such_action"), "{text}");
}

#[test]
fn example_config_parses_to_the_defaults_and_mentions_every_key() {
    let text = include_str!("../../config.example.toml");
    let parsed = parse(text, Path::new("config.example.toml")).unwrap();
    assert_eq!(parsed, Config::default());
    let defaults: toml::Table = toml::from_str(&Config::default().to_toml().unwrap()).unwrap();
    for (table, value) in &defaults {
        assert!(
            text.contains(&format!("[{table}]")) || text.contains(&format!("[[{table}]]")),
            "{table}"
        );
        if let Some(keys) = value.as_table() {
            for key in keys.keys() {
                assert!(
                    text.contains(&format!("{key} =")),
                    "config.example.toml lacks {table}.{key}"
                );
            }
        }
    }
    for field in [
        "themes_dir",
        "id",
        "title",
        "path",
        "sha256",
        "args",
        "match",
        "key",
        "confirm",
        "dangerous",
        "env",
        "validate",
        "dry_run_args",
        "requires_ack",
        "mode",
        "timeout",
        "max_output",
        "service",
        "argv",
        "unit",
        "query",
        "service_labels",
        "limit",
        "lookback",
    ] {
        assert!(text.contains(&format!("{field} =")), "config.example.toml lacks {field}");
    }
}

#[test]
fn log_sources_parse_strictly() {
    let ok = "[[logs.file]]\npath = \"/var/log/a.log\"\nservice = \"web\"\n\
              [[logs.command]]\nargv = [\"kubectl\", \"logs\", \"-f\", \"x\"]\nservice = \"api\"\n\
              [[logs.journald]]\nunit = \"db.service\"\nservice = \"db\"\n";
    let c = parse(ok, Path::new("t.toml")).unwrap();
    assert_eq!(c.logs.file[0].service, "web");
    assert_eq!(c.logs.command[0].argv[0], "kubectl");
    assert_eq!(c.logs.journald[0].unit.as_deref(), Some("db.service"));
    let e = err("[[logs.command]]\nargv = []\nservice = \"api\"\n").to_string();
    assert!(e.contains("logs.command") && e.contains("argv"), "{e}");
    let e = err("[[logs.file]]\npath = \"/a\"\nservice = \"\"\n").to_string();
    assert!(e.contains("service"), "{e}");
    let e = err("[[logs.file]]\npath = \"/a\"\nservice = \"w\"\nshell = true\n").to_string();
    assert!(e.contains("shell"), "{e}");
}

#[test]
fn notify_level_is_checked() {
    let text = err("[ui]\nnotify = \"loud\"\n").to_string();
    assert!(text.contains("ui.notify") && text.contains("loud"), "{text}");
    let cfg = parse("[ui]\nnotify = \"off\"\n", Path::new("t.toml")).unwrap();
    assert_eq!(cfg.ui.notify_level(), Ok(None));
    assert_eq!(Config::default().ui.notify_level(), Ok(Some(crate::model::Severity::Critical)));
}

/// The commented `[[logs.loki]]` example, uncommented, is a valid source
/// with every Loki-specific key set.
#[test]
fn loki_example_parses_with_every_key() {
    let text = include_str!("../../config.example.toml");
    let start = text.find("#   [[logs.loki]]").unwrap();
    let block: Vec<&str> = text[start..].lines().map_while(|l| l.strip_prefix("#   ")).collect();
    let c = parse(&block.join("\n"), Path::new("example")).unwrap();
    let l = &c.logs.loki[0];
    assert_eq!(l.name, "loki-prod");
    assert!(l.query.starts_with("{namespace=\"shop\"}"), "{}", l.query);
    assert_eq!(l.service_labels, ["service", "app", "job"]);
    assert_eq!(l.service.as_deref(), Some("shop"));
    assert_eq!((l.limit, l.lookback.0.as_secs()), (1000, 300));
    assert_eq!(l.conn.tenant.as_deref(), Some("team-a"));
    assert_eq!(l.conn.auth.token_env.as_deref(), Some("LOKI_TOKEN"));
    assert!(l.incidents);
    assert_eq!(l.incident_query.as_deref(), Some("{namespace=\"shop\", app=~\"$services\"}"));
    assert_eq!(l.incident_lookback.0.as_secs(), 1800);
    assert!(c.has_sources());
}

#[test]
fn loki_mistakes_are_located_errors() {
    let base = "[[logs.loki]]\nname = \"l\"\nurl = \"http://loki:3100\"\n";
    for (extra, want) in [
        ("query = 'rate({a=\"b\"}[1m])'\n", "logs.loki.query"),
        ("query = '{a=\"b\"}'\nlimit = 0\n", "logs.loki.limit"),
        ("query = '{a=\"b\"}'\nlookback = \"0s\"\n", "logs.loki.lookback"),
        ("query = '{a=\"b\"}'\nincident_query = '{app=\"x\"}'\n", "logs.loki.incident_query"),
        (
            "query = '{a=\"b\"}'\nincident_query = 'app=~\"$services\"'\n",
            "logs.loki.incident_query",
        ),
        ("query = '{a=\"b\"}'\nselector = \"x\"\n", "selector"),
        ("query = '{a=\"b\"}'\n[logs.loki.tls]\ncert_file = \"c\"\n", "key_file"),
    ] {
        let text = format!("{base}{extra}");
        let e = err(&text).to_string();
        assert!(e.contains(want), "{text}\n=> {e}");
    }
    let dup = format!(
        "{base}query = '{{a=\"b\"}}'\n[[alertmanager]]\nname = \"l\"\nurls = [\"http://a\"]\n"
    );
    assert!(err(&dup).to_string().contains("duplicate"));
}

#[test]
fn loki_sources_round_trip_through_print_config() {
    let text = "[[logs.loki]]\nname = \"l\"\nurl = \"https://loki:3100\"\nquery = '{app=\"x\"} |= \"err\"'\n\
                tenant = \"t\"\nlimit = 500\n[logs.loki.auth]\nusername = \"u\"\npassword_env = \"LOKI_PW\"\n";
    let c = parse(text, Path::new("x")).unwrap();
    let printed = c.to_toml().unwrap();
    let again = parse(&printed, Path::new("x")).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(c, again);
    assert_eq!(again.logs.loki[0].limit, 500);
    assert_eq!(again.logs.loki[0].conn.auth.password_env.as_deref(), Some("LOKI_PW"));
}

#[test]
fn runbook_files_beside_the_config_load_in_name_order_with_their_source() {
    let dir = std::env::temp_dir().join(format!("quell-rbfiles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("runbooks")).unwrap();
    let sha = "cd".repeat(32);
    let rb = |id: &str| {
        format!("id = \"{id}\"\ntitle = \"T {id}\"\npath = \"/opt/{id}.sh\"\nsha256 = \"{sha}\"\n")
    };
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, format!("[[runbook]]\n{}", rb("main"))).unwrap();
    std::fs::write(dir.join("runbooks/b.toml"), rb("second")).unwrap();
    std::fs::write(dir.join("runbooks/a.toml"), rb("first")).unwrap();
    std::fs::write(dir.join("runbooks/notes.txt"), "not a runbook").unwrap();
    let loaded = load(Some(&cfg)).unwrap();
    let ids: Vec<&str> = loaded.config.runbooks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["main", "first", "second"]);
    assert_eq!(loaded.config.runbooks[0].source.as_deref(), Some(cfg.as_path()));
    let a = dir.join("runbooks/a.toml");
    assert_eq!(loaded.config.runbooks[1].source.as_deref(), Some(a.as_path()));

    std::fs::write(dir.join("runbooks/c.toml"), rb("first")).unwrap();
    let e = load(Some(&cfg)).unwrap_err().to_string();
    assert!(e.contains("c.toml:1") && e.contains("duplicate runbook id"), "{e}");
    std::fs::write(dir.join("runbooks/c.toml"), format!("{}shell = true\n", rb("third"))).unwrap();
    let e = load(Some(&cfg)).unwrap_err().to_string();
    assert!(e.contains("c.toml:5") && e.contains("shell"), "{e}");
    std::fs::write(dir.join("runbooks/c.toml"), rb("third").replace("/opt/", "opt/")).unwrap();
    let e = load(Some(&cfg)).unwrap_err().to_string();
    assert!(e.contains("c.toml:3") && e.contains("absolute"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
