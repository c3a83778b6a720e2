//! SQL for what routing learns from: the ticket history imported from a city's previous
//! system, this service's closed tickets, and the stamp that says when either changed.

use super::Db;
use crate::domain::ticket_record::HistoricTicket;
use crate::error::AppResult;

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

    /// What routing learns from: imported history and this service's closed tickets, each as
    /// (text, the department that finally handled it).
    pub async fn routing_lessons(&self) -> AppResult<Vec<(String, String)>> {
        let mut lessons: Vec<(String, String)> =
            sqlx::query_as("SELECT content, department FROM ticket_history ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        let closed: Vec<(String, String)> = sqlx::query_as(
            "SELECT content, department FROM tickets \
             WHERE status = 'closed' AND resolution = 'dispatch' AND department IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        lessons.extend(closed);
        Ok(lessons)
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
        let (closed,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM tickets WHERE status = 'closed' AND resolution = 'dispatch'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(format!(
            "{departments}/{}/{history}/{closed}",
            last_update.unwrap_or_default()
        ))
    }
}
