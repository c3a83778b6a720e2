//! `/api/v1/tokens`: administrators create, list and revoke access tokens.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::{body, AppState, PageParams};
use crate::db::TokenInfo;
use crate::domain::access::{Permission, Role};
use crate::domain::page::Page;
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(create))
        .route("/tokens/{name}", delete(revoke))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateToken {
    role: String,
    #[serde(default)]
    department: Option<String>,
    name: String,
}

#[derive(Serialize)]
struct CreatedToken {
    #[serde(flatten)]
    info: TokenInfo,
    /// The secret, shown only in this response.
    token: String,
}

#[derive(Serialize)]
struct TokenList {
    total: usize,
    limit: usize,
    offset: usize,
    tokens: Vec<TokenInfo>,
}

async fn create(
    State(app): State<AppState>,
    Caller(caller): Caller,
    request: Result<Json<CreateToken>, JsonRejection>,
) -> AppResult<(StatusCode, Json<CreatedToken>)> {
    caller.require(Permission::ManageTokens)?;
    let request = body(request)?;
    let role = Role::parse(&request.role)?;
    let (info, token) = app
        .create_token(&request.name, role, request.department)
        .await?;
    tracing::info!(token = %info.name, role = role.as_str(), by = %caller.name, "token created");
    Ok((StatusCode::CREATED, Json(CreatedToken { info, token })))
}

async fn list(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<PageParams>, QueryRejection>,
) -> AppResult<Json<TokenList>> {
    caller.require(Permission::ManageTokens)?;
    let page = super::page(params)?;
    let total = usize::try_from(app.db.count_tokens().await?).unwrap_or(0);
    let tokens = app.db.tokens(page.limit as i64, page.offset as i64).await?;
    let Page { limit, offset } = page;
    Ok(Json(TokenList {
        total,
        limit,
        offset,
        tokens,
    }))
}

async fn revoke(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::ManageTokens)?;
    app.revoke_token(&name).await?;
    tracing::info!(token = %name, by = %caller.name, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}
