//! The lifecycle transitions of the ticket workflow: the rule of `domain::ticket::decide`
//! applied to the stored ticket, written with its event under optimistic concurrency, and
//! followed by the tickets merged into it.

use time::OffsetDateTime;

use super::tickets::{TicketDesk, TicketDetail};
use crate::domain::access::Identity;
use crate::domain::deadline::due_at;
use crate::domain::ticket::{
    decide, Action, Actor, DeadlineEffect, Decision, EventKind, TicketState, TicketStatus,
};
use crate::domain::ticket_record::{ExtensionRequest, Ticket, TicketEvent};
use crate::error::{AppError, AppResult, Code};

impl TicketDesk<'_> {
    /// Applies one lifecycle action. The rules of [`decide`] say whether the caller may, in the
    /// ticket's current state; an illegal action changes nothing. Of two concurrent actions on
    /// one ticket only the first to write succeeds; the other gets 409 `ticket_changed`.
    pub async fn transition(
        &self,
        caller: &Identity,
        id: &str,
        action: Action,
        note: Option<String>,
    ) -> AppResult<TicketDetail> {
        if let Action::Dispatch {
            department,
            co_departments,
            ..
        } = &action
        {
            self.app()
                .require_department(department, "department")
                .await?;
            for code in co_departments {
                self.app()
                    .require_department(code, "co_departments")
                    .await?;
            }
        }
        let ticket = self.visible(caller, id).await?;
        let merge_target = match &action {
            Action::Merge { into } => Some(self.merge_target(caller, &ticket, into).await?),
            _ => None,
        };
        let actor = Actor {
            role: caller.role,
            department: caller.department.clone(),
            name: caller.name.clone(),
        };
        let decision = decide(&state_of(&ticket), &actor, &action, &self.app().policy)?;
        let now = self.app().clock.now();
        let mut next = self.apply(&ticket, &decision, &action, now);
        if let Some(target) = &merge_target {
            next.merged_into = Some(target.id.clone());
        }
        let event = TicketEvent {
            seq: 0,
            kind: decision.event.as_str().to_string(),
            actor: caller.name.clone(),
            role: caller.role,
            department: caller.department.clone(),
            from: Some(ticket.status),
            to: next.status,
            note: action_note(&action).or(note),
            data: event_data(&action, &ticket, &next, merge_target.as_ref()),
            at: now,
        };
        if !self.app().db.update_ticket(&next, &event).await? {
            return Err(AppError::new(
                Code::TicketChanged,
                format!("工单 {} 刚被他人处理，请刷新后重试", ticket.number),
            ));
        }
        tracing::info!(
            ticket = %next.number,
            event = decision.event.as_str(),
            from = ticket.status.as_str(),
            to = next.status.as_str(),
            "ticket transition"
        );
        if matches!(
            decision.event,
            EventKind::Replied | EventKind::Closed | EventKind::Redo
        ) {
            self.follow_master(&next, &event).await?;
        }
        self.detail(caller, &next.id).await
    }

    /// The ticket a merge goes into: another, not itself merged, visible to the caller.
    async fn merge_target(
        &self,
        caller: &Identity,
        ticket: &Ticket,
        into: &str,
    ) -> AppResult<Ticket> {
        let target = self.visible(caller, into).await?;
        if target.id == ticket.id {
            return Err(AppError::new(Code::InvalidMerge, "不能把工单并入它自己"));
        }
        if target.status == TicketStatus::Merged {
            return Err(AppError::new(
                Code::TicketStateConflict,
                format!(
                    "主工单 {} 已并入其他工单（merged），请并入最终的主工单",
                    target.number
                ),
            ));
        }
        Ok(target)
    }

    /// The ticket after a legal action.
    fn apply(
        &self,
        ticket: &Ticket,
        decision: &Decision,
        action: &Action,
        now: OffsetDateTime,
    ) -> Ticket {
        let calendar = &self.app().calendar;
        let mut next = ticket.clone();
        let state = &decision.next;
        next.status = state.status;
        next.department = state.department.clone();
        next.co_departments = state.co_departments.clone();
        next.round = state.round;
        next.merged_into = state.merged_into.clone();
        next.extension = state
            .pending_extension
            .as_ref()
            .map(|(reason, until)| ExtensionRequest {
                reason: reason.clone(),
                until: *until,
            });
        next.due_at = decision.deadline.apply(ticket.due_at, now, calendar);
        match decision.deadline {
            DeadlineEffect::Restart { accept, .. } => {
                next.dispatched_at = Some(now);
                next.accepted_at = None;
                next.accept_due_at = Some(due_at(now, accept, calendar));
            }
            DeadlineEffect::Clear => next.accept_due_at = None,
            _ => {}
        }
        match decision.event {
            EventKind::Accepted => next.accepted_at = Some(now),
            EventKind::Replied => {
                next.replied_at = Some(now);
                if let Action::Reply { text } = action {
                    next.reply = Some(text.clone());
                }
            }
            EventKind::Returned => next.returns += 1,
            EventKind::ExtensionApproved => next.extensions += 1,
            EventKind::Closed | EventKind::Merged => next.closed_at = Some(now),
            _ => {}
        }
        if let Action::Callback { rating, .. } = action {
            next.rating = Some(*rating);
            if *rating <= 2 {
                next.poor_ratings += 1;
            }
        }
        if decision.opens_rectification {
            next.rectification_opened_at = Some(now);
        }
        next.rectification = state.rectification.clone();
        next.rectification_due_at = match (&next.rectification, next.rectification_opened_at) {
            (Some(track), Some(opened)) if !track.finished() => self
                .app()
                .policy
                .rectification_dues(opened, track.complex, calendar)
                .into_iter()
                .find(|(step, _)| !track.done.contains(step))
                .map(|(_, due)| due),
            _ => None,
        };
        next.updated_at = now;
        next.version += 1;
        next
    }

    /// Tickets merged into `master` follow its reply and its callback (并单): each gets the
    /// master's reply or rating and an event saying so.
    async fn follow_master(&self, master: &Ticket, master_event: &TicketEvent) -> AppResult<()> {
        for child in self.app().db.merged_tickets(&master.id).await? {
            let mut next = child.clone();
            if master.reply.is_some() {
                next.reply = master.reply.clone();
                next.replied_at = master.replied_at;
            }
            if master_event.kind == EventKind::Closed.as_str() {
                next.rating = master.rating;
                next.closed_at = master.closed_at;
            }
            next.updated_at = master_event.at;
            next.version += 1;
            let event = TicketEvent {
                seq: 0,
                kind: format!("master_{}", master_event.kind),
                actor: master_event.actor.clone(),
                role: master_event.role,
                department: master_event.department.clone(),
                from: Some(child.status),
                to: child.status,
                note: master_event.note.clone(),
                data: serde_json::json!({ "master": master.number }),
                at: master_event.at,
            };
            if !self.app().db.update_ticket(&next, &event).await? {
                tracing::warn!(ticket = %child.number, "merged ticket changed while following its master");
            }
        }
        Ok(())
    }
}

