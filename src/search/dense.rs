//! The dense (semantic) stage of search: the encoder once loaded, the in-memory matrix of the
//! current entries' vectors, the query-vector cache, nearest entries by cosine, and the state
//! `/readyz` reports. Vectors come from the application layer (computed or read back from
//! the database); this module only holds and searches them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;

use crate::domain::Entry;
use crate::embed::{Encoder, LongText};

/// The texts of an entry that are embedded, by the name stored with the vector.
/// `head:query`: title and alternative questions with the `query: ` prefix (question against
/// question, the symmetric use e5 recommends); `answer:passage`: the answer and its steps
/// with `passage: ` (question against the text that answers it).
pub const PARTS: [&str; 2] = ["head:query", "answer:passage"];
/// Repeated questions reuse their vector; the cache is emptied when it grows past this.
const QUERY_CACHE: usize = 2048;

/// The text of `entry` that `part` embeds.
pub fn part_text(entry: &Entry, part: &str) -> String {
    let c = &entry.content;
    match part {
        "head:query" => {
            let mut text = c.title.clone();
            for q in &c.questions {
                text.push('；');
                text.push_str(q);
            }
            text
        }
        _ => {
            let mut text = format!("{}：{}", c.title, c.answer);
            for step in &c.process {
                text.push(' ');
                text.push_str(step);
            }
            text
        }
    }
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

/// One published entry with its vectors, one per entry of [`PARTS`] present.
#[derive(Clone, Debug)]
pub struct DenseRow {
    pub entry: Entry,
    pub vectors: Vec<Vec<f32>>,
}

/// The dense stage's shared state.
pub struct Semantic {
    encoder: RwLock<Option<Arc<Encoder>>>,
    rows: RwLock<Arc<Vec<DenseRow>>>,
    cache: Mutex<HashMap<String, Arc<Vec<f32>>>>,
    state: AtomicU8,
    embedded: AtomicUsize,
    total: AtomicUsize,
}

impl Default for Semantic {
    fn default() -> Self {
        Semantic {
            encoder: RwLock::new(None),
            rows: RwLock::new(Arc::new(Vec::new())),
            cache: Mutex::new(HashMap::new()),
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

    /// Replaces the matrix with `rows` (the published entries that have vectors).
    pub fn install(&self, rows: Vec<DenseRow>) {
        if let Ok(mut guard) = self.rows.write() {
            *guard = Arc::new(rows);
        }
    }

    fn rows(&self) -> Arc<Vec<DenseRow>> {
        self.rows
            .read()
            .map(|g| g.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Whether a search can run the dense stage: a model and at least one entry vector.
    pub fn active(&self) -> bool {
        self.encoder().is_some() && !self.rows().is_empty()
    }

    /// The question's vector (the end of a long transcript), cached by text.
    pub fn query_vector(&self, q: &str) -> Option<Arc<Vec<f32>>> {
        let encoder = self.encoder()?;
        if let Some(v) = self.cache.lock().ok().and_then(|c| c.get(q).cloned()) {
            return Some(v);
        }
        let v = Arc::new(encoder.embed_query_with(q, LongText::KeepEnd));
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= QUERY_CACHE {
                cache.clear();
            }
            cache.insert(q.to_string(), v.clone());
        }
        Some(v)
    }

    /// Cosine similarity of every entry admitted by `keep` (its best part), best first, with
    /// the entry. Vectors are unit length, so the dot product is the cosine.
    pub fn nearest(&self, query: &[f32], keep: impl Fn(&Entry) -> bool) -> Vec<(f32, Entry)> {
        let rows = self.rows();
        let mut scored: Vec<(f32, Entry)> = rows
            .iter()
            .filter(|row| keep(&row.entry))
            .filter_map(|row| Some((best_cosine(query, &row.vectors)?, row.entry.clone())))
            .collect();
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.content.id.cmp(&b.1.content.id))
        });
        scored
    }

    /// The cosine of the entry with this id and revision, if it has vectors.
    pub fn similarities(&self, query: &[f32]) -> HashMap<(String, i64), f32> {
        self.rows()
            .iter()
            .filter_map(|row| {
                let key = (row.entry.content.id.clone(), row.entry.revision);
                Some((key, best_cosine(query, &row.vectors)?))
            })
            .collect()
    }
}

fn best_cosine(query: &[f32], vectors: &[Vec<f32>]) -> Option<f32> {
    vectors
        .iter()
        .filter(|v| v.len() == query.len())
        .map(|v| v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>())
        .reduce(f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_part_gives_the_similarity_and_mismatched_vectors_are_ignored() {
        let vectors = vec![vec![1.0, 0.0], vec![0.6, 0.8], vec![1.0]];
        assert_eq!(best_cosine(&[0.0, 1.0], &vectors), Some(0.8));
        assert_eq!(best_cosine(&[0.0, 1.0], &[]), None);
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
