//! "The next system": the value kinds real logs vary, each in every position
//! of lines written in the styles of log formats the Loghub development
//! systems do not have (nginx access, syslog, Kubernetes klog, Java stack
//! traces, Windows events, Android logcat, macOS unified logs,
//! `key:value|` health records, logfmt). Each case is a line with `{}`
//! where a value goes and values of one kind; every value must give the
//! same masked line, or a user's next system would get one template per
//! value. The lines and values are made up for these tests.

use super::mask::Masked;

fn masked(line: &str) -> Vec<String> {
    let mut m = Masked::default();
    m.fill(line);
    (0..m.len()).map(|i| m.token(i).to_string()).collect()
}

/// Asserts that every value in `values` gives the same masked line in each
/// of `lines` (the value at the start, in the middle and at the end).
fn same_template(kind: &str, lines: &[&str], values: &[&str]) {
    for line in lines {
        let first = masked(&line.replace("{}", values[0]));
        for v in &values[1..] {
            let other = masked(&line.replace("{}", v));
            assert_eq!(first, other, "{kind}: {v:?} in {line:?} is kept as a constant");
        }
    }
}

#[test]
fn numbers_with_units() {
    same_template(
        "number with unit",
        &[
            "{} upstream response time",
            "nginx: upstream timed out after {} while reading response header",
            "GC pause (G1 Evacuation Pause) young {}",
        ],
        &["35ms", "1.5s", "250 ms", "12 sec", "4.2GB", "512 KiB", "97%", "1h2m3s", "0.5"],
    );
}

#[test]
fn hex_and_ids() {
    same_template(
        "hex or id",
        &[
            "{} thread started",
            "Caused by: worker.Pool.take(Pool.java:88) frame {}",
            "E/AndroidRuntime: FATAL EXCEPTION in process pid {}",
            "kernel: task {} blocked for more than 120 seconds",
        ],
        &["0x7f3a2c10", "deadbeefcafe", "a3f9c2e1b7d04e5f", "req-8f14e45f", "4711", "0xFFFF"],
    );
}

#[test]
fn uuids() {
    same_template(
        "uuid",
        &[
            "{} pod sandbox changed, it will be killed and re-created",
            "kubelet: Killing container with id {} gracefully",
            "request id={} finished",
        ],
        &[
            "123e4567-e89b-12d3-a456-426614174000",
            "f47ac10b-58cc-4372-a567-0e02b2c3d479",
            "{9B3F2C1A-7D4E-4F6A-8B2C-1D0E9F8A7B6C}",
        ],
    );
}

#[test]
fn ips_and_ports() {
    same_template(
        "ip or port",
        &[
            "{} - - \"GET /index.html HTTP/1.1\" 200",
            "sshd: Accepted publickey for admin from {} ssh2",
            "dial tcp {}: connect: connection refused",
        ],
        &["10.0.0.5", "192.168.1.20:8080", "[2001:db8::1]:443", "fe80::1ff:fe23:4567:890a", "::1"],
    );
}

#[test]
fn host_and_domain_names() {
    same_template(
        "host or domain",
        &[
            "{} is not responding, still trying",
            "resolving {} failed: no such host",
            "TLS handshake with {} completed",
        ],
        &[
            "api.example.com",
            "db-01.prod.internal",
            "kube-dns.kube-system.svc.cluster.local",
            "mail.example.org:25",
            "node7.example.net",
        ],
    );
}

#[test]
fn paths_and_urls() {
    same_template(
        "path or url",
        &[
            "{} not found",
            "Windows Defender scanned file {} with result clean",
            "fetching {} for the manifest",
        ],
        &[
            "/var/log/nginx/access.log",
            "https://example.com/a?b=c&d=e",
            "C:\\Windows\\System32\\drivers\\etc\\hosts",
            "~/Library/Preferences/com.apple.finder.plist",
            "/api/v1/users/42",
            "file:///tmp/x.sock",
        ],
    );
}

