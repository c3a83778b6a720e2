//! The HTTP API (axum): routes, shared state and the JSON error format. Only this module
//! knows axum; handlers extract, call [`App`], and map the result to a response.

mod auth;
mod departments;
mod entries;
mod error;
mod health;
mod search;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query};
use axum::http::{HeaderName, Request};
use axum::{middleware, Json, Router};
use serde::Deserialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::domain::page::Page;
use crate::error::{AppError, AppResult};

pub use error::error_response;

/// Largest accepted request body.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// State shared by all handlers.
pub type AppState = Arc<App>;

/// The whole router.
pub fn router(app: Arc<App>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(health::router())
        .nest(
            "/api/v1",
            Router::new()
                .merge(search::router())
                .merge(entries::router())
                .merge(departments::router())
                .merge(tokens::router())
                .route_layer(middleware::from_fn_with_state(
                    app.clone(),
                    auth::require_token,
                )),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(app)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id,
                    caller = tracing::field::Empty,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Serves until `shutdown` resolves, letting in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// `limit` and `offset` of list endpoints, checked by hand for our own error messages.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    limit: Option<String>,
    offset: Option<String>,
}

/// The page a list request asks for.
pub fn page(params: Result<Query<PageParams>, QueryRejection>) -> AppResult<Page> {
    let Query(params) = params.map_err(|err| {
        AppError::bad_request("invalid_parameter", format!("查询参数无法解析：{err}"))
    })?;
    Page::parse(params.limit.as_deref(), params.offset.as_deref())
}

/// A JSON body, or a 400 naming what is wrong with it (unknown or ill-typed fields included).
pub fn body<T>(request: Result<Json<T>, JsonRejection>) -> AppResult<T> {
    request.map(|Json(value)| value).map_err(|rejection| {
        AppError::bad_request(
            "invalid_body",
            format!("请求体无效：{}", rejection.body_text()),
        )
    })
}

/// How long shutdown waits for background work.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
