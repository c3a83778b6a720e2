//! Liveness and readiness, the department list, and the JSON answers for unknown routes and wrong methods.

use crate::helpers::{assert_error, json_ok, spawn_app, Engine, Knowledge};

#[tokio::test]
async fn healthz_is_ok() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let body = json_ok(app.get("/healthz").await).await;

    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_database_and_index() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let body = json_ok(app.get("/readyz").await).await;

    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
    assert!(body["index_documents"].as_u64().unwrap() > 300, "{body}");
    // The harness runs with HOTLINE_SEMANTIC=off: lexical search only, still ready.
    assert_eq!(body["semantic"]["state"], "off", "{body}");
}

both_engines! {
    async fn departments_lists_every_department_of_the_knowledge_base(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Real).await;

        let body = json_ok(app.get("/api/v1/departments").await).await;

        let departments = body["departments"].as_array().expect("departments array");
        assert!(departments.len() >= 20, "{} departments", departments.len());
        assert_eq!(body["total"].as_u64(), Some(departments.len() as u64));
        let expected = std::fs::read_to_string(crate::helpers::real_knowledge_dir().join("departments.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        assert_eq!(departments.len(), expected);
        for department in departments {
            assert!(!department["code"].as_str().unwrap().is_empty(), "{department}");
            assert!(!department["name"].as_str().unwrap().is_empty(), "{department}");
            assert!(department["keywords"].is_array(), "{department}");
        }
        let fund = departments
            .iter()
            .find(|d| d["code"] == "GJJZX")
            .expect("the housing fund centre is listed");
        assert_eq!(fund["name"], "江州市住房公积金管理中心");
    }
}

#[tokio::test]
async fn unknown_route_is_404_json_not_found() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    for path in ["/api/v1/nothing-here", "/", "/api/v2/search?q=社保"] {
        assert_error(app.get(path).await, 404, "not_found").await;
    }
}

#[tokio::test]
async fn wrong_method_on_a_route_is_405_json() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    for path in [
        "/api/v1/search?q=社保",
        "/api/v1/departments",
        "/api/v1/entries/GJJ-001",
        "/healthz",
    ] {
        let response = app.client.post(app.url(path)).send().await.unwrap();
        assert_error(response, 405, "method_not_allowed").await;
    }
    let response = app
        .client
        .delete(app.url("/api/v1/entries/GJJ-001"))
        .send()
        .await
        .unwrap();
    assert_error(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let response = app.get("/healthz").await;
    let generated = response.headers().get("x-request-id").cloned();
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "call-42")
        .send()
        .await
        .unwrap();

    assert!(generated.is_some_and(|id| !id.is_empty()));
    assert_eq!(echoed.headers()["x-request-id"], "call-42");
}

both_engines! {
    async fn entry_vectors_are_stored_by_revision_and_model_and_read_back(engine: Engine) {
        let setup = crate::helpers::Setup::new(&engine, Knowledge::Real);
        let db = setup.db.connect().await;
        let vector = hotline::db::StoredVector {
            entry_id: "GJJ-001".into(),
            revision: 2,
            part: "head:query".into(),
            vector: vec![0.25, -0.5, 0.125],
        };
        db.save_entry_vectors("digest-a", std::slice::from_ref(&vector), "2026-01-01T00:00:00.000Z")
            .await
            .unwrap();
        // Saving again is harmless; another model's vectors are kept apart.
        db.save_entry_vectors("digest-a", std::slice::from_ref(&vector), "2026-01-02T00:00:00.000Z")
            .await
            .unwrap();
        assert_eq!(db.entry_vectors("digest-a").await.unwrap(), vec![vector]);
        assert!(db.entry_vectors("digest-b").await.unwrap().is_empty());
        db.close().await;
    }
}
