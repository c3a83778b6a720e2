//! `/api/v1/searches/{id}/feedback` and `/api/v1/tasks`: agents say what a search did for the
//! caller; editors work the tasks that reports of faulty entries create.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::{body, AppState};
use crate::app::{FeedbackReceipt, TaskView};
use crate::domain::feedback::FeedbackRequest;
use crate::domain::page::Page;
use crate::error::AppResult;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/searches/{id}/feedback", post(give))
        .route("/tasks", get(tasks))
        .route("/tasks/{id}/close", post(close))
}

/// Records feedback on a search: `adopted` (the entry that answered the caller), `not_helpful`,
/// `no_answer` (both feed knowledge gaps) or `report` (an entry's problem: a task for the
/// editors of its department). Agents give feedback on their own searches only.
#[utoipa::path(
    post,
    path = "/api/v1/searches/{id}/feedback",
    tag = "knowledge loop",
    params(("id" = String, Path, description = "检索编号（检索响应里的 search_id）")),
    request_body = FeedbackRequest,
    responses(
        (status = 201, description = "已记录的反馈", body = FeedbackReceipt),
        (status = 400, description = "invalid_body、invalid_feedback、invalid_problem、unknown_entry、content_too_long", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "search_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn give(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    request: Result<Json<FeedbackRequest>, JsonRejection>,
) -> AppResult<(StatusCode, Json<FeedbackReceipt>)> {
    let request = body(request)?;
    let receipt = app.give_feedback(&caller, &id, request).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// Raw parameters of the task list, checked by hand for our own messages.
#[derive(Debug, Default, Deserialize)]
pub struct TaskParams {
    status: Option<String>,
    department: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// One page of editors' tasks.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskList {
    total: usize,
    limit: usize,
    offset: usize,
    tasks: Vec<TaskView>,
}

/// Editors' tasks, oldest first (editor, reviewer, supervisor, admin).
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    tag = "knowledge loop",
    params(
        ("status" = Option<String>, Query, description = "open、done 或 dismissed；不填为全部", pattern = "^(open|done|dismissed)?$"),
        ("department" = Option<String>, Query, description = "承办部门编码"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 200, description = "1–200，默认 50"),
        ("offset" = Option<usize>, Query, minimum = 0, description = "跳过的条数"),
    ),
    responses(
        (status = 200, description = "任务列表", body = TaskList),
        (status = 400, description = "invalid_limit、invalid_parameter、invalid_status", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn tasks(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<TaskParams>, QueryRejection>,
) -> AppResult<Json<TaskList>> {
    let params = super::query(params)?;
    let page = Page::parse(params.limit.as_deref(), params.offset.as_deref())?;
    let (total, tasks) = app
        .tasks(
            &caller,
            params
                .status
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
            params.department.as_deref(),
            page,
        )
        .await?;
    Ok(Json(TaskList {
        total,
        limit: page.limit,
        offset: page.offset,
        tasks,
    }))
}

/// How a task is closed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseTask {
    /// done：已处理；dismissed：不予处理
    #[schema(example = "done", pattern = "^(done|dismissed)$")]
    resolution: String,
    /// 处理说明，最长 2000 字
    #[schema(max_length = 2000)]
    comment: Option<String>,
}

/// Closes an open task as done or dismissed.
#[utoipa::path(
    post,
    path = "/api/v1/tasks/{id}/close",
    tag = "knowledge loop",
    params(("id" = String, Path, description = "任务编号")),
    request_body = CloseTask,
    responses(
        (status = 200, description = "已关闭的任务", body = TaskView),
        (status = 400, description = "invalid_body、invalid_resolution、content_too_long", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "task_not_found", body = super::ErrorBody),
        (status = 409, description = "task_closed", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn close(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    request: Result<Json<CloseTask>, JsonRejection>,
) -> AppResult<Json<TaskView>> {
    let request = body(request)?;
    Ok(Json(
        app.close_task(&caller, &id, &request.resolution, request.comment)
            .await?,
    ))
}
