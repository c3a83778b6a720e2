//! Hot topics over HTTP at a fixed clock: searches and tickets counted by need and category in
//! the period and the one before, the rising needs, roles and bad periods.

use hotline::domain::access::Role;
use hotline::domain::clock::Clock;
use serde_json::{json, Value};
use time::macros::datetime;

use crate::helpers::{
    assert_error, json_ok, spawn_app_on, standard_fixture, Knowledge, Setup, TestApp,
};

async fn ticket(app: &TestApp, body: Value) {
    let response = app
        .client
        .post(app.url("/api/v1/tickets"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

fn need<'a>(list: &'a Value, title: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"] == title)
        .unwrap_or_else(|| panic!("no need {title} in {list}"))
}

both_engines! {
    async fn searches_and_tickets_make_the_hot_topics_of_a_week(engine: Engine) {
        let mut setup = Setup::new(&engine, Knowledge::Fixture(standard_fixture()));
        // 2026-11-28 10:00 China Standard Time: in the previous week.
        setup.clock = Clock::fixed(datetime!(2026-11-28 02:00 UTC));
        let app = spawn_app_on(setup).await;
        let first = app.search_ok(&[("q", "租房提取公积金")]).await;
        let top = first["hits"][0]["id"].as_str().unwrap().to_string();
        let title = first["hits"][0]["title"].as_str().unwrap().to_string();

        // This week (2026-12-01 .. 2026-12-07): four searches of the same need, two without
        // an answer, a call answered with an entry, a ticket for dispatch citing none.
        app.setup.clock.set(datetime!(2026-12-03 01:00 UTC));
        for _ in 0..4 {
            let again = app.search_ok(&[("q", "租房提取公积金")]).await;
            assert_eq!(again["hits"][0]["id"], top.as_str());
        }
        for q in ["火星移民签证怎么办理", "火星移民签证"] {
            let none = app.search_ok(&[("q", q)]).await;
            assert_eq!(none["no_answer"], true, "{none}");
        }
        ticket(&app, json!({"type": "咨询", "content": "社保卡丢了，已按知识库答复", "resolution": "answered", "entry_ids": ["FX-SB-001"]})).await;
        ticket(&app, json!({
            "caller_phone": "13812341234", "channel": "电话", "type": "投诉", "urgency": "一般",
            "content": "小区门口占道经营", "region": "东湖区", "resolution": "dispatch",
        })).await;
        // Outside both periods: not counted.
        app.setup.clock.set(datetime!(2026-12-08 01:00 UTC));
        app.search_ok(&[("q", "租房提取公积金")]).await;
        app.setup.clock.set(datetime!(2026-12-07 09:00 UTC));

        let supervisor = app.client_as(Role::Supervisor, None).await;
        let report = json_ok(supervisor.get(app.url("/api/v1/stats/hot-topics")).send().await.unwrap()).await;
        assert_eq!(report["from"], "2026-12-01");
        assert_eq!(report["to"], "2026-12-07");
        assert_eq!(report["previous"], json!({"from": "2026-11-24", "to": "2026-11-30"}));

        let rent = need(&report["needs"], &title);
        assert_eq!(rent["entry_id"], top.as_str());
        assert_eq!((rent["count"].as_u64(), rent["previous_count"].as_u64(), rent["change"].as_i64()), (Some(4), Some(1), Some(3)));
        assert_eq!(report["needs"][0]["title"], title.as_str(), "the most asked need comes first");
        let none = need(&report["needs"], "未找到答案");
        assert_eq!((none["count"].as_u64(), none["previous_count"].as_u64()), (Some(2), Some(0)));
        assert!(none.get("entry_id").is_none());
        let card = need(&report["needs"], "社会保障卡丢失如何补办？");
        assert_eq!((card["entry_id"].as_str(), card["category"].as_str(), card["count"].as_u64()), (Some("FX-SB-001"), Some("社会保险"), Some(1)));
        let uncited = need(&report["needs"], "未派单·投诉类工单（未引用知识）");
        assert_eq!(uncited["count"], 1);

        let categories = report["categories"].as_array().unwrap();
        let category = |name: &str| categories.iter().find(|c| c["category"] == name).unwrap_or_else(|| panic!("{name}: {categories:?}"));
        assert_eq!(category("未找到答案")["count"], 2);
        assert_eq!(category("社会保险")["count"], 1);

        let rising = report["rising"].as_array().unwrap();
        assert_eq!(rising[0]["title"], title.as_str(), "{rising:?}");
        assert_eq!(rising[0]["growth"], 4.0);
        assert_eq!(rising[1]["title"], "未找到答案");
        assert!(rising[1].get("growth").is_none(), "new needs have no ratio");
        assert_eq!(rising.len(), 2, "single calls are no trend: {rising:?}");

        // The previous week on its own, with a limit.
        let earlier = json_ok(supervisor.get(app.url("/api/v1/stats/hot-topics?from=2026-11-24&to=2026-11-30&limit=1")).send().await.unwrap()).await;
        assert_eq!(earlier["needs"].as_array().unwrap().len(), 1);
        assert_eq!(earlier["needs"][0]["count"], 1);
        assert_eq!(earlier["previous"]["to"], "2026-11-23");

        let editor = app.client_as(Role::Editor, None).await;
        json_ok(editor.get(app.url("/api/v1/stats/hot-topics")).send().await.unwrap()).await;
        assert_error(app.get("/api/v1/stats/hot-topics").await, 403, "forbidden").await;
        let reversed = supervisor.get(app.url("/api/v1/stats/hot-topics?from=2026-12-07&to=2026-12-01")).send().await.unwrap();
        assert_error(reversed, 400, "invalid_period").await;
        let bad_limit = supervisor.get(app.url("/api/v1/stats/hot-topics?limit=0")).send().await.unwrap();
        assert_error(bad_limit, 400, "invalid_limit").await;
    }
}
