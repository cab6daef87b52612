//! Log lines of the demo world: a few templated lines per service per step.
//!
//! Owns the templates and their variable parts (ids, durations, IPs, paths),
//! so that the engine's log pattern mining has real templates to discover.
//! Normal traffic logs at info; the root of a fault logs the fault's own
//! warnings and errors, and callers log upstream failures. It reads state and
//! never changes it.

use crate::model::{LogLevel, LogRecord, UnixMs};

use super::faults::{Effects, FaultKind};
use super::physics::Physics;
use super::rng::Rng;
use super::topology::{Graph, Role, SERVICES};

const PATHS: &[&str] =
    &["/api/cart", "/api/products", "/api/checkout", "/api/search", "/api/orders", "/login"];

fn ip(r: &mut Rng) -> String {
    format!("10.{}.{}.{}", 10 + r.below(20), r.below(256), 2 + r.below(250))
}

fn hex(r: &mut Rng, digits: usize) -> String {
    let mut s = format!("{:016x}", r.next_u64());
    s.truncate(digits.min(16));
    s
}

fn ms(r: &mut Rng, seconds: f64) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let v = (seconds * 1000.0 * r.range(0.3, 1.0)).max(1.0) as u64;
    v
}

fn path(r: &mut Rng) -> &'static str {
    PATHS[r.below(PATHS.len())]
}

/// The trace id a request line names: the next request of the service's
/// sampled traces, else an unsampled request's (drawn all the same, so
/// the lines do not depend on how many traces were sampled).
fn trace_id(r: &mut Rng, traced: &mut impl Iterator<Item = u128>) -> String {
    let drawn = hex(r, 16);
    traced.next().map_or(drawn, |t| format!("{t:032x}"))
}

/// One normal-traffic line for a service of this role.
fn info_line(
    role: Role,
    name: &str,
    lat: f64,
    r: &mut Rng,
    traced: &mut impl Iterator<Item = u128>,
) -> String {
    match role {
        Role::Proxy => format!(
            "{} - - \"GET {}/{} HTTP/1.1\" 200 {} {}ms upstream=frontend",
            ip(r),
            path(r),
            r.below(100_000),
            200 + r.below(8000),
            ms(r, lat)
        ),
        Role::App => format!(
            "level=info msg=\"request completed\" method=GET path={} status=200 duration={}ms trace_id={}",
            path(r),
            ms(r, lat),
            trace_id(r, traced)
        ),
        Role::Database => format!(
            "LOG:  duration: {}.{:03} ms  statement: SELECT * FROM items WHERE id = {}",
            ms(r, lat),
            r.below(1000),
            r.below(1_000_000)
        ),
        Role::Cache => {
            format!("Accepted connection from {}:{} ({name})", ip(r), 30_000 + r.below(30_000))
        }
        Role::Queue => format!(
            "published message id={}-{} routing_key=orders.created size={}",
            hex(r, 8),
            hex(r, 4),
            300 + r.below(2000)
        ),
        Role::Dns => format!(
            "query[A] {}.shop.svc.cluster.local from {}",
            SERVICES[r.below(SERVICES.len())].name,
            ip(r)
        ),
    }
}

