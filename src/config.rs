//! Layered settings: the defaults compiled in from `config/default.toml`, then one file
//! (`--config`, `SPBE_DESK_CONFIG`, or `config/default.toml` in the working directory),
//! then `SPBE_DESK_<SECTION>__<KEY>` environment variables. Every value is checked at start
//! and an error names the key that is wrong.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");
pub const ENV_PREFIX: &str = "SPBE_DESK_";

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub tickets: TicketSettings,
    pub sla: SlaSettings,
    pub scheduler: SchedulerSettings,
    pub log: LogSettings,
    pub mail: MailSettings,
    pub audit: AuditSettings,
    pub backup: BackupSettings,
    pub retention: RetentionSettings,
    pub reports: ReportSettings,
    pub console: ConsoleSettings,
}

/// The web console (`/console`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Whether `/console` is served at all.
    pub enabled: bool,
    /// id (Bahasa Indonesia) or en.
    pub language: MailLanguage,
    /// Whether a one-time link may be mailed (needs mail); sign-in with an API token always
    /// works.
    pub mail_links: bool,
    /// How long a mailed sign-in link stays valid.
    pub link_minutes: i64,
    /// A session ends after this long without a request...
    pub idle_minutes: i64,
    /// ...and this long after sign-in in any case.
    pub max_hours: i64,
    /// `auto`: cookies are `Secure` when the request came over TLS (directly, or per
    /// `X-Forwarded-Proto` from a trusted proxy); `always`; `never` (plain-HTTP tests).
    pub secure_cookies: SecureCookies,
    /// How often the queue page refreshes itself.
    pub refresh_seconds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecureCookies {
    Auto,
    Always,
    Never,
}

/// The Tim Koordinasi report: thresholds of its findings and recommendations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Whether this daemon freezes the month just ended at the start of each month and
    /// mails it to the Tim Koordinasi mailbox.
    pub monthly: bool,
    /// The largest XLSX sent as an attachment; a larger one is linked instead.
    pub attachment_max_bytes: u64,
    pub pd_met_below_percent: f64,
    pub warning_below_percent: f64,
    pub reprimand_below_percent: f64,
    pub closure_below_percent: f64,
}

impl ReportSettings {
    pub fn thresholds(&self) -> crate::domain::report::Thresholds {
        crate::domain::report::Thresholds {
            pd_met_below: self.pd_met_below_percent,
            warning_below: self.warning_below_percent,
            reprimand_below: self.reprimand_below_percent,
            closure_below: self.closure_below_percent,
        }
    }
}

/// How long a reporter's details are kept after a ticket ends, by classification (Kalbar
/// Ps 11(7): retention follows classification). 0 keeps them; both 0 is off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub normal_days: u32,
    pub restricted_days: u32,
    /// Whether the daemon applies retention itself once a day (the command always can).
    pub daily: bool,
}

impl RetentionSettings {
    pub fn is_on(&self) -> bool {
        self.normal_days > 0 || self.restricted_days > 0
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    /// Where scheduled backups go; empty: none.
    pub dir: PathBuf,
    /// A second copy of each, away from the data centre; empty: none.
    pub offsite_dir: PathBuf,
    pub every_hours: u64,
    /// The cadence while the catalogue holds a designated critical service (Makassar
    /// Ps 42(2): the frequency follows the criticality of what the data serves).
    pub critical_every_hours: u64,
    pub keep: usize,
    /// Whether each scheduled archive is restored into a scratch database and compared
    /// (Ps 42(3): the restore path is tested, not assumed).
    pub verify: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// The checkpoint signing key; empty: none.
    pub key_file: PathBuf,
    pub checkpoint_minutes: u64,
}

/// Notices by e-mail: the transport, the sender, the outbox worker, and who is told of what.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub file_dir: PathBuf,
    pub from: String,
    pub language: MailLanguage,
    /// A directory with edited copies of `config/templates/`; empty: the built-in ones.
    pub templates_dir: PathBuf,
    pub desk_url: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: String,
    pub smtp_password: String,
    pub smtp_timeout_seconds: u64,
    pub poll_seconds: u64,
    pub batch_size: i64,
    pub lease_seconds: i64,
    pub max_attempts: i32,
    pub retry_base_seconds: i64,
    /// When not empty, staff are mailed only at these domains (official mail); reporters and
    /// participants may be anywhere.
    pub staff_domains: Vec<String>,
    /// Event name -> recipient roles.
    pub recipients: std::collections::BTreeMap<String, Vec<String>>,
}

