//! SQL for editing and review: open drafts, saved revisions with their author and note, the
//! editorial event log, publication of an approved draft, and the editors' entry lists.

use sqlx::{Any, Transaction};

use super::entries::{
    entries_from_rows, write_entry, EntryRow, ENTRY_COLUMNS, INSERT_ENTRY, UPDATE_ENTRY,
};
use super::{from_json_text, to_json_text, Db};
use crate::domain::draft::{Draft, DraftAction, DraftState, EntryEvent, EntryEventKind, Revision};
use crate::domain::{Entry, EntryContent, EntryStatus};
use crate::error::{AppError, AppResult, Code};

const CONTENT_COLUMNS: &str = "r.entry_id, r.title, r.questions, r.answer, r.process, r.materials, r.department, r.category, r.region, r.keywords, r.valid_from, r.valid_to";

#[derive(sqlx::FromRow)]
pub(super) struct ContentRow {
    pub(super) entry_id: String,
    title: String,
    questions: String,
    answer: String,
    process: String,
    materials: String,
    department: String,
    category: String,
    region: String,
    keywords: String,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

impl From<ContentRow> for EntryContent {
    fn from(row: ContentRow) -> EntryContent {
        EntryContent {
            id: row.entry_id,
            title: row.title,
            questions: from_json_text(&row.questions),
            answer: row.answer,
            process: from_json_text(&row.process),
            materials: from_json_text(&row.materials),
            department: row.department,
            category: row.category,
            region: row.region,
            keywords: from_json_text(&row.keywords),
            valid_from: row.valid_from,
            valid_to: row.valid_to,
        }
    }
}

#[derive(sqlx::FromRow)]
struct DraftRow {
    #[sqlx(flatten)]
    content: ContentRow,
    revision: i64,
    base_revision: Option<i64>,
    state: String,
    action: String,
    author: String,
    review_comment: Option<String>,
    origin: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<DraftRow> for Draft {
    type Error = AppError;

    fn try_from(row: DraftRow) -> AppResult<Draft> {
        let bad = |what: &str, value: &str| {
            AppError::internal(format!(
                "草稿 {} 的{what} {value:?} 无法识别",
                row.content.entry_id
            ))
        };
        let state = DraftState::parse(&row.state).ok_or_else(|| bad("状态", &row.state))?;
        let action = DraftAction::parse(&row.action).ok_or_else(|| bad("动作", &row.action))?;
        Ok(Draft {
            content: row.content.into(),
            revision: row.revision,
            base_revision: row.base_revision,
            state,
            action,
            author: row.author,
            review_comment: row.review_comment,
            origin: row.origin,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    #[sqlx(flatten)]
    content: ContentRow,
    revision: i64,
    status: String,
    author: Option<String>,
    note: Option<String>,
    saved_at: String,
}

impl From<RevisionRow> for Revision {
    fn from(row: RevisionRow) -> Revision {
        Revision {
            revision: row.revision,
            content: row.content.into(),
            status: row.status,
            author: row.author,
            note: row.note,
            saved_at: row.saved_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    revision: i64,
    action: String,
    actor: String,
    comment: Option<String>,
    at: String,
}

/// A draft revision to store, and the history line that explains it.
pub struct DraftWrite<'a> {
    pub draft: &'a Draft,
    pub note: Option<&'a str>,
    pub event: EntryEventKind,
}

const DRAFT_SELECT: &str = "SELECT r.entry_id, r.title, r.questions, r.answer, r.process, r.materials, r.department, r.category, r.region, r.keywords, r.valid_from, r.valid_to,
        d.revision, d.base_revision, d.state, d.action, d.author, d.review_comment, d.origin,
        d.created_at, d.updated_at
     FROM entry_drafts d JOIN entry_revisions r
       ON r.entry_id = d.entry_id AND r.revision = d.revision";

impl Db {
    /// The newest revision number of an entry, drafts included; `None` for an unknown id.
    pub async fn newest_revision(&self, id: &str) -> AppResult<Option<i64>> {
        let (newest,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(MAX(revision) AS BIGINT) FROM entry_revisions WHERE entry_id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(newest)
    }

    pub async fn draft(&self, id: &str) -> AppResult<Option<Draft>> {
        let sql = format!("{DRAFT_SELECT} WHERE d.entry_id = $1");
        let row = sqlx::query_as::<_, DraftRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Draft::try_from).transpose()
    }

    /// The open draft started from `origin` (e.g. a knowledge gap), if any.
    pub async fn draft_with_origin(&self, origin: &str) -> AppResult<Option<Draft>> {
        let sql = format!("{DRAFT_SELECT} WHERE d.origin = $1 ORDER BY d.created_at LIMIT 1");
        let row = sqlx::query_as::<_, DraftRow>(&sql)
            .bind(origin)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Draft::try_from).transpose()
    }

    /// Open drafts, optionally in one state, least recently changed first (a review queue).
    pub async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: i64,
        offset: i64,
    ) -> AppResult<Vec<Draft>> {
        let sql = format!(
            "{DRAFT_SELECT} WHERE ($1 = '' OR d.state = $1)
             ORDER BY d.updated_at, d.entry_id LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query_as::<_, DraftRow>(&sql)
            .bind(state.map(|s| s.as_str()).unwrap_or(""))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Draft::try_from).collect()
    }

    /// Saves a draft revision and points the entry's draft at it, in one transaction. Two
    /// editors saving the same revision number at once: one wins, the other gets
    /// `revision_conflict`.
    pub async fn save_draft(&self, write: DraftWrite<'_>) -> AppResult<()> {
        let d = write.draft;
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO entry_revisions (entry_id, title, questions, answer, process, materials,
                department, category, region, keywords, valid_from, valid_to, status, revision,
                saved_at, author, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&d.content.id)
        .bind(&d.content.title)
        .bind(to_json_text(&d.content.questions))
        .bind(&d.content.answer)
        .bind(to_json_text(&d.content.process))
        .bind(to_json_text(&d.content.materials))
        .bind(&d.content.department)
        .bind(&d.content.category)
        .bind(&d.content.region)
        .bind(to_json_text(&d.content.keywords))
        .bind(d.content.valid_from.clone())
        .bind(d.content.valid_to.clone())
        .bind(EntryStatus::Draft.as_str())
        .bind(d.revision)
        .bind(&d.updated_at)
        .bind(&d.author)
        .bind(write.note.map(str::to_string))
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            return Err(revision_taken(err, &d.content.id, d.revision));
        }
        sqlx::query(
            "INSERT INTO entry_drafts (entry_id, revision, base_revision, state, action, author,
                review_comment, origin, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (entry_id) DO UPDATE SET revision = excluded.revision,
                base_revision = excluded.base_revision, state = excluded.state,
                action = excluded.action, author = excluded.author,
                review_comment = excluded.review_comment, updated_at = excluded.updated_at",
        )
        .bind(&d.content.id)
        .bind(d.revision)
        .bind(d.base_revision)
        .bind(d.state.as_str())
        .bind(d.action.as_str())
        .bind(&d.author)
        .bind(d.review_comment.clone())
        .bind(d.origin.clone())
        .bind(&d.created_at)
        .bind(&d.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_event(
            &mut tx,
            &d.content.id,
            d.revision,
            write.event,
            &d.author,
            write.note,
            &d.updated_at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a draft to `state` (submit, reject), unless it changed since it was read.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_draft_state(
        &self,
        draft: &Draft,
        state: DraftState,
        event: EntryEventKind,
        actor: &str,
        comment: Option<&str>,
        now: &str,
    ) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        let review_comment = match event {
            EntryEventKind::Rejected => comment.map(str::to_string),
            _ => draft.review_comment.clone(),
        };
        let updated = sqlx::query(
            "UPDATE entry_drafts SET state = $3, review_comment = $4, updated_at = $5
             WHERE entry_id = $1 AND revision = $2 AND state = $6",
        )
        .bind(&draft.content.id)
        .bind(draft.revision)
        .bind(state.as_str())
        .bind(review_comment)
        .bind(now)
        .bind(draft.state.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(draft_changed(&draft.content.id));
        }
        insert_event(
            &mut tx,
            &draft.content.id,
            draft.revision,
            event,
            actor,
            comment,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Publishes an approved draft (or retires the entry), closes the draft and records who
    /// approved it, in one transaction. Refused when the published entry changed since the
    /// draft was based on it (an import in between).
    pub async fn publish_draft(
        &self,
        draft: &Draft,
        reviewer: &str,
        comment: Option<&str>,
        now: &str,
    ) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        let published: Option<(i64,)> =
            sqlx::query_as("SELECT revision FROM entries WHERE id = $1")
                .bind(&draft.content.id)
                .fetch_optional(&mut *tx)
                .await?;
        let published = published.map(|(r,)| r);
        if published != draft.base_revision {
            return Err(AppError::new(
                Code::RevisionConflict,
                format!(
                    "条目 {} 的已发布版本在草稿编写期间已更新（现为修订 {}）：请编辑人员基于最新版本重新保存草稿",
                    draft.content.id,
                    published.unwrap_or_default()
                ),
            ));
        }
        match (draft.action, published) {
            (DraftAction::Publish, Some(_)) => {
                write_entry(
                    &mut tx,
                    UPDATE_ENTRY,
                    &draft.content,
                    EntryStatus::Published,
                    draft.revision,
                    now,
                )
                .await?
            }
            (DraftAction::Publish, None) => {
                write_entry(
                    &mut tx,
                    INSERT_ENTRY,
                    &draft.content,
                    EntryStatus::Published,
                    draft.revision,
                    now,
                )
                .await?
            }
            (DraftAction::Retire, _) => {
                write_entry(
                    &mut tx,
                    UPDATE_ENTRY,
                    &draft.content,
                    EntryStatus::Retired,
                    draft.revision,
                    now,
                )
                .await?
            }
        }
        sqlx::query("UPDATE entries SET reviewed_at = $2 WHERE id = $1")
            .bind(&draft.content.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let closed = sqlx::query(
            "DELETE FROM entry_drafts WHERE entry_id = $1 AND revision = $2 AND state = $3",
        )
        .bind(&draft.content.id)
        .bind(draft.revision)
        .bind(DraftState::Submitted.as_str())
        .execute(&mut *tx)
        .await?;
        if closed.rows_affected() != 1 {
            return Err(draft_changed(&draft.content.id));
        }
        insert_event(
            &mut tx,
            &draft.content.id,
            draft.revision,
            EntryEventKind::Approved,
            reviewer,
            comment,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that a reviewer checked a published entry and found it still right.
    pub async fn confirm_entry(&self, entry: &Entry, actor: &str, now: &str) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE entries SET reviewed_at = $2 WHERE id = $1")
            .bind(&entry.content.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_event(
            &mut tx,
            &entry.content.id,
            entry.revision,
            EntryEventKind::Confirmed,
            actor,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every saved state of an entry (drafts included), oldest first.
    pub async fn revisions(&self, id: &str) -> AppResult<Vec<Revision>> {
        let sql = format!(
            "SELECT {CONTENT_COLUMNS}, r.revision, r.status, r.author, r.note, r.saved_at
             FROM entry_revisions r WHERE r.entry_id = $1 ORDER BY r.revision"
        );
        let rows = sqlx::query_as::<_, RevisionRow>(&sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Revision::from).collect())
    }

    /// The editorial history of an entry, oldest first.
    pub async fn entry_events(&self, id: &str) -> AppResult<Vec<EntryEvent>> {
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT revision, action, actor, comment, at FROM entry_events
             WHERE entry_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let action = EntryEventKind::parse(&row.action).ok_or_else(|| {
                    AppError::internal(format!("条目 {id} 的历史动作 {:?} 无法识别", row.action))
                })?;
                Ok(EntryEvent {
                    revision: row.revision,
                    action,
                    actor: row.actor,
                    comment: row.comment,
                    at: row.at,
                })
            })
            .collect()
    }

    /// Published entries whose `valid_to` falls between `from` and `to` (dates, inclusive),
    /// soonest first.
    pub async fn entries_expiring(&self, from: &str, to: &str) -> AppResult<Vec<Entry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries WHERE status = $1 AND valid_to IS NOT NULL
               AND valid_to >= $2 AND valid_to <= $3
             ORDER BY valid_to, id"
        );
        let rows = sqlx::query_as::<_, EntryRow>(&sql)
            .bind(EntryStatus::Published.as_str())
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        entries_from_rows(rows)
    }

    /// Published entries nobody has reviewed (approved or confirmed) since `before`, an
    /// imported entry counting from its last import; longest unreviewed first.
    pub async fn entries_review_due(&self, before: &str) -> AppResult<Vec<Entry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM entries
             WHERE status = $1 AND COALESCE(reviewed_at, updated_at) < $2
             ORDER BY COALESCE(reviewed_at, updated_at), id"
        );
        let rows = sqlx::query_as::<_, EntryRow>(&sql)
            .bind(EntryStatus::Published.as_str())
            .bind(before)
            .fetch_all(&self.pool)
            .await?;
        entries_from_rows(rows)
    }
}

async fn insert_event(
    tx: &mut Transaction<'static, Any>,
    entry_id: &str,
    revision: i64,
    action: EntryEventKind,
    actor: &str,
    comment: Option<&str>,
    at: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO entry_events (id, entry_id, revision, action, actor, comment, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(entry_id)
    .bind(revision)
    .bind(action.as_str())
    .bind(actor)
    .bind(comment.map(str::to_string))
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn draft_changed(id: &str) -> AppError {
    AppError::new(
        Code::DraftStateConflict,
        format!("条目 {id} 的草稿刚被他人修改或处理：请重新读取后再操作"),
    )
}

/// A failed insert of a revision row: another save took the number first.
fn revision_taken(err: sqlx::Error, id: &str, revision: i64) -> AppError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => AppError::new(
            Code::RevisionConflict,
            format!("条目 {id} 的修订 {revision} 刚被他人保存：请重新读取最新内容后再修改，未保存任何内容"),
        ),
        _ => err.into(),
    }
}
