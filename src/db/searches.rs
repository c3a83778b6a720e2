//! SQL for the search log.

use super::{from_json_text, to_json_text, Db};
use crate::error::AppResult;

/// One recorded search, as the feedback and knowledge-gap work will read it.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchRecord {
    pub id: String,
    pub query: String,
    /// The request parameters as a JSON object.
    pub params: String,
    pub returned_ids: Vec<String>,
    pub no_answer: bool,
    pub confidence: f64,
    pub took_ms: f64,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct SearchRow {
    id: String,
    query: String,
    params: String,
    returned_ids: String,
    no_answer: i64,
    confidence: f64,
    took_ms: f64,
    created_at: String,
}

impl Db {
    pub async fn record_search(&self, record: &SearchRecord) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO searches (id, query, params, returned_ids, no_answer, confidence, took_ms, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.id)
        .bind(&record.query)
        .bind(&record.params)
        .bind(to_json_text(&record.returned_ids))
        .bind(i64::from(record.no_answer))
        .bind(record.confidence)
        .bind(record.took_ms)
        .bind(&record.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn search_record(&self, id: &str) -> AppResult<Option<SearchRecord>> {
        let row = sqlx::query_as::<_, SearchRow>(
            "SELECT id, query, params, returned_ids, no_answer, confidence, took_ms, created_at
             FROM searches WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| SearchRecord {
            id: r.id,
            query: r.query,
            params: r.params,
            returned_ids: from_json_text(&r.returned_ids),
            no_answer: r.no_answer != 0,
            confidence: r.confidence,
            took_ms: r.took_ms,
            created_at: r.created_at,
        }))
    }
}
