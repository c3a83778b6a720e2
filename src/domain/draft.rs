//! Editing and review of knowledge entries: draft states, who may move a draft where, the
//! stale-edit rule, and the field-level difference between two revisions.

use serde::{Deserialize, Serialize};

use super::entry::EntryContent;
use crate::error::{AppError, AppResult, Code};

/// Where a draft stands in review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftState {
    /// Being written; only the editors see it.
    Draft,
    /// Waiting for a reviewer.
    Submitted,
    /// Sent back by a reviewer with a comment; the editor revises and submits again.
    Rejected,
}

/// What approving the draft does to the published entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftAction {
    /// Publishes the draft's content as the entry's new revision.
    Publish,
    /// Retires the entry: agents stop finding it.
    Retire,
}

/// Something that happened to an entry, as recorded in its history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryEventKind {
    /// Published by an import (JSON Lines or spreadsheet).
    Imported,
    /// A draft revision was saved.
    Saved,
    /// A past revision was copied into a new draft.
    Restored,
    Submitted,
    Approved,
    Rejected,
    /// A retirement was asked for (takes effect on approval).
    RetireRequested,
    /// A reviewer confirmed a published entry is still right without changing it.
    Confirmed,
}

macro_rules! text_values {
    ($($ty:ident { $($variant:ident => $text:literal),+ $(,)? })+) => {$(
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($ty::$variant),)+ _ => None }
            }
        }
    )+};
}

text_values! {
    DraftState { Draft => "draft", Submitted => "submitted", Rejected => "rejected" }
    DraftAction { Publish => "publish", Retire => "retire" }
    EntryEventKind {
        Imported => "imported",
        Saved => "saved",
        Restored => "restored",
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
        RetireRequested => "retire_requested",
        Confirmed => "confirmed",
    }
}

/// An entry's open draft: the content an editor is working on, not yet seen by agents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Draft {
    #[serde(flatten)]
    pub content: EntryContent,
    /// The draft's own revision number: send it as `base_revision` with the next edit.
    pub revision: i64,
    /// The published revision the draft was edited from; null for an entry never published.
    pub base_revision: Option<i64>,
    pub state: DraftState,
    pub action: DraftAction,
    /// The token that last saved it.
    pub author: String,
    /// The reviewer's comment when the draft was sent back.
    pub review_comment: Option<String>,
    /// Where the draft came from, e.g. `gap:<id>` for a draft written for a knowledge gap.
    pub origin: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One saved state of an entry, draft or published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Revision {
    pub revision: i64,
    #[serde(flatten)]
    pub content: EntryContent,
    /// `published` or `retired` for states agents saw, `draft` for saved drafts.
    pub status: String,
    /// Who saved it: a token name, or null for an import.
    pub author: Option<String>,
    /// Why: the editor's change note.
    pub note: Option<String>,
    pub saved_at: String,
}

/// One recorded step in an entry's editorial history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EntryEvent {
    pub revision: i64,
    pub action: EntryEventKind,
    pub actor: String,
    pub comment: Option<String>,
    pub at: String,
}

/// The answer of a draft started from a knowledge gap, before the editor writes one: such a
/// draft can be saved but not submitted.
pub const ANSWER_TO_WRITE: &str = "（待填写答复口径）";

/// Whether a draft is complete enough to go to a reviewer.
pub fn check_submittable(draft: &Draft) -> AppResult<()> {
    if draft.content.answer.trim() == ANSWER_TO_WRITE {
        Err(AppError::new(
            Code::InvalidEntry,
            format!(
                "条目 {} 的答复口径还未填写：请先保存写好答复的草稿再提交",
                draft.content.id
            ),
        ))
    } else {
        Ok(())
    }
}

/// The review steps, checked against the draft's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewStep {
    Submit,
    Approve,
    Reject,
}

impl ReviewStep {
    /// The state a draft moves to, or a `draft_state_conflict` saying why it cannot.
    pub fn apply(self, state: DraftState) -> AppResult<DraftState> {
        let next = match (self, state) {
            (ReviewStep::Submit, DraftState::Draft | DraftState::Rejected) => DraftState::Submitted,
            (ReviewStep::Approve | ReviewStep::Reject, DraftState::Submitted) => {
                DraftState::Submitted
            }
            (ReviewStep::Submit, DraftState::Submitted) => {
                return Err(conflict("草稿已提交审核，无需重复提交"))
            }
            (ReviewStep::Approve | ReviewStep::Reject, _) => {
                return Err(conflict(
                    "只有已提交审核的草稿才能通过或退回，请编辑人员先提交",
                ))
            }
        };
        Ok(match self {
            ReviewStep::Reject => DraftState::Rejected,
            _ => next,
        })
    }
}

