//! Plain domain types and rules, free of HTTP, SQL and search-engine types.

pub mod access;
pub mod date;
pub mod entry;
pub mod eval;
pub mod import;
pub mod page;
pub mod personal;
pub mod search;

pub use entry::{Department, Entry, EntryContent, EntryStatus, Validity};
