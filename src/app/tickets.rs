//! The ticket workflow (工单): recording calls, the lists dispatchers and departments work from,
//! and every transition of the lifecycle. Each use case checks its caller's permission here,
//! once; handlers only translate HTTP.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::feedback::ticket_knowledge;
use super::routing::RoutingSuggestion;
use super::App;
use crate::db::{TicketFilter, TicketWrite};
use crate::domain::access::{Identity, Role};
use crate::domain::date::cst_date;
use crate::domain::similar::{CallText, SIMILAR_FLOOR};
use crate::domain::ticket::{TicketStatus, TicketType};
use crate::domain::ticket_record::Ticket;
use crate::domain::ticket_view::{involves, sees_caller, NewTicket, TicketEventView, TicketView};
use crate::domain::warnings::{self, DepartmentWarnings};
use crate::error::{AppError, AppResult, Code};

/// The audit action of reading a ticket with the caller's personal data unmasked.
pub const READ_TICKET: &str = "read_ticket";

/// A ticket with its complete history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// Every change, oldest first.
    pub history: Vec<TicketEventView>,
    /// Numbers of the tickets merged into this one (并单).
    pub merged: Vec<String>,
    /// Suggested departments (智能派单) while the ticket awaits dispatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<Vec<RoutingSuggestion>>,
}

/// One page of a ticket list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TicketPage {
    pub tickets: Vec<TicketView>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// What a list asks for, parsed from the query string.
#[derive(Clone, Debug, Default)]
pub struct TicketQuery {
    pub department: Option<String>,
    pub status: Option<TicketStatus>,
    pub ticket_type: Option<TicketType>,
    pub due_before: Option<OffsetDateTime>,
    pub overdue: bool,
    pub dissatisfied: bool,
    pub limit: usize,
    pub cursor: Option<String>,
}

/// The ticket workflow over the shared application context.
pub struct TicketDesk<'a> {
    app: &'a App,
}

impl TicketDesk<'_> {
    pub(super) fn app(&self) -> &App {
        self.app
    }
}

impl App {
    /// The ticket workflow.
    pub fn tickets(&self) -> TicketDesk<'_> {
        TicketDesk { app: self }
    }
}

fn may_record(role: Role) -> bool {
    matches!(
        role,
        Role::Agent | Role::Dispatcher | Role::Supervisor | Role::Admin
    )
}

fn may_read_all(role: Role) -> bool {
    matches!(
        role,
        Role::Agent | Role::Dispatcher | Role::Supervisor | Role::Admin
    )
}

fn forbidden(caller: &Identity, what: &str) -> AppError {
    AppError::new(
        Code::Forbidden,
        format!("角色 {} 无权{what}", caller.role.as_str()),
    )
}

pub(super) fn ticket_not_found(id: &str) -> AppError {
    AppError::new(Code::TicketNotFound, format!("工单 {id} 不存在"))
}

