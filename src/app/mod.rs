//! The application layer shared by the HTTP API and the CLI: it opens the database and the
//! index, keeps the index in step with the database, and runs imports, exports and searches.

mod access;
mod background;
mod dictionaries;
mod feedback;
mod gap_grouping;
mod gaps;
mod hot_topics;
mod knowledge;
mod knowledge_views;
mod lesson_vectors;
mod routing;
mod searches;
mod semantic;
mod spreadsheets;
mod ticket_stats;
mod ticket_transitions;
mod tickets;
mod vector_sync;

pub use access::FIRST_ADMIN;
pub use dictionaries::DictionaryView;
pub use feedback::{FeedbackReceipt, TaskView};
pub use gap_grouping::threshold_for;
use gap_grouping::GapWorker;
pub use gaps::{GapDraftSeed, GapList, GapSort, GapView, MAX_GAPS, READ_GAP};
pub use knowledge::{DraftView, KnowledgeDesk, SimilarEntry};
pub use knowledge_views::{EntryList, EntrySummary, RevisionDiff, RevisionList, RevisionView};
pub use routing::{RoutingDesk, RoutingRequest, RoutingSuggestion};
pub use searches::{SearchLogEntry, READ_SEARCH};
pub use tickets::{SimilarTicket, TicketDesk, TicketDetail, TicketPage, TicketQuery, READ_TICKET};

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use time::Date;

use crate::config::Config;
use crate::db::{Db, EntryWrite, SearchRecord, REINDEX_GENERATION};
use crate::domain::calendar::WorkCalendar;
use crate::domain::clock::Clock;
use crate::domain::date::now_timestamp;
use crate::domain::deadline::DeadlinePolicy;
use crate::domain::import::{validate_parsed, FileKind, ImportProblem, ParsedSource, SourceFile};
use crate::domain::search::{SearchHit, SearchOutcome, SearchRequest};
use crate::domain::spreadsheet::SheetFormat;
use crate::domain::{Department, Entry, Validity};
use crate::error::{AppError, AppResult, Code};
use crate::search::{read_dir_texts, IndexStamp, Lexicon, SearchIndex, SearchResults, Stage};

/// The opened service: the context every workflow shares (configuration, database, index,
/// clock, working-day calendar and deadline rules).
pub struct App {
    pub config: Config,
    pub db: Db,
    pub index: Arc<SearchIndex>,
    /// Where "now" comes from; tests fix it.
    pub clock: Clock,
    pub calendar: WorkCalendar,
    pub policy: DeadlinePolicy,
    /// The routing model, rebuilt when the directory or the ticket history changes.
    router: routing::RouterCell,
    /// Which stored dictionary versions the index was last switched to.
    dictionaries_stamp: tokio::sync::Mutex<String>,
    /// What the searched entry vectors reflect; held while they are brought up to date.
    vector_stamp: tokio::sync::Mutex<Option<vector_sync::VectorStamp>>,
    /// (model, routing stamp) when every lesson last had a vector; held while embedding them.
    lessons_embedded: tokio::sync::Mutex<Option<(String, String)>>,
    /// The knowledge-gap grouping state, one pass at a time.
    gap_worker: tokio::sync::Mutex<GapWorker>,
}

/// How the index was brought up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexSync {
    UpToDate,
    Updated(usize),
    Rebuilt(usize),
    /// Another process (a running server) holds the index; it syncs by itself.
    Deferred,
}

/// What an import did.
#[derive(Debug)]
pub struct ImportReport {
    pub files: Vec<PathBuf>,
    pub write: EntryWrite,
    pub index: IndexSync,
}

