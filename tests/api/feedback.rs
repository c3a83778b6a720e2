//! Agents' feedback over HTTP: each kind and its errors, agents limited to their own searches,
//! a report opening a task for the entry's department and editors closing it, feedback kept
//! rather than overwritten, and tickets answered on the call counted as adoptions.

use hotline::domain::access::Role;
use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_ok, spawn_app, standard_fixture, Knowledge, TestApp};

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> reqwest::Response {
    client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("send the request")
}

async fn search_id(app: &TestApp, client: &Client, q: &str) -> String {
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

/// The body of a 201 answer.
async fn created(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 201);
    response.json().await.expect("a JSON body")
}

fn feedback_path(id: &str) -> String {
    format!("/api/v1/searches/{id}/feedback")
}

both_engines! {
    async fn feedback_kinds_are_recorded_and_bad_ones_refused_in_chinese(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let id = search_id(&app, &app.client, "社保卡丢了").await;
        let path = feedback_path(&id);

        let adopted = post(&app, &app.client, &path, json!({"kind": "adopted", "entry_id": "FX-SB-001"})).await;
        let adopted = created(adopted).await;
        assert_eq!(adopted["kind"], "adopted");
        assert_eq!(adopted["entry_id"], "FX-SB-001");
        assert!(adopted["task_id"].is_null());

        for kind in ["not_helpful", "no_answer"] {
            let response = post(&app, &app.client, &path, json!({"kind": kind, "comment": "来电人还问了别的"})).await;
            assert_eq!(response.status(), 201, "{kind}");
        }
        // Nothing is overwritten: every feedback on the search is kept.
        let kinds = app.app.db.feedback_kinds(&id).await.unwrap();
        assert_eq!(kinds, ["adopted", "not_helpful", "no_answer"]);

        let body = assert_error(post(&app, &app.client, &path, json!({"kind": "adopted"})).await, 400, "invalid_feedback").await;
        assert!(body["error"]["message"].as_str().unwrap().contains("entry_id"), "{body}");
        let body = assert_error(post(&app, &app.client, &path, json!({"kind": "adopted", "entry_id": "NOPE-1"})).await, 400, "unknown_entry").await;
        assert!(body["error"]["message"].as_str().unwrap().contains("NOPE-1"), "{body}");
        assert_error(post(&app, &app.client, &path, json!({"kind": "liked"})).await, 400, "invalid_feedback").await;
        assert_error(post(&app, &app.client, &path, json!({"kind": "report", "entry_id": "FX-SB-001"})).await, 400, "invalid_problem").await;
        assert_error(post(&app, &app.client, &path, json!({"kind": "report", "entry_id": "FX-SB-001", "problem": "太长"})).await, 400, "invalid_problem").await;
        assert_error(post(&app, &app.client, &path, json!({"kind": "no_answer", "extra": 1})).await, 400, "invalid_body").await;
        assert_error(post(&app, &app.client, &feedback_path("nope"), json!({"kind": "no_answer"})).await, 404, "search_not_found").await;

        // Another agent may not give feedback on this search; a supervisor may.
        let other = app.client_as(Role::Agent, None).await;
        assert_error(post(&app, &other, &path, json!({"kind": "no_answer"})).await, 404, "search_not_found").await;
        let supervisor = app.client_as(Role::Supervisor, None).await;
        assert_eq!(post(&app, &supervisor, &path, json!({"kind": "not_helpful"})).await.status(), 201);
        let clerk = app.client_as(Role::Department, Some("SBZX")).await;
        assert_error(post(&app, &clerk, &path, json!({"kind": "no_answer"})).await, 403, "forbidden").await;
    }
}

both_engines! {
    async fn a_report_opens_a_task_for_the_entry_department_that_editors_close(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let id = search_id(&app, &app.client, "社保卡丢了怎么补").await;
        let body = json!({"kind": "report", "entry_id": "FX-SB-001", "problem": "过期", "comment": "补办网点已搬迁，来电13812341234反映"});
        let receipt = created(post(&app, &app.client, &feedback_path(&id), body).await).await;
        assert_eq!(receipt["problem"], "过期");
        let task_id = receipt["task_id"].as_str().expect("task_id").to_string();
        // English aliases are accepted and stored in Chinese.
        let alias = json!({"kind": "report", "entry_id": "FX-GJJ-001", "problem": "incomplete"});
        let alias = created(post(&app, &app.client, &feedback_path(&id), alias).await).await;
        assert_eq!(alias["problem"], "不完整");

        let editor = app.client_as(Role::Editor, None).await;
        let list = json_ok(editor.get(app.url("/api/v1/tasks?status=open&department=SBZX")).send().await.unwrap()).await;
        assert_eq!(list["total"], 1, "{list}");
        let task = &list["tasks"][0];
        assert_eq!(task["id"], task_id.as_str());
        assert_eq!(task["kind"], "report");
        assert_eq!(task["department"], "SBZX");
        assert_eq!(task["entry_id"], "FX-SB-001");
        assert_eq!(task["search_id"], id.as_str());
        assert_eq!(task["comment"], "补办网点已搬迁，来电138****1234反映");
        let all = json_ok(editor.get(app.url("/api/v1/tasks")).send().await.unwrap()).await;
        assert_eq!(all["total"], 2);

        assert_error(app.client.get(app.url("/api/v1/tasks")).send().await.unwrap(), 403, "forbidden").await;
        assert_error(editor.get(app.url("/api/v1/tasks?status=closed")).send().await.unwrap(), 400, "invalid_status").await;

        let close = format!("/api/v1/tasks/{task_id}/close");
        assert_error(post(&app, &editor, &close, json!({"resolution": "fixed"})).await, 400, "invalid_resolution").await;
        let closed = json_ok(post(&app, &editor, &close, json!({"resolution": "done", "comment": "已更新网点地址"})).await).await;
        assert_eq!(closed["status"], "done");
        assert_eq!(closed["resolution_comment"], "已更新网点地址");
        assert!(closed["closed_by"].as_str().unwrap().starts_with("editor-"));
        assert_error(post(&app, &editor, &close, json!({"resolution": "dismissed"})).await, 409, "task_closed").await;
        assert_error(post(&app, &editor, "/api/v1/tasks/nope/close", json!({"resolution": "done"})).await, 404, "task_not_found").await;
        let open = json_ok(editor.get(app.url("/api/v1/tasks?status=open")).send().await.unwrap()).await;
        assert_eq!(open["total"], 1);
    }
}

both_engines! {
    async fn tickets_answered_on_the_call_count_as_adoptions(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let id = search_id(&app, &app.client, "租房提取公积金").await;
        let ticket = json!({
            "type": "咨询",
            "content": "咨询租房提取公积金，已按知识库答复",
            "resolution": "answered",
            "search_ids": [id],
            "entry_ids": ["FX-GJJ-001", "FX-SB-002"],
        });
        assert_eq!(post(&app, &app.client, "/api/v1/tickets", ticket).await.status(), 201);
        let adopted = json!({"kind": "adopted", "entry_id": "FX-GJJ-001"});
        assert_eq!(post(&app, &app.client, &feedback_path(&id), adopted).await.status(), 201);

        let counts = app.app.adoption_counts("").await.unwrap();
        assert_eq!(counts.get("FX-GJJ-001"), Some(&2), "{counts:?}");
        assert_eq!(counts.get("FX-SB-002"), Some(&1), "{counts:?}");
        assert_eq!(counts.get("FX-SB-001"), None);
    }
}
