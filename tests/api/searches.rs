//! The search log over HTTP: queries masked for roles that may not see callers' personal data,
//! unmasked reads audited, agents limited to their own searches, clerks refused, pages, 404s,
//! and no personal data in the service's logs.

use hotline::domain::access::Role;
use serde_json::Value;

use crate::helpers::{
    assert_error, client_with_token, json_ok, spawn_app, standard_fixture, Engine, Knowledge,
    ServeProcess, Setup, TestApp,
};

/// What a caller says on the phone: a name, a mobile number and an ID number.
const TRANSCRIPT: &str = "我叫张三，电话13812341234，身份证110105199001011234，租房能提取公积金吗";
const MASKED: &str = "我叫张*，电话138****1234，身份证110****1234，租房能提取公积金吗";

/// Runs a search as `client` and returns its id.
async fn search_as(app: &TestApp, client: &reqwest::Client, q: &str) -> String {
    let response = client
        .get(app.url("/api/v1/search"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    json_ok(response).await["search_id"]
        .as_str()
        .expect("search_id")
        .to_string()
}

async fn get_json(app: &TestApp, client: &reqwest::Client, path: &str) -> Value {
    json_ok(client.get(app.url(path)).send().await.unwrap()).await
}

async fn audit_lines(app: &TestApp) -> Vec<Value> {
    let admin = client_with_token(&app.admin_token());
    let page = get_json(app, &admin, "/api/v1/audit?limit=200").await;
    page["records"].as_array().expect("records").clone()
}

both_engines! {
    async fn queries_are_masked_for_agents_and_editors_and_whole_for_supervisors_with_an_audit_line(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let id = search_as(&app, &app.client, TRANSCRIPT).await;
        let plain = search_as(&app, &app.client, "公积金 租房").await;

        // The agent reads its own search masked; the editor too. Neither is audited.
        for client in [app.client.clone(), app.client_as(Role::Editor, None).await] {
            let record = get_json(&app, &client, &format!("/api/v1/searches/{id}")).await;
            assert_eq!(record["query"], MASKED, "{record}");
            assert_eq!(record["query_masked"], true);
            let listed = get_json(&app, &client, "/api/v1/searches").await;
            let queries: Vec<&str> = listed["searches"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["query"].as_str().unwrap())
                .collect();
            assert!(queries.contains(&MASKED), "{listed}");
            assert!(!listed.to_string().contains("13812341234"), "{listed}");
        }
        assert!(audit_lines(&app).await.is_empty());

        // The supervisor reads it whole, and that read is in the audit log.
        let supervisor_token = crate::helpers::create_token(&app.app, Role::Supervisor, None).await;
        let supervisor = client_with_token(&supervisor_token);
        let record = get_json(&app, &supervisor, &format!("/api/v1/searches/{id}")).await;
        assert_eq!(record["query"], TRANSCRIPT);
        assert_eq!(record["query_masked"], false);
        assert!(record["no_answer"].is_boolean() && record["params"].is_object(), "{record}");
        assert!(record["token_name"].as_str().unwrap().starts_with("agent-"), "{record}");
        let lines = audit_lines(&app).await;
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["action"], "read_search");
        assert_eq!(lines[0]["subject"], id.as_str());
        assert!(lines[0]["token_name"].as_str().unwrap().starts_with("supervisor-"));

        // A query without personal data is not audited; a listing audits each record with it.
        let record = get_json(&app, &supervisor, &format!("/api/v1/searches/{plain}")).await;
        assert_eq!(record["query"], "公积金 租房");
        assert_eq!(audit_lines(&app).await.len(), 1);
        let listed = get_json(&app, &supervisor, "/api/v1/searches").await;
        assert_eq!(listed["total"], 2);
        let lines = audit_lines(&app).await;
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines.iter().all(|l| l["subject"] == id.as_str()));
        // The audit log holds no personal data itself.
        assert!(!serde_json::to_string(&lines).unwrap().contains("1381234"));
    }
}

both_engines! {
    async fn agents_see_only_their_own_searches(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let other = app.client_as(Role::Agent, None).await;
        let mine = search_as(&app, &app.client, "社保卡丢了").await;
        let theirs = search_as(&app, &other, "消费券怎么领").await;

        let listed = get_json(&app, &app.client, "/api/v1/searches").await;
        assert_eq!(listed["total"], 1, "{listed}");
        assert_eq!(listed["searches"][0]["id"], mine.as_str());
        let response = app.get(&format!("/api/v1/searches/{theirs}")).await;
        assert_error(response, 404, "search_not_found").await;

        let dispatcher = app.client_as(Role::Dispatcher, None).await;
        let listed = get_json(&app, &dispatcher, "/api/v1/searches").await;
        assert_eq!(listed["total"], 2, "{listed}");
        let record = get_json(&app, &dispatcher, &format!("/api/v1/searches/{theirs}")).await;
        assert_eq!(record["query"], "消费券怎么领");
    }
}

