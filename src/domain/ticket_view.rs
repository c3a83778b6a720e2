//! Tickets as staff read them: the new-ticket request, a ticket with its deadline and remaining
//! working time, its history, and the masking of callers' personal data by role.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::access::{mask_name, mask_phone, Identity, Role};
use super::calendar::WorkCalendar;
use super::date::{cst_date, format_date, timestamp};
use super::deadline::{remaining, warning_level, Warning};
use super::ticket::{Channel, Rectification, Resolution, TicketStatus, TicketType, Urgency};
use super::ticket_record::{ExtensionRequest, Ticket, TicketEvent};
use crate::error::{AppError, AppResult, Code};

/// Longest accepted summary, in characters.
pub const MAX_CONTENT_CHARS: usize = 4_000;
/// Longest accepted transcript, in characters.
pub const MAX_TRANSCRIPT_CHARS: usize = 50_000;

/// `POST /api/v1/tickets`: what the agent records at the end of a call.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// 来电号码（个人信息，按角色脱敏显示）
    pub caller_phone: Option<String>,
    /// 来电人姓名（个人信息）
    pub caller_name: Option<String>,
    #[serde(default = "default_channel")]
    pub channel: Channel,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    #[serde(default = "default_urgency")]
    pub urgency: Urgency,
    /// 话务员填写的诉求摘要，必填
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    pub content: String,
    /// 通话转写（可选）
    #[schema(max_length = 50000)]
    pub transcript: Option<String>,
    /// 诉求所在区县
    pub region: Option<String>,
    pub address: Option<String>,
    /// 通话中所做检索的 search_id
    #[serde(default)]
    pub search_ids: Vec<String>,
    /// 答复所依据的知识条目
    #[serde(default)]
    pub entry_ids: Vec<String>,
    /// answered：当场办结；dispatch：转派单员
    pub resolution: Resolution,
    /// 话务员建议的承办部门（编码）
    pub proposed_department: Option<String>,
}

fn default_channel() -> Channel {
    Channel::Phone
}

fn default_urgency() -> Urgency {
    Urgency::Normal
}

impl NewTicket {
    /// The ticket a validated call becomes (closed on the call when `answered`, else awaiting
    /// dispatch; numbered on writing) and its first event.
    pub fn record(
        self,
        id: String,
        caller: &Identity,
        now: OffsetDateTime,
    ) -> (Ticket, TicketEvent) {
        let answered = self.resolution == Resolution::Answered;
        let status = if answered {
            TicketStatus::Closed
        } else {
            TicketStatus::New
        };
        let ticket = Ticket {
            id,
            number: String::new(),
            status,
            channel: self.channel,
            ticket_type: self.ticket_type,
            urgency: self.urgency,
            caller_phone: self.caller_phone,
            caller_name: self.caller_name,
            content: self.content,
            transcript: self.transcript,
            region: self.region,
            address: self.address,
            resolution: self.resolution,
            proposed_department: self.proposed_department,
            department: None,
            co_departments: Vec::new(),
            round: 1,
            dispatched_at: None,
            due_at: None,
            accept_due_at: None,
            accepted_at: None,
            replied_at: None,
            reply: None,
            extension: None,
            extensions: 0,
            returns: 0,
            merged_into: None,
            rating: None,
            poor_ratings: 0,
            rectification: None,
            rectification_opened_at: None,
            rectification_due_at: None,
            search_ids: self.search_ids,
            entry_ids: self.entry_ids,
            created_by: caller.name.clone(),
            created_at: now,
            updated_at: now,
            closed_at: answered.then_some(now),
            version: 1,
        };
        let event = TicketEvent {
            seq: 1,
            kind: if answered {
                "answered_on_call"
            } else {
                "created"
            }
            .to_string(),
            actor: caller.name.clone(),
            role: caller.role,
            department: caller.department.clone(),
            from: None,
            to: status,
            note: None,
            data: serde_json::json!({ "entry_ids": ticket.entry_ids }),
            at: now,
        };
        (ticket, event)
    }

