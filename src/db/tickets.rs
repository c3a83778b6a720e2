//! SQL for tickets, their event history and the imported ticket history (new tickets are
//! written in groups by `ticket_batch.rs`).
//! Typed times and enums of `domain/` become text here and only here.

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::Any;
use time::OffsetDateTime;

use super::{from_json_text, to_json_text, Db};
use crate::domain::access::Role;
use crate::domain::date::{format_date, parse_date, parse_timestamp, timestamp};
use crate::domain::ticket::{Channel, Resolution, TicketStatus, TicketType, Urgency};
use crate::domain::ticket_record::{ExtensionRequest, Ticket, TicketEvent};
use crate::error::{AppError, AppResult};

pub(super) const COLUMNS: &str = "id, number, status, channel, ticket_type, urgency, caller_phone, \
    caller_name, content, transcript, region, address, resolution, proposed_department, \
    department, co_departments, round, dispatched_at, due_at, accept_due_at, accepted_at, \
    replied_at, reply, extension_reason, extension_until, extensions, returns, merged_into, \
    rating, poor_ratings, rectification, rectification_opened_at, rectification_due_at, search_ids, entry_ids, \
    created_by, created_at, updated_at, closed_at, version";

/// Statuses in which a ticket is still being handled by a department.
const OPEN_STATUSES: &str = "('dispatched', 'accepted', 'returned')";

/// Which tickets a list shows. Lists are newest first; `before_id` continues a list.
#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    /// Tickets led by this department or assisted by it.
    pub department: Option<String>,
    pub status: Option<TicketStatus>,
    pub ticket_type: Option<TicketType>,
    /// Open tickets due before this instant.
    pub due_before: Option<OffsetDateTime>,
    /// Open tickets whose deadline passed before this instant.
    pub overdue_at: Option<OffsetDateTime>,
    /// Tickets that ever had a poor rating (the ledger of dissatisfied appeals).
    pub dissatisfied: bool,
    /// Tickets created at or after this instant.
    pub created_since: Option<OffsetDateTime>,
    pub before_id: Option<String>,
}

enum Bind {
    Text(String),
}

/// How a department filter reads: the tickets it leads, or those it assists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DepartmentAs {
    Lead,
    Assistant,
}

impl TicketFilter {
    fn clause(&self, role: DepartmentAs) -> (String, Vec<Bind>) {
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        let next = |value: String, binds: &mut Vec<Bind>| {
            binds.push(Bind::Text(value));
            format!("${}", binds.len())
        };
        if let Some(department) = &self.department {
            let p = next(department.clone(), &mut binds);
            conditions.push(match role {
                DepartmentAs::Lead => format!("department = {p}"),
                DepartmentAs::Assistant => format!(
                    "id IN (SELECT ticket_id FROM ticket_co_departments WHERE department = {p})"
                ),
            });
        }
        if let Some(status) = self.status {
            let p = next(status.as_str().to_string(), &mut binds);
            conditions.push(format!("status = {p}"));
        }
        if let Some(kind) = self.ticket_type {
            let p = next(kind.as_str().to_string(), &mut binds);
            conditions.push(format!("ticket_type = {p}"));
        }
        if let Some(due) = self.due_before {
            let p = next(timestamp(due), &mut binds);
            conditions.push(format!("status IN {OPEN_STATUSES} AND due_at < {p}"));
        }
        if let Some(now) = self.overdue_at {
            let p = next(timestamp(now), &mut binds);
            conditions.push(format!("status IN {OPEN_STATUSES} AND due_at < {p}"));
        }
        if self.dissatisfied {
            conditions.push("poor_ratings > 0".to_string());
        }
        if let Some(since) = self.created_since {
            let p = next(timestamp(since), &mut binds);
            conditions.push(format!("created_at >= {p}"));
        }
        if let Some(id) = &self.before_id {
            let p = next(id.clone(), &mut binds);
            conditions.push(format!("id < {p}"));
        }
        let clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        (clause, binds)
    }
}

fn bind_all<'q, O>(
    mut query: QueryAs<'q, Any, O, AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> QueryAs<'q, Any, O, AnyArguments<'q>> {
    for bind in binds {
        match bind {
            Bind::Text(text) => query = query.bind(text),
        }
    }
    query
}

