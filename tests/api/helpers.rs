//! Test harness: a fresh database, index and knowledge directory per test, an app served on a
//! random port, the `hotline` binary for CLI tests, fixture builders and response checks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use hotline::app::{prepare_service, Service};
use hotline::domain::access::Role;
use hotline::domain::clock::Clock;
use hotline::domain::{Department, EntryContent};
use hotline::{App, Config};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The variable naming a PostgreSQL server for the PostgreSQL variants of the tests.
pub const POSTGRES_URL_VAR: &str = "HOTLINE_TEST_POSTGRES_URL";

/// The database engine a test runs against.
#[derive(Clone, Debug)]
pub enum Engine {
    Sqlite,
    /// A PostgreSQL server; each test gets its own database on it.
    Postgres {
        server_url: String,
    },
}

impl Engine {
    /// The PostgreSQL engine when `HOTLINE_TEST_POSTGRES_URL` is set; otherwise prints a note
    /// (the caller then skips the test).
    pub fn postgres(test: &str) -> Option<Engine> {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Some(Engine::Postgres {
                server_url: url.trim().to_string(),
            }),
            _ => {
                eprintln!("note: {POSTGRES_URL_VAR} is not set, skipping the PostgreSQL variant of {test}");
                None
            }
        }
    }
}

/// Declares a test that runs on SQLite and, when `HOTLINE_TEST_POSTGRES_URL` is set, on
/// PostgreSQL: `name::sqlite` and `name::postgres`.
macro_rules! both_engines {
    ($(#[$meta:meta])* async fn $name:ident($engine:ident: Engine) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($engine: $crate::helpers::Engine) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::helpers::Engine::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(engine) = $crate::helpers::Engine::postgres(module_path!()) {
                    run(engine).await;
                }
            }
        }
    };
}

/// A database of its own: a file in the test's directory, or a freshly named PostgreSQL
/// database that is dropped when this value is.
pub struct TestDb {
    pub url: String,
    postgres_name: Option<String>,
}

impl TestDb {
    pub fn new(engine: &Engine, dir: &Path) -> TestDb {
        match engine {
            Engine::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.join("hotline.db").display()),
                postgres_name: None,
            },
            Engine::Postgres { server_url } => {
                let name = format!("hotline_test_{}", uuid::Uuid::now_v7().simple());
                TestDb {
                    url: with_database(server_url, &name),
                    postgres_name: Some(name),
                }
            }
        }
    }

    /// A direct connection to the database, for checks the HTTP API does not offer.
    pub async fn connect(&self) -> hotline::db::Db {
        hotline::db::Db::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Dropping runs inside the test's runtime, which must not block on itself: use a thread
        // with a runtime of its own. FORCE ends connections the app may still hold.
        let url = self.url.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping the test database");
            runtime.block_on(async {
                use sqlx::migrate::MigrateDatabase;
                sqlx::Postgres::force_drop_database(&url).await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("note: could not drop test database {name}: {dropped:?}");
        }
    }
}

/// `postgres://user@host:port/db?options` with another database name.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// Which knowledge directory the service imports on first start.
pub enum Knowledge {
    /// The repository's sample knowledge base.
    Real,
    /// A small knowledge base written into the test's directory.
    Fixture(Fixture),
}

/// The repository's `knowledge/` directory.
pub fn real_knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// Everything one test owns on disk and in the database. Dropping it removes them.
pub struct Setup {
    pub db: TestDb,
    pub knowledge_dir: PathBuf,
    /// The service's clock: the system clock unless a test fixes it.
    pub clock: Clock,
    /// `HOTLINE_SEMANTIC` for the app and the binary: `off` unless a test asks for the model
    /// (embedding the knowledge base takes minutes in a debug build).
    pub semantic: &'static str,
    // Declared last so the database goes before its directory.
    pub dir: TempDir,
}

