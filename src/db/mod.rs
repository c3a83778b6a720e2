//! The database: connection, migrations and every SQL statement, grouped by table family.
//! One code path serves SQLite and PostgreSQL through `sqlx::Any` with `$1` placeholders;
//! integers are `BIGINT`/`INTEGER` (decoded as `i64`), timestamps and dates are text.

mod departments;
mod dictionaries;
mod drafts;
mod entries;
mod feedback;
mod gaps;
mod hot_topics;
mod meta;
mod routing_history;
mod searches;
mod ticket_batch;
mod ticket_reports;
mod tickets;
mod tokens;
mod vectors;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

use crate::error::{AppError, AppResult, Code};

pub use dictionaries::StoredDictionary;
pub use drafts::DraftWrite;
pub use entries::{EntryWrite, KnowledgeFingerprint};
pub use feedback::{NewFeedback, TaskFilter, TaskRow};
pub use gaps::{GapMember, GapRow, GapSampleRow, NewObservation, PendingObservation, Placed};
pub use hot_topics::{SearchNeedCount, TicketNeedCount};
pub use meta::REINDEX_GENERATION;
pub use routing_history::{RoutingLesson, UnembeddedLesson};
pub use searches::{SearchFilter, SearchRecord};
pub use ticket_batch::TicketWrite;
pub use tickets::TicketFilter;
pub use tokens::{AuditRecord, TokenInfo};
pub use vectors::{EntryFactsRow, StoredVector};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A connection pool to the source of truth, and the writer of new tickets.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    tickets: Arc<ticket_batch::TicketWriter>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("pool", &self.pool)
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects, creating the database when it does not exist yet, and runs the migrations.
    pub async fn connect(url: &str) -> AppResult<Db> {
        sqlx::any::install_default_drivers();
        let (engine, url) = normalize_url(url)?;
        if engine == Engine::Sqlite {
            if let Some(parent) =
                sqlite_path(&url).and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
            {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(&parent)?;
                }
            }
        }
        if !Any::database_exists(&url).await.unwrap_or(false) {
            Any::create_database(&url).await.map_err(|err| {
                AppError::new(Code::DatabaseUnavailable, format!("无法创建数据库：{err}"))
            })?;
        }
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let max_connections = if engine == Engine::Sqlite { 8 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        let db = Db {
            pool,
            engine,
            tickets: Arc::new(ticket_batch::TicketWriter::new(options, engine)),
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> AppResult<()> {
        let migrator = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> AppResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Connections in the pool: (open, idle).
    pub fn pool_stats(&self) -> (u32, u32) {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        (self.pool.size(), idle)
    }

    /// Writes the tickets still queued, then closes every connection.
    pub async fn close(&self) {
        self.tickets.close().await;
        self.pool.close().await;
    }
}

/// Recognises the engine and makes SQLite URLs create their file.
fn normalize_url(url: &str) -> AppResult<(Engine, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Engine::Postgres, url.to_string()));
    }
    if url.starts_with("sqlite:") {
        let url = if url.contains("mode=") {
            url.to_string()
        } else if url.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        };
        return Ok((Engine::Sqlite, url));
    }
    Err(AppError::new(
        Code::InvalidDatabaseUrl,
        format!("无法识别的数据库地址 {url:?}：应以 sqlite:// 或 postgres:// 开头"),
    ))
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Encodes a list field for storage.
fn to_json_text(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// Decodes a stored list field; a damaged value reads as empty rather than failing a request.
fn from_json_text(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_their_file_and_keep_other_options() {
        assert_eq!(
            normalize_url("sqlite://data/h.db").unwrap(),
            (Engine::Sqlite, "sqlite://data/h.db?mode=rwc".into())
        );
        assert_eq!(
            normalize_url("sqlite://h.db?cache=shared").unwrap().1,
            "sqlite://h.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            normalize_url("postgres://u@h/db").unwrap().0,
            Engine::Postgres
        );
        assert!(normalize_url("mysql://x").is_err());
        assert_eq!(
            sqlite_path("sqlite://data/h.db?mode=rwc"),
            Some("data/h.db")
        );
    }
}
