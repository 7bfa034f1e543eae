use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{establish, DbUrl, SqliteSync};

#[derive(QueryableByName)]
struct CompileOption {
    #[diesel(sql_type = Text)]
    compile_options: String,
}

/// `.cargo/config.toml` builds the bundled SQLite without memory statistics (their mutex
/// was the writer's worst contention under load); a build that missed the flag fails here.
#[test]
fn sqlite_is_built_without_memory_statistics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url =
        DbUrl::parse(&format!("sqlite://{}", dir.path().join("t.db").display())).expect("url");
    let mut conn = establish(&url, SqliteSync::Full).expect("open");
    let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
        .load::<CompileOption>(&mut conn)
        .expect("compile options")
        .into_iter()
        .map(|o| o.compile_options)
        .collect();
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "SQLite was built with memory statistics: {options:?}"
    );
}
