//! The one type every stage of the pipeline passes on: an entry with what each stage found
//! out about it. A lexical candidate starts as its [`EntryFacts`] and the place of its
//! document; the whole entry is read only for the candidates that rerank weighs and those
//! returned.

use std::sync::Arc;

use tantivy::DocAddress;

use crate::domain::Entry;
use crate::search::vectors::EntryFacts;

/// One entry on its way through the pipeline.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Identity, revision, district and topic: all that the stages before the hits read.
    pub facts: Arc<EntryFacts>,
    /// Where the lexical stage found the entry's document.
    pub address: Option<DocAddress>,
    /// The whole entry, once read ([`crate::search::SearchIndex`] reads it on demand).
    pub entry: Option<Arc<Entry>>,
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
    pub fn lexical(facts: Arc<EntryFacts>, address: DocAddress, score: f32) -> Candidate {
        Candidate {
            facts,
            address: Some(address),
            entry: None,
            lexical: score,
            from_lexical: true,
            cosine: None,
            score,
        }
    }

    pub fn dense(facts: EntryFacts, entry: Arc<Entry>, cosine: f32) -> Candidate {
        Candidate {
            facts: Arc::new(facts),
            address: None,
            entry: Some(entry),
            lexical: 0.0,
            from_lexical: false,
            cosine: Some(cosine),
            score: 0.0,
        }
    }

    pub fn id(&self) -> &str {
        &self.facts.id
    }
}

/// Orders best first, ties by id so results are stable.
pub fn sort_by_score(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id().cmp(b.id())));
}
