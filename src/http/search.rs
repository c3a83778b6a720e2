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
use crate::error::{AppError, AppResult};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// Raw query parameters; values are checked by hand so every mistake gets our own message.
#[derive(Debug, Default, Deserialize)]
struct SearchParams {
    q: Option<String>,
    region: Option<String>,
    department: Option<String>,
    category: Option<String>,
    limit: Option<String>,
    include_expired: Option<String>,
}

async fn search(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> AppResult<Json<SearchOutcome>> {
    caller.require(Permission::ReadKnowledge)?;
    let Query(params) = params.map_err(|err| {
        AppError::bad_request("invalid_parameter", format!("查询参数无法解析：{err}"))
    })?;
    let limit = params
        .limit
        .as_deref()
        .map(|l| {
            l.trim().parse::<usize>().map_err(|_| {
                AppError::bad_request("invalid_limit", format!("limit 应为正整数，收到 {l:?}"))
            })
        })
        .transpose()?;
    let include_expired = match params.include_expired.as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(AppError::bad_request(
                "invalid_parameter",
                format!("include_expired 应为 true 或 false，收到 {other:?}"),
            ))
        }
    };
    let request = SearchRequest::new(
        params.q.as_deref().unwrap_or_default(),
        params.region,
        params.department,
        params.category,
        limit,
        include_expired,
    )?;
    let outcome = app.search(request).await?;
    app.metrics
        .observe_search(outcome.took_ms / 1000.0, outcome.no_answer);
    Ok(Json(outcome))
}
