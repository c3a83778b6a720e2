//! The one error type of the service: a stable snake_case code from one table, the kind of
//! failure it is (which `http/` maps to a status) and a message written for the person who has
//! to fix the request.

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
    /// The path exists but not with this method (405).
    MethodNotAllowed,
    /// The request conflicts with the current state (409).
    Conflict,
    /// A dependency (database, index) is not available right now (503).
    Unavailable,
    /// A bug or an unexpected failure; details are logged, not returned (500).
    Internal,
}

/// Declares [`Code`]: every error code of the service with its kind, in one table.
macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $kind:ident)),+ $(,)?) => {
        /// A stable error code: part of the API contract, never renamed.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant),+
        }

        impl Code {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The snake_case text clients see.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code),+
                }
            }

            pub fn kind(self) -> ErrorKind {
                match self {
                    $(Code::$variant => ErrorKind::$kind),+
                }
            }
        }
    };
}

error_codes! {
    BadFile => ("bad_file", BadRequest),
    BindFailed => ("bind_failed", BadRequest),
    ContentEmpty => ("content_empty", BadRequest),
    ContentTooLong => ("content_too_long", BadRequest),
    DepartmentNotAllowed => ("department_not_allowed", BadRequest),
    DepartmentRequired => ("department_required", BadRequest),
    EvalInvalid => ("eval_invalid", BadRequest),
    ModelInvalid => ("model_invalid", BadRequest),
    FieldEmpty => ("field_empty", BadRequest),
    ImportInvalid => ("import_invalid", BadRequest),
    InvalidBody => ("invalid_body", BadRequest),
    InvalidCalendar => ("invalid_calendar", BadRequest),
    InvalidChannel => ("invalid_channel", BadRequest),
    InvalidDatabaseUrl => ("invalid_database_url", BadRequest),
    InvalidDeadlinePolicy => ("invalid_deadline_policy", BadRequest),
    InvalidDictionary => ("invalid_dictionary", BadRequest),
    InvalidEntry => ("invalid_entry", BadRequest),
    InvalidEventKind => ("invalid_event_kind", BadRequest),
    InvalidExtension => ("invalid_extension", BadRequest),
    InvalidFeedback => ("invalid_feedback", BadRequest),
    InvalidLimit => ("invalid_limit", BadRequest),
    InvalidMerge => ("invalid_merge", BadRequest),
    InvalidParameter => ("invalid_parameter", BadRequest),
    InvalidPeriod => ("invalid_period", BadRequest),
    InvalidProblem => ("invalid_problem", BadRequest),
    InvalidRating => ("invalid_rating", BadRequest),
    InvalidRectificationStep => ("invalid_rectification_step", BadRequest),
    InvalidRequest => ("invalid_request", BadRequest),
    InvalidResolution => ("invalid_resolution", BadRequest),
    InvalidRole => ("invalid_role", BadRequest),
    InvalidStatus => ("invalid_status", BadRequest),
    InvalidTicketType => ("invalid_ticket_type", BadRequest),
    InvalidTokenName => ("invalid_token_name", BadRequest),
    InvalidUrgency => ("invalid_urgency", BadRequest),
    QueryEmpty => ("query_empty", BadRequest),
    QueryTooLong => ("query_too_long", BadRequest),
    RoutingEval => ("routing_eval", BadRequest),
    TranscriptTooLong => ("transcript_too_long", BadRequest),
    UnknownDepartment => ("unknown_department", BadRequest),
    UnknownEntry => ("unknown_entry", BadRequest),
    UnknownSearch => ("unknown_search", BadRequest),
    Unauthorized => ("unauthorized", Unauthorized),
    Forbidden => ("forbidden", Forbidden),
    ReviewOwnDraft => ("review_own_draft", Forbidden),
    EntryNotFound => ("entry_not_found", NotFound),
    DraftNotFound => ("draft_not_found", NotFound),
    DictionaryNotFound => ("dictionary_not_found", NotFound),
    RevisionNotFound => ("revision_not_found", NotFound),
    GapNotFound => ("gap_not_found", NotFound),
    ModelMissing => ("model_missing", NotFound),
    NotFound => ("not_found", NotFound),
    SearchNotFound => ("search_not_found", NotFound),
    TaskNotFound => ("task_not_found", NotFound),
    TicketNotFound => ("ticket_not_found", NotFound),
    TokenNotFound => ("token_not_found", NotFound),
    MethodNotAllowed => ("method_not_allowed", MethodNotAllowed),
    ExtensionConflict => ("extension_conflict", Conflict),
    DraftStateConflict => ("draft_state_conflict", Conflict),
    EntryExists => ("entry_exists", Conflict),
    IndexLocked => ("index_locked", Conflict),
    RectificationConflict => ("rectification_conflict", Conflict),
    RevisionConflict => ("revision_conflict", Conflict),
    GapStateConflict => ("gap_state_conflict", Conflict),
    TaskClosed => ("task_closed", Conflict),
    TicketChanged => ("ticket_changed", Conflict),
    TicketStateConflict => ("ticket_state_conflict", Conflict),
    TokenExists => ("token_exists", Conflict),
    DatabaseUnavailable => ("database_unavailable", Unavailable),
    IndexError => ("index_error", Unavailable),
    ModelInstallFailed => ("model_install_failed", Unavailable),
    ModelIo => ("model_io", Unavailable),
    DatabaseError => ("database_error", Internal),
    InternalError => ("internal_error", Internal),
    MigrationFailed => ("migration_failed", Internal),
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable `code` (part of the API contract) and a user-facing message.
#[derive(Debug)]
pub struct AppError {
    pub code: Code,
    pub message: String,
    /// Extra structured detail (for example every bad line of an import).
    pub details: Vec<String>,
}

impl AppError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::InternalError, message)
    }

    /// The kind of failure, from the code table.
    pub fn kind(&self) -> ErrorKind {
        self.code.kind()
    }

    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for AppError {}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                AppError::new(
                    Code::DatabaseUnavailable,
                    format!("数据库暂时不可用：{err}"),
                )
            }
            other => AppError::new(Code::DatabaseError, format!("数据库操作失败：{other}")),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        AppError::new(Code::MigrationFailed, format!("数据库迁移失败：{err}"))
    }
}

impl From<crate::embed::EmbedError> for AppError {
    fn from(err: crate::embed::EmbedError) -> Self {
        use crate::embed::EmbedError;
        let code = match &err {
            EmbedError::Missing(_) => Code::ModelMissing,
            EmbedError::Io { .. } => Code::ModelIo,
            EmbedError::Install(_) => Code::ModelInstallFailed,
            EmbedError::NotAModel
            | EmbedError::Truncated(_)
            | EmbedError::Format(_)
            | EmbedError::Checksum { .. } => Code::ModelInvalid,
        };
        AppError::new(code, err.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{text}"
            );
        }
    }
}
