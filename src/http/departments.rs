//! `GET /api/v1/departments`: the departments tickets can be dispatched to, a page at a time.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::auth::Caller;
use super::{AppState, PageParams};
use crate::domain::access::Permission;
use crate::domain::Department;
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/departments", get(departments))
}

/// One page of departments.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DepartmentList {
    total: usize,
    limit: usize,
    offset: usize,
    departments: Vec<Department>,
}

/// The departments tickets can be dispatched to.
#[utoipa::path(
    get,
    path = "/api/v1/departments",
    tag = "knowledge",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 200, description = "1–200，默认 50"),
        ("offset" = Option<usize>, Query, minimum = 0, description = "跳过的条数"),
    ),
    responses(
        (status = 200, description = "部门列表", body = DepartmentList),
        (status = 400, description = "invalid_limit、invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn departments(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<PageParams>, QueryRejection>,
) -> AppResult<Json<DepartmentList>> {
    caller.require(Permission::ReadDepartments)?;
    let page = super::page(params)?;
    let all = app.departments().await?;
    Ok(Json(DepartmentList {
        total: all.len(),
        limit: page.limit,
        offset: page.offset,
        departments: page.slice(&all),
    }))
}
