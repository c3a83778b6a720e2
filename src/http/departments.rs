//! `GET /api/v1/departments`: the departments tickets can be dispatched to.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::AppState;
use crate::domain::Department;
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/departments", get(departments))
}

#[derive(Serialize)]
struct DepartmentList {
    total: usize,
    departments: Vec<Department>,
}

async fn departments(State(app): State<AppState>) -> AppResult<Json<DepartmentList>> {
    let departments = app.departments().await?;
    Ok(Json(DepartmentList {
        total: departments.len(),
        departments,
    }))
}
