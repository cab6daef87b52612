//! Other processes as a test sees them: children, state and exit read from
//! procfs, signals sent with kill(1). Linux only, like the tests using it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// Children of a process, from procfs.
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Gone, or a zombie waiting for a reaper: either way no longer running.
pub fn exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// Process state letter from procfs (`T` when stopped).
pub fn proc_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')').next().and_then(|r| r.trim_start().chars().next()).unwrap_or('?')
}

/// `kill -s SIG -- TARGET`; fails the test when kill does.
pub fn send_signal(sig: &str, target: &str) {
    let ok = std::process::Command::new("kill").args(["-s", sig, "--", target]).status().unwrap();
    assert!(ok.success(), "kill -s {sig} {target}");
}
