//! Routing suggestions (智能派单): which department should handle a call, from the city's
//! department directory matched to the general map of city departments, the departments of the
//! knowledge entries the text matches, and what closed tickets teach (their words and, once
//! nearly all are embedded, their sentence vectors). The router is rebuilt when the directory,
//! the ticket history or the history's vectors change.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use super::App;
use crate::domain::access::{Identity, Role};
use crate::domain::routing::{
    builtin_kinds, parse_kinds, vectors_usable, Router, Signal, Suggestion,
};
use crate::domain::search::{SearchRequest, MAX_QUERY_CHARS};
use crate::error::{AppError, AppResult, Code};
use crate::search::SearchResults;

/// Knowledge hits whose departments count as a signal.
const ENTRY_SIGNALS: usize = 5;
/// Longest accepted text, as for a ticket's summary.
const MAX_TEXT_CHARS: usize = crate::domain::ticket_view::MAX_CONTENT_CHARS;
/// Suggestions returned.
const SUGGESTIONS: usize = 5;

/// The current router and what it was built from.
#[derive(Default)]
pub struct RouterCell {
    current: RwLock<Option<(String, Arc<Router>)>>,
}

impl RouterCell {
    fn get(&self) -> Option<Arc<Router>> {
        match self.current.read() {
            Ok(guard) => guard.as_ref().map(|(_, r)| r.clone()),
            Err(poisoned) => poisoned.into_inner().as_ref().map(|(_, r)| r.clone()),
        }
    }

    fn stamp(&self) -> Option<String> {
        match self.current.read() {
            Ok(guard) => guard.as_ref().map(|(s, _)| s.clone()),
            Err(poisoned) => poisoned.into_inner().as_ref().map(|(s, _)| s.clone()),
        }
    }

    fn set(&self, stamp: String, router: Router) {
        let value = Some((stamp, Arc::new(router)));
        match self.current.write() {
            Ok(mut guard) => *guard = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

/// `POST /api/v1/routing/suggest`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRequest {
    /// 诉求内容（话务员摘要或转写）
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    pub text: String,
    /// 诉求类型（咨询 求助 投诉 举报 建议 表扬）
    #[serde(rename = "type")]
    pub ticket_type: Option<crate::domain::ticket::TicketType>,
    /// 诉求所在区县
    pub region: Option<String>,
}

/// A suggested department, best first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RoutingSuggestion {
    pub department: String,
    /// The department's name in the directory.
    pub name: String,
    pub score: f64,
    /// Why, for people: the duties and matters that matched, the knowledge entries that
    /// matched, similar past tickets.
    pub reason: String,
}

/// The routing workflow over the shared application context.
pub struct RoutingDesk<'a> {
    app: &'a App,
}

impl App {
    /// Routing suggestions.
    pub fn routing(&self) -> RoutingDesk<'_> {
        RoutingDesk { app: self }
    }
}

