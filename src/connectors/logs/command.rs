//! A program's stdout as a log stream (`kubectl logs -f ...`, `docker logs
//! -f ...`). The program is run directly from its argv, never through a
//! shell, with stdin closed; a thread reads its stdout line by line into a
//! bounded channel, so a chatty child blocks on its pipe instead of growing
//! our memory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use super::{MAX_LINE_BYTES, cut};

/// Lines buffered between the reader thread and the poller.
const CHANNEL_LINES: usize = 10_000;

#[derive(Debug)]
pub struct CommandStream {
    child: Child,
    lines: Receiver<String>,
}

impl CommandStream {
    /// Starts `argv[0]` with `argv[1..]`.
    ///
    /// # Errors
    /// Empty argv, or the program cannot be started.
    pub fn spawn(argv: &[String]) -> std::io::Result<Self> {
        let (prog, args) = argv
            .split_first()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty argv"))?;
        let mut child = Command::new(prog)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL_LINES);
        std::thread::Builder::new()
            .name("quell-log-command".into())
            .spawn(move || read_lines(stdout, &tx))?;
        Ok(Self { child, lines: rx })
    }

    /// Lines that arrived since the last poll (never blocks).
    pub fn poll(&mut self) -> Vec<String> {
        self.lines.try_iter().collect()
    }

    /// Whether the program is still running; `Some(status)` once it exited.
    ///
    /// # Errors
    /// The status could not be read.
    pub fn exited(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        self.child.try_wait()
    }
}

impl Drop for CommandStream {
    fn drop(&mut self) {
        // Our child only: stop it and reap it so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_lines(stdout: std::process::ChildStdout, tx: &SyncSender<String>) {
    let mut r = BufReader::new(stdout);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let s = String::from_utf8_lossy(&buf);
                let line = cut(s.trim_end_matches(['\r', '\n']), MAX_LINE_BYTES).to_string();
                match tx.try_send(line) {
                    Ok(()) => {}
                    // Full: wait for the poller rather than drop lines.
                    Err(TrySendError::Full(l)) => {
                        if tx.send(l).is_err() {
                            return;
                        }
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn collect(c: &mut CommandStream, want: usize) -> Vec<String> {
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.len() < want && Instant::now() < deadline {
            got.extend(c.poll());
            std::thread::sleep(Duration::from_millis(10));
        }
        got
    }

    #[test]
    fn reads_a_real_child_without_a_shell() {
        // Shell metacharacters in an argument stay literal text.
        let argv: Vec<String> = ["printf", "%s\\n%s\\n", "ERROR a; rm -rf /tmp/x", "$(id) `id`"]
            .iter()
            .map(|s| (*s).to_string())
            .collect();
        let mut c = CommandStream::spawn(&argv).unwrap();
        let got = collect(&mut c, 2);
        assert_eq!(got, ["ERROR a; rm -rf /tmp/x", "$(id) `id`"]);
    }

    #[test]
    fn missing_program_and_empty_argv_are_errors() {
        assert!(CommandStream::spawn(&[]).is_err());
        assert!(CommandStream::spawn(&["/nonexistent/quell-test-prog".to_string()]).is_err());
    }
}
