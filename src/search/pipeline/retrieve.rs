//! Retrieval: the lexical candidates from tantivy (the weighted query, filters, the caller's
//! district factor) and the dense candidates from the entry vectors, plus the plain-BM25
//! baseline the evaluation compares against.

use tantivy::collector::TopDocs;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Searcher;
use time::Date;

use super::candidate::Candidate;
use crate::domain::search::SearchRequest;
use crate::domain::Entry;
use crate::error::AppResult;
use crate::search::analysis::AnalyzedQuery;
use crate::search::params::PARAMS;
use crate::search::query::{plain_query, scoring_query, with_filters, Filters};
use crate::search::rank::region_factor;
use crate::search::schema::day_number;
use crate::search::store::index_error;
use crate::search::tokenizer::WordTokenizer;
use crate::search::vectors::{EntryFacts, Probe, VectorSet};
use crate::search::SearchIndex;

/// Whether an entry passes the request's filters (department, category, in force today).
pub fn admits(request: &SearchRequest, today: Date, facts: &EntryFacts) -> bool {
    request
        .department
        .as_deref()
        .is_none_or(|d| d == &*facts.department)
        && request
            .category
            .as_deref()
            .is_none_or(|k| k == &*facts.category)
        && (request.include_expired || facts.current_on(today))
}

/// The nearest entries the request admits, by cosine with the question, best first.
pub fn dense(
    vectors: &VectorSet,
    probe: &Probe,
    request: &SearchRequest,
    today: Date,
) -> Vec<(f32, EntryFacts)> {
    let k = PARAMS.dense.candidates.max(request.limit);
    vectors
        .nearest(probe, k, |facts| admits(request, today, facts))
        .into_iter()
        .map(|(cosine, i)| (cosine, vectors.facts(i).clone()))
        .collect()
}

impl SearchIndex {
    /// The lexical candidates, best first; `None` when the question has nothing to look up.
    pub(super) fn retrieve_lexical(
        &self,
        searcher: &Searcher,
        analyzed: &AnalyzedQuery,
        request: &SearchRequest,
        today: Date,
    ) -> AppResult<Option<Vec<Candidate>>> {
        let Some(scoring) = scoring_query(&self.fields, analyzed) else {
            return Ok(None);
        };
        let filters = Filters {
            department: request.department.clone(),
            category: request.category.clone(),
            valid_on: (!request.include_expired).then(|| day_number(today)),
        };
        let query = with_filters(&self.fields, scoring, &filters);
        let limit = PARAMS.lexical.candidates.max(request.limit);
        let top = searcher
            .search(&query, &TopDocs::with_limit(limit).order_by_score())
            .map_err(index_error)?;
        let mut candidates = Vec::with_capacity(top.len());
        for (score, address) in top {
            let entry = self.stored_entry(searcher, address)?;
            let factor = region_factor(&entry.content.region, analyzed.region.as_deref());
            candidates.push(Candidate::lexical(entry, score * factor));
        }
        super::candidate::sort_by_score(&mut candidates);
        Ok(Some(candidates))
    }

    /// The stored entry of `facts`, if the index holds that revision.
    pub(super) fn fetch(
        &self,
        searcher: &Searcher,
        facts: &EntryFacts,
    ) -> AppResult<Option<Entry>> {
        Ok(self
            .entry_by_id(searcher, &facts.id)?
            .filter(|entry| entry.revision == facts.revision))
    }

    /// Plain BM25 over the query's jieba tokens in one all-text field, with no analysis: the
    /// baseline `hotline eval --baseline` measures. Returns entry ids, best first.
    pub fn search_plain(&self, q: &str, limit: usize, today: Date) -> AppResult<Vec<String>> {
        let mut tokens = Vec::new();
        let mut analyzer = TextAnalyzer::from(WordTokenizer::new(self.lexicon().jieba.clone()));
        let mut stream = analyzer.token_stream(q);
        while let Some(token) = tantivy::tokenizer::TokenStream::next(&mut stream) {
            tokens.push(token.text.clone());
        }
        let Some(scoring) = plain_query(&self.fields, &tokens) else {
            return Ok(Vec::new());
        };
        let filters = Filters {
            valid_on: Some(day_number(today)),
            ..Filters::default()
        };
        let query = with_filters(&self.fields, scoring, &filters);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&query, &TopDocs::with_limit(limit).order_by_score())
            .map_err(index_error)?;
        top.into_iter()
            .map(|(_, address)| Ok(self.stored_entry(&searcher, address)?.content.id))
            .collect()
    }
}
