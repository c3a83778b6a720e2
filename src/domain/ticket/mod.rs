//! The ticket lifecycle (工单流转): the values of a ticket (channel, type, urgency, status,
//! rating, rectification steps), the actions on it, and the pure rule [`decide`] that says
//! whether an actor may take an action in the current state and what follows from it.
//!
//! Statuses: `new` 待派单 → `dispatched` 已派单 → `accepted` 已受理 → `replied` 已答复 →
//! `closed` 已办结; `returned` 已退回 waits for the dispatcher's ruling; `merged` 已合并.
//! Only the main department (主办) accepts, replies, returns and asks for an extension; a
//! co-department (协办) may only add a reply note (`co_replied`), which changes no status.
//!
//! `values` holds the fixed API values, `rules` the actions and [`decide`]; the tests of both
//! are in `tests.rs`.

mod rules;
#[cfg(test)]
mod tests;
mod values;

pub use rules::*;
pub use values::*;
