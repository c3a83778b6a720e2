//! The search dictionaries as editors change them at run time: stored in the database (seeded
//! from `knowledge/dict/` on first start), checked before they are saved, and applied by
//! swapping the lexicon and rebuilding the index while searches go on.

use std::sync::Arc;

use serde::Serialize;

use super::App;
use crate::db::StoredDictionary;
use crate::domain::access::{Identity, Permission};
use crate::domain::draft_input::MAX_NOTE_CHARS;
use crate::error::{AppError, AppResult, Code};
use crate::search::{Lexicon, DICTIONARY_FILES};

/// Largest dictionary text accepted (the shipped user dictionary is about 60 KB).
pub const MAX_DICTIONARY_BYTES: usize = 4 * 1024 * 1024;

/// A dictionary as editors see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DictionaryView {
    /// The file name, e.g. `synonyms.txt`.
    pub name: String,
    /// Send it back as `base_revision` when saving.
    pub revision: i64,
    /// Lines that are not blank or comments.
    pub lines: usize,
    pub updated_by: String,
    pub updated_at: String,
    /// The whole text (only when reading one dictionary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl DictionaryView {
    fn of(stored: StoredDictionary, with_content: bool) -> DictionaryView {
        let lines = stored
            .content
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count();
        DictionaryView {
            name: stored.name,
            revision: stored.revision,
            lines,
            updated_by: stored.updated_by,
            updated_at: stored.updated_at,
            content: with_content.then_some(stored.content),
        }
    }
}

impl App {
    pub async fn dictionaries(&self, caller: &Identity) -> AppResult<Vec<DictionaryView>> {
        caller.require(Permission::ReadDrafts)?;
        Ok(self
            .db
            .dictionaries()
            .await?
            .into_iter()
            .map(|d| DictionaryView::of(d, false))
            .collect())
    }

    pub async fn dictionary(&self, caller: &Identity, name: &str) -> AppResult<DictionaryView> {
        caller.require(Permission::ReadDrafts)?;
        let stored = self.stored_dictionary(name).await?;
        Ok(DictionaryView::of(stored, true))
    }

    /// Checks the new text with the other dictionaries as they are (a malformed line is a 400
    /// naming file and line), saves it as the next revision and returns at once; the lexicon
    /// swap and the index rebuild follow in the background ([`App::apply_dictionaries`]).
    pub async fn save_dictionary(
        &self,
        caller: &Identity,
        name: &str,
        content: String,
        base_revision: i64,
        note: Option<String>,
    ) -> AppResult<DictionaryView> {
        caller.require(Permission::EditKnowledge)?;
        self.stored_dictionary(name).await?;
        if content.len() > MAX_DICTIONARY_BYTES {
            return Err(AppError::new(
                Code::InvalidDictionary,
                format!("词典过大：最多 {} MB", MAX_DICTIONARY_BYTES / 1024 / 1024),
            ));
        }
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(AppError::new(
                Code::InvalidDictionary,
                format!("note 最多 {MAX_NOTE_CHARS} 字"),
            ));
        }
        let mut texts = self.dictionary_texts().await?;
        match texts.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = content.clone(),
            None => texts.push((name.to_string(), content.clone())),
        }
        tokio::task::spawn_blocking(move || Lexicon::from_named(&texts)).await??;
        let now = self.clock.timestamp();
        self.db
            .save_dictionary(
                name,
                &content,
                base_revision,
                &caller.name,
                note.as_deref(),
                &now,
            )
            .await?;
        let stored = self.stored_dictionary(name).await?;
        Ok(DictionaryView::of(stored, false))
    }

    /// Applies the stored dictionaries when they changed since this process last applied
    /// them (here or on another replica): builds the new lexicon, switches the index to it and
    /// rebuilds the index. Searches keep running throughout. Returns whether anything changed.
    pub async fn apply_dictionaries(&self) -> AppResult<bool> {
        // Held throughout, so two triggers (the save and the periodic sync) rebuild once.
        let mut applied = self.dictionaries_stamp.lock().await;
        let stamp = self.db.dictionaries_stamp().await?;
        if *applied == stamp {
            return Ok(false);
        }
        let texts = self.dictionary_texts().await?;
        let lexicon = tokio::task::spawn_blocking(move || Lexicon::from_named(&texts)).await??;
        let changed = lexicon.digest != self.index.lexicon().digest;
        if changed {
            self.index.set_lexicon(Arc::new(lexicon));
            let sync = self.sync_index(true).await?;
            tracing::info!(?sync, "dictionaries changed: index rebuilt with them");
        }
        *applied = stamp;
        Ok(changed)
    }

    async fn dictionary_texts(&self) -> AppResult<Vec<(String, String)>> {
        Ok(self
            .db
            .dictionaries()
            .await?
            .into_iter()
            .map(|d| (d.name, d.content))
            .collect())
    }

    async fn stored_dictionary(&self, name: &str) -> AppResult<StoredDictionary> {
        let known = DICTIONARY_FILES.contains(&name);
        let stored = self
            .db
            .dictionaries()
            .await?
            .into_iter()
            .find(|d| d.name == name);
        stored.filter(|_| known).ok_or_else(|| {
            AppError::new(
                Code::DictionaryNotFound,
                format!(
                    "没有名为 {name} 的词典，可用：{}",
                    DICTIONARY_FILES.join("、")
                ),
            )
        })
    }
}
