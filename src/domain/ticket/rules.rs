//! The actions on a ticket and the pure rule [`decide`]: whether an actor may take an action in
//! the current state, and what follows (next state, event, deadline, rectification).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::values::*;
use crate::domain::access::Role;
use crate::domain::calendar::WorkCalendar;
use crate::domain::deadline::{due_at, end_of_day, DeadlinePolicy, DeadlineRule};
use crate::error::{AppError, AppResult, Code};

/// Something done to a ticket, one a POST on `/api/v1/tickets/{id}/…` (see [`Action::path`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Dispatch {
        department: String,
        co_departments: Vec<String>,
        note: Option<String>,
    },
    Accept,
    Reply {
        text: String,
    },
    Return {
        reason: String,
    },
    RejectReturn {
        ruling: String,
    },
    RequestExtension {
        reason: String,
        until: Date,
    },
    ApproveExtension,
    DenyExtension {
        reason: Option<String>,
    },
    Callback {
        rating: u8,
        comment: Option<String>,
    },
    Merge {
        into: String,
    },
    Supervise {
        note: String,
    },
    /// A step of the rectification track, recorded by the department that got the poor rating.
    Rectify {
        step: RectificationStep,
        note: String,
    },
    /// A dispatcher or supervisor rules the rectification complex: the longer rule applies.
    MarkComplex {
        reason: String,
    },
}

impl Action {
    /// The last part of the URL.
    pub fn path(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "dispatch",
            Action::Accept => "accept",
            Action::Reply { .. } => "reply",
            Action::Return { .. } => "return",
            Action::RejectReturn { .. } => "reject-return",
            Action::RequestExtension { .. } => "extension",
            Action::ApproveExtension => "extension/approve",
            Action::DenyExtension { .. } => "extension/deny",
            Action::Callback { .. } => "callback",
            Action::Merge { .. } => "merge",
            Action::Supervise { .. } => "supervise",
            Action::Rectify { .. } => "rectification",
            Action::MarkComplex { .. } => "rectification/complex",
        }
    }

    /// The verb for messages: 不能{verb}.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "派单",
            Action::Accept => "受理",
            Action::Reply { .. } => "答复",
            Action::Return { .. } => "退回",
            Action::RejectReturn { .. } => "驳回退回",
            Action::RequestExtension { .. } => "申请延期",
            Action::ApproveExtension => "批准延期",
            Action::DenyExtension { .. } => "驳回延期",
            Action::Callback { .. } => "回访",
            Action::Merge { .. } => "合并",
            Action::Supervise { .. } => "督办",
            Action::Rectify { .. } => "记录整改",
            Action::MarkComplex { .. } => "认定复杂整改",
        }
    }
}

/// Who acts: a token's role, its department (for `department` tokens) and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub department: Option<String>,
    pub name: String,
}

/// The rectification track of the latest poor rating.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rectification {
    /// The department whose handling got the poor rating; it records the steps.
    pub department: String,
    pub complex: bool,
    /// Steps recorded so far, in order.
    pub done: Vec<RectificationStep>,
}

impl Rectification {
    pub fn finished(&self) -> bool {
        self.done.contains(&RectificationStep::Rectified)
    }
}

/// What the lifecycle rules need to know of a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketState {
    pub id: String,
    pub status: TicketStatus,
    pub ticket_type: TicketType,
    pub urgency: Urgency,
    /// The main department (主办), once dispatched.
    pub department: Option<String>,
    /// Co-departments (协办).
    pub co_departments: Vec<String>,
    /// Handling round, 1 at first; a redo (重办) adds one.
    pub round: u32,
    /// The reply deadline while one runs.
    pub due: Option<OffsetDateTime>,
    /// An extension asked for and not yet ruled on: (reason, until).
    pub pending_extension: Option<(String, Date)>,
    pub merged_into: Option<String>,
    pub rectification: Option<Rectification>,
}

impl TicketState {
    /// A ticket just created.
    pub fn new(
        id: impl Into<String>,
        ticket_type: TicketType,
        urgency: Urgency,
        resolution: Resolution,
    ) -> TicketState {
        TicketState {
            id: id.into(),
            status: resolution.initial_status(),
            ticket_type,
            urgency,
            department: None,
            co_departments: Vec::new(),
            round: 1,
            due: None,
            pending_extension: None,
            merged_into: None,
            rectification: None,
        }
    }
}