// The SMTP password stays out of debug output and logs.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("transport", &self.transport)
            .field("from", &self.from)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailLanguage {
    Id,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// The recipient roles `mail.recipients` may name.
pub const RECIPIENT_ROLES: &[&str] = &[
    "reporter",
    "participants",
    "assignee",
    "assignee_or_tier",
    "tier_people",
    "pd_mailbox",
    "pd_technicians",
    "dinas_mailbox",
    "operators",
    "supervisors",
    "coordination_mailbox",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    pub default_calendar: String,
    pub default_policy: String,
    pub pause_reasons: Vec<String>,
    pub max_pause_hours: i64,
    pub warning_may_wait: bool,
    pub breach_may_wait: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    pub tick_seconds: u64,
    pub batch_size: i64,
    pub lease_seconds: i64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    /// SQLite only: `full` (the default; durable across a power loss) or `normal` (faster).
    pub sqlite_synchronous: crate::db::SqliteSync,
    pub pool_size: u32,
    pub connect_timeout_seconds: u64,
    /// PostgreSQL only: how many of the pool's connections may hold write transactions at
    /// once; 0 chooses (`db::write_connections`).
    pub write_connections: u32,
}

// The URL can hold a password; keep it out of debug output and logs.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &crate::db::redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .field("write_connections", &self.write_connections)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub bind: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    /// The longest life of an API token, in days; 0: tokens live until revoked unless their
    /// issuer gives them an expiry.
    pub token_max_days: u32,
    /// Per token (requests without one: per address): `"20/s burst 100"`, `"600/min burst
    /// 100"` or `"off"`.
    pub rate_limit: String,
    /// Per client address, whatever the token.
    pub rate_limit_per_address: String,
    /// Peers whose `X-Forwarded-For` names the client (the reverse proxy).
    pub trusted_proxies: Vec<String>,
    /// Seconds a client may take to send a request's head before it is dropped.
    pub request_timeout_seconds: u64,
}

/// A parsed rate limit: one request replenished every `period`, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub period: std::time::Duration,
    pub burst: u32,
}

