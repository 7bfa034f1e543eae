use super::*;

#[test]
fn defaults_load() {
    let s = Settings::defaults_with(&[]).expect("defaults");
    assert_eq!(s.http.bind, "127.0.0.1:8080");
    assert_eq!(s.tickets.max_backdate_days, 7);
    assert!(s.database.url.starts_with("sqlite://"));
}

#[test]
fn a_bad_value_names_its_key() {
    let e = Settings::defaults_with(&[("http.bind", "nowhere")])
        .err()
        .expect("bad bind");
    assert!(e.to_string().contains("http.bind"), "{e}");
    let e = Settings::defaults_with(&[("database.url", "postgress://x")])
        .err()
        .expect("bad url");
    assert!(e.to_string().contains("database.url"), "{e}");
    let e = Settings::defaults_with(&[("tickets.timezone", "Asia/Nowhere")])
        .err()
        .expect("tz");
    assert!(e.to_string().contains("tickets.timezone"), "{e}");
}

#[test]
fn an_ill_typed_value_names_its_key() {
    let e = Settings::defaults_with(&[("database.pool_size", "many")])
        .err()
        .expect("type");
    assert!(e.to_string().contains("pool_size"), "{e}");
}

#[test]
#[allow(clippy::result_large_err)]
fn environment_overrides_use_double_underscore_sections() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("SPBE_DESK_HTTP__BIND", "0.0.0.0:9999");
        jail.set_env("SPBE_DESK_TICKETS__MAX_BACKDATE_DAYS", "3");
        let s = Settings::load(None).expect("load");
        assert_eq!(s.http.bind, "0.0.0.0:9999");
        assert_eq!(s.tickets.max_backdate_days, 3);
        Ok(())
    });
}

#[test]
fn smtp_needs_a_real_sender_and_recipients_name_known_roles() {
    let e = Settings::defaults_with(&[("mail.transport", "smtp")])
        .err()
        .expect("localhost sender refused for smtp");
    assert!(e.to_string().contains("mail.from"), "{e}");
    let ok = Settings::defaults_with(&[
        ("mail.transport", "smtp"),
        ("mail.from", "Service Desk <sd@kominfo.makassarkota.go.id>"),
    ]);
    assert!(ok.is_ok());
    let e = Settings::defaults_with(&[("mail.from", "not an address")])
        .err()
        .expect("bad sender");
    assert!(e.to_string().contains("mail.from"), "{e}");
    let e = Settings::defaults_with(&[("mail.recipients.created", "[reporter, everyone]")])
        .err()
        .expect("unknown role");
    assert!(e.to_string().contains("everyone"), "{e}");
    let e = Settings::defaults_with(&[("mail.recipients.deleted", "[reporter]")])
        .err()
        .expect("unknown event");
    assert!(e.to_string().contains("deleted"), "{e}");
}

#[test]
#[allow(clippy::result_large_err)]
fn a_misspelt_key_is_refused_with_its_name_and_source() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "spbe.toml",
            "[http]\nbind = \"127.0.0.1:8080\"\nmax_body_byte = 10\n",
        )?;
        let e = Settings::load(Some(Path::new("spbe.toml")))
            .err()
            .expect("unknown key refused");
        let text = e.to_string();
        assert!(text.contains("max_body_byte"), "{text}");
        assert!(text.contains("spbe.toml"), "names the file: {text}");
        Ok(())
    });
    figment::Jail::expect_with(|jail| {
        jail.set_env("SPBE_DESK_SCHEDULER__TICK_SECOND", "5");
        let e = Settings::load(None).err().expect("unknown env key refused");
        let text = e.to_string();
        assert!(text.contains("tick_second"), "{text}");
        assert!(text.contains("SPBE_DESK_"), "names the environment: {text}");
        Ok(())
    });
    figment::Jail::expect_with(|jail| {
        jail.create_file("spbe.toml", "[mailer]\nfrom = \"x@y.z\"\n")?;
        let e = Settings::load(Some(Path::new("spbe.toml")))
            .err()
            .expect("unknown section refused");
        assert!(e.to_string().contains("mailer"), "{e}");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment::Error is large; the jail's signature, not ours
fn the_deploy_example_settings_load() {
    // In a jail: the jailed tests above set SPBE_DESK_ variables for the whole process
    // while they run, and Settings::load reads the environment.
    figment::Jail::expect_with(|_| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/spbe-desk.toml");
        let s = Settings::load(Some(&path)).expect("deploy/spbe-desk.toml is valid");
        assert_eq!(s.database.url, "sqlite:///var/lib/spbe-desk/spbe-desk.db");
        Ok(())
    });
}

#[test]
fn rate_limits_parse() {
    use std::time::Duration;
    assert_eq!(parse_rate_limit("off"), Ok(None));
    assert_eq!(
        parse_rate_limit("20/s burst 100"),
        Ok(Some(RateLimit {
            period: Duration::from_millis(50),
            burst: 100
        }))
    );
    assert_eq!(
        parse_rate_limit("600/min"),
        Ok(Some(RateLimit {
            period: Duration::from_millis(100),
            burst: 600
        }))
    );
    for bad in [
        "",
        "20",
        "20/h",
        "0/s",
        "20/s burst",
        "20/s burst x",
        "20/s bursts 5",
        "x/s",
    ] {
        assert!(parse_rate_limit(bad).is_err(), "{bad}");
    }
    let e = Settings::defaults_with(&[("http.rate_limit", "fast")])
        .err()
        .expect("refused");
    assert!(e.to_string().contains("http.rate_limit"), "{e}");
}

#[test]
fn writers_leave_a_connection_for_reads() {
    let e = Settings::defaults_with(&[
        ("database.pool_size", "8"),
        ("database.write_connections", "8"),
    ])
    .err()
    .expect("as many writers as connections");
    assert!(e.to_string().contains("database.write_connections"), "{e}");
    let s = Settings::defaults_with(&[("database.write_connections", "7")]).expect("7 of 8");
    assert_eq!(s.database.write_connections, 7);
    // Chosen: never every connection, never none.
    for pool in [4, 8, 64] {
        let n = crate::db::write_connections(pool, 0);
        assert!((1..pool as usize).contains(&n), "{pool}: {n}");
    }
    assert_eq!(crate::db::write_connections(8, 5), 5);
    assert_eq!(
        crate::db::write_connections(4, 9),
        3,
        "clamped below the pool"
    );
}
