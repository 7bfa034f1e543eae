use std::collections::HashSet;

use super::{find, TEXTS};
use crate::config::MailLanguage;
use crate::domain::{
    Classification, CommentVisibility, Level, Priority, Role, TicketKind, TicketStatus,
};

fn has(key: &str) -> bool {
    find(MailLanguage::Id, key).is_some() && find(MailLanguage::En, key).is_some()
}

#[test]
fn every_key_is_there_once_with_both_languages() {
    let mut seen = HashSet::new();
    for (k, id, en) in TEXTS {
        assert!(seen.insert(*k), "{k} twice");
        assert!(!id.is_empty() && !en.is_empty(), "{k} is blank");
    }
}

#[test]
fn every_literal_key_in_the_templates_has_a_text() {
    let re = regex::Regex::new(r#"\bt\(["']([a-z0-9_.]+)["']\)"#).expect("regex");
    let mut missing = Vec::new();
    let mut found = 0;
    for (name, source) in crate::routes::console::render::TEMPLATES {
        for c in re.captures_iter(source) {
            found += 1;
            if !has(&c[1]) {
                missing.push(format!("{name}: {}", &c[1]));
            }
        }
    }
    assert!(found > 100, "the pattern found only {found} keys");
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn every_value_a_template_labels_has_a_text() {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |prefix: &str, values: &[&str]| {
        keys.extend(values.iter().map(|v| format!("{prefix}.{v}")));
    };
    add("status", TicketStatus::values());
    add("priority", Priority::values());
    add("level", Level::values());
    add("kind", TicketKind::values());
    add("role", Role::values());
    add("classification", Classification::values());
    add("visibility", CommentVisibility::values());
    add("mode", crate::domain::EscalationMode::values());
    add("sla", &["running", "warned", "breached", "paused", "none"]);
    add("outcome", &["running", "paused", "met", "breached"]);
    add("target", crate::domain::targets::TargetKind::values());
    add(
        "action",
        &[
            "acknowledge",
            "resume",
            "close",
            "escalate",
            "resolve",
            "reopen",
            "cancel",
            "pause",
            "comment",
        ],
    );
    add(
        "action",
        &[
            "escalate_text",
            "resolve_text",
            "reopen_text",
            "cancel_text",
        ],
    );
    add("queue", &["tier1", "tier2", "all"]);
    add("sign_in", &["link_sent"]);
    let missing: Vec<_> = keys.iter().filter(|k| !has(k)).collect();
    assert!(missing.is_empty(), "{missing:?}");
}