impl App {
    /// Connects to (and if needed creates and migrates) the database, loads the dictionaries
    /// and opens the index. Does not fill the index: call [`App::sync_index`].
    pub async fn open(config: Config) -> AppResult<App> {
        let db = Db::connect(&config.database_url).await?;
        let calendar = load_calendar(&config.knowledge_dir)?;
        let policy = DeadlinePolicy::load(&config.knowledge_dir.join("deadlines.json"))?;
        // The dictionaries live in the database once seeded from the knowledge directory.
        let shipped = read_dir_texts(&config.dict_dir())?;
        db.seed_dictionaries(&shipped, &now_timestamp()).await?;
        let dictionaries_stamp = db.dictionaries_stamp().await?;
        let texts: Vec<(String, String)> = db
            .dictionaries()
            .await?
            .into_iter()
            .map(|d| (d.name, d.content))
            .collect();
        let index_dir = config.index_dir.join("knowledge");
        let index = tokio::task::spawn_blocking(move || -> AppResult<SearchIndex> {
            let lexicon = Arc::new(Lexicon::from_named(&texts)?);
            SearchIndex::open(&index_dir, lexicon)
        })
        .await??;
        Ok(App {
            clock: config.clock.clone(),
            config,
            db,
            index: Arc::new(index),
            calendar,
            policy,
            router: routing::RouterCell::default(),
            dictionaries_stamp: tokio::sync::Mutex::new(dictionaries_stamp),
            vector_stamp: tokio::sync::Mutex::new(None),
            lessons_embedded: tokio::sync::Mutex::new(None),
            gap_worker: tokio::sync::Mutex::new(GapWorker::default()),
        })
    }

    /// Makes the index reflect the database: a full rebuild when it is empty, was built from
    /// another database state that cannot be caught up, or a reindex was requested; otherwise
    /// only the entries changed since the last sync.
    pub async fn sync_index(&self, force_rebuild: bool) -> AppResult<IndexSync> {
        let fingerprint = self.db.knowledge_fingerprint().await?;
        let generation = self.db.meta(REINDEX_GENERATION).await?.unwrap_or_default();
        let stamp = self.index.stamp();
        let new_stamp = IndexStamp {
            knowledge: fingerprint.as_text(),
            high_water: fingerprint.last_update.clone(),
            entries: fingerprint.entries,
            generation: generation.clone(),
            ..IndexStamp::default()
        };
        let incremental_from = match &stamp {
            Some(s) if !force_rebuild && s.generation == generation => {
                if s.knowledge == new_stamp.knowledge {
                    return Ok(IndexSync::UpToDate);
                }
                fingerprint
                    .follows(&s.high_water, s.entries)
                    .then(|| s.high_water.clone())
            }
            _ => None,
        };
        let index = self.index.clone();
        let result = match incremental_from {
            Some(since) => {
                let changed = self.db.entries_changed_since(&since).await?;
                let count = changed.len();
                tokio::task::spawn_blocking(move || index.upsert(&changed, new_stamp))
                    .await?
                    .map(|()| IndexSync::Updated(count))
            }
            None => {
                let entries = self.db.published_entries().await?;
                let count = entries.len();
                tokio::task::spawn_blocking(move || index.replace_all(&entries, new_stamp))
                    .await?
                    .map(|()| IndexSync::Rebuilt(count))
            }
        };
        match result {
            Err(err) if err.code == Code::IndexLocked => Ok(IndexSync::Deferred),
            other => other,
        }
    }

    /// Asks for a full rebuild. When a running server holds the index, the request is left in
    /// the database and the server rebuilds at its next sync.
    pub async fn reindex(&self) -> AppResult<IndexSync> {
        match self.sync_index(true).await? {
            IndexSync::Deferred => {
                self.db
                    .set_meta(REINDEX_GENERATION, &now_timestamp())
                    .await?;
                Ok(IndexSync::Deferred)
            }
            done => Ok(done),
        }
    }

