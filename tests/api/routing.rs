//! Routing suggestions (智能派单) over HTTP and on the labelled call sets: the right
//! department first, knowledge entries and closed tickets as reasons, history imported from a
//! previous system with every bad line reported and nothing written.

use hotline::domain::access::Role;
use hotline::domain::routing::{builtin_kinds, Router};
use hotline::domain::Department;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, json_ok, real_knowledge_dir, spawn_app, standard_fixture, Engine, Knowledge,
    Setup,
};

async fn suggest(app: &crate::helpers::TestApp, text: &str) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/routing/suggest"))
        .json(&json!({ "text": text, "type": "咨询" }))
        .send()
        .await
        .unwrap();
    json_ok(response).await
}

fn first(body: &Value) -> &str {
    body["suggestions"][0]["department"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn calls_are_routed_to_the_department_that_owns_the_matter() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let body = suggest(&app, "我的社保卡丢了要去哪里补办").await;
    assert_eq!(first(&body), "SBZX", "{body}");
    let reason = body["suggestions"][0]["reason"].as_str().unwrap();
    assert!(!reason.is_empty());
    assert!(body["suggestions"][0]["name"]
        .as_str()
        .unwrap()
        .contains("社会保险"));
    let body = suggest(&app, "楼下饭店油烟太大熏得没法开窗").await;
    assert!(!body["suggestions"].as_array().unwrap().is_empty());

    let empty = app
        .client
        .post(app.url("/api/v1/routing/suggest"))
        .json(&json!({"text": "  "}))
        .send()
        .await
        .unwrap();
    assert_error(empty, 400, "field_empty").await;
    let clerk = app.client_as(Role::Department, Some("SBZX")).await;
    let refused = clerk
        .post(app.url("/api/v1/routing/suggest"))
        .json(&json!({"text": "社保卡"}))
        .send()
        .await
        .unwrap();
    assert_error(refused, 403, "forbidden").await;
}

#[tokio::test]
async fn a_ticket_for_dispatch_comes_with_routing_suggestions() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let response = app
        .client
        .post(app.url("/api/v1/tickets"))
        .json(&json!({"type": "咨询", "content": "租房子想把公积金取出来交房租", "resolution": "dispatch"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let ticket: Value = response.json().await.unwrap();
    assert_eq!(ticket["routing"][0]["department"], "GJJZX", "{ticket}");
}

/// Learning from a previous system's tickets: the CLI import, then suggestions that cite it.
#[tokio::test]
async fn imported_history_teaches_routing() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Fixture(standard_fixture()));
    setup.hotline_ok([
        "import",
        setup
            .knowledge_dir
            .join("departments.jsonl")
            .to_str()
            .unwrap(),
    ]);
    let bad = setup.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"content\":\"展会摊位费谁来管\",\"type\":\"咨询\",\"department\":\"SWJ\",\"created_at\":\"2025-05-01\"}\n\
         {\"content\":\"\",\"type\":\"咨询\",\"department\":\"NOPE\",\"created_at\":\"昨天\"}\n",
    )
    .unwrap();
    let output = setup.hotline(["import-tickets", bad.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("import_invalid"), "{stderr}");
    assert!(stderr.contains("bad.jsonl:2:"), "{stderr}");

    let history = setup.path().join("history.jsonl");
    let lines: String = (0..30)
        .map(|i| {
            format!(
                "{{\"content\":\"展会摊位费第{i}次咨询，展位收费标准\",\"type\":\"咨询\",\"department\":\"SWJ\",\"created_at\":\"2025-05-01\"}}\n"
            )
        })
        .collect();
    std::fs::write(&history, lines).unwrap();
    let out = setup.hotline_ok(["import-tickets", history.to_str().unwrap()]);
    assert!(out.contains("30"), "{out}");
    let again = setup.hotline_ok(["import-tickets", history.to_str().unwrap()]);
    assert!(again.contains("新增 0 条"), "{again}");

    let app = crate::helpers::spawn_app_on(setup).await;
    let body = suggest(&app, "展会的摊位收费标准是多少").await;
    assert_eq!(first(&body), "SWJ", "{body}");
    assert!(
        body["suggestions"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("工单"),
        "{body}"
    );
}

/// The labelled call sets: 江州 (the sample directory) and 云溪县 (a directory written
/// separately, with merged bureaus), no history. Floors a little under the measured figures.
#[test]
fn routing_quality_floors_on_both_call_sets() {
    let kinds = builtin_kinds();
    let sets = [
        (
            real_knowledge_dir().join("departments.jsonl"),
            real_knowledge_dir().join("eval/routing.jsonl"),
            0.90,
            0.97,
        ),
        (
            real_knowledge_dir().join("eval/routing_holdout/departments.jsonl"),
            real_knowledge_dir().join("eval/routing_holdout/calls.jsonl"),
            0.85,
            0.95,
        ),
    ];
    for (directory, calls, first_floor, top3_floor) in sets {
        let departments: Vec<Department> = std::fs::read_to_string(&directory)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let router = Router::builder(&departments, &kinds).build();
        let calls: Vec<Value> = std::fs::read_to_string(&calls)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let (mut first, mut top3) = (0, 0);
        for call in &calls {
            let want = call["department"].as_str().unwrap();
            let ranked = router.suggest(call["text"].as_str().unwrap(), call["type"].as_str(), &[]);
            let position = ranked.iter().position(|s| s.department == want);
            first += usize::from(position == Some(0));
            top3 += usize::from(position.is_some_and(|p| p < 3));
        }
        let n = calls.len() as f64;
        let (first, top3) = (first as f64 / n, top3 as f64 / n);
        eprintln!("{}: first {first:.3}, top-3 {top3:.3}", directory.display());
        assert!(
            first >= first_floor,
            "{}: first {first:.3}",
            directory.display()
        );
        assert!(
            top3 >= top3_floor,
            "{}: top-3 {top3:.3}",
            directory.display()
        );
    }
}

both_engines! {
    async fn lesson_vectors_are_stored_by_model_and_read_back(engine: Engine) {
        use hotline::domain::ticket::TicketType;
        use hotline::domain::ticket_record::HistoricTicket;
        let setup = Setup::new(&engine, Knowledge::Real);
        let db = setup.db.connect().await;
        let now = "2026-01-01T00:00:00.000Z";
        let tickets: Vec<HistoricTicket> = ["H1", "H2", "H3"]
            .iter()
            .map(|id| HistoricTicket {
                id: id.to_string(),
                content: format!("{id} 展会摊位费怎么收"),
                ticket_type: TicketType::Consultation,
                department: "SWJ".into(),
                created_at: "2025-05-01".into(),
            })
            .collect();
        db.insert_ticket_history(&tickets, "test", now).await.unwrap();
        assert_eq!(db.lesson_vector_coverage("digest-a").await.unwrap(), (3, 0));
        let pending = db.lessons_without_vectors("digest-a", 2).await.unwrap();
        assert_eq!(
            pending.iter().map(|(s, id, _)| (*s, id.as_str())).collect::<Vec<_>>(),
            vec![("history", "H1"), ("history", "H2")],
            "a page at a time, in id order"
        );
        let saved = vec![("history", "H2".to_string(), vec![0.25, -0.5, 0.125])];
        db.save_lesson_vectors("digest-a", &saved, now).await.unwrap();
        db.save_lesson_vectors("digest-a", &saved, now).await.unwrap();
        assert_eq!(db.lesson_vector_coverage("digest-a").await.unwrap(), (3, 1));
        assert_eq!(db.lesson_vector_coverage("digest-b").await.unwrap(), (3, 0));
        let left = db.lessons_without_vectors("digest-a", 10).await.unwrap();
        assert_eq!(left.len(), 2);
        let lessons = db.routing_lessons(Some("digest-a")).await.unwrap();
        assert_eq!(lessons.len(), 3);
        assert_eq!(lessons[1].vector, Some(vec![0.25, -0.5, 0.125]));
        assert_eq!(lessons[0].vector, None);
        assert!(db
            .routing_lessons(None)
            .await
            .unwrap()
            .iter()
            .all(|l| l.vector.is_none()));
        db.close().await;
    }
}