/// What the lifecycle rules need of a stored ticket.
fn state_of(ticket: &Ticket) -> TicketState {
    TicketState {
        id: ticket.id.clone(),
        status: ticket.status,
        ticket_type: ticket.ticket_type,
        urgency: ticket.urgency,
        department: ticket.department.clone(),
        co_departments: ticket.co_departments.clone(),
        round: ticket.round,
        due: ticket.due_at,
        pending_extension: ticket
            .extension
            .as_ref()
            .map(|e| (e.reason.clone(), e.until)),
        merged_into: ticket.merged_into.clone(),
        rectification: ticket.rectification.clone(),
    }
}

/// The free text an action carries, kept as the event's note.
fn action_note(action: &Action) -> Option<String> {
    match action {
        Action::Dispatch { note, .. } => note.clone(),
        Action::Reply { text } => Some(text.clone()),
        Action::Return { reason } | Action::RequestExtension { reason, .. } => Some(reason.clone()),
        Action::RejectReturn { ruling } => Some(ruling.clone()),
        Action::DenyExtension { reason } => reason.clone(),
        Action::Callback { comment, .. } => comment.clone(),
        Action::Supervise { note } | Action::Rectify { note, .. } => Some(note.clone()),
        Action::MarkComplex { reason } => Some(reason.clone()),
        Action::Accept | Action::ApproveExtension | Action::Merge { .. } => None,
    }
}

/// Structured detail of a change for the history.
fn event_data(
    action: &Action,
    before: &Ticket,
    next: &Ticket,
    target: Option<&Ticket>,
) -> serde_json::Value {
    let due = next.due_at.map(crate::domain::date::timestamp);
    match action {
        Action::Dispatch {
            department,
            co_departments,
            ..
        } => serde_json::json!({
            "department": department, "co_departments": co_departments, "due_at": due, "round": next.round,
        }),
        Action::RequestExtension { until, .. } => {
            serde_json::json!({ "until": crate::domain::date::format_date(*until) })
        }
        Action::ApproveExtension => serde_json::json!({ "due_at": due }),
        Action::Callback { rating, .. } => serde_json::json!({
            "rating": rating, "department": before.department, "round": next.round, "due_at": due,
        }),
        Action::Merge { .. } => serde_json::json!({
            "into": target.map(|t| t.id.clone()), "into_number": target.map(|t| t.number.clone()),
        }),
        Action::Rectify { step, .. } => serde_json::json!({ "step": step.as_str() }),
        _ => serde_json::json!({}),
    }
}
