//! Prometheus HTTP API v1 wire types (also served by Thanos, Mimir,
//! VictoriaMetrics and vmalert), parsed leniently. The envelope's
//! `warnings` (Thanos partial responses) are kept for source health.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::model::{Labels, Sample};

use super::super::http::{FetchError, escape_excerpt};

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    status: String,
    data: Option<T>,
    #[serde(default)]
    error: String,
    #[serde(default)]
    warnings: Vec<String>,
}

/// Unwraps `{status, data, warnings}`; returns the data and the warnings.
///
/// # Errors
/// Not JSON of the expected shape, or `status: error`.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<(T, Vec<String>), FetchError> {
    let env: Envelope<T> = serde_json::from_slice(body)
        .map_err(|_| FetchError::Bad { excerpt: escape_excerpt(body) })?;
    match env.data {
        Some(d) if env.status == "success" => Ok((d, env.warnings)),
        _ => Err(FetchError::Bad {
            excerpt: escape_excerpt(if env.error.is_empty() { body } else { env.error.as_bytes() }),
        }),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RulesData {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RuleGroup {
    pub name: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Rule {
    /// `alerting` or `recording`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub query: String,
    pub labels: Labels,
    /// `ok`, `err`, or `unknown` before its first evaluation.
    pub health: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlertsData {
    pub alerts: Vec<PromAlert>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PromAlert {
    pub labels: Labels,
    pub annotations: Labels,
    /// `firing`, `pending` (or other words, kept as pending).
    pub state: String,
    pub active_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct QueryData {
    pub result_type: String,
    pub result: Vec<SeriesResult>,
}

/// One series of a matrix (`values`) or vector (`value`) result.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SeriesResult {
    pub metric: Labels,
    pub values: Vec<(f64, String)>,
    pub value: Option<(f64, String)>,
}

impl SeriesResult {
    /// Samples with finite values; Prometheus sends numbers as strings.
    #[must_use]
    pub fn samples(&self) -> Vec<Sample> {
        self.values
            .iter()
            .chain(self.value.iter())
            .filter_map(|(t, v)| {
                let value: f64 = v.parse().ok()?;
                #[allow(clippy::cast_possible_truncation)]
                let ts = (t * 1000.0).round() as i64;
                value.is_finite().then_some(Sample { ts, value })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_warnings_and_errors() {
        let (d, w): (QueryData, _) = decode(
            br#"{"status":"success","warnings":["store down"],"data":{"resultType":"matrix",
            "result":[{"metric":{"a":"b"},"values":[[1.5,"2"],[2,"NaN"],[3,"+Inf"]]}]}}"#,
        )
        .unwrap();
        assert_eq!(w, vec!["store down".to_string()]);
        assert_eq!(d.result[0].samples(), vec![Sample { ts: 1500, value: 2.0 }]);
        let e = decode::<QueryData>(
            br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
        );
        assert_eq!(e.unwrap_err(), FetchError::Bad { excerpt: "parse error".into() });
        assert!(matches!(decode::<QueryData>(b"<html>"), Err(FetchError::Bad { .. })));
    }
}
