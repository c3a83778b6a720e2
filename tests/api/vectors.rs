//! Entry vectors follow the published entries: a first pass embeds and stores every entry, a
//! later pass embeds only what changed, and a pass with nothing changed does nothing; routing
//! history is embedded and, once covered, learnt from. Runs when the embedding model is
//! installed (`hotline model fetch`); prints a skip line otherwise.

use hotline::app::App;
use hotline::config::SemanticMode;
use hotline::embed::model_file::model_path;
use hotline::search::{Probe, SemanticState};

use crate::helpers::*;

#[tokio::test]
async fn entry_vectors_follow_published_changes() {
    if !model_path(&model_dir()).is_file() {
        eprintln!("skipped: no embedding model in {}", model_dir().display());
        return;
    }
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Fixture(standard_fixture()));
    let config = hotline::config::Config {
        semantic: SemanticMode::On,
        model_dir: model_dir(),
        ..setup.config()
    };
    let app = App::open(config).await.expect("open the app");
    let knowledge = &setup.knowledge_dir;
    app.import(&[
        knowledge.join("departments.jsonl"),
        knowledge.join("entries"),
    ])
    .await
    .expect("import the fixture");
    app.sync_index(false).await.expect("index");
    let encoder = app
        .open_encoder(1, false)
        .await
        .expect("open the model")
        .expect("the model is installed");

    assert_eq!(app.embed_missing(&encoder).await.unwrap(), 7, "every entry");
    let status = app.index.semantic.status();
    assert_eq!((status.embedded, status.total), (7, 7));
    assert_eq!(status.state, SemanticState::Ready);
    assert_eq!(
        app.embed_missing(&encoder).await.unwrap(),
        0,
        "nothing changed"
    );

    // An editor's change: a new revision of one entry, about something else entirely.
    let changed = hotline::domain::EntryContent {
        questions: strings(&["养犬登记怎么办"]),
        answer: "在城区饲养犬只，应当为犬只办理养犬登记，领取犬牌，并按时接种狂犬病疫苗。".into(),
        department: "SBZX".into(),
        category: "社会保险".into(),
        ..entry("FX-SB-001", "养犬登记如何办理？")
    };
    let file = setup.path().join("changed.jsonl");
    std::fs::write(&file, jsonl(&[changed])).unwrap();
    app.import(&[file]).await.expect("import the change");
    app.sync_index(false).await.expect("index");

    assert_eq!(
        app.embed_missing(&encoder).await.unwrap(),
        1,
        "only the change"
    );
    let status = app.index.semantic.status();
    assert_eq!((status.embedded, status.total), (7, 7));
    let stored = app.db.entry_vectors(encoder.digest()).await.unwrap();
    assert_eq!(stored.len(), 16, "both revisions' vectors are kept");

    let vectors = app.index.semantic.vectors();
    let dog = encoder.embed_query("狗要办什么证");
    let probe = Probe::new(&dog);
    let now = vectors
        .cosine_of(&probe, "FX-SB-001", 2)
        .expect("the new revision");
    assert_eq!(vectors.cosine_of(&probe, "FX-SB-001", 1), None);
    let other = vectors
        .cosine_of(&probe, "FX-GJJ-001", 1)
        .expect("unchanged");
    assert!(now > other, "the new text is searched: {now} vs {other}");
    app.close().await;
}

#[tokio::test]
async fn routing_history_is_embedded_and_learnt_from() {
    if !model_path(&model_dir()).is_file() {
        eprintln!("skipped: no embedding model in {}", model_dir().display());
        return;
    }
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Fixture(standard_fixture()));
    let departments = setup.knowledge_dir.join("departments.jsonl");
    setup.hotline_ok(["import", departments.to_str().unwrap()]);
    let said = [
        ("SWJ", "展会摊位费怎么收"),
        ("SWJ", "商场促销活动备案找谁"),
        ("SWJ", "参加展销会要交多少钱"),
        ("SBZX", "退休金什么时候发放"),
        ("SBZX", "养老保险断缴了能补吗"),
        ("SBZX", "失业保险金怎么领"),
    ];
    let lines: String = (0..12)
        .map(|i| {
            let (department, content) = said[i % said.len()];
            format!(
                "{{\"id\":\"H{i}\",\"content\":\"{content}\",\"type\":\"咨询\",\"department\":\"{department}\",\"created_at\":\"2025-05-01\"}}\n"
            )
        })
        .collect();
    let history = setup.path().join("history.jsonl");
    std::fs::write(&history, lines).unwrap();
    setup.hotline_ok(["import-tickets", history.to_str().unwrap()]);

    let config = hotline::config::Config {
        semantic: SemanticMode::On,
        model_dir: model_dir(),
        ..setup.config()
    };
    let app = App::open(config).await.expect("open the app");
    let encoder = app
        .open_encoder(1, false)
        .await
        .expect("open the model")
        .expect("the model is installed");
    assert_eq!(app.lesson_vector_coverage(&encoder).await.unwrap(), (12, 0));
    app.routing()
        .refresh()
        .await
        .expect("a lexical router first");
    assert!(!app.routing().learns_from_vectors());

    assert_eq!(app.embed_lessons(&encoder).await.unwrap(), 12);
    assert_eq!(app.embed_lessons(&encoder).await.unwrap(), 0, "all stored");
    assert_eq!(
        app.lesson_vector_coverage(&encoder).await.unwrap(),
        (12, 12)
    );
    assert!(
        app.routing().refresh().await.unwrap(),
        "vectors change the model"
    );
    assert!(app.routing().learns_from_vectors());
    assert!(
        !app.routing().refresh().await.unwrap(),
        "nothing changed since"
    );

    let lessons = app
        .db
        .routing_lessons(Some(encoder.digest()))
        .await
        .unwrap();
    assert!(lessons
        .iter()
        .all(|l| l.vector.as_ref().map(Vec::len) == Some(384)));
    assert!(app
        .db
        .routing_lessons(None)
        .await
        .unwrap()
        .iter()
        .all(|l| l.vector.is_none()));
    app.close().await;
}
