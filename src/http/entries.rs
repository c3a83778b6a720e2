//! `GET /api/v1/entries/{id}`: one knowledge entry with its status, revision and validity;
//! `GET /api/v1/entries`: the editors' lists (expiring soon, due for review).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::{drafts, flag, AppState};
use crate::app::{EntryList, EntrySummary};
use crate::domain::access::Permission;
use crate::domain::{Entry, Validity};
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entries", get(list).post(drafts::create))
        .route("/entries/{id}", get(entry).put(drafts::save))
}

/// An entry with its validity today.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EntryResponse {
    #[serde(flatten)]
    entry: Entry,
    validity: Validity,
    expired: bool,
}

/// One knowledge entry with its status, revision and validity.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{id}",
    tag = "knowledge",
    params(("id" = String, Path, description = "条目编码，如 GJJ-001")),
    responses(
        (status = 200, description = "条目", body = EntryResponse),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "entry_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn entry(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<EntryResponse>> {
    caller.require(Permission::ReadKnowledge)?;
    let entry = match app.entry(&id).await {
        // Editors and reviewers also read entries not published yet (status `draft`).
        Err(err)
            if err.code == Code::EntryNotFound
                && caller.require(Permission::ReadDrafts).is_ok() =>
        {
            app.knowledge().unpublished(&caller, &id).await?
        }
        other => other?,
    };
    let validity = entry.content.validity_on(app.clock.today());
    Ok(Json(EntryResponse {
        entry,
        validity,
        expired: validity == Validity::Expired,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    expiring_within_days: Option<String>,
    review_due: Option<String>,
    not_reviewed_days: Option<String>,
}

/// An editors' list of published entries.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EntryListBody {
    entries: Vec<EntrySummary>,
}

/// Published entries expiring within N days (soonest first), or due for review: not approved or
/// confirmed for `not_reviewed_days` (default `HOTLINE_REVIEW_PERIOD_DAYS`, 180).
#[utoipa::path(
    get,
    path = "/api/v1/entries",
    tag = "editing",
    params(
        ("expiring_within_days" = Option<u32>, Query, description = "失效日期在今后 N 天内的条目", minimum = 0, maximum = 3650),
        ("review_due" = Option<bool>, Query, description = "true：长期未审核的条目"),
        ("not_reviewed_days" = Option<u32>, Query, description = "与 review_due 同用：多少天未审核", minimum = 0, maximum = 36500),
    ),
    responses(
        (status = 200, description = "条目列表", body = EntryListBody),
        (status = 400, description = "invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> AppResult<Json<EntryListBody>> {
    let params = super::query(params)?;
    let days = |name: &str, value: &str, max: u32| {
        value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= max)
            .ok_or_else(|| {
                AppError::new(
                    Code::InvalidParameter,
                    format!("{name} 应为 0 到 {max} 的整数天数，收到 {value:?}"),
                )
            })
    };
    let desk = app.knowledge();
    let which = match (
        params.expiring_within_days.as_deref(),
        flag("review_due", params.review_due.as_deref())?,
    ) {
        (Some(n), None | Some(false)) => {
            EntryList::ExpiringWithin(days("expiring_within_days", n, 3650)?)
        }
        (None, Some(true)) => EntryList::NotReviewedFor(match params.not_reviewed_days.as_deref() {
            Some(n) => days("not_reviewed_days", n, 36500)?,
            None => desk.review_period_days(),
        }),
        _ => {
            return Err(AppError::new(
                Code::InvalidParameter,
                "请给出一个列表条件：expiring_within_days=30（即将失效）或 review_due=true（长期未审核）",
            ))
        }
    };
    let entries = desk.list(&caller, which).await?;
    Ok(Json(EntryListBody { entries }))
}
