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

/// A token to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(value_type = Role)]
    role: String,
    #[serde(default)]
    department: Option<String>,
    /// 1–64 个字符，不含空白和 /
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\s/]+$")]
    name: String,
}

/// A created token with its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    info: TokenInfo,
    /// The secret, shown only in this response.
    token: String,
}

/// One page of tokens.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    total: usize,
    limit: usize,
    offset: usize,
    tokens: Vec<TokenInfo>,
}

/// Creates a token (admin). The secret appears only in this response.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "access",
    request_body = CreateToken,
    responses(
        (status = 201, description = "已创建", body = CreatedToken),
        (status = 400, description = "invalid_body、invalid_role、invalid_token_name、department_required、department_not_allowed、unknown_department", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 409, description = "token_exists", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
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

/// Lists tokens without their secrets (admin).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "access",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 200, description = "1–200，默认 50"),
        ("offset" = Option<usize>, Query, minimum = 0, description = "跳过的条数"),
    ),
    responses(
        (status = 200, description = "令牌列表", body = TokenList),
        (status = 400, description = "invalid_limit、invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<PageParams>, QueryRejection>,
) -> AppResult<Json<TokenList>> {
    caller.require(Permission::ManageTokens)?;
    let page = super::page(params)?;
    let total = usize::try_from(app.db.count_tokens().await?).unwrap_or(0);
    let (sql_limit, sql_offset) = page.sql();
    let tokens = app.db.tokens(sql_limit, sql_offset).await?;
    let Page { limit, offset } = page;
    Ok(Json(TokenList {
        total,
        limit,
        offset,
        tokens,
    }))
}

/// Revokes a token (admin); it stops working on the next request.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{name}",
    tag = "access",
    params(("name" = String, Path, description = "令牌名称")),
    responses(
        (status = 204, description = "已吊销"),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "token_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    caller.require(Permission::ManageTokens)?;
    app.revoke_token(&name).await?;
    tracing::info!(token = %name, by = %caller.name, "token revoked");
    Ok(StatusCode::NO_CONTENT)
}