#[tokio::test]
async fn department_clerks_may_not_read_the_search_log_and_only_supervisors_the_audit_log() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let id = search_as(&app, &app.client, "公积金").await;
    let clerk = app.client_as(Role::Department, Some("GJJZX")).await;

    for path in [
        "/api/v1/searches".to_string(),
        format!("/api/v1/searches/{id}"),
        "/api/v1/audit".to_string(),
    ] {
        let response = clerk.get(app.url(&path)).send().await.unwrap();
        assert_error(response, 403, "forbidden").await;
    }
    for role in [Role::Agent, Role::Dispatcher, Role::Editor, Role::Reviewer] {
        let client = app.client_as(role, None).await;
        let response = client.get(app.url("/api/v1/audit")).send().await.unwrap();
        assert_error(response, 403, "forbidden").await;
    }
    let supervisor = app.client_as(Role::Supervisor, None).await;
    let page = get_json(&app, &supervisor, "/api/v1/audit").await;
    assert_eq!(page["total"], 0);
    assert_eq!(page["limit"], 50);
}

both_engines! {
    async fn the_search_log_pages_newest_first_and_filters_no_answer(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let mut ids = Vec::new();
        for q in ["社保卡丢了", "租房提取公积金", "消费券", "火星移民签证怎么办理", "公积金"] {
            ids.push(search_as(&app, &app.client, q).await);
        }
        ids.reverse();
        let editor = app.client_as(Role::Editor, None).await;

        let first = get_json(&app, &editor, "/api/v1/searches?limit=2").await;
        assert_eq!((first["total"].as_u64(), first["limit"].as_u64(), first["offset"].as_u64()), (Some(5), Some(2), Some(0)));
        let second = get_json(&app, &editor, "/api/v1/searches?limit=2&offset=2").await;
        let last = get_json(&app, &editor, "/api/v1/searches?limit=2&offset=4").await;
        let paged: Vec<String> = [&first, &second, &last]
            .iter()
            .flat_map(|page| page["searches"].as_array().unwrap().clone())
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(paged, ids, "newest first, each once");
        let beyond = get_json(&app, &editor, "/api/v1/searches?offset=18446744073709551615").await;
        assert_eq!(beyond["searches"].as_array().unwrap().len(), 0);
        assert_eq!(beyond["total"], 5);

        let unanswered = get_json(&app, &editor, "/api/v1/searches?no_answer=true").await;
        let answered = get_json(&app, &editor, "/api/v1/searches?no_answer=false").await;
        let count = |page: &Value| page["total"].as_u64().unwrap();
        assert_eq!(count(&unanswered) + count(&answered), 5);
        for record in unanswered["searches"].as_array().unwrap() {
            assert_eq!(record["no_answer"], true, "{record}");
        }
        for record in answered["searches"].as_array().unwrap() {
            assert_eq!(record["no_answer"], false, "{record}");
        }

        for path in ["/api/v1/searches?limit=0", "/api/v1/searches?limit=201", "/api/v1/audit?limit=x"] {
            let response = editor.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 400, "{path}");
        }
        let response = editor.get(app.url("/api/v1/searches?no_answer=maybe")).send().await.unwrap();
        assert_error(response, 400, "invalid_parameter").await;
        let response = editor.get(app.url("/api/v1/searches?offset=-1")).send().await.unwrap();
        assert_error(response, 400, "invalid_parameter").await;
    }
}

#[tokio::test]
async fn unknown_search_ids_are_404() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let admin = client_with_token(&app.admin_token());
    for id in [
        "019ab3c0-5b1e-7c52-9a7e-2f0c7c1d2e11",
        "nope",
        "%E5%BC%A0%E4%B8%89",
        "'%20OR%201=1",
    ] {
        let response = admin
            .get(app.url(&format!("/api/v1/searches/{id}")))
            .send()
            .await
            .unwrap();
        assert_error(response, 404, "search_not_found").await;
    }
}

#[tokio::test]
async fn the_command_line_search_is_logged_without_a_token() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    app.setup.hotline_ok(["search", "公积金 租房"]);
    let admin = client_with_token(&app.admin_token());
    let listed = get_json(&app, &admin, "/api/v1/searches").await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert!(listed["searches"][0]["token_name"].is_null(), "{listed}");
}

/// The real `hotline serve` at debug level: searching with personal data, and reading it back
/// masked and unmasked, writes none of it to the log.
#[test]
fn personal_data_stays_out_of_the_service_log() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Fixture(standard_fixture()));
    let mut server = ServeProcess::start(&setup, "debug");
    let address = server.address.clone();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let admin_token = std::fs::read_to_string(setup.admin_token_file()).unwrap();
        let admin = client_with_token(admin_token.trim());
        let url = |path: &str| format!("{address}{path}");
        let agent = server.agent_client(&setup, "log-agent").await;
        let response = agent
            .get(url("/api/v1/search"))
            .query(&[("q", TRANSCRIPT)])
            .send()
            .await
            .unwrap();
        let id = json_ok(response).await["search_id"]
            .as_str()
            .unwrap()
            .to_string();
        for client in [&agent, &admin] {
            for path in [
                "/api/v1/searches".to_string(),
                format!("/api/v1/searches/{id}"),
            ] {
                json_ok(client.get(url(&path)).send().await.unwrap()).await;
            }
        }
        json_ok(admin.get(url("/api/v1/audit")).send().await.unwrap()).await;
    });
    let log = server.kill();
    assert!(
        log.contains("/api/v1/searches"),
        "requests are logged:\n{log}"
    );
    for secret in [
        "13812341234",
        "1381234",
        "110105199001011234",
        "张三",
        "%E5%BC%A0",
    ] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
}
