//! Prometheus metrics (`GET /metrics`), through the `metrics` crate and its Prometheus
//! exporter. Each `App` owns its recorder (not a process-global one), so two desks in one
//! process (the tests) never mix their figures. Counters of requests and histograms of
//! latency and scheduler ticks are recorded as things happen; figures that live in the
//! database (tickets by status and tier, SLA events, the outbox, scheduler lag) are read at
//! scrape time, so every daemon of a cluster reports the same totals.

use metrics::{Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

const TICKET_STATUSES: [&str; 6] = [
    "new",
    "in_progress",
    "pending",
    "resolved",
    "closed",
    "cancelled",
];

const META: Metadata<'static> = Metadata::new("spbe_desk", Level::INFO, None);

/// What the database says at scrape time.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// (status, tier, count)
    pub tickets: Vec<(String, i32, i64)>,
    pub tickets_created: i64,
    /// (kind, count) for warned, breached and escalated.
    pub sla_events: Vec<(String, i64)>,
    /// (status, count)
    pub outbox: Vec<(String, i64)>,
    /// Seconds since the oldest SLA check fell due (0 when none is overdue).
    pub scheduler_lag_seconds: f64,
    pub pool_in_use: u32,
    pub pool_idle: u32,
    /// This daemon's write transactions: (count, seconds waiting, working, committing).
    pub db_writes: (u64, f64, f64, f64),
    /// This daemon's commits (fewer than its write transactions where they share them).
    pub db_commits: u64,
}

pub struct Metrics {
    recorder: PrometheusRecorder,
}

