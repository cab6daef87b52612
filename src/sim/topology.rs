//! The demo world's services, their instances and who calls whom.
//!
//! Owns the static shape of the simulated system: per-service baselines, call
//! edges with their coupling weights, pod names, and the derived facts the
//! rest of `sim/` needs (steady-state latency, which services a fault can
//! reach). It holds no time-varying state.

use crate::model::Topology;

use crate::base::fnv1a;

/// What a service is; decides its log templates and which faults fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Proxy,
    App,
    Database,
    Cache,
    Queue,
    Dns,
}

/// Baselines of one service. Latencies are the service's *own* p99 work;
/// time spent waiting on callees is added by the physics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServiceSpec {
    pub name: &'static str,
    pub namespace: &'static str,
    pub role: Role,
    pub instances: usize,
    pub port: u16,
    /// Requests per second at the diurnal mean.
    pub rate: f64,
    pub self_p99: f64,
    pub error_ratio: f64,
    /// Percent of the CPU limit at the diurnal mean.
    pub cpu: f64,
    pub memory: f64,
    pub disk: f64,
    /// Client timeout this service applies to its outgoing calls, seconds.
    pub timeout: f64,
}

// A table row constructor: positional on purpose, so the table reads as one.
#[allow(clippy::too_many_arguments)]
const fn svc(
    name: &'static str,
    namespace: &'static str,
    role: Role,
    instances: usize,
    rate: f64,
    self_p99: f64,
    error_ratio: f64,
    usage: [f64; 3],
    timeout: f64,
) -> ServiceSpec {
    let port = match role {
        Role::Database => 5432,
        Role::Cache => 6379,
        Role::Queue => 5672,
        Role::Dns => 53,
        Role::Proxy | Role::App => 8080,
    };
    ServiceSpec {
        name,
        namespace,
        role,
        instances,
        port,
        rate,
        self_p99,
        error_ratio,
        cpu: usage[0],
        memory: usage[1],
        disk: usage[2],
        timeout,
    }
}

const SHOP: &str = "shop";
const ANALYTICS: &str = "analytics";

/// The services. `analytics` is an island: nothing in `shop` calls it and it
/// calls nothing in `shop` (not even DNS), so a fault there is truly unrelated.
#[rustfmt::skip]
pub(crate) const SERVICES: &[ServiceSpec] = &[
    //  name               namespace   role              pods  req/s    self p99 errors   [cpu%, mem%, disk%]  timeout s
    svc("ingress",         SHOP,       Role::Proxy,      3,    420.0,   0.004,   0.001,   [32.0, 30.0, 22.0],  10.0),
    svc("frontend",        SHOP,       Role::App,        4,    400.0,   0.030,   0.002,   [45.0, 48.0, 25.0],  2.0),
    svc("auth",            SHOP,       Role::App,        3,    380.0,   0.008,   0.001,   [30.0, 40.0, 20.0],  0.5),
    svc("catalog",         SHOP,       Role::App,        3,    260.0,   0.020,   0.001,   [38.0, 52.0, 24.0],  0.5),
    svc("search",          SHOP,       Role::App,        3,    90.0,    0.040,   0.002,   [42.0, 55.0, 26.0],  1.0),
    svc("cart",            SHOP,       Role::App,        3,    150.0,   0.012,   0.001,   [28.0, 36.0, 21.0],  0.5),
    svc("checkout",        SHOP,       Role::App,        3,    35.0,    0.060,   0.002,   [33.0, 44.0, 23.0],  2.0),
    svc("payments",        SHOP,       Role::App,        3,    30.0,    0.090,   0.003,   [26.0, 41.0, 22.0],  0.5),
    svc("inventory",       SHOP,       Role::App,        2,    60.0,    0.015,   0.001,   [24.0, 38.0, 20.0],  0.5),
    svc("orders-queue",    SHOP,       Role::Queue,      1,    35.0,    0.003,   0.0005,  [18.0, 50.0, 55.0],  5.0),
    svc("order-worker",    SHOP,       Role::App,        3,    30.0,    0.050,   0.002,   [35.0, 46.0, 24.0],  1.0),
    svc("email",           SHOP,       Role::App,        2,    25.0,    0.120,   0.003,   [15.0, 34.0, 20.0],  5.0),
    svc("postgres",        SHOP,       Role::Database,   1,    900.0,   0.006,   0.0005,  [48.0, 62.0, 64.0],  5.0),
    svc("redis",           SHOP,       Role::Cache,      1,    1500.0,  0.0015,  0.0002,  [22.0, 58.0, 30.0],  1.0),
    svc("elasticsearch",   SHOP,       Role::Database,   3,    90.0,    0.025,   0.001,   [52.0, 64.0, 68.0],  5.0),
    svc("dns",             SHOP,       Role::Dns,        2,    2000.0,  0.002,   0.0002,  [12.0, 25.0, 15.0],  1.0),
    svc("bi-dashboard",    ANALYTICS,  Role::App,        2,    6.0,     0.40,    0.002,   [20.0, 42.0, 20.0],  5.0),
    svc("reports-batch",   ANALYTICS,  Role::App,        1,    4.0,     0.90,    0.002,   [40.0, 55.0, 35.0],  2.0),
    svc("warehouse-db",    ANALYTICS,  Role::Database,   1,    12.0,    0.15,    0.0005,  [44.0, 60.0, 72.0],  10.0),
];

