//! Editing and review over HTTP: `POST /api/v1/entries`, `PUT /api/v1/entries/{id}`, the review
//! steps (`submit`, `approve`, `reject`, `retire`, `confirm`), the open draft and the queue.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::Caller;
use super::transitions::parse_body;
use super::{body, AppState};
use crate::app::DraftView;
use crate::domain::draft::{Draft, DraftState};
use crate::domain::page::Page;
use crate::domain::Entry;
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entries/{id}/draft", get(draft))
        .route("/entries/{id}/submit", post(submit))
        .route("/entries/{id}/approve", post(approve))
        .route("/entries/{id}/reject", post(reject))
        .route("/entries/{id}/retire", post(retire))
        .route("/entries/{id}/confirm", post(confirm))
        .route("/drafts", get(drafts))
}

/// The body of `POST /entries` and `PUT /entries/{id}`: the fields of one `entries.jsonl` line,
/// plus the revision the edit started from and why it was made.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct EntryEdit {
    /// Optional on `POST` (generated from the department when absent); on `PUT` it must match
    /// the path.
    id: Option<String>,
    #[schema(example = "个体工商户怎么办营业执照")]
    title: String,
    questions: Vec<String>,
    answer: String,
    process: Vec<String>,
    materials: Vec<String>,
    department: String,
    category: Option<String>,
    /// `市级` or a district; default `市级`.
    region: Option<String>,
    keywords: Vec<String>,
    /// `YYYY-MM-DD`.
    valid_from: Option<String>,
    valid_to: Option<String>,
    /// Required on `PUT`: the `revision` of the entry or draft the edit started from.
    #[schema(minimum = 1)]
    base_revision: Option<i64>,
    /// Why the change was made (修改说明), kept with the revision.
    note: Option<String>,
}

