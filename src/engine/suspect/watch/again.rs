//! A sign seen again on data its earlier look never read. The watch judges
//! the last [`WINDOW_MS`] every [`super::EVERY_MS`], so a sign found in two
//! runs a minute apart was mostly found twice in the same minutes: that is
//! one look, not two. What the later run adds is the data since the earlier
//! one; when that alone shows the sign too, the two are independent looks,
//! as two windows that do not overlap are, and a minute or two sooner.

use std::collections::BTreeMap;

use super::{Instrument, Sign, WINDOW_MS, Watch, normal_of, signs_of};
use crate::model::{Topology, UnixMs};
use crate::store::Store;

impl Watch {
    /// Marks this run's log and span signs ([`Sign::again`]) that an
    /// earlier run less than a [`WINDOW_MS`] ago found on the same service
    /// with the same instrument, when they hold on the data since the
    /// earliest such run alone, judged as the run judges (the same recent
    /// normal before it, the same thresholds). Metric signs are left out,
    /// as persistence leaves them out: a quantized series sits off its
    /// median for minutes on end.
    ///
    /// Judged only where it can tell something (a judgment costs a pass
    /// over the recent normal's spans): not for a service this run found
    /// by two instruments, which corroborate each other, nor for a sign
    /// already seen again within the window.
    pub(super) fn again(&self, store: &Store, topo: &Topology, now: UnixMs, signs: &mut [Sign]) {
        let two =
            |x: &Sign| signs.iter().any(|y| y.service == x.service && y.instrument != x.instrument);
        // Per earlier run, the signs to judge on the data since it.
        let mut due: BTreeMap<UnixMs, Vec<usize>> = BTreeMap::new();
        for (i, x) in signs.iter().enumerate().filter(|(_, x)| looks(x) && !two(x)) {
            let earlier = || {
                (self.looked.iter())
                    .filter(|l| l.0 == x.service && l.1 == x.instrument && now - l.2 < WINDOW_MS)
            };
            if earlier().any(|l| l.3) {
                continue;
            }
            if let Some(t0) = earlier().map(|l| l.2).min() {
                due.entry(t0).or_default().push(i);
            }
        }
        for (t0, which) in due {
            let mut services: Vec<String> =
                which.iter().map(|&i| signs[i].service.clone()).collect();
            services.sort_unstable();
            services.dedup();
            let Some((all, lines, _)) = self.judge(store, topo, (t0 + 1, now), Some(&services))
            else {
                continue;
            };
            for i in which {
                let x = &signs[i];
                let Some(st) = all.get(&x.service) else { continue };
                let (known, has_normal) = normal_of(&lines, &x.service);
                let found = signs_of(&x.service, st, known, has_normal, now);
                signs[i].again = found.iter().any(|y| y.instrument == signs[i].instrument);
            }
        }
    }

    /// Keeps this run's log and span signs for [`Watch::again`] in later
    /// runs, and those of the last [`WINDOW_MS`].
    pub(super) fn remember(&mut self, now: UnixMs, signs: &[Sign]) {
        self.looked.retain(|l| now - l.2 < WINDOW_MS);
        let kept = signs.iter().filter(|x| looks(x));
        self.looked.extend(kept.map(|x| (x.service.clone(), x.instrument, now, x.again)));
    }
}

/// A log or span sign: one that can be seen again. Metric signs are left
/// out, as persistence leaves them out.
fn looks(x: &Sign) -> bool {
    x.instrument != Instrument::Metrics
}
