//! Field-level input checks that produce every problem at once (Kalbar Ps 11(6)): the API
//! answers with the whole list, so a client fixes a request in one round.

use serde::Serialize;

/// White space as Rust's `str::trim` sees it (Unicode White_Space), spelt for a regular
/// expression class: ECMA-262, Python and the regex crate read it alike.
const WS: &str = r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// Control characters (Unicode Cc, Rust's `char::is_control`).
const CC: &str = r"\x00-\x1F\x7F-\x9F";
/// Control characters less tab, line feed and carriage return.
const CC_BUT_BREAKS: &str = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F";

/// A kind of free text the API accepts: its bounds and whether it may span lines. Every
/// such field is checked by [`Errors::text`] and described by [`Text::pattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// Least characters once trimmed.
    pub min: usize,
    /// Most characters as sent.
    pub max: usize,
    pub multiline: bool,
}

impl Text {
    pub const fn line(min: usize, max: usize) -> Self {
        Text {
            min,
            max,
            multiline: false,
        }
    }

    pub const fn lines(min: usize, max: usize) -> Self {
        Text {
            min,
            max,
            multiline: true,
        }
    }

    /// The regular expression (with `maxLength` = `max`) that accepts exactly what
    /// [`Errors::text`] accepts: optional white space, then the trimmed text, whose first
    /// and last characters are neither space nor control and whose inner characters are
    /// not control characters (bar line breaks in multi-line text), then white space.
    pub fn pattern(&self) -> String {
        let edge = format!("[^{WS}{CC}]");
        let inner = format!("[^{}]", if self.multiline { CC_BUT_BREAKS } else { CC });
        let body = match self.min {
            0 => format!("({edge}({inner}*{edge})?)?"),
            1 => format!("{edge}({inner}*{edge})?"),
            n => format!("{edge}{inner}{{{},}}{edge}", n - 2),
        };
        trimmed(&body)
    }
}

/// Names of people, organisations, services, calendars and policies.
pub const NAME: Text = Text::line(2, 200);
/// Ticket titles, reporter and participant names.
pub const TITLE: Text = Text::line(1, 200);
/// Token labels and letter numbers.
pub const LABEL: Text = Text::line(1, 100);
/// A search text.
pub const SEARCH: Text = Text::line(1, 200);
/// Reasons, resolutions and notes that go into the audit trail.
pub const REASON: Text = Text::lines(3, 5000);
/// Reasons for re-baselining SLA targets.
pub const SHORT_REASON: Text = Text::lines(3, 2000);
/// Comment bodies.
pub const BODY: Text = Text::lines(1, 20_000);
/// Ticket descriptions (may be empty).
pub const DESCRIPTION: Text = Text::lines(0, 20_000);

pub const EMAIL_MAX: usize = 254;
pub const PHONE_MAX: usize = 32;
pub const CODE_MAX: usize = 32;
pub const NIP_MAX: usize = 64;

/// `core` with white space allowed around it (it is trimmed away).
fn trimmed(core: &str) -> String {
    format!("^[{WS}]*{core}[{WS}]*$")
}

/// What [`Errors::email`] accepts: a local part of 1 to 64 visible ASCII characters, `@`,
/// and a dotted domain without empty labels.
pub fn email_pattern() -> String {
    let label = r"[\x21-\x2D\x2F-\x3F\x41-\x7E]+";
    trimmed(&format!(
        r"[\x21-\x3F\x41-\x7E]{{1,64}}@{label}(\.{label})+"
    ))
}

/// What [`Errors::phone`] accepts: 6 to 20 digits, an optional leading `+`, and spaces,
/// dashes and parentheses anywhere.
pub fn phone_pattern() -> String {
    trimmed(r"\+?[ ()-]*([0-9][ ()-]*){6,20}")
}

/// What [`Errors::nip`] accepts: 18 digits, spaces between them allowed.
pub fn nip_pattern() -> String {
    trimmed("[0-9]( *[0-9]){17}")
}

/// A comma-separated list of `values`, as the ticket list's filters read it: items
/// trimmed, empty items skipped.
pub fn list_pattern(values: &[&str]) -> String {
    let item = format!("[{WS}]*({})?[{WS}]*", values.join("|"));
    format!("^{item}(,{item})*$")
}

