//! Command line: parse, load settings, dispatch. One file per subcommand.

pub mod demo;
mod init;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::app::App;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::startup::{open_db, Application};

#[derive(Parser)]
#[command(
    name = "spbe-desk",
    version,
    about = "Two-tier SPBE service desk daemon"
)]
struct Cli {
    /// Settings file layered over the defaults (also SPBE_DESK_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon.
    Serve {
        /// Load the demo city first and print its tokens.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the admin user if missing and print a new API token for it (last line).
    Init {
        #[arg(long, value_name = "EMAIL")]
        admin_email: String,
        #[arg(long, default_value = "Administrator")]
        admin_name: String,
        /// Code of the Dinas organization the admin belongs to (created if missing).
        #[arg(long, default_value = "DISKOMINFO")]
        org_code: String,
        #[arg(long, default_value = "Dinas Komunikasi dan Informatika")]
        org_name: String,
    },
    /// The mail outbox: counts, and sending dead messages again.
    Outbox {
        #[command(subcommand)]
        action: OutboxCommand,
    },
    /// Write a backup of every table, from one consistent snapshot, while the daemon runs.
    #[command(args_conflicts_with_subcommands = true)]
    Backup {
        #[arg(long, value_name = "FILE", required = true)]
        out: Option<PathBuf>,
        #[command(subcommand)]
        action: Option<BackupCommand>,
    },
    /// Restore a backup into an empty database (of either backend); with --verify, restore
    /// into a scratch database instead and compare.
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        #[arg(long)]
        verify: bool,
    },
    /// The tamper-evident audit trail: keys, checkpoints, verification.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Erase the reporter details of tickets whose retention period has passed
    /// (`[retention]` in the configuration), and say what was erased.
    Retention {
        /// List the tickets that would be anonymised, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the Tim Koordinasi report of a month or a year to a file. An ended period is
    /// generated and stored at its first export, and the same bytes come out ever after.
    Export {
        #[arg(
            long,
            value_name = "YYYY-MM",
            conflicts_with = "year",
            required_unless_present = "year"
        )]
        month: Option<String>,
        #[arg(long, value_name = "YYYY")]
        year: Option<String>,
        /// json, csv or xlsx.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// For csv: summary, pds, services, tier2, findings, sanctions or tickets.
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Ask the running daemon's /readyz (at http.bind, on loopback) and exit 0 if it is
    /// ready, 1 if not: for container health checks, which have no curl.
    Healthcheck,
    /// Stored reports.
    Report {
        #[command(subcommand)]
        action: ReportCommand,
    },
    /// Load a small demo city, print tokens for its users, and run the daemon.
    Demo {
        /// Load and print tokens, then exit instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Print how many messages are queued, sent and dead.
    Status,
    /// Put dead messages back into the queue: one (--id) or every dead one (--dead).
    Retry {
        #[arg(
            long,
            value_name = "ID",
            conflicts_with = "dead",
            required_unless_present = "dead"
        )]
        id: Option<String>,
        #[arg(long)]
        dead: bool,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Check a copy of a report (any format) against the stored manifests: exit 0 and name
    /// the period and format it is, or exit 1.
    Verify {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// List the archives in backup.dir (and backup.offsite_dir), oldest first.
    List,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Create a new checkpoint signing key in FILE (it must not exist); prints the public key.
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign a checkpoint over every chain's head now, with audit.key_file.
    Checkpoint,
    /// Walk every hash chain and checkpoint; print the first broken link and exit 1 if any.
    Verify,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("spbe-desk: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(&settings.log);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("spbe-desk: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spbe-desk: {}", crate::app::error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Migrate => {
            open_db(&settings).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Init {
            admin_email,
            admin_name,
            org_code,
            org_name,
        } => {
            let app = App::new(open_db(&settings).await?, clock, settings)?;
            let token = tokio::task::spawn_blocking(move || {
                init::run(&app, &admin_email, &admin_name, &org_code, &org_name)
            })
            .await??;
            println!("{token}");
            Ok(())
        }
        Command::Audit { action } => audit(action, settings, clock).await,
        Command::Backup {
            action: Some(BackupCommand::List),
            ..
        } => {
            let dirs = [
                settings.backup.dir.clone(),
                settings.backup.offsite_dir.clone(),
            ];
            let dirs: Vec<_> = dirs
                .into_iter()
                .filter(|d| !d.as_os_str().is_empty())
                .collect();
            if dirs.is_empty() {
                anyhow::bail!("set backup.dir to keep scheduled backups");
            }
            for dir in dirs {
                println!("{}:", dir.display());
                for a in crate::app::backup::list(&dir)? {
                    println!(
                        "  {}  {:>12} bytes  {}  {}",
                        a.created_at.map_or("?".into(), |t| t.to_rfc3339()),
                        a.bytes,
                        if a.complete { "complete" } else { "INCOMPLETE" },
                        a.path.display()
                    );
                }
            }
            Ok(())
        }
        Command::Backup { out, .. } => {
            let out = out.ok_or_else(|| anyhow::anyhow!("name the archive with --out FILE"))?;
            let db = open_db(&settings).await?;
            let m = tokio::task::spawn_blocking(move || {
                let bar = progress_bar("backup");
                let m = crate::app::backup::write_archive(&db, &out, |n| bar.set_position(n));
                bar.finish_and_clear();
                m.map(|m| (m, out))
            })
            .await??;
            print_manifest("backup written to", &m.1, &m.0);
            Ok(())
        }
        Command::Restore { from, verify } => {
            let url = settings.database.url.clone();
            let (size, sync) = (
                settings.database.pool_size,
                settings.database.sqlite_synchronous,
            );
            let timeout = std::time::Duration::from_secs(settings.database.connect_timeout_seconds);
            let m = tokio::task::spawn_blocking(move || {
                if verify {
                    return crate::app::backup::verify_archive(&from, &std::env::temp_dir()).map(
                        |m| {
                            (
                                m,
                                from,
                                "verified (restored into a scratch database and compared):",
                            )
                        },
                    );
                }
                // Migrations only: the target must stay empty until the archive fills it.
                let db = crate::db::Db::connect_with(&url, size, timeout, sync)?;
                let bar = progress_bar("restore");
                let m = crate::app::backup::restore_archive(&db, &from, |n| bar.set_position(n));
                bar.finish_and_clear();
                m.map(|m| (m, from, "restored from"))
            })
            .await??;
            print_manifest(m.2, &m.1, &m.0);
            Ok(())
        }
        Command::Outbox { action } => {
            let app = App::new(open_db(&settings).await?, clock, settings)?;
            let out = tokio::task::spawn_blocking(move || match action {
                OutboxCommand::Status => app.outbox_counts().map(|counts| {
                    ["queued", "sent", "dead"]
                        .iter()
                        .map(|s| {
                            let n = counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
                            format!("{s} {n}")
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }),
                OutboxCommand::Retry { id, .. } => app
                    .retry_outbox(None, id.as_deref())
                    .map(|n| format!("requeued {n}")),
            })
            .await?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{out}");
            Ok(())
        }
        Command::Retention { dry_run } => {
            if !settings.retention.is_on() {
                println!(
                    "retention is off: set retention.normal_days or retention.restricted_days"
                );
                return Ok(());
            }
            let app = App::new(open_db(&settings).await?, clock, settings)?;
            let r = tokio::task::spawn_blocking(move || app.apply_retention(dry_run))
                .await?
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", retention_summary(&r));
            Ok(())
        }
        Command::Export {
            month,
            year,
            format,
            sheet,
            out,
        } => {
            let format = crate::app::reports::Format::parse(&format, sheet.as_deref())
                .map_err(anyhow::Error::msg)?;
            let app = App::new(open_db(&settings).await?, clock, settings)?;
            let (label, monthly) = match (month, year) {
                (Some(m), _) => (m, true),
                (None, Some(y)) => (y, false),
                (None, None) => anyhow::bail!("give --month YYYY-MM or --year YYYY"),
            };
            let done = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
                let err = |e: crate::app::AppError| anyhow::anyhow!("{e}");
                let period = app.report_period(&label, monthly).map_err(err)?;
                let bar = progress_bar("tickets read");
                let report = app
                    .report_for(&period, format, &mut |n| bar.set_position(n))
                    .map_err(err);
                bar.finish_and_clear();
                let report = report?;
                let line = format!(
                    "{} {} ({} bytes, sha256 {}{})",
                    report.period,
                    format.key(),
                    report.bytes,
                    report.sha256,
                    if report.frozen {
                        ", frozen"
                    } else {
                        ", period still running"
                    }
                );
                let tmp = out.with_extension("partial");
                let mut file = std::io::BufWriter::new(
                    std::fs::File::create(&tmp)
                        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", tmp.display()))?,
                );
                report.copy_to(&app, &mut file).map_err(err)?;
                std::io::Write::flush(&mut file)?;
                drop(file);
                std::fs::rename(&tmp, &out)?;
                Ok(format!("{line} written to {}", out.display()))
            })
            .await??;
            println!("{done}");
            Ok(())
        }
        Command::Healthcheck => {
            let addr = settings
                .http
                .bind
                .replace("0.0.0.0", "127.0.0.1")
                .replace("[::]", "[::1]");
            let answer = tokio::task::spawn_blocking(move || readyz(&addr)).await??;
            if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") {
                println!("ready");
                Ok(())
            } else {
                anyhow::bail!("not ready: {answer}")
            }
        }
        Command::Report {
            action: ReportCommand::Verify { file },
        } => {
            let app = App::new(open_db(&settings).await?, clock, settings)?;
            let said = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
                use sha2::Digest;
                let mut f = std::fs::File::open(&file)
                    .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
                let mut h = sha2::Sha256::new();
                std::io::copy(&mut f, &mut h)?;
                let sha = hex::encode(h.finalize());
                let found = app.identify_report(&sha).map_err(|e| anyhow::anyhow!("{e}"))?;
                match found.first() {
                    Some(r) => Ok(format!(
                        "{} is the stored report {} {} generated at {} (sha256 {sha})",
                        file.display(),
                        r.period,
                        r.format,
                        r.generated_at.and_utc().to_rfc3339()
                    )),
                    None => anyhow::bail!(
                        "{} (sha256 {sha}) matches no stored report: it was changed, cut, or never issued by this desk",
                        file.display()
                    ),
                }
            })
            .await??;
            println!("{said}");
            Ok(())
        }
        Command::Demo { no_serve } => {
            let db = open_db(&settings).await?;
            demo_then(db, settings, clock, !no_serve).await
        }
        Command::Serve { demo } => {
            let db = open_db(&settings).await?;
            if demo {
                return demo_then(db, settings, clock, true).await;
            }
            serve(db, settings, clock).await
        }
    }
}

