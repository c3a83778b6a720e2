//! SQL for period reports and warnings over tickets: tickets created and events recorded in a
//! period, and the open deadlines.

use time::OffsetDateTime;

use super::tickets::{instant, EventRow, TicketRow, COLUMNS};
use super::Db;
use crate::domain::date::timestamp;
use crate::domain::ticket::TicketStatus;
use crate::domain::ticket_record::{Ticket, TicketEvent};
use crate::error::AppResult;

impl Db {
    /// Every ticket created in `[from, to)`, oldest first, for period reports.
    pub async fn tickets_created_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> AppResult<Vec<Ticket>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE created_at >= $1 AND created_at < $2 ORDER BY id"
        );
        let rows = sqlx::query_as::<_, TicketRow>(&sql)
            .bind(timestamp(from))
            .bind(timestamp(to))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }

    /// Events of the given kinds (or whose kind starts with `prefix%`) recorded in
    /// `[from, to)`, with their ticket ids, in time order.
    pub async fn ticket_events_between(
        &self,
        kind_pattern: &str,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> AppResult<Vec<(String, TicketEvent)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            ticket_id: String,
            #[sqlx(flatten)]
            event: EventRow,
        }
        let rows = sqlx::query_as::<_, Row>(
            "SELECT ticket_id, seq, kind, actor, role, department, from_status, to_status, note, data, at \
             FROM ticket_events WHERE kind LIKE $1 AND at >= $2 AND at < $3 ORDER BY at, ticket_id, seq",
        )
        .bind(kind_pattern)
        .bind(timestamp(from))
        .bind(timestamp(to))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| Ok((row.ticket_id, TicketEvent::try_from(row.event)?)))
            .collect()
    }
}

impl Db {
    /// (lead department, status, reply deadline) of every ticket a department is handling or
    /// that awaits its callback, for warnings.
    pub async fn open_deadlines(
        &self,
    ) -> AppResult<Vec<(String, TicketStatus, Option<OffsetDateTime>)>> {
        let rows: Vec<(Option<String>, String, Option<String>)> = sqlx::query_as(
            "SELECT department, status, due_at FROM tickets \
             WHERE status IN ('dispatched', 'accepted', 'returned', 'replied')",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(department, status, due)| {
                Ok((
                    department.unwrap_or_default(),
                    TicketStatus::parse(&status)?,
                    instant(due),
                ))
            })
            .collect()
    }
}
