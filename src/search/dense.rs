//! The dense (semantic) stage of search: the encoder once loaded, the in-memory matrix of the
//! current entries' vectors, the query-vector cache, nearest entries by cosine, and the state
//! `/readyz` reports. Vectors come from the application layer (computed or read back from
//! the database); this module only holds and searches them.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use serde::Serialize;

use super::memo::Memo;
use super::vectors::{EntryFacts, Names, VectorSet};
use crate::domain::date::parse_date;
use crate::domain::Entry;
use crate::embed::{Encoder, LongText};

/// Repeated questions reuse their vector; the cache is emptied when it grows past this.
const QUERY_CACHE: usize = 2048;
/// The names the vectors of an entry's [`parts`] are stored under, in order.
pub const PART_NAMES: [&str; 2] = ["head:query", "answer:passage"];

/// One text of an entry that is embedded, under the name its vector is stored with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub text: String,
    /// Embedded as a passage (`passage: `) rather than a question (`query: `).
    pub passage: bool,
}

/// The texts of `entry` that are embedded. `head:query`: the title and alternative questions
/// together with the `query: ` prefix (question against question, the symmetric use e5
/// recommends); `answer:passage`: the answer and its steps with `passage: ` (question against
/// the text that answers it). (Each alternative question embedded alone as well raised the
/// labelled set's colloquial MRR but not the held-out set's, for 2.5 times the vectors.)
pub fn parts(entry: &Entry) -> Vec<Part> {
    let c = &entry.content;
    let mut head = c.title.clone();
    for q in &c.questions {
        head.push('；');
        head.push_str(q);
    }
    let mut answer = format!("{}：{}", c.title, c.answer);
    for step in &c.process {
        answer.push(' ');
        answer.push_str(step);
    }
    vec![
        Part {
            name: PART_NAMES[0].into(),
            text: head,
            passage: false,
        },
        Part {
            name: PART_NAMES[1].into(),
            text: answer,
            passage: true,
        },
    ]
}

/// Where the dense stage stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SemanticState {
    /// Disabled or no model: lexical search only.
    Off,
    /// Opening the model.
    Loading,
    /// Computing vectors of entries that lack them; searches use those already present.
    Embedding,
    Ready,
}

/// What `/readyz` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SemanticStatus {
    pub state: SemanticState,
    pub embedded: usize,
    pub total: usize,
}

/// What the filters need of `entry`, its names shared through `names`.
pub fn facts_of(entry: &Entry, names: &mut Names) -> EntryFacts {
    let c = &entry.content;
    facts_from(
        &c.id,
        entry.revision,
        [&c.department, &c.category, &c.region],
        [c.valid_from.as_deref(), c.valid_to.as_deref()],
        names,
    )
}

/// The facts of an entry from its id, revision, department, category and region, and its
/// validity dates (`YYYY-MM-DD`; one that does not parse is open).
pub fn facts_from(
    id: &str,
    revision: i64,
    [department, category, region]: [&str; 3],
    [from, to]: [Option<&str>; 2],
    names: &mut Names,
) -> EntryFacts {
    EntryFacts {
        id: id.to_string(),
        revision,
        department: names.get(department),
        category: names.get(category),
        region: names.get(region),
        valid_from: from.and_then(parse_date),
        valid_to: to.and_then(parse_date),
    }
}

/// The dense stage's shared state.
pub struct Semantic {
    encoder: RwLock<Option<Arc<Encoder>>>,
    vectors: RwLock<Arc<VectorSet>>,
    cache: Memo<String, Arc<Vec<f32>>>,
    state: AtomicU8,
    embedded: AtomicUsize,
    total: AtomicUsize,
}

impl Default for Semantic {
    fn default() -> Self {
        Semantic {
            encoder: RwLock::new(None),
            vectors: RwLock::new(Arc::new(VectorSet::default())),
            cache: Memo::new(QUERY_CACHE),
            state: AtomicU8::new(0),
            embedded: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
        }
    }
}

impl Semantic {
    pub fn set_encoder(&self, encoder: Arc<Encoder>) {
        if let Ok(mut guard) = self.encoder.write() {
            *guard = Some(encoder);
        }
    }

    pub fn encoder(&self) -> Option<Arc<Encoder>> {
        self.encoder.read().ok().and_then(|g| g.clone())
    }

    pub fn set_state(&self, state: SemanticState) {
        let n = match state {
            SemanticState::Off => 0,
            SemanticState::Loading => 1,
            SemanticState::Embedding => 2,
            SemanticState::Ready => 3,
        };
        self.state.store(n, Ordering::Relaxed);
    }

    pub fn set_progress(&self, embedded: usize, total: usize) {
        self.embedded.store(embedded, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn status(&self) -> SemanticStatus {
        let state = match self.state.load(Ordering::Relaxed) {
            1 => SemanticState::Loading,
            2 => SemanticState::Embedding,
            3 => SemanticState::Ready,
            _ => SemanticState::Off,
        };
        SemanticStatus {
            state,
            embedded: self.embedded.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }

    /// Replaces the vectors searched with `set`.
    pub fn install(&self, set: VectorSet) {
        if let Ok(mut guard) = self.vectors.write() {
            *guard = Arc::new(set);
        }
    }

    /// The vectors as installed now.
    pub fn vectors(&self) -> Arc<VectorSet> {
        self.vectors
            .read()
            .map(|g| g.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Whether a search can run the dense stage: a model and at least one entry vector.
    pub fn active(&self) -> bool {
        self.encoder().is_some() && !self.vectors().is_empty()
    }

    /// The question's vector (of a long transcript, its end), cached by text.
    pub fn query_vector(&self, q: &str) -> Option<Arc<Vec<f32>>> {
        let encoder = self.encoder()?;
        if let Some(v) = self.cache.get(q) {
            return Some(v);
        }
        let v = Arc::new(question_vector(&encoder, q));
        self.cache.insert(q.to_string(), v.clone());
        Some(v)
    }
}

/// The vector search embeds a question or a transcript with (routing reads tickets the same
/// way): what the lexical stage reads, that is what the call ends on, as a question.
pub fn question_vector(encoder: &Encoder, q: &str) -> Vec<f32> {
    let asked = super::analysis::searched_part(q);
    encoder.embed_query_with(asked, LongText::KeepEnd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_and_progress_are_reported() {
        let semantic = Semantic::default();
        assert_eq!(semantic.status().state, SemanticState::Off);
        semantic.set_state(SemanticState::Embedding);
        semantic.set_progress(3, 10);
        assert_eq!(
            semantic.status(),
            SemanticStatus {
                state: SemanticState::Embedding,
                embedded: 3,
                total: 10
            }
        );
        assert!(!semantic.active());
    }
}