    /// Trims the free text fields and checks what serde cannot.
    pub fn validate(mut self) -> AppResult<NewTicket> {
        self.content = self.content.trim().to_string();
        if self.content.is_empty() {
            return Err(AppError::new(
                Code::ContentEmpty,
                "content（诉求摘要）不能为空",
            ));
        }
        if self.content.chars().count() > MAX_CONTENT_CHARS {
            return Err(AppError::new(
                Code::ContentTooLong,
                format!("content 最长 {MAX_CONTENT_CHARS} 字，长转写请放在 transcript"),
            ));
        }
        if self
            .transcript
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_TRANSCRIPT_CHARS)
        {
            return Err(AppError::new(
                Code::TranscriptTooLong,
                format!("transcript 最长 {MAX_TRANSCRIPT_CHARS} 字"),
            ));
        }
        let blank_to_none =
            |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.caller_phone = blank_to_none(self.caller_phone);
        self.caller_name = blank_to_none(self.caller_name);
        self.region = blank_to_none(self.region);
        self.address = blank_to_none(self.address);
        self.transcript = blank_to_none(self.transcript);
        self.proposed_department = blank_to_none(self.proposed_department);
        if self.resolution == Resolution::Answered && self.proposed_department.is_some() {
            return Err(AppError::new(
                Code::InvalidResolution,
                "当场办结（answered）的工单不需要 proposed_department；需要派单请用 dispatch",
            ));
        }
        Ok(self)
    }
}

/// Where a ticket stands against its deadline, in working days of the calendar.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeadlineView {
    /// The deadline instant (RFC 3339, UTC).
    pub due_at: String,
    /// The deadline's date in China Standard Time.
    pub due_date: String,
    /// Working days left until the due date (0 on the due date; negative when overdue).
    pub remaining_working_days: i64,
    /// Natural minutes left until the deadline (negative when overdue).
    pub remaining_minutes: i64,
    pub overdue: bool,
    /// `due_soon` (due by the end of the next working day) or `overdue`.
    pub warning: Option<Warning>,
}

impl DeadlineView {
    pub fn of(due: OffsetDateTime, now: OffsetDateTime, calendar: &WorkCalendar) -> DeadlineView {
        let left = remaining(due, now, calendar);
        DeadlineView {
            due_at: timestamp(due),
            due_date: format_date(cst_date(due)),
            remaining_working_days: left.working_days,
            remaining_minutes: left.minutes,
            overdue: left.overdue,
            warning: warning_level(due, now, calendar),
        }
    }
}

/// A ticket as the caller of the API may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: String,
    pub number: String,
    pub status: TicketStatus,
    /// 状态的中文名
    pub status_label: &'static str,
    pub channel: Channel,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub urgency: Urgency,
    pub caller_phone: Option<String>,
    pub caller_name: Option<String>,
    /// Whether the caller's phone and name are masked for this reader.
    pub personal_data_masked: bool,
    pub content: String,
    pub transcript: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub resolution: Resolution,
    pub proposed_department: Option<String>,
    pub department: Option<String>,
    pub co_departments: Vec<String>,
    pub round: u32,
    pub dispatched_at: Option<String>,
    pub accepted_at: Option<String>,
    pub replied_at: Option<String>,
    pub reply: Option<String>,
    /// Reply deadline and remaining working time, while a department handles the ticket.
    pub deadline: Option<DeadlineView>,
    /// When acceptance is due (特急).
    pub accept_due_at: Option<String>,
    /// An extension asked for and awaiting the dispatcher.
    pub extension_request: Option<ExtensionRequest>,
    pub extensions: u32,
    pub returns: u32,
    pub merged_into: Option<String>,
    /// The latest callback rating (5 非常满意 … 1 非常不满意).
    pub rating: Option<u8>,
    pub poor_ratings: u32,
    /// The rectification track (差评整改) of the latest poor rating.
    pub rectification: Option<Rectification>,
    /// The deadline of the next rectification step.
    pub rectification_due_at: Option<String>,
    pub search_ids: Vec<String>,
    pub entry_ids: Vec<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