/// The worker nodes pods run on, in two node pools: analytics has its own,
/// so the island stays unrelated to the shop even through a shared node.
pub(crate) const NODES: &[(&str, &str)] = &[
    ("node-shop-1", SHOP),
    ("node-shop-2", SHOP),
    ("node-shop-3", SHOP),
    ("node-shop-4", SHOP),
    ("node-shop-5", SHOP),
    ("node-analytics-1", ANALYTICS),
    ("node-analytics-2", ANALYTICS),
];

/// `(caller, callee, latency weight, error weight)`. The weights are below 1:
/// a caller's p99 contains only part of a callee's p99 (parallel calls,
/// caching) and retries hide part of its errors. That attenuation is what
/// makes the root deviate most strongly. The queue edge barely couples:
/// publishing does not wait for the consumer.
pub(crate) const EDGES: &[(&str, &str, f64, f64)] = &[
    ("ingress", "frontend", 0.9, 0.9),
    ("frontend", "auth", 0.5, 0.5),
    ("frontend", "catalog", 0.5, 0.5),
    ("frontend", "search", 0.4, 0.4),
    ("frontend", "cart", 0.5, 0.5),
    ("frontend", "checkout", 0.45, 0.45),
    ("frontend", "dns", 0.3, 0.5),
    ("auth", "redis", 0.5, 0.5),
    ("catalog", "postgres", 0.6, 0.5),
    ("search", "elasticsearch", 0.8, 0.6),
    ("cart", "redis", 0.7, 0.6),
    ("checkout", "payments", 0.7, 0.6),
    ("checkout", "inventory", 0.6, 0.5),
    ("checkout", "orders-queue", 0.5, 0.5),
    ("checkout", "dns", 0.3, 0.5),
    ("payments", "postgres", 0.7, 0.6),
    ("payments", "dns", 0.3, 0.5),
    ("inventory", "postgres", 0.7, 0.6),
    ("orders-queue", "order-worker", 0.1, 0.05),
    ("order-worker", "postgres", 0.7, 0.6),
    ("order-worker", "email", 0.6, 0.5),
    ("order-worker", "dns", 0.3, 0.5),
    ("bi-dashboard", "reports-batch", 0.8, 0.6),
    ("reports-batch", "warehouse-db", 0.8, 0.6),
];

#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub callee: usize,
    pub lat_w: f64,
    pub err_w: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub service: usize,
    pub name: String,
    /// Index into `NODES`.
    pub node: usize,
}

/// The indexed graph. Services are referred to by their index in `SERVICES`.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub callees: Vec<Vec<Edge>>,
    pub callers: Vec<Vec<usize>>,
    /// Bit set of the service itself and everything that transitively calls
    /// it: where a fault rooted here can show up. Indexed like `callers`.
    pub blast: Vec<u64>,
    /// Per node (`NODES` order): the services with a pod on it.
    pub hosted: Vec<Vec<usize>>,
    pub instances: Vec<Instance>,
    /// Instance indexes per service.
    pub pods: Vec<Vec<usize>>,
    /// Steady-state p99 including waits on callees, seconds.
    pub base_p99: Vec<f64>,
}

pub(crate) fn index_of(name: &str) -> Option<usize> {
    SERVICES.iter().position(|s| s.name == name)
}

/// Index of a node in `NODES`.
pub(crate) fn node_of(name: &str) -> Option<usize> {
    NODES.iter().position(|(n, _)| *n == name)
}

/// A fault's root: a service index, or `SERVICES.len() + node` for a node.
pub(crate) fn root_of(name: &str) -> Option<usize> {
    index_of(name).or_else(|| node_of(name).map(|n| SERVICES.len() + n))
}

impl Graph {
    pub(crate) fn new(seed: u64) -> Self {
        let n = SERVICES.len();
        let mut callees = vec![Vec::new(); n];
        // Nodes get caller lists too (the services running on them), so a
        // node fault's blast radius and hop counts come out of the same walk.
        let mut callers = vec![Vec::new(); n + NODES.len()];
        for &(a, b, lat_w, err_w) in EDGES {
            if let (Some(a), Some(b)) = (index_of(a), index_of(b)) {
                callees[a].push(Edge { callee: b, lat_w, err_w });
                callers[b].push(a);
            }
        }
        let mut instances = Vec::new();
        let mut pods = vec![Vec::new(); n];
        let mut hosted = vec![Vec::new(); NODES.len()];
        for (i, spec) in SERVICES.iter().enumerate() {
            // A replica-set hash per service, stable for a seed.
            let h = fnv1a(spec.name.as_bytes()) ^ seed.rotate_left(17);
            let spread = fnv1a(format!("{}/{seed}", spec.name).as_bytes());
            // The scheduler spreads a service's replicas over its pool's
            // nodes (anti-affinity), starting at a node that depends on the seed.
            let pool: Vec<usize> =
                (0..NODES.len()).filter(|&j| NODES[j].1 == spec.namespace).collect();
            #[allow(clippy::cast_possible_truncation)]
            let first = (spread % 64) as usize;
            for k in 0..spec.instances {
                pods[i].push(instances.len());
                let name = format!("{}-{:05x}-{}:{}", spec.name, h & 0xf_ffff, k, spec.port);
                let node = pool.get((first + k) % pool.len().max(1)).copied().unwrap_or(0);
                if !hosted[node].contains(&i) {
                    hosted[node].push(i);
                    callers[n + node].push(i);
                }
                instances.push(Instance { service: i, name, node });
            }
        }
        let blast = (0..n + NODES.len()).map(|s| blast_mask(&callers, s)).collect();
        let mut g =
            Self { callees, callers, blast, hosted, instances, pods, base_p99: vec![0.0; n] };
        g.base_p99 = (0..n).map(|s| g.steady_p99(s, 0)).collect();
        g
    }

