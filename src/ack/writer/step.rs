//! One step of the ack writer on one record and cluster: create the
//! silences an ack is missing, extend those about to end while its alerts
//! fire, expire those of an un-ack; and the retry bookkeeping around it.

use super::*;

impl Writer {
    /// Pending or active ack: create what is missing, extend what is about
    /// to end while its alerts fire.
    pub(super) async fn step(
        &mut self,
        backend: &Backend,
        i: usize,
        list: &[ApiSilence],
        now: UnixMs,
        firing: &Firing<'_>,
    ) -> Step {
        let duration = self.cfg.duration.as_ms();
        let max_until = self.records[i].status.at + self.cfg.max_duration.as_ms();
        let live = covers_firing(&self.records[i], firing);
        let was_active = self.records[i].status.phase == AckPhase::Active;
        let r = &mut self.records[i];
        let mut gone = 0usize;
        for set in &mut r.sets {
            if let Some(id) = &set.id {
                let on_server = list.iter().find(|s| &s.id == id);
                match on_server.filter(|s| s.state() != SilenceState::Expired) {
                    Some(s) => {
                        let ends = s.to_silence("").ends_at;
                        set.ends_at = Some(ends);
                        let extend_before = duration / 3;
                        if live && ends - now < extend_before && ends < max_until {
                            let new_end = (now + duration).min(max_until);
                            match backend.post(&s.extended(new_end)).await {
                                Ok(new_id) => {
                                    set.id = Some(new_id);
                                    set.ends_at = Some(new_end);
                                }
                                Err(e) => return Step::Failed(e.to_string(), is_transport(&e)),
                            }
                        }
                    }
                    None => {
                        let expected_live = set.ends_at.is_some_and(|e| e > now + 1_000);
                        if was_active && expected_live {
                            // Expired on the cluster while it should still run.
                            gone += 1;
                        } else if live {
                            // Ran out (e.g. a long outage): make a new one.
                            set.id = None;
                            set.ends_at = None;
                        } else {
                            set.ends_at = Some(set.ends_at.unwrap_or(now).min(now));
                        }
                    }
                }
            }
            if set.id.is_none() {
                if !live && was_active {
                    continue;
                }
                // Look it up first: a post that timed out may have landed.
                let existing = list.iter().find(|s| {
                    s.state() != SilenceState::Expired
                        && s.created_by == r.status.by
                        && s.comment.starts_with(ACK_MARKER)
                        && same_matchers(&s.matchers, &set.matchers)
                });
                if let Some(s) = existing {
                    set.id = Some(s.id.clone());
                    set.ends_at = Some(s.to_silence("").ends_at);
                    continue;
                }
                let end = (now + duration).min(max_until.max(now + 60_000));
                let post = PostSilence {
                    id: None,
                    matchers: set.matchers.clone(),
                    starts_at: rfc3339(now),
                    ends_at: rfc3339(end),
                    created_by: r.status.by.clone(),
                    comment: r.status.note.clone(),
                };
                match backend.post(&post).await {
                    Ok(id) => {
                        set.id = Some(id);
                        set.ends_at = Some(end);
                    }
                    Err(e) => return Step::Failed(e.to_string(), is_transport(&e)),
                }
            }
        }
        if gone > 0 && gone == r.sets.len() {
            return Step::Gone;
        }
        r.status.phase = AckPhase::Active;
        r.next_try = now;
        Step::Ok
    }
}

/// Whether an alert the ack was made for still fires in the occurrence it
/// was made for: one that started before the ack (give or take the
/// servers' clocks). An alert of the same labels that resolved and fired
/// again later, e.g. while quell was stopped, is a new occurrence, as
/// Alertmanager's own grouping treats it: the old ack is not extended or
/// re-created for it.
pub(super) fn covers_firing(r: &Record, firing: &Firing<'_>) -> bool {
    let s = &r.status;
    s.fingerprints.iter().any(|fp| firing(fp).is_some_and(|started| s.covers(fp, started)))
}

pub(super) fn same_matchers(a: &[SilenceMatcher], b: &[SilenceMatcher]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

pub(super) fn backoff_ms(attempts: u32) -> i64 {
    let wait = crate::base::backoff(Duration::from_secs(5), attempts, Duration::from_secs(300));
    i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
}

pub(super) fn is_transport(e: &FetchError) -> bool {
    matches!(e, FetchError::Down(_) | FetchError::Timeout(_) | FetchError::Tls(_))
}

pub(super) enum Step {
    Ok,
    Done,
    Gone,
    Failed(String, bool),
}

pub(super) fn refresh_status(r: &mut Record) {
    r.status.silence_ids = r.sets.iter().filter_map(|s| s.id.clone()).collect();
    r.status.until = r.sets.iter().filter_map(|s| s.ends_at).max();
}

pub(super) fn fail(r: &mut Record, now: UnixMs, msg: &str) {
    let attempts = match &mut r.status.phase {
        AckPhase::Pending { attempts, last_error }
        | AckPhase::Expiring { attempts, last_error } => {
            *attempts += 1;
            *last_error = Some(msg.to_string());
            *attempts
        }
        AckPhase::Active => {
            // An extension failed: retry sooner than a fresh ack would.
            1
        }
        AckPhase::LocalOnly { .. } => return,
    };
    r.next_try = now + backoff_ms(attempts);
    refresh_status(r);
}

pub(super) async fn expire_record(backend: &Backend, r: &mut Record, list: &[ApiSilence]) -> Step {
    for set in &mut r.sets {
        if set.id.is_none() {
            // A create that may have landed: find it so it is expired too.
            set.id = list
                .iter()
                .find(|s| {
                    s.state() != SilenceState::Expired
                        && s.created_by == r.status.by
                        && s.comment.starts_with(ACK_MARKER)
                        && same_matchers(&s.matchers, &set.matchers)
                })
                .map(|s| s.id.clone());
        }
    }
    let mut remaining = Vec::new();
    for set in std::mem::take(&mut r.sets) {
        let Some(id) = &set.id else { continue };
        match backend.expire(id).await {
            Ok(()) => {}
            Err(e) => {
                let transport = is_transport(&e);
                remaining.push(set);
                r.sets = remaining;
                refresh_status(r);
                return Step::Failed(e.to_string(), transport);
            }
        }
    }
    r.sets = remaining;
    Step::Done
}
