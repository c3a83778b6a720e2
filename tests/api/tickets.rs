//! Tickets over HTTP: calls recorded answered or for dispatch, the whole lifecycle with roles,
//! departments and states checked, deadlines on the working-day calendar at a fixed clock,
//! history kept, concurrent transitions, merging, poor ratings and the dissatisfied ledger.

use hotline::domain::access::Role;
use hotline::domain::clock::Clock;
use reqwest::Client;
use serde_json::{json, Value};
use time::macros::datetime;
use time::Duration;

use crate::helpers::{
    assert_error, json_ok, spawn_app_on, standard_fixture, Engine, Knowledge, Setup, TestApp,
};

/// 2026-09-30 10:00 in China Standard Time: the day before the National Day holidays.
fn before_national_day() -> Clock {
    Clock::fixed(datetime!(2026-09-30 02:00 UTC))
}

async fn spawn(engine: &Engine) -> TestApp {
    let mut setup = Setup::new(engine, Knowledge::Fixture(standard_fixture()));
    setup.clock = before_national_day();
    spawn_app_on(setup).await
}

struct Staff {
    agent: Client,
    dispatcher: Client,
    social_security: Client,
    housing_fund: Client,
}

async fn staff(app: &TestApp) -> Staff {
    Staff {
        agent: app.client.clone(),
        dispatcher: app.client_as(Role::Dispatcher, None).await,
        social_security: app.client_as(Role::Department, Some("SBZX")).await,
        housing_fund: app.client_as(Role::Department, Some("GJJZX")).await,
    }
}

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

fn consultation(content: &str) -> Value {
    json!({
        "caller_phone": "13812341234",
        "caller_name": "张三",
        "channel": "电话",
        "type": "咨询",
        "urgency": "一般",
        "content": content,
        "region": "东湖区",
        "resolution": "dispatch",
    })
}

