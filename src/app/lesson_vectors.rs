//! Sentence vectors of what routing learns from: imported and closed tickets without a vector
//! under the current model are embedded (as search embeds a question) and stored, one pass at
//! a time, so new entries never wait long behind a large imported history.

use std::sync::Arc;

use super::App;
use crate::domain::date::now_timestamp;
use crate::embed::Encoder;
use crate::error::AppResult;
use crate::search::question_vector;

/// Lessons embedded per pass of the background loop.
const PASS: usize = 256;
/// Lessons embedded per blocking step (and per database write).
const BATCH: usize = 16;

impl App {
    /// Embeds and stores up to one pass of lessons lacking a vector under `encoder`'s model.
    /// Returns how many were embedded. Once every lesson has one, later calls only compare
    /// the routing stamp until the history or the closed tickets change.
    pub async fn embed_lessons(&self, encoder: &Arc<Encoder>) -> AppResult<usize> {
        let model = encoder.digest().to_string();
        let mut done = self.lessons_embedded.lock().await;
        let stamp = (model.clone(), self.db.routing_stamp().await?);
        if done.as_ref() == Some(&stamp) {
            return Ok(0);
        }
        let pending = self.db.lessons_without_vectors(&model, PASS).await?;
        let last_pass = pending.len() < PASS;
        let mut embedded = 0;
        for batch in pending.chunks(BATCH) {
            let texts: Vec<String> = batch.iter().map(|(_, _, text)| text.clone()).collect();
            let encoder = encoder.clone();
            let vectors = tokio::task::spawn_blocking(move || {
                texts
                    .iter()
                    .map(|text| question_vector(&encoder, text))
                    .collect::<Vec<_>>()
            })
            .await?;
            let rows: Vec<(&str, String, Vec<f32>)> = batch
                .iter()
                .zip(vectors)
                .map(|((source, id, _), vector)| (*source, id.clone(), vector))
                .collect();
            self.db
                .save_lesson_vectors(&model, &rows, &now_timestamp())
                .await?;
            embedded += rows.len();
        }
        if last_pass {
            *done = Some(stamp);
        }
        Ok(embedded)
    }

    /// (lessons, lessons with a vector under `encoder`'s model), for progress lines.
    pub async fn lesson_vector_coverage(&self, encoder: &Encoder) -> AppResult<(usize, usize)> {
        self.db.lesson_vector_coverage(encoder.digest()).await
    }
}
