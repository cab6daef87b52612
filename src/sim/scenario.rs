//! Scenario files: a named fault schedule for the demo world, in TOML.
//!
//! ```toml
//! name = "slow-postgres"
//! description = "The shared database slows down; its callers time out."
//! duration = "30m"            # simulated time after the warm-up
//! [[fault]]
//! kind = "slow_database"      # see FaultKind: slow_database, memory_leak, bad_deploy,
//!                             # disk_filling, network_loss, flapping_noise,
//!                             # cert_expiry, cpu_saturation, node_failure
//! target = "postgres"         # the root service (the ground truth); for
//!                             # node_failure a node: node-shop-1..5,
//!                             # node-analytics-1..2
//! start = "2m"                # after the warm-up
//! duration = "10m"
//! intensity = 1.0             # optional; 0.5 barely alerts, 2.0 is severe
//! ```
//!
//! Owns parsing and validation of that format and turning a scenario into a
//! `World`; it runs nothing itself.

use serde::{Deserialize, Serialize};

use crate::base::HumanDuration;
use crate::model::UnixMs;

use super::faults::{FaultKind, FaultSpec};
use super::topology::{NODES, root_of};
use super::{SCENARIO_WARMUP_STEPS, STEP_MS, World};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Simulated time to run after the warm-up.
    pub duration: HumanDuration,
    #[serde(default, rename = "fault")]
    pub faults: Vec<ScenarioFault>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFault {
    pub kind: FaultKind,
    pub target: String,
    /// Offset after the warm-up.
    pub start: HumanDuration,
    pub duration: HumanDuration,
    #[serde(default = "one")]
    pub intensity: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: fault {index}: unknown target service {target:?} (known: {known})")]
    UnknownTarget { origin: String, index: usize, target: String, known: String },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// The built-in library, embedded at compile time from `scenarios/`.
const BUILTIN: &[(&str, &str)] =
    &include!(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/index.rs"));

impl Scenario {
    /// Parses and validates one scenario file's text; `origin` names it in errors.
    ///
    /// # Errors
    /// TOML errors, unknown keys or fault kinds, unknown targets, empty durations.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ScenarioError> {
        let s: Self = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        s.validate(origin)?;
        Ok(s)
    }

    fn validate(&self, origin: &str) -> Result<(), ScenarioError> {
        let invalid =
            |message: String| ScenarioError::Invalid { origin: origin.to_string(), message };
        if self.duration.0.as_secs() < 60 {
            return Err(invalid("duration must be at least 1m".into()));
        }
        for (index, f) in self.faults.iter().enumerate() {
            let Some(root) = root_of(&f.target) else {
                return Err(ScenarioError::UnknownTarget {
                    origin: origin.to_string(),
                    index,
                    target: f.target.clone(),
                    known: super::topology::SERVICES
                        .iter()
                        .map(|s| s.name)
                        .chain(NODES.iter().map(|n| n.0))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let on_node = root >= super::topology::SERVICES.len();
            if f.kind.on_node() != on_node {
                let want = if f.kind.on_node() { "a node" } else { "a service" };
                return Err(invalid(format!(
                    "fault {index}: {} needs {want} as its target, not {:?}",
                    f.kind.name(),
                    f.target
                )));
            }
            if f.duration.0.is_zero() {
                return Err(invalid(format!("fault {index}: duration must be greater than 0")));
            }
            if !(f.intensity > 0.0 && f.intensity <= 5.0) {
                return Err(invalid(format!("fault {index}: intensity must be in (0, 5]")));
            }
        }
        Ok(())
    }

    /// The built-in scenario library.
    ///
    /// # Errors
    /// Only if a built-in file is broken (a test guards against that).
    pub fn builtin() -> Result<Vec<Self>, ScenarioError> {
        BUILTIN.iter().map(|(name, text)| Self::parse(text, name)).collect()
    }

    /// Simulated steps to run, warm-up included.
    #[must_use]
    pub fn steps(&self) -> usize {
        let after = usize::try_from(self.duration.as_ms() / STEP_MS).unwrap_or(0);
        SCENARIO_WARMUP_STEPS + after
    }

    /// The world for this scenario, deterministic for `seed`.
    #[must_use]
    pub fn world(&self, seed: u64, start: UnixMs) -> World {
        let warm = i64::try_from(SCENARIO_WARMUP_STEPS).unwrap_or(0) * STEP_MS;
        let specs = self
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| FaultSpec {
                id: format!("{}#{i}", self.name),
                kind: f.kind,
                target: f.target.clone(),
                start_offset_ms: warm + f.start.as_ms(),
                duration_ms: f.duration.as_ms(),
                intensity: f.intensity,
            })
            .collect();
        World::new(seed, start, specs)
    }
}

/// Fault kinds in a scenario, for reports.
#[must_use]
pub fn kinds(s: &Scenario) -> Vec<FaultKind> {
    s.faults.iter().map(|f| f.kind).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_library_parses_and_is_large_enough() {
        let lib = Scenario::builtin().unwrap();
        assert!(lib.len() >= 30, "{}", lib.len());
        let mut names: Vec<&str> = lib.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), lib.len(), "scenario names are unique");
        for kind in FaultKind::ALL {
            assert!(lib.iter().any(|s| kinds(s).contains(&kind)), "no scenario uses {kind:?}");
        }
        assert!(lib.iter().any(|s| s.faults.len() >= 2), "concurrent faults are covered");
    }

    #[test]
    fn index_lists_every_file_in_the_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        files.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|(n, _)| (*n).to_string()).collect();
        listed.sort();
        assert_eq!(files, listed);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = Scenario::parse("name = \"x\"\nduration = \"10m\"\n[[fault]]\nkind = \"meteor\"\ntarget = \"postgres\"\nstart = \"1m\"\nduration = \"5m\"\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("x.toml") && e.to_string().contains("meteor"), "{e}");
        let e = Scenario::parse("name = \"x\"\nduration = \"10m\"\n[[fault]]\nkind = \"bad_deploy\"\ntarget = \"mainframe\"\nstart = \"1m\"\nduration = \"5m\"\n", "y.toml").unwrap_err();
        assert!(matches!(e, ScenarioError::UnknownTarget { .. }), "{e}");
        let e = Scenario::parse("name = \"x\"\nduration = \"10m\"\ncolour = 1\n", "z.toml")
            .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn a_scenario_world_injects_its_faults() {
        let s = Scenario::parse(
            "name = \"t\"\nduration = \"12m\"\n[[fault]]\nkind = \"bad_deploy\"\ntarget = \"payments\"\nstart = \"1m\"\nduration = \"8m\"\n",
            "t",
        )
        .unwrap();
        let mut w = s.world(1, 1_767_240_000_000);
        for _ in 0..s.steps() {
            w.step();
        }
        let truth = w.ground_truth();
        assert_eq!(truth.len(), 1);
        assert_eq!(truth[0].root_service, "payments");
        assert!(!truth[0].alerts.is_empty());
    }
}
