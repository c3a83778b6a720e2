//! Access control: tokens from the CLI and the admin API, 401 for missing, bad and revoked
//! tokens, 403 for roles that may not act, and the first-start admin token.

use hotline::domain::access::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, client_with_token, json_ok, spawn_app, Engine, Knowledge};

const PROTECTED: [&str; 4] = [
    "/api/v1/search?q=%E7%A4%BE%E4%BF%9D",
    "/api/v1/entries/GJJ-001",
    "/api/v1/departments",
    "/api/v1/tokens",
];

#[tokio::test]
async fn every_api_endpoint_needs_a_token() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let anonymous = reqwest::Client::new();

    for path in PROTECTED {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_error(response, 401, "unauthorized").await;
    }
    let forged = client_with_token("hl_not-a-real-token");
    let response = forged.get(app.url(PROTECTED[0])).send().await.unwrap();
    assert_error(response, 401, "unauthorized").await;
    let basic = anonymous
        .get(app.url(PROTECTED[0]))
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    assert_error(basic, 401, "unauthorized").await;
}

#[tokio::test]
async fn probes_need_no_token() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let anonymous = reqwest::Client::new();

    for path in ["/healthz", "/readyz"] {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn roles_that_may_not_search_get_403() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let clerk = app.client_as(Role::Department, Some("GJJZX")).await;

    let response = clerk.get(app.url(PROTECTED[0])).send().await.unwrap();
    assert_error(response, 403, "forbidden").await;
    let response = clerk
        .get(app.url("/api/v1/departments"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn only_admins_manage_tokens() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    for role in [
        Role::Agent,
        Role::Dispatcher,
        Role::Editor,
        Role::Reviewer,
        Role::Supervisor,
    ] {
        let client = app.client_as(role, None).await;
        let response = client.get(app.url("/api/v1/tokens")).send().await.unwrap();
        assert_error(response, 403, "forbidden").await;
        let response = client
            .post(app.url("/api/v1/tokens"))
            .json(&json!({"role": "admin", "name": "escalated"}))
            .send()
            .await
            .unwrap();
        assert_error(response, 403, "forbidden").await;
    }
}

both_engines! {
    async fn admin_creates_lists_and_revokes_tokens_and_revocation_applies_at_once(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Real).await;
        let admin = client_with_token(&app.admin_token());

        let response = admin
            .post(app.url("/api/v1/tokens"))
            .json(&json!({"role": "editor", "name": "王编辑"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        assert_eq!(created["name"], "王编辑");
        assert_eq!(created["role"], "editor");
        let secret = created["token"].as_str().unwrap().to_string();

        let editor = client_with_token(&secret);
        let found = json_ok(editor.get(app.url(PROTECTED[0])).send().await.unwrap()).await;
        assert!(!found["hits"].as_array().unwrap().is_empty());

        let listed = json_ok(admin.get(app.url("/api/v1/tokens?limit=200")).send().await.unwrap()).await;
        let tokens = listed["tokens"].as_array().unwrap();
        assert!(tokens.iter().any(|t| t["name"] == "王编辑"), "{listed}");
        assert!(!listed.to_string().contains(&secret), "secrets are never listed");

        let response = admin
            .delete(app.url("/api/v1/tokens/王编辑"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let response = editor.get(app.url(PROTECTED[0])).send().await.unwrap();
        assert_error(response, 401, "unauthorized").await;
        let response = admin.delete(app.url("/api/v1/tokens/王编辑")).send().await.unwrap();
        assert_error(response, 404, "token_not_found").await;
    }
}

#[tokio::test]
async fn token_requests_are_validated() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let admin = client_with_token(&app.admin_token());
    let post = |body: Value| admin.post(app.url("/api/v1/tokens")).json(&body).send();

    let response = post(json!({"role": "agent", "name": "a1", "colour": "red"}))
        .await
        .unwrap();
    let body = assert_error(response, 400, "invalid_body").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{body}"
    );
    let response = post(json!({"role": "root", "name": "r1"})).await.unwrap();
    assert_error(response, 400, "invalid_role").await;
    let response = post(json!({"role": "department", "name": "d1"}))
        .await
        .unwrap();
    assert_error(response, 400, "department_required").await;
    let response = post(json!({"role": "department", "name": "d2", "department": "NOPE"}))
        .await
        .unwrap();
    assert_error(response, 400, "unknown_department").await;
    let response = post(json!({"role": "agent", "name": "admin"}))
        .await
        .unwrap();
    assert_error(response, 409, "token_exists").await;
    let response = admin
        .post(app.url("/api/v1/tokens"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "invalid_body").await;
}

#[tokio::test]
async fn first_start_writes_an_owner_only_admin_token_once() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let path = app.setup.admin_token_file();
    let token = app.admin_token();
    assert!(token.starts_with("hl_"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
    let admin = client_with_token(&token);
    let listed = json_ok(admin.get(app.url("/api/v1/tokens")).send().await.unwrap()).await;
    assert!(listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "admin" && t["role"] == "admin"));

    // A restart on the same database keeps the token and creates no other.
    let setup = app.stop().await;
    let app = crate::helpers::spawn_app_on(setup).await;
    assert_eq!(app.admin_token(), token);
    let response = client_with_token(&token)
        .get(app.url("/api/v1/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn cli_tokens_work_over_http_and_revocation_applies() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let out = app
        .setup
        .hotline_ok(["token", "create", "--role", "agent", "--name", "李接话员"]);
    let secret = out.lines().last().unwrap().trim().to_string();
    assert!(secret.starts_with("hl_"), "{out}");
    let agent = client_with_token(&secret);
    let response = agent.get(app.url(PROTECTED[0])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let listed = app.setup.hotline_ok(["token", "list"]);
    assert!(
        listed.contains("李接话员") && !listed.contains(&secret),
        "{listed}"
    );
    app.setup.hotline_ok(["token", "revoke", "李接话员"]);
    let response = agent.get(app.url(PROTECTED[0])).send().await.unwrap();
    assert_error(response, 401, "unauthorized").await;

    let failed = app
        .setup
        .hotline(["token", "create", "--role", "department", "--name", "d"]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("department_required"));
}

#[tokio::test]
async fn list_endpoints_page() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let page = json_ok(app.get("/api/v1/departments?limit=5&offset=5").await).await;
    assert_eq!(page["departments"].as_array().unwrap().len(), 5);
    assert_eq!(page["limit"], 5);
    assert_eq!(page["offset"], 5);
    assert!(page["total"].as_u64().unwrap() >= 20);
    let response = app.get("/api/v1/departments?limit=1000").await;
    assert_error(response, 400, "invalid_limit").await;
}
