//! 12345 政务服务便民热线 knowledge backend: the library behind the `hotline` binary.
//!
//! Architecture, outside in:
//! - `http/` (axum) and `cli/` (clap) are thin front doors; both call [`app::App`].
//! - [`app::App`] is the application layer: it validates requests with `domain/`, writes the
//!   database through `db/` and keeps the search index in `search/` in step with it.
//! - `domain/` holds plain types and rules (entries, departments, imports, search requests,
//!   evaluation metrics) with their unit tests; it knows no framework.
//! - `db/` holds every SQL statement; one code path serves SQLite and PostgreSQL through
//!   `sqlx::Any`. The database is the source of truth.
//! - `search/` is the only module that knows tantivy and jieba: dictionaries, query analysis,
//!   the index store (derived from the database, rebuilt when missing or stale), the entry
//!   vectors, and the pipeline (retrieve → fuse → rerank → judge) with its one parameter set.
//! - `embed/` computes multilingual-e5-small sentence vectors in process (pure Rust, 4-bit
//!   weights, own SIMD kernels) and installs its model file; it knows nothing of the rest.

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod embed;
pub mod error;
pub mod http;
pub mod search;

pub use app::App;
pub use config::Config;
pub use error::AppError;
