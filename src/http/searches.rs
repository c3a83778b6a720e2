//! `/api/v1/searches` and `/api/v1/audit`: staff read the search log (queries masked for roles
//! that may not see callers' personal data) and supervisors the audit log of unmasked reads.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::{AppState, PageParams};
use crate::app::SearchLogEntry;
use crate::db::AuditRecord;
use crate::domain::page::Page;
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/searches", get(list))
        .route("/searches/{id}", get(one))
        .route("/audit", get(audit))
}

/// Raw parameters of the search-log listing, checked by hand for our own messages.
#[derive(Debug, Default, Deserialize)]
pub struct SearchListParams {
    limit: Option<String>,
    offset: Option<String>,
    no_answer: Option<String>,
}

/// One page of the search log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchList {
    total: usize,
    limit: usize,
    offset: usize,
    searches: Vec<SearchLogEntry>,
}

/// One page of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditList {
    total: usize,
    limit: usize,
    offset: usize,
    records: Vec<AuditRecord>,
}

/// The search log, newest first. Agents see only their own searches; the query is masked
/// unless the role sees personal data, and each unmasked record with personal data is audited.
#[utoipa::path(
    get,
    path = "/api/v1/searches",
    tag = "search log",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 200, description = "1–200，默认 50"),
        ("offset" = Option<usize>, Query, minimum = 0, description = "跳过的条数"),
        ("no_answer" = Option<bool>, Query, description = "true 只看无答案的检索，false 只看有答案的"),
    ),
    responses(
        (status = 200, description = "检索记录", body = SearchList),
        (status = 400, description = "invalid_limit、invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<SearchListParams>, QueryRejection>,
) -> AppResult<Json<SearchList>> {
    let params = super::query(params)?;
    let page = Page::parse(params.limit.as_deref(), params.offset.as_deref())?;
    let no_answer = super::flag("no_answer", params.no_answer.as_deref())?;
    let (total, searches) = app.search_log(&caller, no_answer, page).await?;
    Ok(Json(SearchList {
        total,
        limit: page.limit,
        offset: page.offset,
        searches,
    }))
}

/// One recorded search; searches an agent did not run itself are 404 to it.
#[utoipa::path(
    get,
    path = "/api/v1/searches/{id}",
    tag = "search log",
    params(("id" = String, Path, description = "检索编号（检索响应里的 search_id）")),
    responses(
        (status = 200, description = "检索记录", body = SearchLogEntry),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "search_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn one(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<SearchLogEntry>> {
    Ok(Json(app.search_log_entry(&caller, &id).await?))
}

/// The audit log of unmasked reads of personal data, newest first (supervisor, admin).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "access",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 200, description = "1–200，默认 50"),
        ("offset" = Option<usize>, Query, minimum = 0, description = "跳过的条数"),
    ),
    responses(
        (status = 200, description = "审计记录", body = AuditList),
        (status = 400, description = "invalid_limit、invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn audit(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<PageParams>, QueryRejection>,
) -> AppResult<Json<AuditList>> {
    let page = super::page(params)?;
    let (total, records) = app.audit_log(&caller, page).await?;
    Ok(Json(AuditList {
        total,
        limit: page.limit,
        offset: page.offset,
        records,
    }))
}
