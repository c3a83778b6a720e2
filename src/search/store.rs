//! The index store: the on-disk tantivy index with one writer (taken when first needed, so
//! read-only commands can share the directory with a running server), one reader reloaded
//! after each commit, the snapshot of its vocabulary and districts, and its stamp. The search
//! itself is the pipeline in `pipeline/`.

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::index::SegmentId;
use tantivy::schema::Value;
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, TantivyError,
    Term,
};

use super::dense::{facts_of, Semantic};
use super::lexicon::Lexicon;
use super::memo::Memo;
use super::rank::EntryWords;
use super::schema::{self, document, Fields, SCHEMA_VERSION};
use super::tokenizer;
use super::vectors::{EntryFacts, Names};
use super::vocab::{PhoneticVocab, RegionSet};
use super::weigh::Weigher;
use crate::domain::{Entry, EntryStatus};
use crate::error::{AppError, AppResult, Code};

const WRITER_MEMORY: usize = 50_000_000;
/// Entries whose stored form and words are kept parsed; past this the memos start over, so a
/// server's memory stays flat on a knowledge base of any size.
const PARSED_ENTRIES: usize = 20_000;
/// Entries whose [`EntryFacts`] are kept (about 250 bytes each: every entry of a
/// 100,000-entry knowledge base twice over, segments being replaced).
const FACTS: usize = 200_000;

/// What an index was built from; stored as the commit payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStamp {
    pub schema_version: u32,
    /// Digest of the dictionaries the analyzers were built with.
    pub dictionaries: String,
    /// Fingerprint of the knowledge tables the documents came from.
    pub knowledge: String,
    /// Newest `updated_at` included: incremental syncs start here.
    pub high_water: String,
    /// Number of entries in the database at that point.
    pub entries: i64,
    /// The reindex generation this build answers.
    pub generation: String,
}

/// What query analysis and ranking need to know about the current index contents.
#[derive(Default)]
pub(super) struct Snapshot {
    pub(super) vocab: PhoneticVocab,
    pub(super) regions: RegionSet,
    stamp: Option<IndexStamp>,
}

