//! Turns [`AppError`] into `{"error":{"code","message"}}` with the right status; also the
//! JSON answers for unknown routes, wrong methods and panics.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{ErrorBody, ErrorDetail};
use crate::error::{AppError, Code, ErrorKind};

fn status(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The JSON error body with the given status.
pub fn error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    details: &[String],
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message: message.to_string(),
            details: details.to_vec(),
        },
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = status(self.kind());
        if status.is_server_error() {
            // Details stay in the log; the client gets a generic message and the code.
            tracing::error!(code = self.code.as_str(), message = %self.message, "request failed");
            let message = match self.kind() {
                ErrorKind::Unavailable => "服务暂时不可用，请稍后重试",
                _ => "服务器内部错误，请联系管理员并提供 x-request-id",
            };
            return error_response(status, self.code.as_str(), message, &[]);
        }
        error_response(status, self.code.as_str(), &self.message, &self.details)
    }
}

pub async fn not_found() -> Response {
    AppError::new(
        Code::NotFound,
        "没有这个接口，请核对路径（接口都在 /api/v1 下）",
    )
    .into_response()
}

pub async fn method_not_allowed() -> Response {
    AppError::new(Code::MethodNotAllowed, "该接口不支持这个请求方法").into_response()
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::internal("handler panicked").into_response()
}
