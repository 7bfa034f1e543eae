//! Sending one message: an .eml file per message (the embedded default) or SMTP.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailSettings, MailTransport, SmtpTls};

/// Why a send failed, and whether trying again can help (an SMTP 5xx answer cannot).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

pub enum Transport {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// What one outbox row becomes on the wire.
pub struct Envelope<'a> {
    pub from: &'a Mailbox,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// Without the angle brackets.
    pub message_id: &'a str,
    /// The ticket's thread, without the angle brackets.
    pub thread_id: Option<&'a str>,
    /// A file sent along: name, content type, bytes.
    pub attachment: Option<(String, String, Vec<u8>)>,
}

impl Transport {
    pub fn from_settings(m: &MailSettings) -> anyhow::Result<Transport> {
        Ok(match m.transport {
            MailTransport::File => {
                std::fs::create_dir_all(&m.file_dir)
                    .map_err(|e| anyhow::anyhow!("mail.file_dir {}: {e}", m.file_dir.display()))?;
                Transport::File(AsyncFileTransport::new(&m.file_dir))
            }
            MailTransport::Smtp => {
                let builder = match m.smtp_tls {
                    // Plain SMTP is meant for a relay on loopback or a trusted network.
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&m.smtp_host)
                    }
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&m.smtp_host)?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&m.smtp_host)?,
                };
                let mut builder = builder
                    .port(m.smtp_port)
                    .timeout(Some(Duration::from_secs(m.smtp_timeout_seconds.max(1))));
                if !m.smtp_username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        m.smtp_username.clone(),
                        m.smtp_password.clone(),
                    ));
                }
                Transport::Smtp(builder.build())
            }
        })
    }

    pub async fn send(&self, e: &Envelope<'_>) -> Result<(), SendError> {
        let message = build(e)?;
        match self {
            Transport::File(t) => t.send(message).await.map(|_| ()).map_err(|err| SendError {
                permanent: false,
                message: format!("writing the message file failed: {err}"),
            }),
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|err| SendError {
                permanent: err.is_permanent(),
                message: err.to_string(),
            }),
        }
    }
}

fn build(e: &Envelope<'_>) -> Result<Message, SendError> {
    let bad = |what: &str, err: &dyn std::fmt::Display| SendError {
        permanent: true,
        message: format!("{what}: {err}"),
    };
    let to: Mailbox =
        e.to.parse()
            .map_err(|err| bad("recipient address refused", &err))?;
    let mut b = Message::builder()
        .from(e.from.clone())
        .to(to)
        .subject(e.subject)
        .message_id(Some(format!("<{}>", e.message_id)));
    if let Some(thread) = e.thread_id {
        b = b
            .in_reply_to(format!("<{thread}>"))
            .references(format!("<{thread}>"));
    }
    let body = MultiPart::alternative_plain_html(e.text.to_string(), e.html.to_string());
    let body = match &e.attachment {
        None => body,
        Some((name, content_type, bytes)) => {
            let ct = lettre::message::header::ContentType::parse(content_type)
                .map_err(|err| bad("attachment type", &err))?;
            MultiPart::mixed()
                .multipart(body)
                .singlepart(lettre::message::Attachment::new(name.clone()).body(bytes.clone(), ct))
        }
    };
    b.multipart(body)
        .map_err(|err| bad("the message could not be built", &err))
}
