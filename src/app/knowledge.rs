//! The editing workflow (知识维护): editors write drafts beside the published entry, reviewers
//! approve or reject them, and an approved draft is in search at once. Each use case checks its
//! caller's permission here, once; handlers only translate HTTP.

use serde::Serialize;

use super::App;
use crate::db::DraftWrite;
use crate::domain::access::{Identity, Permission};
use crate::domain::draft::{
    check_base_revision, check_submittable, Draft, DraftAction, DraftState, EntryEventKind,
    ReviewStep, ANSWER_TO_WRITE,
};
use crate::domain::draft_input::{parse_entry_input, EntryInput};
use crate::domain::{Entry, EntryStatus};
use crate::error::{AppError, AppResult, Code};

/// A draft as editors see it, with the entries that may already answer the same question.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DraftView {
    #[serde(flatten)]
    pub draft: Draft,
    /// The revision agents see now; null while the entry was never published.
    pub published_revision: Option<i64>,
    /// Published entries that already answer a similar question (from the lexical index and,
    /// when loaded, the embeddings), best first: check them before writing a duplicate.
    pub similar_entries: Vec<SimilarEntry>,
}

/// A published entry close to a draft.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarEntry {
    pub id: String,
    pub title: String,
    pub department: String,
    pub region: String,
    /// The search score of the draft's title and questions against this entry.
    pub score: f32,
    /// Cosine similarity of the embeddings; null when the semantic stage is off.
    pub similarity: Option<f32>,
    /// Whether the titles are the same.
    pub same_title: bool,
}

/// The editing workflow over the shared application context.
pub struct KnowledgeDesk<'a> {
    pub(super) app: &'a App,
}

impl App {
    pub fn knowledge(&self) -> KnowledgeDesk<'_> {
        KnowledgeDesk { app: self }
    }
}

