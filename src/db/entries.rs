//! SQL for knowledge entries and their revision history.

use std::collections::HashMap;

use sqlx::{Any, Transaction};

use super::drafts::ContentRow;
use super::{to_json_text, Db};
use crate::domain::import::ImportBatch;
use crate::domain::{Entry, EntryContent, EntryStatus};
use crate::error::{AppError, AppResult};

const PUBLISHED: EntryStatus = EntryStatus::Published;
pub(super) const ENTRY_COLUMNS: &str = "id AS entry_id, title, questions, answer, process, materials, department, category, region, keywords, valid_from, valid_to, status, revision, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct EntryRow {
    #[sqlx(flatten)]
    content: ContentRow,
    status: String,
    revision: i64,
    created_at: String,
    updated_at: String,
}

impl TryFrom<EntryRow> for Entry {
    type Error = AppError;

    fn try_from(row: EntryRow) -> AppResult<Entry> {
        let status = EntryStatus::parse(&row.status).ok_or_else(|| {
            AppError::internal(format!(
                "条目 {} 的状态 {:?} 无法识别",
                row.content.entry_id, row.status
            ))
        })?;
        Ok(Entry {
            content: row.content.into(),
            status,
            revision: row.revision,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(super) fn entries_from_rows(rows: Vec<EntryRow>) -> AppResult<Vec<Entry>> {
    rows.into_iter().map(Entry::try_from).collect()
}

/// What an import did to the entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryWrite {
    pub departments: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A cheap summary of the knowledge tables; when it differs from the one the index was built
/// from, the index is stale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnowledgeFingerprint {
    pub entries: i64,
    pub revisions: i64,
    pub last_update: String,
}

impl KnowledgeFingerprint {
    pub fn as_text(&self) -> String {
        format!("{}:{}:{}", self.entries, self.revisions, self.last_update)
    }

    /// Whether this state can be reached from one whose latest update was `high_water` with
    /// `entries` entries by taking only the entries changed since (none went away, the clock
    /// did not go back); otherwise whatever was derived from that state is rebuilt.
    pub fn follows(&self, high_water: &str, entries: i64) -> bool {
        self.last_update.as_str() >= high_water && self.entries >= entries
    }
}

impl Db {
    pub async fn entry(&self, id: &str) -> AppResult<Option<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE id = $1");
        let row = sqlx::query_as::<_, EntryRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Entry::try_from).transpose()
    }

    /// Published entries ordered by id: what agents can find and what export writes.
    pub async fn published_entries(&self) -> AppResult<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE status = $1 ORDER BY id");
        let rows = sqlx::query_as::<_, EntryRow>(&sql)
            .bind(EntryStatus::Published.as_str())
            .fetch_all(&self.pool)
            .await?;
        entries_from_rows(rows)
    }

