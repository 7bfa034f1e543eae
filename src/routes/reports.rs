//! The Tim Koordinasi report over HTTP: JSON, CSV (one sheet) or XLSX, streamed; an ended
//! period answers the same stored bytes every time, with their SHA-256 in `ETag` and
//! `X-Content-SHA256`.

use actix_web::{web, HttpResponse};
use futures_util::stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::StrictQuery;
use super::State;
use crate::app::reports::{Body, Format, ReportOut};
use crate::domain::scope::Actor;
use crate::routes::error::{ApiError, ApiResult, Problem};

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportSheet {
    Summary,
    Pds,
    Services,
    Tier2,
    Findings,
    Sanctions,
    Tickets,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default), `csv` or `xlsx`.
    #[param(inline)]
    pub format: Option<ReportFormat>,
    /// For `csv`: which sheet (default `pds`). JSON and XLSX always hold every sheet, so
    /// they ignore it.
    #[param(inline)]
    pub sheet: Option<ReportSheet>,
}

fn format_of(q: &ReportQuery) -> ApiResult<Format> {
    let f = match q.format.unwrap_or(ReportFormat::Json) {
        ReportFormat::Json => "json",
        ReportFormat::Csv => "csv",
        ReportFormat::Xlsx => "xlsx",
    };
    let sheet = q.sheet.map(|s| match s {
        ReportSheet::Summary => "summary",
        ReportSheet::Pds => "pds",
        ReportSheet::Services => "services",
        ReportSheet::Tier2 => "tier2",
        ReportSheet::Findings => "findings",
        ReportSheet::Sanctions => "sanctions",
        ReportSheet::Tickets => "tickets",
    });
    let sheet = if f == "csv" { sheet } else { None };
    Format::parse(f, sheet).map_err(|m| ApiError::field("sheet", m))
}

/// Streams a report: stored chunks one query at a time, or a computed file in blocks.
pub(crate) fn respond(state: State, out: ReportOut) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type(out.format.content_type())
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}\"",
                out.format.file_name(&out.period)
            ),
        ))
        .insert_header(("X-Content-SHA256", out.sha256.clone()))
        .insert_header(("X-Report-Frozen", out.frozen.to_string()))
        .no_chunking(out.bytes);
    if out.frozen {
        res.insert_header(("ETag", format!("\"{}\"", out.sha256)));
    } else {
        res.insert_header(("Cache-Control", "no-store"));
    }
    let (period, key) = (out.period.clone(), out.format.key());
    match out.body {
        Body::Stored { chunks } => res.streaming(stream::unfold(0, move |n| {
            let (state, period, key) = (state.clone(), period.clone(), key.clone());
            async move {
                if n >= chunks {
                    return None;
                }
                let bytes = state
                    .call(move |app| app.report_chunk(&period, &key, n))
                    .await
                    .map(web::Bytes::from)
                    .map_err(actix_web::Error::from);
                Some((bytes, n + 1))
            }
        })),
        Body::File(file) => {
            let reader = file.reopen();
            res.streaming(stream::unfold(
                (Some(file), reader.ok()),
                |(keep, reader)| async move {
                    let mut reader = reader?;
                    let (read, reader) = web::block(move || {
                        use std::io::Read;
                        let mut buf = vec![0u8; 256 * 1024];
                        let n = reader.read(&mut buf);
                        (
                            n.map(|n| {
                                buf.truncate(n);
                                buf
                            }),
                            reader,
                        )
                    })
                    .await
                    .ok()?;
                    match read {
                        Ok(buf) if buf.is_empty() => None,
                        Ok(buf) => Some((
                            Ok::<_, actix_web::Error>(web::Bytes::from(buf)),
                            (keep, Some(reader)),
                        )),
                        Err(e) => Some((
                            Err(actix_web::error::ErrorInternalServerError(e)),
                            (keep, None),
                        )),
                    }
                },
            ))
        }
    }
}

async fn report(
    state: State,
    actor: Actor,
    label: String,
    monthly: bool,
    q: ReportQuery,
) -> ApiResult<HttpResponse> {
    let format = format_of(&q)?;
    let out = state
        .call(move |app| {
            app.may_read_reports(&actor)?;
            let period = app.report_period(&label, monthly)?;
            app.report(&actor, &period, format)
        })
        .await?;
    Ok(respond(state, out))
}

#[utoipa::path(get, path = "/api/v1/reports/monthly/{month}", tag = "reports",
    params(("month" = String, Path, pattern = r"^([2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$", description = "YYYY-MM (years 2000 to 9998), read in the default calendar's zone; a month that has not begun is not found"), ReportQuery),
    description = "The Tim Koordinasi report of one month (definitions: docs/reports.md). An ended month is generated once and answers the same bytes ever after (`ETag` and `X-Content-SHA256` carry their SHA-256); the running month is computed on each request.",
    responses((status = 200, description = "The report", content(
        (Object = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn monthly(
    state: State,
    actor: Actor,
    month: web::Path<String>,
    q: StrictQuery<ReportQuery>,
) -> ApiResult<HttpResponse> {
    report(state, actor, month.into_inner(), true, q.0).await
}

#[utoipa::path(get, path = "/api/v1/reports/yearly/{year}", tag = "reports",
    params(("year" = String, Path, pattern = r"^([2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])$", description = "YYYY (2000 to 9998); a year that has not begun is not found"), ReportQuery),
    description = "The same figures for a whole year (Ps 57: the yearly evaluation).",
    responses((status = 200, description = "The report", content(
        (Object = "application/json"), (String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn yearly(
    state: State,
    actor: Actor,
    year: web::Path<String>,
    q: StrictQuery<ReportQuery>,
) -> ApiResult<HttpResponse> {
    report(state, actor, year.into_inner(), false, q.0).await
}

/// One stored format of a frozen report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManifestEntry {
    /// `json`, `xlsx` or `csv:<sheet>`.
    pub format: String,
    pub sha256: String,
    pub bytes: i64,
    pub generated_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(get, path = "/api/v1/reports/{kind}/{period}/manifest", tag = "reports",
    params(("kind" = String, Path, description = "monthly or yearly"), ("period" = String, Path, pattern = r"^([2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])(-(0[1-9]|1[0-2]))?$", description = "YYYY-MM for monthly, YYYY for yearly")),
    description = "The SHA-256 of every stored format of an ended period; empty before its first generation. `spbe-desk report verify FILE` checks a copy against it.",
    responses((status = 200, body = [ManifestEntry]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn manifest(
    state: State,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (kind, label) = path.into_inner();
    let monthly = match kind.as_str() {
        "monthly" => true,
        "yearly" => false,
        _ => return Err(ApiError::NotFound("no such report kind".into())),
    };
    let rows = state
        .call(move |app| {
            app.may_read_reports(&actor)?;
            let period = app.report_period(&label, monthly)?;
            app.report_manifest(&actor, &period)
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|r| ManifestEntry {
                format: r.format,
                sha256: r.sha256,
                bytes: r.bytes,
                generated_at: r.generated_at.and_utc(),
            })
            .collect::<Vec<_>>(),
    ))
}
