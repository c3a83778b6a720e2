//! `GET /api/v1/calendar/due`: when N working days from a date end, on the Chinese working-day
//! calendar, for agents telling callers when to expect an answer.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::AppState;
use crate::domain::date::{format_date, parse_date};
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new().route("/calendar/due", get(due))
}

#[derive(Debug, Default, Deserialize)]
pub struct DueParams {
    from: Option<String>,
    working_days: Option<String>,
}

/// The due date of a time limit in working days.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DueDate {
    /// The end of the N-th working day after `from` (`from` itself does not count).
    #[schema(example = "2026-10-10")]
    pub due: String,
    pub from: String,
    pub working_days: u32,
    /// False when the calendar has no holiday data for a year on the way (Monday–Friday was
    /// assumed there).
    pub calendar_covered: bool,
}

/// Largest accepted `working_days`.
const MAX_WORKING_DAYS: u32 = 365;

/// The due date of `working_days` working days after `from`.
#[utoipa::path(
    get,
    path = "/api/v1/calendar/due",
    tag = "tickets",
    params(
        ("from" = String, Query, format = Date, description = "起算日期 YYYY-MM-DD（当天不计）"),
        ("working_days" = u32, Query, minimum = 0, maximum = 365, description = "工作日数"),
    ),
    responses(
        (status = 200, description = "到期日", body = DueDate),
        (status = 400, description = "invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn due(
    State(app): State<AppState>,
    Caller(_caller): Caller,
    params: Result<Query<DueParams>, QueryRejection>,
) -> AppResult<Json<DueDate>> {
    let params = super::query(params)?;
    let from_text = params.from.unwrap_or_default();
    let from = parse_date(from_text.trim()).ok_or_else(|| {
        AppError::new(
            Code::InvalidParameter,
            format!("from 应为 YYYY-MM-DD 格式的日期，收到 {from_text:?}"),
        )
    })?;
    let days_text = params.working_days.unwrap_or_default();
    let working_days = days_text
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= MAX_WORKING_DAYS)
        .ok_or_else(|| {
            AppError::new(
                Code::InvalidParameter,
                format!("working_days 应为 0 到 {MAX_WORKING_DAYS} 的整数，收到 {days_text:?}"),
            )
        })?;
    let due = app.calendar.add_working_days(from, working_days);
    let calendar_covered = (from.year()..=due.year()).all(|year| app.calendar.covers(year));
    Ok(Json(DueDate {
        due: format_date(due),
        from: format_date(from),
        working_days,
        calendar_covered,
    }))
}
