//! Field-level input checks that produce every problem at once (Kalbar Ps 11(6)): the API
//! answers with the whole list, so a client fixes a request in one round.

use serde::Serialize;

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

    /// A one-line text: trimmed, `min..=max` characters, no control characters.
    /// Returns the trimmed value.
    pub fn line(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let v = value.trim();
        self.check_len(field, v, min, max);
        if v.chars().any(char::is_control) {
            self.add(field, "must not contain control characters or line breaks");
        }
        v.to_string()
    }

    /// A multi-line text: line breaks and tabs allowed, other control characters not.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let v = value.trim();
        self.check_len(field, v, min, max);
        if v.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.add(field, "must not contain control characters");
        }
        v.to_string()
    }

    fn check_len(&mut self, field: &str, v: &str, min: usize, max: usize) {
        let n = v.chars().count();
        if n < min {
            if min == 1 {
                self.add(field, "must not be empty");
            } else {
                self.add(field, format!("must be at least {min} characters"));
            }
        } else if n > max {
            self.add(field, format!("must be at most {max} characters (got {n})"));
        }
    }

    /// An e-mail address in the plain `local@domain` form used by government mailboxes.
    pub fn email(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().to_ascii_lowercase();
        if !is_plausible_email(&v) {
            self.add(
                field,
                "must be an e-mail address such as nama@makassarkota.go.id",
            );
        }
        v
    }

    /// A phone number: digits with optional leading +, spaces, dashes, parentheses.
    pub fn phone(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        let digits = v.chars().filter(char::is_ascii_digit).count();
        let ok = (6..=20).contains(&digits)
            && v.len() <= 32
            && v.chars().enumerate().all(|(i, c)| {
                c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0)
            });
        if !ok {
            self.add(
                field,
                "must be a phone number of 6 to 20 digits, e.g. +62 411 123456",
            );
        }
        v.to_string()
    }

    /// A short identifier code: upper-case letters, digits, `-` and `_`.
    pub fn code(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        self.check_len(field, v, 1, max);
        if !v
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            self.add(field, "may contain only A-Z, 0-9, '-' and '_'");
        }
        v.to_string()
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

#[cfg(test)]
mod tests;
