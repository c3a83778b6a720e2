//! An entry's history over HTTP: `GET /api/v1/entries/{id}/revisions`, one revision, restoring
//! one as a new draft, and `GET /api/v1/entries/{id}/diff`.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::Caller;
use super::transitions::parse_body;
use super::AppState;
use crate::app::{DraftView, RevisionDiff, RevisionList};
use crate::domain::draft::Revision;
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entries/{id}/revisions", get(revisions))
        .route("/entries/{id}/revisions/{revision}", get(revision))
        .route("/entries/{id}/revisions/{revision}/restore", post(restore))
        .route("/entries/{id}/diff", get(diff))
}

/// Every saved revision of an entry with who saved and approved it, when and why, and the
/// editorial history.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}/revisions",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    responses(
        (status = 200, description = "修订列表", body = RevisionList),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "entry_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revisions(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<RevisionList>> {
    Ok(Json(app.knowledge().revisions(&caller, &id).await?))
}

/// A revision number from the path.
fn revision_number(text: &str) -> AppResult<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            AppError::new(
                Code::InvalidParameter,
                format!("修订号应为正整数，收到 {text:?}"),
            )
        })
}

/// One saved revision with its content.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}/revisions/{revision}",
    tag = "editing",
    params(
        ("id" = String, Path, description = "条目编码"),
        ("revision" = i64, Path, description = "修订号", minimum = 1),
    ),
    responses(
        (status = 200, description = "修订内容", body = Revision),
        (status = 400, description = "invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "revision_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revision(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path((id, revision)): Path<(String, String)>,
) -> AppResult<Json<Revision>> {
    let revision = revision_number(&revision)?;
    Ok(Json(
        app.knowledge().revision(&caller, &id, revision).await?,
    ))
}

/// `restore`: the newest revision of the entry, as for any edit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    #[schema(value_type = i64, minimum = 1)]
    base_revision: f64,
}

/// Copies a past revision into a new draft (editor); it is published after review like any
/// other draft.
#[utoipa::path(
    post,
    path = "/api/v1/entries/{id}/revisions/{revision}/restore",
    tag = "editing",
    params(
        ("id" = String, Path, description = "条目编码"),
        ("revision" = i64, Path, description = "要恢复的修订号", minimum = 1),
    ),
    request_body = RestoreBody,
    responses(
        (status = 200, description = "新的草稿", body = DraftView),
        (status = 400, description = "invalid_body、invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "entry_not_found、revision_not_found", body = super::ErrorBody),
        (status = 409, description = "revision_conflict", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn restore(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path((id, revision)): Path<(String, String)>,
    bytes: Bytes,
) -> AppResult<Json<DraftView>> {
    let revision = revision_number(&revision)?;
    let request: RestoreBody = parse_body(&bytes)?;
    let view = app
        .knowledge()
        .restore(
            &caller,
            &id,
            revision,
            super::whole_number(request.base_revision)?,
        )
        .await?;
    Ok(Json(view))
}

#[derive(Debug, Default, Deserialize)]
pub struct DiffParams {
    from: Option<String>,
    to: Option<String>,
}

/// The fields that changed from one revision to another.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}/diff",
    tag = "editing",
    params(
        ("id" = String, Path, description = "条目编码"),
        ("from" = i64, Query, description = "旧修订号", minimum = 1),
        ("to" = i64, Query, description = "新修订号", minimum = 1),
    ),
    responses(
        (status = 200, description = "逐字段差异", body = RevisionDiff),
        (status = 400, description = "invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "revision_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn diff(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    params: Result<Query<DiffParams>, QueryRejection>,
) -> AppResult<Json<RevisionDiff>> {
    let params = super::query(params)?;
    let number = |name: &str, value: Option<String>| {
        value.as_deref().map(revision_number).unwrap_or_else(|| {
            Err(AppError::new(
                Code::InvalidParameter,
                format!("缺少参数 {name}：要比较的修订号"),
            ))
        })
    };
    let from = number("from", params.from)?;
    let to = number("to", params.to)?;
    Ok(Json(app.knowledge().diff(&caller, &id, from, to).await?))
}