#[derive(sqlx::FromRow)]
pub(super) struct TicketRow {
    id: String,
    number: String,
    status: String,
    channel: String,
    ticket_type: String,
    urgency: String,
    caller_phone: Option<String>,
    caller_name: Option<String>,
    content: String,
    transcript: Option<String>,
    region: Option<String>,
    address: Option<String>,
    resolution: String,
    proposed_department: Option<String>,
    department: Option<String>,
    co_departments: String,
    round: i64,
    dispatched_at: Option<String>,
    due_at: Option<String>,
    accept_due_at: Option<String>,
    accepted_at: Option<String>,
    replied_at: Option<String>,
    reply: Option<String>,
    extension_reason: Option<String>,
    extension_until: Option<String>,
    extensions: i64,
    returns: i64,
    merged_into: Option<String>,
    rating: Option<i64>,
    poor_ratings: i64,
    rectification: Option<String>,
    rectification_opened_at: Option<String>,
    rectification_due_at: Option<String>,
    search_ids: String,
    entry_ids: String,
    created_by: String,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    version: i64,
}

pub(super) fn instant(text: Option<String>) -> Option<OffsetDateTime> {
    text.as_deref().and_then(parse_timestamp)
}

fn required_instant(id: &str, text: &str) -> AppResult<OffsetDateTime> {
    parse_timestamp(text)
        .ok_or_else(|| AppError::internal(format!("工单 {id} 的时间 {text:?} 无法识别")))
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

impl TryFrom<TicketRow> for Ticket {
    type Error = AppError;

    fn try_from(r: TicketRow) -> AppResult<Ticket> {
        let extension = match (r.extension_reason, r.extension_until.as_deref()) {
            (Some(reason), Some(until)) => {
                parse_date(until).map(|until| ExtensionRequest { reason, until })
            }
            _ => None,
        };
        Ok(Ticket {
            status: TicketStatus::parse(&r.status)?,
            channel: Channel::parse(&r.channel)?,
            ticket_type: TicketType::parse(&r.ticket_type)?,
            urgency: Urgency::parse(&r.urgency)?,
            resolution: Resolution::parse(&r.resolution)?,
            created_at: required_instant(&r.id, &r.created_at)?,
            updated_at: required_instant(&r.id, &r.updated_at)?,
            number: r.number,
            caller_phone: r.caller_phone,
            caller_name: r.caller_name,
            content: r.content,
            transcript: r.transcript,
            region: r.region,
            address: r.address,
            proposed_department: r.proposed_department,
            department: r.department,
            co_departments: from_json_text(&r.co_departments),
            round: count(r.round),
            dispatched_at: instant(r.dispatched_at),
            due_at: instant(r.due_at),
            accept_due_at: instant(r.accept_due_at),
            accepted_at: instant(r.accepted_at),
            replied_at: instant(r.replied_at),
            reply: r.reply,
            extension,
            extensions: count(r.extensions),
            returns: count(r.returns),
            merged_into: r.merged_into,
            rating: r.rating.and_then(|r| u8::try_from(r).ok()),
            poor_ratings: count(r.poor_ratings),
            rectification: r
                .rectification
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok()),
            rectification_opened_at: instant(r.rectification_opened_at),
            rectification_due_at: instant(r.rectification_due_at),
            search_ids: from_json_text(&r.search_ids),
            entry_ids: from_json_text(&r.entry_ids),
            created_by: r.created_by,
            closed_at: instant(r.closed_at),
            version: r.version,
            id: r.id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    seq: i64,
    kind: String,
    actor: String,
    role: String,
    department: Option<String>,
    from_status: Option<String>,
    to_status: String,
    note: Option<String>,
    data: String,
    at: String,
}

impl TryFrom<EventRow> for TicketEvent {
    type Error = AppError;

    fn try_from(r: EventRow) -> AppResult<TicketEvent> {
        Ok(TicketEvent {
            seq: count(r.seq),
            role: Role::parse(&r.role)?,
            from: r
                .from_status
                .as_deref()
                .map(TicketStatus::parse)
                .transpose()?,
            to: TicketStatus::parse(&r.to_status)?,
            at: required_instant(&r.kind, &r.at)?,
            kind: r.kind,
            actor: r.actor,
            department: r.department,
            note: r.note,
            data: serde_json::from_str(&r.data).unwrap_or(serde_json::Value::Null),
        })
    }
}

fn opt_ts(at: Option<OffsetDateTime>) -> Option<String> {
    at.map(timestamp)
}

/// Binds every column of a ticket but `id`, `number`, `created_by` and `created_at`, in the
/// order of [`MUTABLE_COLUMNS`].
macro_rules! bind_mutable {
    ($query:expr, $t:expr) => {
        $query
            .bind($t.status.as_str())
            .bind($t.department.clone())
            .bind(to_json_text(&$t.co_departments))
            .bind(i64::from($t.round))
            .bind(opt_ts($t.dispatched_at))
            .bind(opt_ts($t.due_at))
            .bind(opt_ts($t.accept_due_at))
            .bind(opt_ts($t.accepted_at))
            .bind(opt_ts($t.replied_at))
            .bind($t.reply.clone())
            .bind($t.extension.as_ref().map(|e| e.reason.clone()))
            .bind($t.extension.as_ref().map(|e| format_date(e.until)))
            .bind(i64::from($t.extensions))
            .bind(i64::from($t.returns))
            .bind($t.merged_into.clone())
            .bind($t.rating.map(i64::from))
            .bind(i64::from($t.poor_ratings))
            .bind(
                $t.rectification
                    .as_ref()
                    .and_then(|r| serde_json::to_string(r).ok()),
            )
            .bind(opt_ts($t.rectification_opened_at))
            .bind(opt_ts($t.rectification_due_at))
            .bind(timestamp($t.updated_at))
            .bind(opt_ts($t.closed_at))
    };
}

const MUTABLE_COLUMNS: [&str; 22] = [
    "status",
    "department",
    "co_departments",
    "round",
    "dispatched_at",
    "due_at",
    "accept_due_at",
    "accepted_at",
    "replied_at",
    "reply",
    "extension_reason",
    "extension_until",
    "extensions",
    "returns",
    "merged_into",
    "rating",
    "poor_ratings",
    "rectification",
    "rectification_opened_at",
    "rectification_due_at",
    "updated_at",
    "closed_at",
];

/// The columns a new ticket row is written with, in the order [`bind_new_ticket`] binds them.
pub(super) fn new_ticket_columns() -> Vec<&'static str> {
    let immutable = [
        "id",
        "number",
        "channel",
        "ticket_type",
        "urgency",
        "caller_phone",
        "caller_name",
        "content",
        "transcript",
        "region",
        "address",
        "resolution",
        "proposed_department",
        "search_ids",
        "entry_ids",
        "created_by",
        "created_at",
        "version",
    ];
    immutable
        .iter()
        .chain(MUTABLE_COLUMNS.iter())
        .copied()
        .collect()
}

/// Binds a new ticket's row (numbered `number`) in the order of [`new_ticket_columns`].
pub(super) fn bind_new_ticket<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    ticket: &'q Ticket,
    number: &'q str,
) -> Query<'q, Any, AnyArguments<'q>> {
    let query = query
        .bind(&ticket.id)
        .bind(number)
        .bind(ticket.channel.as_str())
        .bind(ticket.ticket_type.as_str())
        .bind(ticket.urgency.as_str())
        .bind(ticket.caller_phone.clone())
        .bind(ticket.caller_name.clone())
        .bind(&ticket.content)
        .bind(ticket.transcript.clone())
        .bind(ticket.region.clone())
        .bind(ticket.address.clone())
        .bind(ticket.resolution.as_str())
        .bind(ticket.proposed_department.clone())
        .bind(to_json_text(&ticket.search_ids))
        .bind(to_json_text(&ticket.entry_ids))
        .bind(&ticket.created_by)
        .bind(timestamp(ticket.created_at))
        .bind(ticket.version);
    bind_mutable!(query, ticket)
}

/// The columns of an event row after `ticket_id` and `seq`, in the order [`bind_event_fields`]
/// binds them.
pub(super) const EVENT_FIELDS: [&str; 9] = [
    "kind",
    "actor",
    "role",
    "department",
    "from_status",
    "to_status",
    "note",
    "data",
    "at",
];

/// Binds an event's fields in the order of [`EVENT_FIELDS`].
pub(super) fn bind_event_fields<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    event: &'q TicketEvent,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(&event.kind)
        .bind(&event.actor)
        .bind(event.role.as_str())
        .bind(event.department.clone())
        .bind(event.from.map(|s| s.as_str().to_string()))
        .bind(event.to.as_str())
        .bind(event.note.clone())
        .bind(event.data.to_string())
        .bind(timestamp(event.at))
}