async fn demo_then(
    db: crate::db::Db,
    settings: Settings,
    clock: Arc<dyn Clock>,
    serve_after: bool,
) -> anyhow::Result<()> {
    let app = App::new(db.clone(), clock.clone(), settings.clone())?;
    let tokens = tokio::task::spawn_blocking(move || demo::load(&app)).await??;
    demo::print(&tokens, &settings)?;
    if serve_after {
        serve(db, settings, clock).await
    } else {
        Ok(())
    }
}

async fn audit(
    action: AuditCommand,
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    use crate::app::audit::{read_signing_key, write_new_signing_key};
    if let AuditCommand::Keygen { out } = &action {
        let public = write_new_signing_key(out)?;
        println!("public key {public}");
        return Ok(());
    }
    let key_file = settings.audit.key_file.clone();
    let key = if key_file.as_os_str().is_empty() {
        None
    } else {
        Some(read_signing_key(&key_file)?)
    };
    let app = App::new(open_db(&settings).await?, clock, settings)?;
    tokio::task::spawn_blocking(move || match action {
        AuditCommand::Checkpoint => {
            let key =
                key.ok_or_else(|| anyhow::anyhow!("set audit.key_file to sign checkpoints"))?;
            let (heads, root) = app
                .audit_checkpoint(&key)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("checkpoint over {heads} chains, root {root}");
            Ok(())
        }
        AuditCommand::Verify => {
            let public = key.map(|k| k.verifying_key());
            let r = app
                .verify_audit(public.as_ref())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match r.broken {
                None => {
                    println!(
                        "audit trail intact: {} events in {} chains, {} checkpoints",
                        r.events, r.chains, r.checkpoints
                    );
                    Ok(())
                }
                Some(b) => Err(anyhow::anyhow!("audit trail broken: {b}")),
            }
        }
        AuditCommand::Keygen { .. } => Ok(()),
    })
    .await?
}