    /// Entries of any status changed at or after `since`, for keeping the index in step.
    pub async fn entries_changed_since(&self, since: &str) -> AppResult<Vec<Entry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE updated_at >= $1 ORDER BY updated_at"
        );
        let rows = sqlx::query_as::<_, EntryRow>(&sql)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        entries_from_rows(rows)
    }

    pub async fn count_entries(&self) -> AppResult<i64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM entries")
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    pub async fn knowledge_fingerprint(&self) -> AppResult<KnowledgeFingerprint> {
        let (entries, revisions, last_update): (i64, i64, String) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(revision), 0) AS BIGINT), COALESCE(MAX(updated_at), '')
             FROM entries",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(KnowledgeFingerprint {
            entries,
            revisions,
            last_update,
        })
    }

    /// Writes a validated import in one transaction: departments are upserted by code,
    /// entries by id. A changed entry gets the next revision and the new state is appended to
    /// its history; an unchanged entry is left alone.
    pub async fn apply_import(&self, batch: &ImportBatch, now: &str) -> AppResult<EntryWrite> {
        let current: HashMap<String, Entry> = self
            .all_entries()
            .await?
            .into_iter()
            .map(|e| (e.content.id.clone(), e))
            .collect();
        let newest = self.newest_revisions().await?;
        let mut tx = self.pool.begin().await?;
        let mut write = EntryWrite::default();
        for department in &batch.departments {
            Db::upsert_department(&mut tx, department, now).await?;
            write.departments += 1;
        }
        for content in &batch.entries {
            match current.get(&content.id) {
                Some(existing)
                    if existing.content == *content
                        && existing.status == EntryStatus::Published =>
                {
                    write.unchanged += 1;
                }
                Some(existing) => {
                    // An open draft may hold a newer revision number than the published one.
                    let newest = newest.get(&content.id).copied().unwrap_or_default();
                    let revision = existing.revision.max(newest) + 1;
                    write_entry(&mut tx, UPDATE_ENTRY, content, PUBLISHED, revision, now).await?;
                    write_entry(&mut tx, INSERT_REVISION, content, PUBLISHED, revision, now)
                        .await?;
                    write.updated += 1;
                }
                None => {
                    write_entry(&mut tx, INSERT_ENTRY, content, PUBLISHED, 1, now).await?;
                    write_entry(&mut tx, INSERT_REVISION, content, PUBLISHED, 1, now).await?;
                    write.created += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(write)
    }

    async fn all_entries(&self) -> AppResult<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries");
        let rows = sqlx::query_as::<_, EntryRow>(&sql)
            .fetch_all(&self.pool)
            .await?;
        entries_from_rows(rows)
    }

    /// The newest revision number of every entry, drafts included.
    async fn newest_revisions(&self) -> AppResult<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT entry_id, CAST(MAX(revision) AS BIGINT) FROM entry_revisions GROUP BY entry_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// Every saved revision of an entry, oldest first.
    pub async fn entry_revisions(&self, id: &str) -> AppResult<Vec<Entry>> {
        let rows = sqlx::query_as::<_, EntryRow>(
            "SELECT entry_id, title, questions, answer, process, materials, department, category,
                    region, keywords, valid_from, valid_to, status, revision,
                    saved_at AS created_at, saved_at AS updated_at
             FROM entry_revisions WHERE entry_id = $1 ORDER BY revision",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        entries_from_rows(rows)
    }
}

/// The three statements that write an entry's state. Each takes the content fields as
/// `$1`–`$12` in interchange order, then status, revision and the timestamp.
pub(super) const INSERT_ENTRY: &str =
    "INSERT INTO entries (id, title, questions, answer, process, materials, department,
        category, region, keywords, valid_from, valid_to, status, revision, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)";
pub(super) const UPDATE_ENTRY: &str =
    "UPDATE entries SET title = $2, questions = $3, answer = $4, process = $5,
        materials = $6, department = $7, category = $8, region = $9, keywords = $10,
        valid_from = $11, valid_to = $12, status = $13, revision = $14, updated_at = $15
     WHERE id = $1";
const INSERT_REVISION: &str =
    "INSERT INTO entry_revisions (entry_id, title, questions, answer, process, materials,
        department, category, region, keywords, valid_from, valid_to, status, revision, saved_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

pub(super) async fn write_entry(
    tx: &mut Transaction<'static, Any>,
    sql: &str,
    e: &EntryContent,
    status: EntryStatus,
    revision: i64,
    now: &str,
) -> AppResult<()> {
    sqlx::query(sql)
        .bind(&e.id)
        .bind(&e.title)
        .bind(to_json_text(&e.questions))
        .bind(&e.answer)
        .bind(to_json_text(&e.process))
        .bind(to_json_text(&e.materials))
        .bind(&e.department)
        .bind(&e.category)
        .bind(&e.region)
        .bind(to_json_text(&e.keywords))
        .bind(e.valid_from.clone())
        .bind(e.valid_to.clone())
        .bind(status.as_str())
        .bind(revision)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
