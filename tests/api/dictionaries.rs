//! Run-time editable dictionaries: editors read and save them, bad lines and stale edits are
//! refused, a saved synonym reaches search after the background rebuild, and the shipped
//! files update a dictionary until an editor has changed it.

use std::time::Duration;

use hotline::domain::access::Role;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, hit_ids, json_ok, spawn_app, spawn_app_on, standard_fixture, Engine, Knowledge,
    Setup,
};

both_engines! {
    async fn a_saved_synonym_reaches_search_without_a_restart(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let editor = app.client_as(Role::Editor, None).await;

        let list = json_ok(editor.get(app.url("/api/v1/dictionaries")).send().await.unwrap()).await;
        let names: Vec<&str> = list["dictionaries"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"synonyms.txt") && names.contains(&"user_dict.txt"), "{list}");

        let before = app.search_ok(&[("q", "蓝本本")]).await;
        assert_ne!(hit_ids(&before).first().map(String::as_str), Some("FX-SB-001"), "{before}");

        let url = app.url("/api/v1/dictionaries/synonyms.txt");
        let current = json_ok(editor.get(&url).send().await.unwrap()).await;
        let revision = current["revision"].as_i64().unwrap();
        let content = format!("{}\n社会保障卡 蓝本本\n", current["content"].as_str().unwrap());
        let saved = json_ok(editor.put(&url).json(&json!({"content": content, "base_revision": revision, "note": "本地俗称"})).send().await.unwrap()).await;
        assert_eq!(saved["revision"], revision + 1);

        // The rebuild runs in the background; searches keep answering meanwhile.
        let mut found = Value::Null;
        for _ in 0..100 {
            found = app.search_ok(&[("q", "蓝本本")]).await;
            if hit_ids(&found).first().map(String::as_str) == Some("FX-SB-001") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(hit_ids(&found).first().map(String::as_str), Some("FX-SB-001"), "{found}");

        // The same edit again is stale now.
        assert_error(editor.put(&url).json(&json!({"content": "x", "base_revision": revision})).send().await.unwrap(), 409, "revision_conflict").await;
    }
}

#[tokio::test]
async fn bad_dictionaries_unknown_names_and_agents_are_refused() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let editor = app.client_as(Role::Editor, None).await;
    let url = app.url("/api/v1/dictionaries/user_dict.txt");
    let current = json_ok(editor.get(&url).send().await.unwrap()).await;

    let err = assert_error(
        editor
            .put(&url)
            .json(
                &json!({"content": "公积金\n嘟嘟卡 很多\n", "base_revision": current["revision"]}),
            )
            .send()
            .await
            .unwrap(),
        400,
        "invalid_dictionary",
    )
    .await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("user_dict.txt:2"),
        "{err}"
    );
    let unchanged = json_ok(editor.get(&url).send().await.unwrap()).await;
    assert_eq!(unchanged["revision"], current["revision"]);

    assert_error(
        editor
            .get(app.url("/api/v1/dictionaries/passwd"))
            .send()
            .await
            .unwrap(),
        404,
        "dictionary_not_found",
    )
    .await;
    assert_error(
        app.client
            .put(&url)
            .json(&json!({"content": "x", "base_revision": 1}))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn shipped_dictionaries_update_until_an_editor_owns_them() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let setup = app.stop().await;
    let synonyms = setup.knowledge_dir.join("dict").join("synonyms.txt");
    let shipped = std::fs::read_to_string(&synonyms).unwrap();

    // A new release's file reaches a dictionary nobody edited in the service.
    std::fs::write(&synonyms, format!("{shipped}\n社会保障卡 蓝本本\n")).unwrap();
    let app = spawn_app_on(setup).await;
    let found = app.search_ok(&[("q", "蓝本本")]).await;
    assert_eq!(
        hit_ids(&found).first().map(String::as_str),
        Some("FX-SB-001"),
        "{found}"
    );

    // Once an editor saves it, the database version stays.
    let editor = app.client_as(Role::Editor, None).await;
    let url = app.url("/api/v1/dictionaries/synonyms.txt");
    let current = json_ok(editor.get(&url).send().await.unwrap()).await;
    let edited = format!(
        "{}\n就业困难人员 难就业\n",
        current["content"].as_str().unwrap()
    );
    let body = json!({"content": edited, "base_revision": current["revision"]});
    json_ok(editor.put(&url).json(&body).send().await.unwrap()).await;
    let setup: Setup = app.stop().await;
    std::fs::write(&synonyms, &shipped).unwrap();
    let app = spawn_app_on(setup).await;
    let editor = app.client_as(Role::Editor, None).await;
    let kept = json_ok(
        editor
            .get(app.url("/api/v1/dictionaries/synonyms.txt"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        kept["content"].as_str().unwrap().contains("难就业"),
        "{kept}"
    );
    assert!(kept["content"].as_str().unwrap().contains("蓝本本"));
}
