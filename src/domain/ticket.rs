//! The ticket lifecycle (工单流转): the values of a ticket (channel, type, urgency, status,
//! rating, rectification steps), the actions on it, and the pure rule [`decide`] that says
//! whether an actor may take an action in the current state and what follows from it.
//!
//! Statuses: `new` 待派单 → `dispatched` 已派单 → `accepted` 已受理 → `replied` 已答复 →
//! `closed` 已办结; `returned` 已退回 waits for the dispatcher's ruling; `merged` 已合并.
//! Only the main department (主办) accepts, replies, returns and asks for an extension; a
//! co-department (协办) may only add a reply note (`co_replied`), which changes no status.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::access::Role;
use super::calendar::WorkCalendar;
use super::deadline::{due_at, end_of_day, DeadlinePolicy, DeadlineRule};
use crate::error::{AppError, AppResult, Code};

/// An enum whose values are fixed API strings: serde, OpenAPI, `ALL`, `as_str`, `parse` (with
/// a Chinese error listing the allowed values) and `Display`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $code:ident, $what:literal,
     { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        // Written by hand: the derive does not see `serde(rename)` through a macro, and the
        // document must list the values clients send.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .description(Some($what))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> AppResult<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    AppError::new(
                        Code::$code,
                        format!("未知{} {text:?}，可选值：{}", $what, names.join("、")),
                    )
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// How the caller reached the hotline.
    Channel, InvalidChannel, "受理渠道",
    { Phone = "电话", Website = "网站", WeChat = "微信", App = "APP", Sms = "短信" }
);

text_enum!(
    /// What the caller wants; decides the reply deadline with [`Urgency`].
    TicketType, InvalidTicketType, "工单类型",
    {
        Consultation = "咨询",
        Help = "求助",
        Complaint = "投诉",
        Report = "举报",
        Suggestion = "建议",
        Praise = "表扬",
    }
);

text_enum!(
    /// 特急: water, power or gas cut off and the like; deadlines in natural hours.
    Urgency, InvalidUrgency, "紧急程度",
    { Normal = "一般", Urgent = "紧急", Critical = "特急" }
);

text_enum!(
    /// Where a ticket stands. See the module documentation for the flow.
    TicketStatus, InvalidStatus, "工单状态",
    {
        New = "new",
        Dispatched = "dispatched",
        Accepted = "accepted",
        Replied = "replied",
        Returned = "returned",
        Closed = "closed",
        Merged = "merged",
    }
);

text_enum!(
    /// `answered`: answered on the call and created closed (直接办结); `dispatch`: to be
    /// dispatched to a department.
    Resolution, InvalidResolution, "办理方式",
    { Answered = "answered", Dispatch = "dispatch" }
);

text_enum!(
    /// A step of the rectification track (差评整改) opened by a poor rating.
    RectificationStep, InvalidRectificationStep, "整改步骤",
    {
        /// 核实情况
        Verified = "verified",
        /// 联系来电人
        Contacted = "contacted",
        /// 制定整改方案
        Planned = "planned",
        /// 整改完成; ends the track, and needs `contacted` first.
        Rectified = "rectified",
    }
);

impl TicketStatus {
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::New => "待派单",
            TicketStatus::Dispatched => "已派单",
            TicketStatus::Accepted => "已受理",
            TicketStatus::Replied => "已答复",
            TicketStatus::Returned => "已退回",
            TicketStatus::Closed => "已办结",
            TicketStatus::Merged => "已合并",
        }
    }

    /// Whether the reply deadline runs (and warnings apply) in this status.
    pub fn deadline_running(self) -> bool {
        matches!(
            self,
            TicketStatus::Dispatched | TicketStatus::Accepted | TicketStatus::Returned
        )
    }
}

impl Resolution {
    /// 直接办结 tickets start closed; the others wait for dispatch.
    pub fn initial_status(self) -> TicketStatus {
        match self {
            Resolution::Answered => TicketStatus::Closed,
            Resolution::Dispatch => TicketStatus::New,
        }
    }
}

