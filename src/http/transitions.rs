//! `POST /api/v1/tickets/{id}/…`: the lifecycle transitions (dispatch, accept, reply, return,
//! reject-return, extension and its ruling, callback, merge, supervise, rectification), and
//! `GET /api/v1/tickets/{id}/similar`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::auth::Caller;
use super::AppState;
use crate::app::{SimilarTicket, TicketDetail};
use crate::domain::date::parse_date;
use crate::domain::ticket::{Action, Rating, RectificationStep};
use crate::error::{AppError, AppResult, Code};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets/{id}/dispatch", post(dispatch))
        .route("/tickets/{id}/accept", post(accept))
        .route("/tickets/{id}/reply", post(reply))
        .route("/tickets/{id}/return", post(return_ticket))
        .route("/tickets/{id}/reject-return", post(reject_return))
        .route("/tickets/{id}/extension", post(extension))
        .route("/tickets/{id}/extension/approve", post(approve_extension))
        .route("/tickets/{id}/extension/deny", post(deny_extension))
        .route("/tickets/{id}/callback", post(callback))
        .route("/tickets/{id}/merge", post(merge))
        .route("/tickets/{id}/supervise", post(supervise))
        .route("/tickets/{id}/rectification", post(rectification))
        .route(
            "/tickets/{id}/rectification/complex",
            post(rectification_complex),
        )
        .route("/tickets/{id}/similar", get(similar))
}

/// A JSON body; an empty body reads as `{}`. Unknown fields are refused.
pub(super) fn parse_body<T: DeserializeOwned>(bytes: &Bytes) -> AppResult<T> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes)
        .map_err(|err| AppError::new(Code::InvalidBody, format!("请求体无效：{err}")))
}

/// A rating sent as a JSON number: 1 to 5, whole (`4` or `4.0`).
fn rating(value: f64) -> AppResult<u8> {
    if value.fract() == 0.0 && (1.0..=5.0).contains(&value) {
        Ok(Rating::new(value as u8)?.value())
    } else {
        Rating::new(0).map(Rating::value)
    }
}

fn non_empty(field: &str, text: String) -> AppResult<String> {
    let text = text.trim().to_string();
    if text.is_empty() {
        Err(AppError::new(Code::FieldEmpty, format!("{field} 不能为空")))
    } else {
        Ok(text)
    }
}

/// `dispatch`: to a lead department (主办) and optional assisting ones (协办).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchBody {
    #[schema(min_length = 1, pattern = "\\S")]
    department: String,
    #[serde(default)]
    co_departments: Vec<String>,
    note: Option<String>,
}

