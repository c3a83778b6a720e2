//! Entry spreadsheets: CSV and XLSX export and import round trips over HTTP (all unchanged),
//! bad rows reported with their row numbers and nothing written, roles, and the CLI.

use std::ffi::OsStr;

use hotline::domain::access::Role;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::Client;
use serde_json::Value;

use crate::helpers::{
    assert_error, json_ok, spawn_app, standard_fixture, Knowledge, Setup, TestApp,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const HEADER: &str =
    "编号,标题,相似问法,答复口径,办理流程,所需材料,承办部门,分类,适用区域,关键词,生效日期,失效日期";

async fn export(app: &TestApp, client: &Client, format: &str) -> (String, String, Vec<u8>) {
    let response = client
        .get(app.url("/api/v1/entries/export"))
        .query(&[("format", format)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header(CONTENT_TYPE), header(CONTENT_DISPOSITION));
    (
        content_type,
        disposition,
        response.bytes().await.unwrap().to_vec(),
    )
}

async fn import(
    app: &TestApp,
    client: &Client,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/entries/import"))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn counts(body: &Value) -> (u64, u64, u64) {
    let n = |k: &str| body[k].as_u64().unwrap();
    (n("created"), n("updated"), n("unchanged"))
}

both_engines! {
    async fn csv_and_xlsx_exports_import_back_unchanged(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let editor = app.client_as(Role::Editor, None).await;
        let entries = standard_fixture().entries.len() as u64;

        let (content_type, disposition, csv) = export(&app, &editor, "csv").await;
        assert_eq!(content_type, "text/csv; charset=utf-8");
        assert_eq!(disposition, "attachment; filename=\"entries.csv\"");
        let text = String::from_utf8(csv.clone()).unwrap();
        assert!(text.starts_with(&format!("\u{feff}{HEADER}")), "{text}");
        assert!(text.contains("\"登录网上服务大厅\n提交申请\""), "one item per line: {text}");
        let body = json_ok(import(&app, &editor, "text/csv", csv).await).await;
        assert_eq!(counts(&body), (0, 0, entries));

        let (content_type, disposition, xlsx) = export(&app, &editor, "xlsx").await;
        assert_eq!(content_type, XLSX);
        assert_eq!(disposition, "attachment; filename=\"entries.xlsx\"");
        assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip archive");
        let reviewer = app.client_as(Role::Reviewer, None).await;
        let body = json_ok(import(&app, &reviewer, XLSX, xlsx).await).await;
        assert_eq!(counts(&body), (0, 0, entries));
    }
}

both_engines! {
    async fn bad_rows_are_all_reported_and_nothing_is_written(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        let editor = app.client_as(Role::Editor, None).await;
        // Headers in another order, a semicolon list, a blank row at the end.
        let csv = [
            "标题,编号,答复口径,承办部门,所需材料,生效日期",
            "新条目,NEW-001,答复,GJJZX,身份证；户口本,2026-01-01",
            "缺答复,NEW-002,,GJJZX,,",
            "错部门,NEW-003,答复,NOPE,,2026-02-30",
            ",,,,,",
        ]
        .join("\r\n");
        let response = import(&app, &editor, "text/csv; charset=utf-8", csv.into_bytes()).await;
        let error = assert_error(response, 400, "import_invalid").await;
        let details: Vec<&str> = error["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert!(details.contains(&"entries.csv:第3行: 答复口径: 不能为空"), "{details:?}");
        assert!(details.iter().any(|d| d.starts_with("entries.csv:第4行: 承办部门: 未知的部门编码 NOPE")), "{details:?}");
        assert!(details.iter().any(|d| d.starts_with("entries.csv:第4行: 生效日期: ")), "{details:?}");
        assert_eq!(details.len(), 3, "{details:?}");
        let missing = editor.get(app.url("/api/v1/entries/NEW-001")).send().await.unwrap();
        assert_error(missing, 404, "entry_not_found").await;

        let unknown = import(&app, &editor, "text/csv", "编号,标题,颜色\nA,b,c".as_bytes().to_vec()).await;
        let error = assert_error(unknown, 400, "import_invalid").await;
        let details = error["error"]["details"].to_string();
        assert!(details.contains("未知的表头 \\\"颜色\\\""), "{details}");
        assert!(details.contains("缺少必需的列 答复口径"), "{details}");

        let unnamed = import(&app, &editor, "application/octet-stream", b"x".to_vec()).await;
        assert_error(unnamed, 400, "invalid_parameter").await;

        let good = "编号,标题,答复口径,承办部门,所需材料\nNEW-001,新条目,答复,GJJZX,身份证；户口本";
        let response = editor
            .post(app.url("/api/v1/entries/import?format=csv"))
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(good)
            .send()
            .await
            .unwrap();
        let body = json_ok(response).await;
        assert_eq!(counts(&body), (1, 0, 0));
    }
}

both_engines! {
    async fn roles_without_the_permission_are_refused(engine: Engine) {
        let app = spawn_app(&engine, Knowledge::Fixture(standard_fixture())).await;
        for role in [Role::Agent, Role::Supervisor, Role::Dispatcher] {
            let client = app.client_as(role, None).await;
            let response = import(&app, &client, "text/csv", HEADER.as_bytes().to_vec()).await;
            assert_error(response, 403, "forbidden").await;
            let response = client.get(app.url("/api/v1/entries/export")).send().await.unwrap();
            assert_error(response, 403, "forbidden").await;
        }
    }
}

both_engines! {
    async fn the_cli_imports_a_csv_and_exports_csv_and_xlsx(engine: Engine) {
        let setup = Setup::new(&engine, Knowledge::Fixture(standard_fixture()));
        let sheet = setup.path().join("新条目.csv");
        let csv = format!(
            "\u{feff}{HEADER}\nCLI-001,租房提取公积金要多久到账？,\"多久到账\n几天到账\",一般3个工作日内到账。,,,GJJZX,住房公积金,,到账,2026-01-01,\n"
        );
        std::fs::write(&sheet, csv).unwrap();
        let departments = setup.knowledge_dir.join("departments.jsonl");
        let out = setup.hotline_ok([OsStr::new("import"), departments.as_os_str(), sheet.as_os_str()]);
        assert!(out.contains("条目新增 1"), "{out}");

        let dir = setup.path().join("out");
        for format in ["csv", "xlsx"] {
            let out = setup.hotline_ok([OsStr::new("export"), OsStr::new("--out"), dir.as_os_str(), OsStr::new("--format"), OsStr::new(format)]);
            assert!(out.contains("已导出条目 1 条"), "{out}");
            let file = dir.join(format!("entries.{format}"));
            let out = setup.hotline_ok([OsStr::new("import"), file.as_os_str()]);
            assert!(out.contains("条目新增 0、更新 0、未变 1"), "{out}");
        }
        let exported = std::fs::read_to_string(dir.join("entries.csv")).unwrap();
        assert!(exported.contains("\"多久到账\n几天到账\""), "{exported}");
    }
}
