//! Keeps the searched entry vectors in step with the published entries: a first load reads
//! the stored vectors page by page into int8 codes (never every vector as f32 at once), later
//! passes take only the entries changed since, and whatever lacks a vector for its revision
//! and this model is embedded, stored and installed as it goes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use super::App;
use crate::db::{EntryFactsRow, KnowledgeFingerprint, StoredVector};
use crate::domain::date::now_timestamp;
use crate::domain::{Entry, EntryStatus};
use crate::embed::Encoder;
use crate::error::AppResult;
use crate::search::{
    facts_from, facts_of, EntryFacts, Names, SemanticState, VectorSetBuilder, PART_NAMES,
};

/// Entries whose vectors one query of a first load reads.
const PAGE: usize = 2_000;
/// Entries embedded per blocking step (and per database write).
pub(super) const BATCH: usize = 8;
/// Progress is logged, and the vectors so far installed, every this many entries.
const LOG_EVERY: usize = 64;

/// What the installed vectors reflect: the model and the knowledge base's fingerprint.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorStamp {
    model: String,
    knowledge: KnowledgeFingerprint,
}

impl App {
    /// Brings the searched vectors up to date with the published entries, embedding and
    /// storing those lacking a vector for their revision and this model. A first call loads
    /// every stored vector; later calls look only at the entries changed since. Returns how
    /// many entries were embedded.
    pub async fn embed_missing(&self, encoder: &Arc<Encoder>) -> AppResult<usize> {
        let mut stamp = self.vector_stamp.lock().await;
        let next = VectorStamp {
            model: encoder.digest().to_string(),
            knowledge: self.db.knowledge_fingerprint().await?,
        };
        let embedded = match stamp.as_ref() {
            Some(s) if *s == next => return Ok(0),
            Some(s)
                if s.model == next.model
                    && next
                        .knowledge
                        .follows(&s.knowledge.last_update, s.knowledge.entries) =>
            {
                self.refresh_vectors(encoder, &s.knowledge.last_update)
                    .await?
            }
            _ => self.load_vectors(encoder).await?,
        };
        *stamp = Some(next);
        Ok(embedded)
    }

