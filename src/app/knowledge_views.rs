//! What editors and reviewers read: a draft with its near-duplicates, an entry's revisions and
//! the difference between two, the review queue, and the lists of entries expiring soon or not
//! reviewed for a long time.

use serde::Serialize;
use time::Duration;

use super::knowledge::{
    entry_not_found, revision_not_found, DraftView, KnowledgeDesk, SimilarEntry,
};
use crate::domain::access::{Identity, Permission};
use crate::domain::date::format_date;
use crate::domain::draft::{diff, Draft, DraftState, EntryEvent, EntryEventKind, FieldChange};
use crate::domain::page::Page;
use crate::domain::search::SearchRequest;
use crate::domain::Entry;
use crate::error::AppResult;

/// How many near-duplicates a draft shows.
const SIMILAR_SHOWN: usize = 5;
/// Characters of a draft's title and questions searched for near-duplicates.
const SIMILAR_QUERY_CHARS: usize = 300;

/// One revision in an entry's history: who saved it, when, why, and whether agents saw it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    pub revision: i64,
    pub title: String,
    /// `published` (agents saw it), `retired` (it took the entry out of search), `draft` (the
    /// open draft) or `unpublished` (a draft replaced before anyone approved it).
    pub status: String,
    /// Whether this is the revision agents see now.
    pub current: bool,
    /// Who saved it (a token name); null for an import.
    pub author: Option<String>,
    pub saved_at: String,
    /// Why: the editor's change note.
    pub note: Option<String>,
    /// Who approved it, and when (null for imports and drafts).
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    /// The reviewer's comment on approval.
    pub review_comment: Option<String>,
}

/// An entry's revisions and its editorial history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionList {
    pub id: String,
    pub revisions: Vec<RevisionView>,
    /// Every step (saved, submitted, approved, rejected, …), oldest first.
    pub events: Vec<EntryEvent>,
}

/// The field-level difference between two revisions.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RevisionDiff {
    pub id: String,
    pub from: i64,
    pub to: i64,
    pub changes: Vec<FieldChange>,
}

/// A published entry in an editors' list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntrySummary {
    pub id: String,
    pub title: String,
    pub department: String,
    pub category: String,
    pub region: String,
    pub revision: i64,
    pub valid_to: Option<String>,
    pub updated_at: String,
}

impl From<Entry> for EntrySummary {
    fn from(e: Entry) -> EntrySummary {
        EntrySummary {
            id: e.content.id,
            title: e.content.title,
            department: e.content.department,
            category: e.content.category,
            region: e.content.region,
            revision: e.revision,
            valid_to: e.content.valid_to,
            updated_at: e.updated_at,
        }
    }
}

/// Which editors' list to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryList {
    /// Published entries whose `valid_to` falls within this many days from today.
    ExpiringWithin(u32),
    /// Published entries not approved or confirmed for this many days.
    NotReviewedFor(u32),
}

