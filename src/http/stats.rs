//! `GET /api/v1/stats/departments`: the period report of departments and the line (定期通报),
//! as JSON or as CSV for the monthly report; `GET /api/v1/stats/hot-topics`: what callers asked
//! about most, and what is rising.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use time::Date;

use super::auth::Caller;
use super::AppState;
use crate::domain::date::parse_date;
use crate::domain::hot_topics::HotTopics;
use crate::domain::stats::{departments_csv, StatsReport};
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stats/departments", get(departments))
        .route("/stats/hot-topics", get(hot_topics))
}

#[derive(Debug, Default, Deserialize)]
pub struct StatsParams {
    from: Option<String>,
    to: Option<String>,
    format: Option<StatsFormat>,
}

/// The report's format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatsFormat {
    #[default]
    Json,
    Csv,
}

fn date_param(name: &str, value: Option<&str>, default: Date) -> AppResult<Date> {
    match value.map(str::trim) {
        None => Ok(default),
        Some(text) => parse_date(text).ok_or_else(|| {
            AppError::new(
                Code::InvalidParameter,
                format!("{name} 应为 YYYY-MM-DD 日期，收到 {text:?}"),
            )
        }),
    }
}

/// Per department: received, replied on time, overdue, returned, extended, redone,
/// satisfaction, poor ratings and their follow-up, mean working days to reply; and the line's
/// calls, one-call resolution, dispatched tickets and those awaiting a callback.
#[utoipa::path(
    get,
    path = "/api/v1/stats/departments",
    tag = "tickets",
    params(
        ("from" = Option<String>, Query, format = Date, description = "起始日期 YYYY-MM-DD（含），默认本月 1 日"),
        ("to" = Option<String>, Query, format = Date, description = "结束日期 YYYY-MM-DD（含），默认今天"),
        ("format" = Option<StatsFormat>, Query, description = "json（默认）或 csv"),
    ),
    responses(
        (status = 200, description = "统计报表", body = StatsReport),
        (status = 400, description = "invalid_parameter、invalid_period", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn departments(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<StatsParams>, QueryRejection>,
) -> AppResult<Response> {
    let params = super::query(params)?;
    let today = app.clock.today();
    let month_start = today.replace_day(1).unwrap_or(today);
    let from = date_param("from", params.from.as_deref(), month_start)?;
    let to = date_param("to", params.to.as_deref(), today)?;
    let csv = params.format.unwrap_or_default() == StatsFormat::Csv;
    let report = app.tickets().department_stats(&caller, from, to).await?;
    if csv {
        let body = departments_csv(&report.departments);
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            format!("\u{feff}{body}"),
        )
            .into_response());
    }
    Ok(Json(report).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct HotTopicsParams {
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

/// The most asked needs (the entry that answered, 未找到答案 for unanswered searches, or the
/// type and department of tickets citing no entry) and categories of a period, from the search
/// log and the tickets, with their counts in the previous period of equal length, and the needs
/// that rose most.
#[utoipa::path(
    get,
    path = "/api/v1/stats/hot-topics",
    tag = "knowledge",
    params(
        ("from" = Option<String>, Query, format = Date, description = "起始日期 YYYY-MM-DD（含），默认 to 之前 6 天"),
        ("to" = Option<String>, Query, format = Date, description = "结束日期 YYYY-MM-DD（含），默认今天"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "每个列表最多条数，1–100，默认 10"),
    ),
    responses(
        (status = 200, description = "热点诉求", body = HotTopics),
        (status = 400, description = "invalid_parameter、invalid_period、invalid_limit", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn hot_topics(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<HotTopicsParams>, QueryRejection>,
) -> AppResult<Json<HotTopics>> {
    let params = super::query(params)?;
    let parse = |name: &str, value: Option<&str>| -> AppResult<Option<Date>> {
        value
            .map(|v| date_param(name, Some(v), app.clock.today()))
            .transpose()
    };
    let from = parse("from", params.from.as_deref())?;
    let to = parse("to", params.to.as_deref())?;
    let limit = match params.limit.as_deref().map(str::trim) {
        None => None,
        Some(text) => Some(text.parse::<usize>().map_err(|_| {
            AppError::new(
                Code::InvalidLimit,
                format!("limit 应为 1 到 100 之间的整数，收到 {text:?}"),
            )
        })?),
    };
    Ok(Json(app.hot_topics(&caller, from, to, limit).await?))
}
