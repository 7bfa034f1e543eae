//! What the benches that start the daemon share: a scratch database and their knobs.

use diesel::connection::SimpleConnection;
use diesel::Connection;

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A database made for one run and removed after it: a SQLite file in a temporary
/// directory, or, with BENCH_DATABASE_URL=postgres://..., a database created beside the
/// one named (dropped at the end, connections and all).
pub struct Scratch {
    pub url: String,
    pub sqlite_path: Option<std::path::PathBuf>,
    pub pg_admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin {
            if let Ok(mut c) = diesel::PgConnection::establish(admin) {
                let _ =
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

/// A scratch database whose name starts with `spbe_<bench>_`.
pub fn scratch_database(bench: &str) -> Scratch {
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            let name = format!("spbe_{bench}_{}", uuid::Uuid::new_v4().simple());
            let mut c =
                diesel::PgConnection::establish(&admin).expect("connect BENCH_DATABASE_URL");
            c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create database");
            let mut url = url::Url::parse(&admin).expect("BENCH_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            Scratch {
                url: url.to_string(),
                sqlite_path: None,
                pg_admin: Some((admin, name)),
                _dir: None,
            }
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join(format!("{bench}.db"));
            Scratch {
                url: format!("sqlite://{}", path.display()),
                sqlite_path: Some(path),
                pg_admin: None,
                _dir: Some(dir),
            }
        }
    }
}

/// Opens the database, loads the demo city into it and returns the demo tokens of `who`
/// (their `.env` names, e.g. `TECH_DUKCAPIL`), in that order.
pub async fn demo_city<const N: usize>(
    settings: &spbe_desk::config::Settings,
    who: [&str; N],
) -> (spbe_desk::db::Db, [String; N]) {
    let db = spbe_desk::startup::open_db(settings)
        .await
        .expect("open database");
    let loader = spbe_desk::app::App::new(
        db.clone(),
        std::sync::Arc::new(spbe_desk::clock::SystemClock),
        settings.clone(),
    )
    .expect("service");
    let tokens = tokio::task::spawn_blocking(move || spbe_desk::cli::demo::load(&loader))
        .await
        .expect("join")
        .expect("demo city");
    let token = |env: &str| {
        tokens
            .iter()
            .find(|t| t.env == env)
            .map(|t| t.token.clone())
            .unwrap_or_else(|| panic!("no demo token {env}"))
    };
    (db, who.map(token))
}
