//! SQL for the run-time editable search dictionaries and their saved versions.

use super::Db;
use crate::error::{AppError, AppResult, Code};

/// One dictionary as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredDictionary {
    pub name: String,
    pub content: String,
    pub revision: i64,
    pub updated_by: String,
    pub updated_at: String,
}

impl Db {
    /// Every stored dictionary, by name.
    pub async fn dictionaries(&self) -> AppResult<Vec<StoredDictionary>> {
        let rows = sqlx::query_as::<_, StoredDictionary>(
            "SELECT name, content, revision, updated_by, updated_at FROM dictionaries ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// A text that changes whenever any dictionary is saved: which versions are stored.
    pub async fn dictionaries_stamp(&self) -> AppResult<String> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, revision FROM dictionaries ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .map(|(name, revision)| format!("{name}:{revision}"))
            .collect::<Vec<_>>()
            .join(","))
    }

    /// Stores the dictionaries of `knowledge/dict/`: those not stored yet (first start) as
    /// revision 1, and new versions of those no editor has changed in the service yet (so a
    /// release's improved dictionaries arrive). A dictionary an editor saved is left alone.
    pub async fn seed_dictionaries(&self, texts: &[(&str, String)], now: &str) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        for (name, content) in texts {
            let inserted = sqlx::query(
                "INSERT INTO dictionaries (name, content, revision, updated_by, updated_at)
                 VALUES ($1, $2, 1, 'knowledge/dict', $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(*name)
            .bind(content)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let revision = if inserted.rows_affected() == 1 {
                Some(1)
            } else {
                let updated: Option<(i64,)> = sqlx::query_as(
                    "UPDATE dictionaries SET content = $2, revision = revision + 1, updated_at = $3
                     WHERE name = $1 AND updated_by = 'knowledge/dict' AND content <> $2
                     RETURNING revision",
                )
                .bind(*name)
                .bind(content)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                updated.map(|(r,)| r)
            };
            if let Some(revision) = revision {
                sqlx::query(
                    "INSERT INTO dictionary_revisions (name, revision, content, author, note, saved_at)
                     VALUES ($1, $2, $3, 'knowledge/dict', NULL, $4)",
                )
                .bind(*name)
                .bind(revision)
                .bind(content)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Saves a new version of a dictionary edited from `base_revision`; a stale base is
    /// refused with `revision_conflict` and nothing is written.
    pub async fn save_dictionary(
        &self,
        name: &str,
        content: &str,
        base_revision: i64,
        author: &str,
        note: Option<&str>,
        now: &str,
    ) -> AppResult<i64> {
        let revision = base_revision.saturating_add(1);
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE dictionaries SET content = $2, revision = $3, updated_by = $4, updated_at = $5
             WHERE name = $1 AND revision = $6",
        )
        .bind(name)
        .bind(content)
        .bind(revision)
        .bind(author)
        .bind(now)
        .bind(base_revision)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(AppError::new(
                Code::RevisionConflict,
                format!("词典 {name} 已被他人修改（不是修订 {base_revision}）：请重新读取后再改，未保存任何内容"),
            ));
        }
        sqlx::query(
            "INSERT INTO dictionary_revisions (name, revision, content, author, note, saved_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(name)
        .bind(revision)
        .bind(content)
        .bind(author)
        .bind(note.map(str::to_string))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(revision)
    }
}
