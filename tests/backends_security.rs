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
    let status = match h.status {
        SourceStatus::Partial { warnings }
            if warnings.len() == 1 && warnings[0].contains("not re-sent yet") =>
        {
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