impl TicketDesk<'_> {
    /// Records a call: closed on the call (`answered`) or awaiting dispatch.
    pub async fn create(&self, caller: &Identity, request: NewTicket) -> AppResult<TicketDetail> {
        if !may_record(caller.role) {
            return Err(forbidden(caller, "登记工单"));
        }
        let request = request.validate()?;
        self.check_references(&request).await?;
        let now = self.app.clock.now();
        let (ticket, event) = request.record(uuid::Uuid::now_v7().to_string(), caller, now);
        let status = ticket.status;
        let day = crate::domain::date::format_date(cst_date(now)).replace('-', "");
        let (feedback, observation) = ticket_knowledge(&ticket);
        let write = TicketWrite {
            ticket: ticket.clone(),
            day,
            event: event.clone(),
            feedback,
            observation,
        };
        // The suggestions are worked out while the ticket is being written.
        let (number, routing) = tokio::join!(
            self.app.db.insert_ticket(write),
            self.routing_for(caller, &ticket)
        );
        let number = number?;
        tracing::info!(ticket = %number, status = status.as_str(), "ticket recorded");
        // The ticket is recorded: suggestions that failed are left out rather than failing it.
        let routing = routing.unwrap_or_else(|err| {
            tracing::warn!(ticket = %number, code = err.code.as_str(), message = %err.message, "routing suggestions for a new ticket failed");
            None
        });
        // The answer is built from what was just written (no re-read): the caller typed the
        // personal data in, so showing it back is not a read to audit.
        let ticket = Ticket { number, ..ticket };
        let unmasked = sees_caller(caller, &ticket) || caller.role == Role::Agent;
        Ok(TicketDetail {
            ticket: TicketView::of(ticket, unmasked, now, &self.app.calendar),
            history: vec![TicketEventView::from(event)],
            merged: Vec::new(),
            routing,
        })
    }

    /// Suggested departments while the ticket awaits dispatch (not for department clerks).
    async fn routing_for(
        &self,
        caller: &Identity,
        ticket: &Ticket,
    ) -> AppResult<Option<Vec<RoutingSuggestion>>> {
        if ticket.status != TicketStatus::New || caller.role == Role::Department {
            return Ok(None);
        }
        let routing = self.app.routing();
        let suggestions = routing
            .suggest_for(
                &ticket.content,
                Some(ticket.ticket_type.as_str()),
                ticket.region.clone(),
            )
            .await?;
        Ok(Some(suggestions))
    }

    /// Entries and searches named by a new ticket must exist, so the record can be trusted.
    async fn check_references(&self, request: &NewTicket) -> AppResult<()> {
        for id in &request.entry_ids {
            if self.app.db.entry(id).await?.is_none() {
                return Err(AppError::new(
                    Code::UnknownEntry,
                    format!("entry_ids 中的知识条目 {id} 不存在"),
                ));
            }
        }
        for id in &request.search_ids {
            if self.app.db.search_record(id).await?.is_none() {
                return Err(AppError::new(
                    Code::UnknownSearch,
                    format!("search_ids 中的检索记录 {id} 不存在"),
                ));
            }
        }
        if let Some(code) = &request.proposed_department {
            self.app
                .require_department(code, "proposed_department")
                .await?;
        }
        Ok(())
    }

    /// Loads a ticket the caller may see: department clerks see only the tickets their
    /// department leads or assists (others are as absent as unknown ids).
    pub(super) async fn visible(&self, caller: &Identity, id: &str) -> AppResult<Ticket> {
        let ticket = match self.app.db.ticket(id).await? {
            Some(ticket) => Some(ticket),
            None => self.app.db.ticket_by_number(id).await?,
        }
        .ok_or_else(|| ticket_not_found(id))?;
        match caller.role {
            Role::Department if involves(&ticket, caller.department.as_deref()) => Ok(ticket),
            role if may_read_all(role) => Ok(ticket),
            Role::Department => Err(ticket_not_found(id)),
            _ => Err(forbidden(caller, "查看工单")),
        }
    }

    /// A ticket with its history. Reading a caller's personal data unmasked is audited.
    pub async fn detail(&self, caller: &Identity, id: &str) -> AppResult<TicketDetail> {
        let ticket = self.visible(caller, id).await?;
        let unmasked = sees_caller(caller, &ticket);
        if unmasked && (ticket.caller_phone.is_some() || ticket.caller_name.is_some()) {
            self.app
                .db
                .audit(
                    &caller.name,
                    READ_TICKET,
                    &ticket.id,
                    &self.app.clock.timestamp(),
                )
                .await?;
        }
        let history = self.app.db.ticket_events(&ticket.id).await?;
        let merged = self
            .app
            .db
            .merged_tickets(&ticket.id)
            .await?
            .into_iter()
            .map(|t| t.number)
            .collect();
        let routing = self.routing_for(caller, &ticket).await?;
        let now = self.app.clock.now();
        Ok(TicketDetail {
            ticket: TicketView::of(ticket, unmasked, now, &self.app.calendar),
            history: history.into_iter().map(TicketEventView::from).collect(),
            merged,
            routing,
        })
    }

    /// One page of a list, newest first. Department clerks list their own department's
    /// tickets whatever `department` says; personal data is masked in lists.
    pub async fn list(&self, caller: &Identity, query: TicketQuery) -> AppResult<TicketPage> {
        let department = match caller.role {
            Role::Department => caller.department.clone(),
            role if may_read_all(role) => query.department.clone(),
            _ => return Err(forbidden(caller, "查看工单")),
        };
        let now = self.app.clock.now();
        let filter = TicketFilter {
            department,
            status: query.status,
            ticket_type: query.ticket_type,
            due_before: query.due_before,
            overdue_at: query.overdue.then_some(now),
            dissatisfied: query.dissatisfied,
            created_since: None,
            before_id: query.cursor.clone(),
        };
        let limit = i64::try_from(query.limit).unwrap_or(200);
        let mut tickets = self.app.db.tickets(&filter, limit + 1).await?;
        let next_cursor = if tickets.len() > query.limit {
            tickets.truncate(query.limit);
            tickets.last().map(|t| t.id.clone())
        } else {
            None
        };
        Ok(TicketPage {
            tickets: tickets
                .into_iter()
                .map(|t| TicketView::of(t, false, now, &self.app.calendar))
                .collect(),
            next_cursor,
        })
    }

    /// Open tickets of the last 30 days, for the similar-ticket check.
    pub(super) async fn recent_open(&self, limit: i64) -> AppResult<Vec<Ticket>> {
        let since = self.app.clock.now() - Duration::days(30);
        let filter = TicketFilter {
            created_since: Some(since),
            ..TicketFilter::default()
        };
        let tickets = self.app.db.tickets(&filter, limit).await?;
        Ok(tickets
            .into_iter()
            .filter(|t| !matches!(t.status, TicketStatus::Closed | TicketStatus::Merged))
            .collect())
    }
}

