//! Reading a corpus in NAB layout: `data/<category>/<file>.csv` series and
//! `labels/combined_windows.json` windows mapped onto row indices.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::engine::anomaly::nab::Window;

/// One data file of the corpus.
#[derive(Debug, Clone)]
pub struct Series {
    /// `<category>/<file>.csv`, the key of the label file.
    pub name: String,
    pub timestamps: Vec<String>,
    pub values: Vec<f64>,
    pub windows: Vec<Window>,
}

impl Series {
    /// Whether row `i` lies inside a labelled window.
    #[must_use]
    pub fn in_window(&self, i: usize) -> bool {
        self.windows.iter().any(|w| w.left <= i && i <= w.right)
    }

    /// Days between two rows (timestamps `YYYY-MM-DD HH:MM:SS`); 0 when they
    /// do not parse.
    #[must_use]
    pub fn days_between(&self, from: usize, to: usize) -> f64 {
        let parse = |i: usize| {
            self.timestamps
                .get(i)
                .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
        };
        match (parse(from), parse(to)) {
            (Some(a), Some(b)) => (b - a).num_seconds() as f64 / 86_400.0,
            _ => 0.0,
        }
    }
}

/// Loads every labelled data file under `dir`, sorted by name. Files without
/// a label entry are skipped (NAB scores only labelled files).
///
/// # Errors
/// Missing label file, unreadable CSV, a value that is not a number, or a
/// window timestamp that matches no row.
pub fn load(dir: &Path) -> anyhow::Result<Vec<Series>> {
    let labels_path = dir.join("labels").join("combined_windows.json");
    let text = fs::read_to_string(&labels_path)
        .with_context(|| format!("reading {}", labels_path.display()))?;
    let labels: BTreeMap<String, Vec<Vec<String>>> = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", labels_path.display()))?;
    let data = dir.join("data");
    let mut out = Vec::new();
    for (name, windows) in &labels {
        let path: PathBuf = data.join(name);
        if !path.is_file() {
            continue;
        }
        let (timestamps, values) = read_csv(&path)?;
        let windows = map_windows(name, windows, &timestamps)?;
        out.push(Series { name: name.clone(), timestamps, values, windows });
    }
    if out.is_empty() {
        bail!("no labelled data files under {}", data.display());
    }
    Ok(out)
}

fn read_csv(path: &Path) -> anyhow::Result<(Vec<String>, Vec<f64>)> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut ts = Vec::new();
    let mut vs = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let Some((t, v)) = line.split_once(',') else {
            bail!("{}:{}: expected `timestamp,value`", path.display(), n + 1);
        };
        let v: f64 = v
            .trim()
            .parse()
            .with_context(|| format!("{}:{}: value {v:?}", path.display(), n + 1))?;
        ts.push(t.trim().to_string());
        vs.push(v);
    }
    Ok((ts, vs))
}

/// Window timestamps carry a `.000000` suffix the data rows do not.
fn map_windows(name: &str, windows: &[Vec<String>], ts: &[String]) -> anyhow::Result<Vec<Window>> {
    let row = |t: &str| {
        let t = t.strip_suffix(".000000").unwrap_or(t);
        ts.iter().position(|r| r == t).with_context(|| format!("{name}: window edge {t} is no row"))
    };
    let mut out = Vec::new();
    for w in windows {
        let [a, b] = w.as_slice() else { bail!("{name}: a window needs [start, end]") };
        out.push(Window { left: row(a)?, right: row(b)? });
    }
    out.sort_by_key(|w| w.left);
    Ok(out)
}
