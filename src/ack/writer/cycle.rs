//! One pass of the ack writer over its records: which acks are due (a
//! pending write, an unack, a silence about to end while its alerts fire,
//! a periodic check), one silence list per cluster, and each outcome
//! applied: journal lines, notices, records dropped or retried on another
//! replica. What one step does to one record lives in `step`.

use super::step::{Step, covers_firing, expire_record, fail, is_transport, refresh_status};
use super::*;

impl Writer {
    /// Brings every due ack one step closer to what it should be on its
    /// cluster. `firing` says when an alert that is active now started
    /// (see [`Firing`]). Returns whether anything changed.
    pub async fn cycle(&mut self, now: UnixMs, firing: &Firing<'_>) -> bool {
        let before = self.statuses();
        let sources: Vec<SourceId> = self.records.iter().map(|r| r.status.source.clone()).collect();
        let mut sources = sources;
        sources.sort();
        sources.dedup();
        for source in sources {
            self.cycle_source(&source, now, firing).await;
        }
        let changed = before != self.statuses();
        if changed {
            self.save();
        }
        changed
    }

    fn due(&self, r: &Record, now: UnixMs, firing: &Firing<'_>) -> bool {
        match r.status.phase {
            AckPhase::Pending { .. } | AckPhase::Expiring { .. } => r.next_try <= now,
            AckPhase::LocalOnly { .. } => false,
            AckPhase::Active => {
                let extend_before = self.cfg.duration.as_ms() / 3;
                let soon = r.sets.iter().any(|s| s.ends_at.is_none_or(|e| e - now < extend_before));
                let live = covers_firing(r, firing);
                r.next_try <= now && ((soon && live) || now - r.verified_at >= VERIFY_MS)
            }
        }
    }

    async fn cycle_source(&mut self, source: &str, now: UnixMs, firing: &Firing<'_>) {
        // Acks whose alerts resolved and whose silences ran out are done.
        self.records.retain(|r| {
            !(r.status.source == source
                && r.status.phase == AckPhase::Active
                && !covers_firing(r, firing)
                && r.sets.iter().all(|s| s.ends_at.is_some_and(|e| e <= now)))
        });
        let due: Vec<usize> = (0..self.records.len())
            .filter(|&i| self.records[i].status.source == source)
            .filter(|&i| self.due(&self.records[i], now, firing))
            .collect();
        if due.is_empty() {
            return;
        }
        let Some(backend) = self.backends.get(source).cloned() else { return };
        let list = match backend.list().await {
            Ok(l) => l,
            Err(e) => {
                let msg = e.to_string();
                if is_transport(&e)
                    && let Some(b) = self.backends.get_mut(source)
                {
                    b.rotate();
                }
                for i in due {
                    fail(&mut self.records[i], now, &msg);
                }
                return;
            }
        };
        let mut drop_ids = Vec::new();
        for i in due {
            let outcome = if matches!(self.records[i].status.phase, AckPhase::Expiring { .. }) {
                expire_record(&backend, &mut self.records[i], &list).await
            } else {
                self.step(&backend, i, &list, now, firing).await
            };
            let r = &mut self.records[i];
            match outcome {
                Step::Done => drop_ids.push(i),
                Step::Ok => {
                    r.verified_at = now;
                    let first = r.status.silence_ids.is_empty();
                    refresh_status(r);
                    if first {
                        let (inc, ids) =
                            (r.status.incident.clone(), r.status.silence_ids.join(","));
                        self.journal("ack applied", Some(&inc), source, &ids);
                    }
                }
                Step::Gone => {
                    drop_ids.push(i);
                    let inc = r.status.incident.clone();
                    self.notices.push(Notice::Info(format!(
                        "the ack of {inc} was expired on the cluster by someone else"
                    )));
                }
                Step::Failed(e, transport) => {
                    fail(r, now, &e);
                    if transport && let Some(b) = self.backends.get_mut(source) {
                        b.rotate();
                    }
                }
            }
        }
        for i in drop_ids.into_iter().rev() {
            let r = self.records.remove(i);
            if matches!(r.status.phase, AckPhase::Expiring { .. }) {
                self.journal("unack applied", Some(&r.status.incident), source, "");
                self.notices.push(Notice::Info(format!("{} un-acknowledged", r.status.incident)));
            }
        }
    }
}