impl Setup {
    pub fn new(engine: &Engine, knowledge: Knowledge) -> Setup {
        let dir = tempfile::Builder::new()
            .prefix("hotline-test-")
            .tempdir()
            .expect("create a temporary directory");
        let knowledge_dir = match knowledge {
            Knowledge::Real => real_knowledge_dir(),
            Knowledge::Fixture(fixture) => {
                let path = dir.path().join("knowledge");
                fixture.write(&path);
                path
            }
        };
        Setup {
            db: TestDb::new(engine, dir.path()),
            knowledge_dir,
            clock: Clock::system(),
            semantic: "off",
            dir,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The index directory (`HOTLINE_INDEX_DIR`).
    pub fn index_dir(&self) -> PathBuf {
        self.dir.path().join("indexes")
    }

    pub fn config(&self) -> Config {
        Config {
            database_url: self.db.url.clone(),
            index_dir: self.index_dir(),
            knowledge_dir: self.knowledge_dir.clone(),
            admin_token_file: self.admin_token_file(),
            clock: self.clock.clone(),
            semantic: match self.semantic {
                "on" => hotline::config::SemanticMode::On,
                "auto" => hotline::config::SemanticMode::Auto,
                _ => hotline::config::SemanticMode::Off,
            },
            ..Config::default()
        }
    }

    /// Where the first start writes the admin token.
    pub fn admin_token_file(&self) -> PathBuf {
        self.path().join("admin-token")
    }

    /// Runs the `hotline` binary against this setup's database, index and knowledge directory.
    pub fn hotline<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(args)
            .current_dir(self.path())
            .env("HOTLINE_DATABASE_URL", &self.db.url)
            .env("HOTLINE_INDEX_DIR", self.index_dir())
            .env("HOTLINE_KNOWLEDGE_DIR", &self.knowledge_dir)
            .env("HOTLINE_ADMIN_TOKEN_FILE", self.admin_token_file())
            .env("HOTLINE_SEMANTIC", self.semantic)
            .env("HOTLINE_MODEL_DIR", model_dir())
            .env_remove("HOTLINE_LOG_FORMAT")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run the hotline binary")
    }

    /// Like [`Setup::hotline`], but fails the test unless the command succeeds; returns stdout.
    pub fn hotline_ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let output = self.hotline(&args);
        assert!(
            output.status.success(),
            "hotline {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        String::from_utf8(output.stdout).expect("stdout is UTF-8")
    }
}

/// The real `hotline serve` binary on a random port, with its log collected.
pub struct ServeProcess {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    child: std::process::Child,
    log: Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServeProcess {
    /// Starts `hotline serve` on the setup's database, index and knowledge directory and waits
    /// until it listens.
    pub fn start(setup: &Setup, rust_log: &str) -> ServeProcess {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(setup.path())
            .env("HOTLINE_DATABASE_URL", &setup.db.url)
            .env("HOTLINE_INDEX_DIR", setup.index_dir())
            .env("HOTLINE_KNOWLEDGE_DIR", &setup.knowledge_dir)
            .env("HOTLINE_ADMIN_TOKEN_FILE", setup.admin_token_file())
            .env("HOTLINE_SEMANTIC", "off")
            .env_remove("HOTLINE_LOG_FORMAT")
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hotline serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let reader = {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(at) = line.find("http://") {
                        let address = line[at..].split_whitespace().next().unwrap_or_default();
                        let _ = address_tx.send(address.to_string());
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            })
        };
        let mut server = ServeProcess {
            address: String::new(),
            child,
            log,
            reader: Some(reader),
        };
        match address_rx.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(address) => server.address = address,
            Err(_) => {
                let log = server.kill();
                panic!("the service did not start:\n{log}");
            }
        }
        server
    }

    /// A client with a new agent token, created through the admin API with the first-start
    /// admin token.
    pub async fn agent_client(&self, setup: &Setup, name: &str) -> reqwest::Client {
        let admin = client_with_token(
            std::fs::read_to_string(setup.admin_token_file())
                .expect("the first start wrote the admin token")
                .trim(),
        );
        let created: Value = admin
            .post(format!("{}/api/v1/tokens", self.address))
            .json(&serde_json::json!({"role": "agent", "name": name}))
            .send()
            .await
            .expect("create an agent token")
            .json()
            .await
            .expect("the created token as JSON");
        client_with_token(created["token"].as_str().expect("token secret"))
    }

