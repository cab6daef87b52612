//! TLS and basic auth against a real Alertmanager configured with
//! `--web.config.file`: certificate errors carry their reason, `ca_file`
//! makes them go away, a wrong password is "auth failed" and stops polling.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;

use quell::connectors::alertmanager::Cluster;
use quell::model::SourceStatus;
use quell::store::Ingest;
use support::servers::{Alertmanager, TempDir};
use support::{am_toml, config};

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A throwaway CA and a leaf certificate for 127.0.0.1 signed by it.
fn make_certs(dir: &TempDir) {
    let d = &dir.0;
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(Command::new("openssl").current_dir(d).args(["req", "-x509"]).args(ec).args([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=quell-test-ca",
    ]));
    run(Command::new("openssl").current_dir(d).args(["req"]).args(ec).args([
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]));
    dir.file("leaf.ext", "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
    run(Command::new("openssl").current_dir(d).args([
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]));
}

fn bcrypt(password: &str) -> String {
    let out = Command::new("htpasswd")
        .args(["-nbBC", "10", "quell", password])
        .output()
        .expect("htpasswd (apache2-utils) is needed: scripts/fetch-test-servers.sh installs it");
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    line.trim().split_once(':').unwrap().1.to_string()
}

async fn status_with(extra: &str, url: &str) -> (SourceStatus, String) {
    let cfg = config(&am_toml("sec", &[url.to_string()], extra));
    let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
    let events = c.cycle().await;
    let h = events
        .iter()
        .find_map(|e| if let Ingest::Health(h) = e { Some(h.clone()) } else { None })
        .unwrap();
    // These servers just started and hold no alerts: quell says the empty
    // list may still lack alerts Prometheus re-sends. That note aside, the
    // connection is what these tests are about.
    let just_started = h.just_started();
    let status = match h.status {
        SourceStatus::Partial { warnings } if warnings.len() == 1 && just_started => {
            SourceStatus::Ok
        }
        other => other,
    };
    (status, h.kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_tls_fails_with_a_reason_and_works_with_ca_file() {
    let dir = TempDir::new("tls");
    make_certs(&dir);
    let d = &dir.0;
    let web = dir.file(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            d.join("cert.pem").display(),
            d.join("key.pem").display()
        ),
    );
    let am = Alertmanager::single(&[format!("--web.config.file={}", web.display())]);
    let https = format!("https://127.0.0.1:{}", am.server.port);

    let (status, _) = status_with("", &https).await;
    match status {
        SourceStatus::Tls { reason } => {
            assert!(
                reason.to_lowercase().contains("issuer") || reason.contains("certificate"),
                "{reason}"
            );
            assert!(reason.contains("signed by an unknown authority"), "in words: {reason}");
        }
        s => panic!("expected a TLS error, got {s:?}"),
    }
    let ca =
        format!("[alertmanager.tls]\nca_file = {:?}\n", d.join("ca.pem").display().to_string());
    let (status, _) = status_with(&ca, &https).await;
    assert_eq!(status, SourceStatus::Ok);

    let insecure = "[alertmanager.tls]\ninsecure_skip_verify = true\n";
    let (status, kind) = status_with(insecure, &https).await;
    assert_eq!(status, SourceStatus::Ok);
    assert!(kind.contains("INSECURE"), "shown loudly: {kind}");

    // Plain HTTP to the TLS port: the server's 400 is a bad response, not "ok".
    let (status, _) = status_with("", &am.url()).await;
    assert!(matches!(status, SourceStatus::BadResponse { .. }), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_auth_failed_and_right_one_works() {
    let dir = TempDir::new("auth");
    let web = dir.file("web.yml", &format!("basic_auth_users:\n  quell: {}\n", bcrypt("right")));
    let am = Alertmanager::single(&[format!("--web.config.file={}", web.display())]);
    let pw = |p: &str| -> String {
        let f = dir.file(&format!("pw-{p}"), &format!("{p}\n"));
        format!(
            "[alertmanager.auth]\nusername = \"quell\"\npassword_file = {:?}\n",
            f.display().to_string()
        )
    };
    let cfg = config(&am_toml("sec", &[am.url()], &pw("wrong")));
    let mut c = Cluster::new(cfg.alertmanager[0].clone()).unwrap();
    for _ in 0..3 {
        let events = c.cycle().await;
        assert!(
            events.iter().all(|e| !matches!(e, Ingest::AlertPoll { .. })),
            "no data from a rejected poll"
        );
        let h = c.health();
        assert!(matches!(h.status, SourceStatus::AuthFailed { .. }), "{:?}", h.status);
    }
    assert!(c.next_wait() > std::time::Duration::ZERO);
    let (status, _) = status_with(&pw("right"), &am.url()).await;
    assert_eq!(status, SourceStatus::Ok);
    assert!(Path::new(&dir.0).exists());
}

/// A certificate for `san` (e.g. `IP:127.0.0.2`) signed by `make_certs`'s
/// CA, as `<name>.pem` with its key `<name>.key`.
fn make_leaf(dir: &TempDir, name: &str, san: &str) {
    let d = &dir.0;
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let (key, csr, pem, ext) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("{name}.ext"),
    );
    run(Command::new("openssl").current_dir(d).args(["req"]).args(ec).args([
        "-keyout",
        &key,
        "-out",
        &csr,
        "-subj",
        "/CN=quell-test",
    ]));
    dir.file(&ext, &format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\n"));
    run(Command::new("openssl").current_dir(d).args([
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        &pem,
        "-days",
        "2",
        "-extfile",
        &ext,
    ]));
}

/// An Alertmanager serving `cert`/`key` from `dir`.
fn tls_alertmanager(dir: &TempDir, cert: &str, key: &str) -> Alertmanager {
    let d = &dir.0;
    let web = dir.file(
        &format!("web-{cert}.yml"),
        &format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            d.join(cert).display(),
            d.join(key).display()
        ),
    );
    Alertmanager::single(&[format!("--web.config.file={}", web.display())])
}

fn tls_reason_of(status: SourceStatus) -> String {
    match status {
        SourceStatus::Tls { reason } => reason,
        s => panic!("expected a TLS error, got {s:?}"),
    }
}

/// TLS failures read as sentences an operator can act on, against real
/// servers: a CA certificate served as the server's, a certificate for
/// another address, and plain HTTP on either side (the unknown issuer is
/// in `self_signed_tls_fails_with_a_reason_and_works_with_ca_file`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_errors_are_said_in_words() {
    let dir = TempDir::new("tlswords");
    make_certs(&dir);
    let d = &dir.0;
    let ca =
        format!("[alertmanager.tls]\nca_file = {:?}\n", d.join("ca.pem").display().to_string());

    // The CA's own certificate (CA:TRUE) served as the server certificate.
    let am = tls_alertmanager(&dir, "ca.pem", "ca.key");
    let https = format!("https://127.0.0.1:{}", am.server.port);
    let reason = tls_reason_of(status_with(&ca, &https).await.0);
    assert!(
        reason.contains("the server's certificate is a CA certificate, not a server certificate"),
        "{reason}"
    );
    assert!(!reason.contains("OtherError"), "{reason}");
    drop(am);

    // A certificate for 127.0.0.2 on 127.0.0.1.
    make_leaf(&dir, "other", "IP:127.0.0.2");
    let am = tls_alertmanager(&dir, "other.pem", "other.key");
    let https = format!("https://127.0.0.1:{}", am.server.port);
    let reason = tls_reason_of(status_with(&ca, &https).await.0);
    assert!(reason.contains("not valid for this host name"), "{reason}");
    // Plain HTTP to the TLS port.
    let (status, _) = status_with("", &format!("http://127.0.0.1:{}", am.server.port)).await;
    match status {
        SourceStatus::BadResponse { excerpt } => {
            assert!(excerpt.contains("the server speaks HTTPS: use an https:// URL"), "{excerpt}");
        }
        s => panic!("expected a bad response, got {s:?}"),
    }
    drop(am);

    // https:// to a server without TLS.
    let plain = Alertmanager::single(&[]);
    let https = format!("https://127.0.0.1:{}", plain.server.port);
    let reason = tls_reason_of(status_with("", &https).await.0);
    assert!(reason.contains("does not speak TLS"), "{reason}");
}

/// A secret that cannot be had is a config error naming the file, line,
/// key and source, before anything starts (exit 2); runs that poll no
/// source (`--print-config`) do not need it.
#[test]
fn a_missing_secret_is_a_located_config_error() {
    let dir = TempDir::new("secret");
    let var = format!("QUELL_TEST_NO_SUCH_TOKEN_{}", std::process::id());
    let cfg = dir.file(
        "config.toml",
        &format!(
            "[[alertmanager]]\nname = \"prod\"\nurls = [\"http://127.0.0.1:9\"]\n\
             [alertmanager.auth]\ntoken_env = \"{var}\"\n"
        ),
    );
    let bin = env!("CARGO_BIN_EXE_quell");
    let out = Command::new(bin)
        .args(["--config", cfg.to_str().unwrap(), "snapshot", "--json"])
        .env_remove(&var)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:5:", cfg.display())), "file and line: {err}");
    assert!(err.contains("alertmanager.auth.token_env") && err.contains("\"prod\""), "{err}");
    assert!(err.contains(&var) && err.contains("not set"), "{err}");
    let out = Command::new(bin)
        .args(["--config", cfg.to_str().unwrap(), "--print-config"])
        .env_remove(&var)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
