//! `GET /api/v1/search`: the agent's live answer search.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::auth::Caller;
use super::AppState;
use crate::domain::access::Permission;
use crate::domain::search::{SearchOutcome, SearchRequest};
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// Raw query parameters; values are checked by hand so every mistake gets our own message.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    region: Option<String>,
    department: Option<String>,
    category: Option<String>,
    limit: Option<String>,
    include_expired: Option<String>,
}

/// Searches the knowledge base as an agent on a call would.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "knowledge",
    params(
        ("q" = String, Query, min_length = 1, max_length = 2000, pattern = "\\S", description = "问题、关键词或语音转写，最长 2000 字"),
        ("region" = Option<String>, Query, description = "来电人所在区县"),
        ("department" = Option<String>, Query, description = "只看该部门的条目"),
        ("category" = Option<String>, Query, description = "只看该分类的条目"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 50, description = "1–50，默认 10"),
        ("include_expired" = Option<bool>, Query, description = "也返回已失效条目"),
    ),
    responses(
        (status = 200, description = "检索结果", body = SearchOutcome),
        (status = 400, description = "query_empty、query_too_long、invalid_limit、invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn search(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> AppResult<Json<SearchOutcome>> {
    caller.require(Permission::ReadKnowledge)?;
    let params = super::query(params)?;
    let limit = params
        .limit
        .as_deref()
        .map(|l| {
            l.trim().parse::<usize>().map_err(|_| {
                AppError::new(Code::InvalidLimit, format!("limit 应为正整数，收到 {l:?}"))
            })
        })
        .transpose()?;
    let include_expired =
        super::flag("include_expired", params.include_expired.as_deref())?.unwrap_or(false);
    let request = SearchRequest::new(
        params.q.as_deref().unwrap_or_default(),
        params.region,
        params.department,
        params.category,
        limit,
        include_expired,
    )?;
    let outcome = app.search(request, Some(&caller.name)).await?;
    app.metrics
        .observe_search(outcome.took_ms / 1000.0, outcome.no_answer);
    Ok(Json(outcome))
}
