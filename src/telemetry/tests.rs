use std::sync::{Arc, Mutex};

use super::*;

#[test]
fn addresses_and_phone_numbers_are_redacted() {
    for (input, expect) in [
        (
            "550 5.1.1 <warga@surel.example>: Recipient address rejected",
            "550 5.1.1 <<email>>: Recipient address rejected",
        ),
        (
            "Key (email)=(Budi.Santoso@makassarkota.go.id) already exists",
            "Key (email)=(<email>) already exists",
        ),
        (
            "call 0411-123456 or +62 812 3456 7890 or 081234567890",
            "call <phone> or <phone> or <phone>",
        ),
    ] {
        assert_eq!(redact(input), expect);
    }
    // What logs are full of stays: times, durations, ids, numbers.
    for keep in [
        "2026-11-30T01:02:03.123456Z",
        "micros=1234567",
        "ticket=7c1e4b2a-0d3f-4e57-9a51-3b0f2f6d9e11",
        "SD-2026-000123",
        "status=201",
    ] {
        assert_eq!(redact(keep), keep);
    }
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_log_writer_redacts_whole_lines_in_both_formats() {
    for json in [false, true] {
        let sink = Sink::default();
        let s = sink.clone();
        let make = RedactingWriter(move || s.clone());
        let builder = tracing_subscriber::fmt().with_writer(make).with_ansi(false);
        let dispatch: tracing::Dispatch = if json {
            builder.json().finish().into()
        } else {
            builder.finish().into()
        };
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::warn!(
                error = "refused: warga@surel.example",
                "mail not sent to 0811-2233-4455"
            );
        });
        let text = String::from_utf8(sink.0.lock().expect("lock").clone()).expect("utf-8");
        assert!(text.contains("mail not sent"), "{text}");
        assert!(
            !text.contains("warga@surel.example") && !text.contains("2233"),
            "{text}"
        );
        assert!(
            text.contains("<email>") && text.contains("<phone>"),
            "{text}"
        );
    }
}