impl RectificationStep {
    pub fn label(self) -> &'static str {
        match self {
            RectificationStep::Verified => "核实情况",
            RectificationStep::Contacted => "联系来电人",
            RectificationStep::Planned => "制定整改方案",
            RectificationStep::Rectified => "整改完成",
        }
    }
}

/// The caller's satisfaction at the callback (回访), 1 to 5.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "u8", into = "u8")]
#[schema(
    value_type = u8,
    example = 4,
    description = "回访满意度：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意"
)]
pub struct Rating(u8);

impl Rating {
    pub fn new(value: u8) -> AppResult<Rating> {
        if (1..=5).contains(&value) {
            Ok(Rating(value))
        } else {
            Err(AppError::new(Code::InvalidRating,
                format!(
                    "满意度 {value} 无效，应为 1–5：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意"
                ),
            ))
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            5 => "非常满意",
            4 => "满意",
            3 => "基本满意",
            2 => "不满意",
            _ => "非常不满意",
        }
    }

    /// 不满意 and 非常不满意: the ticket is redone and the rectification track opens.
    pub fn is_poor(self) -> bool {
        self.0 <= 2
    }
}

impl TryFrom<u8> for Rating {
    type Error = AppError;
    fn try_from(value: u8) -> AppResult<Rating> {
        Rating::new(value)
    }
}

impl From<Rating> for u8 {
    fn from(rating: Rating) -> u8 {
        rating.0
    }
}

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

