//! Message templates: one file per event and language under `config/templates/`, each with a
//! `subject`, a `text` and an `html` block, rendered with minijinja. The files are compiled
//! in; `mail.templates_dir` may point at a copy an operator has edited.

use std::path::Path;

use minijinja::Environment;
use serde::Serialize;

use super::EVENTS;
use crate::config::MailLanguage;

/// One rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    env: Environment<'static>,
    lang: &'static str,
}

macro_rules! builtin {
    ($($lang:literal => [$($name:literal),*]),*) => {
        &[$($( (concat!($lang, "/", $name, ".j2"), include_str!(concat!("../../config/templates/", $lang, "/", $name, ".j2"))), )*)*]
    };
}

const BUILTIN: &[(&str, &str)] = builtin!(
    "id" => ["_macros", "created", "assigned", "escalated", "sla_warned", "sla_breached", "paused", "resolved", "reopened", "closed", "commented", "report", "sign_in"],
    "en" => ["_macros", "created", "assigned", "escalated", "sla_warned", "sla_breached", "paused", "resolved", "reopened", "closed", "commented", "report", "sign_in"]
);

impl Templates {
    /// The built-in templates, or those under `dir` (same layout: `id/created.j2`, ...).
    /// Every template is compiled and checked for its three blocks here, at start.
    pub fn load(lang: MailLanguage, dir: Option<&Path>) -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        // Text is plain; HTML blocks escape with `|e` where they show user text.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (name, builtin) in BUILTIN {
            let source = match dir {
                Some(d) => std::fs::read_to_string(d.join(name)).map_err(|e| {
                    anyhow::anyhow!("mail template {}: {e}", d.join(name).display())
                })?,
                None => (*builtin).to_string(),
            };
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| anyhow::anyhow!("mail template {name}: {e:#}"))?;
        }
        let t = Templates {
            env,
            lang: match lang {
                MailLanguage::Id => "id",
                MailLanguage::En => "en",
            },
        };
        // Every message must render, with all three blocks, before the daemon starts.
        for event in EVENTS {
            t.render(event, &sample())
                .map_err(|e| anyhow::anyhow!("mail template {}: {e:#}", t.name(event)))?;
        }
        t.render("report", &report_sample())
            .map_err(|e| anyhow::anyhow!("mail template {}: {e:#}", t.name("report")))?;
        let sign_in = serde_json::json!({
            "user": {"name": "Contoh"},
            "link": {"url": "http://localhost/console/sign-in/link?code=x", "minutes": 15}
        });
        t.render("sign_in", &sign_in)
            .map_err(|e| anyhow::anyhow!("mail template {}: {e:#}", t.name("sign_in")))?;
        Ok(t)
    }

    fn name(&self, event: &str) -> String {
        format!("{}/{event}.j2", self.lang)
    }

    /// Renders the message for `event` with `ctx`.
    pub fn render<S: Serialize>(&self, event: &str, ctx: &S) -> Result<Rendered, minijinja::Error> {
        let tmpl = self.env.get_template(&self.name(event))?;
        // Evaluated without output, the template's top level leaves its blocks alone, so
        // each block is rendered once: `render_captured`, which minijinja 2.18 recommends
        // instead, renders the whole template first and doubled the cost of every notice
        // (measured: half of a scheduler tick's rendering). minijinja is pinned to 2.x.
        #[allow(deprecated)]
        let mut state = tmpl.eval_to_state(ctx)?;
        let subject = state.render_block("subject")?;
        Ok(Rendered {
            // A subject is one line whatever the template's whitespace.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: state.render_block("text")?.trim().to_string() + "\n",
            html: state.render_block("html")?.trim().to_string() + "\n",
        })
    }
}

/// A context with every field the templates may use, for the start-up check.
fn report_sample() -> serde_json::Value {
    serde_json::json!({
        "report": {
            "period": "2026-11", "start": "1 November 2026", "end": "30 November 2026",
            "opened": 1, "resolved": 1, "sla_met_percent": 100.0, "backlog": 0,
            "findings": ["Contoh"], "attached": true, "url": "http://localhost", "sha256": "00"
        }
    })
}

fn sample() -> serde_json::Value {
    serde_json::json!({
        "ticket": {
            "number": "SD-2026-000001", "title": "Contoh", "description": "Contoh",
            "resolution": "Contoh", "status": "in_progress", "priority": "high", "tier": 1,
            "organization": "Dinas", "service": "Layanan", "critical_service": true,
            "restricted": false, "due": "Senin", "url": "http://localhost"
        },
        "event": {
            "at": "Senin", "mode": "manual", "reason": "Contoh", "note": "Contoh",
            "comment": "Contoh", "target_label": "respons", "pending_label": "pelapor",
            "due": "Senin"
        }
    })
}