    /// Kills the process (SIGKILL: no shutdown of any kind) and returns its log.
    pub fn kill(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running service on a random port.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// Sends an `agent` token with every request.
    pub client: reqwest::Client,
    pub app: Arc<App>,
    service: Option<Service>,
    /// Dropping it (with the app) stops the server.
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    // Declared last so the server is gone before its files are.
    pub setup: Setup,
}

/// A fresh service on its own database, importing `knowledge` on first start.
pub async fn spawn_app(engine: &Engine, knowledge: Knowledge) -> TestApp {
    spawn_app_on(Setup::new(engine, knowledge)).await
}

/// Starts the service on an existing setup (a database and index that may already hold data).
pub async fn spawn_app_on(setup: Setup) -> TestApp {
    let service = prepare_service(setup.config())
        .await
        .unwrap_or_else(|err| panic!("prepare the service: {err}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    let agent_token = create_token(&service.app, Role::Agent, None).await;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(hotline::http::serve(
        listener,
        service.app.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    TestApp {
        address,
        client: client_with_token(&agent_token),
        app: service.app.clone(),
        service: Some(service),
        shutdown: Some(shutdown),
        server: Some(server),
        setup,
    }
}

/// Creates a token with a fresh name for the role and returns its secret.
pub async fn create_token(app: &App, role: Role, department: Option<&str>) -> String {
    let name = format!("{}-{}", role.as_str(), uuid::Uuid::new_v4().simple());
    let (_, secret) = app
        .create_token(&name, role, department.map(str::to_string))
        .await
        .unwrap_or_else(|err| panic!("create a {role:?} token: {err}"));
    secret
}

/// An HTTP client that sends `Authorization: Bearer <token>` with every request.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
        .expect("a token is a valid header value");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("build an HTTP client")
}

impl TestApp {
    /// A client acting with a new token of `role`.
    pub async fn client_as(&self, role: Role, department: Option<&str>) -> reqwest::Client {
        client_with_token(&create_token(&self.app, role, department).await)
    }

    /// The admin token the first start wrote.
    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.setup.admin_token_file())
            .expect("the first start wrote the admin token")
            .trim()
            .to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("send the request")
    }

    /// `GET /api/v1/search` with the given query parameters.
    pub async fn search(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .get(self.url("/api/v1/search"))
            .query(params)
            .send()
            .await
            .expect("send the search request")
    }

    /// A search that must succeed; returns the JSON body.
    pub async fn search_ok(&self, params: &[(&str, &str)]) -> Value {
        let response = self.search(params).await;
        json_ok(response).await
    }

    /// Stops the server and the service (releasing the index), keeping the files and database.
    pub async fn stop(mut self) -> Setup {
        self.shut_down().await;
        let TestApp { setup, .. } = self;
        setup
    }

    async fn shut_down(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        if let Some(service) = self.service.take() {
            service.stop().await;
        }
    }
}

/// The body of a 200 response as JSON.
pub async fn json_ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.expect("read the body");
    assert_eq!(status, 200, "expected 200, got {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("body is not JSON ({err}): {text}"))
}

/// Checks an error response: the status, and a body of exactly
/// `{"error":{"code","message"}}` (plus optional `details`) with the expected code.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    let actual = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.expect("read the body");
    assert_eq!(actual.as_u16(), status, "unexpected status, body: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "error bodies are JSON, got content-type {content_type:?}: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("error body is not JSON ({err}): {text}"));
    let outer = body.as_object().expect("error body is an object");
    assert_eq!(outer.len(), 1, "only `error` at the top level: {body}");
    let error = outer["error"].as_object().expect("`error` is an object");
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().expect("`message` is a string");
    assert!(!message.trim().is_empty(), "message is not empty: {body}");
    for key in error.keys() {
        assert!(
            ["code", "message", "details"].contains(&key.as_str()),
            "unexpected key {key:?} in {body}"
        );
    }
    body
}

/// The ids of a search response's hits, in order.
pub fn hit_ids(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .expect("hits is an array")
        .iter()
        .map(|hit| hit["id"].as_str().expect("hit id").to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Fixture knowledge bases

/// A knowledge directory: departments, entries and the repository's dictionaries.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    pub departments: Vec<Department>,
    pub entries: Vec<EntryContent>,
}

impl Fixture {
    /// Writes `departments.jsonl`, `entries/fixture.jsonl` and `dict/` (the real dictionaries,
    /// so words are cut as in production).
    pub fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir.join("entries")).unwrap();
        std::fs::create_dir_all(dir.join("dict")).unwrap();
        std::fs::write(dir.join("departments.jsonl"), jsonl(&self.departments)).unwrap();
        std::fs::write(
            dir.join("entries").join("fixture.jsonl"),
            jsonl(&self.entries),
        )
        .unwrap();
        for file in std::fs::read_dir(real_knowledge_dir().join("dict")).unwrap() {
            let file = file.unwrap().path();
            std::fs::copy(&file, dir.join("dict").join(file.file_name().unwrap())).unwrap();
        }
    }
}

/// Serializes values as JSON Lines.
pub fn jsonl<T: serde::Serialize>(items: &[T]) -> String {
    items
        .iter()
        .map(|item| serde_json::to_string(item).unwrap() + "\n")
        .collect()
}

pub fn department(code: &str, name: &str) -> Department {
    Department {
        code: code.into(),
        name: name.into(),
        duties: format!("{name}的职责"),
        keywords: vec![],
    }
}