/// Creates a draft of a new entry. It is not searchable until a reviewer approves it.
#[utoipa::path(
    post,
    path = "/api/v1/entries",
    tag = "editing",
    request_body = EntryEdit,
    responses(
        (status = 201, description = "草稿，附相似条目", body = DraftView),
        (status = 400, description = "invalid_body、invalid_entry", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 409, description = "entry_exists", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(app): State<AppState>,
    Caller(caller): Caller,
    request: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<(StatusCode, Json<DraftView>)> {
    let view = app
        .knowledge()
        .create(&caller, body(request)?, None)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Saves a new draft revision of an entry. Agents keep seeing the published revision.
#[utoipa::path(
    put,
    path = "/api/v1/entries/{id}",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    request_body = EntryEdit,
    responses(
        (status = 200, description = "新的草稿修订，附相似条目", body = DraftView),
        (status = 400, description = "invalid_body、invalid_entry（含缺少 base_revision）", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "entry_not_found", body = super::ErrorBody),
        (status = 409, description = "revision_conflict：base_revision 不是最新修订", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn save(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    request: Result<Json<serde_json::Value>, JsonRejection>,
) -> AppResult<Json<DraftView>> {
    Ok(Json(
        app.knowledge().save(&caller, &id, body(request)?).await?,
    ))
}

/// The open draft of an entry.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}/draft",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    responses(
        (status = 200, description = "草稿", body = DraftView),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "draft_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn draft(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<DraftView>> {
    Ok(Json(app.knowledge().draft(&caller, &id).await?))
}

/// Submits the draft for review (editor).
#[utoipa::path(
    post,
    path = "/api/v1/entries/{id}/submit",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    responses(
        (status = 200, description = "已提交审核的草稿", body = DraftView),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "draft_not_found", body = super::ErrorBody),
        (status = 409, description = "draft_state_conflict", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<DraftView>> {
    Ok(Json(app.knowledge().submit(&caller, &id).await?))
}

/// `approve`: an optional comment.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    comment: Option<String>,
}

/// Approves a submitted draft (reviewer, not its author): it is published, or the entry
/// retired, and agents see the change on their next search.
#[utoipa::path(
    post,
    path = "/api/v1/entries/{id}/approve",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    request_body(content = ApproveBody, description = "可省略"),
    responses(
        (status = 200, description = "发布后的条目", body = Entry),
        (status = 400, description = "invalid_body", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden、review_own_draft", body = super::ErrorBody),
        (status = 404, description = "draft_not_found", body = super::ErrorBody),
        (status = 409, description = "draft_state_conflict、revision_conflict", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn approve(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Json<Entry>> {
    let request: ApproveBody = parse_body(&bytes)?;
    let comment = request
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    Ok(Json(app.knowledge().approve(&caller, &id, comment).await?))
}

/// `reject`: what the editor must change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    #[schema(
        min_length = 1,
        pattern = "\\S",
        example = "材料清单缺少近期照片的规格"
    )]
    comment: String,
}

/// Sends a submitted draft back to its editor with a comment (reviewer).
#[utoipa::path(
    post,
    path = "/api/v1/entries/{id}/reject",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    request_body = RejectBody,
    responses(
        (status = 200, description = "退回的草稿", body = DraftView),
        (status = 400, description = "invalid_body、invalid_request", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "draft_not_found", body = super::ErrorBody),
        (status = 409, description = "draft_state_conflict", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reject(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Json<DraftView>> {
    let request: RejectBody = parse_body(&bytes)?;
    Ok(Json(
        app.knowledge()
            .reject(&caller, &id, &request.comment)
            .await?,
    ))
}

/// `retire`: why, and optionally the revision the request was made from.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireBody {
    #[schema(example = "政策已废止")]
    reason: Option<String>,
    #[schema(value_type = Option<i64>, minimum = 1)]
    base_revision: Option<f64>,
}

/// Asks for an entry to be retired (editor); it leaves search when a reviewer approves.
#[utoipa::path(
    post,
    path = "/api/v1/entries/{id}/retire",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    request_body(content = RetireBody, description = "可省略"),
    responses(
        (status = 200, description = "待审核的下线申请", body = DraftView),
        (status = 400, description = "invalid_body", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "entry_not_found", body = super::ErrorBody),
        (status = 409, description = "draft_state_conflict、revision_conflict", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retire(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> AppResult<Json<DraftView>> {
    let request: RetireBody = parse_body(&bytes)?;
    let base = request.base_revision.map(super::whole_number).transpose()?;
    let view = app
        .knowledge()
        .retire(&caller, &id, base, request.reason)
        .await?;
    Ok(Json(view))
}

/// Confirms a published entry is still right without changing it (reviewer): it leaves the
/// review-due list.
#[utoipa::path(
    post,
    path = "/api/v1/entries/{id}/confirm",
    tag = "editing",
    params(("id" = String, Path, description = "条目编码")),
    responses(
        (status = 200, description = "条目", body = Entry),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "entry_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn confirm(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Entry>> {
    Ok(Json(app.knowledge().confirm(&caller, &id).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct DraftsParams {
    state: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// Drafts in progress and the review queue.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DraftList {
    drafts: Vec<Draft>,
}

/// Open drafts, least recently changed first; `state=submitted` is the review queue.
#[utoipa::path(
    get,
    path = "/api/v1/drafts",
    tag = "editing",
    params(
        ("state" = Option<String>, Query, description = "draft、submitted 或 rejected", pattern = "^(draft|submitted|rejected)?$"),
        ("limit" = Option<usize>, Query, description = "每页条数，1–200，默认 50", minimum = 1, maximum = 200),
        ("offset" = Option<usize>, Query, description = "跳过的条数", minimum = 0),
    ),
    responses(
        (status = 200, description = "草稿列表", body = DraftList),
        (status = 400, description = "invalid_parameter、invalid_limit", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn drafts(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<DraftsParams>, QueryRejection>,
) -> AppResult<Json<DraftList>> {
    let params = super::query(params)?;
    let state = match params.state.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(DraftState::parse(text).ok_or_else(|| {
            AppError::new(
                Code::InvalidParameter,
                format!("state 应为 draft、submitted 或 rejected，收到 {text:?}"),
            )
        })?),
    };
    let page = Page::parse(params.limit.as_deref(), params.offset.as_deref())?;
    let drafts = app.knowledge().drafts(&caller, state, page).await?;
    Ok(Json(DraftList { drafts }))
}
