use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};

use super::{Known, KnownTokens};
use crate::domain::scope::Actor;
use crate::domain::Role;

fn at(h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(h, 0, 0))
        .expect("time")
}

fn known(expires_at: Option<NaiveDateTime>) -> Known {
    Known {
        actor: Actor {
            user_id: "u1".into(),
            name: "Teknisi".into(),
            role: Role::Technician,
            organization_id: "pd1".into(),
            scope_orgs: vec!["pd1".into(), "uk1".into()],
        },
        token_id: "t1".into(),
        expires_at,
        last_used_at: None,
    }
}

#[test]
fn a_resolved_token_is_believed_until_the_directory_changes() {
    let k = KnownTokens::default();
    assert!(k.get("h", at(8)).is_none());
    let g = k.generation();
    k.remember("h".into(), known(None), g);
    let got = k.get("h", at(8)).expect("remembered");
    assert_eq!(got.actor.scope_orgs, ["pd1", "uk1"]);
    assert!(k.get("other", at(8)).is_none());
    k.forget_all();
    assert!(k.get("h", at(8)).is_none(), "a change forgets every token");
}

#[test]
fn a_resolution_read_before_a_change_is_not_filed_after_it() {
    let k = KnownTokens::default();
    let g = k.generation();
    // The change commits and forgets while the resolution is still reading.
    k.forget_all();
    k.remember("h".into(), known(None), g);
    assert!(k.get("h", at(8)).is_none());
    let g = k.generation();
    k.remember("h".into(), known(None), g);
    assert!(k.get("h", at(8)).is_some());
}

#[test]
fn an_expired_token_is_not_believed() {
    let k = KnownTokens::default();
    let g = k.generation();
    k.remember("h".into(), known(Some(at(9))), g);
    assert!(k.get("h", at(8)).is_some());
    assert!(k.get("h", at(9)).is_none(), "expires at its instant");
    assert!(k.get("h", at(10)).is_none());
}

#[test]
fn a_resolution_goes_stale() {
    let k = KnownTokens::fresh_for(Duration::from_millis(30));
    let g = k.generation();
    k.remember("h".into(), known(None), g);
    assert!(k.get("h", at(8)).is_some());
    std::thread::sleep(Duration::from_millis(40));
    assert!(k.get("h", at(8)).is_none());
}

#[test]
fn a_recorded_use_is_remembered() {
    let k = KnownTokens::default();
    let g = k.generation();
    k.remember("h".into(), known(None), g);
    k.used("h", at(8));
    assert_eq!(k.get("h", at(8)).and_then(|t| t.last_used_at), Some(at(8)));
}
