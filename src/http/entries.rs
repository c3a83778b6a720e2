//! `GET /api/v1/entries/{id}`: one knowledge entry with its status, revision and validity.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::auth::Caller;
use super::AppState;
use crate::domain::access::Permission;
use crate::domain::{Entry, Validity};
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/entries/{id}", get(entry))
}

/// An entry with its validity today.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EntryResponse {
    #[serde(flatten)]
    entry: Entry,
    validity: Validity,
    expired: bool,
}

/// One knowledge entry with its status, revision and validity.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}",
    tag = "knowledge",
    params(("id" = String, Path, description = "条目编码，如 GJJ-001")),
    responses(
        (status = 200, description = "条目", body = EntryResponse),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "entry_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn entry(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<EntryResponse>> {
    caller.require(Permission::ReadKnowledge)?;
    let entry = app.entry(&id).await?;
    let validity = entry.content.validity_on(app.clock.today());
    Ok(Json(EntryResponse {
        entry,
        validity,
        expired: validity == Validity::Expired,
    }))
}
