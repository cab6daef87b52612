//! Configuration: embedded defaults, then the user's TOML file, then
//! environment, then flags.
//!
//! Owns where the file is found, parsing it strictly (unknown keys are
//! errors), and turning every problem into a [`ConfigError`] that names the
//! file, line, key and what was expected — before the terminal is touched.
//! It performs no network I/O and never logs secrets.

mod error;
mod runbook_files;
mod secrets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::base::HumanDuration;
pub use crate::base::paths::{config_dir, data_dir};
pub use crate::connectors::settings::{
    AlertmanagerConfig, AuthConfig, ConnectionConfig, PrometheusConfig, SignalQuery, TlsConfig,
    TopologyConfig,
};
pub use error::ConfigError;

use crate::engine::EngineConfig;
use crate::runbook::Runbook;
use crate::store::StoreLimits;

/// The whole configuration. Every key is documented in `config.example.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub ui: UiConfig,
    /// Acknowledgements and silences written to Alertmanager.
    pub ack: crate::ack::AckConfig,
    /// Action name → key specs, e.g. `quit = ["q", "ctrl-c"]`.
    pub keys: BTreeMap<String, Vec<String>>,
    pub store: StoreLimits,
    pub engine: EngineConfig,
    pub demo: DemoConfig,
    pub topology: TopologyConfig,
    pub logs: crate::connectors::logs::LogsConfig,
    #[serde(rename = "runbook")]
    pub runbooks: Vec<Runbook>,
    /// Alertmanager clusters, `[[alertmanager]]`.
    pub alertmanager: Vec<AlertmanagerConfig>,
    /// Prometheus-compatible engines, `[[prometheus]]`.
    pub prometheus: Vec<PrometheusConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Built-in (`dark`, `light`, `high-contrast`, `monochrome`) or a file in `themes_dir`.
    pub theme: String,
    /// Directory of user theme files (`NAME.toml`); default `<config dir>/themes`.
    pub themes_dir: Option<PathBuf>,
    /// New incidents at or above this severity ring the bell and send a
    /// desktop notification: `critical`, `high`, `warning`, `info` or `off`.
    pub notify: String,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self { theme: "dark".into(), themes_dir: None, notify: "critical".into() }
    }
}

impl UiConfig {
    /// The notify threshold; `None` is off.
    ///
    /// # Errors
    /// A word that is not a severity or `off`.
    pub fn notify_level(&self) -> Result<Option<crate::model::Severity>, String> {
        use crate::model::Severity;
        match self.notify.trim().to_ascii_lowercase().as_str() {
            "off" | "none" | "" => Ok(None),
            "critical" => Ok(Some(Severity::Critical)),
            "high" => Ok(Some(Severity::High)),
            "warning" => Ok(Some(Severity::Warning)),
            "info" => Ok(Some(Severity::Info)),
            other => Err(format!(
                "unknown level {other:?}: expected critical, high, warning, info or off"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// Seed of the simulated world; the same seed replays the same faults.
    pub seed: u64,
    /// Simulated seconds per real second in the interactive demo. The
    /// default lets a newcomer follow an incident from first alert to
    /// resolution (a few minutes) and act on it while it fires.
    pub speed: f64,
}

/// Default `demo.speed`: one 15 s metrics step every 3 real seconds.
pub const DEFAULT_DEMO_SPEED: f64 = 5.0;

impl Default for DemoConfig {
    fn default() -> Self {
        Self { seed: 1, speed: DEFAULT_DEMO_SPEED }
    }
}

/// Where the config came from, for messages and `--print-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// No file: embedded defaults (the demo world).
    Defaults,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub origin: ConfigOrigin,
}

/// The config file quell reads when no `--config` is given:
/// `$QUELL_CONFIG`, else `$XDG_CONFIG_HOME/quell/config.toml`, else
/// `~/.config/quell/config.toml` (on macOS too: CLI users expect it there).
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("QUELL_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    config_dir().map(|d| d.join("config.toml"))
}

/// Where user themes live: `ui.themes_dir`, else `<config dir>/themes`.
#[must_use]
pub fn themes_dir(cfg: &Config) -> Option<PathBuf> {
    cfg.ui.themes_dir.clone().or_else(|| config_dir().map(|d| d.join("themes")))
}

/// Loads the config: an explicit path must exist; the default path may be
/// absent (then embedded defaults apply).
///
/// # Errors
/// Unreadable file, TOML syntax, unknown keys, wrong types, invalid values.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let (path, required) = match explicit {
        Some(p) => (Some(p.to_path_buf()), true),
        None => (default_path(), std::env::var_os("QUELL_CONFIG").is_some_and(|v| !v.is_empty())),
    };
    let Some(path) = path else {
        return Ok(Loaded { config: Config::default(), origin: ConfigOrigin::Defaults });
    };
    let runbook_dir = runbook_files::dir_beside(&path);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mut config = parse(&text, &path)?;
            for rb in &mut config.runbooks {
                rb.source = Some(path.clone());
            }
            if let Some(dir) = &runbook_dir {
                runbook_files::load(&mut config, dir)?;
            }
            // Every runbook depends on the main file (sources, keys, ack
            // settings), wherever it was declared: the executor checks both.
            for rb in &mut config.runbooks {
                rb.config_file = Some(path.clone());
            }
            Ok(Loaded { config, origin: ConfigOrigin::File(path) })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            let mut config = Config::default();
            if let Some(dir) = &runbook_dir {
                runbook_files::load(&mut config, dir)?;
            }
            Ok(Loaded { config, origin: ConfigOrigin::Defaults })
        }
        Err(e) => Err(ConfigError::Io { path, reason: e.to_string() }),
    }
}

