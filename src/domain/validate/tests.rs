use super::*;

#[test]
fn collects_every_problem() {
    let mut e = Errors::new();
    e.line("title", "   ", 1, 10);
    e.line("name", &"x".repeat(11), 1, 10);
    e.email("reporter.email", "not-an-email");
    e.phone("reporter.phone", "call me");
    let errs = e.finish().expect_err("four errors");
    let fields: Vec<_> = errs.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        ["title", "name", "reporter.email", "reporter.phone"]
    );
    assert_eq!(errs[1].message, "must be at most 10 characters (got 11)");
}

#[test]
fn accepts_good_values_and_normalises() {
    let mut e = Errors::new();
    assert_eq!(e.line("t", "  Printer rusak ", 1, 50), "Printer rusak");
    assert_eq!(
        e.email("e", " Budi@MakassarKota.go.id"),
        "budi@makassarkota.go.id"
    );
    assert_eq!(e.phone("p", "+62 411-123456"), "+62 411-123456");
    assert_eq!(e.code("c", "DISKOMINFO", 20), "DISKOMINFO");
    assert!(e.finish().is_ok());
}

#[test]
fn lengths_count_characters_not_bytes() {
    let mut e = Errors::new();
    e.line("t", &"é".repeat(10), 1, 10);
    assert!(e.is_empty());
}

#[test]
fn emails() {
    for bad in [
        "", "a@", "@b.id", "a@b", "a@@b.id", "a b@c.id", "a@.b.id", "a@b..id",
    ] {
        assert!(!is_plausible_email(bad), "{bad}");
    }
    assert!(is_plausible_email("tik@diskominfo.makassarkota.go.id"));
}
