//! `spbe-desk demo`: a small Makassar-like city so a newcomer can use the API at once.
//! Loading is idempotent (everything is looked up by code or e-mail first); every run
//! issues fresh tokens, because only their hashes are stored.

use std::io::Write;

use crate::app::catalogue::{insert_service, CreateService, CriticalityChange};
use crate::app::directory::{insert_organization, insert_user, issue_token};
use crate::app::directory::{CreateOrganization, CreateUser};
use crate::app::{App, AppError};
use crate::config::Settings;
use crate::db::models::Organization;
use crate::db::queries::{organizations, services, users};
use crate::db::DbConn;
use crate::domain::catalogue;
use crate::domain::scope::Actor;
use crate::domain::{Criticality, OrgKind, Role, ServiceKind};

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

fn org_by_code(conn: &mut DbConn, code: &str) -> Result<Organization, AppError> {
    organizations::by_code(conn, code)?
        .ok_or_else(|| AppError::NotFound(format!("organization {code}")))
}

/// Loads the demo city through the service layer and returns a fresh token per user.
pub fn load(app: &App) -> anyhow::Result<Vec<DemoToken>> {
    load_city(app).map_err(|e| anyhow::anyhow!("loading the demo city failed: {e}"))
}

fn load_city(app: &App) -> Result<Vec<DemoToken>, AppError> {
    let now = app.now();
    let (tokens, actors) = app.write(|conn| {
        for (code, name, kind, parent) in ORGS {
            if organizations::by_code(conn, code)?.is_some() {
                continue;
            }
            let parent_id = match parent {
                Some(p) => Some(org_by_code(conn, p)?.id),
                None => None,
            };
            insert_organization(
                conn,
                None,
                &CreateOrganization {
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
                None => insert_user(
                    conn,
                    None,
                    &CreateUser {
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
            let (_, secret) = issue_token(conn, None, &user.id, "demo", None, now)?;
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
            .ok_or_else(|| AppError::NotFound("demo admin".into()))?;
        let default_policy =
            crate::db::queries::sla::policy_by_name(conn, &app.settings.sla.default_policy)?
                .map(|p| p.id);
        for (code, name, kind, owner, avail) in SERVICES {
            if services::by_code(conn, code)?.is_some() {
                continue;
            }
            let owner_id = org_by_code(conn, owner)?.id;
            insert_service(
                conn,
                &admin,
                &CreateService {
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
                    // SIAK's SOP lacks its customer-relations part: the report shows it.
                    sop: (*code == "SIAK").then(|| crate::app::catalogue::Sop {
                        definition: Some(
                            "SOP Disdukcapil No. 1/2026: layanan KTP-el dan KK".into(),
                        ),
                        policy: Some("Perwali No. 12/2026".into()),
                        incident_problem: Some("SOP Disdukcapil No. 2/2026".into()),
                        requests: Some("SOP Disdukcapil No. 3/2026".into()),
                        customer_relations: None,
                        service_level: Some("Kebijakan SLA Standar".into()),
                    }),
                },
                now,
            )?;
        }
        Ok((tokens, actors))
    })?;
    // SIAK goes through the real workflow: Disdukcapil proposes, the Dinas designates.
    let steps = [
        (
            "TECH_DUKCAPIL",
            CriticalityChange::Propose,
            catalogue::CriticalityStep::Propose,
            "Layanan KTP-el dan KK untuk seluruh warga",
        ),
        (
            "SUPERVISOR",
            CriticalityChange::Decide(Criticality::Critical),
            catalogue::CriticalityStep::Designate,
            "Ditetapkan sebagai layanan kritikal",
        ),
    ];
    for (who, change, step, reason) in steps {
        let Some(siak) = app
            .services(None, Some("SIAK"), None, &crate::app::PageAt::first(1))?
            .items
            .into_iter()
            .next()
        else {
            break;
        };
        let current = Criticality::parse(&siak.criticality).unwrap_or(Criticality::Critical);
        if catalogue::next(current, step).is_err() {
            continue;
        }
        let actor = actors
            .get(who)
            .ok_or_else(|| AppError::NotFound(who.into()))?;
        app.change_criticality(actor, &siak.id, None, change, reason)?;
    }
    Ok(tokens)
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
