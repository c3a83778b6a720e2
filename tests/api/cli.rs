//! The `hotline` binary: import validation, export/import round trips, revisions on re-import,
//! `search --json`, `reindex`, and rebuilding a deleted index.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;

use hotline::domain::EntryContent;
use serde_json::Value;

use crate::helpers::{
    department, entry, hit_ids, json_ok, jsonl, real_knowledge_dir, spawn_app_on, standard_fixture,
    strings, Engine, Knowledge, Setup,
};

/// `hotline import knowledge/departments.jsonl knowledge/entries` of the real knowledge base.
fn import_real_knowledge(setup: &Setup) {
    let knowledge = real_knowledge_dir();
    setup.hotline_ok([
        OsStr::new("import"),
        knowledge.join("departments.jsonl").as_os_str(),
        knowledge.join("entries").as_os_str(),
    ]);
}

/// `hotline search QUERY --json`, parsed.
fn cli_search(setup: &Setup, query: &str) -> Value {
    let stdout = setup.hotline_ok(["search", query, "--json"]);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("search --json is not JSON ({err}): {stdout}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// Every entry of the given JSON Lines files, or of the `*.jsonl` files of a directory, by id.
fn entries_in(path: &Path) -> Vec<EntryContent> {
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    let mut entries: Vec<EntryContent> = Vec::new();
    for file in files {
        for line in read(&file).lines().filter(|l| !l.trim().is_empty()) {
            entries.push(serde_json::from_str(line).unwrap());
        }
    }
    entries.sort_by(|a, b| a.id.cmp(&b.id));
    entries
}

both_engines! {
    async fn import_with_bad_lines_reports_every_line_and_writes_nothing(engine: Engine) {
        let setup = Setup::new(&engine, Knowledge::Fixture(standard_fixture()));
        let departments = setup.path().join("departments.jsonl");
        std::fs::write(&departments, jsonl(&[department("GJJZX", "江州市住房公积金管理中心")])).unwrap();
        let good = serde_json::to_string(&entry("IMP-001", "租房如何提取住房公积金？")).unwrap();
        let mut missing_title = serde_json::to_value(entry("IMP-002", "缺标题")).unwrap();
        missing_title.as_object_mut().unwrap().remove("title");
        let unknown_department = EntryContent { department: "NOPE".into(), ..entry("IMP-003", "未知部门") };
        let bad_date = EntryContent { valid_from: Some("2024-02-30".into()), ..entry("IMP-004", "日期错误") };
        let duplicate = entry("IMP-001", "重复编号");
        let also_good = entry("IMP-005", "另一条正确的条目");
        let lines = [
            good,
            r#"{"id": "IMP-006", "title": "断了的 JSON""#.to_string(),
            missing_title.to_string(),
            serde_json::to_string(&unknown_department).unwrap(),
            serde_json::to_string(&bad_date).unwrap(),
            serde_json::to_string(&duplicate).unwrap(),
            serde_json::to_string(&also_good).unwrap(),
        ];
        let bad = setup.path().join("bad.jsonl");
        std::fs::write(&bad, lines.join("\n") + "\n").unwrap();

        let output = setup.hotline([OsStr::new("import"), departments.as_os_str(), bad.as_os_str()]);

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "import of a bad file must fail; stderr:\n{stderr}");
        let reported: BTreeSet<(usize, String)> = stderr
            .lines()
            .filter_map(|line| line.strip_prefix(&format!("{}:", bad.display())))
            .map(|rest| {
                let mut parts = rest.splitn(3, ": ");
                let line_no = parts.next().unwrap().parse::<usize>().expect("a line number");
                let field = parts.next().expect("a field").to_string();
                assert!(parts.next().is_some_and(|m| !m.trim().is_empty()), "a message in {rest:?}");
                (line_no, field)
            })
            .collect();
        let expected: BTreeSet<(usize, String)> = [
            (2, "json"),
            (3, "title"),
            (4, "department"),
            (5, "valid_from"),
            (6, "id"),
        ]
        .into_iter()
        .map(|(n, f)| (n, f.to_string()))
        .collect();
        assert_eq!(reported, expected, "stderr:\n{stderr}");

        let out = setup.path().join("export");
        setup.hotline_ok([OsStr::new("export"), OsStr::new("--out"), out.as_os_str()]);
        assert_eq!(read(&out.join("entries.jsonl")), "", "nothing was written");
        assert_eq!(read(&out.join("departments.jsonl")), "", "not even the departments");
    }
}

#[tokio::test]
async fn import_of_a_missing_path_fails() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Real);

    let output = setup.hotline(["import", "no/such/file.jsonl"]);

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("import_invalid"), "{stderr}");
    assert!(stderr.contains("no/such/file.jsonl"), "{stderr}");
}

both_engines! {
    async fn export_import_export_round_trip_is_byte_identical(engine: Engine) {
        let first = Setup::new(&engine, Knowledge::Real);
        let second = Setup::new(&engine, Knowledge::Real);
        let a = first.path().join("A");
        let b = second.path().join("B");

        import_real_knowledge(&first);
        first.hotline_ok([OsStr::new("export"), OsStr::new("--out"), a.as_os_str()]);
        second.hotline_ok([OsStr::new("import"), a.as_os_str()]);
        second.hotline_ok([OsStr::new("export"), OsStr::new("--out"), b.as_os_str()]);

        for file in ["departments.jsonl", "entries.jsonl"] {
            let (left, right) = (std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap());
            assert!(!left.is_empty(), "{file} is empty");
            assert!(left == right, "{file} differs after a round trip");
        }
        // The export holds exactly what was imported.
        assert_eq!(entries_in(&a.join("entries.jsonl")), entries_in(&real_knowledge_dir().join("entries")));
        let departments = read(&a.join("departments.jsonl")).lines().count();
        let source = read(&real_knowledge_dir().join("departments.jsonl"))
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        assert_eq!(departments, source);
    }
}