/// What happens to the reply deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineEffect {
    Keep,
    /// A new round starts now: reply by `reply`, accept by `accept` (both from now).
    Restart {
        reply: DeadlineRule,
        accept: DeadlineRule,
    },
    /// An approved extension: the end of that day, China Standard Time.
    MoveTo(Date),
    /// No deadline runs any more (closed, merged, back to the dispatchers).
    Clear,
}

impl DeadlineEffect {
    /// The reply deadline after the effect, given the current one.
    pub fn apply(
        self,
        current: Option<OffsetDateTime>,
        now: OffsetDateTime,
        calendar: &WorkCalendar,
    ) -> Option<OffsetDateTime> {
        match self {
            DeadlineEffect::Keep => current,
            DeadlineEffect::Restart { reply, .. } => Some(due_at(now, reply, calendar)),
            DeadlineEffect::MoveTo(date) => Some(end_of_day(date)),
            DeadlineEffect::Clear => None,
        }
    }
}

/// The outcome of a legal action: the state after it, what to log, and the deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The state after the action (`due` still the old one: apply [`Decision::deadline`]).
    pub next: TicketState,
    pub event: EventKind,
    pub deadline: DeadlineEffect,
    /// A poor rating opened a new rectification track (`next.rectification`); its step
    /// deadlines run from now, see [`DeadlinePolicy::rectification_dues`].
    pub opens_rectification: bool,
}

/// Whether `actor` may take `action` on a ticket in `state`, and what follows. Errors change
/// nothing: 403 `forbidden` (role, or a department the ticket is not dispatched to), 409
/// `ticket_state_conflict` (wrong status), `extension_conflict` (an extension already pending,
/// or none to rule on), `rectification_conflict` (no open track, step already recorded),
/// 400 `invalid_request` (empty text), `invalid_rating`, `invalid_extension`.
pub fn decide(
    state: &TicketState,
    actor: &Actor,
    action: &Action,
    policy: &DeadlinePolicy,
) -> AppResult<Decision> {
    check_actor(state, actor, action)?;
    check_status(state, actor, action)?;
    let mut next = state.clone();
    let mut deadline = DeadlineEffect::Keep;
    let mut opens_rectification = false;
    let event = match action {
        Action::Dispatch {
            department,
            co_departments,
            ..
        } => {
            let department = required(department, "department", "主办单位")?;
            next.co_departments = co_department_list(&department, co_departments)?;
            next.department = Some(department);
            next.status = TicketStatus::Dispatched;
            deadline = restart(state, policy);
            EventKind::Dispatched
        }
        Action::Accept => {
            next.status = TicketStatus::Accepted;
            EventKind::Accepted
        }
        Action::Reply { text } => {
            required(text, "text", "答复内容")?;
            if relation(state, actor) == Relation::Co {
                EventKind::CoReplied
            } else {
                next.status = TicketStatus::Replied;
                next.pending_extension = None;
                EventKind::Replied
            }
        }
        Action::Return { reason } => {
            required(reason, "reason", "退回理由")?;
            next.status = TicketStatus::Returned;
            next.pending_extension = None;
            EventKind::Returned
        }
        Action::RejectReturn { ruling } => {
            required(ruling, "ruling", "驳回意见")?;
            next.status = TicketStatus::Dispatched;
            EventKind::ReturnRejected
        }
        Action::RequestExtension { reason, until } => {
            let reason = required(reason, "reason", "延期理由")?;
            if let Some(due) = state.due {
                if end_of_day(*until) <= due {
                    return Err(AppError::new(
                        Code::InvalidExtension,
                        format!("延期至 {until} 不晚于当前办理时限，应选择更晚的日期"),
                    ));
                }
            }
            next.pending_extension = Some((reason, *until));
            EventKind::ExtensionRequested
        }
        Action::ApproveExtension => {
            if let Some((_, until)) = next.pending_extension.take() {
                deadline = DeadlineEffect::MoveTo(until);
            }
            EventKind::ExtensionApproved
        }
        Action::DenyExtension { .. } => {
            next.pending_extension = None;
            EventKind::ExtensionDenied
        }
        Action::Callback { rating, .. } => {
            let rating = Rating::new(*rating)?;
            if !rating.is_poor() {
                next.status = TicketStatus::Closed;
                deadline = DeadlineEffect::Clear;
                EventKind::Closed
            } else {
                if let Some(department) = &state.department {
                    next.rectification = Some(Rectification {
                        department: department.clone(),
                        complex: false,
                        done: Vec::new(),
                    });
                    opens_rectification = true;
                }
                next.round = state.round.saturating_add(1);
                if state.round < policy.redo_max_rounds() {
                    next.status = TicketStatus::Dispatched;
                    deadline = restart(state, policy);
                    EventKind::Redo
                } else {
                    next.status = TicketStatus::New;
                    next.department = None;
                    next.co_departments.clear();
                    deadline = DeadlineEffect::Clear;
                    EventKind::RedoEscalated
                }
            }
        }
        Action::Merge { into } => {
            let into = required(into, "into", "合并目标工单")?;
            if into == state.id {
                return Err(AppError::new(Code::InvalidRequest, "工单不能合并到自身"));
            }
            next.status = TicketStatus::Merged;
            next.merged_into = Some(into);
            next.pending_extension = None;
            deadline = DeadlineEffect::Clear;
            EventKind::Merged
        }
        Action::Supervise { note } => {
            required(note, "note", "督办意见")?;
            EventKind::Supervised
        }
        Action::Rectify { step, note } => {
            required(note, "note", "整改情况")?;
            let track = open_track(&mut next, action)?;
            if track.done.contains(step) {
                return Err(rectification_conflict(format!(
                    "整改步骤「{}」已记录过",
                    step.label()
                )));
            }
            if *step == RectificationStep::Rectified
                && !track.done.contains(&RectificationStep::Contacted)
            {
                return Err(rectification_conflict(
                    "整改完成前应先联系来电人（contacted）".to_string(),
                ));
            }
            track.done.push(*step);
            match step {
                RectificationStep::Verified => EventKind::RectificationVerified,
                RectificationStep::Contacted => EventKind::RectificationContacted,
                RectificationStep::Planned => EventKind::RectificationPlanned,
                RectificationStep::Rectified => EventKind::RectificationRectified,
            }
        }
        Action::MarkComplex { reason } => {
            required(reason, "reason", "认定理由")?;
            let track = open_track(&mut next, action)?;
            if track.complex {
                return Err(rectification_conflict("该整改已认定为复杂整改".to_string()));
            }
            track.complex = true;
            EventKind::RectificationComplex
        }
    };
    Ok(Decision {
        next,
        event,
        deadline,
        opens_rectification,
    })
}

