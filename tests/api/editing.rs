//! Editing and review: drafts beside the published entry, the stale-edit rule, review steps,
//! publication and retirement visible in search at once, revisions, diff and restore.

use hotline::domain::access::Role;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, hit_ids, json_ok, spawn_app, standard_fixture, Engine, Knowledge, TestApp,
};

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.expect("send the request")
}

struct Staff {
    editor: reqwest::Client,
    reviewer: reqwest::Client,
}

async fn staff(app: &TestApp) -> Staff {
    Staff {
        editor: app.client_as(Role::Editor, None).await,
        reviewer: app.client_as(Role::Reviewer, None).await,
    }
}

fn rent_edit(base_revision: i64, answer: &str) -> Value {
    json!({
        "title": "租房如何提取住房公积金？",
        "questions": ["租房能提取公积金吗", "租房子怎么取公积金"],
        "answer": answer,
        "process": ["登录网上服务大厅", "提交申请"],
        "materials": ["本人身份证", "租赁合同"],
        "department": "GJJZX",
        "category": "住房公积金",
        "keywords": ["租房提取", "房租"],
        "valid_from": "2020-01-01",
        "base_revision": base_revision,
        "note": "租房提取额度调整"
    })
}

async fn approve(app: &TestApp, staff: &Staff, id: &str) -> Value {
    json_ok(
        send(
            staff
                .editor
                .post(app.url(&format!("/api/v1/entries/{id}/submit"))),
        )
        .await,
    )
    .await;
    json_ok(
        send(
            staff
                .reviewer
                .post(app.url(&format!("/api/v1/entries/{id}/approve"))),
        )
        .await,
    )
    .await
}

both_engines! {
    async fn an_edit_stays_a_draft_until_approved_then_is_searchable_at_once(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let staff = staff(&app).await;
        let url = app.url("/api/v1/entries/FX-GJJ-001");

        let saved = json_ok(send(staff.editor.put(&url).json(&rent_edit(1, "新答复：每年最多提取3万元。"))).await).await;
        assert_eq!(saved["revision"], 2);
        assert_eq!(saved["base_revision"], 1);
        assert_eq!(saved["published_revision"], 1);
        assert_eq!(saved["state"], "draft");

        // Agents still see revision 1 while the draft waits.
        let published = json_ok(app.get("/api/v1/entries/FX-GJJ-001").await).await;
        assert_eq!(published["revision"], 1);
        assert!(!published["answer"].as_str().unwrap().contains("3万元"));

        // A second editor working from revision 1 is refused, nothing overwritten.
        let other = app.client_as(Role::Editor, None).await;
        let stale = assert_error(send(other.put(&url).json(&rent_edit(1, "别的改法"))).await, 409, "revision_conflict").await;
        assert!(stale["error"]["message"].as_str().unwrap().contains("修订 2"), "{stale}");
        let draft = json_ok(send(staff.editor.get(app.url("/api/v1/entries/FX-GJJ-001/draft"))).await).await;
        assert!(draft["answer"].as_str().unwrap().contains("3万元"));

        let entry = approve(&app, &staff, "FX-GJJ-001").await;
        assert_eq!(entry["revision"], 2);
        assert_eq!(entry["status"], "published");
        let found = app.search_ok(&[("q", "租房提取公积金")]).await;
        assert_eq!(found["hits"][0]["id"], "FX-GJJ-001");
        assert!(found["hits"][0]["answer"].as_str().unwrap().contains("3万元"), "{found}");
        assert_eq!(found["hits"][0]["revision"], 2);
        assert_error(send(staff.editor.get(app.url("/api/v1/entries/FX-GJJ-001/draft"))).await, 404, "draft_not_found").await;
    }
}

