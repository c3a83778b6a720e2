//! Prometheus metrics: requests and latency per route, search latency and the no-answer rate,
//! documents in the index, database pool use. Served at `GET /metrics` (supervisor or admin
//! token), or without a token on a separate address (`HOTLINE_METRICS_BIND`).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use super::auth::Caller;
use super::AppState;
use crate::domain::access::Permission;
use crate::error::{AppError, AppResult};

const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5,
];

/// The service's metric families, registered once.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    search_seconds: Histogram,
    searches: IntCounter,
    no_answers: IntCounter,
    documents: IntGauge,
    pool: IntGaugeVec,
}

impl Metrics {
    /// Registers every family; fails only if the definitions below are inconsistent.
    pub fn new() -> AppResult<Metrics> {
        Metrics::build().map_err(|err| AppError::internal(format!("指标注册失败：{err}")))
    }

    fn build() -> prometheus::Result<Metrics> {
        let registry = Registry::new_custom(Some("hotline".into()), None)?;
        let buckets = || LATENCY_BUCKETS.to_vec();
        let metrics = Metrics {
            requests: IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests by route and status"),
                &["method", "route", "status"],
            )?,
            request_seconds: HistogramVec::new(
                HistogramOpts::new("http_request_duration_seconds", "HTTP request latency")
                    .buckets(buckets()),
                &["method", "route"],
            )?,
            search_seconds: Histogram::with_opts(
                HistogramOpts::new("search_duration_seconds", "Knowledge search latency")
                    .buckets(buckets()),
            )?,
            searches: IntCounter::new("searches_total", "Knowledge searches")?,
            no_answers: IntCounter::new(
                "searches_no_answer_total",
                "Knowledge searches that found no reliable answer",
            )?,
            documents: IntGauge::new("index_documents", "Searchable entries in the index")?,
            pool: IntGaugeVec::new(
                Opts::new("db_pool_connections", "Database pool connections by state"),
                &["state"],
            )?,
            registry,
        };
        metrics
            .registry
            .register(Box::new(metrics.requests.clone()))?;
        metrics
            .registry
            .register(Box::new(metrics.request_seconds.clone()))?;
        metrics
            .registry
            .register(Box::new(metrics.search_seconds.clone()))?;
        metrics
            .registry
            .register(Box::new(metrics.searches.clone()))?;
        metrics
            .registry
            .register(Box::new(metrics.no_answers.clone()))?;
        metrics
            .registry
            .register(Box::new(metrics.documents.clone()))?;
        metrics.registry.register(Box::new(metrics.pool.clone()))?;
        Ok(metrics)
    }

    /// Records one search.
    pub fn observe_search(&self, seconds: f64, no_answer: bool) {
        self.search_seconds.observe(seconds);
        self.searches.inc();
        if no_answer {
            self.no_answers.inc();
        }
    }

    fn render(&self, state: &AppState) -> AppResult<String> {
        self.documents
            .set(i64::try_from(state.index.doc_count()).unwrap_or(i64::MAX));
        let (size, idle) = state.db.pool_stats();
        self.pool.with_label_values(&["idle"]).set(i64::from(idle));
        self.pool
            .with_label_values(&["active"])
            .set(i64::from(size.saturating_sub(idle)));
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .map_err(|err| AppError::internal(format!("指标编码失败：{err}")))?;
        String::from_utf8(buffer).map_err(|err| AppError::internal(err.to_string()))
    }
}

/// Counts every request and its latency under its route template (never the raw path, so
/// entry ids and queries do not become label values).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .requests
        .with_label_values(&[&method, &route, response.status().as_str()])
        .inc();
    metrics
        .request_seconds
        .with_label_values(&[&method, &route])
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics` on the main address: supervisors and admins only.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus 文本格式", content_type = "text/plain"),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn metrics_with_token(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> AppResult<Response> {
    caller.require(Permission::ReadMetrics)?;
    exposition(&state)
}

/// `GET /metrics` on the separate metrics address, which has no token.
pub async fn metrics_open(State(state): State<AppState>) -> AppResult<Response> {
    exposition(&state)
}

fn exposition(state: &AppState) -> AppResult<Response> {
    let text = state.metrics.render(state)?;
    Ok(([(CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}
