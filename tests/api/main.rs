//! Integration tests through HTTP and the CLI: one test binary, an app per test.
//!
//! Tests declared with `both_engines!` run on SQLite and, when `HOTLINE_TEST_POSTGRES_URL`
//! names a PostgreSQL server, on PostgreSQL too (each in a database of its own).

#[macro_use]
mod helpers;

mod access;
mod cli;
mod dictionaries;
mod durability;
mod editing;
mod embed;
mod entries;
mod feedback;
mod gaps;
mod health;
mod hot_topics;
mod index;
mod metrics;
mod openapi;
mod quality;
mod robustness;
mod routing;
mod search;
mod search_filters;
mod searches;
mod spreadsheets;
mod tickets;
mod vectors;
