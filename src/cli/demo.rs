//! `spbe-desk demo`: a small Makassar-like city so a newcomer can use the API at once.
//! Loading is idempotent (everything is looked up by code or e-mail first); every run
//! issues fresh tokens, because only their hashes are stored.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::Settings;
use crate::db::models::Organization;
use crate::db::queries::{audit, organizations, services, users};
use crate::db::{Db, DbConn};
use crate::domain::audit::Changes;
use crate::domain::catalogue::{self, CriticalityStep};
use crate::domain::scope::Actor;
use crate::domain::{Criticality, OrgKind, Role, ServiceKind};
use crate::error::ApiError;
use crate::routes::{organizations as orgs, services as svcs, users as usrs};

/// (code, name, kind, parent code)
const ORGS: &[(&str, &str, OrgKind, Option<&str>)] = &[
    (
        "DISKOMINFO",
        "Dinas Komunikasi dan Informatika Kota Makassar",
        OrgKind::Dinas,
        None,
    ),
    (
        "TIMKOOR-SPBE",
        "Tim Koordinasi SPBE Kota Makassar",
        OrgKind::Coordination,
        None,
    ),
    (
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        OrgKind::Pd,
        None,
    ),
    ("DINKES", "Dinas Kesehatan", OrgKind::Pd, None),
    (
        "PKM-KASSI",
        "UPT Puskesmas Kassi-Kassi",
        OrgKind::Pd,
        Some("DINKES"),
    ),
    ("BAPENDA", "Badan Pendapatan Daerah", OrgKind::Pd, None),
    (
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        OrgKind::Pd,
        None,
    ),
    (
        "BKPSDM",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        OrgKind::Pd,
        None,
    ),
    (
        "INSPEKTORAT",
        "Inspektorat Kota Makassar",
        OrgKind::Pd,
        None,
    ),
];

/// (env name, name, e-mail, role, organization code)
const USERS: &[(&str, &str, &str, Role, &str)] = &[
    (
        "ADMIN",
        "Andi Admin",
        "admin@makassarkota.go.id",
        Role::Admin,
        "DISKOMINFO",
    ),
    (
        "SUPERVISOR",
        "Sitti Rahmawati",
        "supervisor.sd@makassarkota.go.id",
        Role::Supervisor,
        "DISKOMINFO",
    ),
    (
        "OPERATOR",
        "Muh. Fadli",
        "tier2@makassarkota.go.id",
        Role::Operator,
        "DISKOMINFO",
    ),
    (
        "TECH_DUKCAPIL",
        "Rizal Hamzah",
        "tik.disdukcapil@makassarkota.go.id",
        Role::Technician,
        "DISDUKCAPIL",
    ),
    (
        "TECH_DUKCAPIL2",
        "Nurul Aulia",
        "tik2.disdukcapil@makassarkota.go.id",
        Role::Technician,
        "DISDUKCAPIL",
    ),
    (
        "TECH_DINKES",
        "Ahmad Syarif",
        "tik.dinkes@makassarkota.go.id",
        Role::Technician,
        "DINKES",
    ),
    (
        "TECH_BAPENDA",
        "Dewi Lestari",
        "tik.bapenda@makassarkota.go.id",
        Role::Technician,
        "BAPENDA",
    ),
    (
        "TECH_DPMPTSP",
        "Ilham Saputra",
        "tik.dpmptsp@makassarkota.go.id",
        Role::Technician,
        "DPMPTSP",
    ),
    (
        "TECH_BKPSDM",
        "Rina Marlina",
        "tik.bkpsdm@makassarkota.go.id",
        Role::Technician,
        "BKPSDM",
    ),
    (
        "COORDINATOR",
        "Hasanuddin",
        "timkoor.spbe@makassarkota.go.id",
        Role::Coordinator,
        "TIMKOOR-SPBE",
    ),
    (
        "AUDITOR",
        "Yusuf Auditor",
        "auditor@makassarkota.go.id",
        Role::Auditor,
        "INSPEKTORAT",
    ),
];

/// (code, name, kind, owner code, availability %)
const SERVICES: &[(&str, &str, ServiceKind, &str, f64)] = &[
    (
        "SIAK",
        "Sistem Informasi Administrasi Kependudukan",
        ServiceKind::System,
        "DISDUKCAPIL",
        99.5,
    ),
    (
        "SIMPUS",
        "Sistem Informasi Manajemen Puskesmas",
        ServiceKind::System,
        "DINKES",
        98.0,
    ),
    (
        "E-PAJAK",
        "Pajak Daerah Online",
        ServiceKind::System,
        "BAPENDA",
        99.0,
    ),
    (
        "SICANTIK",
        "Perizinan Online SiCantik Cloud",
        ServiceKind::Service,
        "DPMPTSP",
        99.0,
    ),
    (
        "SIMPEG",
        "Sistem Informasi Kepegawaian",
        ServiceKind::System,
        "BKPSDM",
        97.0,
    ),
    (
        "JARINGAN",
        "Jaringan Intra Pemerintah Kota",
        ServiceKind::Service,
        "DISKOMINFO",
        99.5,
    ),
];

pub struct DemoToken {
    pub env: &'static str,
    pub name: String,
    pub role: Role,
    pub org: &'static str,
    pub token: String,
}

fn org_by_code(conn: &mut DbConn, code: &str) -> Result<Organization, ApiError> {
    organizations::by_code(conn, code)?
        .ok_or_else(|| ApiError::NotFound(format!("organization {code}")))
}