/// Checks that every secret and certificate the sources name can be had
/// (files readable, variables set), for a run that polls those sources;
/// `--demo`, replays and `--print-config` do not need them. An error names
/// the file, line, key and source.
///
/// # Errors
/// The first missing secret, or the config file cannot be read again.
pub fn check_secrets(loaded: &Loaded) -> Result<(), ConfigError> {
    let ConfigOrigin::File(path) = &loaded.origin else { return Ok(()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::Io { path: path.clone(), reason: e.to_string() })?;
    secrets::check(&loaded.config, path, &text)
}

/// Parses and validates config text; `path` is only used in messages.
///
/// # Errors
/// See [`load`].
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let config: Config =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
    config.validate().map_err(|(key, message)| ConfigError::locate(path, text, &key, message))?;
    Ok(config)
}

impl Config {
    /// Semantic checks serde cannot express. Returns (dotted key, message).
    fn validate(&self) -> Result<(), (String, String)> {
        if self.demo.speed.is_nan() || self.demo.speed <= 0.0 || self.demo.speed > 10_000.0 {
            return Err(("demo.speed".into(), "expected a number between 0 and 10000".into()));
        }
        self.engine.validate().map_err(|(k, m)| (format!("engine.{k}"), m))?;
        self.ui.notify_level().map_err(|m| ("ui.notify".to_string(), m))?;
        self.logs.validate()?;
        crate::app::keymap::Keymap::with_overrides(&self.keys)
            .map_err(|e| ("keys".to_string(), e.to_string()))?;
        crate::theme::Theme::load(&self.ui.theme, themes_dir(self).as_deref())
            .map_err(|e| ("ui.theme".to_string(), e.to_string()))?;
        let mut seen = std::collections::BTreeSet::new();
        for rb in &self.runbooks {
            if !seen.insert(rb.id.as_str()) {
                return Err(("runbook.id".into(), format!("duplicate runbook id {:?}", rb.id)));
            }
            rb.parsed_matchers()
                .map_err(|e| ("runbook.match".into(), format!("runbook {:?}: {e}", rb.id)))?;
            rb.check().map_err(|(field, m)| (format!("runbook.{field}"), m))?;
        }
        for (i, [a, b]) in self.topology.calls.iter().enumerate() {
            if a.trim().is_empty() || b.trim().is_empty() {
                return Err(("topology.calls".into(), format!("entry {i}: empty service name")));
            }
        }
        crate::connectors::settings::validate(
            &self.alertmanager,
            &self.prometheus,
            &self.logs.loki,
        )?;
        Ok(())
    }

    /// The effective config as TOML, for `--print-config`.
    ///
    /// # Errors
    /// Serialization failure (should not happen for valid configs).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }

    /// Whether any real source is configured; otherwise quell runs the demo.
    #[must_use]
    pub fn has_sources(&self) -> bool {
        !self.alertmanager.is_empty() || !self.prometheus.is_empty() || self.logs.has_any()
    }
}

#[cfg(test)]
mod tests;
