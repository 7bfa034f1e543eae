//! Logging: human-readable text or one JSON object per line, filtered by `log.level`. Every
//! line passes through [`redact`] on its way out, so an e-mail address or a phone number
//! that reaches a log line by any road (an SMTP refusal quoting a recipient, a database
//! error quoting a value) is never written (Kalbar Ps 11(6), Makassar Ps 46(2)). Names
//! cannot be recognised by their shape; the code never logs them.

use std::borrow::Cow;
use std::io::Write;
use std::sync::OnceLock;

use regex::Regex;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

fn patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        [
            (
                r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
                "<email>",
            ),
            // Indonesian numbers: +62 or a leading 0, then 8 to 13 digits, spaces, dashes or
            // dots allowed between groups (0411-123456, +62 812 3456 7890, 081234567890).
            (
                r"(\+62|\b0)[\s.\-]?\(?\d{2,4}\)?([\s.\-]?\d{2,5}){2,3}\b",
                "<phone>",
            ),
        ]
        .into_iter()
        .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, r)))
        .collect()
    })
}

/// `text` with e-mail addresses and phone numbers replaced by `<email>` and `<phone>`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for (re, with) in patterns() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, *with).into_owned());
        }
    }
    out
}

/// A writer that collects one log line and writes it redacted when dropped.
pub struct Redacted<W: Write> {
    buf: Vec<u8>,
    out: W,
}

impl<W: Write> Write for Redacted<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for Redacted<W> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buf);
        let _ = self.out.write_all(redact(&text).as_bytes());
        let _ = self.out.flush();
    }
}

/// Makes a [`Redacted`] writer per event over what `inner` makes.
pub struct RedactingWriter<M>(pub M);

impl<'a, M> MakeWriter<'a> for RedactingWriter<M>
where
    M: MakeWriter<'a>,
{
    type Writer = Redacted<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Redacted {
            buf: Vec::with_capacity(256),
            out: self.0.make_writer(),
        }
    }
}

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(settings: &LogSettings) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingWriter(std::io::stderr));
    let _ = if settings.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests;