/// `"N/s burst B"`, `"N/min burst B"` (the burst defaults to N) or `"off"` (None).
pub fn parse_rate_limit(s: &str) -> Result<Option<RateLimit>, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad =
        || format!("{s:?} is not a rate limit: write \"20/s burst 100\", \"600/min\" or \"off\"");
    let mut words = s.split_whitespace();
    let rate = words.next().ok_or_else(bad)?;
    let (n, unit) = rate.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    let per = match unit {
        "s" => std::time::Duration::from_secs(1),
        "min" => std::time::Duration::from_secs(60),
        _ => return Err(bad()),
    };
    let burst = match (words.next(), words.next(), words.next()) {
        (None, _, _) => n,
        (Some("burst"), Some(b), None) => b.parse().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    if n == 0 || burst == 0 || n > 1_000_000 {
        return Err(bad());
    }
    Ok(Some(RateLimit {
        period: per / n,
        burst,
    }))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSettings {
    pub number_prefix: String,
    pub timezone: String,
    pub max_backdate_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub format: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration key {key}: {err}", key = key_of(.0), err = .0)]
    Load(#[from] Box<figment::Error>),
    #[error("configuration key {key}: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("configuration file {0} does not exist")]
    Missing(PathBuf),
}

/// The dotted key an error is about, as the settings file spells it.
fn key_of(e: &figment::Error) -> String {
    if e.path.is_empty() {
        "(file)".into()
    } else {
        e.path.join(".").to_ascii_lowercase()
    }
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

impl Settings {
    /// Loads settings. `file` is the `--config` argument; without it `SPBE_DESK_CONFIG`
    /// is used, then `config/default.toml` if present in the working directory.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let env_file = std::env::var_os("SPBE_DESK_CONFIG").map(PathBuf::from);
        let chosen = file.map(Path::to_path_buf).or(env_file);
        let mut fig = Figment::from(Toml::string(DEFAULTS));
        match chosen {
            Some(p) if !p.exists() => return Err(ConfigError::Missing(p)),
            Some(p) => fig = fig.merge(Toml::file(p)),
            None => {
                let local = Path::new("config/default.toml");
                if local.exists() {
                    fig = fig.merge(Toml::file(local));
                }
            }
        }
        fig = fig.merge(Env::prefixed(ENV_PREFIX).ignore(&["config"]).split("__"));
        Self::from_figment(fig)
    }

    pub fn from_figment(fig: Figment) -> Result<Settings, ConfigError> {
        let s: Settings = fig.extract().map_err(Box::new)?;
        s.validate()?;
        Ok(s)
    }

    /// The compiled-in defaults with the given overrides, e.g. for tests.
    pub fn defaults_with(overrides: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut fig = Figment::from(Toml::string(DEFAULTS));
        for (k, v) in overrides {
            // Parsed as the environment provider parses values, so "4" is a number.
            let value: figment::value::Value = v
                .parse()
                .unwrap_or_else(|_| figment::value::Value::from(v.to_string()));
            fig = fig.merge((*k, value));
        }
        Self::from_figment(fig)
    }

    fn validate_mail(&self) -> Result<(), ConfigError> {
        let m = &self.mail;
        if crate::mail::mailbox(&m.from).is_none() {
            return Err(invalid(
                "mail.from",
                "must be an address such as \"Service Desk <servicedesk@kominfo.makassarkota.go.id>\"",
            ));
        }
        if m.transport == MailTransport::Smtp && m.from.contains("@localhost") {
            return Err(invalid(
                "mail.from",
                "is required for smtp: set the desk's official address",
            ));
        }
        if m.transport == MailTransport::Smtp && m.smtp_host.trim().is_empty() {
            return Err(invalid("mail.smtp_host", "is required for smtp"));
        }
        if !(1..=100).contains(&m.max_attempts) {
            return Err(invalid("mail.max_attempts", "must be between 1 and 100"));
        }
        if !(1..=86_400).contains(&m.retry_base_seconds) {
            return Err(invalid(
                "mail.retry_base_seconds",
                "must be between 1 and 86400",
            ));
        }
        if !(1..=10_000).contains(&m.batch_size) || !(5..=86_400).contains(&m.lease_seconds) {
            return Err(invalid(
                "mail.batch_size",
                "batch_size must be 1 to 10000 and lease_seconds 5 to 86400",
            ));
        }
        for (event, roles) in &m.recipients {
            if !crate::mail::EVENTS.contains(&event.as_str()) {
                return Err(invalid(
                    "mail.recipients",
                    format!(
                        "unknown event {event:?}; events are {}",
                        crate::mail::EVENTS.join(", ")
                    ),
                ));
            }
            if let Some(r) = roles
                .iter()
                .find(|r| !RECIPIENT_ROLES.contains(&r.as_str()))
            {
                return Err(invalid(
                    "mail.recipients",
                    format!(
                        "unknown role {r:?} for {event}; roles are {}",
                        RECIPIENT_ROLES.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        crate::db::DbUrl::parse(&self.database.url).map_err(|m| invalid("database.url", m))?;
        if !(1..=512).contains(&self.database.pool_size) {
            return Err(invalid("database.pool_size", "must be between 1 and 512"));
        }
        if self.database.write_connections >= self.database.pool_size
            && self.database.write_connections > 0
        {
            return Err(invalid(
                "database.write_connections",
                "must be below database.pool_size (reads need a connection), or 0 to choose",
            ));
        }
        if self.database.connect_timeout_seconds == 0 {
            return Err(invalid(
                "database.connect_timeout_seconds",
                "must be positive",
            ));
        }
        self.http.bind.parse::<SocketAddr>().map_err(|e| {
            invalid(
                "http.bind",
                format!("{:?} is not HOST:PORT: {e}", self.http.bind),
            )
        })?;
        if self.http.max_body_bytes < 1024 {
            return Err(invalid("http.max_body_bytes", "must be at least 1024"));
        }
        let p = &self.tickets.number_prefix;
        if p.is_empty()
            || p.len() > 16
            || !p
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(invalid(
                "tickets.number_prefix",
                "must be 1 to 16 characters of A-Z and 0-9",
            ));
        }
        self.ticket_timezone()?;
        if !(0..=366).contains(&self.tickets.max_backdate_days) {
            return Err(invalid(
                "tickets.max_backdate_days",
                "must be between 0 and 366",
            ));
        }
        if self.sla.pause_reasons.is_empty()
            || self
                .sla
                .pause_reasons
                .iter()
                .any(|r| r.is_empty() || r.len() > 64)
        {
            return Err(invalid(
                "sla.pause_reasons",
                "must list 1 or more reasons of 1 to 64 characters",
            ));
        }
        if !(1..=24 * 366).contains(&self.sla.max_pause_hours) {
            return Err(invalid("sla.max_pause_hours", "must be between 1 and 8784"));
        }
        self.validate_mail()?;
        let c = &self.console;
        if !(1..=24 * 60).contains(&c.link_minutes) {
            return Err(invalid("console.link_minutes", "must be 1 to 1440"));
        }
        if !(1..=7 * 24 * 60).contains(&c.idle_minutes) {
            return Err(invalid("console.idle_minutes", "must be 1 to 10080"));
        }
        if !(1..=24 * 31).contains(&c.max_hours) {
            return Err(invalid("console.max_hours", "must be 1 to 744"));
        }
        if !(5..=3600).contains(&c.refresh_seconds) {
            return Err(invalid("console.refresh_seconds", "must be 5 to 3600"));
        }
        let r = &self.reports;
        if [
            r.pd_met_below_percent,
            r.warning_below_percent,
            r.reprimand_below_percent,
            r.closure_below_percent,
        ]
        .iter()
        .any(|p| !(p.is_finite() && (0.0..=100.0).contains(p)))
            || !(r.closure_below_percent <= r.reprimand_below_percent
                && r.reprimand_below_percent <= r.warning_below_percent)
        {
            return Err(invalid(
                "reports.warning_below_percent",
                "thresholds are percentages with closure <= reprimand <= warning",
            ));
        }
        for (key, v) in [
            ("http.rate_limit", &self.http.rate_limit),
            (
                "http.rate_limit_per_address",
                &self.http.rate_limit_per_address,
            ),
        ] {
            parse_rate_limit(v).map_err(|m| invalid(key, m))?;
        }
        if self
            .http
            .trusted_proxies
            .iter()
            .any(|p| p.parse::<std::net::IpAddr>().is_err())
        {
            return Err(invalid("http.trusted_proxies", "must list IP addresses"));
        }
        if !(1..=600).contains(&self.http.request_timeout_seconds) {
            return Err(invalid("http.request_timeout_seconds", "must be 1 to 600"));
        }
        if self.http.token_max_days > 3650 {
            return Err(invalid(
                "http.token_max_days",
                "must be 0 (no limit) to 3650",
            ));
        }
        if self.retention.normal_days > 36_600 || self.retention.restricted_days > 36_600 {
            return Err(invalid(
                "retention.normal_days",
                "retention periods are days from 0 (keep) to 36600",
            ));
        }
        let year = 24 * 366;
        if !(1..=year).contains(&self.backup.every_hours)
            || !(1..=year).contains(&self.backup.critical_every_hours)
            || self.backup.keep == 0
        {
            return Err(invalid(
                "backup.every_hours",
                "every_hours and critical_every_hours must be 1 to 8784, keep at least 1",
            ));
        }
        if self.scheduler.tick_seconds > 86_400 {
            return Err(invalid(
                "scheduler.tick_seconds",
                "must be at most 86400 (0 disables)",
            ));
        }
        if !(1..=10_000).contains(&self.scheduler.batch_size) {
            return Err(invalid(
                "scheduler.batch_size",
                "must be between 1 and 10000",
            ));
        }
        if !(5..=86_400).contains(&self.scheduler.lease_seconds) {
            return Err(invalid(
                "scheduler.lease_seconds",
                "must be between 5 and 86400",
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(invalid("log.format", "must be \"text\" or \"json\""));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| invalid("log.level", e.to_string()))?;
        Ok(())
    }

    pub fn ticket_timezone(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.tickets.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            invalid(
                "tickets.timezone",
                format!(
                    "{:?} is not an IANA time zone such as Asia/Makassar",
                    self.tickets.timezone
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests;