    /// The first load: stored vectors of every published entry, page by page, then the
    /// missing ones embedded.
    async fn load_vectors(&self, encoder: &Arc<Encoder>) -> AppResult<usize> {
        let semantic = &self.index.semantic;
        let model = encoder.digest().to_string();
        let published = self.db.published_facts().await?;
        let total = published.len();
        let mut names = Names::default();
        let mut builder = VectorSetBuilder::new();
        let mut missing: Vec<(String, i64)> = Vec::new();
        for page in published.chunks(PAGE) {
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                continue;
            };
            let stored = self
                .db
                .entry_vectors_between(&model, &first.id, &last.id)
                .await?;
            let mut by_entry = group_by_entry(stored);
            for row in page {
                match by_entry.remove(&(row.id.clone(), row.revision)) {
                    Some(parts) if complete(&parts) => {
                        builder.push(row_facts(row, &mut names), in_part_order(parts));
                    }
                    _ => missing.push((row.id.clone(), row.revision)),
                }
            }
        }
        semantic.set_progress(builder.len(), total);
        semantic.install(builder.finish());
        if missing.is_empty() {
            semantic.set_state(SemanticState::Ready);
            return Ok(0);
        }
        semantic.set_state(SemanticState::Embedding);
        tracing::info!(
            missing = missing.len(),
            total,
            "embedding entries for semantic search"
        );
        let started = Instant::now();
        let mut embedded = 0;
        let mut fresh: Vec<(EntryFacts, Vec<Vec<f32>>)> = Vec::new();
        let mut last_log = 0;
        for batch in missing.chunks(BATCH) {
            let mut entries = Vec::with_capacity(batch.len());
            for (id, revision) in batch {
                let current = self.db.entry(id).await?;
                if let Some(entry) = current
                    .filter(|e| e.revision == *revision && e.status == EntryStatus::Published)
                {
                    entries.push(entry);
                }
            }
            embedded += entries.len();
            fresh.extend(
                self.embed_and_store(encoder, &model, &entries, &mut names)
                    .await?,
            );
            let done = total - missing.len() + embedded;
            semantic.set_progress(done, total);
            if embedded - last_log >= LOG_EVERY.max(semantic.vectors().len() / 16) {
                last_log = embedded;
                self.add_vectors(std::mem::take(&mut fresh), &HashSet::new());
                tracing::info!(
                    embedded = done,
                    total,
                    seconds = started.elapsed().as_secs(),
                    "semantic embedding progress"
                );
            }
        }
        self.add_vectors(fresh, &HashSet::new());
        semantic.set_progress(semantic.vectors().len(), total);
        semantic.set_state(SemanticState::Ready);
        Ok(embedded)
    }

    /// A later pass: the entries changed at or after `since` replace their old vectors
    /// (embedded when none is stored for their revision); entries no longer published leave.
    async fn refresh_vectors(&self, encoder: &Arc<Encoder>, since: &str) -> AppResult<usize> {
        let semantic = &self.index.semantic;
        let model = encoder.digest().to_string();
        let changed = self.db.entries_changed_since(since).await?;
        if changed.is_empty() {
            return Ok(0);
        }
        if changed.len() > PAGE {
            // A bulk import: reading the stored vectors page by page beats a query per entry.
            return self.load_vectors(encoder).await;
        }
        let ids: HashSet<String> = changed.iter().map(|e| e.content.id.clone()).collect();
        let mut names = Names::default();
        let mut rows = Vec::new();
        let mut lacking = Vec::new();
        for entry in changed {
            if entry.status != EntryStatus::Published {
                continue;
            }
            let stored = self.db.entry_vectors_of(&model, &entry.content.id).await?;
            let parts = group_by_entry(stored).remove(&(entry.content.id.clone(), entry.revision));
            match parts {
                Some(parts) if complete(&parts) => {
                    rows.push((facts_of(&entry, &mut names), in_part_order(parts)));
                }
                _ => lacking.push(entry),
            }
        }
        let mut embedded = 0;
        for batch in lacking.chunks(BATCH) {
            rows.extend(
                self.embed_and_store(encoder, &model, batch, &mut names)
                    .await?,
            );
            embedded += batch.len();
        }
        self.add_vectors(rows, &ids);
        let total = self.db.count_published().await?;
        semantic.set_progress(semantic.vectors().len(), total);
        semantic.set_state(SemanticState::Ready);
        Ok(embedded)
    }

    /// Installs the searched set less the entries of `leaving`, plus `rows`.
    fn add_vectors(&self, rows: Vec<(EntryFacts, Vec<Vec<f32>>)>, leaving: &HashSet<String>) {
        if rows.is_empty() && leaving.is_empty() {
            return;
        }
        let semantic = &self.index.semantic;
        let current = semantic.vectors();
        let adding: HashSet<&str> = rows.iter().map(|(f, _)| f.id.as_str()).collect();
        let mut builder = VectorSetBuilder::from_set(&current, |f| {
            !leaving.contains(&f.id) && !adding.contains(f.id.as_str())
        });
        for (facts, vectors) in rows {
            builder.push(facts, vectors);
        }
        semantic.install(builder.finish());
    }

    /// Embeds `batch` (published entries), stores its vectors and returns them for
    /// installing, parts in order.
    pub(super) async fn embed_and_store(
        &self,
        encoder: &Arc<Encoder>,
        model: &str,
        batch: &[Entry],
        names: &mut Names,
    ) -> AppResult<Vec<(EntryFacts, Vec<Vec<f32>>)>> {
        let owned = batch.to_vec();
        let enc = encoder.clone();
        let computed =
            tokio::task::spawn_blocking(move || super::semantic::embed_batch(&enc, &owned)).await?;
        self.db
            .save_entry_vectors(model, &computed, &now_timestamp())
            .await?;
        let mut by_entry = group_by_entry(computed);
        Ok(batch
            .iter()
            .filter_map(|entry| {
                let parts = by_entry.remove(&(entry.content.id.clone(), entry.revision))?;
                Some((facts_of(entry, names), in_part_order(parts)))
            })
            .collect())
    }
}

/// Vectors by (entry id, revision): (part name, vector).
pub(super) type Vectors = HashMap<(String, i64), Vec<(String, Vec<f32>)>>;

/// Stored vectors grouped by (entry id, revision).
pub(super) fn group_by_entry(vectors: Vec<StoredVector>) -> Vectors {
    let mut grouped = Vectors::new();
    for v in vectors {
        grouped
            .entry((v.entry_id, v.revision))
            .or_default()
            .push((v.part, v.vector));
    }
    grouped
}

/// Whether every part an entry is searched by has a vector.
pub(super) fn complete(parts: &[(String, Vec<f32>)]) -> bool {
    PART_NAMES
        .iter()
        .all(|name| parts.iter().any(|(part, _)| part == name))
}

/// The vectors of the searched parts, in [`PART_NAMES`] order.
pub(super) fn in_part_order(mut parts: Vec<(String, Vec<f32>)>) -> Vec<Vec<f32>> {
    PART_NAMES
        .iter()
        .filter_map(|name| {
            let at = parts.iter().position(|(part, _)| part == name)?;
            Some(parts.swap_remove(at).1)
        })
        .collect()
}

fn row_facts(row: &EntryFactsRow, names: &mut Names) -> EntryFacts {
    facts_from(
        &row.id,
        row.revision,
        [&row.department, &row.category, &row.region],
        [row.valid_from.as_deref(), row.valid_to.as_deref()],
        names,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_in_the_searched_order_and_must_all_be_there() {
        let parts = vec![
            ("answer:passage".to_string(), vec![2.0]),
            ("old:part".to_string(), vec![9.0]),
            ("head:query".to_string(), vec![1.0]),
        ];
        assert!(complete(&parts));
        assert_eq!(in_part_order(parts), vec![vec![1.0], vec![2.0]]);
        assert!(!complete(&[("head:query".to_string(), vec![1.0])]));
    }
}
