//! Knowledge gaps as editors read them: the list and one gap with sample phrasings (personal
//! data masked for roles that may not see it, unmasked reads audited), dismissal, and what an
//! entry draft written for a gap starts from; publishing that entry resolves the gap.

use serde::Serialize;

use super::App;
use crate::db::{GapRow, GapSampleRow};
use crate::domain::access::{Identity, Permission};
use crate::domain::personal::{mask_personal_data, view_for};
use crate::error::{AppError, AppResult, Code};

/// The audit action of reading a gap's samples with personal data unmasked.
pub const READ_GAP: &str = "read_gap";
/// Sample phrasings shown per gap.
const SAMPLES_SHOWN: usize = 10;
/// Most gaps one listing returns.
pub const MAX_GAPS: usize = 200;

/// One knowledge gap.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GapView {
    pub id: String,
    /// A representative question, as a caller asked it.
    #[schema(example = "小区电梯坏了好几天没人修找谁")]
    pub question: String,
    /// open、dismissed 或 resolved
    pub status: String,
    /// Observations: searches and calls without an answer.
    pub count: i64,
    /// Distinct days with observations.
    pub days: i64,
    pub first_seen: String,
    pub last_seen: String,
    /// Up to 10 distinct phrasings, newest first.
    pub samples: Vec<String>,
    /// Suggested department: the majority of the observations' top search hits or tickets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Suggested category, the same way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dismiss_reason: Option<String>,
    /// The entry that answers it, once resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
}

/// `GET /api/v1/gaps`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GapList {
    pub gaps: Vec<GapView>,
}

/// What an entry draft for a gap starts from (personal data always masked).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GapDraftSeed {
    pub gap_id: String,
    /// The gap's representative question.
    pub title: String,
    /// Other distinct phrasings (up to 10), as alternative questions.
    pub questions: Vec<String>,
    pub department: Option<String>,
    pub category: Option<String>,
}

/// Whether gaps are listed by observations or by their last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapSort {
    Count,
    Recent,
}

fn gap_not_found(id: &str) -> AppError {
    AppError::new(Code::GapNotFound, format!("知识缺口 {id} 不存在"))
}

fn most_common(values: impl Iterator<Item = Option<String>>) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for v in values.flatten() {
        match counts.iter_mut().find(|(k, _)| *k == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(k, _)| k)
}

/// Assembles a gap from its row and its newest observations, with texts passed through `show`.
fn view(row: GapRow, samples: &[GapSampleRow], show: &mut impl FnMut(&str) -> String) -> GapView {
    let mine: Vec<&GapSampleRow> = samples.iter().filter(|s| s.gap_id == row.id).collect();
    let mut texts: Vec<String> = Vec::new();
    for s in &mine {
        let text = show(&s.text);
        if texts.len() < SAMPLES_SHOWN && !texts.contains(&text) {
            texts.push(text);
        }
    }
    GapView {
        question: show(&row.question),
        department: most_common(mine.iter().map(|s| s.department.clone())),
        category: most_common(mine.iter().map(|s| s.category.clone())),
        id: row.id,
        status: row.status,
        count: row.observations,
        days: row.days,
        first_seen: row.first_seen,
        last_seen: row.last_seen,
        samples: texts,
        dismiss_reason: row.dismiss_reason,
        entry_id: row.entry_id,
    }
}

impl App {
    async fn present_gaps(&self, caller: &Identity, rows: Vec<GapRow>) -> AppResult<Vec<GapView>> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let samples = self.db.gap_samples(&ids).await?;
        let mut revealed = false;
        let mut show = |text: &str| {
            let v = view_for(caller.role, text);
            revealed |= v.reveals_personal_data;
            v.text
        };
        let views: Vec<GapView> = rows
            .into_iter()
            .map(|r| view(r, &samples, &mut show))
            .collect();
        if revealed {
            let subjects: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
            self.db
                .audit_all(&caller.name, READ_GAP, &subjects, &self.clock.timestamp())
                .await?;
        }
        Ok(views)
    }

    /// Gaps with `status` (open, dismissed, resolved), most observed or most recent first.
    pub async fn gaps(
        &self,
        caller: &Identity,
        status: &str,
        sort: GapSort,
        limit: usize,
    ) -> AppResult<Vec<GapView>> {
        caller.require(Permission::WorkKnowledgeLoop)?;
        if !["open", "dismissed", "resolved"].contains(&status) {
            return Err(AppError::new(
                Code::InvalidStatus,
                format!("status 应为 open、dismissed 或 resolved，收到 {status:?}"),
            ));
        }
        let limit = i64::try_from(limit.min(MAX_GAPS)).unwrap_or(50);
        let rows = self.db.gaps(status, sort == GapSort::Count, limit).await?;
        self.present_gaps(caller, rows).await
    }

    pub async fn gap(&self, caller: &Identity, id: &str) -> AppResult<GapView> {
        caller.require(Permission::WorkKnowledgeLoop)?;
        let row = self.db.gap(id).await?.ok_or_else(|| gap_not_found(id))?;
        let mut views = self.present_gaps(caller, vec![row]).await?;
        views.pop().ok_or_else(|| gap_not_found(id))
    }

    /// Dismisses an open gap: it keeps absorbing its paraphrases without reappearing as open.
    pub async fn dismiss_gap(
        &self,
        caller: &Identity,
        id: &str,
        reason: &str,
    ) -> AppResult<GapView> {
        caller.require(Permission::WorkKnowledgeLoop)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::new(
                Code::FieldEmpty,
                "reason（不予处理的理由）不能为空",
            ));
        }
        let row = self.db.gap(id).await?.ok_or_else(|| gap_not_found(id))?;
        if !self
            .db
            .dismiss_gap(id, reason, &caller.name, &self.clock.timestamp())
            .await?
        {
            return Err(AppError::new(
                Code::GapStateConflict,
                format!(
                    "知识缺口 {id} 当前为 {}，只有 open 的缺口可以忽略",
                    row.status
                ),
            ));
        }
        self.gap(caller, id).await
    }

    /// The title, alternative questions, department and category a draft for the gap starts
    /// from. Personal data is masked whatever the role: drafts become published knowledge.
    pub async fn gap_draft_seed(&self, caller: &Identity, gap_id: &str) -> AppResult<GapDraftSeed> {
        caller.require(Permission::WorkKnowledgeLoop)?;
        let row = self
            .db
            .gap(gap_id)
            .await?
            .ok_or_else(|| gap_not_found(gap_id))?;
        let samples = self.db.gap_samples(std::slice::from_ref(&row.id)).await?;
        let mut show = |text: &str| mask_personal_data(text);
        let gap = view(row, &samples, &mut show);
        let questions = samples.iter().map(|s| mask_personal_data(&s.text)).fold(
            Vec::<String>::new(),
            |mut acc, q| {
                if q != gap.question && !acc.contains(&q) && acc.len() < SAMPLES_SHOWN {
                    acc.push(q);
                }
                acc
            },
        );
        Ok(GapDraftSeed {
            gap_id: gap.id,
            title: gap.question,
            questions,
            department: gap.department,
            category: gap.category,
        })
    }

    /// Marks a gap resolved by the entry published for it (one write).
    pub async fn resolve_gap(&self, gap_id: &str, entry_id: &str) -> AppResult<()> {
        if self
            .db
            .resolve_gap(gap_id, entry_id, &self.clock.timestamp())
            .await?
        {
            Ok(())
        } else {
            Err(gap_not_found(gap_id))
        }
    }
}