pub struct SearchIndex {
    index: Index,
    pub(super) reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    pub(super) fields: Fields,
    /// Replaced as a whole when editors change the dictionaries (then the index is rebuilt).
    lexicon: RwLock<Arc<Lexicon>>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// The words of entries seen by ranking, by id and revision; cleared after every commit.
    words: Memo<(String, i64), Arc<EntryWords>>,
    /// Stored entries read by searches, by segment and document (a segment never changes, so
    /// the key stays right for searchers of every generation).
    stored: Memo<(SegmentId, DocId), Arc<Entry>>,
    /// The facts of the stored entries searches have seen, by segment and document: what
    /// every candidate needs before rerank decides which whole entries to read.
    facts: Memo<(SegmentId, DocId), Arc<EntryFacts>>,
    /// The dense stage: model, entry vectors and their state.
    pub semantic: Semantic,
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one when it is missing, unreadable, or
    /// was built with another schema or other dictionaries. The caller then compares
    /// [`SearchIndex::stamp`] with the database and fills or refreshes it.
    pub fn open(dir: &Path, lexicon: Arc<Lexicon>) -> AppResult<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema::build();
        let index = match Index::open_in_dir(dir) {
            Ok(index)
                if stamp_of(&index).is_some_and(|s| {
                    s.schema_version == SCHEMA_VERSION && s.dictionaries == lexicon.digest
                }) && index.schema() == schema =>
            {
                index
            }
            Ok(_) => {
                tracing::info!(dir = %dir.display(), "index built with another schema or dictionaries, rebuilding");
                recreate(dir, schema)?
            }
            Err(err) => {
                tracing::info!(dir = %dir.display(), error = %err, "index missing or unreadable, creating");
                recreate(dir, schema)?
            }
        };
        tokenizer::register(&index, &lexicon.jieba);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_error)?;
        let search_index = SearchIndex {
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            lexicon: RwLock::new(lexicon),
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            words: Memo::new(PARSED_ENTRIES),
            stored: Memo::new(PARSED_ENTRIES),
            facts: Memo::new(FACTS),
            semantic: Semantic::default(),
        };
        search_index.refresh_snapshot()?;
        Ok(search_index)
    }

    /// What the current index was built from, if it was ever filled.
    pub fn stamp(&self) -> Option<IndexStamp> {
        self.current().stamp.clone()
    }

    /// Number of searchable documents.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The dictionaries searches and indexing use now.
    pub fn lexicon(&self) -> Arc<Lexicon> {
        match self.lexicon.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Switches to new dictionaries: queries analyse with them from now on and the next
    /// writes index with them. The caller rebuilds the index ([`SearchIndex::replace_all`]),
    /// which stamps it with the new dictionaries' digest.
    pub fn set_lexicon(&self, lexicon: Arc<Lexicon>) {
        tokenizer::register(&self.index, &lexicon.jieba);
        match self.lexicon.write() {
            Ok(mut guard) => *guard = lexicon,
            Err(poisoned) => *poisoned.into_inner() = lexicon,
        }
    }

    pub(super) fn current(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces every document with the published entries given, then merges the index into
    /// one segment: a search visits each segment on its own, so one is fastest.
    pub fn replace_all(&self, entries: &[Entry], mut stamp: IndexStamp) -> AppResult<()> {
        self.write(
            |writer, fields| {
                writer.delete_all_documents()?;
                for entry in entries
                    .iter()
                    .filter(|e| e.status == EntryStatus::Published)
                {
                    writer.add_document(document(fields, entry)?)?;
                }
                Ok(())
            },
            &mut stamp,
        )?;
        // The rebuild is committed: a merge that fails (one of the segments already merging
        // in the background, say) leaves a correct index that is only slower to search.
        if let Err(err) = self.merge_segments() {
            tracing::warn!(code = err.code.as_str(), message = %err.message, "index not merged into one segment");
        }
        Ok(())
    }

    fn merge_segments(&self) -> AppResult<()> {
        let segments = self.index.searchable_segment_ids().map_err(index_error)?;
        if segments.len() < 2 {
            return Ok(());
        }
        let started = std::time::Instant::now();
        {
            let mut guard = self
                .writer
                .lock()
                .map_err(|_| AppError::internal("索引写入器状态异常"))?;
            if let Some(writer) = guard.as_mut() {
                writer.merge(&segments).wait().map_err(index_error)?;
            }
        }
        self.reader.reload().map_err(index_error)?;
        tracing::info!(
            segments = segments.len(),
            took_ms = started.elapsed().as_millis() as u64,
            "index merged into one segment"
        );
        Ok(())
    }

    /// Brings the given entries up to date: published ones are (re)added, others removed.
    pub fn upsert(&self, entries: &[Entry], mut stamp: IndexStamp) -> AppResult<()> {
        self.write(
            |writer, fields| {
                for entry in entries {
                    writer.delete_term(Term::from_field_text(fields.id, &entry.content.id));
                    if entry.status == EntryStatus::Published {
                        writer.add_document(document(fields, entry)?)?;
                    }
                }
                Ok(())
            },
            &mut stamp,
        )
    }

    fn write(
        &self,
        change: impl FnOnce(&mut IndexWriter, &Fields) -> tantivy::Result<()>,
        stamp: &mut IndexStamp,
    ) -> AppResult<()> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| AppError::internal("索引写入器状态异常"))?;
        if guard.is_none() {
            let writer = self
                .index
                .writer_with_num_threads(1, WRITER_MEMORY)
                .map_err(|err| match err {
                    TantivyError::LockFailure(..) => AppError::new(Code::IndexLocked,
                        "索引正被另一个进程使用（通常是正在运行的 hotline serve），它会自动同步数据库的变更",
                    ),
                    other => index_error(other),
                })?;
            *guard = Some(writer);
        }
        let Some(writer) = guard.as_mut() else {
            return Err(AppError::internal("索引写入器不可用"));
        };
        stamp.schema_version = SCHEMA_VERSION;
        stamp.dictionaries = self.lexicon().digest.clone();
        let result = change(writer, &self.fields).and_then(|()| {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&serde_json::to_string(stamp).unwrap_or_default());
            prepared.commit()
        });
        if let Err(err) = result {
            // Drop what was half added so the next write starts from the last commit.
            let _ = writer.rollback();
            return Err(index_error(err));
        }
        self.reader.reload().map_err(index_error)?;
        drop(guard);
        self.refresh_snapshot()
    }

    /// Commits anything pending and releases the writer (and its directory lock).
    pub fn close(&self) {
        if let Ok(mut guard) = self.writer.lock() {
            if let Some(writer) = guard.take() {
                if let Err(err) = writer.wait_merging_threads() {
                    tracing::warn!(error = %err, "index merge did not finish cleanly");
                }
            }
        }
    }

    fn refresh_snapshot(&self) -> AppResult<()> {
        self.words.clear();
        let searcher = self.reader.searcher();
        let mut words: Vec<String> = Vec::new();
        let mut regions: Vec<String> = Vec::new();
        for segment in searcher.segment_readers() {
            for field in [
                self.fields.title,
                self.fields.questions,
                self.fields.keywords,
            ] {
                collect_terms(
                    &segment.inverted_index(field).map_err(index_error)?,
                    &mut words,
                )?;
            }
            collect_terms(
                &segment
                    .inverted_index(self.fields.region)
                    .map_err(index_error)?,
                &mut regions,
            )?;
        }
        let lexicon = self.lexicon();
        let vocab = PhoneticVocab::new(
            words
                .iter()
                .map(String::as_str)
                .chain(lexicon.synonym_terms()),
        );
        let snapshot = Snapshot {
            vocab,
            regions: RegionSet::new(regions.iter().map(String::as_str)),
            stamp: stamp_of(&self.index),
        };
        match self.snapshot.write() {
            Ok(mut guard) => *guard = Arc::new(snapshot),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(snapshot),
        }
        Ok(())
    }

    pub(super) fn stored_entry(
        &self,
        searcher: &Searcher,
        address: tantivy::DocAddress,
    ) -> AppResult<Arc<Entry>> {
        let key = (
            searcher.segment_reader(address.segment_ord).segment_id(),
            address.doc_id,
        );
        if let Some(entry) = self.stored.get(&key) {
            return Ok(entry);
        }
        let doc: TantivyDocument = searcher.doc(address).map_err(index_error)?;
        let payload = doc
            .get_first(self.fields.payload)
            .and_then(|v| v.as_str())
            .ok_or_else(|| AppError::internal("索引文档缺少条目内容，请执行 hotline reindex"))?;
        let entry: Arc<Entry> = Arc::new(serde_json::from_str(payload)?);
        self.stored.insert(key, entry.clone());
        Ok(entry)
    }

    /// The facts of the stored entry at `address` (read whole and remembered when unseen).
    pub(super) fn stored_facts(
        &self,
        searcher: &Searcher,
        address: tantivy::DocAddress,
    ) -> AppResult<Arc<EntryFacts>> {
        let key = (
            searcher.segment_reader(address.segment_ord).segment_id(),
            address.doc_id,
        );
        if let Some(facts) = self.facts.get(&key) {
            return Ok(facts);
        }
        let entry = self.stored_entry(searcher, address)?;
        let facts = Arc::new(facts_of(&entry, &mut Names::default()));
        self.facts.insert(key, facts.clone());
        Ok(facts)
    }

    /// The stored entry with this id, if the index holds it.
    pub(super) fn entry_by_id(
        &self,
        searcher: &Searcher,
        id: &str,
    ) -> AppResult<Option<Arc<Entry>>> {
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let top = searcher
            .search(
                &query,
                &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
            )
            .map_err(index_error)?;
        top.first()
            .map(|(_, address)| self.stored_entry(searcher, *address))
            .transpose()
    }

    /// The words of an entry's head and body, segmented once per revision.
    pub(super) fn entry_words(&self, entry: &Entry) -> Arc<EntryWords> {
        let key = (entry.content.id.clone(), entry.revision);
        if let Some(words) = self.words.get(&key) {
            return words;
        }
        let lexicon = self.lexicon();
        let words = Arc::new(
            self.weigher(&self.reader.searcher(), &lexicon)
                .entry_words(entry),
        );
        self.words.insert(key, words.clone());
        words
    }

    pub(super) fn weigher<'s>(
        &'s self,
        searcher: &'s Searcher,
        lexicon: &'s Lexicon,
    ) -> Weigher<'s> {
        Weigher {
            searcher,
            fields: &self.fields,
            lexicon,
        }
    }
}