/// Creates a ticket for dispatch and returns its id.
async fn new_ticket(app: &TestApp, staff: &Staff, content: &str) -> String {
    let response = post(app, &staff.agent, "/api/v1/tickets", consultation(content)).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

async fn act(app: &TestApp, client: &Client, id: &str, action: &str, body: Value) -> Value {
    json_ok(post(app, client, &format!("/api/v1/tickets/{id}/{action}"), body).await).await
}

fn history_kinds(ticket: &Value) -> Vec<String> {
    ticket["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

both_engines! {
    async fn a_ticket_runs_from_call_to_callback(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let id = new_ticket(&app, &staff, "社保卡丢了想补办，问要带什么").await;

        let ticket = get(&app, &staff.dispatcher, &format!("/api/v1/tickets/{id}")).await;
        assert_eq!(ticket["status"], "new");
        assert!(ticket["number"].as_str().unwrap().starts_with("20260930-"));
        assert_eq!(ticket["caller_phone"], "13812341234", "dispatchers see the caller");

        let dispatched = act(&app, &staff.dispatcher, &id, "dispatch", json!({"department": "SBZX", "note": "请按补卡流程答复"})).await;
        assert_eq!(dispatched["status"], "dispatched");
        assert_eq!(dispatched["department"], "SBZX");
        // 咨询 takes 3 working days; 10-01 to 10-07 are holidays, 10-10 is a make-up Saturday.
        assert_eq!(dispatched["deadline"]["due_date"], "2026-10-10");
        assert_eq!(dispatched["deadline"]["overdue"], false);

        act(&app, &staff.social_security, &id, "accept", json!({})).await;
        let replied = act(&app, &staff.social_security, &id, "reply", json!({"text": "已电话告知补卡所需材料"})).await;
        assert_eq!(replied["status"], "replied");
        assert_eq!(replied["reply"], "已电话告知补卡所需材料");
        assert!(replied["deadline"].is_null(), "no deadline runs once replied");

        let closed = act(&app, &staff.dispatcher, &id, "callback", json!({"rating": 5, "comment": "很满意"})).await;
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["rating"], 5);
        assert_eq!(
            history_kinds(&closed),
            ["created", "dispatched", "accepted", "replied", "closed"]
        );
        let last = &closed["history"][4];
        assert_eq!(last["from"], "replied");
        assert_eq!(last["to"], "closed");
        assert_eq!(last["role"], "dispatcher");

        let stats = get(&app, &staff.dispatcher, "/api/v1/stats/departments?from=2026-09-01&to=2026-09-30").await;
        assert_eq!(stats["line"]["calls"], 1);
        assert_eq!(stats["line"]["dispatched"], 1);
        let sbzx = &stats["departments"][0];
        assert_eq!(sbzx["department"], "SBZX");
        assert_eq!(sbzx["received"], 1);
        assert_eq!(sbzx["replied_on_time"], 1);
        assert_eq!(sbzx["satisfaction_rate"], 1.0);
        let csv = staff
            .dispatcher
            .get(app.url("/api/v1/stats/departments?from=2026-09-01&to=2026-09-30&format=csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.contains("部门,受理,已答复,按时答复"));
        assert!(csv.contains("SBZX,1,1,1,0"));
        assert_error(app.get("/api/v1/stats/departments").await, 403, "forbidden").await;
    }
}

both_engines! {
    async fn a_call_answered_from_the_knowledge_base_is_closed_on_the_call(engine: Engine) {
        let app = spawn(&engine).await;
        let search = app.search_ok(&[("q", "租房提取公积金")]).await;
        let body = json!({
            "type": "咨询",
            "content": "咨询租房提取公积金，已按知识库答复",
            "resolution": "answered",
            "search_ids": [search["search_id"]],
            "entry_ids": ["FX-GJJ-001"],
        });
        let response = post(&app, &app.client, "/api/v1/tickets", body).await;
        assert_eq!(response.status(), 201);
        let ticket: Value = response.json().await.unwrap();
        assert_eq!(ticket["status"], "closed");
        assert_eq!(ticket["entry_ids"], json!(["FX-GJJ-001"]));
        assert!(ticket["closed_at"].is_string());
        assert_eq!(history_kinds(&ticket), ["answered_on_call"]);

        let unknown = json!({"type": "咨询", "content": "x", "resolution": "answered", "entry_ids": ["NOPE-1"]});
        assert_error(post(&app, &app.client, "/api/v1/tickets", unknown).await, 400, "unknown_entry").await;
    }
}

#[tokio::test]
async fn bad_tickets_are_refused_with_what_to_fix() {
    let app = spawn(&Engine::Sqlite).await;
    let cases = [
        (
            json!({"type": "咨询", "content": "  ", "resolution": "dispatch"}),
            "content_empty",
        ),
        (
            json!({"type": "闲聊", "content": "x", "resolution": "dispatch"}),
            "invalid_body",
        ),
        (
            json!({"type": "咨询", "content": "x", "resolution": "dispatch", "colour": 1}),
            "invalid_body",
        ),
        (
            json!({"type": "咨询", "content": "x", "resolution": "dispatch", "proposed_department": "NOPE"}),
            "unknown_department",
        ),
    ];
    for (body, code) in cases {
        assert_error(
            post(&app, &app.client, "/api/v1/tickets", body).await,
            400,
            code,
        )
        .await;
    }
    let department = app.client_as(Role::Department, Some("SBZX")).await;
    let response = post(&app, &department, "/api/v1/tickets", consultation("x")).await;
    assert_error(response, 403, "forbidden").await;
}

both_engines! {
    async fn an_illegal_transition_is_a_conflict_and_changes_nothing(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let id = new_ticket(&app, &staff, "问医保异地备案").await;
        let path = format!("/api/v1/tickets/{id}/accept");
        let body = assert_error(post(&app, &staff.social_security, &path, json!({})).await, 404, "ticket_not_found").await;
        assert!(body["error"]["message"].as_str().unwrap().contains(&id));

        act(&app, &staff.dispatcher, &id, "dispatch", json!({"department": "SBZX"})).await;
        // Another department neither sees nor handles it.
        assert_error(post(&app, &staff.housing_fund, &path, json!({})).await, 404, "ticket_not_found").await;
        // The agent may not accept for a department.
        assert_error(post(&app, &staff.agent, &path, json!({})).await, 403, "forbidden").await;
        // A callback before any reply is refused, naming the current state.
        let body = assert_error(
            post(&app, &staff.dispatcher, &format!("/api/v1/tickets/{id}/callback"), json!({"rating": 5})).await,
            409,
            "ticket_state_conflict",
        )
        .await;
        assert!(body["error"]["message"].as_str().unwrap().contains("dispatched"));
        let ticket = get(&app, &staff.dispatcher, &format!("/api/v1/tickets/{id}")).await;
        assert_eq!(ticket["status"], "dispatched");
        assert_eq!(history_kinds(&ticket), ["created", "dispatched"]);
    }
}

both_engines! {
    async fn a_wrongly_routed_ticket_is_returned_with_a_reason_and_redispatched(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let id = new_ticket(&app, &staff, "单位没给交社保").await;
        act(&app, &staff.dispatcher, &id, "dispatch", json!({"department": "GJJZX"})).await;
        let path = format!("/api/v1/tickets/{id}/return");
        assert_error(post(&app, &staff.housing_fund, &path, json!({"reason": "  "})).await, 400, "field_empty").await;
        assert_error(post(&app, &staff.housing_fund, &path, json!({})).await, 400, "invalid_body").await;
        let returned = act(&app, &staff.housing_fund, &id, "return", json!({"reason": "社保缴纳不属我中心职责"})).await;
        assert_eq!(returned["status"], "returned");
        assert_eq!(returned["returns"], 1);

        // The dispatcher disagrees first, then re-dispatches (改派): the deadline restarts.
        let ruled = act(&app, &staff.dispatcher, &id, "reject-return", json!({"ruling": "请先核实"})).await;
        assert_eq!(ruled["status"], "dispatched");
        assert_eq!(ruled["department"], "GJJZX");
        act(&app, &staff.housing_fund, &id, "return", json!({"reason": "已核实，应由社保中心办理"})).await;
        app.setup.clock.advance(Duration::days(8));
        let redispatched = act(&app, &staff.dispatcher, &id, "dispatch", json!({"department": "SBZX"})).await;
        assert_eq!(redispatched["department"], "SBZX");
        // Dispatched on 10-08 (a working day): 10-09, 10-10 (make-up Saturday), 10-12.
        assert_eq!(redispatched["deadline"]["due_date"], "2026-10-12");
        assert_eq!(
            history_kinds(&redispatched),
            ["created", "dispatched", "returned", "return_rejected", "returned", "dispatched"]
        );
    }
}

both_engines! {
    async fn a_poor_rating_redoes_the_ticket_and_opens_rectification(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let id = new_ticket(&app, &staff, "养老金到账时间问题").await;
        act(&app, &staff.dispatcher, &id, "dispatch", json!({"department": "SBZX"})).await;
        act(&app, &staff.social_security, &id, "accept", json!({})).await;
        act(&app, &staff.social_security, &id, "reply", json!({"text": "已答复"})).await;

        let redo = act(&app, &staff.dispatcher, &id, "callback", json!({"rating": 2, "comment": "没解决"})).await;
        assert_eq!(redo["status"], "dispatched");
        assert_eq!(redo["department"], "SBZX");
        assert_eq!(redo["round"], 2);
        assert_eq!(redo["poor_ratings"], 1);
        assert!(redo["deadline"]["due_date"].is_string(), "a new deadline runs");
        assert_eq!(redo["rectification"]["department"], "SBZX");
        assert!(redo["rectification_due_at"].is_string());

        let contacted = act(&app, &staff.social_security, &id, "rectification", json!({"step": "contacted", "note": "已回电致歉"})).await;
        assert_eq!(contacted["rectification"]["done"], json!(["contacted"]));

        let ledger = get(&app, &staff.dispatcher, "/api/v1/tickets?dissatisfied=true").await;
        let ids: Vec<&str> = ledger["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [id.as_str()]);

        // A second poor rating after the last allowed round goes back to the dispatchers.
        act(&app, &staff.social_security, &id, "accept", json!({})).await;
        act(&app, &staff.social_security, &id, "reply", json!({"text": "再次答复"})).await;
        let escalated = act(&app, &staff.dispatcher, &id, "callback", json!({"rating": 1})).await;
        assert_eq!(escalated["status"], "new");
        assert!(escalated["department"].is_null());
        assert_eq!(escalated["poor_ratings"], 2);
    }
}

both_engines! {
    async fn an_approved_extension_moves_the_deadline(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let id = new_ticket(&app, &staff, "办理退休手续").await;
        act(&app, &staff.dispatcher, &id, "dispatch", json!({"department": "SBZX"})).await;
        let path = format!("/api/v1/tickets/{id}/extension");
        assert_error(
            post(&app, &staff.social_security, &path, json!({"reason": "需调档案", "until": "2026-10-09"})).await,
            400,
            "invalid_extension",
        )
        .await;
        let asked = act(&app, &staff.social_security, &id, "extension", json!({"reason": "需调取档案", "until": "2026-10-20"})).await;
        assert_eq!(asked["extension_request"]["until"], "2026-10-20");
        assert_eq!(asked["deadline"]["due_date"], "2026-10-10", "unchanged until approved");
        let approved = act(&app, &staff.dispatcher, &id, "extension/approve", json!({})).await;
        assert_eq!(approved["deadline"]["due_date"], "2026-10-20");
        assert_eq!(approved["extensions"], 1);
        assert!(approved["extension_request"].is_null());
    }
}

both_engines! {
    async fn overdue_tickets_are_listed_and_warned(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let late = new_ticket(&app, &staff, "咨询灵活就业参保").await;
        let fresh = new_ticket(&app, &staff, "咨询公积金提取").await;
        act(&app, &staff.dispatcher, &late, "dispatch", json!({"department": "SBZX"})).await;
        app.setup.clock.set(datetime!(2026-10-12 02:00 UTC));
        act(&app, &staff.dispatcher, &fresh, "dispatch", json!({"department": "GJJZX"})).await;

        let overdue = get(&app, &staff.dispatcher, "/api/v1/tickets?overdue=true").await;
        let tickets = overdue["tickets"].as_array().unwrap();
        assert_eq!(tickets.len(), 1);
        assert_eq!(tickets[0]["id"], late.as_str());
        assert_eq!(tickets[0]["deadline"]["warning"], "overdue");
        assert_eq!(tickets[0]["deadline"]["remaining_working_days"], -1);
        assert_eq!(tickets[0]["caller_phone"], "138****1234", "lists mask personal data");

        // Each department lists only its own tickets, whatever it asks for.
        let own = get(&app, &staff.housing_fund, "/api/v1/tickets?department=SBZX").await;
        let own: Vec<&str> = own["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(own, [fresh.as_str()]);

        let warnings = get(&app, &staff.dispatcher, "/api/v1/tickets/warnings").await;
        assert_eq!(
            warnings["departments"],
            json!([{"department": "SBZX", "due_soon": 0, "overdue": 1, "awaiting_callback": 0}])
        );
        let own = get(&app, &staff.housing_fund, "/api/v1/tickets/warnings").await;
        assert_eq!(own["departments"], json!([]));

        let due_soon = get(&app, &staff.dispatcher, "/api/v1/tickets?due_before=2026-10-15").await;
        assert_eq!(due_soon["tickets"].as_array().unwrap().len(), 2);
        assert_error(app.get("/api/v1/tickets?limit=0").await, 400, "invalid_limit").await;
        assert_error(app.get("/api/v1/tickets?status=done").await, 400, "invalid_status").await;
    }
}

both_engines! {
    async fn of_two_concurrent_transitions_only_one_succeeds(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let id = new_ticket(&app, &staff, "燃气停了").await;
        let path = format!("/api/v1/tickets/{id}/dispatch");
        let a = post(&app, &staff.dispatcher, &path, json!({"department": "SBZX"}));
        let b = post(&app, &staff.dispatcher, &path, json!({"department": "GJJZX"}));
        let (a, b) = tokio::join!(a, b);
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let ticket = get(&app, &staff.dispatcher, &format!("/api/v1/tickets/{id}")).await;
        assert_eq!(history_kinds(&ticket), ["created", "dispatched"]);
    }
}

both_engines! {
    async fn ticket_numbers_are_unique_under_concurrency(engine: Engine) {
        // Calls recorded at once are written together: every one is numbered, without gaps,
        // and stored with its first event.
        let app = spawn(&engine).await;
        let calls = 48;
        let tasks: Vec<_> = (0..calls)
            .map(|i| {
                let request = app
                    .client
                    .post(app.url("/api/v1/tickets"))
                    .json(&consultation(&format!("第{i}个来电")));
                tokio::spawn(async move { request.send().await })
            })
            .collect();
        let mut numbers = Vec::new();
        let mut ids = Vec::new();
        for task in tasks {
            let response = task.await.unwrap().unwrap();
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            numbers.push(body["number"].as_str().unwrap().to_string());
            ids.push(body["id"].as_str().unwrap().to_string());
        }
        numbers.sort();
        let expected: Vec<String> = (1..=calls).map(|n| format!("20260930-{n:05}")).collect();
        assert_eq!(numbers, expected);
        for id in ids.iter().step_by(7) {
            let ticket = get(&app, &app.client, &format!("/api/v1/tickets/{id}")).await;
            assert_eq!(history_kinds(&ticket), ["created"]);
        }
    }
}

both_engines! {
    async fn a_merged_ticket_follows_its_master(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let master = new_ticket(&app, &staff, "幸福小区3号楼电梯坏了一周没人修").await;
        let repeat = new_ticket(&app, &staff, "幸福小区3号楼电梯坏了，物业一直不修").await;
        let other = new_ticket(&app, &staff, "咨询公积金贷款提前还款").await;

        let similar = get(&app, &staff.dispatcher, &format!("/api/v1/tickets/{repeat}/similar")).await;
        let found: Vec<&str> = similar["similar"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(found.first(), Some(&master.as_str()));
        assert!(!found.contains(&other.as_str()));

        act(&app, &staff.dispatcher, &master, "dispatch", json!({"department": "SBZX"})).await;
        let merged = act(&app, &staff.dispatcher, &repeat, "merge", json!({"into": master})).await;
        assert_eq!(merged["status"], "merged");
        assert_eq!(merged["merged_into"], master.as_str());

        act(&app, &staff.social_security, &master, "accept", json!({})).await;
        let replied = act(&app, &staff.social_security, &master, "reply", json!({"text": "已督促物业维修"})).await;
        assert_eq!(replied["merged"].as_array().unwrap().len(), 1);
        let follower = get(&app, &staff.dispatcher, &format!("/api/v1/tickets/{repeat}")).await;
        assert_eq!(follower["reply"], "已督促物业维修");
        assert_eq!(history_kinds(&follower).last().map(String::as_str), Some("master_replied"));
    }
}

#[tokio::test]
async fn the_calendar_answers_due_dates_in_working_days() {
    let app = spawn(&Engine::Sqlite).await;
    let due = json_ok(
        app.get("/api/v1/calendar/due?from=2026-09-30&working_days=3")
            .await,
    )
    .await;
    assert_eq!(due["due"], "2026-10-10");
    assert_eq!(due["calendar_covered"], true);
    let friday = json_ok(
        app.get("/api/v1/calendar/due?from=2026-11-06&working_days=1")
            .await,
    )
    .await;
    assert_eq!(friday["due"], "2026-11-09");
    assert_error(
        app.get("/api/v1/calendar/due?from=2026-13-01&working_days=3")
            .await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_error(
        app.get("/api/v1/calendar/due?from=2026-09-30&working_days=-1")
            .await,
        400,
        "invalid_parameter",
    )
    .await;
}

both_engines! {
    async fn an_assisting_department_sees_the_ticket_and_adds_its_opinion(engine: Engine) {
        let app = spawn(&engine).await;
        let staff = staff(&app).await;
        let id = new_ticket(&app, &staff, "退休后公积金和社保怎么一起办").await;
        act(&app, &staff.dispatcher, &id, "dispatch", json!({"department": "SBZX", "co_departments": ["GJJZX"]})).await;
        let listed = get(&app, &staff.housing_fund, "/api/v1/tickets").await;
        let ids: Vec<&str> = listed["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [id.as_str()]);
        let noted = act(&app, &staff.housing_fund, &id, "reply", json!({"text": "公积金提取部分由我中心答复"})).await;
        assert_eq!(noted["status"], "dispatched", "an assisting opinion changes no status");
        assert_eq!(history_kinds(&noted).last().map(String::as_str), Some("co_replied"));
        let path = format!("/api/v1/tickets/{id}/return");
        assert_error(post(&app, &staff.housing_fund, &path, json!({"reason": "不归我们"})).await, 403, "forbidden").await;
    }
}