#[test]
fn user_and_session_ids() {
    same_template(
        "user or session id",
        &[
            "{} session opened",
            "login accepted for {} from the console",
            "Step_LSC|{}|onStandStepChanged",
        ],
        &[
            "user=bob",
            "user=alice@example.com",
            "user=svc_backup",
            "user=4711",
            "user=\"Jane Doe\"",
        ],
    );
}

#[test]
fn timestamps_and_durations() {
    same_template(
        "timestamp or duration",
        &[
            "{} Started Daily apt upgrade and clean activities.",
            "certificate expires at {} renew soon",
            "lease renewed at {}",
        ],
        &[
            "2023-10-10T13:55:36.123Z",
            "10/Oct/2023:13:55:36 +0000",
            "Oct 10 13:55:36",
            "1696945536",
            "2023-10-10 13:55:36,123",
            "Tue Oct 10 13:55:36 2023",
            "13:55:36.123456",
            "20231010-13:55:36:606",
        ],
    );
}

#[test]
fn key_value_values() {
    same_template(
        "key=value value",
        &[
            "{} level=info msg=done",
            "level=warn component=scheduler {} retrying",
            "Step_SPUtils|setTodayTotalDetailSteps|{}",
        ],
        &["status=ok", "status=degraded", "status=\"not ready\"", "status=", "status=OK"],
    );
}

#[test]
fn the_same_event_reads_alike_in_every_style() {
    // Different values, one event, per style: the masked lines agree.
    let styles = [
        ("nginx", "{} - - [10/Oct/2023:13:55:36 +0000] \"GET /api/items HTTP/1.1\" 200 512"),
        ("syslog", "Oct 10 13:55:36 {} CRON[2212]: (root) CMD (run-parts /etc/cron.hourly)"),
        ("klog", "I1010 13:55:36.123456 1 reflector.go:255] Listing and watching from {}"),
        ("java", "\t... {} more"),
        ("windows", "2016-09-28 04:30:30, Info CBS Loaded Servicing Stack v6.1 with Core: {}"),
        ("android", "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs {}"),
        ("mac", "Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: AppleCam::setPowerState({})"),
    ];
    let values = [
        ["10.1.2.3", "172.16.0.9"],
        ["web-01", "db-02"],
        ["/api/v1/pods", "/api/v1/nodes"],
        ["132", "77"],
        ["C:\\Windows\\winsxs\\amd64\\cbscore.dll", "C:\\Windows\\winsxs\\x86\\cbscore.dll"],
        ["opening=true", "opening=false"],
        ["0x1a2b", "0x77"],
    ];
    for ((name, line), [a, b]) in styles.iter().zip(values) {
        assert_eq!(
            masked(&line.replace("{}", a)),
            masked(&line.replace("{}", b)),
            "{name}: {a} vs {b}"
        );
    }
}

#[test]
fn a_loggers_message_is_text_other_values_are_data() {
    // The message and the error a structured logger writes are the event's
    // words, one word or several, quoted or not; values inside them are
    // masked as anywhere else.
    assert_eq!(
        masked("level=info msg=started port=8080"),
        ["level=<*>", "msg=started", "port=<*>"]
    );
    assert_ne!(masked("level=info msg=started port=1"), masked("level=info msg=stopped port=1"));
    assert_eq!(
        masked("msg=\"write failed\" user=\"Jane Doe\""),
        ["msg=\"write", "failed\"", "user=<*>"]
    );
    assert_ne!(masked("msg=\"write failed\" x=1"), masked("msg=\"read failed\" x=1"));
    same_template(
        "value inside a message",
        &["level=error msg=\"retry {} of 5\" err=\"dial tcp {}: i/o timeout\""],
        &["3", "10.0.0.1:443", "17"],
    );
    // Any other key's value is a datum: one variable, quoted or not.
    same_template(
        "value of another key",
        &["level=info msg=\"login\" user={} ok"],
        &["root", "\"Jane Doe\"", "jdoe"],
    );
}

