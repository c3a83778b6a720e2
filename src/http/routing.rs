//! `POST /api/v1/routing/suggest`: which departments should handle a call, best first.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use super::auth::Caller;
use super::{body, AppState};
use crate::app::{RoutingRequest, RoutingSuggestion};
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/routing/suggest", post(suggest))
}

/// Suggested departments.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoutingSuggestions {
    /// Best first.
    suggestions: Vec<RoutingSuggestion>,
}

/// Departments for a call (智能派单), from their duties and the matters they own, the
/// knowledge entries the text matches, and closed tickets of the past.
#[utoipa::path(
    post,
    path = "/api/v1/routing/suggest",
    tag = "tickets",
    request_body = RoutingRequest,
    responses(
        (status = 200, description = "建议的承办部门", body = RoutingSuggestions),
        (status = 400, description = "invalid_body、field_empty", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn suggest(
    State(app): State<AppState>,
    Caller(caller): Caller,
    request: Result<Json<RoutingRequest>, JsonRejection>,
) -> AppResult<Json<RoutingSuggestions>> {
    let request = body(request)?;
    Ok(Json(RoutingSuggestions {
        suggestions: app.routing().suggest(&caller, request).await?,
    }))
}