fn collect_terms(
    inverted: &std::sync::Arc<tantivy::InvertedIndexReader>,
    into: &mut Vec<String>,
) -> AppResult<()> {
    let mut stream = inverted.terms().stream()?;
    while stream.advance() {
        if let Ok(text) = std::str::from_utf8(stream.key()) {
            into.push(text.to_string());
        }
    }
    Ok(())
}

fn stamp_of(index: &Index) -> Option<IndexStamp> {
    let payload = index.load_metas().ok()?.payload?;
    serde_json::from_str(&payload).ok()
}

fn recreate(dir: &Path, schema: tantivy::schema::Schema) -> AppResult<Index> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    Index::create_in_dir(dir, schema).map_err(index_error)
}

pub(super) fn index_error(err: TantivyError) -> AppError {
    AppError::new(Code::IndexError, format!("搜索索引出错：{err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::entry::tests::entry;
    use crate::domain::search::SearchRequest;
    use crate::search::lexicon::tests::lexicon;

    fn published(content: crate::domain::EntryContent) -> Entry {
        Entry {
            content,
            status: EntryStatus::Published,
            revision: 1,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
        }
    }

    fn request(q: &str) -> SearchRequest {
        SearchRequest::new(q, None, None, None, Some(5), false).unwrap()
    }

    #[test]
    fn indexed_entries_are_found_and_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::open(dir.path(), Arc::new(lexicon())).unwrap();
        let entries = vec![
            published(entry("GJJ-1", "租房如何提取住房公积金？")),
            published(entry("GJJ-2", "购房如何提取住房公积金？")),
        ];
        let stamp = IndexStamp {
            knowledge: "k".into(),
            ..IndexStamp::default()
        };
        index.replace_all(&entries, stamp).unwrap();
        assert_eq!(index.doc_count(), 2);
        assert_eq!(index.stamp().unwrap().knowledge, "k");
        let today = crate::domain::date::today();
        let found = index.search(&request("公积金 租房"), today).unwrap();
        assert_eq!(found.hits[0].entry.content.id, "GJJ-1");
        let plain = index.search_plain("租房 公积金", 5, today).unwrap();
        assert_eq!(plain[0], "GJJ-1");
    }
}
