//! Start-up check that every secret and certificate a source names can be
//! had: files readable, environment variables set. A failure is a config
//! error at the line that names it (file, line, key, which source), before
//! the terminal is touched, instead of a bare "not set" when the source
//! starts. It reads nothing but file metadata and opens; no secret is kept
//! or echoed.

use std::path::{Path, PathBuf};

use super::{Config, ConfigError, ConnectionConfig};

/// Checks the sources of `config`, read from `path` whose text is `text`.
///
/// # Errors
/// The first secret or certificate that cannot be had, located.
pub(super) fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let sources = config
        .alertmanager
        .iter()
        .map(|s| ("alertmanager", s.name.as_str(), &s.conn))
        .chain(config.prometheus.iter().map(|s| ("prometheus", s.name.as_str(), &s.conn)))
        .chain(config.logs.loki.iter().map(|s| ("logs.loki", s.name.as_str(), &s.conn)));
    for (table, name, conn) in sources {
        check_source(conn).map_err(|p| {
            let message = format!("source {:?}: {}", crate::sanitize::clean_line(name, 60), p.why);
            ConfigError::locate_value(path, text, &format!("{table}.{}", p.key), &p.value, message)
        })?;
    }
    Ok(())
}

/// One missing secret: the key below the source's table, the value written
/// there (to find its line), and why it cannot be used.
struct Problem {
    key: &'static str,
    value: String,
    why: String,
}

fn check_source(conn: &ConnectionConfig) -> Result<(), Problem> {
    let (a, t) = (&conn.auth, &conn.tls);
    let files: [(&'static str, &Option<PathBuf>, &str); 5] = [
        ("auth.token_file", &a.token_file, "its bearer token"),
        ("auth.password_file", &a.password_file, "its basic-auth password"),
        ("tls.ca_file", &t.ca_file, "the CA certificates it trusts"),
        ("tls.cert_file", &t.cert_file, "its client certificate"),
        ("tls.key_file", &t.key_file, "its client key"),
    ];
    for (key, file, what) in files {
        if let Some(f) = file
            && let Err(e) = std::fs::File::open(f)
        {
            return Err(Problem {
                key,
                value: f.display().to_string(),
                why: format!(
                    "cannot read {} ({}), which holds {what}",
                    crate::sanitize::clean_line(&f.display().to_string(), 200),
                    e.kind()
                ),
            });
        }
    }
    let vars = [
        ("auth.token_env", &a.token_env, "its bearer token"),
        ("auth.password_env", &a.password_env, "its basic-auth password"),
    ];
    for (key, var, what) in vars {
        if let Some(v) = var
            && std::env::var_os(v).is_none_or(|x| x.is_empty())
        {
            return Err(Problem {
                key,
                value: v.clone(),
                why: format!(
                    "the environment variable {} is not set; it should hold {what}",
                    crate::sanitize::clean_line(v, 80)
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{ConfigError, parse};

    fn checked(text: &str) -> Result<(), ConfigError> {
        let path = Path::new("/etc/quell/config.toml");
        let cfg = parse(text, path).unwrap();
        super::check(&cfg, path, text)
    }

    fn located(text: &str) -> (usize, String, String) {
        match checked(text).unwrap_err() {
            ConfigError::Invalid { line, key, message, .. } => (line, key.unwrap(), message),
            e => panic!("{e:?}"),
        }
    }

    const TWO: &str = "[[alertmanager]]\nname = \"eu\"\nurls = [\"http://am-eu\"]\n\
                       [alertmanager.auth]\ntoken_file = \"/etc/hostname\"\n\n\
                       [[alertmanager]]\nname = \"us\"\nurls = [\"http://am-us\"]\n";

    #[test]
    fn a_missing_token_file_names_file_line_key_and_source() {
        let text = format!("{TWO}[alertmanager.auth]\ntoken_file = \"/nonexistent/quell-token\"\n");
        let (line, key, message) = located(&text);
        assert_eq!((line, key.as_str()), (11, "alertmanager.auth.token_file"), "{message}");
        assert!(message.contains("source \"us\"") && message.contains("/nonexistent/quell-token"));
        let shown = checked(&text).unwrap_err().to_string();
        assert!(shown.starts_with("invalid config /etc/quell/config.toml:11:"), "{shown}");
    }

    #[test]
    fn an_unset_token_env_and_a_missing_ca_are_located_too() {
        let var = format!("QUELL_TEST_UNSET_{}", std::process::id());
        let text = format!(
            "[[prometheus]]\nname = \"p\"\nurl = \"http://p\"\n[prometheus.auth]\ntoken_env = \"{var}\"\n"
        );
        let (line, key, message) = located(&text);
        assert_eq!((line, key.as_str()), (5, "prometheus.auth.token_env"), "{message}");
        assert!(message.contains(&var) && message.contains("not set"), "{message}");
        let text = "[[logs.loki]]\nname = \"l\"\nurl = \"http://l\"\nquery = '{a=\"b\"}'\n\
                    [logs.loki.tls]\nca_file = \"/nonexistent/ca.pem\"\n";
        let (line, key, message) = located(text);
        assert_eq!((line, key.as_str()), (6, "logs.loki.tls.ca_file"), "{message}");
        assert!(message.contains("CA certificates"), "{message}");
    }

    #[test]
    fn readable_files_and_set_variables_pass() {
        assert!(checked(TWO).is_ok());
        assert!(checked("[ui]\ntheme = \"dark\"\n").is_ok());
    }
}