/// What [`Errors::code`] accepts.
pub fn code_pattern() -> String {
    trimmed("[A-Z0-9_-]+")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Free text under `rule`: surrounding white space trimmed, at most `rule.max`
    /// characters as sent, at least `rule.min` once trimmed, no control characters (line
    /// breaks and tabs allowed in multi-line text). Returns the trimmed value. Exactly what
    /// [`Text::pattern`] says in the OpenAPI document.
    pub fn text(&mut self, field: &str, value: &str, rule: Text) -> String {
        let v = value.trim();
        if !self.check_max(field, value, rule.max) {
            let n = v.chars().count();
            if n < rule.min {
                match rule.min {
                    1 => self.add(field, "must not be empty"),
                    min => self.add(field, format!("must be at least {min} characters")),
                }
            }
        }
        let allowed =
            |c: char| !c.is_control() || (rule.multiline && matches!(c, '\n' | '\r' | '\t'));
        if !v.chars().all(allowed) {
            self.add(
                field,
                if rule.multiline {
                    "must not contain control characters"
                } else {
                    "must not contain control characters or line breaks"
                },
            );
        }
        v.to_string()
    }

    /// False (and an error) when `value` has more than `max` characters as sent.
    fn check_max(&mut self, field: &str, value: &str, max: usize) -> bool {
        let n = value.chars().count();
        if n > max {
            self.add(field, format!("must be at most {max} characters (got {n})"));
        }
        n > max
    }

    /// An e-mail address in the plain `local@domain` form used by government mailboxes,
    /// trimmed and lower-cased ([`email_pattern`]).
    pub fn email(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().to_ascii_lowercase();
        if !self.check_max(field, value, EMAIL_MAX) && !is_plausible_email(&v) {
            self.add(
                field,
                "must be an e-mail address such as nama@makassarkota.go.id",
            );
        }
        v
    }

    /// A phone number: 6 to 20 digits with an optional leading +, spaces, dashes and
    /// parentheses ([`phone_pattern`]).
    pub fn phone(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        let digits = v.chars().filter(char::is_ascii_digit).count();
        let ok = (6..=20).contains(&digits)
            && v.chars().enumerate().all(|(i, c)| {
                c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0)
            });
        if !self.check_max(field, value, PHONE_MAX) && !ok {
            self.add(
                field,
                "must be a phone number of 6 to 20 digits, e.g. +62 411 123456",
            );
        }
        v.to_string()
    }

    /// A short identifier code: upper-case letters, digits, `-` and `_`
    /// ([`code_pattern`]).
    pub fn code(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        if !self.check_max(field, value, CODE_MAX) {
            if v.is_empty() {
                self.add(field, "must not be empty");
            } else if !v
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
            {
                self.add(field, "may contain only A-Z, 0-9, '-' and '_'");
            }
        }
        v.to_string()
    }

    /// A Nomor Induk Pegawai: 18 digits, stored without the spaces ([`nip_pattern`]).
    pub fn nip(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().replace(' ', "");
        if self.check_max(field, value, NIP_MAX) {
        } else if v.len() != 18 || !v.chars().all(|c| c.is_ascii_digit()) {
            self.add(field, "must be the 18-digit Nomor Induk Pegawai");
        }
        v
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

pub fn is_plausible_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    v.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && v.chars().all(|c| c.is_ascii_graphic())
}

/// The OpenAPI schemas of these rules, for `#[schema(schema_with = ...)]` on input fields,
/// so that the document states the very bounds and patterns the checks apply.
pub mod schema {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    use utoipa::openapi::Object;

    use super::*;

    fn string(nullable: bool, max: usize, pattern: String, description: &str) -> Object {
        let ty = if nullable {
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::new(Type::String)
        };
        ObjectBuilder::new()
            .schema_type(ty)
            .max_length(Some(max))
            .pattern(Some(pattern))
            .description(Some(description))
            .build()
    }

    fn text(rule: Text, nullable: bool) -> Object {
        let what = match (rule.min, rule.multiline) {
            (0, true) => "Text; may be empty".to_string(),
            (n, true) => format!("Text of at least {n} characters once trimmed"),
            (n, false) => format!("One line of at least {n} characters once trimmed"),
        };
        string(
            nullable,
            rule.max,
            rule.pattern(),
            &format!("{what}, at most {} as sent; no control characters{}. Surrounding white space is trimmed.", rule.max, if rule.multiline { " but line breaks and tabs" } else { "" }),
        )
    }

