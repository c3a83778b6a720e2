//! Probes: liveness (`/healthz`) and readiness (`/readyz`: database reachable, index open;
//! the semantic stage's state and progress are reported but never make it not ready).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "{\"status\":\"ok\"}")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: database reachable and index built.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "ready"),
        (status = 503, description = "not_ready"),
    )
)]
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = app.db.ping().await.is_ok();
    let documents = app.index.doc_count();
    let ready = database && app.index.stamp().is_some();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "database": if database { "ok" } else { "unreachable" },
        "index_documents": documents,
        "semantic": app.index.semantic.status(),
    });
    (status, Json(body))
}