impl Db {
    /// Writes a transition: the ticket's new state and its event, only when the ticket is still
    /// at `ticket.version - 1`. Returns false (and writes nothing) when another transition won.
    pub async fn update_ticket(&self, ticket: &Ticket, event: &TicketEvent) -> AppResult<bool> {
        let mut tx = self.pool.begin().await?;
        let sets: Vec<String> = MUTABLE_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let n = MUTABLE_COLUMNS.len();
        let sql = format!(
            "UPDATE tickets SET {}, version = ${} WHERE id = ${} AND version = ${}",
            sets.join(", "),
            n + 1,
            n + 2,
            n + 3
        );
        let result = bind_mutable!(sqlx::query(&sql), ticket)
            .bind(ticket.version)
            .bind(&ticket.id)
            .bind(ticket.version - 1)
            .execute(&mut *tx)
            .await?;
        if result.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        write_co_departments(&mut tx, ticket).await?;
        insert_event(&mut tx, &ticket.id, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn ticket(&self, id: &str) -> AppResult<Option<Ticket>> {
        let sql = format!("SELECT {COLUMNS} FROM tickets WHERE id = $1");
        let row = sqlx::query_as::<_, TicketRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Ticket::try_from).transpose()
    }

    /// A ticket by its human-readable number.
    pub async fn ticket_by_number(&self, number: &str) -> AppResult<Option<Ticket>> {
        let sql = format!("SELECT {COLUMNS} FROM tickets WHERE number = $1");
        let row = sqlx::query_as::<_, TicketRow>(&sql)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Ticket::try_from).transpose()
    }

