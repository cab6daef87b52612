//! Loki's `GET /loki/api/v1/query_range` answer for a log query, parsed.
//!
//! The shape follows Loki's HTTP API reference (grafana/loki,
//! `docs/sources/reference/loki-http-api.md`, "Query logs within a range of
//! time"; <https://grafana.com/docs/loki/latest/reference/loki-http-api/>):
//!
//! ```text
//! {"status": "success",
//!  "data": {"resultType": "streams",
//!           "result": [{"stream": {<label>: <value>, ...},
//!                       "values": [["<nanosecond unix epoch, as a string>", "<log line>"], ...]}],
//!           "stats": {...}}}
//! ```
//!
//! `values` are sorted oldest first with `direction=forward`. Newer Loki
//! versions may append a third element to a value (structured metadata, an
//! object); it is skipped. A metric query answers `resultType: "matrix"`,
//! which is not log lines and is rejected with a message saying so. Errors
//! come as a non-2xx status with a plain-text body (handled by
//! [`crate::connectors::http::Http::get`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};

use crate::connectors::http::{FetchError, escape_excerpt};
use crate::connectors::prometheus::api::decode;

/// One stream of the answer: its labels and its entries.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Stream {
    pub stream: BTreeMap<String, String>,
    pub values: Vec<Entry>,
}

/// One log entry: nanosecond timestamp and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ts_ns: i64,
    pub line: String,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[\"<nanosecond epoch>\", \"<line>\", ...]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
                let ts: String =
                    seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let ts_ns = ts.parse::<i64>().map_err(|_| {
                    de::Error::custom(format!("timestamp {:?} is not a nanosecond epoch", ts))
                })?;
                let line: String =
                    seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                // Structured metadata and anything later: not used.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Entry { ts_ns, line })
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Debug, Deserialize)]
struct Kind {
    #[serde(rename = "resultType", default)]
    result_type: String,
}

#[derive(Debug, Deserialize)]
struct Streams {
    #[serde(default)]
    result: Vec<Stream>,
}

/// The streams of a `query_range` answer, plus the envelope's warnings.
///
/// # Errors
/// Not JSON of the documented shape, `status` not `success`, or a metric
/// (matrix) answer instead of log streams.
pub fn parse(body: &[u8]) -> Result<(Vec<Stream>, Vec<String>), FetchError> {
    let (kind, _): (Kind, _) = decode(body)?;
    if kind.result_type != "streams" {
        return Err(FetchError::Bad {
            excerpt: format!(
                "resultType {:?}: the query must select log lines, not compute a metric",
                escape_excerpt(kind.result_type.as_bytes())
            ),
        });
    }
    let (data, warnings): (Streams, _) = decode(body)?;
    Ok((data.result, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_parses() {
        // The example answer in Loki's API reference.
        let body = br#"{"status":"success","data":{"resultType":"streams","result":[
            {"stream":{"filename":"/var/log/myproject.log","job":"varlogs","level":"info"},
             "values":[["1569266497240578000","foo"],["1569266492548155000","bar"]]}],
            "stats":{"summary":{"execTime":0.01}}}}"#;
        let (streams, warnings) = parse(body).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].stream["job"], "varlogs");
        assert_eq!(
            streams[0].values,
            vec![
                Entry { ts_ns: 1_569_266_497_240_578_000, line: "foo".into() },
                Entry { ts_ns: 1_569_266_492_548_155_000, line: "bar".into() }
            ]
        );
    }

    #[test]
    fn structured_metadata_is_skipped_and_matrix_is_refused() {
        let body = br#"{"status":"success","data":{"resultType":"streams","result":[
            {"stream":{"app":"x"},"values":[["5","a",{"trace_id":"0242ac120002"}]]}]}}"#;
        let (streams, _) = parse(body).unwrap();
        assert_eq!(streams[0].values, vec![Entry { ts_ns: 5, line: "a".into() }]);

        let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"level":"info"},"values":[[1588889221,"137.95"]]}]}}"#;
        match parse(matrix) {
            Err(FetchError::Bad { excerpt }) => assert!(excerpt.contains("matrix"), "{excerpt}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_timestamps_errors_and_garbage_are_bad_responses() {
        for body in [
            &br#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["yesterday","a"]]}]}}"#[..],
            br#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["1"]]}]}}"#,
            br#"{"status":"error","errorType":"bad_data","error":"queries require at least one regexp or equality matcher"}"#,
            b"<html>502 Bad Gateway</html>",
        ] {
            assert!(matches!(parse(body), Err(FetchError::Bad { .. })), "{body:?}");
        }
        match parse(br#"{"status":"error","error":"max entries limit per query exceeded"}"#) {
            Err(FetchError::Bad { excerpt }) => {
                assert_eq!(excerpt, "max entries limit per query exceeded");
            }
            other => panic!("{other:?}"),
        }
    }
}