both_engines! {
    async fn a_new_entry_is_reviewed_and_listed_in_revisions_and_diff(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let staff = staff(&app).await;
        let body = json!({
            "id": "FX-GJJ-100",
            "title": "公积金贷款能不能提前还款？",
            "questions": ["公积金贷款提前还清要预约吗"],
            "answer": "可以提前部分或全部还款，须提前在公积金中心预约。",
            "department": "GJJZX",
            "category": "住房公积金",
            "note": "热线多次问到"
        });
        let created = send(staff.editor.post(app.url("/api/v1/entries")).json(&body)).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["revision"], 1);
        assert!(created["published_revision"].is_null());
        assert_error(send(staff.editor.post(app.url("/api/v1/entries")).json(&body)).await, 409, "entry_exists").await;

        // Not in search, not readable as an entry, until approved.
        let before = app.search_ok(&[("q", "公积金贷款提前还款预约")]).await;
        assert!(!hit_ids(&before).contains(&"FX-GJJ-100".to_string()));
        assert_error(app.get("/api/v1/entries/FX-GJJ-100").await, 404, "entry_not_found").await;
        let unpublished = json_ok(send(staff.editor.get(app.url("/api/v1/entries/FX-GJJ-100"))).await).await;
        assert_eq!(unpublished["status"], "draft");

        // Reviewers send it back with a comment; the editor fixes and resubmits.
        send(staff.editor.post(app.url("/api/v1/entries/FX-GJJ-100/submit"))).await;
        let queue = json_ok(send(staff.reviewer.get(app.url("/api/v1/drafts?state=submitted"))).await).await;
        let queued: Vec<&str> = queue["drafts"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(queued, ["FX-GJJ-100"]);
        let all = json_ok(send(staff.reviewer.get(app.url("/api/v1/drafts"))).await).await;
        assert_eq!(all["drafts"].as_array().unwrap().len(), 1);
        assert_error(send(staff.reviewer.post(app.url("/api/v1/entries/FX-GJJ-100/reject")).json(&json!({"comment": " "}))).await, 400, "invalid_request").await;
        let rejected = json_ok(send(staff.reviewer.post(app.url("/api/v1/entries/FX-GJJ-100/reject")).json(&json!({"comment": "写明预约渠道"}))).await).await;
        assert_eq!(rejected["state"], "rejected");
        assert_eq!(rejected["review_comment"], "写明预约渠道");
        assert_error(send(staff.reviewer.post(app.url("/api/v1/entries/FX-GJJ-100/approve"))).await, 409, "draft_state_conflict").await;
        let mut fixed = body.clone();
        fixed["answer"] = json!("可以提前部分或全部还款，须提前通过江州公积金APP或窗口预约。");
        fixed["base_revision"] = json!(1);
        fixed["note"] = json!("补充预约渠道");
        json_ok(send(staff.editor.put(app.url("/api/v1/entries/FX-GJJ-100")).json(&fixed)).await).await;
        let entry = approve(&app, &staff, "FX-GJJ-100").await;
        assert_eq!(entry["revision"], 2);
        let after = app.search_ok(&[("q", "公积金贷款提前还款预约")]).await;
        assert_eq!(after["hits"][0]["id"], "FX-GJJ-100", "{after}");

        let history = json_ok(send(staff.reviewer.get(app.url("/api/v1/entries/FX-GJJ-100/revisions"))).await).await;
        let revisions = history["revisions"].as_array().unwrap();
        assert_eq!(revisions.len(), 2);
        assert_eq!(revisions[0]["status"], "unpublished");
        assert_eq!(revisions[1]["status"], "published");
        assert_eq!(revisions[1]["current"], true);
        assert_eq!(revisions[1]["note"], "补充预约渠道");
        assert!(revisions[1]["approved_by"].as_str().unwrap().starts_with("reviewer-"));
        let actions: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["saved", "submitted", "rejected", "saved", "submitted", "approved"]);

        let diff = json_ok(send(staff.editor.get(app.url("/api/v1/entries/FX-GJJ-100/diff?from=1&to=2"))).await).await;
        let fields: Vec<&str> = diff["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["answer"]);
        assert_error(send(staff.editor.get(app.url("/api/v1/entries/FX-GJJ-100/diff?from=1&to=9"))).await, 404, "revision_not_found").await;

        // Restoring revision 1 makes a new draft (revision 3) from its content.
        let restored = json_ok(send(staff.editor.post(app.url("/api/v1/entries/FX-GJJ-100/revisions/1/restore")).json(&json!({"base_revision": 2}))).await).await;
        assert_eq!(restored["revision"], 3);
        assert_eq!(restored["answer"], body["answer"]);
    }
}

#[tokio::test]
async fn retirement_takes_effect_on_approval_and_leaves_search() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let staff = staff(&app).await;

    let asked = json_ok(
        send(
            staff
                .editor
                .post(app.url("/api/v1/entries/FX-SB-001/retire"))
                .json(&json!({"reason": "业务已并入新条目"})),
        )
        .await,
    )
    .await;
    assert_eq!(asked["action"], "retire");
    assert_eq!(asked["state"], "submitted");
    assert!(hit_ids(&app.search_ok(&[("q", "社保卡丢了怎么办")]).await)
        .contains(&"FX-SB-001".to_string()));

    let retired = json_ok(
        send(
            staff
                .reviewer
                .post(app.url("/api/v1/entries/FX-SB-001/approve")),
        )
        .await,
    )
    .await;
    assert_eq!(retired["status"], "retired");
    assert!(!hit_ids(&app.search_ok(&[("q", "社保卡丢了怎么办")]).await)
        .contains(&"FX-SB-001".to_string()));
}