both_engines! {
    async fn reimporting_a_changed_entry_bumps_its_revision_and_leaves_the_others(engine: Engine) {
        let fixture = standard_fixture();
        let setup = Setup::new(&engine, Knowledge::Fixture(fixture.clone()));
        let knowledge = setup.knowledge_dir.clone();
        setup.hotline_ok([
            OsStr::new("import"),
            knowledge.join("departments.jsonl").as_os_str(),
            knowledge.join("entries").as_os_str(),
        ]);
        let mut changed = fixture.entries.clone();
        let target = changed.iter_mut().find(|e| e.id == "FX-SB-001").unwrap();
        target.answer = "社会保障卡遗失的，可在江州通APP挂失后申请邮寄新卡，工本费全免。".into();
        target.materials = strings(&["本人身份证", "近期一寸照片"]);
        let changed_file = setup.path().join("changed.jsonl");
        std::fs::write(&changed_file, jsonl(&changed)).unwrap();

        setup.hotline_ok([OsStr::new("import"), changed_file.as_os_str()]);
        setup.hotline_ok([OsStr::new("import"), changed_file.as_os_str()]);
        let app = spawn_app_on(setup).await;

        let updated = json_ok(app.get("/api/v1/entries/FX-SB-001").await).await;
        assert_eq!(updated["revision"], 2, "{updated}");
        assert_eq!(updated["answer"], "社会保障卡遗失的，可在江州通APP挂失后申请邮寄新卡，工本费全免。");
        assert_eq!(updated["materials"], serde_json::json!(["本人身份证", "近期一寸照片"]));
        for id in fixture.entries.iter().map(|e| &e.id).filter(|id| *id != "FX-SB-001") {
            let unchanged = json_ok(app.get(&format!("/api/v1/entries/{id}")).await).await;
            assert_eq!(unchanged["revision"], 1, "{unchanged}");
        }
        let history = app.app.db.entry_revisions("FX-SB-001").await.unwrap();
        assert_eq!(history.iter().map(|e| e.revision).collect::<Vec<_>>(), vec![1, 2]);
        // The index follows the database: the new answer is what search returns.
        let body = app.search_ok(&[("q", "社保卡丢了")]).await;
        assert_eq!(body["hits"][0]["id"], "FX-SB-001", "{body}");
        assert_eq!(body["hits"][0]["revision"], 2, "{body}");
        assert!(body["hits"][0]["answer"].as_str().unwrap().contains("邮寄新卡"));
    }
}

#[tokio::test]
async fn cli_search_json_prints_the_api_response() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Real);
    import_real_knowledge(&setup);

    let body = cli_search(&setup, "公积金 租房");

    assert!(!hit_ids(&body).is_empty(), "{body}");
    assert_eq!(body["hits"][0]["category"], "住房公积金", "{body}");
    assert_eq!(body["no_answer"], false);
    assert!(body["search_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(body["interpretation"]["terms"].is_array());
}

#[tokio::test]
async fn cli_search_rejects_an_empty_query() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Real);
    import_real_knowledge(&setup);

    let output = setup.hotline(["search", "  ", "--json"]);

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("query_empty"));
}

#[tokio::test]
async fn reindex_rebuilds_and_search_still_finds_the_same_entries() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Real);
    import_real_knowledge(&setup);
    let before = cli_search(&setup, "公积金 租房");

    setup.hotline_ok(["reindex"]);
    let after = cli_search(&setup, "公积金 租房");

    assert_eq!(hit_ids(&after), hit_ids(&before));
}

both_engines! {
    async fn deleted_index_directory_is_rebuilt_on_the_next_search(engine: Engine) {
        let setup = Setup::new(&engine, Knowledge::Real);
        import_real_knowledge(&setup);
        let before = cli_search(&setup, "公积金 租房");

        std::fs::remove_dir_all(setup.index_dir()).unwrap();
        let after = cli_search(&setup, "公积金 租房");

        assert!(!hit_ids(&before).is_empty());
        assert_eq!(hit_ids(&after), hit_ids(&before));
        assert!(setup.index_dir().join("knowledge").join("meta.json").exists());
    }
}

#[tokio::test]
async fn cli_import_is_picked_up_by_a_service_started_afterwards() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Fixture(standard_fixture()));
    let departments = setup.path().join("departments.jsonl");
    std::fs::write(
        &departments,
        jsonl(&[department("GJJZX", "江州市住房公积金管理中心")]),
    )
    .unwrap();
    let entries = setup.path().join("entries.jsonl");
    let only = EntryContent {
        answer: "灵活就业人员可以自愿缴存住房公积金，按月缴存。".into(),
        ..entry("CLI-001", "灵活就业人员如何缴存住房公积金？")
    };
    std::fs::write(&entries, jsonl(&[only])).unwrap();
    setup.hotline_ok([
        OsStr::new("import"),
        departments.as_os_str(),
        entries.as_os_str(),
    ]);

    // The database is not empty, so the fixture knowledge directory is not imported.
    let app = spawn_app_on(setup).await;
    let body = app.search_ok(&[("q", "灵活就业 公积金")]).await;

    assert_eq!(hit_ids(&body), vec!["CLI-001"], "{body}");
}
