//! The search index is derived data: a restarted service reuses it, and rebuilds it from the
//! database when the index directory is gone.

use crate::helpers::{hit_ids, spawn_app, spawn_app_on, standard_fixture, Engine, Knowledge};

both_engines! {
    async fn index_is_rebuilt_when_its_directory_is_missing(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Real).await;
        let before = app.search_ok(&[("q", "公积金 租房")]).await;
        let setup = app.stop().await;

        std::fs::remove_dir_all(setup.index_dir()).expect("delete the index directory");
        let app = spawn_app_on(setup).await;
        let after = app.search_ok(&[("q", "公积金 租房")]).await;

        assert!(!hit_ids(&before).is_empty());
        assert_eq!(hit_ids(&after), hit_ids(&before));
        assert_eq!(app.app.index.doc_count(), app.app.db.published_entries().await.unwrap().len() as u64);
    }
}

#[tokio::test]
async fn restart_on_the_same_database_keeps_the_knowledge_without_reimporting() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let before = app.search_ok(&[("q", "社保卡丢了")]).await;
    let setup = app.stop().await;

    // The knowledge directory is no longer consulted once the database holds entries.
    std::fs::remove_dir_all(setup.knowledge_dir.join("entries")).unwrap();
    let app = spawn_app_on(setup).await;
    let after = app.search_ok(&[("q", "社保卡丢了")]).await;

    assert_eq!(hit_ids(&after), hit_ids(&before));
    assert_eq!(hit_ids(&after)[0], "FX-SB-001");
    let entry = app.get("/api/v1/entries/FX-SB-001").await;
    assert_eq!(entry.status(), 200);
}

#[tokio::test]
async fn a_corrupt_index_directory_is_rebuilt() {
    let app = spawn_app(&Engine::Sqlite, Knowledge::Fixture(standard_fixture())).await;
    let before = app.search_ok(&[("q", "社保卡丢了")]).await;
    let setup = app.stop().await;

    let index = setup.index_dir().join("knowledge");
    std::fs::remove_dir_all(&index).unwrap();
    std::fs::create_dir_all(&index).unwrap();
    std::fs::write(index.join("meta.json"), "not an index").unwrap();
    let app = spawn_app_on(setup).await;
    let after = app.search_ok(&[("q", "社保卡丢了")]).await;

    assert_eq!(hit_ids(&after), hit_ids(&before));
}