/// How a department stands to a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Relation {
    Main,
    Co,
    None,
}

fn relation(state: &TicketState, actor: &Actor) -> Relation {
    let Some(mine) = actor.department.as_deref() else {
        return Relation::None;
    };
    if state.department.as_deref() == Some(mine) {
        Relation::Main
    } else if state.co_departments.iter().any(|c| c == mine) {
        Relation::Co
    } else {
        Relation::None
    }
}

fn forbidden(message: String) -> AppError {
    AppError::new(Code::Forbidden, message)
}

/// Role first, then the department the ticket is dispatched to.
fn check_actor(state: &TicketState, actor: &Actor, action: &Action) -> AppResult<()> {
    let verb = action.verb();
    let roles: &[Role] = match action {
        Action::Dispatch { .. }
        | Action::RejectReturn { .. }
        | Action::ApproveExtension
        | Action::DenyExtension { .. }
        | Action::Callback { .. }
        | Action::Merge { .. } => &[Role::Dispatcher],
        Action::Supervise { .. } | Action::MarkComplex { .. } => {
            &[Role::Dispatcher, Role::Supervisor]
        }
        Action::Accept
        | Action::Reply { .. }
        | Action::Return { .. }
        | Action::RequestExtension { .. }
        | Action::Rectify { .. } => &[Role::Department],
    };
    if !roles.contains(&actor.role) {
        return Err(forbidden(format!(
            "角色 {} 无权{verb}工单",
            actor.role.as_str()
        )));
    }
    if actor.role != Role::Department {
        return Ok(());
    }
    let mine = actor.department.as_deref().unwrap_or("（未绑定）");
    if let Action::Rectify { .. } = action {
        let track_department = state.rectification.as_ref().map(|r| r.department.as_str());
        return match track_department {
            Some(d) if d == mine => Ok(()),
            _ => Err(forbidden(format!(
                "部门 {mine} 不是本工单差评整改的责任单位，不能{verb}"
            ))),
        };
    }
    match (relation(state, actor), action) {
        (Relation::Main, _) | (Relation::Co, Action::Reply { .. }) => Ok(()),
        (Relation::Co, _) => Err(forbidden(format!(
            "部门 {mine} 是本工单的协办单位，只能提交协办意见，不能{verb}"
        ))),
        (Relation::None, _) => Err(forbidden(format!("工单未派给部门 {mine}，不能{verb}"))),
    }
}

