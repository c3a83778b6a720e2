//! `GET /api/v1/search` on the sample knowledge base: the response shape, the search log,
//! request validation and the no-answer flag.

use serde_json::Value;

use crate::helpers::{assert_error, hit_ids, spawn_app, Engine, Knowledge};

both_engines! {
    async fn search_finds_the_housing_fund_rent_entry_first(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Real).await;

        let body = app.search_ok(&[("q", "公积金 租房")]).await;

        assert!(!body["search_id"].as_str().unwrap().is_empty());
        assert_eq!(body["no_answer"], false, "{body}");
        let confidence = body["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence), "confidence {confidence}");
        assert!(body["took_ms"].as_f64().unwrap() >= 0.0);
        let terms = body["interpretation"]["terms"].as_array().expect("interpretation.terms");
        assert!(!terms.is_empty(), "{body}");
        let hits = body["hits"].as_array().unwrap();
        assert!(!hits.is_empty() && hits.len() <= 10, "{} hits", hits.len());
        let first = &hits[0];
        assert_eq!(first["category"], "住房公积金", "{first}");
        assert_eq!(first["department"], "GJJZX", "{first}");
        assert_eq!(first["region"], "市级", "{first}");
        let title = first["title"].as_str().unwrap();
        assert!(title.contains("租房") && title.contains("公积金"), "{title}");
        assert!(!first["process"].as_array().unwrap().is_empty(), "{first}");
        assert!(!first["materials"].as_array().unwrap().is_empty(), "{first}");
        assert!(!first["answer"].as_str().unwrap().is_empty());
        assert!(!first["snippet"].as_str().unwrap().is_empty());
        assert_eq!(first["validity"], "current");
        assert_eq!(first["expired"], false);
        assert!(first["revision"].as_i64().unwrap() >= 1);
        let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "scores descend: {scores:?}");
        for hit in hits {
            for field in ["id", "title", "department", "category", "region", "snippet", "answer", "validity"] {
                assert!(hit[field].is_string(), "{field} in {hit}");
            }
            for field in ["process", "materials"] {
                assert!(hit[field].is_array(), "{field} in {hit}");
            }
            assert!(hit["score"].is_number() && hit["expired"].is_boolean(), "{hit}");
            assert!(hit.get("valid_from").is_some() && hit.get("valid_to").is_some(), "{hit}");
        }
    }
}

both_engines! {
    async fn every_search_is_recorded_in_the_search_log(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Real).await;

        let body = app
            .search_ok(&[("q", "公积金 租房"), ("limit", "3"), ("region", "临江县")])
            .await;
        let search_id = body["search_id"].as_str().unwrap();

        let db = app.setup.db.connect().await;
        let record = db
            .search_record(search_id)
            .await
            .unwrap()
            .expect("the search is in the log");
        db.close().await;
        assert_eq!(record.query, "公积金 租房");
        assert_eq!(record.returned_ids, hit_ids(&body));
        assert_eq!(record.no_answer, body["no_answer"].as_bool().unwrap());
        assert!((record.confidence - body["confidence"].as_f64().unwrap()).abs() < 1e-4);
        let params: Value = serde_json::from_str(&record.params).expect("params are JSON");
        assert_eq!(params["limit"], 3);
        assert_eq!(params["region"], "临江县");
        assert!(!record.created_at.is_empty());
        assert!(record.token_name.as_deref().is_some_and(|n| n.starts_with("agent-")), "{record:?}");
    }
}

#[tokio::test]
async fn two_searches_get_different_ids() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let first = app.search_ok(&[("q", "社保卡丢了")]).await;
    let second = app.search_ok(&[("q", "社保卡丢了")]).await;

    assert_ne!(first["search_id"], second["search_id"]);
    assert_eq!(hit_ids(&first), hit_ids(&second));
}

#[tokio::test]
async fn limit_caps_the_number_of_hits() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let one = app.search_ok(&[("q", "公积金"), ("limit", "1")]).await;
    let fifty = app.search_ok(&[("q", "公积金"), ("limit", "50")]).await;

    assert_eq!(hit_ids(&one).len(), 1);
    assert!(hit_ids(&fifty).len() > 10, "{} hits", hit_ids(&fifty).len());
    assert!(hit_ids(&fifty).len() <= 50);
    assert_eq!(hit_ids(&one)[0], hit_ids(&fifty)[0]);
}