fn conflict(message: &str) -> AppError {
    AppError::new(Code::DraftStateConflict, message.to_string())
}

/// The stale-edit rule: an edit must start from the entry's newest revision (the open draft's,
/// or the published one when there is no draft), so two editors never overwrite each other.
pub fn check_base_revision(id: &str, base: i64, newest: i64) -> AppResult<()> {
    if base == newest {
        Ok(())
    } else {
        Err(AppError::new(
            Code::RevisionConflict,
            format!(
                "条目 {id} 已有更新的修订 {newest}，而本次修改基于修订 {base}：请重新读取最新内容后再修改，未保存任何内容"
            ),
        ))
    }
}

/// One field that differs between two revisions. List fields also say which items were added
/// and removed, so an editor sees at a glance what a policy change touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(value_type = Object)]
    pub from: serde_json::Value,
    #[schema(value_type = Object)]
    pub to: serde_json::Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// The fields of an entry's content as JSON values, in interchange order.
fn fields(c: &EntryContent) -> [(&'static str, serde_json::Value); 12] {
    use serde_json::json;
    [
        ("id", json!(c.id)),
        ("title", json!(c.title)),
        ("questions", json!(c.questions)),
        ("answer", json!(c.answer)),
        ("process", json!(c.process)),
        ("materials", json!(c.materials)),
        ("department", json!(c.department)),
        ("category", json!(c.category)),
        ("region", json!(c.region)),
        ("keywords", json!(c.keywords)),
        ("valid_from", json!(c.valid_from)),
        ("valid_to", json!(c.valid_to)),
    ]
}

fn items(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|xs| {
            xs.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields that differ from `old` to `new`, in interchange order.
pub fn diff(old: &EntryContent, new: &EntryContent) -> Vec<FieldChange> {
    fields(old)
        .into_iter()
        .zip(fields(new))
        .filter(|((_, from), (_, to))| from != to)
        .map(|((field, from), (_, to))| {
            let (before, after) = (items(&from), items(&to));
            FieldChange {
                field: field.to_string(),
                added: after
                    .iter()
                    .filter(|x| !before.contains(x))
                    .cloned()
                    .collect(),
                removed: before
                    .iter()
                    .filter(|x| !after.contains(x))
                    .cloned()
                    .collect(),
                from,
                to,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::entry::tests::entry;

    #[test]
    fn a_draft_goes_through_review_and_back() {
        let submitted = ReviewStep::Submit.apply(DraftState::Draft).unwrap();
        assert_eq!(submitted, DraftState::Submitted);
        let rejected = ReviewStep::Reject.apply(submitted).unwrap();
        assert_eq!(rejected, DraftState::Rejected);
        assert_eq!(
            ReviewStep::Submit.apply(rejected).unwrap(),
            DraftState::Submitted
        );
        assert!(ReviewStep::Approve.apply(DraftState::Submitted).is_ok());
    }

    #[test]
    fn only_submitted_drafts_are_reviewed() {
        for state in [DraftState::Draft, DraftState::Rejected] {
            let err = ReviewStep::Approve.apply(state).unwrap_err();
            assert_eq!(err.code, Code::DraftStateConflict);
            assert!(ReviewStep::Reject.apply(state).is_err());
        }
        assert!(ReviewStep::Submit.apply(DraftState::Submitted).is_err());
    }

    #[test]
    fn a_stale_base_revision_is_refused() {
        assert!(check_base_revision("A-1", 4, 4).is_ok());
        let err = check_base_revision("A-1", 4, 5).unwrap_err();
        assert_eq!(err.code, Code::RevisionConflict);
        assert!(err.message.contains("修订 5"));
    }

    #[test]
    fn diff_names_changed_fields_with_list_items() {
        let old = EntryContent {
            materials: vec!["身份证".into(), "户口簿".into()],
            ..entry("A-1", "旧标题")
        };
        let new = EntryContent {
            materials: vec!["身份证".into(), "居住证".into()],
            ..entry("A-1", "新标题")
        };
        let changes = diff(&old, &new);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["title", "materials"]);
        assert_eq!(changes[1].added, ["居住证"]);
        assert_eq!(changes[1].removed, ["户口簿"]);
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn state_texts_round_trip() {
        for s in [
            DraftState::Draft,
            DraftState::Submitted,
            DraftState::Rejected,
        ] {
            assert_eq!(DraftState::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            EntryEventKind::parse("retire_requested"),
            Some(EntryEventKind::RetireRequested)
        );
    }
}