/// The statuses an action may start from; 409 naming the current status otherwise.
fn check_status(state: &TicketState, actor: &Actor, action: &Action) -> AppResult<()> {
    use TicketStatus::*;
    let allowed: &[TicketStatus] = match action {
        Action::Dispatch { .. } => &[New, Returned],
        Action::Accept => &[Dispatched],
        Action::Reply { .. } if relation(state, actor) == Relation::Co => &[Dispatched, Accepted],
        Action::Reply { .. } => &[Accepted],
        Action::Return { .. }
        | Action::RequestExtension { .. }
        | Action::ApproveExtension
        | Action::DenyExtension { .. } => &[Dispatched, Accepted],
        Action::RejectReturn { .. } => &[Returned],
        Action::Callback { .. } => &[Replied],
        Action::Merge { .. } => &[New, Dispatched, Accepted, Returned],
        Action::Supervise { .. } => &[New, Dispatched, Accepted, Replied, Returned],
        Action::Rectify { .. } | Action::MarkComplex { .. } => TicketStatus::ALL,
    };
    if !allowed.contains(&state.status) {
        return Err(AppError::new(
            Code::TicketStateConflict,
            format!(
                "工单当前状态为 {}（{}），不能{}",
                state.status.as_str(),
                state.status.label(),
                action.verb()
            ),
        ));
    }
    let pending = state.pending_extension.is_some();
    match action {
        Action::RequestExtension { .. } if pending => {
            Err(extension_conflict("已有待审批的延期申请，请等待派单员审批"))
        }
        Action::ApproveExtension | Action::DenyExtension { .. } if !pending => {
            Err(extension_conflict("没有待审批的延期申请"))
        }
        _ => Ok(()),
    }
}

fn extension_conflict(message: &str) -> AppError {
    AppError::new(Code::ExtensionConflict, message)
}

fn rectification_conflict(message: String) -> AppError {
    AppError::new(Code::RectificationConflict, message)
}

/// The open (unfinished) rectification track of the ticket.
fn open_track<'a>(next: &'a mut TicketState, action: &Action) -> AppResult<&'a mut Rectification> {
    match next.rectification.as_mut() {
        Some(track) if !track.finished() => Ok(track),
        _ => Err(rectification_conflict(format!(
            "工单没有进行中的差评整改，不能{}",
            action.verb()
        ))),
    }
}

/// The trimmed text, or 400 when it is empty.
fn required(text: &str, field: &str, what: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::new(
            Code::InvalidRequest,
            format!("{what}（{field}）不能为空"),
        ));
    }
    Ok(text.to_string())
}

/// Trimmed co-departments without repeats; the main department may not be one of them.
fn co_department_list(main: &str, given: &[String]) -> AppResult<Vec<String>> {
    let mut list: Vec<String> = Vec::new();
    for code in given {
        let code = required(code, "co_departments", "协办单位编码")?;
        if code == main {
            return Err(AppError::new(
                Code::InvalidRequest,
                format!("部门 {code} 已是主办单位，不能同时协办"),
            ));
        }
        if !list.contains(&code) {
            list.push(code);
        }
    }
    Ok(list)
}

fn restart(state: &TicketState, policy: &DeadlinePolicy) -> DeadlineEffect {
    DeadlineEffect::Restart {
        reply: policy.reply_rule(state.ticket_type, state.urgency),
        accept: policy.accept_rule(state.urgency),
    }
}
