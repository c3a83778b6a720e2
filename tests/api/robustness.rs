//! Generated input over the whole router: whatever the method, path, query, headers and body,
//! the service answers with a status below 500 and, for errors, the JSON error format.

use axum::body::Body;
use axum::http::{Method, Request};
use proptest::prelude::*;
use tower::ServiceExt;

use crate::helpers::{create_token, standard_fixture, Setup};
use crate::helpers::{Engine, Knowledge};
use hotline::app::prepare_service;
use hotline::domain::access::Role;

const PATHS: [&str; 13] = [
    "/api/v1/search",
    "/api/v1/searches",
    "/api/v1/searches/",
    "/api/v1/audit",
    "/api/v1/entries/",
    "/api/v1/departments",
    "/api/v1/tokens",
    "/api/v1/tokens/",
    "/metrics",
    "/healthz",
    "/readyz",
    "/api/v1/",
    "/",
];
const QUERY_KEYS: [&str; 10] = [
    "no_answer",
    "q",
    "region",
    "department",
    "category",
    "limit",
    "offset",
    "include_expired",
    "name",
    "role",
];

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::DELETE),
        Just(Method::PUT),
        Just(Method::PATCH),
        Just(Method::HEAD),
        Just(Method::OPTIONS),
    ]
}

/// Text that mixes Chinese, ASCII, percent signs, control characters and emoji.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[公积金社保卡不办东湖区%&=?#/\\\\ \"'<>{}\\[\\]0-9a-z-]{0,30}",
        Just(String::new()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        "[\u{0}-\u{1f}]{1,5}",
    ]
}

fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[derive(Debug, Clone)]
struct Case {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    auth: u8,
    json: bool,
    body: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        method(),
        prop::sample::select(PATHS.to_vec()),
        text(),
        prop::collection::vec((prop::sample::select(QUERY_KEYS.to_vec()), text()), 0..5),
        0u8..4,
        any::<bool>(),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200),
            "\\PC{0,100}".prop_map(String::into_bytes),
            Just(br#"{"role":"agent","name":"x"}"#.to_vec()),
            Just(br#"{"role":"department","name":"y","department":"GJJZX","extra":1}"#.to_vec()),
            Just(br#"{"role":7,"name":null}"#.to_vec()),
        ],
    )
        .prop_map(|(method, path, tail, query, auth, json, body)| {
            let path = if path.ends_with('/') {
                format!("{path}{}", percent_encode(&tail))
            } else {
                path.to_string()
            };
            Case {
                method,
                path,
                query: query.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                auth,
                json,
                body,
            }
        })
}

#[test]
fn no_generated_request_gets_a_server_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Fixture(standard_fixture()));
    let (router, tokens) = runtime.block_on(async {
        let service = prepare_service(setup.config())
            .await
            .expect("prepare the service");
        let admin = std::fs::read_to_string(setup.admin_token_file())
            .unwrap()
            .trim()
            .to_string();
        let agent = create_token(&service.app, Role::Agent, None).await;
        let clerk = create_token(&service.app, Role::Department, Some("GJJZX")).await;
        (
            hotline::http::router(service.app.clone()).expect("router"),
            [admin, agent, clerk],
        )
    });

    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(case in case())| {
        let query: String = case
            .query
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let uri = if query.is_empty() { case.path.clone() } else { format!("{}?{query}", case.path) };
        let mut request = Request::builder().method(case.method.clone()).uri(&uri);
        if let Some(token) = tokens.get(usize::from(case.auth)) {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if case.json {
            request = request.header("content-type", "application/json");
        }
        let request = request.body(Body::from(case.body.clone())).unwrap();
        let response = runtime.block_on(router.clone().oneshot(request)).unwrap();
        let status = response.status();
        prop_assert!(status.as_u16() < 500, "{} {uri} -> {status}", case.method);
        if status.is_client_error() && case.method != Method::HEAD {
            let bytes = runtime
                .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(format!("{uri}: error body is not JSON ({e})")))?;
            prop_assert!(body["error"]["code"].is_string(), "{uri}: {body}");
        }
    });
}
