//! `GET /api/v1/entries/{id}`: one entry with status, revision and validity; 404 for unknown ids.

use crate::helpers::{assert_error, json_ok, spawn_app, standard_fixture, Engine, Knowledge};

both_engines! {
    async fn entry_is_returned_published_with_revision_and_validity(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Real).await;

        let body = json_ok(app.get("/api/v1/entries/GJJ-001").await).await;

        assert_eq!(body["id"], "GJJ-001");
        assert_eq!(body["title"], "购买新建商品住房如何提取住房公积金？");
        assert_eq!(body["status"], "published");
        assert_eq!(body["revision"], 1);
        assert_eq!(body["validity"], "current");
        assert_eq!(body["expired"], false);
        assert_eq!(body["department"], "GJJZX");
        assert_eq!(body["region"], "市级");
        assert_eq!(body["valid_from"], "2024-01-01");
        assert!(body["valid_to"].is_null());
        assert!(!body["questions"].as_array().unwrap().is_empty());
        assert!(!body["process"].as_array().unwrap().is_empty());
        assert!(!body["materials"].as_array().unwrap().is_empty());
        assert!(!body["keywords"].as_array().unwrap().is_empty());
        assert!(!body["created_at"].as_str().unwrap().is_empty());
        assert!(!body["updated_at"].as_str().unwrap().is_empty());
    }
}

both_engines! {
    async fn expired_and_upcoming_entries_say_so(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;

        let expired = json_ok(app.get("/api/v1/entries/FX-XF-001").await).await;
        let upcoming = json_ok(app.get("/api/v1/entries/FX-XF-002").await).await;

        assert_eq!(expired["validity"], "expired");
        assert_eq!(expired["expired"], true);
        assert_eq!(expired["status"], "published");
        assert_eq!(upcoming["validity"], "upcoming");
        assert_eq!(upcoming["expired"], false);
    }
}

both_engines! {
    async fn unknown_entry_is_404_with_code(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;

        let body = assert_error(app.get("/api/v1/entries/NO-SUCH-ENTRY").await, 404, "entry_not_found").await;

        assert!(body["error"]["message"].as_str().unwrap().contains("NO-SUCH-ENTRY"), "{body}");
    }
}

#[tokio::test]
async fn entry_ids_with_unusual_characters_are_404_not_errors() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;

    for id in ["%E4%B8%AD%E6%96%87", "x'%20OR%20'1'='1", "a.b-c_d"] {
        assert_error(
            app.get(&format!("/api/v1/entries/{id}")).await,
            404,
            "entry_not_found",
        )
        .await;
    }
}