/// A valid, open-ended, city-wide entry of the housing fund centre; adjust with struct update
/// syntax (`EntryContent { region: "东湖区".into(), ..entry("ID", "标题") }`).
pub fn entry(id: &str, title: &str) -> EntryContent {
    EntryContent {
        id: id.into(),
        title: title.into(),
        questions: vec![],
        answer: format!("{title}答复如下：请按流程办理。"),
        process: vec!["登录网上服务大厅".into(), "提交申请".into()],
        materials: vec!["本人身份证".into()],
        department: "GJJZX".into(),
        category: "住房公积金".into(),
        region: "市级".into(),
        keywords: vec![],
        valid_from: Some("2020-01-01".into()),
        valid_to: None,
    }
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A small knowledge base: a city-wide rent-withdrawal entry with two district variants, an
/// expired and an upcoming coupon policy, and entries of two other departments.
pub fn standard_fixture() -> Fixture {
    Fixture {
        departments: vec![
            department("GJJZX", "江州市住房公积金管理中心"),
            department("SBZX", "江州市社会保险事业管理中心"),
            department("SWJ", "江州市商务局"),
        ],
        entries: vec![
            EntryContent {
                questions: strings(&["租房能提取公积金吗", "租房子怎么取公积金"]),
                answer: "在本市无自有住房且租房居住的职工，可按月或按年提取住房公积金支付房租，每年提取额度不超过1.8万元。".into(),
                keywords: strings(&["租房提取", "房租"]),
                ..entry("FX-GJJ-001", "租房如何提取住房公积金？")
            },
            EntryContent {
                questions: strings(&["东湖区租房能提取公积金吗"]),
                answer: "在东湖区租房居住的职工，租房提取住房公积金的年度额度可提高到2.4万元，可在东湖区政务服务中心公积金窗口办理。".into(),
                keywords: strings(&["东湖区", "租房提取", "房租"]),
                region: "东湖区".into(),
                ..entry("FX-GJJ-002", "东湖区租房如何提取住房公积金？")
            },
            EntryContent {
                questions: strings(&["西山区租房能提取公积金吗"]),
                answer: "在西山区租房居住的职工，租房提取住房公积金可按季度办理，可在西山区政务服务中心公积金窗口办理。".into(),
                keywords: strings(&["西山区", "租房提取", "房租"]),
                region: "西山区".into(),
                ..entry("FX-GJJ-003", "西山区租房如何提取住房公积金？")
            },
            EntryContent {
                questions: strings(&["社保卡丢了怎么办"]),
                answer: "社会保障卡遗失的，可先通过电话或APP挂失，再到社保卡服务网点补办，当场制卡。".into(),
                department: "SBZX".into(),
                category: "社会保险".into(),
                keywords: strings(&["社保卡补办", "社保卡挂失"]),
                ..entry("FX-SB-001", "社会保障卡丢失如何补办？")
            },
            EntryContent {
                questions: strings(&["公积金和社保卡能一起办吗"]),
                answer: "住房公积金联名卡可在社保卡服务网点同时办理，公积金提取款项可直接转入社保卡金融账户。".into(),
                department: "SBZX".into(),
                category: "社会保险".into(),
                keywords: strings(&["公积金联名卡", "社保卡"]),
                ..entry("FX-SB-002", "住房公积金联名社保卡如何办理？")
            },
            EntryContent {
                questions: strings(&["消费券怎么领"]),
                answer: "2000年惠民消费券通过江州通APP领取，每人限领一次，过期作废。".into(),
                department: "SWJ".into(),
                category: "消费促进".into(),
                keywords: strings(&["消费券", "惠民消费券"]),
                valid_from: Some("2000-01-01".into()),
                valid_to: Some("2000-12-31".into()),
                ..entry("FX-XF-001", "2000年惠民消费券如何领取？")
            },
            EntryContent {
                questions: strings(&["以后的消费券怎么领"]),
                answer: "2999年惠民消费券将通过江州通APP发放，具体时间另行公告。".into(),
                department: "SWJ".into(),
                category: "消费促进".into(),
                keywords: strings(&["消费券", "惠民消费券"]),
                valid_from: Some("2999-01-01".into()),
                valid_to: None,
                ..entry("FX-XF-002", "2999年惠民消费券如何领取？")
            },
        ],
    }
}

/// Where the embedding model is installed for tests: `HOTLINE_MODEL_DIR`, else the
/// repository's `models/` (`hotline model fetch`).
pub fn model_dir() -> PathBuf {
    std::env::var_os("HOTLINE_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"))
}