impl RoutingDesk<'_> {
    /// Rebuilds the router when the directory or the history changed since it was built.
    /// Returns whether it rebuilt.
    pub async fn refresh(&self) -> AppResult<bool> {
        let model = self
            .app
            .index
            .semantic
            .encoder()
            .map(|e| e.digest().to_string());
        // Rebuilt when the vectors become usable and again when every lesson has one.
        let (vectors, complete) = match &model {
            Some(model) => {
                let (lessons, covered) = self.app.db.lesson_vector_coverage(model).await?;
                (vectors_usable(lessons, covered), covered == lessons)
            }
            None => (false, false),
        };
        let stamp = format!(
            "{}/{vectors}/{complete}",
            self.app.db.routing_stamp().await?
        );
        if self.app.router.stamp().as_deref() == Some(stamp.as_str()) {
            return Ok(false);
        }
        let departments = self.app.db.departments().await?;
        let lessons = self
            .app
            .db
            .routing_lessons(model.as_deref().filter(|_| vectors))
            .await?;
        let kinds = self.kinds()?;
        let started = std::time::Instant::now();
        let history = lessons.len();
        let router = tokio::task::spawn_blocking(move || {
            Router::builder(&departments, &kinds)
                .history_with_vectors(
                    lessons
                        .iter()
                        .map(|l| (l.text.as_str(), l.department.as_str(), l.vector.as_deref())),
                )
                .build()
        })
        .await?;
        tracing::info!(
            history,
            vectors = router.uses_vectors(),
            took_ms = started.elapsed().as_millis() as u64,
            "routing model built"
        );
        self.app.router.set(stamp, router);
        Ok(true)
    }

    /// Whether the current router learnt from the history's sentence vectors.
    pub fn learns_from_vectors(&self) -> bool {
        self.app.router.get().is_some_and(|r| r.uses_vectors())
    }

    /// The general map of city departments: `knowledge/routing/city_departments.jsonl`, or the
    /// copy built into the binary.
    fn kinds(&self) -> AppResult<Vec<crate::domain::routing::DepartmentKind>> {
        let path = self
            .app
            .config
            .knowledge_dir
            .join("routing")
            .join("city_departments.jsonl");
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_kinds(&text).map_err(|problem| {
                AppError::new(
                    Code::InvalidDictionary,
                    format!("{}: {problem}", path.display()),
                )
            }),
            Err(_) => Ok(builtin_kinds()),
        }
    }

    /// Departments for a call, best first.
    pub async fn suggest(
        &self,
        caller: &Identity,
        request: RoutingRequest,
    ) -> AppResult<Vec<RoutingSuggestion>> {
        if !matches!(
            caller.role,
            Role::Agent | Role::Dispatcher | Role::Supervisor | Role::Admin
        ) {
            return Err(AppError::new(
                Code::Forbidden,
                format!("角色 {} 无权获取派单建议", caller.role.as_str()),
            ));
        }
        let text = request.text.trim();
        if text.is_empty() {
            return Err(AppError::new(Code::FieldEmpty, "text 不能为空"));
        }
        if request.text.chars().count() > MAX_TEXT_CHARS {
            return Err(AppError::new(
                Code::ContentTooLong,
                format!("text 最长 {MAX_TEXT_CHARS} 字"),
            ));
        }
        self.suggest_for(
            text,
            request.ticket_type.map(|t| t.as_str()),
            request.region,
        )
        .await
    }

    /// Suggestions for a text, without a permission check (the caller checked).
    pub(super) async fn suggest_for(
        &self,
        text: &str,
        ticket_type: Option<&str>,
        region: Option<String>,
    ) -> AppResult<Vec<RoutingSuggestion>> {
        if self.app.router.get().is_none() {
            self.refresh().await?;
        }
        let router = self
            .app
            .router
            .get()
            .ok_or_else(|| AppError::internal("派单模型未建立"))?;
        let request = signals_request(text, region)?;
        let model = router.clone();
        let text = text.to_string();
        let ticket_type = ticket_type.map(str::to_string);
        let index = self.app.index.clone();
        let q = request.q.clone();
        let suggestions: Vec<Suggestion> = self
            .app
            .run_search_then(request, move |results| {
                // The search just embedded the same words: the vector comes from its cache.
                let vector = model
                    .uses_vectors()
                    .then(|| index.semantic.query_vector(&q))
                    .flatten();
                model.suggest_with_vector(
                    &text,
                    ticket_type.as_deref(),
                    &entry_signals(&results),
                    vector.as_deref().map(Vec::as_slice),
                )
            })
            .await?;
        Ok(suggestions
            .into_iter()
            .take(SUGGESTIONS)
            .map(|s| RoutingSuggestion {
                name: router
                    .department_name(&s.department)
                    .unwrap_or_default()
                    .to_string(),
                department: s.department,
                score: (s.score * 1000.0).round() / 1000.0,
                reason: s.reason,
            })
            .collect())
    }
}

/// The search for the knowledge entries a text matches: its last words (as many as a query
/// may have), hits without snippets.
fn signals_request(text: &str, region: Option<String>) -> AppResult<SearchRequest> {
    let tail: String = {
        let chars: Vec<char> = text.chars().collect();
        chars[chars.len().saturating_sub(MAX_QUERY_CHARS)..]
            .iter()
            .collect()
    };
    Ok(
        SearchRequest::new(&tail, region, None, None, Some(ENTRY_SIGNALS), false)?
            .without_snippets(),
    )
}

/// The departments of the knowledge entries found, weighted by rank.
fn entry_signals(results: &SearchResults) -> Vec<Signal> {
    if results.no_answer {
        return Vec::new();
    }
    let mut signals: Vec<Signal> = Vec::new();
    for (rank, hit) in results.hits.iter().enumerate() {
        let weight = 1.0 / (rank as f64 + 1.0);
        let department = &hit.entry.content.department;
        let title = &hit.entry.content.title;
        match signals.iter_mut().find(|s| &s.department == department) {
            Some(signal) => {
                signal.score += weight;
                signal.reason.push_str(&format!("、《{title}》"));
            }
            None => signals.push(Signal {
                department: department.clone(),
                score: weight,
                reason: format!("知识条目《{title}》"),
            }),
        }
    }
    signals
}
