//! Search on a small fixture knowledge base: district ranking (parameter and named in the
//! question), expired and upcoming entries, and the department and category filters.

use crate::helpers::{hit_ids, spawn_app, standard_fixture, Engine, Knowledge};

const CITY: &str = "FX-GJJ-001";
const EAST: &str = "FX-GJJ-002";
const WEST: &str = "FX-GJJ-003";

both_engines! {
    async fn region_parameter_ranks_that_districts_entry_first(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;

        let east = app.search_ok(&[("q", "租房提取公积金"), ("region", "东湖区")]).await;
        let west = app.search_ok(&[("q", "租房提取公积金"), ("region", "西山区")]).await;

        assert_eq!(hit_ids(&east)[0], EAST, "{east}");
        assert_eq!(east["interpretation"]["region"], "东湖区");
        assert_eq!(hit_ids(&west)[0], WEST, "{west}");
        assert_eq!(west["interpretation"]["region"], "西山区");
        // The other versions are still offered, after the caller's own.
        for (body, others) in [(&east, [CITY, WEST]), (&west, [CITY, EAST])] {
            let ids = hit_ids(body);
            for other in others {
                assert!(ids.contains(&other.to_string()), "{other} missing from {ids:?}");
            }
        }
    }
}

#[tokio::test]
async fn district_named_in_the_question_ranks_that_districts_entry_first() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;

    let east = app
        .search_ok(&[("q", "我在东湖区租房，公积金怎么提取")])
        .await;
    let west = app.search_ok(&[("q", "西山区租房提取公积金")]).await;

    assert_eq!(hit_ids(&east)[0], EAST, "{east}");
    assert_eq!(east["interpretation"]["region"], "东湖区");
    assert_eq!(hit_ids(&west)[0], WEST, "{west}");
    assert_eq!(west["interpretation"]["region"], "西山区");
}

#[tokio::test]
async fn without_a_district_the_city_wide_entry_comes_first() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;

    let body = app.search_ok(&[("q", "租房提取公积金")]).await;

    assert_eq!(hit_ids(&body)[0], CITY, "{body}");
    assert!(body["interpretation"]["region"].is_null(), "{body}");
}

both_engines! {
    async fn expired_and_upcoming_entries_are_hidden_unless_asked_for(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;

        let default = app.search_ok(&[("q", "惠民消费券怎么领取")]).await;
        let explicit_false = app
            .search_ok(&[("q", "惠民消费券怎么领取"), ("include_expired", "false")])
            .await;
        let included = app
            .search_ok(&[("q", "惠民消费券怎么领取"), ("include_expired", "true")])
            .await;

        for body in [&default, &explicit_false] {
            let ids = hit_ids(body);
            assert!(!ids.contains(&"FX-XF-001".to_string()), "expired entry shown: {ids:?}");
            assert!(!ids.contains(&"FX-XF-002".to_string()), "upcoming entry shown: {ids:?}");
            assert!(body["hits"].as_array().unwrap().iter().all(|h| h["expired"] == false));
        }
        let hits = included["hits"].as_array().unwrap();
        let expired = hits.iter().find(|h| h["id"] == "FX-XF-001").expect("expired entry returned");
        assert_eq!(expired["expired"], true, "{expired}");
        assert_eq!(expired["validity"], "expired");
        assert_eq!(expired["valid_to"], "2000-12-31");
        let upcoming = hits.iter().find(|h| h["id"] == "FX-XF-002").expect("upcoming entry returned");
        assert_eq!(upcoming["expired"], false, "{upcoming}");
        assert_eq!(upcoming["validity"], "upcoming");
    }
}

both_engines! {
    async fn department_filter_restricts_hits_to_that_department(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;

        let unfiltered = app.search_ok(&[("q", "公积金")]).await;
        let social = app.search_ok(&[("q", "公积金"), ("department", "SBZX")]).await;
        let fund = app.search_ok(&[("q", "公积金"), ("department", "GJJZX")]).await;

        let departments = |body: &serde_json::Value| -> Vec<String> {
            body["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["department"].as_str().unwrap().to_string())
                .collect()
        };
        assert!(departments(&unfiltered).contains(&"SBZX".to_string()), "{unfiltered}");
        assert!(departments(&unfiltered).contains(&"GJJZX".to_string()), "{unfiltered}");
        assert_eq!(hit_ids(&social), vec!["FX-SB-002"], "{social}");
        assert!(!departments(&fund).is_empty());
        assert!(departments(&fund).iter().all(|d| d == "GJJZX"), "{fund}");
    }
}

#[tokio::test]
async fn category_filter_restricts_hits_to_that_category() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;

    let body = app
        .search_ok(&[("q", "公积金"), ("category", "社会保险")])
        .await;

    assert_eq!(hit_ids(&body), vec!["FX-SB-002"], "{body}");
}

#[tokio::test]
async fn department_filter_on_the_real_knowledge_base_keeps_only_that_department() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let body = app
        .search_ok(&[("q", "补办"), ("department", "SBZX"), ("limit", "50")])
        .await;

    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{body}");
    assert!(hits.iter().all(|h| h["department"] == "SBZX"), "{body}");
}

#[tokio::test]
async fn unknown_department_finds_nothing() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;

    let body = app
        .search_ok(&[("q", "公积金"), ("department", "NOPE")])
        .await;

    assert!(hit_ids(&body).is_empty(), "{body}");
    assert_eq!(body["no_answer"], true);
}
