//! `/api/v1/gaps`: knowledge gaps (questions nobody could answer, grouped by need) for
//! editors: the list, one gap, and dismissing one.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::Caller;
use super::{body, AppState};
use crate::app::{DraftView, GapList, GapSort, GapView};
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gaps", get(list))
        .route("/gaps/{id}", get(one))
        .route("/gaps/{id}/dismiss", post(dismiss))
        .route("/gaps/{id}/draft", post(draft))
}

/// Raw parameters of the gap list, checked by hand for our own messages.
#[derive(Debug, Default, Deserialize)]
pub struct GapParams {
    status: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
}

fn sort(value: Option<&str>) -> AppResult<GapSort> {
    match value.map(str::trim) {
        None | Some("") | Some("count") => Ok(GapSort::Count),
        Some("recent") => Ok(GapSort::Recent),
        Some(other) => Err(AppError::new(
            Code::InvalidParameter,
            format!("sort 应为 count（按次数）或 recent（按最近出现），收到 {other:?}"),
        )),
    }
}

fn limit(value: Option<&str>) -> AppResult<usize> {
    match value.map(str::trim) {
        None => Ok(50),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=crate::app::MAX_GAPS).contains(n))
            .ok_or_else(|| {
                AppError::new(
                    Code::InvalidLimit,
                    format!("limit 应为 1–200 的整数，收到 {text:?}"),
                )
            }),
    }
}

/// Knowledge gaps, most observed (`count`) or most recent first (editor, reviewer,
/// supervisor, admin). Samples are masked for roles that may not see callers' personal data.
#[utoipa::path(
    get,
    path = "/api/v1/gaps",
    tag = "knowledge loop",
    params(
        ("status" = Option<String>, Query, description = "open（默认）、dismissed 或 resolved", pattern = "^(open|dismissed|resolved)?$"),
        ("sort" = Option<String>, Query, description = "count（默认，按次数）或 recent（按最近出现）", pattern = "^(count|recent)?$"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 200, description = "1–200，默认 50"),
    ),
    responses(
        (status = 200, description = "知识缺口", body = GapList),
        (status = 400, description = "invalid_limit、invalid_parameter、invalid_status", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<GapParams>, QueryRejection>,
) -> AppResult<Json<GapList>> {
    let params = super::query(params)?;
    let sort = sort(params.sort.as_deref())?;
    let limit = limit(params.limit.as_deref())?;
    let status = params
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("open");
    let gaps = app.gaps(&caller, status, sort, limit).await?;
    Ok(Json(GapList { gaps }))
}

/// One knowledge gap.
#[utoipa::path(
    get,
    path = "/api/v1/gaps/{id}",
    tag = "knowledge loop",
    params(("id" = String, Path, description = "缺口编号")),
    responses(
        (status = 200, description = "知识缺口", body = GapView),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "gap_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn one(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<GapView>> {
    Ok(Json(app.gap(&caller, &id).await?))
}

/// Why a gap is not worth an entry.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissGap {
    /// 不予处理的理由
    #[schema(example = "不属于政务服务范围", min_length = 1, pattern = "\\S")]
    reason: String,
}

/// Dismisses an open gap. It keeps absorbing paraphrases of its need silently instead of
/// reopening as a new gap.
#[utoipa::path(
    post,
    path = "/api/v1/gaps/{id}/dismiss",
    tag = "knowledge loop",
    params(("id" = String, Path, description = "缺口编号")),
    request_body = DismissGap,
    responses(
        (status = 200, description = "已忽略的缺口", body = GapView),
        (status = 400, description = "invalid_body、field_empty", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "gap_not_found", body = super::ErrorBody),
        (status = 409, description = "gap_state_conflict", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn dismiss(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    request: Result<Json<DismissGap>, JsonRejection>,
) -> AppResult<Json<GapView>> {
    let request = body(request)?;
    Ok(Json(app.dismiss_gap(&caller, &id, &request.reason).await?))
}

/// Starts an entry draft for a gap (editor): its representative question as title, the other
/// phrasings as questions, the suggested department and category, and an answer still to
/// write. Publishing the entry resolves the gap. Asking again returns the same draft (200).
#[utoipa::path(
    post,
    path = "/api/v1/gaps/{id}/draft",
    tag = "knowledge loop",
    params(("id" = String, Path, description = "缺口编号")),
    responses(
        (status = 201, description = "新建的草稿", body = DraftView),
        (status = 200, description = "已为该缺口建立的草稿", body = DraftView),
        (status = 400, description = "invalid_entry", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "gap_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn draft(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<DraftView>)> {
    let (created, view) = app.knowledge().draft_for_gap(&caller, &id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}