/// One event of a ticket's history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TicketEventView {
    pub seq: u32,
    pub kind: String,
    pub actor: String,
    pub role: Role,
    pub department: Option<String>,
    pub from: Option<TicketStatus>,
    pub to: TicketStatus,
    pub note: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: String,
}

impl From<TicketEvent> for TicketEventView {
    fn from(e: TicketEvent) -> TicketEventView {
        TicketEventView {
            seq: e.seq,
            kind: e.kind,
            actor: e.actor,
            role: e.role,
            department: e.department,
            from: e.from,
            to: e.to,
            note: e.note,
            data: e.data,
            at: timestamp(e.at),
        }
    }
}

/// Whether `reader` sees the caller's phone and name in full on this ticket: dispatchers,
/// supervisors and administrators, and the departments handling it (they call the citizen
/// back); agents and other departments see them masked.
pub fn sees_caller(reader: &Identity, ticket: &Ticket) -> bool {
    if reader.role.sees_personal_data() {
        return true;
    }
    reader.role == Role::Department && involves(ticket, reader.department.as_deref())
}

/// Whether the department leads or assists the ticket.
pub fn involves(ticket: &Ticket, department: Option<&str>) -> bool {
    let Some(code) = department else {
        return false;
    };
    ticket.department.as_deref() == Some(code) || ticket.co_departments.iter().any(|c| c == code)
}

impl TicketView {
    /// The ticket for `reader` at `now`, with personal data masked unless `unmasked`.
    pub fn of(
        ticket: Ticket,
        unmasked: bool,
        now: OffsetDateTime,
        calendar: &WorkCalendar,
    ) -> Self {
        let handling = ticket.status.deadline_running();
        let deadline = ticket
            .due_at
            .filter(|_| handling)
            .map(|due| DeadlineView::of(due, now, calendar));
        let has_personal = ticket.caller_phone.is_some() || ticket.caller_name.is_some();
        let (caller_phone, caller_name) = if unmasked {
            (ticket.caller_phone, ticket.caller_name)
        } else {
            (
                ticket.caller_phone.as_deref().map(mask_phone),
                ticket.caller_name.as_deref().map(mask_name),
            )
        };
        let ts = |at: Option<OffsetDateTime>| at.map(timestamp);
        TicketView {
            status_label: ticket.status.label(),
            id: ticket.id,
            number: ticket.number,
            status: ticket.status,
            channel: ticket.channel,
            ticket_type: ticket.ticket_type,
            urgency: ticket.urgency,
            caller_phone,
            caller_name,
            personal_data_masked: has_personal && !unmasked,
            content: ticket.content,
            transcript: ticket.transcript,
            region: ticket.region,
            address: ticket.address,
            resolution: ticket.resolution,
            proposed_department: ticket.proposed_department,
            department: ticket.department,
            co_departments: ticket.co_departments,
            round: ticket.round,
            dispatched_at: ts(ticket.dispatched_at),
            accepted_at: ts(ticket.accepted_at),
            replied_at: ts(ticket.replied_at),
            reply: ticket.reply,
            deadline,
            accept_due_at: ts(ticket.accept_due_at),
            extension_request: ticket.extension,
            extensions: ticket.extensions,
            returns: ticket.returns,
            merged_into: ticket.merged_into,
            rating: ticket.rating,
            poor_ratings: ticket.poor_ratings,
            rectification: ticket.rectification,
            rectification_due_at: ts(ticket.rectification_due_at),
            search_ids: ticket.search_ids,
            entry_ids: ticket.entry_ids,
            created_by: ticket.created_by,
            created_at: timestamp(ticket.created_at),
            updated_at: timestamp(ticket.updated_at),
            closed_at: ts(ticket.closed_at),
        }
    }
}