#[test]
fn a_log_statement_position_is_part_of_its_event() {
    // logback's `%class#%line`: two statements of one class write lines that
    // look alike but are two events (one may stop while the other goes on).
    let at = |pos: &str, id: &str| {
        masked(&format!("12:00:01.5 INFO {pos} TraceID: 3fa9c2 [getById][Query by id][Id: {id}]"))
    };
    let one = "9c4b0f3e-1d2a-4b5c-8d7e-0123456789ab";
    let list = "[9c4b0f3e-1d2a-4b5c-8d7e-0123456789ab, 0b23bd3e-876a-4af3-b920-c50a90c90b04]";
    assert_ne!(at("o.c.OrderController#47", one), at("o.c.OrderController#53", list));
    assert_ne!(at("OrderServiceImpl#47", one), at("OrderServiceImpl#53", one));
    // The same statement with other values is one event.
    assert_eq!(at("o.c.OrderController#53", one), at("o.c.OrderController#53", list));
    assert_eq!(
        masked("WARN v.s.i.VerifyCodeServiceImpl#114 [verify] start"),
        ["WARN", "v.s.i.VerifyCodeServiceImpl#114", "[verify]", "start"]
    );
    // A counter after `#` is a value, whatever word it follows.
    same_template(
        "counter after #",
        &["worker {} picked up job", "Thread#{} exited", "retry attempt #{} failed"],
        &["3", "12", "4711"],
    );
    same_template(
        "number after a class name that is no line number",
        &["Pool#{} drained", "o.c.Pool#{}x drained", "Cache#{}.5 evicted"],
        &["7", "1234567"],
    );
}

#[test]
fn a_source_file_position_is_part_of_its_event() {
    // Go's and Java's caller positions, like `Class#53`: the statement that
    // wrote the line, not a host and port.
    assert_ne!(
        masked("I1010 13:55:36.1 1 reflector.go:255] watch closed"),
        masked("I1010 13:55:36.1 1 reflector.go:301] watch closed")
    );
    assert_eq!(
        masked("\tat org.example.Worker.run(Worker.java:132)"),
        ["at", "org.example.Worker.run(Worker.java:132)"]
    );
    assert_eq!(
        masked("[ib_sm_sweep.c:1831]: NEW SWEEP"),
        ["[ib_sm_sweep.c:1831]:", "NEW", "SWEEP"]
    );
    // A host and port is still a value, and so is a file that is no source.
    same_template(
        "endpoint",
        &["connect to {} refused", "upstream {}] closed"],
        &["proxy.example.org:5070", "db.internal:5432", "cache.local:6379"],
    );
    same_template("data file and offset", &["read {} failed"], &["data.bin:4096", "index.db:77"]);
}

#[test]
fn a_list_of_values_is_one_variable() {
    // One item or several, whatever words sit beside the ids: one event.
    same_template(
        "list of values",
        &[
            "INFO p.c.PriceController#46 [Query price][routeId and Train Type: {}]",
            "found {} stations",
            "ids={} done",
        ],
        &[
            "[92708982-77af-4318-be25-57ccb0ff69ad:GaoTieOne]",
            "[084837bb-53c8-4438-87c8-0321a4d09917:GaoTieTwo, a3f256c1-0e43-4f7d-9c21-121bf258101f:DongCheOne]",
            "[7, 12, 19]",
            "[Trip(id=1, type=ZhiDa), Trip(id=2, type=GaoTie)]",
        ],
    );
    // The text after the list stays the event's.
    assert_eq!(masked("got [1, 2, 3] rows ok"), ["got", "<*>", "rows", "ok"]);
    // A bracketed set of words is text, and a bracket that is no list
    // (a tag, a field) is masked as before.
    assert_eq!(
        masked("Registered signal handlers for [TERM, HUP, INT]"),
        ["Registered", "signal", "handlers", "for", "[TERM,", "HUP,", "INT]"]
    );
    assert_eq!(masked("[getById][Query by id] done"), ["[getById][Query", "by", "id]", "done"]);
    assert_ne!(masked("[a1, b] x"), masked("[a1, b] y"));
}