    /// The history of a ticket, oldest first.
    pub async fn ticket_events(&self, id: &str) -> AppResult<Vec<TicketEvent>> {
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT seq, kind, actor, role, department, from_status, to_status, note, data, at \
             FROM ticket_events WHERE ticket_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TicketEvent::try_from).collect()
    }

    /// Up to `limit` tickets, newest first. With a department, the tickets it leads and those
    /// it assists are read by two index lookups and merged.
    pub async fn tickets(&self, filter: &TicketFilter, limit: i64) -> AppResult<Vec<Ticket>> {
        let mut rows = self.ticket_rows(filter, DepartmentAs::Lead, limit).await?;
        if filter.department.is_some() {
            rows.extend(
                self.ticket_rows(filter, DepartmentAs::Assistant, limit)
                    .await?,
            );
            rows.sort_by(|a, b| b.id.cmp(&a.id));
            rows.dedup_by(|a, b| a.id == b.id);
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        rows.into_iter().map(Ticket::try_from).collect()
    }

    async fn ticket_rows(
        &self,
        filter: &TicketFilter,
        role: DepartmentAs,
        limit: i64,
    ) -> AppResult<Vec<TicketRow>> {
        let (clause, binds) = filter.clause(role);
        let sql = format!(
            "SELECT {COLUMNS} FROM tickets {clause} ORDER BY id DESC LIMIT ${}",
            binds.len() + 1
        );
        Ok(bind_all(sqlx::query_as::<_, TicketRow>(&sql), binds)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Tickets merged into `master`.
    pub async fn merged_tickets(&self, master: &str) -> AppResult<Vec<Ticket>> {
        let sql = format!("SELECT {COLUMNS} FROM tickets WHERE merged_into = $1 ORDER BY id");
        let rows = sqlx::query_as::<_, TicketRow>(&sql)
            .bind(master)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Ticket::try_from).collect()
    }
}

/// Replaces the ticket's rows of assisting departments with its current list.
pub(super) async fn write_co_departments(
    tx: &mut sqlx::Transaction<'_, Any>,
    ticket: &Ticket,
) -> AppResult<()> {
    sqlx::query("DELETE FROM ticket_co_departments WHERE ticket_id = $1")
        .bind(&ticket.id)
        .execute(&mut **tx)
        .await?;
    for department in &ticket.co_departments {
        sqlx::query(
            "INSERT INTO ticket_co_departments (department, ticket_id) VALUES ($1, $2) \
             ON CONFLICT (department, ticket_id) DO NOTHING",
        )
        .bind(department)
        .bind(&ticket.id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, Any>,
    ticket_id: &str,
    event: &TicketEvent,
) -> AppResult<()> {
    let sql = format!(
        "INSERT INTO ticket_events (ticket_id, seq, {}) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
         FROM ticket_events WHERE ticket_id = $1",
        EVENT_FIELDS.join(", ")
    );
    bind_event_fields(sqlx::query(&sql).bind(ticket_id), event)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
