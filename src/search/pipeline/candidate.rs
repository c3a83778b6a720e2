//! The one type every stage of the pipeline passes on: an entry with what each stage found
//! out about it.

use crate::domain::Entry;

/// One entry on its way through the pipeline.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub entry: Entry,
    /// BM25 score over the weighted query times the district factor; 0 when only the dense
    /// stage found the entry.
    pub lexical: f32,
    /// Whether the lexical stage found it.
    pub from_lexical: bool,
    /// Cosine of the question and the entry's best part; `None` when the dense stage did not
    /// run or the entry has no vector yet.
    pub cosine: Option<f32>,
    /// The score the list is ordered by, set by rerank.
    pub score: f32,
}

impl Candidate {
    pub fn lexical(entry: Entry, score: f32) -> Candidate {
        Candidate {
            entry,
            lexical: score,
            from_lexical: true,
            cosine: None,
            score,
        }
    }

    pub fn dense(entry: Entry, cosine: f32) -> Candidate {
        Candidate {
            entry,
            lexical: 0.0,
            from_lexical: false,
            cosine: Some(cosine),
            score: 0.0,
        }
    }

    pub fn id(&self) -> &str {
        &self.entry.content.id
    }
}

/// Orders best first, ties by id so results are stable.
pub fn sort_by_score(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id().cmp(b.id())));
}
