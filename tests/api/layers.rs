//! The layering rule, checked on the source: only the HTTP layer (`routes/`, the console included),
//! `startup.rs` and the `serve` command (`cli/mod.rs`) may use actix or the HTTP layer;
//! `domain/` uses neither actix nor diesel.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_http_layer_knows_actix() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let http = ["routes/", "startup.rs", "cli/mod.rs"];
    let mut offenders = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).expect("read");
        // Comments may name the layers; code may not use them.
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut forbidden = vec![];
        if !http.iter().any(|h| rel.starts_with(h)) {
            forbidden.extend(["actix", "crate::routes", "crate::error", "ApiError"]);
        }
        if rel.starts_with("domain/") {
            forbidden.extend(["diesel", "crate::db", "crate::app"]);
        }
        for word in forbidden {
            if code.contains(word) {
                offenders.push(format!("{rel} uses {word}"));
            }
        }
    }
    assert!(offenders.is_empty(), "layering broken: {offenders:#?}");
}