/// An optional note.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    note: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    #[schema(min_length = 1, pattern = "\\S")]
    text: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// 退单理由，必填
    #[schema(min_length = 1, pattern = "\\S")]
    reason: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulingBody {
    /// 不同意退单的理由
    #[schema(min_length = 1, pattern = "\\S")]
    ruling: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    #[schema(min_length = 1, pattern = "\\S")]
    reason: String,
    /// 申请延至 YYYY-MM-DD（当天结束）
    #[schema(format = Date, example = "2026-10-20")]
    until: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackBody {
    /// 5 非常满意、4 满意、3 基本满意、2 不满意、1 非常不满意
    #[schema(value_type = u8, minimum = 1, maximum = 5)]
    rating: f64,
    comment: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// 并入的主工单 id 或编号
    #[schema(min_length = 1, pattern = "\\S")]
    into: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperviseBody {
    /// 督办意见
    #[schema(min_length = 1, pattern = "\\S")]
    note: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[schema(min_length = 1, pattern = "\\S")]
    reason: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationBody {
    /// 整改步骤：verified（核实情况）、contacted（联系来电人）、planned（制定方案）、rectified（整改完成）
    step: RectificationStep,
    #[schema(min_length = 1, pattern = "\\S")]
    note: String,
}

/// A transition handler: parse the body into an action (and an optional note), run it, and
/// answer with the ticket and its history.
macro_rules! transition {
    ($name:ident, $path:literal, $body:ty, $summary:literal, |$b:ident| $make:expr) => {
        #[utoipa::path(
            post,
            path = $path,
            tag = "tickets",
            summary = $summary,
            params(("id" = String, Path, description = "工单 id 或工单编号")),
            request_body = $body,
            responses(
                (status = 200, description = "变更后的工单及其历史", body = TicketDetail),
                (status = 400, description = "invalid_body、field_empty、invalid_rating、invalid_extension、invalid_merge、invalid_rectification_step、unknown_department", body = super::ErrorBody),
                (status = 401, description = "unauthorized", body = super::ErrorBody),
                (status = 403, description = "forbidden", body = super::ErrorBody),
                (status = 404, description = "ticket_not_found", body = super::ErrorBody),
                (status = 409, description = "ticket_state_conflict、extension_conflict、rectification_conflict、ticket_changed", body = super::ErrorBody),
            ),
            security(("bearer" = []))
        )]
        pub async fn $name(
            State(app): State<AppState>,
            Caller(caller): Caller,
            Path(id): Path<String>,
            bytes: Bytes,
        ) -> AppResult<Json<TicketDetail>> {
            let $b: $body = parse_body(&bytes)?;
            let (action, note): (Action, Option<String>) = $make;
            Ok(Json(
                app.tickets().transition(&caller, &id, action, note).await?,
            ))
        }
    };
}

transition!(
    dispatch,
    "/api/v1/tickets/{id}/dispatch",
    DispatchBody,
    "派单或改派（派单员）",
    |b| (
        Action::Dispatch {
            department: non_empty("department", b.department)?,
            co_departments: b.co_departments,
            note: b.note,
        },
        None
    )
);
transition!(
    accept,
    "/api/v1/tickets/{id}/accept",
    NoteBody,
    "签收（主办部门）",
    |b| (Action::Accept, b.note)
);
transition!(
    reply,
    "/api/v1/tickets/{id}/reply",
    ReplyBody,
    "答复（主办部门；协办部门为协办意见）",
    |b| (
        Action::Reply {
            text: non_empty("text", b.text)?
        },
        None
    )
);
transition!(
    return_ticket,
    "/api/v1/tickets/{id}/return",
    ReturnBody,
    "退单（主办部门，须写理由）",
    |b| (
        Action::Return {
            reason: non_empty("reason", b.reason)?
        },
        None
    )
);
transition!(
    reject_return,
    "/api/v1/tickets/{id}/reject-return",
    RulingBody,
    "不同意退单（派单员）",
    |b| (
        Action::RejectReturn {
            ruling: non_empty("ruling", b.ruling)?
        },
        None
    )
);
transition!(
    extension,
    "/api/v1/tickets/{id}/extension",
    ExtensionBody,
    "申请延期（主办部门）",
    |b| (
        Action::RequestExtension {
            reason: non_empty("reason", b.reason)?,
            until: parse_date(b.until.trim()).ok_or_else(|| {
                AppError::new(
                    Code::InvalidExtension,
                    format!("until 应为 YYYY-MM-DD 日期，收到 {:?}", b.until),
                )
            })?,
        },
        None
    )
);
transition!(
    approve_extension,
    "/api/v1/tickets/{id}/extension/approve",
    NoteBody,
    "批准延期（派单员）",
    |b| (Action::ApproveExtension, b.note)
);
transition!(
    deny_extension,
    "/api/v1/tickets/{id}/extension/deny",
    NoteBody,
    "不批准延期（派单员）",
    |b| (Action::DenyExtension { reason: b.note }, None)
);
transition!(
    callback,
    "/api/v1/tickets/{id}/callback",
    CallbackBody,
    "回访评价（派单员）",
    |b| (
        Action::Callback {
            rating: rating(b.rating)?,
            comment: b.comment,
        },
        None
    )
);
transition!(
    merge,
    "/api/v1/tickets/{id}/merge",
    MergeBody,
    "并单（派单员）",
    |b| (
        Action::Merge {
            into: non_empty("into", b.into)?
        },
        None
    )
);
transition!(
    supervise,
    "/api/v1/tickets/{id}/supervise",
    SuperviseBody,
    "督办（派单员、督办员）",
    |b| (
        Action::Supervise {
            note: non_empty("note", b.note)?
        },
        None
    )
);
transition!(
    rectification,
    "/api/v1/tickets/{id}/rectification",
    RectificationBody,
    "差评整改步骤（被差评的部门）",
    |b| (
        Action::Rectify {
            step: b.step,
            note: non_empty("note", b.note)?,
        },
        None
    )
);
transition!(
    rectification_complex,
    "/api/v1/tickets/{id}/rectification/complex",
    ReasonBody,
    "认定为复杂整改，适用较长时限（派单员、督办员）",
    |b| (
        Action::MarkComplex {
            reason: non_empty("reason", b.reason)?
        },
        None
    )
);

/// Possible repeats of a ticket.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SimilarTickets {
    /// Best first.
    similar: Vec<SimilarTicket>,
}

/// Open tickets of the last 30 days about the same matter (重复诉求), best first.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/similar",
    tag = "tickets",
    params(("id" = String, Path, description = "工单 id 或工单编号")),
    responses(
        (status = 200, description = "可能重复的工单", body = SimilarTickets),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
        (status = 404, description = "ticket_not_found", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn similar(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> AppResult<Json<SimilarTickets>> {
    Ok(Json(SimilarTickets {
        similar: app.tickets().similar(&caller, &id).await?,
    }))
}