    fn steady_p99(&self, s: usize, depth: usize) -> f64 {
        // The graph is acyclic; the depth guard only protects against a bad edit.
        if depth > SERVICES.len() {
            return SERVICES[s].self_p99;
        }
        let waits: f64 =
            self.callees[s].iter().map(|e| e.lat_w * self.steady_p99(e.callee, depth + 1)).sum();
        SERVICES[s].self_p99 + waits
    }

    /// Whether faults on `a` and `b` could show up on a common service.
    #[cfg(test)]
    pub(crate) fn related(&self, a: usize, b: usize) -> bool {
        self.blast[a] & self.blast[b] != 0
    }

    /// Hops from `root` up to `s` along callers, if `s` is in its blast radius.
    pub(crate) fn hops_from(&self, root: usize, s: usize) -> Option<usize> {
        let mut frontier = vec![root];
        let mut seen = 1u64 << root;
        for d in 0..=SERVICES.len() {
            if frontier.contains(&s) {
                return Some(d);
            }
            let mut next = Vec::new();
            for &f in &frontier {
                for &c in &self.callers[f] {
                    if seen & (1 << c) == 0 {
                        seen |= 1 << c;
                        next.push(c);
                    }
                }
            }
            if next.is_empty() {
                return None;
            }
            frontier = next;
        }
        None
    }

    /// Services and nodes; a service depends on the nodes its pods run on
    /// (what a topology built from `kube_pod_info` shows).
    pub(crate) fn topology(&self) -> Topology {
        let mut t = Topology::new();
        for s in SERVICES {
            t.add_service(s.name);
        }
        for (node, _) in NODES {
            t.add_service(node);
        }
        for (a, edges) in self.callees.iter().enumerate() {
            for e in edges {
                t.add_edge(SERVICES[a].name, SERVICES[e.callee].name);
            }
        }
        for (j, services) in self.hosted.iter().enumerate() {
            for &s in services {
                t.add_edge(SERVICES[s].name, NODES[j].0);
            }
        }
        t
    }
}

fn blast_mask(callers: &[Vec<usize>], s: usize) -> u64 {
    let mut mask = 1u64 << s;
    let mut stack = vec![s];
    while let Some(x) = stack.pop() {
        for &c in &callers[x] {
            if mask & (1 << c) == 0 {
                mask |= 1 << c;
                stack.push(c);
            }
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_is_well_formed() {
        assert!(SERVICES.len() >= 12 && SERVICES.len() <= 64);
        for &(a, b, ..) in EDGES {
            assert!(index_of(a).is_some() && index_of(b).is_some(), "{a} -> {b}");
        }
        let g = Graph::new(1);
        let t = g.topology();
        assert_eq!(t.services().count(), SERVICES.len() + NODES.len());
        assert!(SERVICES.iter().all(|s| (1..=4).contains(&s.instances)));
        // Replicas land on distinct nodes of their own pool.
        for (s, pods) in g.pods.iter().enumerate() {
            let mut nodes: Vec<usize> = pods.iter().map(|&p| g.instances[p].node).collect();
            assert!(nodes.iter().all(|&j| NODES[j].1 == SERVICES[s].namespace));
            nodes.sort_unstable();
            nodes.dedup();
            assert_eq!(nodes.len(), pods.len(), "{}", SERVICES[s].name);
        }
        assert!(g.instances[0].name.starts_with("ingress-"));
        assert!(g.instances[0].name.ends_with("-0:8080"));
    }

    #[test]
    fn island_is_unrelated_and_hubs_reach_ingress() {
        let g = Graph::new(1);
        let id = |n| index_of(n).unwrap_or(usize::MAX);
        assert!(!g.related(id("warehouse-db"), id("postgres")));
        assert!(!g.related(id("reports-batch"), id("dns")));
        assert!(g.related(id("redis"), id("elasticsearch")));
        assert_eq!(g.hops_from(id("postgres"), id("checkout")), Some(2));
        assert_eq!(g.hops_from(id("postgres"), id("redis")), None);
        assert!(g.base_p99[id("frontend")] > g.base_p99[id("cart")]);
    }
}
