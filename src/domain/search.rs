//! Search requests and results as agents see them, with the request rules (query length, limit).

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, Code};

use super::entry::Validity;

/// Longest accepted query: a whole speech-recognition transcript of a call.
pub const MAX_QUERY_CHARS: usize = 2000;
/// Default number of hits.
pub const DEFAULT_LIMIT: usize = 10;
/// Most hits one request may ask for.
pub const MAX_LIMIT: usize = 50;

/// A validated search request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub q: String,
    /// The caller's district (or `市级`); entries of that district rank first.
    pub region: Option<String>,
    pub department: Option<String>,
    pub category: Option<String>,
    pub limit: usize,
    /// Editors may ask for expired (and not yet valid) entries too; they come back marked.
    pub include_expired: bool,
    /// Hits come back without snippets (routing reads only departments and titles).
    pub skip_snippets: bool,
}

impl SearchRequest {
    /// Checks the raw parameters and builds a request; empty optional filters count as absent.
    pub fn new(
        q: &str,
        region: Option<String>,
        department: Option<String>,
        category: Option<String>,
        limit: Option<usize>,
        include_expired: bool,
    ) -> AppResult<Self> {
        let q = q.trim();
        if q.is_empty() {
            return Err(AppError::new(
                Code::QueryEmpty,
                "查询内容为空：请在参数 q 中填写要查找的问题或关键词",
            ));
        }
        let chars = q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(AppError::new(
                Code::QueryTooLong,
                format!("查询内容过长：共 {chars} 个字，最多 {MAX_QUERY_CHARS} 个字"),
            ));
        }
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(AppError::new(
                Code::InvalidLimit,
                format!("limit 应在 1 到 {MAX_LIMIT} 之间，收到 {limit}"),
            ));
        }
        let present = |value: Option<String>| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ok(SearchRequest {
            q: q.to_string(),
            region: present(region),
            department: present(department),
            category: present(category),
            limit,
            include_expired,
            skip_snippets: false,
        })
    }

    /// The same request, its hits without snippets (empty), for callers that never show them.
    pub fn without_snippets(self) -> Self {
        SearchRequest {
            skip_snippets: true,
            ..self
        }
    }
}

/// One hit: enough for the agent to answer without opening the entry.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub id: String,
    pub title: String,
    pub score: f32,
    pub department: String,
    pub category: String,
    pub region: String,
    /// Part of the answer around the matched words, matches wrapped in `<b>…</b>`.
    pub snippet: String,
    pub answer: String,
    pub process: Vec<String>,
    pub materials: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub validity: Validity,
    /// True when the policy's `valid_to` has passed (only with `include_expired=true`).
    pub expired: bool,
    pub revision: i64,
    /// Cosine similarity of the question and the entry (semantic stage), or null when that
    /// stage did not run.
    pub similarity: Option<f32>,
}

/// How the query was understood, shown so agents and editors can see why something matched.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueryInterpretation {
    /// The terms searched for, after removing filler words.
    pub terms: Vec<String>,
    /// Synonyms and implied official terms added, as `"娃 → 子女"` or `"被辞退 → 失业保险金"`.
    pub synonyms: Vec<String>,
    /// Probable speech-recognition corrections, as `"公基金 → 公积金"`.
    pub corrections: Vec<String>,
    /// The district used for ranking, from the `region` parameter or named in the query.
    pub region: Option<String>,
    /// The caller's words the first hit does not cover, most telling first: what a new
    /// entry would have to answer when `no_answer` is true.
    pub unmatched: Vec<String>,
    /// A question form no government knowledge base answers (`"哪个牌子"`, `"房价…会不会跌"`),
    /// when the caller used one: such a call is `no_answer` unless an entry covers it closely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_scope: Option<String>,
    /// Whether the semantic (embedding) stage ran for this search.
    #[serde(default)]
    pub semantic: bool,
    /// Whether the query was a long text (a call transcript) of which only the end, where
    /// the caller's question is, was searched; such a search is `no_answer` only when nothing
    /// matched, since the agent's own words in it leave any entry's coverage low.
    #[serde(default)]
    pub transcript: bool,
}

/// Result of one search.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchOutcome {
    pub search_id: String,
    /// True when nothing relevant enough was found: the question should become a ticket
    /// or a knowledge gap rather than be answered from the top hit.
    pub no_answer: bool,
    /// Confidence that the first hit answers the question, 0 to 1.
    pub confidence: f32,
    pub took_ms: f64,
    pub interpretation: QueryInterpretation,
    pub hits: Vec<SearchHit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_queries_are_rejected() {
        let err = SearchRequest::new("  ", None, None, None, None, false).unwrap_err();
        assert_eq!(err.code, Code::QueryEmpty);
    }

    #[test]
    fn a_whole_transcript_is_accepted_but_not_more() {
        let transcript = "喂".repeat(MAX_QUERY_CHARS);
        assert!(SearchRequest::new(&transcript, None, None, None, None, false).is_ok());
        let too_long = "喂".repeat(MAX_QUERY_CHARS + 1);
        let err = SearchRequest::new(&too_long, None, None, None, None, false).unwrap_err();
        assert_eq!(err.code, Code::QueryTooLong);
    }

    #[test]
    fn limit_is_capped_and_blank_filters_are_dropped() {
        let err = SearchRequest::new("社保", None, None, None, Some(500), false).unwrap_err();
        assert_eq!(err.code, Code::InvalidLimit);
        let ok = SearchRequest::new("社保", Some(" ".into()), None, None, None, false).unwrap();
        assert_eq!(ok.region, None);
        assert_eq!(ok.limit, DEFAULT_LIMIT);
    }
}
