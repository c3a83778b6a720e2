//! `GET /metrics`: Prometheus text for supervisors and admins, counted per route template.

use hotline::domain::access::Role;
use reqwest::StatusCode;

use crate::helpers::{assert_error, spawn_app, Engine, Knowledge};

#[tokio::test]
async fn supervisors_read_request_search_and_index_metrics() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    app.search_ok(&[("q", "公积金 租房")]).await;
    app.search_ok(&[("q", "演唱会门票怎么退")]).await;
    let _ = app.get("/api/v1/entries/GJJ-001").await;

    let supervisor = app.client_as(Role::Supervisor, None).await;
    let response = supervisor.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();

    for family in [
        "hotline_http_requests_total",
        "hotline_http_request_duration_seconds_bucket",
        "hotline_search_duration_seconds_count",
        "hotline_searches_total 2",
        "hotline_searches_no_answer_total 1",
        "hotline_db_pool_connections",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    assert!(text.contains("route=\"/api/v1/entries/{id}\""), "{text}");
    assert!(!text.contains("GJJ-001"), "raw paths never become labels");
    let documents = text
        .lines()
        .find(|l| l.starts_with("hotline_index_documents "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(documents > 300, "{text}");
}

#[tokio::test]
async fn metrics_need_a_supervisor_or_admin_token() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let response = reqwest::Client::new()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "unauthorized").await;
    let response = app.get("/metrics").await;
    assert_error(response, 403, "forbidden").await;
}
