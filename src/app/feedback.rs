//! Agents' feedback on searches and the editors' tasks it creates: adopted entries (also from
//! tickets answered on the call), searches without a useful answer (observations of knowledge
//! gaps) and reports of wrong, outdated or incomplete entries.

use std::collections::HashMap;

use serde::Serialize;

use super::App;
use crate::db::{NewFeedback, NewObservation, TaskFilter, TaskRow};
use crate::domain::access::{Identity, Permission};
use crate::domain::date::{cst_date, format_date, timestamp};
use crate::domain::feedback::{
    check_comment, FeedbackKind, FeedbackRequest, TaskResolution, TASK_STATUSES,
};
use crate::domain::page::Page;
use crate::domain::personal::mask_personal_data;
use crate::domain::ticket::Resolution;
use crate::domain::ticket_record::Ticket;
use crate::error::{AppError, AppResult, Code};

/// How many of a search's top entries suggest a gap's department and category.
pub(super) const HITS_OBSERVED: usize = 3;

/// What was recorded.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackReceipt {
    pub id: String,
    pub search_id: String,
    pub kind: FeedbackKind,
    pub entry_id: Option<String>,
    /// 错误、过期、不完整 或 其他 (reports only).
    pub problem: Option<String>,
    /// The editors' task a report created.
    pub task_id: Option<String>,
    pub created_at: String,
}

/// An editors' task as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: String,
    /// report：条目问题报告；gap：知识缺口
    pub kind: String,
    pub entry_id: Option<String>,
    pub gap_id: Option<String>,
    /// The department whose editors own the task.
    pub department: Option<String>,
    pub problem: Option<String>,
    /// The agent's comment; callers' phone numbers, ID numbers and names are masked.
    pub comment: Option<String>,
    pub search_id: Option<String>,
    /// open、done 或 dismissed
    pub status: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub resolution_comment: Option<String>,
}

