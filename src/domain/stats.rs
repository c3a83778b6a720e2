//! How the departments and the line are doing over a period (定期通报): per-department counts,
//! timeliness, satisfaction and follow-up of poor ratings, and the line's one-call resolution.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::calendar::WorkCalendar;
use super::date::cst_date;
use super::ticket::{Resolution, TicketStatus};
use super::ticket_record::Ticket;

/// One callback (回访) as the statistics count it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    pub department: String,
    pub rating: u8,
    /// Whether a rectification step was recorded after this poor rating.
    pub followed_up: bool,
}

/// The figures of one department.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DepartmentStats {
    pub department: String,
    /// Tickets dispatched to it (主办).
    pub received: u64,
    pub replied: u64,
    pub replied_on_time: u64,
    /// Replied late, or still open past the deadline.
    pub overdue: u64,
    pub returned: u64,
    pub extended: u64,
    /// Tickets redone after a poor rating (重办).
    pub redone: u64,
    pub callbacks: u64,
    /// Share of callbacks rated 4 or 5; null without callbacks.
    pub satisfaction_rate: Option<f64>,
    /// Callbacks rated 1 or 2.
    pub poor_ratings: u64,
    /// Poor ratings with a rectification step recorded (差评整改跟进).
    pub poor_ratings_followed_up: u64,
    /// Mean working days from dispatch to reply; null without replies.
    pub mean_working_days_to_reply: Option<f64>,
}

/// The line as a whole.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct LineStats {
    pub calls: u64,
    pub answered_on_call: u64,
    /// Share of calls closed on the call (一次办结率); null without calls.
    pub answered_on_call_rate: Option<f64>,
    pub dispatched: u64,
    /// Tickets replied and waiting for the callback.
    pub awaiting_callback: u64,
}

/// The report of a period.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct StatsReport {
    pub from: String,
    pub to: String,
    pub line: LineStats,
    pub departments: Vec<DepartmentStats>,
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| ((part as f64 / whole as f64) * 1000.0).round() / 1000.0)
}

/// Builds the report from the tickets created in the period and the callbacks made in it.
pub fn report(
    tickets: &[Ticket],
    callbacks: &[Callback],
    now: OffsetDateTime,
    calendar: &WorkCalendar,
) -> (LineStats, Vec<DepartmentStats>) {
    let mut line = LineStats::default();
    let mut departments: BTreeMap<String, DepartmentStats> = BTreeMap::new();
    let mut reply_days: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    for ticket in tickets {
        line.calls += 1;
        match ticket.resolution {
            Resolution::Answered => line.answered_on_call += 1,
            Resolution::Dispatch => line.dispatched += 1,
        }
        if ticket.status == TicketStatus::Replied {
            line.awaiting_callback += 1;
        }
        let Some(code) = &ticket.department else {
            continue;
        };
        let stats = departments
            .entry(code.clone())
            .or_insert_with(|| DepartmentStats {
                department: code.clone(),
                ..DepartmentStats::default()
            });
        stats.received += 1;
        stats.returned += u64::from(ticket.returns > 0);
        stats.extended += u64::from(ticket.extensions > 0);
        stats.redone += u64::from(ticket.round > 1);
        match (ticket.replied_at, ticket.due_at) {
            (Some(replied), due) => {
                stats.replied += 1;
                if due.is_none_or(|due| replied <= due) {
                    stats.replied_on_time += 1;
                } else {
                    stats.overdue += 1;
                }
                if let Some(dispatched) = ticket.dispatched_at {
                    let days =
                        calendar.working_days_between(cst_date(dispatched), cst_date(replied));
                    let entry = reply_days.entry(code.clone()).or_default();
                    entry.0 += days.max(0);
                    entry.1 += 1;
                }
            }
            (None, Some(due)) if due < now => stats.overdue += 1,
            _ => {}
        }
    }
    for callback in callbacks {
        let stats = departments
            .entry(callback.department.clone())
            .or_insert_with(|| DepartmentStats {
                department: callback.department.clone(),
                ..DepartmentStats::default()
            });
        stats.callbacks += 1;
        if callback.rating <= 2 {
            stats.poor_ratings += 1;
            stats.poor_ratings_followed_up += u64::from(callback.followed_up);
        }
    }
    line.answered_on_call_rate = rate(line.answered_on_call, line.calls);
    for stats in departments.values_mut() {
        let satisfied = callbacks
            .iter()
            .filter(|c| c.department == stats.department && c.rating >= 4)
            .count() as u64;
        stats.satisfaction_rate = rate(satisfied, stats.callbacks);
        if let Some((days, n)) = reply_days.get(&stats.department) {
            stats.mean_working_days_to_reply =
                (*n > 0).then(|| ((*days as f64 / *n as f64) * 100.0).round() / 100.0);
        }
    }
    (line, departments.into_values().collect())
}

/// The department table as CSV for the monthly report, with Chinese headers.
pub fn departments_csv(rows: &[DepartmentStats]) -> String {
    let mut out = String::from(
        "部门,受理,已答复,按时答复,超期,退单,延期,重办,回访,满意率,差评,差评已跟进,平均答复工作日\n",
    );
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.department.replace(',', " "),
            r.received,
            r.replied,
            r.replied_on_time,
            r.overdue,
            r.returned,
            r.extended,
            r.redone,
            r.callbacks,
            opt(r.satisfaction_rate),
            r.poor_ratings,
            r.poor_ratings_followed_up,
            opt(r.mean_working_days_to_reply),
        ));
    }
    out
}
