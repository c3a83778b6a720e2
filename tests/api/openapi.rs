//! The OpenAPI document stays true: every documented operation is called on the running
//! service, its status must be one the document lists, and a documented JSON body must carry
//! the schema's required fields.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, client_with_token, json_ok, spawn_app, Engine, Knowledge};

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[tokio::test]
async fn the_document_matches_the_running_service() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let admin = client_with_token(&app.admin_token());
    let doc = json_ok(app.get("/api/v1/openapi.json").await).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");

    let created = admin
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"role": "agent", "name": "openapi-walk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    let paths = doc["paths"].as_object().expect("paths");
    for expected in [
        "/api/v1/search",
        "/api/v1/entries/{id}",
        "/api/v1/departments",
        "/api/v1/tokens",
        "/api/v1/tokens/{name}",
        "/api/v1/searches",
        "/api/v1/searches/{id}",
        "/api/v1/audit",
        "/api/v1/openapi.json",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
    let mut called = 0;
    for (template, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let path = template
                .replace("{id}", "GJJ-001")
                .replace("{name}", "openapi-walk");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut request = admin.request(method.clone(), app.url(&path));
            let required_query = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true);
            for parameter in required_query {
                request = request.query(&[(parameter["name"].as_str().unwrap(), "公积金 租房")]);
            }
            if operation.get("requestBody").is_some() {
                request = request.json(&json!({"role": "editor", "name": "openapi-new"}));
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let documented = &operation["responses"][status.as_str()];
            assert!(
                !documented.is_null(),
                "{method} {path} answered {status}, which the document does not list"
            );
            let schema = &documented["content"]["application/json"]["schema"];
            if !schema.is_null() {
                let body: Value = response.json().await.unwrap();
                let schema = resolve(&doc, schema);
                for field in schema["required"].as_array().into_iter().flatten() {
                    let field = field.as_str().unwrap();
                    assert!(
                        body.get(field).is_some(),
                        "{method} {path}: `{field}` missing in {body}"
                    );
                }
            }
            called += 1;
        }
    }
    assert!(called >= 10, "only {called} operations walked");
}

#[tokio::test]
async fn the_document_needs_a_token() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let response = reqwest::Client::new()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "unauthorized").await;
}