text_enum!(
    /// The stable name of what happened, for the ticket's event log.
    EventKind, InvalidEventKind, "事件类型",
    {
        Created = "created",
        Dispatched = "dispatched",
        Accepted = "accepted",
        Replied = "replied",
        /// A co-department's reply note; the status does not change.
        CoReplied = "co_replied",
        Returned = "returned",
        ReturnRejected = "return_rejected",
        ExtensionRequested = "extension_requested",
        ExtensionApproved = "extension_approved",
        ExtensionDenied = "extension_denied",
        /// Callback rated 3 or better.
        Closed = "closed",
        /// Callback rated 1 or 2: back to the same department for another round.
        Redo = "redo",
        /// Callback rated 1 or 2 after the last allowed round: back to the dispatchers.
        RedoEscalated = "redo_escalated",
        Merged = "merged",
        Supervised = "supervised",
        RectificationVerified = "rectification_verified",
        RectificationContacted = "rectification_contacted",
        RectificationPlanned = "rectification_planned",
        RectificationRectified = "rectification_rectified",
        RectificationComplex = "rectification_complex",
    }
);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::CST;
    use crate::error::ErrorKind;
    use time::macros::{date, datetime};

    const MAIN: &str = "GJJZX";
    const CO: &str = "RSJ";

    fn actor(role: Role, department: Option<&str>) -> Actor {
        Actor {
            role,
            department: department.map(str::to_string),
            name: "t".into(),
        }
    }

    fn dispatcher() -> Actor {
        actor(Role::Dispatcher, None)
    }

    fn main_dept() -> Actor {
        actor(Role::Department, Some(MAIN))
    }

    fn co_dept() -> Actor {
        actor(Role::Department, Some(CO))
    }

    /// A ticket of `status` dispatched to MAIN with CO, due 2026-03-20.
    fn ticket(status: TicketStatus) -> TicketState {
        let mut state = TicketState::new(
            "T1",
            TicketType::Help,
            Urgency::Normal,
            Resolution::Dispatch,
        );
        state.status = status;
        state.department = Some(MAIN.into());
        state.co_departments = vec![CO.into()];
        state.due = Some(datetime!(2026-03-20 23:59:59).assume_offset(CST));
        state
    }

    fn run(state: &TicketState, who: &Actor, action: Action) -> AppResult<Decision> {
        decide(state, who, &action, &DeadlinePolicy::default())
    }

    fn code(result: AppResult<Decision>) -> &'static str {
        result.err().map(|e| e.code.as_str()).unwrap_or("ok")
    }

    fn dispatch(department: &str, co: &[&str]) -> Action {
        Action::Dispatch {
            department: department.into(),
            co_departments: co.iter().map(|c| c.to_string()).collect(),
            note: None,
        }
    }

    fn text(s: &str) -> String {
        s.to_string()
    }

    /// Every action with an actor allowed to take it on the fixture ticket.
    fn every_action() -> Vec<(Action, Actor)> {
        let until = date!(2026 - 03 - 27);
        let sup = actor(Role::Supervisor, None);
        vec![
            (dispatch("ZJJ", &[]), dispatcher()),
            (Action::Accept, main_dept()),
            (
                Action::Reply {
                    text: text("已答复"),
                },
                main_dept(),
            ),
            (
                Action::Reply {
                    text: text("协办意见"),
                },
                co_dept(),
            ),
            (
                Action::Return {
                    reason: text("非本单位职责"),
                },
                main_dept(),
            ),
            (
                Action::RejectReturn {
                    ruling: text("属于职责"),
                },
                dispatcher(),
            ),
            (
                Action::RequestExtension {
                    reason: text("需现场核查"),
                    until,
                },
                main_dept(),
            ),
            (Action::ApproveExtension, dispatcher()),
            (Action::DenyExtension { reason: None }, dispatcher()),
            (
                Action::Callback {
                    rating: 4,
                    comment: None,
                },
                dispatcher(),
            ),
            (Action::Merge { into: text("T0") }, dispatcher()),
            (
                Action::Supervise {
                    note: text("请加快办理"),
                },
                sup.clone(),
            ),
            (
                Action::Rectify {
                    step: RectificationStep::Contacted,
                    note: text("已电话联系"),
                },
                main_dept(),
            ),
            (
                Action::MarkComplex {
                    reason: text("涉及多部门"),
                },
                sup,
            ),
        ]
    }

    #[test]
    fn each_action_is_legal_exactly_in_its_statuses() {
        use TicketStatus::*;
        let expected: [&[TicketStatus]; 14] = [
            &[New, Returned],
            &[Dispatched],
            &[Accepted],
            &[Dispatched, Accepted],
            &[Dispatched, Accepted],
            &[Returned],
            &[Dispatched, Accepted],
            &[Dispatched, Accepted],
            &[Dispatched, Accepted],
            &[Replied],
            &[New, Dispatched, Accepted, Returned],
            &[New, Dispatched, Accepted, Replied, Returned],
            TicketStatus::ALL,
            TicketStatus::ALL,
        ];
        for ((action, who), allowed) in every_action().into_iter().zip(expected) {
            for &status in TicketStatus::ALL {
                let mut state = ticket(status);
                if matches!(
                    action,
                    Action::ApproveExtension | Action::DenyExtension { .. }
                ) {
                    state.pending_extension = Some((text("r"), date!(2026 - 03 - 27)));
                }
                state.rectification = Some(Rectification {
                    department: MAIN.into(),
                    complex: false,
                    done: Vec::new(),
                });
                let result = run(&state, &who, action.clone());
                if allowed.contains(&status) {
                    assert!(
                        result.is_ok(),
                        "{} from {status}: {:?}",
                        action.path(),
                        result.err()
                    );
                } else {
                    let err = result.unwrap_err();
                    assert_eq!(
                        err.code,
                        Code::TicketStateConflict,
                        "{} from {status}",
                        action.path()
                    );
                    assert_eq!(err.kind(), ErrorKind::Conflict);
                    let named = format!(
                        "工单当前状态为 {}（{}），不能{}",
                        status,
                        status.label(),
                        action.verb()
                    );
                    assert_eq!(err.message, named);
                }
            }
        }
    }

    #[test]
    fn only_the_right_roles_may_act() {
        for (action, allowed) in every_action() {
            for role in Role::ALL {
                if role == allowed.role
                    || (role == Role::Dispatcher
                        && matches!(
                            action,
                            Action::MarkComplex { .. } | Action::Supervise { .. }
                        ))
                {
                    continue;
                }
                let who = actor(role, (role == Role::Department).then_some(MAIN));
                let err = run(&ticket(TicketStatus::Accepted), &who, action.clone()).unwrap_err();
                assert_eq!(
                    (err.code.as_str(), err.kind()),
                    ("forbidden", ErrorKind::Forbidden),
                    "{role:?} {}",
                    action.path()
                );
            }
        }
        let admin = actor(Role::Admin, None);
        assert_eq!(
            code(run(&ticket(TicketStatus::New), &admin, dispatch(MAIN, &[]))),
            "forbidden"
        );
    }

    #[test]
    fn departments_act_only_on_tickets_dispatched_to_them() {
        let other = actor(Role::Department, Some("ZJJ"));
        let unbound = actor(Role::Department, None);
        let state = ticket(TicketStatus::Dispatched);
        for who in [&other, &unbound] {
            let err = run(&state, who, Action::Accept).unwrap_err();
            assert_eq!(err.code, Code::Forbidden);
        }
        assert!(run(&state, &other, Action::Accept)
            .unwrap_err()
            .message
            .contains("未派给部门 ZJJ"));
        let mut undispatched = ticket(TicketStatus::New);
        undispatched.department = None;
        undispatched.co_departments.clear();
        let err = run(&undispatched, &main_dept(), Action::Accept).unwrap_err();
        assert_eq!(err.code, Code::Forbidden);
    }

    #[test]
    fn co_departments_add_reply_notes_and_nothing_else() {
        let state = ticket(TicketStatus::Accepted);
        let note = run(
            &state,
            &co_dept(),
            Action::Reply {
                text: text("已配合核查"),
            },
        )
        .unwrap();
        assert_eq!(note.event, EventKind::CoReplied);
        assert_eq!(note.next, state);
        for action in [
            Action::Accept,
            Action::Return { reason: text("x") },
            Action::RequestExtension {
                reason: text("x"),
                until: date!(2026 - 04 - 30),
            },
        ] {
            let err = run(&ticket(TicketStatus::Dispatched), &co_dept(), action).unwrap_err();
            assert_eq!(err.code, Code::Forbidden);
            assert!(err.message.contains("协办单位"), "{}", err.message);
        }
        let replied = ticket(TicketStatus::Replied);
        assert_eq!(
            code(run(&replied, &co_dept(), Action::Reply { text: text("x") })),
            "ticket_state_conflict"
        );
    }

    #[test]
    fn the_main_flow_from_dispatch_to_closure() {
        let policy = DeadlinePolicy::default();
        let mut state = TicketState::new(
            "T9",
            TicketType::Complaint,
            Urgency::Normal,
            Resolution::Dispatch,
        );
        assert_eq!(state.status, TicketStatus::New);
        let steps = [
            (dispatcher(), dispatch(MAIN, &[CO, CO, " "])),
            (dispatcher(), dispatch(MAIN, &[CO, CO])),
            (main_dept(), Action::Accept),
            (
                main_dept(),
                Action::Reply {
                    text: text(" 已处理 "),
                },
            ),
            (
                dispatcher(),
                Action::Callback {
                    rating: 4,
                    comment: None,
                },
            ),
        ];
        assert_eq!(
            code(decide(&state, &steps[0].0, &steps[0].1, &policy)),
            "invalid_request"
        );
        let mut events = Vec::new();
        for (who, action) in &steps[1..] {
            let decision = decide(&state, who, action, &policy).unwrap();
            events.push((decision.event, decision.deadline));
            state = decision.next;
        }
        assert_eq!(state.status, TicketStatus::Closed);
        assert_eq!(state.co_departments, vec![CO.to_string()]);
        let restart = DeadlineEffect::Restart {
            reply: DeadlineRule::WorkingDays(15),
            accept: DeadlineRule::WorkingDays(1),
        };
        assert_eq!(
            events,
            vec![
                (EventKind::Dispatched, restart),
                (EventKind::Accepted, DeadlineEffect::Keep),
                (EventKind::Replied, DeadlineEffect::Keep),
                (EventKind::Closed, DeadlineEffect::Clear),
            ]
        );
        let answered = TicketState::new(
            "T8",
            TicketType::Consultation,
            Urgency::Normal,
            Resolution::Answered,
        );
        assert_eq!(answered.status, TicketStatus::Closed);
    }

    #[test]
    fn dispatch_checks_its_departments() {
        let new = ticket(TicketStatus::New);
        assert_eq!(
            code(run(&new, &dispatcher(), dispatch(" ", &[]))),
            "invalid_request"
        );
        assert_eq!(
            code(run(&new, &dispatcher(), dispatch(MAIN, &[MAIN]))),
            "invalid_request"
        );
    }

    #[test]
    fn a_return_is_ruled_on_by_the_dispatcher() {
        let accepted = ticket(TicketStatus::Accepted);
        let empty = Action::Return { reason: text("  ") };
        assert_eq!(code(run(&accepted, &main_dept(), empty)), "invalid_request");
        let returned = run(
            &accepted,
            &main_dept(),
            Action::Return {
                reason: text("不属本单位"),
            },
        )
        .unwrap();
        assert_eq!(
            (returned.next.status, returned.event),
            (TicketStatus::Returned, EventKind::Returned)
        );
        let state = returned.next;
        let rejected = run(
            &state,
            &dispatcher(),
            Action::RejectReturn {
                ruling: text("属于职责"),
            },
        )
        .unwrap();
        assert_eq!(rejected.next.status, TicketStatus::Dispatched);
        assert_eq!(rejected.next.department.as_deref(), Some(MAIN));
        assert_eq!(
            (rejected.event, rejected.deadline),
            (EventKind::ReturnRejected, DeadlineEffect::Keep)
        );
        // 改派: another department, and the deadline starts again.
        let redispatched = run(&state, &dispatcher(), dispatch("ZJJ", &[])).unwrap();
        assert_eq!(redispatched.next.department.as_deref(), Some("ZJJ"));
        assert!(redispatched.next.co_departments.is_empty());
        assert!(matches!(
            redispatched.deadline,
            DeadlineEffect::Restart { .. }
        ));
    }

    #[test]
    fn extensions_need_a_later_date_and_one_ruling() {
        let state = ticket(TicketStatus::Accepted);
        let ask = |until| Action::RequestExtension {
            reason: text("需现场核查"),
            until,
        };
        let err = run(&state, &main_dept(), ask(date!(2026 - 03 - 20))).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.kind()),
            ("invalid_extension", ErrorKind::BadRequest)
        );
        let empty = Action::RequestExtension {
            reason: text(""),
            until: date!(2026 - 03 - 27),
        };
        assert_eq!(code(run(&state, &main_dept(), empty)), "invalid_request");
        assert_eq!(
            code(run(&state, &dispatcher(), Action::ApproveExtension)),
            "extension_conflict"
        );
        let asked = run(&state, &main_dept(), ask(date!(2026 - 03 - 27))).unwrap();
        assert_eq!(asked.event, EventKind::ExtensionRequested);
        assert_eq!(asked.next.status, TicketStatus::Accepted);
        let pending = asked.next;
        assert_eq!(
            code(run(&pending, &main_dept(), ask(date!(2026 - 03 - 30)))),
            "extension_conflict"
        );
        let approved = run(&pending, &dispatcher(), Action::ApproveExtension).unwrap();
        assert_eq!(
            approved.deadline,
            DeadlineEffect::MoveTo(date!(2026 - 03 - 27))
        );
        assert_eq!(approved.next.pending_extension, None);
        let denied = run(
            &pending,
            &dispatcher(),
            Action::DenyExtension { reason: None },
        )
        .unwrap();
        assert_eq!(
            (denied.event, denied.deadline),
            (EventKind::ExtensionDenied, DeadlineEffect::Keep)
        );
        assert_eq!(denied.next.pending_extension, None);
        let cal = WorkCalendar::builtin();
        let now = datetime!(2026-03-16 10:00 UTC);
        let moved = approved.deadline.apply(state.due, now, &cal);
        assert_eq!(
            moved,
            Some(datetime!(2026-03-27 23:59:59).assume_offset(CST))
        );
        assert_eq!(DeadlineEffect::Clear.apply(state.due, now, &cal), None);
    }

    #[test]
    fn a_poor_rating_is_redone_then_goes_back_to_the_dispatchers() {
        let replied = ticket(TicketStatus::Replied);
        let poor = Action::Callback {
            rating: 2,
            comment: Some(text("没解决")),
        };
        let redo = run(&replied, &dispatcher(), poor.clone()).unwrap();
        assert_eq!(
            (redo.event, redo.next.status, redo.next.round),
            (EventKind::Redo, TicketStatus::Dispatched, 2)
        );
        assert_eq!(redo.next.department.as_deref(), Some(MAIN));
        assert!(matches!(redo.deadline, DeadlineEffect::Restart { .. }));
        assert!(redo.opens_rectification);
        let track = redo.next.rectification.clone().unwrap();
        assert_eq!((track.department.as_str(), track.done.len()), (MAIN, 0));

        let mut second = redo.next;
        second.status = TicketStatus::Replied;
        let escalated = run(&second, &dispatcher(), poor.clone()).unwrap();
        assert_eq!(escalated.event, EventKind::RedoEscalated);
        assert_eq!(
            (escalated.next.status, escalated.next.round),
            (TicketStatus::New, 3)
        );
        assert_eq!(escalated.next.department, None);
        assert!(escalated.next.co_departments.is_empty());
        assert_eq!(escalated.deadline, DeadlineEffect::Clear);
        assert!(escalated.opens_rectification);

        let lenient = DeadlinePolicy::parse(r#"{"redo_max_rounds": 3}"#).unwrap();
        let again = decide(&second, &dispatcher(), &poor, &lenient).unwrap();
        assert_eq!((again.event, again.next.round), (EventKind::Redo, 3));
        for rating in [0, 6] {
            let bad = Action::Callback {
                rating,
                comment: None,
            };
            assert_eq!(code(run(&replied, &dispatcher(), bad)), "invalid_rating");
        }
    }

    #[test]
    fn merge_and_supervise() {
        let state = ticket(TicketStatus::Dispatched);
        let into_self = Action::Merge { into: text("T1") };
        assert_eq!(
            code(run(&state, &dispatcher(), into_self)),
            "invalid_request"
        );
        let merged = run(&state, &dispatcher(), Action::Merge { into: text("T0") }).unwrap();
        assert_eq!(merged.next.status, TicketStatus::Merged);
        assert_eq!(merged.next.merged_into.as_deref(), Some("T0"));
        assert_eq!(merged.deadline, DeadlineEffect::Clear);
        let supervised = run(
            &state,
            &dispatcher(),
            Action::Supervise {
                note: text("请尽快"),
            },
        )
        .unwrap();
        assert_eq!(
            (supervised.event, supervised.next),
            (EventKind::Supervised, state.clone())
        );
        let blank = Action::Supervise { note: text("") };
        assert_eq!(
            code(run(&state, &actor(Role::Supervisor, None), blank)),
            "invalid_request"
        );
    }

    #[test]
    fn rectification_steps_are_recorded_once_and_in_order() {
        let mut state = ticket(TicketStatus::Closed);
        let step = |step| Action::Rectify {
            step,
            note: text("已办"),
        };
        assert_eq!(
            code(run(
                &state,
                &main_dept(),
                step(RectificationStep::Contacted)
            )),
            "forbidden"
        );
        state.rectification = Some(Rectification {
            department: MAIN.into(),
            complex: false,
            done: vec![],
        });
        assert_eq!(
            code(run(&state, &co_dept(), step(RectificationStep::Contacted))),
            "forbidden"
        );
        let early = run(&state, &main_dept(), step(RectificationStep::Rectified));
        assert_eq!(code(early), "rectification_conflict");
        let mut events = Vec::new();
        for s in [
            RectificationStep::Verified,
            RectificationStep::Contacted,
            RectificationStep::Rectified,
        ] {
            let decision = run(&state, &main_dept(), step(s)).unwrap();
            events.push(decision.event);
            state = decision.next;
        }
        let expected = [
            EventKind::RectificationVerified,
            EventKind::RectificationContacted,
            EventKind::RectificationRectified,
        ];
        assert_eq!(events, expected);
        assert!(state.rectification.as_ref().unwrap().finished());
        assert_eq!(
            code(run(&state, &main_dept(), step(RectificationStep::Planned))),
            "rectification_conflict"
        );
        let complex = Action::MarkComplex {
            reason: text("涉及多部门"),
        };
        assert_eq!(
            code(run(&state, &dispatcher(), complex.clone())),
            "rectification_conflict"
        );

        let mut open = ticket(TicketStatus::Dispatched);
        open.rectification = Some(Rectification {
            department: MAIN.into(),
            complex: false,
            done: vec![RectificationStep::Contacted],
        });
        assert_eq!(
            code(run(&open, &main_dept(), step(RectificationStep::Contacted))),
            "rectification_conflict"
        );
        let marked = run(&open, &dispatcher(), complex.clone()).unwrap();
        assert!(marked.next.rectification.as_ref().unwrap().complex);
        assert_eq!(
            code(run(&marked.next, &dispatcher(), complex)),
            "rectification_conflict"
        );
    }

    #[test]
    fn values_use_the_api_strings() {
        let json = serde_json::to_string(&(
            TicketType::Complaint,
            Urgency::Critical,
            Channel::App,
            TicketStatus::Returned,
        ))
        .unwrap();
        assert_eq!(json, r#"["投诉","特急","APP","returned"]"#);
        assert_eq!(
            serde_json::from_str::<Channel>("\"微信\"").unwrap(),
            Channel::WeChat
        );
        assert_eq!(Resolution::parse("answered").unwrap(), Resolution::Answered);
        let err = Urgency::parse("很急").unwrap_err();
        assert_eq!(err.code, Code::InvalidUrgency);
        assert!(err.message.contains("一般、紧急、特急"), "{}", err.message);
        for &t in TicketType::ALL {
            assert_eq!(TicketType::parse(t.as_str()).unwrap(), t);
        }
        assert_eq!(EventKind::ReturnRejected.as_str(), "return_rejected");
        assert_eq!(
            RectificationStep::parse("contacted").unwrap(),
            RectificationStep::Contacted
        );
    }

    #[test]
    fn ratings_carry_their_labels() {
        let labels: Vec<&str> = (1..=5).map(|v| Rating::new(v).unwrap().label()).collect();
        assert_eq!(
            labels,
            ["非常不满意", "不满意", "基本满意", "满意", "非常满意"]
        );
        assert!(Rating::new(2).unwrap().is_poor() && !Rating::new(3).unwrap().is_poor());
        assert_eq!(Rating::new(0).unwrap_err().code, Code::InvalidRating);
        assert_eq!(serde_json::from_str::<Rating>("5").unwrap().value(), 5);
        assert!(serde_json::from_str::<Rating>("6").is_err());
    }
}
