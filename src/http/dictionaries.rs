//! `/api/v1/dictionaries`: the search dictionaries editors change at run time.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::{body, AppState};
use crate::app::DictionaryView;
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dictionaries", get(list))
        .route("/dictionaries/{name}", get(one).put(save))
}

/// The dictionaries, without their text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DictionaryList {
    dictionaries: Vec<DictionaryView>,
}

/// The search dictionaries with their revision and size.
#[utoipa::path(
    get,
    path = "/api/v1/dictionaries",
    tag = "editing",
    responses(
        (status = 200, description = "词典列表", body = DictionaryList),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> AppResult<Json<DictionaryList>> {
    let dictionaries = app.dictionaries(&caller).await?;
    Ok(Json(DictionaryList { dictionaries }))
}

/// One dictionary with its whole text.
#[utoipa::path(
    get,
    path = "/api/v1/dictionaries/{name}",
    tag = "editing",
    params(("name" = String, Path, description = "词典文件名，如 synonyms.txt")),
    responses(
        (status = 200, description = "词典", body = DictionaryView),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "dictionary_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn one(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
) -> AppResult<Json<DictionaryView>> {
    Ok(Json(app.dictionary(&caller, &name).await?))
}

/// A new version of a dictionary.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DictionaryEdit {
    /// The whole text, in the file's format (see the README).
    #[schema(example = "社保卡 社会保障卡 医保卡")]
    content: String,
    /// The `revision` the edit started from.
    #[schema(value_type = i64, minimum = 1)]
    base_revision: f64,
    /// Why the change was made.
    note: Option<String>,
}

/// Saves a dictionary (editor). It is checked first (a malformed line is refused naming file
/// and line); the index is then rebuilt with it in the background within a few seconds,
/// without stopping searches.
#[utoipa::path(
    put,
    path = "/api/v1/dictionaries/{name}",
    tag = "editing",
    params(("name" = String, Path, description = "词典文件名，如 synonyms.txt")),
    request_body = DictionaryEdit,
    responses(
        (status = 200, description = "已保存，稍后生效", body = DictionaryView),
        (status = 400, description = "invalid_body、invalid_dictionary", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "dictionary_not_found", body = super::ErrorBody),
        (status = 409, description = "revision_conflict", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn save(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
    request: Result<Json<DictionaryEdit>, JsonRejection>,
) -> AppResult<Json<DictionaryView>> {
    let edit = body(request)?;
    let view = state
        .save_dictionary(
            &caller,
            &name,
            edit.content,
            super::whole_number(edit.base_revision)?,
            edit.note,
        )
        .await?;
    let app = state.app.clone();
    tokio::spawn(async move {
        if let Err(err) = app.apply_dictionaries().await {
            tracing::warn!(code = err.code.as_str(), message = %err.message, "applying edited dictionaries failed");
        }
    });
    Ok(Json(view))
}
