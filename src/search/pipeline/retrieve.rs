//! Retrieval: the lexical candidates from tantivy (the weighted query, filters, the caller's
//! district factor) and the dense candidates from the entry vectors, plus the plain-BM25
//! baseline the evaluation compares against.
//!
//! The lexical candidates are the top of the exact scoring query (a dis-max per concept and
//! field), found in two passes: block-max WAND over the flat sum of the query's word terms
//! (never below their exact score, and prunable where a dis-max is not) fills a pool, and the
//! pool is scored exactly, bigram and single-character terms included. The pool's size keeps
//! the R@5 of the exhaustive search on the 100,000-entry benchmark (see `PARAMS.lexical.pool`).
//! Candidates leave as their facts; the whole entries are read later, for those that need
//! them. A department or category filter runs the exhaustive search with the filter inside.

use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::{EnableScoring, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED};
use time::Date;

use super::candidate::Candidate;
use crate::domain::search::SearchRequest;
use crate::domain::Entry;
use crate::error::AppResult;
use crate::search::analysis::AnalyzedQuery;
use crate::search::params::PARAMS;
use crate::search::query::{dis_max_gap, plain_query, with_filters, Filters, Leaf, ScoringPlan};
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
        let Some(plan) = ScoringPlan::of(&self.fields, analyzed) else {
            return Ok(None);
        };
        let valid_on = (!request.include_expired).then(|| day_number(today));
        let limit = PARAMS.lexical.candidates.max(request.limit);
        let top = if request.department.is_none() && request.category.is_none() {
            self.pruned_top(searcher, &plan, limit, valid_on)?
        } else {
            let filters = Filters {
                department: request.department.clone(),
                category: request.category.clone(),
                valid_on,
            };
            let query = with_filters(&self.fields, plan.query(), &filters);
            searcher
                .search(&query, &TopDocs::with_limit(limit).order_by_score())
                .map_err(index_error)?
        };
        let mut candidates = Vec::with_capacity(top.len());
        for (score, address) in top {
            let facts = self.stored_facts(searcher, address)?;
            let factor = region_factor(&facts.region, analyzed.region.as_deref());
            candidates.push(Candidate::lexical(facts, address, score * factor));
        }
        super::candidate::sort_by_score(&mut candidates);
        Ok(Some(candidates))
    }

    /// The top `limit` entries in force on `valid_on` by the exact score of `plan`, from a
    /// pruned pass over its flat sum.
    fn pruned_top(
        &self,
        searcher: &Searcher,
        plan: &ScoringPlan,
        limit: usize,
        valid_on: Option<i64>,
    ) -> AppResult<Vec<(f32, DocAddress)>> {
        let pool = PARAMS.lexical.pool.max(2 * limit);
        let fuzzy = [
            self.fields.head_bigrams,
            self.fields.head_pinyin,
            self.fields.head_chars,
        ];
        let is_fuzzy = |leaf: &Leaf| fuzzy.contains(&leaf.term.field());
        let top = |query: Box<dyn Query>| {
            searcher
                .search(&query, &TopDocs::with_limit(pool).order_by_score())
                .map_err(index_error)
        };
        // The pool is chosen by the words alone, and the character and pinyin bigrams only add
        // to the exact scores of what it holds: a bigram leaf per query character pair makes the
        // union twice as wide and slow to prune, while it never decided which 400 of 100,000
        // entries are worth scoring (every quality figure of the benchmark and of both labelled
        // sets is unchanged). When the words match fewer entries than the pool holds (a small
        // knowledge base, a question of misheard words only), the pool takes every leaf, so an
        // entry found by its bigrams alone is still found.
        let words = top(plan.flat_query_of(|leaf| !is_fuzzy(leaf)))?;
        let (found, added) = if words.len() < pool {
            (top(plan.flat_query())?, Vec::new())
        } else {
            let fuzzy_leaves = plan.groups.iter().flatten().filter(|l| is_fuzzy(l));
            (words, fuzzy_leaves.collect())
        };
        let mut exact = self.exact_scores(searcher, plan, found, valid_on, &added)?;
        exact.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        exact.truncate(limit);
        Ok(exact)
    }

    /// The exact scores of `found` (flat sums) and those in force on `valid_on`: each flat sum
    /// less what the dis-max groups of several forms take back, plus the leaves `added` that
    /// the flat sum left out.
    fn exact_scores(
        &self,
        searcher: &Searcher,
        plan: &ScoringPlan,
        mut found: Vec<(f32, DocAddress)>,
        valid_on: Option<i64>,
        added: &[&Leaf],
    ) -> AppResult<Vec<(f32, DocAddress)>> {
        found.sort_by_key(|(_, address)| *address);
        let enable = EnableScoring::enabled_from_searcher(searcher);
        // Only groups of several forms score differently from the flat sum.
        let shared: Vec<&[Leaf]> = plan
            .groups
            .iter()
            .filter(|group| group.len() > 1)
            .map(Vec::as_slice)
            .collect();
        let sizes: Vec<usize> = shared.iter().map(|group| group.len()).collect();
        let weights = shared
            .iter()
            .flat_map(|group| group.iter())
            .chain(added.iter().copied())
            .map(|leaf| {
                let query = TermQuery::new(leaf.term.clone(), IndexRecordOption::WithFreqs);
                Ok((leaf.boost, query.weight(enable)?))
            })
            .collect::<tantivy::Result<Vec<_>>>()
            .map_err(index_error)?;
        let n = weights.len();
        let mut exact = Vec::with_capacity(found.len());
        let mut start = 0;
        while start < found.len() {
            let ord = found[start].1.segment_ord;
            let end = start + found[start..].partition_point(|(_, a)| a.segment_ord == ord);
            let segment = searcher.segment_reader(ord);
            let in_force = match valid_on {
                Some(day) => {
                    let fast = segment.fast_fields();
                    let column = |name: &str| fast.i64(name).map_err(index_error);
                    Some((column("valid_from")?, column("valid_to")?, day))
                }
                None => None,
            };
            let docs = &found[start..end];
            let mut scores = vec![None; docs.len() * n];
            for (index, (boost, weight)) in weights.iter().enumerate() {
                let mut scorer = weight.scorer(segment, *boost).map_err(index_error)?;
                for (row, (_, address)) in docs.iter().enumerate() {
                    let doc = if scorer.doc() < address.doc_id {
                        scorer.seek(address.doc_id)
                    } else {
                        scorer.doc()
                    };
                    if doc == TERMINATED {
                        break;
                    }
                    if doc == address.doc_id {
                        scores[row * n + index] = Some(scorer.score());
                    }
                }
            }
            for (row, (flat, address)) in docs.iter().enumerate() {
                let admitted = in_force.as_ref().is_none_or(|(from, to, day)| {
                    from.first(address.doc_id).is_none_or(|f| f <= *day)
                        && to.first(address.doc_id).is_none_or(|t| t >= *day)
                });
                if admitted {
                    let row = &scores[row * n..(row + 1) * n];
                    let split = n - added.len();
                    let gap = dis_max_gap(&sizes, &row[..split]);
                    let extra: f32 = row[split..].iter().flatten().sum();
                    exact.push((flat - gap + extra, *address));
                }
            }
            start = end;
        }
        Ok(exact)
    }

    /// Reads the whole entry of each of the first `n` candidates that has only its facts.
    pub(super) fn read_entries(
        &self,
        searcher: &Searcher,
        candidates: &mut [Candidate],
        n: usize,
    ) -> AppResult<()> {
        for candidate in candidates.iter_mut().take(n) {
            if let (None, Some(address)) = (&candidate.entry, candidate.address) {
                candidate.entry = Some(self.stored_entry(searcher, address)?);
            }
        }
        Ok(())
    }

    /// The stored entry of `facts`, if the index holds that revision.
    pub(super) fn fetch(
        &self,
        searcher: &Searcher,
        facts: &EntryFacts,
    ) -> AppResult<Option<Arc<Entry>>> {
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
            .map(|(_, address)| Ok(self.stored_entry(&searcher, address)?.content.id.clone()))
            .collect()
    }
}
