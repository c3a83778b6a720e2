//! `GET /api/v1/entries/{id}`: one knowledge entry with its status, revision and validity.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::auth::Caller;
use super::AppState;
use crate::domain::access::Permission;
use crate::domain::date::today;
use crate::domain::{Entry, Validity};
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/entries/{id}", get(entry))
}

#[derive(Serialize)]
struct EntryResponse {
    #[serde(flatten)]
    entry: Entry,
    validity: Validity,
    expired: bool,
}

async fn entry(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<EntryResponse>> {
    caller.require(Permission::ReadKnowledge)?;
    let entry = app.entry(&id).await?;
    let validity = entry.content.validity_on(today());
    Ok(Json(EntryResponse {
        entry,
        validity,
        expired: validity == Validity::Expired,
    }))
}
