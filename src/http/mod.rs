//! The HTTP API (axum): routes, shared state and the JSON error format. Only this module
//! knows axum; handlers extract, call [`App`], and map the result to a response.

mod auth;
mod calendar;
mod departments;
mod dictionaries;
mod drafts;
mod entries;
mod error;
mod feedback;
mod gaps;
mod health;
mod metrics;
mod openapi;
mod revisions;
mod routing;
mod search;
mod searches;
mod spreadsheets;
mod stats;
mod tickets;
mod tokens;
mod transitions;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query};
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde::Deserialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::domain::page::Page;
use crate::error::{AppError, AppResult, Code};

pub use error::error_response;

/// Largest accepted request body.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

pub use metrics::Metrics;
pub use openapi::ApiDoc;

/// The error format of every failed request.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A stable `code` and a message saying what to fix.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// Further lines, such as every bad line of an import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// What handlers share: the application and the metrics. Dereferences to [`App`].
pub struct HttpState {
    pub app: Arc<App>,
    pub metrics: Metrics,
}

impl std::ops::Deref for HttpState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// State shared by all handlers.
pub type AppState = Arc<HttpState>;

/// The whole router on a fresh metrics registry.
pub fn router(app: Arc<App>) -> AppResult<Router> {
    Ok(router_with_state(Arc::new(HttpState {
        app,
        metrics: Metrics::new()?,
    })))
}

/// Just `GET /metrics`, without a token, for a separate metrics address.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics_open))
        .with_state(state)
}

fn router_with_state(app: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(health::router())
        .route(
            "/metrics",
            get(metrics::metrics_with_token).route_layer(middleware::from_fn_with_state(
                app.clone(),
                auth::require_token,
            )),
        )
        .nest(
            "/api/v1",
            Router::new()
                .merge(search::router())
                .merge(searches::router())
                .merge(feedback::router())
                .merge(gaps::router())
                .merge(entries::router())
                .merge(drafts::router())
                .merge(dictionaries::router())
                .merge(revisions::router())
                .merge(spreadsheets::router())
                .merge(departments::router())
                .merge(tokens::router())
                .merge(tickets::router())
                .merge(transitions::router())
                .merge(calendar::router())
                .merge(stats::router())
                .merge(routing::router())
                .merge(openapi::router())
                .route_layer(middleware::from_fn_with_state(
                    app.clone(),
                    auth::require_token,
                )),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), metrics::track))
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
    serve_with_metrics(listener, None, app, shutdown).await
}

/// Like [`serve`], with `GET /metrics` also served without a token on `metrics_listener`.
pub async fn serve_with_metrics(
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(HttpState {
        app,
        metrics: Metrics::new().map_err(|err| std::io::Error::other(err.message))?,
    });
    if let Some(metrics_listener) = metrics_listener {
        let metrics = metrics_router(state.clone());
        tokio::spawn(async move {
            if let Err(err) = axum::serve(metrics_listener, metrics).await {
                tracing::warn!(error = %err, "metrics listener stopped");
            }
        });
    }
    axum::serve(listener, router_with_state(state))
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
    let params = query(params)?;
    Page::parse(params.limit.as_deref(), params.offset.as_deref())
}

/// Query parameters, or a 400 `invalid_parameter` saying what could not be read.
pub fn query<T>(params: Result<Query<T>, QueryRejection>) -> AppResult<T> {
    params
        .map(|Query(params)| params)
        .map_err(|err| AppError::new(Code::InvalidParameter, format!("查询参数无法解析：{err}")))
}

/// A `true`/`false` (or `1`/`0`) query parameter; absent is `None`, anything else (an empty
/// value too) is refused, as the OpenAPI document says.
pub fn flag(name: &str, value: Option<&str>) -> AppResult<Option<bool>> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(other) => Err(AppError::new(
            Code::InvalidParameter,
            format!("{name} 应为 true 或 false，收到 {other:?}"),
        )),
    }
}

/// A JSON body, or a 400 naming what is wrong with it (unknown or ill-typed fields included).
pub fn body<T>(request: Result<Json<T>, JsonRejection>) -> AppResult<T> {
    request.map(|Json(value)| value).map_err(|rejection| {
        AppError::new(
            Code::InvalidBody,
            format!("请求体无效：{}", rejection.body_text()),
        )
    })
}

/// A revision number sent as a JSON number: a whole number of at least 1 (`3` or `3.0`).
pub fn whole_number(value: f64) -> AppResult<i64> {
    if value.fract() == 0.0 && (1.0..=i64::MAX as f64).contains(&value) {
        Ok(value as i64)
    } else {
        Err(AppError::new(
            Code::InvalidBody,
            format!("修订号应为正整数，收到 {value}"),
        ))
    }
}

/// How long shutdown waits for background work.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
