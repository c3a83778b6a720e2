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
    /// The token that ran the search; `None` for the command line.
    pub token_name: Option<String>,
}

impl SearchRecord {
    /// The entry the search answered with first (the caller's need in the hot topics).
    pub fn top_entry(&self) -> Option<String> {
        (!self.no_answer)
            .then(|| self.returned_ids.first().cloned())
            .flatten()
    }
}

/// Which searches a listing covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Only the searches of this token.
    pub token_name: Option<String>,
    /// Only searches with (or without) an answer.
    pub no_answer: Option<bool>,
}

impl SearchFilter {
    /// The `WHERE` clause with numbered placeholders, in the order [`SearchFilter::bind`] binds.
    fn clause(&self) -> String {
        let mut conditions = Vec::new();
        if self.token_name.is_some() {
            conditions.push(format!("token_name = ${}", conditions.len() + 1));
        }
        if self.no_answer.is_some() {
            conditions.push(format!("no_answer = ${}", conditions.len() + 1));
        }
        if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        }
    }

    fn bind<'q, O>(
        &self,
        mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        if let Some(name) = &self.token_name {
            query = query.bind(name.clone());
        }
        if let Some(no_answer) = self.no_answer {
            query = query.bind(i64::from(no_answer));
        }
        query
    }
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
    token_name: Option<String>,
}

impl From<SearchRow> for SearchRecord {
    fn from(r: SearchRow) -> SearchRecord {
        SearchRecord {
            id: r.id,
            query: r.query,
            params: r.params,
            returned_ids: from_json_text(&r.returned_ids),
            no_answer: r.no_answer != 0,
            confidence: r.confidence,
            took_ms: r.took_ms,
            created_at: r.created_at,
            token_name: r.token_name,
        }
    }
}

const COLUMNS: &str =
    "id, query, params, returned_ids, no_answer, confidence, took_ms, created_at, token_name";

impl Db {
    pub async fn record_search(&self, record: &SearchRecord) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO searches (id, query, params, returned_ids, no_answer, confidence, took_ms, created_at, token_name, top_entry)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&record.id)
        .bind(&record.query)
        .bind(&record.params)
        .bind(to_json_text(&record.returned_ids))
        .bind(i64::from(record.no_answer))
        .bind(record.confidence)
        .bind(record.took_ms)
        .bind(&record.created_at)
        .bind(record.token_name.clone())
        .bind(record.top_entry())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn search_record(&self, id: &str) -> AppResult<Option<SearchRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM searches WHERE id = $1");
        let row = sqlx::query_as::<_, SearchRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(SearchRecord::from))
    }

    /// One page of the searches `filter` covers, newest first.
    pub async fn search_records(
        &self,
        filter: &SearchFilter,
        limit: i64,
        offset: i64,
    ) -> AppResult<Vec<SearchRecord>> {
        let clause = filter.clause();
        let next = clause.matches('$').count();
        let sql = format!(
            "SELECT {COLUMNS} FROM searches {clause} ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
            next + 1,
            next + 2
        );
        let rows = filter
            .bind(sqlx::query_as::<_, SearchRow>(&sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(SearchRecord::from).collect())
    }

    /// How many searches `filter` covers.
    pub async fn count_search_records(&self, filter: &SearchFilter) -> AppResult<i64> {
        let sql = format!("SELECT COUNT(*) FROM searches {}", filter.clause());
        let (count,): (i64,) = filter
            .bind(sqlx::query_as(&sql))
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }
}
