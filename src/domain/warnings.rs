//! Deadline warnings (临期、超期预警) and callbacks waiting (待回访), counted per department
//! for dispatchers and for each department.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::calendar::WorkCalendar;
use super::deadline::{warning_level, Warning};
use super::ticket::TicketStatus;

/// What needs attention in one department.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DepartmentWarnings {
    pub department: String,
    /// Due by the end of the next working day.
    pub due_soon: u64,
    pub overdue: u64,
    /// Replied, waiting for the hotline's callback.
    pub awaiting_callback: u64,
}

/// Counts per department from (department, status, deadline) of open tickets.
pub fn count(
    open: &[(String, TicketStatus, Option<OffsetDateTime>)],
    now: OffsetDateTime,
    calendar: &WorkCalendar,
) -> Vec<DepartmentWarnings> {
    let mut by_department: BTreeMap<&str, DepartmentWarnings> = BTreeMap::new();
    for (department, status, due) in open {
        let entry =
            by_department
                .entry(department.as_str())
                .or_insert_with(|| DepartmentWarnings {
                    department: department.clone(),
                    ..DepartmentWarnings::default()
                });
        if *status == TicketStatus::Replied {
            entry.awaiting_callback += 1;
            continue;
        }
        match due.and_then(|due| warning_level(due, now, calendar)) {
            Some(Warning::Overdue) => entry.overdue += 1,
            Some(Warning::DueSoon) => entry.due_soon += 1,
            None => {}
        }
    }
    by_department
        .into_values()
        .filter(|w| w.due_soon + w.overdue + w.awaiting_callback > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn warnings_are_counted_per_department() {
        let calendar = WorkCalendar::builtin();
        let now = datetime!(2026-10-12 02:00 UTC);
        let open = vec![
            (
                "SBZX".to_string(),
                TicketStatus::Dispatched,
                Some(datetime!(2026-10-10 15:59:59 UTC)),
            ),
            (
                "SBZX".to_string(),
                TicketStatus::Accepted,
                Some(datetime!(2026-10-13 15:59:59 UTC)),
            ),
            (
                "SBZX".to_string(),
                TicketStatus::Accepted,
                Some(datetime!(2026-10-30 15:59:59 UTC)),
            ),
            ("GJJZX".to_string(), TicketStatus::Replied, None),
        ];
        let counted = count(&open, now, &calendar);
        assert_eq!(counted.len(), 2);
        assert_eq!(counted[0].department, "GJJZX");
        assert_eq!(counted[0].awaiting_callback, 1);
        assert_eq!((counted[1].overdue, counted[1].due_soon), (1, 1));
    }
}