/// An open ticket that may be the same appeal as another.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarTicket {
    pub id: String,
    pub number: String,
    pub status: TicketStatus,
    pub content: String,
    pub region: Option<String>,
    pub address: Option<String>,
    pub department: Option<String>,
    pub created_at: String,
    /// 0–1, best first.
    pub score: f32,
}

/// Open tickets of the last 30 days considered for repeats.
const SIMILAR_WINDOW: i64 = 5_000;

impl TicketDesk<'_> {
    /// Open tickets of the last 30 days about the same matter as ticket `id`, best first, so a
    /// dispatcher sees repeated appeals (重复诉求) before dispatching.
    pub async fn similar(&self, caller: &Identity, id: &str) -> AppResult<Vec<SimilarTicket>> {
        if !may_read_all(caller.role) || caller.role == Role::Agent {
            return Err(forbidden(caller, "查看重复诉求"));
        }
        let ticket = self.visible(caller, id).await?;
        let probe = CallText::new(
            &ticket.content,
            ticket.region.as_deref(),
            ticket.address.as_deref(),
        );
        let mut similar: Vec<SimilarTicket> = self
            .recent_open(SIMILAR_WINDOW)
            .await?
            .into_iter()
            .filter(|other| other.id != ticket.id)
            .filter_map(|other| {
                let text = CallText::new(
                    &other.content,
                    other.region.as_deref(),
                    other.address.as_deref(),
                );
                let score = probe.similarity(&text, None);
                (score >= SIMILAR_FLOOR).then(|| SimilarTicket {
                    id: other.id,
                    number: other.number,
                    status: other.status,
                    content: other.content,
                    region: other.region,
                    address: other.address,
                    department: other.department,
                    created_at: crate::domain::date::timestamp(other.created_at),
                    score: (score * 1000.0).round() / 1000.0,
                })
            })
            .collect();
        similar.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| b.id.cmp(&a.id)));
        similar.truncate(20);
        Ok(similar)
    }
}

impl App {
    /// Loads a previous system's closed tickets (JSON Lines) for routing: all or nothing.
    /// Returns (lines read, tickets new to the database).
    pub async fn import_ticket_history(&self, path: &std::path::Path) -> AppResult<(usize, u64)> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            AppError::new(
                Code::ImportInvalid,
                format!("{}: 无法读取：{err}", path.display()),
            )
        })?;
        let departments = self.db.department_codes().await?;
        let name = path.display().to_string();
        let tickets = crate::domain::ticket_import::parse_history(&name, &text, &departments)
            .map_err(|problems| {
                AppError::new(
                    Code::ImportInvalid,
                    format!("工单文件有 {} 处错误，未写入任何数据", problems.len()),
                )
                .with_details(problems)
            })?;
        let inserted = self
            .db
            .insert_ticket_history(&tickets, &name, &self.clock.timestamp())
            .await?;
        Ok((tickets.len(), inserted))
    }
}

impl TicketDesk<'_> {
    /// Deadline warnings and callbacks waiting, per department: all departments for
    /// dispatchers and supervisors, its own for a department clerk.
    pub async fn warnings(&self, caller: &Identity) -> AppResult<Vec<DepartmentWarnings>> {
        let own = match caller.role {
            Role::Department => caller.department.clone(),
            Role::Dispatcher | Role::Supervisor | Role::Admin => None,
            _ => return Err(forbidden(caller, "查看超期预警")),
        };
        let all = self.current_warnings().await?;
        Ok(match own {
            Some(code) => all.into_iter().filter(|w| w.department == code).collect(),
            None => all,
        })
    }

    /// Warnings of every department now.
    pub async fn current_warnings(&self) -> AppResult<Vec<DepartmentWarnings>> {
        let open = self.app.db.open_deadlines().await?;
        Ok(warnings::count(
            &open,
            self.app.clock.now(),
            &self.app.calendar,
        ))
    }
}
