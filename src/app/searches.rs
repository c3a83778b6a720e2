//! The search log and the audit log as staff read them: which searches a caller may see, the
//! query masked for roles that may not see callers' personal data, and one audit line for every
//! record whose personal data a caller reads unmasked.

use serde::Serialize;

use super::App;
use crate::db::{AuditRecord, SearchFilter, SearchRecord};
use crate::domain::access::{Identity, Permission};
use crate::domain::date::now_timestamp;
use crate::domain::page::Page;
use crate::domain::personal::view_for;
use crate::error::{AppError, AppResult, Code};

/// The audit action of reading a search's query with personal data unmasked.
pub const READ_SEARCH: &str = "read_search";

/// One recorded search as a caller may read it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SearchLogEntry {
    pub id: String,
    /// The query or transcript; phone numbers, ID numbers and names in it are masked
    /// (138****1234, 张*) unless the caller's role sees personal data.
    pub query: String,
    /// Whether personal data was masked out of `query`.
    pub query_masked: bool,
    /// The token that ran the search; null for searches from the command line.
    pub token_name: Option<String>,
    /// The request parameters (region, department, category, limit, include_expired,
    /// ranked_region).
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub returned_ids: Vec<String>,
    pub no_answer: bool,
    pub confidence: f64,
    pub took_ms: f64,
    pub created_at: String,
}

impl App {
    /// One page of the search log, newest first, and how many records the caller may see in
    /// all. Agents see only their own searches; department clerks none (403).
    pub async fn search_log(
        &self,
        caller: &Identity,
        no_answer: Option<bool>,
        page: Page,
    ) -> AppResult<(usize, Vec<SearchLogEntry>)> {
        caller.require(Permission::ReadSearchLog)?;
        let filter = SearchFilter {
            token_name: caller.search_log_scope().map(str::to_string),
            no_answer,
        };
        let total = self.db.count_search_records(&filter).await?;
        let (limit, offset) = page.sql();
        let records = self.db.search_records(&filter, limit, offset).await?;
        let entries = self.present_searches(caller, records).await?;
        Ok((usize::try_from(total).unwrap_or(0), entries))
    }

    /// One recorded search. Searches the caller may not see are as absent as unknown ids (404).
    pub async fn search_log_entry(&self, caller: &Identity, id: &str) -> AppResult<SearchLogEntry> {
        caller.require(Permission::ReadSearchLog)?;
        let record = self
            .db
            .search_record(id)
            .await?
            .filter(|record| {
                caller
                    .search_log_scope()
                    .is_none_or(|own| record.token_name.as_deref() == Some(own))
            })
            .ok_or_else(|| AppError::new(Code::SearchNotFound, format!("检索记录 {id} 不存在")))?;
        let mut entries = self.present_searches(caller, vec![record]).await?;
        entries
            .pop()
            .ok_or_else(|| AppError::internal("检索记录读取失败"))
    }

    /// One page of the audit log, newest first, with its total (supervisors and admins).
    pub async fn audit_log(
        &self,
        caller: &Identity,
        page: Page,
    ) -> AppResult<(usize, Vec<AuditRecord>)> {
        caller.require(Permission::ReadAuditLog)?;
        let total = self.db.count_audit_records().await?;
        let (limit, offset) = page.sql();
        let records = self.db.audit_records(limit, offset).await?;
        Ok((usize::try_from(total).unwrap_or(0), records))
    }

    /// The records as the caller may read them. Unmasked personal data is audited before it is
    /// returned: when the audit log cannot be written, nothing is shown.
    async fn present_searches(
        &self,
        caller: &Identity,
        records: Vec<SearchRecord>,
    ) -> AppResult<Vec<SearchLogEntry>> {
        let mut revealed = Vec::new();
        let entries: Vec<SearchLogEntry> = records
            .into_iter()
            .map(|record| {
                let view = view_for(caller.role, &record.query);
                if view.reveals_personal_data {
                    revealed.push(record.id.clone());
                }
                SearchLogEntry {
                    query: view.text,
                    query_masked: view.masked,
                    params: serde_json::from_str(&record.params).unwrap_or(serde_json::Value::Null),
                    id: record.id,
                    token_name: record.token_name,
                    returned_ids: record.returned_ids,
                    no_answer: record.no_answer,
                    confidence: record.confidence,
                    took_ms: record.took_ms,
                    created_at: record.created_at,
                }
            })
            .collect();
        let subjects: Vec<&str> = revealed.iter().map(String::as_str).collect();
        self.db
            .audit_all(&caller.name, READ_SEARCH, &subjects, &now_timestamp())
            .await?;
        Ok(entries)
    }
}
