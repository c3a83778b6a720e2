//! `/api/v1/tickets`: recording calls, ticket lists and a ticket with its history. The
//! lifecycle transitions are in `transitions.rs`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use time::Duration;

use super::auth::Caller;
use super::{body, AppState};
use crate::app::{TicketDetail, TicketPage, TicketQuery};
use crate::domain::date::{cst, parse_date};
use crate::domain::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::domain::ticket::{TicketStatus, TicketType};
use crate::domain::ticket_view::NewTicket;
use crate::domain::warnings::DepartmentWarnings;
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets", get(list).post(create))
        .route("/tickets/warnings", get(warnings))
        .route("/tickets/{id}", get(detail))
}

/// Records a call. `answered` closes it on the call (直接办结); `dispatch` leaves it to the
/// dispatchers.
#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "tickets",
    request_body = NewTicket,
    responses(
        (status = 201, description = "已登记的工单及其历史", body = TicketDetail),
        (status = 400, description = "invalid_body、content_empty、content_too_long、transcript_too_long、invalid_resolution、unknown_entry、unknown_search、unknown_department", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(app): State<AppState>,
    Caller(caller): Caller,
    request: Result<Json<NewTicket>, JsonRejection>,
) -> AppResult<(StatusCode, Json<TicketDetail>)> {
    let request = body(request)?;
    let detail = app.tickets().create(&caller, request).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// A ticket (by id or number) with its complete history.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    tag = "tickets",
    params(("id" = String, Path, description = "工单 id 或工单编号")),
    responses(
        (status = 200, description = "工单", body = TicketDetail),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "ticket_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn detail(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<TicketDetail>> {
    Ok(Json(app.tickets().detail(&caller, &id).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    department: Option<String>,
    status: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    due_before: Option<String>,
    overdue: Option<String>,
    dissatisfied: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Tickets newest first, for dispatchers and departments, each with its deadline and remaining
/// working time. Department clerks see their own department's tickets.
#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    tag = "tickets",
    params(
        ("department" = Option<String>, Query, description = "主办或协办部门编码"),
        ("status" = Option<TicketStatus>, Query, description = "工单状态"),
        ("type" = Option<TicketType>, Query, description = "诉求类型"),
        ("due_before" = Option<String>, Query, format = Date, description = "办理中且在该日期（YYYY-MM-DD，含当天）或之前到期"),
        ("overdue" = Option<bool>, Query, description = "只看已超期的办理中工单"),
        ("dissatisfied" = Option<bool>, Query, description = "不满意诉求台账：有过差评（1–2 分）的工单"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 200, description = "1–200，默认 50"),
        ("cursor" = Option<String>, Query, description = "上一页的 next_cursor"),
    ),
    responses(
        (status = 200, description = "工单列表", body = TicketPage),
        (status = 400, description = "invalid_parameter、invalid_limit", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> AppResult<Json<TicketPage>> {
    let params = super::query(params)?;
    // An empty `limit=` is not a number: refused, as the document says.
    let limit = match params.limit.as_deref().map(str::trim) {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                AppError::new(
                    Code::InvalidLimit,
                    format!("limit 应在 1 到 {MAX_PAGE_SIZE} 之间，收到 {text:?}"),
                )
            })?,
    };
    let non_empty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let query = TicketQuery {
        department: non_empty(params.department),
        status: params
            .status
            .map(|s| TicketStatus::parse(s.trim()))
            .transpose()?,
        ticket_type: params
            .ticket_type
            .map(|s| TicketType::parse(s.trim()))
            .transpose()?,
        due_before: params.due_before.map(|s| due_before(&s)).transpose()?,
        overdue: super::flag("overdue", params.overdue.as_deref())?.unwrap_or(false),
        dissatisfied: super::flag("dissatisfied", params.dissatisfied.as_deref())?.unwrap_or(false),
        limit,
        cursor: non_empty(params.cursor),
    };
    Ok(Json(app.tickets().list(&caller, query).await?))
}

/// `YYYY-MM-DD`: due on that day or earlier (before the next day starts in China Standard
/// Time).
fn due_before(text: &str) -> AppResult<time::OffsetDateTime> {
    let date = parse_date(text.trim()).ok_or_else(|| {
        AppError::new(
            Code::InvalidParameter,
            format!("due_before 应为 YYYY-MM-DD 日期，收到 {text:?}"),
        )
    })?;
    Ok(date.midnight().assume_offset(cst()) + Duration::days(1))
}
/// Per department: tickets due by the end of the next working day, overdue, and replied ones
/// waiting for the callback.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WarningList {
    departments: Vec<DepartmentWarnings>,
}

/// Deadline warnings (临期、超期) and callbacks waiting: every department for dispatchers and
/// supervisors, its own for a department clerk.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/warnings",
    tag = "tickets",
    responses(
        (status = 200, description = "各部门预警", body = WarningList),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn warnings(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> AppResult<Json<WarningList>> {
    Ok(Json(WarningList {
        departments: app.tickets().warnings(&caller).await?,
    }))
}