impl KnowledgeDesk<'_> {
    /// A draft with the published revision number and its near-duplicates.
    pub(super) async fn view(&self, draft: Draft) -> AppResult<DraftView> {
        let published_revision = self
            .app
            .db
            .entry(&draft.content.id)
            .await?
            .map(|e| e.revision);
        let similar_entries = self.similar(&draft).await?;
        Ok(DraftView {
            draft,
            published_revision,
            similar_entries,
        })
    }

    /// Published entries that answer what the draft answers, from the whole search pipeline
    /// (expired ones included: an editor should revive rather than duplicate them).
    async fn similar(&self, draft: &Draft) -> AppResult<Vec<SimilarEntry>> {
        let c = &draft.content;
        let mut text = c.title.clone();
        for q in &c.questions {
            text.push(' ');
            text.push_str(q);
        }
        let q: String = text.chars().take(SIMILAR_QUERY_CHARS).collect();
        let Ok(request) = SearchRequest::new(&q, None, None, None, Some(SIMILAR_SHOWN + 1), true)
        else {
            return Ok(Vec::new());
        };
        let results = self.app.run_search(request).await?;
        let confident = !results.no_answer;
        Ok(results
            .hits
            .into_iter()
            .filter(|hit| hit.entry.content.id != c.id)
            .map(|hit| SimilarEntry {
                same_title: hit.entry.content.title == c.title,
                id: hit.entry.content.id,
                title: hit.entry.content.title,
                department: hit.entry.content.department,
                region: hit.entry.content.region,
                score: hit.score,
                similarity: hit.similarity,
            })
            .filter(|s| confident || s.same_title)
            .take(SIMILAR_SHOWN)
            .collect())
    }

    /// The review queue and drafts in progress, least recently changed first.
    pub async fn drafts(
        &self,
        caller: &Identity,
        state: Option<DraftState>,
        page: Page,
    ) -> AppResult<Vec<Draft>> {
        caller.require(Permission::ReadDrafts)?;
        let (limit, offset) = page.sql();
        self.app.db.drafts(state, limit, offset).await
    }

    pub async fn revisions(&self, caller: &Identity, id: &str) -> AppResult<RevisionList> {
        caller.require(Permission::ReadDrafts)?;
        let saved = self.app.db.revisions(id).await?;
        if saved.is_empty() {
            return Err(entry_not_found(id));
        }
        let events = self.app.db.entry_events(id).await?;
        let current = self.app.db.entry(id).await?.map(|e| e.revision);
        let open = self.app.db.draft(id).await?.map(|d| d.revision);
        let revisions = saved
            .into_iter()
            .map(|r| {
                let approval = events
                    .iter()
                    .rev()
                    .find(|e| e.revision == r.revision && e.action == EntryEventKind::Approved);
                let retired = events.iter().any(|e| {
                    e.revision == r.revision && e.action == EntryEventKind::RetireRequested
                });
                let status = match (r.status.as_str(), approval) {
                    ("draft", Some(_)) if retired => "retired",
                    ("draft", Some(_)) => "published",
                    ("draft", None) if open == Some(r.revision) => "draft",
                    ("draft", None) => "unpublished",
                    (other, _) => other,
                };
                RevisionView {
                    revision: r.revision,
                    title: r.content.title,
                    status: status.to_string(),
                    current: current == Some(r.revision),
                    author: r.author,
                    saved_at: r.saved_at,
                    note: r.note,
                    approved_by: approval.map(|e| e.actor.clone()),
                    approved_at: approval.map(|e| e.at.clone()),
                    review_comment: approval.and_then(|e| e.comment.clone()),
                }
            })
            .collect();
        Ok(RevisionList {
            id: id.to_string(),
            revisions,
            events,
        })
    }

    /// One saved revision with its content.
    pub async fn revision(
        &self,
        caller: &Identity,
        id: &str,
        revision: i64,
    ) -> AppResult<crate::domain::draft::Revision> {
        caller.require(Permission::ReadDrafts)?;
        self.app
            .db
            .revisions(id)
            .await?
            .into_iter()
            .find(|r| r.revision == revision)
            .ok_or_else(|| revision_not_found(id, revision))
    }

    pub async fn diff(
        &self,
        caller: &Identity,
        id: &str,
        from: i64,
        to: i64,
    ) -> AppResult<RevisionDiff> {
        caller.require(Permission::ReadDrafts)?;
        let saved = self.app.db.revisions(id).await?;
        let find = |n: i64| {
            saved
                .iter()
                .find(|r| r.revision == n)
                .ok_or_else(|| revision_not_found(id, n))
        };
        let (old, new) = (find(from)?, find(to)?);
        Ok(RevisionDiff {
            id: id.to_string(),
            from,
            to,
            changes: diff(&old.content, &new.content),
        })
    }

    /// Entries expiring soon, or not reviewed for a long time.
    pub async fn list(&self, caller: &Identity, list: EntryList) -> AppResult<Vec<EntrySummary>> {
        caller.require(Permission::ReadDrafts)?;
        let entries = match list {
            EntryList::ExpiringWithin(days) => {
                let today = self.app.clock.today();
                let last = today + Duration::days(i64::from(days));
                self.app
                    .db
                    .entries_expiring(&format_date(today), &format_date(last))
                    .await?
            }
            EntryList::NotReviewedFor(days) => {
                let before = self.app.clock.now() - Duration::days(i64::from(days));
                let before = crate::domain::date::timestamp(before);
                self.app.db.entries_review_due(&before).await?
            }
        };
        Ok(entries.into_iter().map(EntrySummary::from).collect())
    }

    /// The configured review period, for `GET /entries?review_due=true`.
    pub fn review_period_days(&self) -> u32 {
        self.app.config.review_period_days
    }
}