#[tokio::test]
async fn roles_authors_and_bad_bodies_are_refused_clearly() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let admin = crate::helpers::client_with_token(&app.admin_token());
    let url = app.url("/api/v1/entries/FX-GJJ-001");

    // Agents read, they do not edit.
    assert_error(
        send(app.client.put(&url).json(&rent_edit(1, "x"))).await,
        403,
        "forbidden",
    )
    .await;
    // The base revision is required, and the body must match the path.
    let mut no_base = rent_edit(1, "新答复");
    no_base.as_object_mut().unwrap().remove("base_revision");
    let err = assert_error(
        send(admin.put(&url).json(&no_base)).await,
        400,
        "invalid_entry",
    )
    .await;
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("base_revision"));
    let mut other_id = rent_edit(1, "新答复");
    other_id["id"] = json!("FX-GJJ-002");
    assert_error(
        send(admin.put(&url).json(&other_id)).await,
        400,
        "invalid_entry",
    )
    .await;
    let mut bad = rent_edit(1, "");
    bad["department"] = json!("NOPE");
    let err = assert_error(send(admin.put(&url).json(&bad)).await, 400, "invalid_entry").await;
    let details = err["error"]["details"].to_string();
    assert!(
        details.contains("answer") && details.contains("NOPE"),
        "{err}"
    );
    // Nobody approves their own draft.
    json_ok(send(admin.put(&url).json(&rent_edit(1, "管理员改的答复"))).await).await;
    json_ok(send(admin.post(app.url("/api/v1/entries/FX-GJJ-001/submit"))).await).await;
    assert_error(
        send(admin.post(app.url("/api/v1/entries/FX-GJJ-001/approve"))).await,
        403,
        "review_own_draft",
    )
    .await;
    // Asking to retire an entry with someone's draft open needs that draft's revision.
    assert_error(
        send(admin.post(app.url("/api/v1/entries/FX-GJJ-001/retire"))).await,
        409,
        "draft_state_conflict",
    )
    .await;
    let retire = json!({"reason": "并入新条目", "base_revision": 2});
    let asked = json_ok(
        send(
            admin
                .post(app.url("/api/v1/entries/FX-GJJ-001/retire"))
                .json(&retire),
        )
        .await,
    )
    .await;
    assert_eq!(asked["action"], "retire");
}

#[tokio::test]
async fn a_draft_shows_entries_that_already_answer_it() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let staff = staff(&app).await;

    let created = send(staff.editor.post(app.url("/api/v1/entries")).json(&json!({
        "title": "社会保障卡丢失如何补办？",
        "questions": ["社保卡掉了去哪补"],
        "answer": "到任一社保卡网点补办。",
        "department": "SBZX",
        "category": "社会保险"
    })))
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert!(
        created["id"].as_str().unwrap().starts_with("SBZX-"),
        "{created}"
    );
    let similar = created["similar_entries"].as_array().unwrap();
    assert_eq!(similar[0]["id"], "FX-SB-001", "{created}");
    assert_eq!(similar[0]["same_title"], true);
}

#[tokio::test]
async fn editors_list_entries_expiring_soon_and_due_for_review() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let staff = staff(&app).await;
    let mut soon = rent_edit(1, "本政策年底到期。");
    let today = app.app.clock.today();
    let last = today + time::Duration::days(20);
    soon["valid_to"] = json!(hotline::domain::date::format_date(last));
    json_ok(
        send(
            staff
                .editor
                .put(app.url("/api/v1/entries/FX-GJJ-001"))
                .json(&soon),
        )
        .await,
    )
    .await;
    approve(&app, &staff, "FX-GJJ-001").await;

    let expiring = json_ok(
        send(
            staff
                .editor
                .get(app.url("/api/v1/entries?expiring_within_days=30")),
        )
        .await,
    )
    .await;
    let ids: Vec<&str> = expiring["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["FX-GJJ-001"]);

    // With a review period of 0 days every published entry is due.
    let due = json_ok(
        send(
            staff
                .editor
                .get(app.url("/api/v1/entries?review_due=true&not_reviewed_days=0")),
        )
        .await,
    )
    .await;
    assert!(due["entries"].as_array().unwrap().len() >= 5, "{due}");
    assert_error(
        send(staff.editor.get(app.url("/api/v1/entries"))).await,
        400,
        "invalid_parameter",
    )
    .await;
}
