//! The one error type of the service: a stable snake_case code, an HTTP-free kind and a message
//! written for the person who has to fix the request. `http/` turns it into a JSON response.

use std::fmt;

/// What went wrong, in terms a client can act on. The HTTP status is derived from the kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed or fails validation (400).
    BadRequest,
    /// No valid token came with the request (401).
    Unauthorized,
    /// The caller's role may not do this (403).
    Forbidden,
    /// The named thing does not exist, or the caller may not know that it does (404).
    NotFound,
    /// The request conflicts with the current state (409).
    Conflict,
    /// A dependency (database, index) is not available right now (503).
    Unavailable,
    /// A bug or an unexpected failure; details are logged, not returned (500).
    Internal,
}

/// An error with a stable `code` (part of the API contract) and a user-facing message.
#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    /// Extra structured detail (for example every bad line of an import).
    pub details: Vec<String>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            kind,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, "internal_error", message)
    }

    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                AppError::new(
                    ErrorKind::Unavailable,
                    "database_unavailable",
                    format!("数据库暂时不可用：{err}"),
                )
            }
            other => AppError::new(
                ErrorKind::Internal,
                "database_error",
                format!("数据库操作失败：{other}"),
            ),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        AppError::new(
            ErrorKind::Internal,
            "migration_failed",
            format!("数据库迁移失败：{err}"),
        )
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        AppError::internal(format!("文件读写失败：{err}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::internal(format!("JSON 处理失败：{err}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(err: tokio::task::JoinError) -> Self {
        AppError::internal(format!("后台任务失败：{err}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