impl From<TaskRow> for TaskView {
    fn from(t: TaskRow) -> TaskView {
        TaskView {
            id: t.id,
            kind: t.kind,
            entry_id: t.entry_id,
            gap_id: t.gap_id,
            department: t.department,
            problem: t.problem,
            comment: t.comment.as_deref().map(mask_personal_data),
            search_id: t.search_id,
            status: t.status,
            created_by: t.created_by,
            created_at: t.created_at,
            closed_at: t.closed_at,
            closed_by: t.closed_by,
            resolution_comment: t.resolution_comment,
        }
    }
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl App {
    /// Records feedback on a search the caller may see (agents: their own). Feedback is only
    /// added, never overwritten; a report opens a task for the entry's department.
    pub async fn give_feedback(
        &self,
        caller: &Identity,
        search_id: &str,
        request: FeedbackRequest,
    ) -> AppResult<FeedbackReceipt> {
        caller.require(Permission::GiveFeedback)?;
        let search = self
            .db
            .search_record(search_id)
            .await?
            .filter(|s| {
                caller
                    .search_log_scope()
                    .is_none_or(|own| s.token_name.as_deref() == Some(own))
            })
            .ok_or_else(|| {
                AppError::new(
                    Code::SearchNotFound,
                    format!("检索记录 {search_id} 不存在（只能对自己的检索提交反馈）"),
                )
            })?;
        let feedback = request.validate()?;
        let entry = match &feedback.entry_id {
            Some(id) => Some(self.db.entry(id).await?.ok_or_else(|| {
                AppError::new(
                    Code::UnknownEntry,
                    format!("entry_id 中的知识条目 {id} 不存在，请填写检索结果里的条目编号"),
                )
            })?),
            None => None,
        };
        let now = self.clock.timestamp();
        let row = NewFeedback {
            id: new_id(),
            search_id: Some(search.id.clone()),
            ticket_id: None,
            source: "search".into(),
            kind: feedback.kind.as_str().into(),
            entry_id: feedback.entry_id.clone(),
            problem: feedback.problem.map(|p| p.as_str().to_string()),
            comment: feedback.comment.clone(),
            token_name: Some(caller.name.clone()),
            created_at: now.clone(),
        };
        let task = (feedback.kind == FeedbackKind::Report).then(|| TaskRow {
            id: new_id(),
            kind: "report".into(),
            entry_id: row.entry_id.clone(),
            gap_id: None,
            department: entry.as_ref().map(|e| e.content.department.clone()),
            problem: row.problem.clone(),
            comment: row.comment.clone(),
            search_id: Some(search.id.clone()),
            feedback_id: Some(row.id.clone()),
            status: "open".into(),
            created_by: Some(caller.name.clone()),
            created_at: now.clone(),
            closed_at: None,
            closed_by: None,
            resolution_comment: None,
        });
        let observation = feedback.kind.signals_gap().then(|| NewObservation {
            id: new_id(),
            source: format!("feedback_{}", feedback.kind.as_str()),
            search_id: Some(search.id.clone()),
            ticket_id: None,
            text: search.query.clone(),
            hit_ids: search
                .returned_ids
                .iter()
                .take(HITS_OBSERVED)
                .cloned()
                .collect(),
            department: None,
            day: format_date(self.clock.today()),
            created_at: now.clone(),
        });
        self.db
            .record_feedback(
                std::slice::from_ref(&row),
                task.as_ref(),
                observation.as_ref(),
            )
            .await?;
        Ok(FeedbackReceipt {
            id: row.id,
            search_id: search.id,
            kind: feedback.kind,
            entry_id: row.entry_id,
            problem: row.problem,
            task_id: task.map(|t| t.id),
            created_at: now,
        })
    }

    /// Adoptions per entry since `since` (a timestamp; empty for all time).
    pub async fn adoption_counts(&self, since: &str) -> AppResult<HashMap<String, i64>> {
        self.db.adoption_counts(since).await
    }

    /// One page of editors' tasks, oldest first, with the total.
    pub async fn tasks(
        &self,
        caller: &Identity,
        status: Option<&str>,
        department: Option<&str>,
        page: Page,
    ) -> AppResult<(usize, Vec<TaskView>)> {
        caller.require(Permission::WorkKnowledgeLoop)?;
        if let Some(status) = status.filter(|s| !TASK_STATUSES.contains(s)) {
            return Err(AppError::new(
                Code::InvalidStatus,
                format!("status 应为 open、done 或 dismissed，收到 {status:?}"),
            ));
        }
        let filter = TaskFilter {
            status: status.map(str::to_string),
            department: department.map(str::to_string),
        };
        let (limit, offset) = page.sql();
        let (total, rows) = self.db.tasks(&filter, limit, offset).await?;
        Ok((
            usize::try_from(total).unwrap_or(0),
            rows.into_iter().map(TaskView::from).collect(),
        ))
    }

    /// Closes an open task as done or dismissed.
    pub async fn close_task(
        &self,
        caller: &Identity,
        id: &str,
        resolution: &str,
        comment: Option<String>,
    ) -> AppResult<TaskView> {
        caller.require(Permission::WorkKnowledgeLoop)?;
        let resolution = TaskResolution::parse(resolution)?;
        let comment = check_comment(comment)?;
        let not_found = || AppError::new(Code::TaskNotFound, format!("任务 {id} 不存在"));
        let task = self.db.task(id).await?.ok_or_else(not_found)?;
        let closed = self
            .db
            .close_task(
                id,
                resolution.as_str(),
                &caller.name,
                comment.as_deref(),
                &self.clock.timestamp(),
            )
            .await?;
        if !closed {
            return Err(AppError::new(
                Code::TaskClosed,
                format!("任务 {id} 已是 {} 状态，不能再次关闭", task.status),
            ));
        }
        self.db
            .task(id)
            .await?
            .map(TaskView::from)
            .ok_or_else(not_found)
    }
}

/// What a ticket recorded on a call says about the knowledge base, written with the ticket:
/// answered on the call citing entries counts as adopting them; dispatched with no entry
/// used is an observation of a knowledge gap.
pub(super) fn ticket_knowledge(ticket: &Ticket) -> (Vec<NewFeedback>, Option<NewObservation>) {
    let now = timestamp(ticket.created_at);
    let adoptions: Vec<NewFeedback> = if ticket.resolution == Resolution::Answered {
        ticket
            .entry_ids
            .iter()
            .map(|entry| NewFeedback {
                id: new_id(),
                search_id: None,
                ticket_id: Some(ticket.id.clone()),
                source: "ticket".into(),
                kind: FeedbackKind::Adopted.as_str().into(),
                entry_id: Some(entry.clone()),
                problem: None,
                comment: None,
                token_name: Some(ticket.created_by.clone()),
                created_at: now.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let observation = (ticket.resolution == Resolution::Dispatch && ticket.entry_ids.is_empty())
        .then(|| NewObservation {
            id: new_id(),
            source: "ticket".into(),
            search_id: None,
            ticket_id: Some(ticket.id.clone()),
            text: ticket.content.clone(),
            hit_ids: Vec::new(),
            department: ticket.proposed_department.clone(),
            day: format_date(cst_date(ticket.created_at)),
            created_at: now,
        });
    (adoptions, observation)
}
