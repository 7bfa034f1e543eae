//! Extra participants of a ticket (a PD head, a vendor contact): people who follow it by
//! e-mail without an account. Adding and removing them is a change to the ticket, audited on
//! its trail.

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{load_visible, Applied, By};
use crate::app::{new_id, App, AppError, AppResult};
use crate::db::models::Participant;
use crate::db::queries::participants as q;
use crate::domain::scope::Actor;
use crate::domain::ticket::Action;
use crate::domain::validate::Errors;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    #[schema(schema_with = crate::domain::validate::schema::email)]
    pub email: String,
    #[schema(schema_with = crate::domain::validate::schema::title_or_null)]
    pub name: Option<String>,
}

impl App {
    /// The participants of a ticket the actor may see.
    pub fn participants(&self, actor: &Actor, id: &str) -> AppResult<Vec<Participant>> {
        self.read(|conn| {
            let t = load_visible(conn, actor, id)?;
            Ok(q::list(conn, &t.id)?)
        })
    }

    /// Adds a participant; whoever may edit the ticket may do this.
    pub fn add_participant(
        &self,
        actor: &Actor,
        id: &str,
        input: &NewParticipant,
    ) -> AppResult<Participant> {
        let mut e = Errors::new();
        let email = e.email("email", &input.email);
        let name = input
            .name
            .as_deref()
            .map(|n| e.text("name", n, crate::domain::validate::TITLE));
        e.finish()?;
        self.write(|conn| {
            let now = self.now();
            let mut added = None;
            self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((Action::Edit, None)),
                now,
                |conn, before, _| {
                    if q::by_email(conn, &before.id, &email)?.is_some() {
                        return Err(AppError::Conflict(format!(
                            "{email} already follows this ticket"
                        )));
                    }
                    let p = Participant {
                        id: new_id(),
                        ticket_id: before.id.clone(),
                        email: email.clone(),
                        name: name.clone(),
                        added_by: actor.user_id.clone(),
                        created_at: now.naive_utc(),
                    };
                    q::insert(conn, &p)?;
                    let data = json!({ "participant_id": p.id, "email": p.email, "name": p.name });
                    added = Some(p);
                    Ok(Applied::Action {
                        verb: "participant_added",
                        data,
                    })
                },
            )?;
            added.ok_or_else(|| AppError::Internal(anyhow::anyhow!("participant not added")))
        })
    }

    /// Removes a participant.
    pub fn remove_participant(
        &self,
        actor: &Actor,
        id: &str,
        participant_id: &str,
    ) -> AppResult<()> {
        self.write(|conn| {
            let now = self.now();
            self.change_ticket(
                conn,
                By::User(actor),
                id,
                Some((Action::Edit, None)),
                now,
                |conn, before, _| {
                    let p = q::get(conn, &before.id, participant_id)?.ok_or_else(|| {
                        AppError::NotFound(format!(
                            "no participant {participant_id} on this ticket"
                        ))
                    })?;
                    q::delete(conn, &p.id)?;
                    Ok(Applied::Action {
                        verb: "participant_removed",
                        data: json!({ "participant_id": p.id, "email": p.email }),
                    })
                },
            )
            .map(|_| ())
        })
    }
}