fn progress_bar(what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}: {pos} rows ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar
}

fn print_manifest(what: &str, path: &std::path::Path, m: &crate::app::backup::Manifest) {
    println!("{what} {}", path.display());
    for t in &m.tables {
        println!("  {:<22} {:>9} rows  sha256 {}", t.table, t.rows, t.sha256);
    }
    println!("  archive sha256 {}", m.archive_sha256);
}

/// The `serve` command: the daemon with its HTTP layer and workers.
async fn serve(db: crate::db::Db, settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let bind = settings.http.bind.clone();
    let app = Application::build_with_db(settings, clock, db)?;
    tracing::info!(%bind, port = app.port(), "spbe-desk listening");
    app.run_until_stopped().await?;
    tracing::info!("spbe-desk stopped");
    Ok(())
}

fn retention_summary(r: &crate::app::retention::RetentionReport) -> String {
    let mut lines = Vec::new();
    if r.dry_run {
        lines.push(format!("would anonymise {} tickets", r.tickets.len()));
    } else {
        lines.push(format!("anonymised {} tickets", r.tickets.len()));
        lines.push(format!(
            "erased {} personal values in the audit trail, {} participants, {} mail addresses",
            r.personal_values, r.participants, r.mail
        ));
        if r.legacy_events > 0 {
            lines.push(format!(
                "{} audit events written before personal data left the hashed trail still name a reporter",
                r.legacy_events
            ));
        }
    }
    lines.extend(r.tickets.iter().cloned());
    lines.join("\n")
}

/// The status line of GET /readyz at `addr` (HOST:PORT), over a plain TCP connection.
fn readyz(addr: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, Write};
    use std::net::ToSocketAddrs;
    let timeout = std::time::Duration::from_secs(3);
    let target = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow::anyhow!("http.bind {addr} resolves to nothing"))?;
    let mut stream = std::net::TcpStream::connect_timeout(&target, timeout)
        .map_err(|e| anyhow::anyhow!("cannot reach the daemon at {addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut line = String::new();
    std::io::BufReader::new(stream).read_line(&mut line)?;
    Ok(line.trim().to_string())
}