    /// Validates every file and writes them only when all are clean. `.csv` and `.xlsx` files
    /// are entry spreadsheets; any other file is JSON Lines.
    pub async fn import(&self, paths: &[PathBuf]) -> AppResult<ImportReport> {
        let files = collect_import_files(paths)?;
        let mut sources = Vec::with_capacity(files.len());
        for (path, kind) in &files {
            let name = path.display().to_string();
            let unreadable = |err: std::io::Error| {
                AppError::new(Code::ImportInvalid, format!("{name}: 无法读取：{err}"))
            };
            if let Some(format) = SheetFormat::from_name(&name) {
                let bytes = std::fs::read(path).map_err(unreadable)?;
                sources.push(spreadsheets::read_sheet(&name, format, bytes).await?);
            } else {
                let text = std::fs::read_to_string(path).map_err(unreadable)?;
                let file = SourceFile {
                    name: name.clone(),
                    kind: *kind,
                    text,
                };
                sources.push(file.parse());
            }
        }
        let (write, index) = self.import_sources(&sources).await?;
        Ok(ImportReport {
            files: files.into_iter().map(|(p, _)| p).collect(),
            write,
            index,
        })
    }

    /// Validates sources already read and writes them only when all are clean, publishing
    /// their entries, then brings the index up to date.
    pub async fn import_sources(
        &self,
        sources: &[ParsedSource],
    ) -> AppResult<(EntryWrite, IndexSync)> {
        let known = self.db.department_codes().await?;
        let batch = validate_parsed(sources, &known).map_err(import_error)?;
        let write = self.db.apply_import(&batch, &now_timestamp()).await?;
        let index = self.sync_index(false).await?;
        Ok((write, index))
    }

    /// On first start with an empty database, imports the sample knowledge base.
    pub async fn import_knowledge_if_empty(&self) -> AppResult<Option<ImportReport>> {
        if self.db.count_entries().await? > 0 {
            return Ok(None);
        }
        let dir = &self.config.knowledge_dir;
        let mut paths = Vec::new();
        let departments = dir.join("departments.jsonl");
        if departments.exists() {
            paths.push(departments);
        }
        if dir.join("entries").exists() {
            paths.push(dir.join("entries"));
        }
        if paths.is_empty() {
            tracing::warn!(dir = %dir.display(), "no knowledge base found to import on first start");
            return Ok(None);
        }
        self.import(&paths).await.map(Some)
    }

    /// Writes `departments.jsonl` and `entries.jsonl` (published entries) into `dir`.
    pub async fn export(&self, dir: &Path) -> AppResult<(usize, usize)> {
        let departments = self.db.departments().await?;
        let entries = self.db.published_entries().await?;
        std::fs::create_dir_all(dir)?;
        let mut text = String::new();
        for department in &departments {
            text.push_str(&serde_json::to_string(department)?);
            text.push('\n');
        }
        std::fs::write(dir.join("departments.jsonl"), &text)?;
        text.clear();
        for entry in &entries {
            text.push_str(&serde_json::to_string(&entry.content)?);
            text.push('\n');
        }
        std::fs::write(dir.join("entries.jsonl"), &text)?;
        Ok((departments.len(), entries.len()))
    }

    /// Runs a search and records it in the search log, with the token that ran it (`None` from
    /// the command line).
    pub async fn search(
        &self,
        request: SearchRequest,
        token_name: Option<&str>,
    ) -> AppResult<SearchOutcome> {
        let started = Instant::now();
        let results = self.run_search(request.clone()).await?;
        let took_ms = started.elapsed().as_secs_f64() * 1000.0;
        let search_id = uuid::Uuid::now_v7().to_string();
        let outcome = outcome(search_id, results, took_ms, self.clock.today());
        let record = SearchRecord {
            id: outcome.search_id.clone(),
            query: request.q.clone(),
            params: serde_json::json!({
                "region": request.region,
                "department": request.department,
                "category": request.category,
                "limit": request.limit,
                "include_expired": request.include_expired,
                "ranked_region": outcome.interpretation.region,
            })
            .to_string(),
            returned_ids: outcome.hits.iter().map(|h| h.id.clone()).collect(),
            no_answer: outcome.no_answer,
            confidence: f64::from(outcome.confidence),
            took_ms,
            created_at: self.clock.timestamp(),
            token_name: token_name.map(str::to_string),
        };
        self.db.record_search(&record).await?;
        self.observe_search(&record).await;
        Ok(outcome)
    }