#[tokio::test]
async fn empty_query_is_400_query_empty() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    assert_error(app.search(&[("q", "")]).await, 400, "query_empty").await;
    assert_error(app.search(&[("q", "   ")]).await, 400, "query_empty").await;
    assert_error(app.search(&[]).await, 400, "query_empty").await;
}

#[tokio::test]
async fn query_over_2000_chars_is_400_query_too_long() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let too_long = "喂".repeat(2001);

    assert_error(app.search(&[("q", &too_long)]).await, 400, "query_too_long").await;
}

#[tokio::test]
async fn a_2000_char_transcript_is_searched_by_the_question_it_ends_on() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;
    let earlier = "我先跟您说一下前几天家里装修的情况，邻居一直有意见，后来也协商好了。";
    let question =
        "我在江州租房子住，住房公积金能不能取出来交房租，要带什么材料。好的，我帮您查一下。";
    let mut transcript = String::from("您好，这里是12345热线，请问有什么可以帮您？");
    while transcript.chars().count() + question.chars().count() < 2000 {
        transcript.push_str(earlier);
    }
    transcript.push_str(question);
    let transcript: String = transcript
        .chars()
        .skip(transcript.chars().count().saturating_sub(2000))
        .collect();
    assert_eq!(transcript.chars().count(), 2000);

    let body = app.search_ok(&[("q", &transcript)]).await;

    assert_eq!(body["interpretation"]["transcript"], true, "{body}");
    assert!(
        hit_ids(&body).iter().take(3).any(|id| id == "GJJ-003"),
        "{body}"
    );
    assert_eq!(body["no_answer"], false, "{body}");
    let short = app.search_ok(&[("q", "租房提取公积金")]).await;
    assert_eq!(short["interpretation"]["transcript"], false, "{short}");
}

#[tokio::test]
async fn limit_out_of_range_or_not_a_number_is_400_invalid_limit() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    for limit in ["0", "51", "500", "abc", "-1", "2.5"] {
        let response = app.search(&[("q", "社保"), ("limit", limit)]).await;
        assert_error(response, 400, "invalid_limit").await;
    }
}

#[tokio::test]
async fn include_expired_other_than_true_or_false_is_400_invalid_parameter() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let response = app
        .search(&[("q", "社保"), ("include_expired", "maybe")])
        .await;

    assert_error(response, 400, "invalid_parameter").await;
    for accepted in ["true", "false", "1", "0"] {
        app.search_ok(&[("q", "社保"), ("include_expired", accepted)])
            .await;
    }
}

#[tokio::test]
async fn malformed_query_string_is_400_invalid_parameter() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let response = app.get("/api/v1/search?q=社保&q=医保").await;

    assert_error(response, 400, "invalid_parameter").await;
}

#[tokio::test]
async fn unrelated_question_is_flagged_no_answer() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let body = app.search_ok(&[("q", "演唱会门票怎么退")]).await;

    assert_eq!(body["no_answer"], true, "{body}");
}

#[tokio::test]
async fn a_question_no_government_knowledge_base_answers_is_flagged_and_says_why() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let body = app
        .search_ok(&[("q", "厨房想装个净水器，买哪个牌子好")])
        .await;

    assert_eq!(body["no_answer"], true, "{body}");
    assert_eq!(
        body["interpretation"]["out_of_scope"], "哪个牌子好",
        "{body}"
    );
    // The same words in an in-scope question mark nothing.
    let body = app.search_ok(&[("q", "哪家医院能办出生医学证明")]).await;
    assert!(
        body["interpretation"].get("out_of_scope").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn answerable_question_is_not_flagged_no_answer() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let body = app.search_ok(&[("q", "身份证丢了怎么补办")]).await;

    assert_eq!(body["no_answer"], false, "{body}");
    let first = &body["hits"][0];
    assert!(
        first["title"].as_str().unwrap().contains("身份证"),
        "{first}"
    );
    assert_eq!(first["department"], "GAJ", "{first}");
}

#[tokio::test]
async fn region_named_in_the_real_knowledge_base_ranks_the_district_entry_first() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Real).await;

    let body = app
        .search_ok(&[("q", "小学一年级入学报名"), ("region", "西山区")])
        .await;

    assert_eq!(body["hits"][0]["region"], "西山区", "{body}");
    assert_eq!(body["interpretation"]["region"], "西山区");
}
