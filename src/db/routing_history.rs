//! SQL for what routing learns from: the ticket history imported from a city's previous
//! system, this service's closed tickets, their sentence vectors (`ticket_vectors`), and the
//! stamp that says when any of them changed.

use super::vectors::{decode_vector, encode_vector};
use super::Db;
use crate::domain::ticket_record::HistoricTicket;
use crate::error::AppResult;

/// Where a lesson comes from, as `ticket_vectors.source` names it.
pub const HISTORY_SOURCE: &str = "history";
pub const TICKET_SOURCE: &str = "ticket";

/// One past ticket routing learns from.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutingLesson {
    pub text: String,
    /// The department that finally handled it.
    pub department: String,
    /// Its sentence vector under the model asked for, when stored.
    pub vector: Option<Vec<f32>>,
}

/// A lesson without a vector under some model: (source, id, text).
pub type UnembeddedLesson = (&'static str, String, String);

/// The closed tickets routing learns from (`tickets t`).
const CLOSED: &str =
    "t.status = 'closed' AND t.resolution = 'dispatch' AND t.department IS NOT NULL";
/// A stored vector `v` of history row `h` / closed ticket `t` under model `$1`; the sources
/// spelled as [`HISTORY_SOURCE`] and [`TICKET_SOURCE`].
const HISTORY_VECTOR: &str = "v.source = 'history' AND v.id = h.id AND v.model = $1";
const TICKET_VECTOR: &str = "v.source = 'ticket' AND v.id = t.id AND v.model = $1";

impl Db {
    /// Stores imported historic tickets in one transaction; ids already present are kept as
    /// they are. Returns how many were new.
    pub async fn insert_ticket_history(
        &self,
        tickets: &[HistoricTicket],
        source: &str,
        now: &str,
    ) -> AppResult<u64> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = 0;
        for t in tickets {
            let result = sqlx::query(
                "INSERT INTO ticket_history (id, content, ticket_type, department, created_at, source, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&t.id)
            .bind(&t.content)
            .bind(t.ticket_type.as_str())
            .bind(&t.department)
            .bind(&t.created_at)
            .bind(source)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            inserted += result.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// What routing learns from: imported history and this service's closed tickets, each
    /// with its vector under `model` where stored (none when `model` is `None`).
    pub async fn routing_lessons(&self, model: Option<&str>) -> AppResult<Vec<RoutingLesson>> {
        let model = model.unwrap_or_default();
        let mut rows: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT h.content, h.department, v.vector FROM ticket_history h \
             LEFT JOIN ticket_vectors v ON {HISTORY_VECTOR} \
             ORDER BY h.id"
        ))
        .bind(model)
        .fetch_all(&self.pool)
        .await?;
        let closed: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT t.content, t.department, v.vector FROM tickets t \
             LEFT JOIN ticket_vectors v ON {TICKET_VECTOR} \
             WHERE {CLOSED} ORDER BY t.id"
        ))
        .bind(model)
        .fetch_all(&self.pool)
        .await?;
        rows.extend(closed);
        Ok(rows
            .into_iter()
            .map(|(text, department, vector)| RoutingLesson {
                text,
                department,
                vector: vector.as_deref().and_then(decode_vector),
            })
            .collect())
    }

    /// Up to `limit` lessons without a vector under `model`, imported history first.
    pub async fn lessons_without_vectors(
        &self,
        model: &str,
        limit: usize,
    ) -> AppResult<Vec<UnembeddedLesson>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let history: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT h.id, h.content FROM ticket_history h WHERE NOT EXISTS \
             (SELECT 1 FROM ticket_vectors v WHERE {HISTORY_VECTOR}) \
             ORDER BY h.id LIMIT $2"
        ))
        .bind(model)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<UnembeddedLesson> = history
            .into_iter()
            .map(|(id, text)| (HISTORY_SOURCE, id, text))
            .collect();
        let left = limit - out.len() as i64;
        if left > 0 {
            let closed: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT t.id, t.content FROM tickets t WHERE {CLOSED} AND NOT EXISTS \
                 (SELECT 1 FROM ticket_vectors v WHERE {TICKET_VECTOR}) \
                 ORDER BY t.id LIMIT $2"
            ))
            .bind(model)
            .bind(left)
            .fetch_all(&self.pool)
            .await?;
            out.extend(
                closed
                    .into_iter()
                    .map(|(id, text)| (TICKET_SOURCE, id, text)),
            );
        }
        Ok(out)
    }

    /// (lessons, lessons with a vector under `model`).
    pub async fn lesson_vector_coverage(&self, model: &str) -> AppResult<(usize, usize)> {
        let (history, history_covered): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), COUNT(v.id) FROM ticket_history h \
             LEFT JOIN ticket_vectors v ON {HISTORY_VECTOR}"
        ))
        .bind(model)
        .fetch_one(&self.pool)
        .await?;
        let (closed, closed_covered): (i64, i64) = sqlx::query_as(&format!(
            "SELECT COUNT(*), COUNT(v.id) FROM tickets t \
             LEFT JOIN ticket_vectors v ON {TICKET_VECTOR} \
             WHERE {CLOSED}"
        ))
        .bind(model)
        .fetch_one(&self.pool)
        .await?;
        let count = |n: i64| usize::try_from(n).unwrap_or_default();
        Ok((
            count(history + closed),
            count(history_covered + closed_covered),
        ))
    }

    /// Stores lessons' vectors computed with `model` in one transaction; existing rows stay.
    pub async fn save_lesson_vectors(
        &self,
        model: &str,
        vectors: &[(&str, String, Vec<f32>)],
        now: &str,
    ) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        for (source, id, vector) in vectors {
            sqlx::query(
                "INSERT INTO ticket_vectors (source, id, model, vector, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source, id, model) DO NOTHING",
            )
            .bind(*source)
            .bind(id)
            .bind(model)
            .bind(encode_vector(vector))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Db {
    /// Changes whenever the department directory or what routing learns from changes.
    pub async fn routing_stamp(&self) -> AppResult<String> {
        let (departments, last_update): (i64, Option<String>) =
            sqlx::query_as("SELECT COUNT(*), MAX(updated_at) FROM departments")
                .fetch_one(&self.pool)
                .await?;
        let (history,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ticket_history")
            .fetch_one(&self.pool)
            .await?;
        let (closed,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM tickets t WHERE {CLOSED}"))
                .fetch_one(&self.pool)
                .await?;
        Ok(format!(
            "{departments}/{}/{history}/{closed}",
            last_update.unwrap_or_default()
        ))
    }
}
