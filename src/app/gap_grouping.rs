//! The knowledge-gap worker: records unanswered searches as observations, and places pending
//! observations into gaps as they arrive. Questions are compared by their sentence vectors
//! (`query: ` prefix, the cached query embedding search uses) when the model is loaded, else
//! by character bigrams of their content words; the database holds every placement, so a
//! restart rebuilds the same gaps from it.

use std::collections::HashMap;

use super::feedback::HITS_OBSERVED;
use super::App;
use crate::db::{NewObservation, PendingObservation, Placed, SearchRecord};
use crate::domain::date::format_date;
use crate::domain::gaps::{Features, Grouper, DENSE_THRESHOLD, LEXICAL_THRESHOLD};
use crate::error::AppResult;

/// Observations placed per pass.
const BATCH: i64 = 64;

/// The worker's state: the gaps observations may join, for one way of comparing.
pub struct GapWorker {
    grouper: Grouper,
    /// The model digest the grouper compares with, `None` for bigrams; `Some(None)` once
    /// loaded lexically.
    loaded: Option<Option<String>>,
}

impl Default for GapWorker {
    fn default() -> GapWorker {
        GapWorker {
            grouper: Grouper::new(LEXICAL_THRESHOLD),
            loaded: None,
        }
    }
}

/// Which similarity gap grouping uses right now.
pub fn threshold_for(dense: bool) -> f32 {
    if dense {
        DENSE_THRESHOLD
    } else {
        LEXICAL_THRESHOLD
    }
}

fn majority(values: impl Iterator<Item = String>) -> Option<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut first: Vec<String> = Vec::new();
    for v in values {
        if !counts.contains_key(&v) {
            first.push(v.clone());
        }
        *counts.entry(v).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    first.into_iter().find(|v| counts[v] == best)
}

impl App {
    /// After a search is recorded: a search without answer becomes a gap observation.
    /// Cheap (one insert); a failure is logged and does not fail the search.
    pub(super) async fn observe_search(&self, record: &SearchRecord) {
        if !record.no_answer {
            return;
        }
        let observation = NewObservation {
            id: uuid::Uuid::now_v7().to_string(),
            source: "search".into(),
            search_id: Some(record.id.clone()),
            ticket_id: None,
            text: record.query.clone(),
            hit_ids: record
                .returned_ids
                .iter()
                .take(HITS_OBSERVED)
                .cloned()
                .collect(),
            department: None,
            day: format_date(self.clock.today()),
            created_at: record.created_at.clone(),
        };
        if let Err(err) = self.db.observe(&observation).await {
            tracing::warn!(code = err.code.as_str(), message = %err.message, "recording a knowledge-gap observation failed");
        }
    }

    /// The model digest gap grouping compares with, or `None` when it uses bigrams.
    pub fn gap_model(&self) -> Option<String> {
        self.index
            .semantic
            .encoder()
            .map(|e| e.digest().to_string())
    }

    /// The features of each text: sentence vectors when the model is loaded, else bigrams.
    pub async fn gap_features(&self, texts: Vec<String>) -> AppResult<Vec<Features>> {
        let index = self.index.clone();
        Ok(tokio::task::spawn_blocking(move || {
            texts
                .iter()
                .map(|text| match index.semantic.query_vector(text) {
                    Some(v) => Features::dense(v.to_vec()),
                    None => Features::lexical(&index.lexicon().content_terms(text)),
                })
                .collect()
        })
        .await?)
    }

    /// Rebuilds the worker's gaps from the database for the current way of comparing.
    async fn load_gaps(&self, worker: &mut GapWorker) -> AppResult<()> {
        let model = self.gap_model();
        let members = self.db.gap_members(model.as_deref()).await?;
        let missing: Vec<String> = members
            .iter()
            .filter(|m| m.vector.is_none())
            .map(|m| m.text.clone())
            .collect();
        let mut computed = self.gap_features(missing).await?.into_iter();
        let mut by_gap: Vec<(String, Vec<(String, Features)>)> = Vec::new();
        for m in members {
            let features = match m.vector {
                Some(v) => Features::dense(v),
                None => match computed.next() {
                    Some(f) => f,
                    None => continue,
                },
            };
            match by_gap.iter_mut().find(|(id, _)| *id == m.gap_id) {
                Some((_, list)) => list.push((m.text, features)),
                None => by_gap.push((m.gap_id, vec![(m.text, features)])),
            }
        }
        let mut grouper = Grouper::new(threshold_for(model.is_some()));
        for (id, list) in by_gap {
            grouper.restore(&id, list);
        }
        worker.grouper = grouper;
        worker.loaded = Some(model);
        Ok(())
    }

    /// Places the pending observations into gaps; returns how many were placed. One pass at
    /// a time per process (the background worker every two seconds; tests call it directly).
    pub async fn group_gaps(&self) -> AppResult<usize> {
        let mut worker = self.gap_worker.lock().await;
        self.group_pending(&mut worker).await
    }

    async fn group_pending(&self, worker: &mut GapWorker) -> AppResult<usize> {
        let pending = self.db.pending_observations(BATCH).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let model = self.gap_model();
        if worker.loaded.as_ref() != Some(&model) {
            self.load_gaps(worker).await?;
        } else {
            for id in self.db.resolved_gap_ids().await? {
                worker.grouper.remove(&id);
            }
        }
        let texts = pending.iter().map(|p| p.text.clone()).collect();
        let features = self.gap_features(texts).await?;
        for (observation, features) in pending.iter().zip(features) {
            let placed = self.place(worker, observation, features, &model).await?;
            if !self.db.place_observation(&placed).await? {
                // Another process placed it: start again from what the database holds.
                worker.loaded = None;
                return Ok(0);
            }
        }
        Ok(pending.len())
    }

    async fn place(
        &self,
        worker: &mut GapWorker,
        observation: &PendingObservation,
        features: Features,
        model: &Option<String>,
    ) -> AppResult<Placed> {
        let vector = match (&features, model) {
            (Features::Dense(v), Some(m)) => Some((m.clone(), v.clone())),
            _ => None,
        };
        let placement = worker.grouper.place(&observation.text, features, || {
            uuid::Uuid::now_v7().to_string()
        });
        let mut hits = Vec::new();
        for id in observation.hits() {
            if let Some(entry) = self.db.entry(&id).await? {
                hits.push(entry.content);
            }
        }
        let department = observation
            .department
            .clone()
            .or_else(|| majority(hits.iter().map(|e| e.department.clone())));
        Ok(Placed {
            observation_id: observation.id.clone(),
            question: worker
                .grouper
                .representative(&placement.gap_id)
                .unwrap_or_else(|| observation.text.clone()),
            gap_id: placement.gap_id,
            opened: placement.opened,
            seen_at: observation.created_at.clone(),
            department,
            category: majority(hits.iter().map(|e| e.category.clone())),
            vector,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::majority;

    #[test]
    fn majority_breaks_ties_by_first_seen() {
        let values = ["b", "a", "a", "b", "c"].map(String::from);
        assert_eq!(majority(values.into_iter()), Some("b".into()));
        assert_eq!(majority(std::iter::empty()), None);
    }
}
