//! Where acknowledgements are written: one Alertmanager cluster (one
//! replica at a time), or the demo world's own silence table.

use std::sync::{Arc, Mutex};

use crate::connectors::alertmanager::silences::{
    ApiSilence, ApiSilenceStatus, PostSilence, SilenceApi,
};
use crate::connectors::http::FetchError;
use crate::model::{Alert, AlertState, Silence, UnixMs};

/// The demo world's silences: the same semantics as Alertmanager's
/// (create, update in place only with identical matchers and `startsAt`,
/// expire), evaluated in the world's virtual time. Shared between the ack
/// writer and the demo driver, which marks matching alerts suppressed.
#[derive(Debug, Clone, Default)]
pub struct DemoSilences {
    inner: Arc<Mutex<DemoTable>>,
}

#[derive(Debug, Default)]
struct DemoTable {
    silences: Vec<ApiSilence>,
    next_id: u64,
    now: UnixMs,
}

fn parse(s: &str) -> UnixMs {
    crate::connectors::alertmanager::api::parse_time(Some(s)).unwrap_or(0)
}

impl DemoSilences {
    fn table(&self) -> std::sync::MutexGuard<'_, DemoTable> {
        // A poisoned lock only means a panic elsewhere; the table is still usable.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn refresh(t: &mut DemoTable) {
        let now = t.now;
        for s in &mut t.silences {
            let (start, end) = (parse(&s.starts_at), parse(&s.ends_at));
            let state = if end <= now {
                "expired"
            } else if start > now {
                "pending"
            } else {
                "active"
            };
            s.status = ApiSilenceStatus { state: state.into() };
        }
    }

    /// Advances the table's clock to the world's time.
    pub fn set_now(&self, now: UnixMs) {
        let mut t = self.table();
        t.now = now;
        Self::refresh(&mut t);
    }

    #[must_use]
    pub fn now(&self) -> UnixMs {
        self.table().now
    }

    #[must_use]
    pub fn list(&self) -> Vec<ApiSilence> {
        let mut t = self.table();
        Self::refresh(&mut t);
        t.silences.clone()
    }

    /// # Errors
    /// The same refusals Alertmanager gives: no matchers, end before start.
    pub fn post(&self, p: &PostSilence) -> Result<String, FetchError> {
        let mut t = self.table();
        let refuse = |m: &str| FetchError::Status { status: 400, message: m.into() };
        if p.matchers.is_empty() {
            return Err(refuse("at least one matcher required"));
        }
        if parse(&p.ends_at) <= parse(&p.starts_at) {
            return Err(refuse("end time must not be before start time"));
        }
        let now = t.now;
        let updated = crate::connectors::alertmanager::silences::rfc3339(now);
        if let Some(id) = &p.id
            && let Some(s) = t.silences.iter_mut().find(|s| &s.id == id)
        {
            let in_place = s.matchers == p.matchers
                && s.starts_at == p.starts_at
                && parse(&s.ends_at) > now
                && parse(&p.ends_at) > now;
            if in_place {
                s.ends_at.clone_from(&p.ends_at);
                s.comment.clone_from(&p.comment);
                s.updated_at = Some(updated);
                return Ok(id.clone());
            }
            // Alertmanager expires the old one and creates a new silence.
            s.ends_at.clone_from(&updated);
        }
        t.next_id += 1;
        let id = format!("demo-{:04}", t.next_id);
        t.silences.push(ApiSilence {
            id: id.clone(),
            status: ApiSilenceStatus::default(),
            updated_at: Some(updated),
            comment: p.comment.clone(),
            created_by: p.created_by.clone(),
            starts_at: p.starts_at.clone(),
            ends_at: p.ends_at.clone(),
            matchers: p.matchers.clone(),
        });
        Self::refresh(&mut t);
        Ok(id)
    }

    pub fn expire(&self, id: &str) {
        let mut t = self.table();
        let now = crate::connectors::alertmanager::silences::rfc3339(t.now);
        if let Some(s) =
            t.silences.iter_mut().find(|s| s.id == id && parse(&s.ends_at) > parse(&now))
        {
            s.ends_at.clone_from(&now);
            s.updated_at = Some(now);
        }
        Self::refresh(&mut t);
    }

    /// Marks alerts that a live silence matches as suppressed, naming it,
    /// the way Alertmanager reports them; returns the silences as the model
    /// knows them.
    pub fn apply(&self, alerts: &mut [Alert], source: &str) -> Vec<Silence> {
        let list = self.list();
        let live: Vec<Silence> = list
            .iter()
            .map(|s| s.to_silence(source))
            .filter(|s| s.state == crate::model::SilenceState::Active)
            .collect();
        let compiled: Vec<(&str, crate::model::CompiledMatchers<'_>)> = live
            .iter()
            .map(|s| (s.id.as_str(), crate::model::CompiledMatchers::new(&s.matchers)))
            .collect();
        for a in alerts.iter_mut().filter(|a| a.state.is_active()) {
            a.silenced_by = compiled
                .iter()
                .filter(|(_, m)| m.matches(&a.labels))
                .map(|(id, _)| (*id).to_string())
                .collect();
            if !a.silenced_by.is_empty() {
                a.state = AlertState::Suppressed;
            }
        }
        list.iter().map(|s| s.to_silence(source)).collect()
    }
}

/// One cluster's write side.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Every replica of one cluster; writes go to `current` only.
    Alertmanager {
        apis: Vec<SilenceApi>,
        current: usize,
        url: String,
    },
    Demo(DemoSilences),
}

impl Backend {
    #[must_use]
    pub fn alertmanager(apis: Vec<SilenceApi>, url: String) -> Self {
        Self::Alertmanager { apis, current: 0, url }
    }

    /// The URL `amtool` would use.
    #[must_use]
    pub fn url(&self) -> &str {
        match self {
            Self::Alertmanager { url, .. } => url,
            Self::Demo(_) => "http://demo.invalid:9093",
        }
    }

    /// After a transport failure, the next attempt goes to the next replica.
    pub fn rotate(&mut self) {
        if let Self::Alertmanager { apis, current, .. } = self
            && !apis.is_empty()
        {
            *current = (*current + 1) % apis.len();
        }
    }

    /// # Errors
    /// Transport, HTTP or parse failures.
    pub async fn list(&self) -> Result<Vec<ApiSilence>, FetchError> {
        match self {
            Self::Alertmanager { apis, current, .. } => match apis.get(*current) {
                Some(api) => api.list().await,
                None => Err(FetchError::Down("no replica configured".into())),
            },
            Self::Demo(d) => Ok(d.list()),
        }
    }

    /// # Errors
    /// Transport, HTTP or parse failures.
    pub async fn post(&self, p: &PostSilence) -> Result<String, FetchError> {
        match self {
            Self::Alertmanager { apis, current, .. } => match apis.get(*current) {
                Some(api) => api.post(p).await,
                None => Err(FetchError::Down("no replica configured".into())),
            },
            Self::Demo(d) => d.post(p),
        }
    }

    /// # Errors
    /// Transport or HTTP failures (unknown ids count as expired).
    pub async fn expire(&self, id: &str) -> Result<(), FetchError> {
        match self {
            Self::Alertmanager { apis, current, .. } => match apis.get(*current) {
                Some(api) => api.expire(id).await,
                None => Err(FetchError::Down("no replica configured".into())),
            },
            Self::Demo(d) => {
                d.expire(id);
                Ok(())
            }
        }
    }
}