fn key(name: &'static str, labels: &[(&'static str, String)]) -> Key {
    Key::from_parts(
        name,
        labels
            .iter()
            .map(|(k, v)| Label::new(*k, v.clone()))
            .collect::<Vec<_>>(),
    )
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        // Latency buckets from 1 ms to 30 s: API requests, scheduler ticks.
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let r = &recorder;
        let describe = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            r.describe_counter(name.into(), unit, help.into());
        };
        describe(
            "spbe_desk_http_requests_total",
            None,
            "HTTP requests answered, by method, route pattern and status",
        );
        r.describe_histogram(
            "spbe_desk_http_request_duration_seconds".into(),
            Some(Unit::Seconds),
            "Time to answer an HTTP request, by method and route pattern".into(),
        );
        r.describe_histogram(
            "spbe_desk_scheduler_tick_duration_seconds".into(),
            Some(Unit::Seconds),
            "Time one SLA scheduler tick took in this daemon".into(),
        );
        describe(
            "spbe_desk_scheduler_batches_redone_total",
            None,
            "Scheduler batches that failed as a whole and were worked ticket by ticket",
        );
        describe(
            "spbe_desk_db_wal_checkpoints_total",
            None,
            "SQLite: checkpoints of the write-ahead log made by this daemon's background job",
        );
        r.describe_gauge(
            "spbe_desk_db_wal_frames_pending".into(),
            None,
            "SQLite: log frames the last checkpoint could not copy yet (a reader still needed them)".into(),
        );
        r.describe_gauge(
            "spbe_desk_scheduler_lag_seconds".into(),
            Some(Unit::Seconds),
            "How long the oldest overdue SLA check has waited (0: none overdue)".into(),
        );
        r.describe_gauge(
            "spbe_desk_tickets".into(),
            None,
            "Tickets by status and tier".into(),
        );
        describe(
            "spbe_desk_tickets_created_total",
            None,
            "Tickets ever created",
        );
        describe(
            "spbe_desk_sla_events_total",
            None,
            "SLA warnings, breaches and automatic or manual escalations recorded",
        );
        r.describe_gauge(
            "spbe_desk_outbox_messages".into(),
            None,
            "Mail in the outbox by status (queued, sent, dead)".into(),
        );
        r.describe_gauge(
            "spbe_desk_db_pool_connections".into(),
            None,
            "This daemon's database connections, in use and idle".into(),
        );
        Metrics { recorder }
    }

    /// One answered request. `route` is the matched pattern (`/api/v1/tickets/{id}`), never
    /// the raw path, so ids never become label values.
    pub fn http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = [("method", method.to_string()), ("route", route.to_string())];
        self.recorder
            .register_histogram(
                &key("spbe_desk_http_request_duration_seconds", &labels),
                &META,
            )
            .record(seconds);
        let mut with_status = labels.to_vec();
        with_status.push(("status", status.to_string()));
        self.recorder
            .register_counter(&key("spbe_desk_http_requests_total", &with_status), &META)
            .increment(1);
    }

    /// One scheduler tick: its duration, and the batches it had to redo ticket by ticket.
    pub fn tick(&self, seconds: f64, redone_batches: usize) {
        self.recorder
            .register_histogram(
                &key("spbe_desk_scheduler_tick_duration_seconds", &[]),
                &META,
            )
            .record(seconds);
        self.recorder
            .register_counter(&key("spbe_desk_scheduler_batches_redone_total", &[]), &META)
            .increment(u64::try_from(redone_batches).unwrap_or(u64::MAX));
    }

    /// One background checkpoint of SQLite's log, which left `pending` frames uncopied.
    pub fn wal_checkpoint(&self, pending: i64) {
        self.recorder
            .register_counter(&key("spbe_desk_db_wal_checkpoints_total", &[]), &META)
            .increment(1);
        self.recorder
            .register_gauge(&key("spbe_desk_db_wal_frames_pending", &[]), &META)
            .set(pending as f64);
    }

    /// The exposition, with the database's figures as of `s`.
    pub fn render(&self, s: &Snapshot) -> String {
        let r = &self.recorder;
        // Every status and tier, zero included: a gauge not set again would keep its last
        // value after its last ticket moved on.
        for status in TICKET_STATUSES {
            for tier in [1, 2] {
                let n = s
                    .tickets
                    .iter()
                    .find(|(st, t, _)| st == status && *t == tier)
                    .map_or(0, |x| x.2);
                r.register_gauge(
                    &key(
                        "spbe_desk_tickets",
                        &[
                            ("status", (*status).to_string()),
                            ("tier", tier.to_string()),
                        ],
                    ),
                    &META,
                )
                .set(n as f64);
            }
        }
        r.register_counter(&key("spbe_desk_tickets_created_total", &[]), &META)
            .absolute(u64::try_from(s.tickets_created).unwrap_or(0));
        for (kind, n) in &s.sla_events {
            r.register_counter(
                &key("spbe_desk_sla_events_total", &[("kind", kind.clone())]),
                &META,
            )
            .absolute(u64::try_from(*n).unwrap_or(0));
        }
        for status in ["queued", "sent", "dead"] {
            let n = s
                .outbox
                .iter()
                .find(|(st, _)| st == status)
                .map_or(0, |x| x.1);
            r.register_gauge(
                &key(
                    "spbe_desk_outbox_messages",
                    &[("status", status.to_string())],
                ),
                &META,
            )
            .set(n as f64);
        }
        r.register_gauge(&key("spbe_desk_scheduler_lag_seconds", &[]), &META)
            .set(s.scheduler_lag_seconds);
        for (state, n) in [("in_use", s.pool_in_use), ("idle", s.pool_idle)] {
            r.register_gauge(
                &key(
                    "spbe_desk_db_pool_connections",
                    &[("state", state.to_string())],
                ),
                &META,
            )
            .set(f64::from(n));
        }
        let (count, wait, work, commit) = s.db_writes;
        r.register_counter(&key("spbe_desk_db_write_transactions_total", &[]), &META)
            .absolute(count);
        r.register_counter(&key("spbe_desk_db_commits_total", &[]), &META)
            .absolute(s.db_commits);
        for (phase, secs) in [("wait", wait), ("work", work), ("commit", commit)] {
            r.register_gauge(
                &key(
                    "spbe_desk_db_write_time_seconds",
                    &[("phase", phase.to_string())],
                ),
                &META,
            )
            .set(secs);
        }
        self.recorder.handle().render()
    }
}

#[cfg(test)]
mod tests;