impl KnowledgeDesk<'_> {
    /// `POST /entries`: a draft of a new entry. Its id comes from the body or is generated.
    pub async fn create(
        &self,
        caller: &Identity,
        body: serde_json::Value,
        origin: Option<String>,
    ) -> AppResult<DraftView> {
        caller.require(Permission::EditKnowledge)?;
        let input = self.parse(body, None).await?;
        let id = input.content.id.clone();
        if self.app.db.newest_revision(&id).await?.is_some() {
            return Err(AppError::new(
                Code::EntryExists,
                format!("条目 {id} 已存在：修改请用 PUT /api/v1/entries/{id} 并带上 base_revision"),
            ));
        }
        let now = self.app.clock.timestamp();
        let draft = Draft {
            content: input.content,
            revision: 1,
            base_revision: None,
            state: DraftState::Draft,
            action: DraftAction::Publish,
            author: caller.name.clone(),
            review_comment: None,
            origin,
            created_at: now.clone(),
            updated_at: now,
        };
        self.store(&draft, input.note.as_deref(), EntryEventKind::Saved)
            .await
    }

    /// `PUT /entries/{id}`: saves the body as a new draft revision, refused with
    /// `revision_conflict` unless it was edited from the entry's newest revision.
    pub async fn save(
        &self,
        caller: &Identity,
        id: &str,
        body: serde_json::Value,
    ) -> AppResult<DraftView> {
        caller.require(Permission::EditKnowledge)?;
        let input = self.parse(body, Some(id)).await?;
        let base = input.base_revision.ok_or_else(|| {
            AppError::new(
                Code::InvalidEntry,
                "缺少 base_revision：请带上编辑所依据的修订号（读取条目或草稿时返回的 revision）",
            )
        })?;
        let draft = self
            .next_draft(caller, id, base, input.content, DraftState::Draft)
            .await?;
        self.store(&draft, input.note.as_deref(), EntryEventKind::Saved)
            .await
    }

    /// `POST /entries/{id}/retire`: asks for the entry to leave search; a reviewer's approval
    /// makes it so.
    pub async fn retire(
        &self,
        caller: &Identity,
        id: &str,
        base_revision: Option<i64>,
        reason: Option<String>,
    ) -> AppResult<DraftView> {
        caller.require(Permission::EditKnowledge)?;
        let entry = self.app.entry(id).await?;
        if entry.status != EntryStatus::Published {
            return Err(AppError::new(
                Code::DraftStateConflict,
                format!("条目 {id} 未发布或已下线，无需下线"),
            ));
        }
        let newest = self.newest(id).await?;
        let base = match (base_revision, self.app.db.draft(id).await?) {
            (Some(base), _) => base,
            // Someone's open draft is not replaced unless the request says it saw it.
            (None, Some(open)) => {
                return Err(AppError::new(
                    Code::DraftStateConflict,
                    format!(
                        "条目 {id} 已有 {} 保存的草稿（修订 {}）：确需下线请带上 base_revision={} 再申请",
                        open.author, open.revision, open.revision
                    ),
                ))
            }
            (None, None) => newest,
        };
        let mut draft = self
            .next_draft(caller, id, base, entry.content, DraftState::Submitted)
            .await?;
        draft.action = DraftAction::Retire;
        self.store(&draft, reason.as_deref(), EntryEventKind::RetireRequested)
            .await
    }

    /// Copies a past revision into a new draft.
    pub async fn restore(
        &self,
        caller: &Identity,
        id: &str,
        revision: i64,
        base_revision: i64,
    ) -> AppResult<DraftView> {
        caller.require(Permission::EditKnowledge)?;
        let past = self.revision(caller, id, revision).await?;
        let draft = self
            .next_draft(caller, id, base_revision, past.content, DraftState::Draft)
            .await?;
        let note = format!("恢复修订 {revision} 的内容");
        self.store(&draft, Some(&note), EntryEventKind::Restored)
            .await
    }

    pub async fn submit(&self, caller: &Identity, id: &str) -> AppResult<DraftView> {
        caller.require(Permission::EditKnowledge)?;
        self.step(caller, id, ReviewStep::Submit, None).await
    }

    pub async fn reject(&self, caller: &Identity, id: &str, comment: &str) -> AppResult<DraftView> {
        caller.require(Permission::ReviewKnowledge)?;
        if comment.trim().is_empty() {
            return Err(AppError::new(
                Code::InvalidRequest,
                "退回草稿须填写 comment：告诉编辑人员要改什么",
            ));
        }
        self.step(caller, id, ReviewStep::Reject, Some(comment.trim()))
            .await
    }

    /// Publishes a submitted draft (or retires the entry) and brings this process's index up
    /// to date before answering, so agents find the change on their next search.
    pub async fn approve(
        &self,
        caller: &Identity,
        id: &str,
        comment: Option<&str>,
    ) -> AppResult<Entry> {
        caller.require(Permission::ReviewKnowledge)?;
        let draft = self.draft_of(id).await?;
        if draft.author == caller.name {
            return Err(AppError::new(
                Code::ReviewOwnDraft,
                "不能审核自己编写的草稿：请由另一位审核人员通过",
            ));
        }
        ReviewStep::Approve.apply(draft.state)?;
        let now = self.app.clock.timestamp();
        self.app
            .db
            .publish_draft(&draft, &caller.name, comment, &now)
            .await?;
        self.app.sync_index(false).await?;
        if let (Some(gap), DraftAction::Publish) = (gap_of(&draft), draft.action) {
            if let Err(err) = self.app.resolve_gap(gap, id).await {
                tracing::warn!(gap, entry = id, message = %err.message, "could not mark the knowledge gap resolved");
            }
        }
        self.app.entry(id).await
    }

    /// A reviewer confirms a published entry is still right: it leaves the review-due list.
    pub async fn confirm(&self, caller: &Identity, id: &str) -> AppResult<Entry> {
        caller.require(Permission::ReviewKnowledge)?;
        let entry = self.app.entry(id).await?;
        let now = self.app.clock.timestamp();
        self.app
            .db
            .confirm_entry(&entry, &caller.name, &now)
            .await?;
        Ok(entry)
    }

    /// `POST /gaps/{id}/draft`: a new entry draft pre-filled from a knowledge gap (its
    /// representative question as title, the other phrasings as questions, the suggested
    /// department and category). Asking again returns the draft already started for the gap.
    /// Publishing it resolves the gap.
    pub async fn draft_for_gap(
        &self,
        caller: &Identity,
        gap_id: &str,
    ) -> AppResult<(bool, DraftView)> {
        caller.require(Permission::EditKnowledge)?;
        let seed = self.app.gap_draft_seed(caller, gap_id).await?;
        let origin = format!("{GAP_ORIGIN}{gap_id}");
        if let Some(existing) = self.app.db.draft_with_origin(&origin).await? {
            return Ok((false, self.view(existing).await?));
        }
        let department = match seed.department {
            Some(department) => department,
            None => self
                .app
                .routing()
                .suggest_for(&seed.title, None, None)
                .await?
                .into_iter()
                .next()
                .map(|s| s.department)
                .ok_or_else(|| {
                    AppError::new(
                        Code::InvalidEntry,
                        "无法为该缺口推断承办部门：请用 POST /api/v1/entries 手工新建条目",
                    )
                })?,
        };
        let body = serde_json::json!({
            "title": seed.title,
            "questions": seed.questions,
            "answer": ANSWER_TO_WRITE,
            "department": department,
            "category": seed.category.unwrap_or_default(),
            "note": format!("由知识缺口 {gap_id} 创建"),
        });
        Ok((true, self.create(caller, body, Some(origin)).await?))
    }

    /// An entry never published, as editors read it by id: its open draft, status `draft`.
    pub async fn unpublished(&self, caller: &Identity, id: &str) -> AppResult<Entry> {
        caller.require(Permission::ReadDrafts)?;
        let draft = self.draft_of(id).await.map_err(|_| entry_not_found(id))?;
        Ok(Entry {
            content: draft.content,
            status: EntryStatus::Draft,
            revision: draft.revision,
            created_at: draft.created_at,
            updated_at: draft.updated_at,
        })
    }

    /// The open draft of an entry.
    pub async fn draft(&self, caller: &Identity, id: &str) -> AppResult<DraftView> {
        caller.require(Permission::ReadDrafts)?;
        let draft = self.draft_of(id).await?;
        self.view(draft).await
    }

    async fn step(
        &self,
        caller: &Identity,
        id: &str,
        step: ReviewStep,
        comment: Option<&str>,
    ) -> AppResult<DraftView> {
        let mut draft = self.draft_of(id).await?;
        let state = step.apply(draft.state)?;
        if step == ReviewStep::Submit {
            check_submittable(&draft)?;
        }
        let event = match step {
            ReviewStep::Submit => EntryEventKind::Submitted,
            ReviewStep::Reject => EntryEventKind::Rejected,
            ReviewStep::Approve => EntryEventKind::Approved,
        };
        let now = self.app.clock.timestamp();
        self.app
            .db
            .set_draft_state(&draft, state, event, &caller.name, comment, &now)
            .await?;
        draft.state = state;
        draft.updated_at = now;
        if step == ReviewStep::Reject {
            draft.review_comment = comment.map(str::to_string);
        }
        self.view(draft).await
    }

    /// The draft that an edit from `base` creates, after the stale-edit check.
    async fn next_draft(
        &self,
        caller: &Identity,
        id: &str,
        base: i64,
        content: crate::domain::EntryContent,
        state: DraftState,
    ) -> AppResult<Draft> {
        let newest = self.newest(id).await?;
        check_base_revision(id, base, newest)?;
        let published = self.app.db.entry(id).await?.map(|e| e.revision);
        let open = self.app.db.draft(id).await?;
        let now = self.app.clock.timestamp();
        Ok(Draft {
            content,
            revision: newest + 1,
            base_revision: published,
            state,
            action: DraftAction::Publish,
            author: caller.name.clone(),
            review_comment: None,
            origin: open.as_ref().and_then(|d| d.origin.clone()),
            created_at: open.map(|d| d.created_at).unwrap_or_else(|| now.clone()),
            updated_at: now,
        })
    }

    async fn newest(&self, id: &str) -> AppResult<i64> {
        self.app
            .db
            .newest_revision(id)
            .await?
            .ok_or_else(|| entry_not_found(id))
    }

    async fn store(
        &self,
        draft: &Draft,
        note: Option<&str>,
        event: EntryEventKind,
    ) -> AppResult<DraftView> {
        self.app
            .db
            .save_draft(DraftWrite { draft, note, event })
            .await?;
        self.view(draft.clone()).await
    }

    async fn parse(&self, body: serde_json::Value, path_id: Option<&str>) -> AppResult<EntryInput> {
        let known = self.app.db.department_codes().await?;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        parse_entry_input(
            body,
            path_id,
            |department| format!("{department}-{}", &suffix[..8]).to_uppercase(),
            &known,
        )
    }

    pub(super) async fn draft_of(&self, id: &str) -> AppResult<Draft> {
        self.app.db.draft(id).await?.ok_or_else(|| {
            AppError::new(Code::DraftNotFound, format!("条目 {id} 没有待处理的草稿"))
        })
    }
}

/// How a draft started from a knowledge gap names it in `origin`.
const GAP_ORIGIN: &str = "gap:";

fn gap_of(draft: &Draft) -> Option<&str> {
    draft.origin.as_deref()?.strip_prefix(GAP_ORIGIN)
}

pub(super) fn entry_not_found(id: &str) -> AppError {
    AppError::new(Code::EntryNotFound, format!("知识条目 {id} 不存在"))
}

pub(super) fn revision_not_found(id: &str, revision: i64) -> AppError {
    AppError::new(
        Code::RevisionNotFound,
        format!("条目 {id} 没有修订 {revision}"),
    )
}