    /// A search without logging, as agents see it today (by the service's clock).
    pub async fn run_search(&self, request: SearchRequest) -> AppResult<SearchResults> {
        self.run_search_on(request, self.clock.today()).await
    }

    /// A search without logging as agents would see it on `day` (which policies are in force).
    pub async fn run_search_on(
        &self,
        request: SearchRequest,
        day: Date,
    ) -> AppResult<SearchResults> {
        self.run_search_with(request, day, Stage::Hybrid).await
    }

    /// A search without logging running the given stages, for evaluation.
    pub async fn run_search_with(
        &self,
        request: SearchRequest,
        day: Date,
        stage: Stage,
    ) -> AppResult<SearchResults> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.search_with(&request, day, stage)).await?
    }

    /// A search without logging as agents see it today, its results handed to `then` on the
    /// same blocking thread (one hop off the runtime for both).
    pub async fn run_search_then<T: Send + 'static>(
        &self,
        request: SearchRequest,
        then: impl FnOnce(SearchResults) -> T + Send + 'static,
    ) -> AppResult<T> {
        let index = self.index.clone();
        let day = self.clock.today();
        tokio::task::spawn_blocking(move || {
            index.search_with(&request, day, Stage::Hybrid).map(then)
        })
        .await?
    }

    /// The plain-BM25 baseline on `day`, for evaluation.
    pub async fn run_plain_search(
        &self,
        q: String,
        limit: usize,
        day: Date,
    ) -> AppResult<Vec<String>> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.search_plain(&q, limit, day)).await?
    }

    pub async fn entry(&self, id: &str) -> AppResult<Entry> {
        self.db
            .entry(id)
            .await?
            .ok_or_else(|| AppError::new(Code::EntryNotFound, format!("知识条目 {id} 不存在")))
    }

    /// Whether an entry with this id is stored, in any status.
    pub async fn db_entry_exists(&self, id: &str) -> AppResult<bool> {
        Ok(self.db.entry(id).await?.is_some())
    }

    pub async fn departments(&self) -> AppResult<Vec<Department>> {
        self.db.departments().await
    }

    /// Fails with `unknown_department` unless `code` is a department of the directory.
    pub async fn require_department(&self, code: &str, field: &str) -> AppResult<()> {
        if self.db.department_codes().await?.contains(code) {
            Ok(())
        } else {
            Err(AppError::new(
                Code::UnknownDepartment,
                format!("{field} 中的部门编码 {code} 不存在"),
            ))
        }
    }

    /// Releases the index writer and closes the database.
    pub async fn close(&self) {
        let index = self.index.clone();
        let _ = tokio::task::spawn_blocking(move || index.close()).await;
        self.db.close().await;
    }
}

fn outcome(search_id: String, results: SearchResults, took_ms: f64, day: Date) -> SearchOutcome {
    let hits = results
        .hits
        .into_iter()
        .map(|ranked| {
            let validity = ranked.entry.content.validity_on(day);
            let c = ranked.entry.content;
            SearchHit {
                id: c.id,
                title: c.title,
                score: ranked.score,
                department: c.department,
                category: c.category,
                region: c.region,
                snippet: ranked.snippet,
                answer: c.answer,
                process: c.process,
                materials: c.materials,
                valid_from: c.valid_from,
                valid_to: c.valid_to,
                validity,
                expired: validity == Validity::Expired,
                revision: ranked.entry.revision,
                similarity: ranked.similarity,
            }
        })
        .collect();
    SearchOutcome {
        search_id,
        no_answer: results.no_answer,
        confidence: results.confidence,
        took_ms,
        interpretation: results.interpretation,
        hits,
    }
}

