use super::*;

#[test]
fn collects_every_problem() {
    let mut e = Errors::new();
    e.text("title", "   ", Text::line(1, 10));
    e.text("name", &"x".repeat(11), Text::line(1, 10));
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
    assert_eq!(e.text("t", "  Printer rusak ", TITLE), "Printer rusak");
    assert_eq!(
        e.email("e", " Budi@MakassarKota.go.id"),
        "budi@makassarkota.go.id"
    );
    assert_eq!(e.phone("p", "+62 411-123456"), "+62 411-123456");
    assert_eq!(e.code("c", "DISKOMINFO"), "DISKOMINFO");
    assert!(e.finish().is_ok());
}

#[test]
fn lengths_count_characters_not_bytes() {
    let mut e = Errors::new();
    e.text("t", &"é".repeat(10), Text::line(1, 10));
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

#[test]
fn minimum_lengths_count_the_trimmed_text_and_maxima_the_text_as_sent() {
    let ok = |v: &str, rule: Text| {
        let mut e = Errors::new();
        e.text("f", v, rule);
        e.is_empty()
    };
    assert!(!ok("  ab  ", Text::line(3, 10)));
    assert!(ok(" a b ", Text::line(3, 10)));
    assert!(!ok(&format!("{}x", " ".repeat(10)), Text::line(1, 10)));
    assert!(ok("a\nb", Text::lines(1, 10)));
    assert!(!ok("a\nb", Text::line(1, 10)));
    assert!(ok("\u{2003}ab\u{2003}", Text::line(2, 10)));
}

/// The document's patterns and the checks must agree on every input: a pattern that
/// accepts what a check refuses makes a valid-looking request fail, and the reverse lets
/// through what the document forbids. The regex crate stands in for the clients' engines.
mod patterns_match_the_checks {
    use super::*;
    use proptest::prelude::*;

    fn alphabet() -> impl Strategy<Value = String> {
        let chars = prop_oneof![
            Just(' '),
            Just('\t'),
            Just('\n'),
            Just('\r'),
            Just('\u{0B}'),
            Just('\u{85}'),
            Just('\u{A0}'),
            Just('\u{2003}'),
            Just('\u{3000}'),
            Just('\u{1}'),
            Just('\u{1F}'),
            Just('\u{7F}'),
            Just('\u{9F}'),
            Just('\u{FEFF}'),
            Just('\u{180E}'),
            Just('a'),
            Just('Z'),
            Just('0'),
            Just('9'),
            Just('@'),
            Just('.'),
            Just('-'),
            Just('_'),
            Just('+'),
            Just('('),
            Just(')'),
            Just('é'),
            Just('😀'),
        ];
        proptest::collection::vec(chars, 0..40).prop_map(|v| v.into_iter().collect())
    }

    fn matches(pattern: &str, max: usize, v: &str) -> bool {
        let re = regex::Regex::new(pattern).expect("pattern compiles");
        re.is_match(v) && v.chars().count() <= max
    }

    fn accepted(check: impl FnOnce(&mut Errors)) -> bool {
        let mut e = Errors::new();
        check(&mut e);
        e.is_empty()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn text(v in alphabet(), min in 0usize..5, max in 3usize..30, multiline: bool) {
            let rule = Text { min, max, multiline };
            prop_assert_eq!(matches(&rule.pattern(), max, &v), accepted(|e| { e.text("f", &v, rule); }), "{:?} {:?}", v, rule);
        }

        #[test]
        fn email(local in alphabet(), domain in alphabet(), pad in "[ \t]{0,2}") {
            let v = format!("{pad}{local}@{domain}{pad}");
            prop_assert_eq!(matches(&email_pattern(), EMAIL_MAX, &v), accepted(|e| { e.email("f", &v); }), "{:?}", v);
        }

        #[test]
        fn phone(v in "[ +()0-9a\t-]{0,40}") {
            prop_assert_eq!(matches(&phone_pattern(), PHONE_MAX, &v), accepted(|e| { e.phone("f", &v); }), "{:?}", v);
        }

        #[test]
        fn nip(v in "[ 0-9a\t]{0,70}") {
            prop_assert_eq!(matches(&nip_pattern(), NIP_MAX, &v), accepted(|e| { e.nip("f", &v); }), "{:?}", v);
        }

        #[test]
        fn code(v in alphabet()) {
            prop_assert_eq!(matches(&code_pattern(), CODE_MAX, &v), accepted(|e| { e.code("f", &v); }), "{:?}", v);
        }
    }
}