pub fn load(db: &Db, now: DateTime<Utc>, default_policy: &str) -> anyhow::Result<Vec<DemoToken>> {
    let settings_policy = default_policy.to_string();
    let result: Result<Vec<DemoToken>, ApiError> = db.write(|conn| {
        for (code, name, kind, parent) in ORGS {
            if organizations::by_code(conn, code)?.is_some() {
                continue;
            }
            let parent_id = match parent {
                Some(p) => Some(org_by_code(conn, p)?.id),
                None => None,
            };
            orgs::insert_checked(
                conn,
                None,
                &orgs::CreateOrganization {
                    code: (*code).into(),
                    name: (*name).into(),
                    kind: *kind,
                    parent_id,
                    email: Some(format!("{}@makassarkota.go.id", code.to_ascii_lowercase())),
                },
                now,
            )?;
        }
        let mut tokens = Vec::new();
        let mut actors = std::collections::HashMap::new();
        for (env, name, email, role, org) in USERS {
            let org_row = org_by_code(conn, org)?;
            let user = match users::by_email(conn, email)? {
                Some(u) => u,
                None => usrs::insert_checked(
                    conn,
                    None,
                    &usrs::CreateUser {
                        name: (*name).into(),
                        email: (*email).into(),
                        nip: None,
                        organization_id: org_row.id.clone(),
                        role: *role,
                        active: Some(true),
                    },
                    now,
                )?,
            };
            let (_, secret) = usrs::issue_token(conn, None, &user.id, "demo", now)?;
            actors.insert(
                *env,
                Actor {
                    user_id: user.id.clone(),
                    name: user.name.clone(),
                    role: *role,
                    organization_id: org_row.id.clone(),
                    scope_orgs: vec![org_row.id],
                },
            );
            tokens.push(DemoToken {
                env,
                name: user.name,
                role: *role,
                org,
                token: secret,
            });
        }
        let admin = actors
            .get("ADMIN")
            .cloned()
            .ok_or_else(|| ApiError::NotFound("demo admin".into()))?;
        let default_policy =
            crate::db::queries::sla::policy_by_name(conn, &settings_policy)?.map(|p| p.id);
        for (code, name, kind, owner, avail) in SERVICES {
            if services::by_code(conn, code)?.is_some() {
                continue;
            }
            let owner_id = org_by_code(conn, owner)?.id;
            svcs::insert_checked(
                conn,
                &admin,
                &svcs::CreateService {
                    organization_id: Some(owner_id),
                    code: (*code).into(),
                    name: (*name).into(),
                    kind: *kind,
                    availability_target_percent: Some(*avail),
                    // SIAK becomes critical below, and a critical service needs a policy.
                    sla_policy_id: if *code == "SIAK" {
                        default_policy.clone()
                    } else {
                        None
                    },
                },
                now,
            )?;
        }
        // SIAK goes through the real workflow: Disdukcapil proposes, the Dinas designates.
        let steps = [
            (
                "TECH_DUKCAPIL",
                CriticalityStep::Propose,
                "criticality_proposed",
                "Layanan KTP-el dan KK untuk seluruh warga",
            ),
            (
                "SUPERVISOR",
                CriticalityStep::Designate,
                "criticality_designated",
                "Ditetapkan sebagai layanan kritikal",
            ),
        ];
        for (who, step, action, reason) in steps {
            let Some(before) = services::by_code(conn, "SIAK")? else {
                break;
            };
            let current = Criticality::parse(&before.criticality).unwrap_or(Criticality::Critical);
            let Ok(next) = catalogue::next(current, step) else {
                continue;
            };
            let actor = actors
                .get(who)
                .ok_or_else(|| ApiError::NotFound(who.into()))?;
            let mut s = before.clone();
            s.criticality = next.as_str().into();
            s.version += 1;
            s.updated_at = now.naive_utc();
            services::update_versioned(conn, &s, before.version)?;
            let mut changes = Changes::new();
            changes.set(
                "criticality",
                json!(before.criticality),
                json!(s.criticality),
            );
            audit::record(
                conn,
                audit::Record {
                    at: now,
                    actor_id: Some(&actor.user_id),
                    entity_type: "service",
                    entity_id: &s.id,
                    ticket_id: None,
                    action,
                    changes: &changes,
                    data: json!({ "reason": reason }),
                },
            )?;
        }
        Ok(tokens)
    });
    result.map_err(|e| anyhow::anyhow!("loading the demo city failed: {e:?}"))
}

/// Prints the tokens and writes them as shell exports to `var/demo-tokens.env`.
pub fn print(tokens: &[DemoToken], settings: &Settings) -> anyhow::Result<()> {
    let mut env = String::from("# spbe-desk demo tokens; source this file in a shell\n");
    env.push_str(&format!("export SPBE=http://{}\n", settings.http.bind));
    println!("spbe-desk demo city loaded. API tokens (shown once; also in var/demo-tokens.env):");
    for t in tokens {
        println!(
            "  {:<16} {:<12} {:<14} {:<24} {}",
            t.env,
            t.role.as_str(),
            t.org,
            t.name,
            t.token
        );
        env.push_str(&format!("export {}_TOKEN={}\n", t.env, t.token));
    }
    std::fs::create_dir_all("var")?;
    let mut f = std::fs::File::create("var/demo-tokens.env")?;
    f.write_all(env.as_bytes())?;
    println!(
        "API: http://{}/api/v1  (OpenAPI: /api/v1/openapi.json)",
        settings.http.bind
    );
    Ok(())
}