    macro_rules! text_schemas {
        ($($rule:ident => $plain:ident, $nullable:ident;)*) => {$(
            pub fn $plain() -> Object { text($rule, false) }
            pub fn $nullable() -> Object { text($rule, true) }
        )*};
    }
    text_schemas! {
        NAME => name, name_or_null;
        TITLE => title, title_or_null;
        LABEL => label, label_or_null;
        REASON => reason, reason_or_null;
        SHORT_REASON => short_reason, short_reason_or_null;
        BODY => body, body_or_null;
        DESCRIPTION => description, description_or_null;
    }

    const EMAIL: &str = "An e-mail address (local@domain.tld, visible ASCII), stored in lower case. Surrounding white space is trimmed.";
    const PHONE: &str = "A phone number of 6 to 20 digits with an optional leading +, spaces, dashes and parentheses. Surrounding white space is trimmed.";

    pub fn email() -> Object {
        string(false, EMAIL_MAX, email_pattern(), EMAIL)
    }
    pub fn email_or_null() -> Object {
        string(true, EMAIL_MAX, email_pattern(), EMAIL)
    }
    pub fn phone_or_null() -> Object {
        string(true, PHONE_MAX, phone_pattern(), PHONE)
    }
    pub fn code() -> Object {
        string(
            false,
            CODE_MAX,
            code_pattern(),
            "Upper-case letters, digits, - and _. Surrounding white space is trimmed.",
        )
    }
    pub fn search() -> Object {
        text(SEARCH, false)
    }
    pub fn nip_or_null() -> Object {
        string(
            true,
            NIP_MAX,
            nip_pattern(),
            "Nomor Induk Pegawai: 18 digits (spaces between them are dropped).",
        )
    }

    fn timezones(nullable: bool) -> Object {
        use utoipa::openapi::schema::SchemaType;
        let mut names: Vec<serde_json::Value> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name().into())
            .collect();
        let ty = if nullable {
            names.push(serde_json::Value::Null);
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::new(Type::String)
        };
        ObjectBuilder::new()
            .schema_type(ty)
            .enum_values(Some(names))
            .description(Some("An IANA time zone, e.g. Asia/Makassar (WITA)."))
            .build()
    }
    /// `{"mon": [["07:30", "12:00"], ...], ...}`: the days of [`WeekSchedule::from_map`],
    /// each a list of [start, end] in strict HH:MM (an end may be 24:00, never 00:00).
    /// That a day's intervals are ordered and do not overlap, and that the week holds some
    /// working time, are checked too but cannot be said in JSON Schema.
    ///
    /// [`WeekSchedule::from_map`]: crate::domain::calendar::WeekSchedule::from_map
    fn working_hours(nullable: bool) -> utoipa::openapi::Schema {
        let start = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";
        let end = r"^(00:(0[1-9]|[1-5][0-9])|(0[1-9]|1[0-9]|2[0-3]):[0-5][0-9]|24:00)$";
        let day = serde_json::json!({
            "type": "array",
            "maxItems": 48,
            "items": {
                "type": "array",
                "prefixItems": [
                    {"type": "string", "pattern": start},
                    {"type": "string", "pattern": end}
                ],
                "items": false,
                "minItems": 2,
                "maxItems": 2
            }
        });
        let days: serde_json::Map<String, serde_json::Value> =
            crate::domain::calendar::WEEKDAY_KEYS
                .iter()
                .map(|k| (k.to_string(), day.clone()))
                .collect();
        let schema = serde_json::json!({
            "type": if nullable { serde_json::json!(["object", "null"]) } else { serde_json::json!("object") },
            "properties": days,
            "additionalProperties": false,
            "description": "Working hours per weekday (mon..sun), [start, end] in HH:MM local time, ordered and not overlapping; end may be 24:00."
        });
        serde_json::from_value(schema).unwrap_or_default()
    }
    pub fn working_hours_schema() -> utoipa::openapi::Schema {
        working_hours(false)
    }
    pub fn working_hours_or_null() -> utoipa::openapi::Schema {
        working_hours(true)
    }

    pub fn timezone() -> Object {
        timezones(false)
    }
    pub fn timezone_or_null() -> Object {
        timezones(true)
    }
}

#[cfg(test)]
mod tests;