/// What the root of a fault says about it: (level, line).
fn fault_line(
    kind: FaultKind,
    p: &Physics,
    g: &Graph,
    s: usize,
    r: &mut Rng,
) -> (LogLevel, String) {
    let lat = p.svc[s].lat;
    let disk = g.pods[s].iter().map(|&i| p.pods[i].disk).fold(0.0, f64::max);
    let mem = g.pods[s].first().map_or(0.0, |&i| p.pods[i].mem);
    let warn = r.chance(0.5);
    match kind {
        FaultKind::SlowDatabase if warn => (
            LogLevel::Warn,
            format!(
                "LOG:  duration: {} ms  statement: UPDATE orders SET status = 'paid' WHERE id = {}",
                ms(r, lat),
                r.below(1_000_000)
            ),
        ),
        FaultKind::SlowDatabase => (
            LogLevel::Error,
            format!(
                "ERROR:  canceling statement due to statement timeout (pid {})",
                1000 + r.below(9000)
            ),
        ),
        FaultKind::MemoryLeak => (
            LogLevel::Warn,
            format!(
                "level=warn msg=\"heap usage high\" heap_pct={mem:.0} gc_pause_ms={}",
                20 + r.below(400)
            ),
        ),
        FaultKind::BadDeploy => (
            LogLevel::Error,
            format!(
                "level=error msg=\"unhandled exception\" err=\"nil pointer dereference in mapper.go:{}\" path={} status=500 trace_id={}",
                100 + r.below(300),
                path(r),
                hex(r, 16)
            ),
        ),
        FaultKind::DiskFilling if disk > 95.0 => (
            LogLevel::Error,
            format!(
                "level=error msg=\"write failed\" err=\"no space left on device\" file=/var/lib/data/seg-{:06}.log",
                r.below(1_000_000)
            ),
        ),
        FaultKind::DiskFilling => (
            LogLevel::Warn,
            format!("level=warn msg=\"disk usage high\" mount=/var/lib/data used_pct={disk:.1}"),
        ),
        FaultKind::NetworkLoss if warn => (
            LogLevel::Warn,
            format!(
                "level=warn msg=\"tcp retransmit\" peer={}:{} retrans={}",
                ip(r),
                8080,
                1 + r.below(9)
            ),
        ),
        FaultKind::NetworkLoss => (
            LogLevel::Error,
            format!(
                "level=error msg=\"connection reset by peer\" peer={}:{}",
                ip(r),
                30_000 + r.below(30_000)
            ),
        ),
        FaultKind::FlappingNoise => (
            LogLevel::Info,
            format!(
                "level=info msg=\"cpu throttled\" throttled_periods={} window=15s",
                r.below(40)
            ),
        ),
        FaultKind::CertExpiry if p.svc[s].conn_err > 0.0 => (
            LogLevel::Error,
            format!(
                "level=error msg=\"TLS handshake error\" remote={}:{} err=\"x509: certificate has expired\"",
                ip(r),
                30_000 + r.below(30_000)
            ),
        ),
        FaultKind::CertExpiry => (
            LogLevel::Warn,
            format!(
                "level=warn msg=\"certificate renewal failed\" cn={}.shop.svc attempt={} err=\"issuer not ready\"",
                SERVICES[s].name,
                1 + r.below(20)
            ),
        ),
        FaultKind::CpuSaturation => (
            LogLevel::Warn,
            format!(
                "level=warn msg=\"request queue backlog\" queued={} worker_busy_pct=100",
                50 + r.below(500)
            ),
        ),
        // A node's own logs stop with it; its pods' callers log the failures.
        FaultKind::NodeFailure => (
            LogLevel::Error,
            format!(
                "level=error msg=\"upstream connect error\" err=\"no route to host\" remote={}",
                ip(r)
            ),
        ),
    }
}

/// The callee most responsible for `s`'s upstream trouble, and why.
fn worst_callee(g: &Graph, p: &Physics, s: usize) -> Option<(usize, &'static str)> {
    let score = |c: usize| {
        let st = &p.svc[c];
        st.err + st.conn_err + (st.lat / g.base_p99[c].max(1e-3) - 1.0).max(0.0) * 0.01
    };
    let c = g.callees[s].iter().map(|e| e.callee).max_by(|&a, &b| score(a).total_cmp(&score(b)))?;
    let st = &p.svc[c];
    let why = if st.conn_err > 0.0 {
        "connection failed"
    } else if st.lat > SERVICES[s].timeout * 0.6 {
        "context deadline exceeded"
    } else {
        "upstream returned 503"
    };
    Some((c, why))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn step_logs(
    g: &Graph,
    p: &Physics,
    fx: &[Effects],
    served: &[Vec<u128>],
    killed: &[usize],
    now: UnixMs,
    r: &mut Rng,
    out: &mut Vec<LogRecord>,
) {
    let mut push = |s: usize, level: LogLevel, line: String| {
        out.push(LogRecord {
            ts: now,
            source: "demo".into(),
            service: Some(SERVICES[s].name.to_string()),
            level,
            trace: crate::model::trace_in_line(&line),
            template: Default::default(),
            line,
        });
    };
    for (s, spec) in SERVICES.iter().enumerate() {
        let mut traced = served.get(s).into_iter().flatten().copied();
        let lines = 1 + usize::from(spec.rate > 100.0) + r.below(2);
        for _ in 0..lines {
            let line = info_line(spec.role, spec.name, p.svc[s].lat, r, &mut traced);
            push(s, LogLevel::Info, line);
        }
        if let Some(kind) = fx.get(s).and_then(|e| e.root_of) {
            for _ in 0..2 + r.below(2) {
                let (level, line) = fault_line(kind, p, g, s, r);
                push(s, level, line);
            }
        }
        if p.svc[s].upstream_err > 0.03
            && let Some((c, why)) = worst_callee(g, p, s)
        {
            for _ in 0..1 + r.below(2) {
                let line = format!(
                    "level=error msg=\"upstream request failed\" upstream={} err=\"{why}\" duration={}ms trace_id={}",
                    SERVICES[c].name,
                    ms(r, p.svc[c].lat.min(spec.timeout)),
                    trace_id(r, &mut traced)
                );
                push(s, LogLevel::Error, line);
            }
        }
    }
    for &pod in killed {
        let Some(inst) = g.instances.get(pod) else {
            continue;
        };
        let line = format!(
            "level=error msg=\"container killed\" reason=OOMKilled pod={} exit_code=137",
            inst.name
        );
        push(inst.service, LogLevel::Error, line);
    }
}
