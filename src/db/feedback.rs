//! SQL for agents' feedback (`search_feedback`), the editors' tasks it creates
//! (`editor_tasks`) and the per-entry adoption counts read by other views.

use std::collections::HashMap;

use sqlx::{Any, Transaction};

use super::gaps::{insert_observation, NewObservation};
use super::Db;
use crate::error::AppResult;

/// One feedback row: on a search, or an adoption recorded from a ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct NewFeedback {
    pub id: String,
    pub search_id: Option<String>,
    pub ticket_id: Option<String>,
    /// `search` (an agent's feedback) or `ticket` (the entries a ticket answered on the call cites).
    pub source: String,
    pub kind: String,
    pub entry_id: Option<String>,
    pub problem: Option<String>,
    pub comment: Option<String>,
    pub token_name: Option<String>,
    pub created_at: String,
}

/// An editor task as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub kind: String,
    pub entry_id: Option<String>,
    pub gap_id: Option<String>,
    pub department: Option<String>,
    pub problem: Option<String>,
    pub comment: Option<String>,
    pub search_id: Option<String>,
    pub feedback_id: Option<String>,
    pub status: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub resolution_comment: Option<String>,
}

/// Which tasks a listing covers.
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub status: Option<String>,
    pub department: Option<String>,
}

impl TaskFilter {
    fn clause(&self) -> (String, Vec<String>) {
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        for (column, value) in [("status", &self.status), ("department", &self.department)] {
            if let Some(value) = value {
                binds.push(value.clone());
                conditions.push(format!("{column} = ${}", binds.len()));
            }
        }
        if conditions.is_empty() {
            (String::new(), binds)
        } else {
            (format!("WHERE {}", conditions.join(" AND ")), binds)
        }
    }
}

const TASK_COLUMNS: &str = "id, kind, entry_id, gap_id, department, problem, comment, search_id, \
    feedback_id, status, created_by, created_at, closed_at, closed_by, resolution_comment";

impl Db {
    /// Stores feedback rows, the task a report creates and the gap observation a failed
    /// search or call makes, all or nothing.
    pub async fn record_feedback(
        &self,
        feedback: &[NewFeedback],
        task: Option<&TaskRow>,
        observation: Option<&NewObservation>,
    ) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        for f in feedback {
            insert_feedback(&mut tx, f).await?;
        }
        if let Some(task) = task {
            insert_task(&mut tx, task).await?;
        }
        if let Some(observation) = observation {
            insert_observation(&mut tx, observation).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How often each entry was adopted (by agents' feedback and tickets answered on the
    /// call) since `since` (a timestamp; empty for all time).
    pub async fn adoption_counts(&self, since: &str) -> AppResult<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT entry_id, COUNT(*) FROM search_feedback
             WHERE kind = 'adopted' AND entry_id IS NOT NULL AND created_at >= $1
             GROUP BY entry_id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// Every feedback kind given on one search, oldest first.
    pub async fn feedback_kinds(&self, search_id: &str) -> AppResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT kind FROM search_feedback WHERE search_id = $1 ORDER BY created_at, id",
        )
        .bind(search_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// One page of tasks, oldest first, and how many the filter covers.
    pub async fn tasks(
        &self,
        filter: &TaskFilter,
        limit: i64,
        offset: i64,
    ) -> AppResult<(i64, Vec<TaskRow>)> {
        let (clause, binds) = filter.clause();
        let count_sql = format!("SELECT COUNT(*) FROM editor_tasks {clause}");
        let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
        for b in &binds {
            count = count.bind(b.clone());
        }
        let (total,) = count.fetch_one(&self.pool).await?;
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM editor_tasks {clause} ORDER BY created_at, id LIMIT ${} OFFSET ${}",
            binds.len() + 1,
            binds.len() + 2
        );
        let mut query = sqlx::query_as::<_, TaskRow>(&sql);
        for b in &binds {
            query = query.bind(b.clone());
        }
        let rows = query.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        Ok((total, rows))
    }

    pub async fn task(&self, id: &str) -> AppResult<Option<TaskRow>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM editor_tasks WHERE id = $1");
        Ok(sqlx::query_as::<_, TaskRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Closes an open task; false when it was not open (any more).
    pub async fn close_task(
        &self,
        id: &str,
        status: &str,
        closed_by: &str,
        comment: Option<&str>,
        now: &str,
    ) -> AppResult<bool> {
        let done = sqlx::query(
            "UPDATE editor_tasks SET status = $2, closed_by = $3, resolution_comment = $4, closed_at = $5
             WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(status)
        .bind(closed_by)
        .bind(comment.map(str::to_string))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

pub(super) async fn insert_feedback(
    tx: &mut Transaction<'_, Any>,
    f: &NewFeedback,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO search_feedback (id, search_id, ticket_id, source, kind, entry_id, problem, comment, token_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&f.id)
    .bind(f.search_id.clone())
    .bind(f.ticket_id.clone())
    .bind(&f.source)
    .bind(&f.kind)
    .bind(f.entry_id.clone())
    .bind(f.problem.clone())
    .bind(f.comment.clone())
    .bind(f.token_name.clone())
    .bind(&f.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_task(tx: &mut Transaction<'_, Any>, t: &TaskRow) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO editor_tasks (id, kind, entry_id, gap_id, department, problem, comment, search_id,
             feedback_id, status, created_by, created_at, closed_at, closed_by, resolution_comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&t.id)
    .bind(&t.kind)
    .bind(t.entry_id.clone())
    .bind(t.gap_id.clone())
    .bind(t.department.clone())
    .bind(t.problem.clone())
    .bind(t.comment.clone())
    .bind(t.search_id.clone())
    .bind(t.feedback_id.clone())
    .bind(&t.status)
    .bind(t.created_by.clone())
    .bind(&t.created_at)
    .bind(t.closed_at.clone())
    .bind(t.closed_by.clone())
    .bind(t.resolution_comment.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
