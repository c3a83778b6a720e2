//! Plain domain types and rules, free of HTTP, SQL and search-engine types.

pub mod access;
pub mod calendar;
pub mod clock;
pub mod date;
pub mod deadline;
pub mod draft;
pub mod draft_input;
pub mod entry;
pub mod eval;
pub mod feedback;
pub mod gap_eval;
pub mod gaps;
pub mod hot_topics;
pub mod import;
pub mod page;
pub mod personal;
pub mod routing;
pub mod search;
pub mod sheet_files;
pub mod similar;
pub mod spreadsheet;
pub mod stats;
pub mod synthetic;
pub mod ticket;
pub mod ticket_import;
pub mod ticket_record;
pub mod ticket_view;
pub mod warnings;

pub use entry::{Department, Entry, EntryContent, EntryStatus, Validity};