/// The working-day calendar of the knowledge directory, or the shipped one when it has none.
fn load_calendar(knowledge_dir: &Path) -> AppResult<WorkCalendar> {
    let dir = knowledge_dir.join("calendar");
    if dir.is_dir() {
        WorkCalendar::load_dir(&dir)
    } else {
        tracing::warn!(dir = %dir.display(), "no calendar directory: using the calendar built into the binary");
        Ok(WorkCalendar::builtin())
    }
}

fn import_error(problems: Vec<ImportProblem>) -> AppError {
    let count = problems.len();
    AppError::new(
        Code::ImportInvalid,
        format!("导入内容有 {count} 处错误，未写入任何数据"),
    )
    .with_details(problems.iter().map(ToString::to_string).collect())
}

/// Files to import, departments first. A directory contributes its `*.jsonl` files
/// recursively (skipping `eval/`, which holds evaluation queries); a file whose name starts with
/// `departments` holds departments, any other holds entries.
fn collect_import_files(paths: &[PathBuf]) -> AppResult<Vec<(PathBuf, FileKind)>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(AppError::new(
                Code::ImportInvalid,
                format!("{}: 文件或目录不存在", path.display()),
            ));
        }
    }
    let mut seen = HashSet::new();
    files.retain(|p| seen.insert(p.clone()));
    let mut typed: Vec<(PathBuf, FileKind)> = files
        .into_iter()
        .map(|p| {
            let is_departments = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("departments"));
            let kind = if is_departments {
                FileKind::Departments
            } else {
                FileKind::Entries
            };
            (p, kind)
        })
        .collect();
    typed.sort_by_key(|(p, kind)| (*kind == FileKind::Entries, p.clone()));
    Ok(typed)
}

fn walk(dir: &Path, into: &mut Vec<PathBuf>) -> AppResult<()> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    children.sort();
    for child in children {
        if child.is_dir() {
            if child.file_name().is_some_and(|n| n != "eval") {
                walk(&child, into)?;
            }
        } else if child.extension().is_some_and(|e| e == "jsonl") {
            into.push(child);
        }
    }
    Ok(())
}

/// A prepared service: the app plus its background work.
pub struct Service {
    pub app: Arc<App>,
    background: background::Background,
}

impl Service {
    /// Stops the background work, releases the index and closes the database.
    pub async fn stop(self) {
        self.background.stop().await;
        self.app.close().await;
    }
}

/// Everything `serve` does before it listens: open, import the knowledge directory on first
/// start, bring the index up to date and start the background work.
pub async fn prepare_service(config: Config) -> AppResult<Service> {
    let app = Arc::new(App::open(config).await?);
    if let Some(report) = app.import_knowledge_if_empty().await? {
        tracing::info!(
            files = report.files.len(),
            entries = report.write.created,
            "imported the knowledge directory on first start"
        );
    }
    if let Some((path, secret)) = app.create_first_admin_token().await? {
        tracing::info!(file = %path.display(), "created the first admin token");
        eprintln!(
            "首次启动：已创建管理员令牌（只显示这一次，已保存到 {}，仅所有者可读）：\n{secret}",
            path.display()
        );
    }
    match app.sync_index(false).await? {
        IndexSync::Deferred => {
            return Err(AppError::new(
                Code::IndexLocked,
                format!(
                "索引目录 {} 正被另一个 hotline serve 使用：每个实例需要自己的 HOTLINE_INDEX_DIR",
                app.config.index_dir.display()
            ),
            ))
        }
        sync => tracing::info!(?sync, documents = app.index.doc_count(), "index ready"),
    }
    app.routing().refresh().await?;
    if app.config.semantic == crate::config::SemanticMode::On {
        app.open_encoder(1, true)
            .await
            .map_err(semantic::required_model_error)?;
    }
    let background = background::Background::start(app.clone());
    Ok(Service { app, background })
}
