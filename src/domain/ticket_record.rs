//! The stored ticket (工单) and the events of its history: what the database keeps of a call that
//! was answered on the call or dispatched, typed as the domain sees it.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::access::Role;
use super::ticket::{Channel, Rectification, Resolution, TicketStatus, TicketType, Urgency};

/// A ticket as stored. `version` guards concurrent transitions: a write names the version it
/// read, and only one writer of a version succeeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    pub id: String,
    /// Human-readable and unique: `YYYYMMDD` of creation (China Standard Time) and a sequence.
    pub number: String,
    pub status: TicketStatus,
    pub channel: Channel,
    pub ticket_type: TicketType,
    pub urgency: Urgency,
    pub caller_phone: Option<String>,
    pub caller_name: Option<String>,
    pub content: String,
    pub transcript: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub resolution: Resolution,
    pub proposed_department: Option<String>,
    /// The lead department (主办) once dispatched.
    pub department: Option<String>,
    /// Assisting departments (协办).
    pub co_departments: Vec<String>,
    /// 1 for the first handling, +1 for every redo after a poor rating.
    pub round: u32,
    pub dispatched_at: Option<OffsetDateTime>,
    /// When the reply is due.
    pub due_at: Option<OffsetDateTime>,
    /// When acceptance is due (urgent matters).
    pub accept_due_at: Option<OffsetDateTime>,
    pub accepted_at: Option<OffsetDateTime>,
    pub replied_at: Option<OffsetDateTime>,
    /// The department's latest reply.
    pub reply: Option<String>,
    /// An extension asked for and not yet ruled on.
    pub extension: Option<ExtensionRequest>,
    pub extensions: u32,
    pub returns: u32,
    pub merged_into: Option<String>,
    /// The latest callback rating, 1–5.
    pub rating: Option<u8>,
    pub poor_ratings: u32,
    /// The rectification track (差评整改) of the latest poor rating.
    pub rectification: Option<Rectification>,
    /// When the poor rating opened the track; step deadlines count from it.
    pub rectification_opened_at: Option<OffsetDateTime>,
    /// The deadline of the next step still to record.
    pub rectification_due_at: Option<OffsetDateTime>,
    pub search_ids: Vec<String>,
    pub entry_ids: Vec<String>,
    /// The token that recorded the call.
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// A department's request for more time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExtensionRequest {
    pub reason: String,
    /// The date the department asks to reply by (end of that day, China Standard Time).
    #[schema(value_type = String, example = "2026-10-20")]
    #[serde(with = "date_text")]
    pub until: Date,
}

/// One change of a ticket, kept forever.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketEvent {
    pub seq: u32,
    /// What happened: `created`, `dispatched`, `accepted`, `replied`, `returned`, …
    pub kind: String,
    /// The token name of who did it.
    pub actor: String,
    pub role: Role,
    pub department: Option<String>,
    pub from: Option<TicketStatus>,
    pub to: TicketStatus,
    pub note: Option<String>,
    /// Structured detail of the change (rating, new deadline, departments, …).
    pub data: serde_json::Value,
    pub at: OffsetDateTime,
}

/// A closed ticket of a previous system, for routing to learn from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoricTicket {
    pub id: String,
    pub content: String,
    pub ticket_type: TicketType,
    /// The department that finally handled it.
    pub department: String,
    pub created_at: String,
}

mod date_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    use crate::domain::date::{format_date, parse_date};

    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_date(*date))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_date(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("日期应为 YYYY-MM-DD，收到 {text:?}")))
    }
}
