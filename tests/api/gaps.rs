//! Knowledge gaps over HTTP, grouped lexically (tests run without the model): paraphrases of
//! one unanswered need share a gap and another need gets its own, with counts; calls
//! dispatched with no entry count too; samples are masked for editors; a dismissed gap keeps
//! absorbing its need; a draft seed and resolution for the entry-draft flow.

use hotline::domain::access::{Identity, Role};
use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::{assert_error, json_ok, spawn_app, standard_fixture, Knowledge, TestApp};

const CATS: &str = "小区流浪猫太多了晚上一直叫";
const CATS_AGAIN: &str = "小区流浪猫太多了没人管";
const THROWN: &str = "楼上有人往下扔垃圾砸到车了，我电话13812341234";

async fn post(app: &TestApp, client: &Client, path: &str, body: Value) -> reqwest::Response {
    client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("send the request")
}

async fn get(app: &TestApp, client: &Client, path: &str) -> Value {
    json_ok(client.get(app.url(path)).send().await.unwrap()).await
}

/// Searches as the agent and marks the search as having no answer (or not helpful).
async fn unanswered(app: &TestApp, q: &str, kind: &str) {
    let response = app
        .client
        .get(app.url("/api/v1/search"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    let id = json_ok(response).await["search_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/searches/{id}/feedback");
    assert_eq!(
        post(app, &app.client, &path, json!({"kind": kind}))
            .await
            .status(),
        201
    );
}

fn texts(gap: &Value) -> Vec<String> {
    gap["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

both_engines! {
    async fn paraphrases_share_a_gap_and_other_needs_get_their_own(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        unanswered(&app, CATS, "no_answer").await;
        unanswered(&app, THROWN, "no_answer").await;
        unanswered(&app, CATS_AGAIN, "not_helpful").await;
        app.app.group_gaps().await.unwrap();

        let editor = app.client_as(Role::Editor, None).await;
        let list = get(&app, &editor, "/api/v1/gaps?status=open&sort=count").await;
        let gaps = list["gaps"].as_array().unwrap();
        assert_eq!(gaps.len(), 2, "{list}");
        let cats = &gaps[0];
        assert_eq!(cats["count"], 2, "{list}");
        assert_eq!(cats["days"], 1);
        let mut samples = texts(cats);
        samples.sort();
        let mut expected = [CATS, CATS_AGAIN];
        expected.sort();
        assert_eq!(samples, expected);
        assert!([CATS, CATS_AGAIN].contains(&cats["question"].as_str().unwrap()), "{cats}");
        let thrown = &gaps[1];
        assert_eq!(thrown["count"], 1);
        // Editors may not see callers' numbers; supervisors may.
        assert_eq!(thrown["question"], "楼上有人往下扔垃圾砸到车了，我电话138****1234");
        assert!(!list.to_string().contains("13812341234"));
        let id = thrown["id"].as_str().unwrap();
        let whole = get(&app, &app.client_as(Role::Supervisor, None).await, &format!("/api/v1/gaps/{id}")).await;
        assert_eq!(texts(&whole), [THROWN]);

        // A call dispatched with no entry used is one more observation of its need.
        let ticket = json!({"type": "咨询", "content": "小区流浪猫太多了天天晚上叫", "resolution": "dispatch", "proposed_department": "SBZX"});
        assert_eq!(post(&app, &app.client, "/api/v1/tickets", ticket).await.status(), 201);
        app.app.group_gaps().await.unwrap();
        let cats_id = cats["id"].as_str().unwrap();
        let cats = get(&app, &editor, &format!("/api/v1/gaps/{cats_id}")).await;
        assert_eq!(cats["count"], 3, "{cats}");
        assert_eq!(cats["department"], "SBZX", "{cats}");
        let recent = get(&app, &editor, "/api/v1/gaps?sort=recent&limit=1").await;
        assert_eq!(recent["gaps"][0]["id"], cats_id);

        assert_error(app.client.get(app.url("/api/v1/gaps")).send().await.unwrap(), 403, "forbidden").await;
        assert_error(editor.get(app.url("/api/v1/gaps?sort=size")).send().await.unwrap(), 400, "invalid_parameter").await;
        assert_error(editor.get(app.url("/api/v1/gaps?limit=0")).send().await.unwrap(), 400, "invalid_limit").await;
        assert_error(editor.get(app.url("/api/v1/gaps?status=gone")).send().await.unwrap(), 400, "invalid_status").await;
        assert_error(editor.get(app.url("/api/v1/gaps/nope")).send().await.unwrap(), 404, "gap_not_found").await;
    }
}

both_engines! {
    async fn a_dismissed_gap_absorbs_its_need_silently(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        unanswered(&app, CATS, "no_answer").await;
        app.app.group_gaps().await.unwrap();
        let editor = app.client_as(Role::Editor, None).await;
        let list = get(&app, &editor, "/api/v1/gaps").await;
        let id = list["gaps"][0]["id"].as_str().unwrap().to_string();
        let dismiss = format!("/api/v1/gaps/{id}/dismiss");

        assert_error(post(&app, &editor, &dismiss, json!({"reason": " "})).await, 400, "field_empty").await;
        let dismissed = json_ok(post(&app, &editor, &dismiss, json!({"reason": "物业管理事项，由街道处理"})).await).await;
        assert_eq!(dismissed["status"], "dismissed");
        assert_eq!(dismissed["dismiss_reason"], "物业管理事项，由街道处理");
        assert_error(post(&app, &editor, &dismiss, json!({"reason": "再来一次"})).await, 409, "gap_state_conflict").await;
        assert_error(post(&app, &editor, "/api/v1/gaps/nope/dismiss", json!({"reason": "x"})).await, 404, "gap_not_found").await;

        unanswered(&app, CATS_AGAIN, "no_answer").await;
        app.app.group_gaps().await.unwrap();
        let open = get(&app, &editor, "/api/v1/gaps").await;
        assert_eq!(open["gaps"], json!([]), "{open}");
        let gap = get(&app, &editor, &format!("/api/v1/gaps/{id}")).await;
        assert_eq!(gap["count"], 2, "{gap}");
        assert_eq!(gap["status"], "dismissed");
    }
}

both_engines! {
    async fn a_gap_seeds_a_draft_and_is_resolved_by_its_entry(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        unanswered(&app, CATS, "no_answer").await;
        unanswered(&app, CATS_AGAIN, "no_answer").await;
        unanswered(&app, CATS, "not_helpful").await;
        app.app.group_gaps().await.unwrap();
        let editor = Identity { name: "editor-1".into(), role: Role::Editor, department: None };
        let gaps = app.app.gaps(&editor, "open", hotline::app::GapSort::Count, 10).await.unwrap();
        assert_eq!(gaps.len(), 1);
        let gap = &gaps[0];
        assert_eq!(gap.count, 3);

        let seed = app.app.gap_draft_seed(&editor, &gap.id).await.unwrap();
        assert_eq!(seed.title, gap.question);
        let mut all: Vec<String> = seed.questions.iter().cloned().chain([seed.title.clone()]).collect();
        all.sort();
        let mut expected = [CATS, CATS_AGAIN];
        expected.sort();
        assert_eq!(all, expected, "distinct phrasings: {seed:?}");
        let agent = Identity { name: "agent-1".into(), role: Role::Agent, department: None };
        assert!(app.app.gap_draft_seed(&agent, &gap.id).await.is_err());

        app.app.resolve_gap(&gap.id, "FX-SB-001").await.unwrap();
        let resolved = app.app.gap(&editor, &gap.id).await.unwrap();
        assert_eq!(resolved.status, "resolved");
        assert_eq!(resolved.entry_id.as_deref(), Some("FX-SB-001"));
        let err = app.app.resolve_gap("nope", "FX-SB-001").await.unwrap_err();
        assert_eq!(err.code.as_str(), "gap_not_found");

        // A resolved gap no longer absorbs: the need coming back opens a new gap.
        unanswered(&app, CATS_AGAIN, "no_answer").await;
        app.app.group_gaps().await.unwrap();
        let open = app.app.gaps(&editor, "open", hotline::app::GapSort::Recent, 10).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_ne!(open[0].id, gap.id);
    }
}

both_engines! {
    async fn a_draft_written_for_a_gap_resolves_it_when_published(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        unanswered(&app, CATS, "no_answer").await;
        unanswered(&app, CATS_AGAIN, "no_answer").await;
        app.app.group_gaps().await.unwrap();
        let editor = app.client_as(Role::Editor, None).await;
        let reviewer = app.client_as(Role::Reviewer, None).await;
        let list = get(&app, &editor, "/api/v1/gaps").await;
        let gap_id = list["gaps"][0]["id"].as_str().unwrap().to_string();

        let started = post(&app, &editor, &format!("/api/v1/gaps/{gap_id}/draft"), json!({})).await;
        assert_eq!(started.status(), 201);
        let draft: Value = started.json().await.unwrap();
        let entry_id = draft["id"].as_str().unwrap().to_string();
        assert!([CATS, CATS_AGAIN].contains(&draft["title"].as_str().unwrap()), "{draft}");
        assert_eq!(draft["origin"], format!("gap:{gap_id}"));
        assert!(!draft["department"].as_str().unwrap().is_empty());
        // Asking again gives the same draft; it cannot go to review before it has an answer.
        let again = post(&app, &editor, &format!("/api/v1/gaps/{gap_id}/draft"), json!({})).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["id"], entry_id.as_str());
        let early = post(&app, &editor, &format!("/api/v1/entries/{entry_id}/submit"), json!({})).await;
        assert_error(early, 400, "invalid_entry").await;

        let mut edit = draft.clone();
        for field in ["revision", "base_revision", "published_revision", "state", "action", "author", "review_comment", "origin", "created_at", "updated_at", "similar_entries"] {
            edit.as_object_mut().unwrap().remove(field);
        }
        edit["title"] = json!("小区流浪猫太多怎么办？");
        edit["answer"] = json!("小区内流浪猫可联系属地街道与物业协调，动物救助组织可上门诱捕绝育。");
        edit["base_revision"] = draft["revision"].clone();
        let saved = client_put(&app, &editor, &format!("/api/v1/entries/{entry_id}"), edit).await;
        assert_eq!(saved.status(), 200);
        assert_eq!(post(&app, &editor, &format!("/api/v1/entries/{entry_id}/submit"), json!({})).await.status(), 200);
        assert_eq!(post(&app, &reviewer, &format!("/api/v1/entries/{entry_id}/approve"), json!({})).await.status(), 200);

        let gap = get(&app, &editor, &format!("/api/v1/gaps/{gap_id}")).await;
        assert_eq!(gap["status"], "resolved", "{gap}");
        let found = app.search_ok(&[("q", CATS)]).await;
        assert_eq!(found["hits"][0]["id"], entry_id.as_str(), "{found}");
    }
}

async fn client_put(app: &TestApp, client: &Client, path: &str, body: Value) -> reqwest::Response {
    client
        .put(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("send the request")
}
