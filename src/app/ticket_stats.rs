//! Period reports of the ticket workflow (定期通报): figures per department and for the line.

use std::collections::HashMap;

use time::{Date, Duration};

use super::tickets::TicketDesk;
use crate::domain::access::{Identity, Role};
use crate::domain::date::{cst, format_date};
use crate::domain::stats::{report, Callback, StatsReport};
use crate::domain::ticket::EventKind;
use crate::error::{AppError, AppResult, Code};

/// Longest period one report covers.
const MAX_PERIOD_DAYS: i64 = 366;

impl TicketDesk<'_> {
    /// The report of tickets created and callbacks made from `from` to `to` (both days
    /// included, China Standard Time), for dispatchers, supervisors and administrators.
    pub async fn department_stats(
        &self,
        caller: &Identity,
        from: Date,
        to: Date,
    ) -> AppResult<StatsReport> {
        if !matches!(
            caller.role,
            Role::Dispatcher | Role::Supervisor | Role::Admin
        ) {
            return Err(AppError::new(
                Code::Forbidden,
                format!("角色 {} 无权查看部门统计", caller.role.as_str()),
            ));
        }
        if to < from || (to - from).whole_days() >= MAX_PERIOD_DAYS {
            return Err(AppError::new(
                Code::InvalidPeriod,
                format!("统计区间应满足 from ≤ to 且不超过 {MAX_PERIOD_DAYS} 天"),
            ));
        }
        let start = from.midnight().assume_offset(cst());
        let end = to.midnight().assume_offset(cst()) + Duration::days(1);
        let app = self.app();
        let tickets = app.db.tickets_created_between(start, end).await?;
        let events = app.db.ticket_events_between("%", start, end).await?;
        let callback_kinds = [
            EventKind::Closed.as_str(),
            EventKind::Redo.as_str(),
            EventKind::RedoEscalated.as_str(),
        ];
        // The last rectification step recorded on each ticket, to see which poor ratings were
        // followed up.
        let mut last_step: HashMap<&str, time::OffsetDateTime> = HashMap::new();
        for (ticket, event) in &events {
            if event.kind.starts_with("rectification_") {
                last_step.insert(ticket.as_str(), event.at);
            }
        }
        let callbacks: Vec<Callback> = events
            .iter()
            .filter(|(_, e)| callback_kinds.contains(&e.kind.as_str()))
            .filter_map(|(ticket, e)| {
                let rating = u8::try_from(e.data.get("rating")?.as_u64()?).ok()?;
                let department = e.data.get("department")?.as_str()?.to_string();
                let followed_up = last_step.get(ticket.as_str()).is_some_and(|at| *at > e.at);
                Some(Callback {
                    department,
                    rating,
                    followed_up,
                })
            })
            .collect();
        let (line, departments) = report(&tickets, &callbacks, app.clock.now(), &app.calendar);
        Ok(StatsReport {
            from: format_date(from),
            to: format_date(to),
            line,
            departments,
        })
    }
}
