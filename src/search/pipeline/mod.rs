//! The search pipeline over the index store: analyse → retrieve (lexical and dense) → fuse →
//! rerank → judge, each stage a function over [`Candidate`]s, every number it uses in
//! [`crate::search::params::PARAMS`].

mod candidate;
mod fuse;
mod judge;
mod present;
mod rerank;
mod retrieve;

use std::sync::Arc;

use time::Date;

use candidate::Candidate;
pub use judge::Signals;

use super::analysis::{AnalyzedQuery, QueryAnalyzer};
use super::params::PARAMS;
use super::rank::{coverage_with, question_match, title_match, AskedTerms, Coverage, Specificity};
use super::snippet::Snippets;
use super::vectors::{EntryFacts, Probe, VectorSet};
use super::SearchIndex;
use crate::domain::search::{QueryInterpretation, SearchRequest};
use crate::domain::Entry;
use crate::error::AppResult;

/// One ranked entry with its score and snippet.
#[derive(Clone, Debug)]
pub struct RankedEntry {
    pub entry: Entry,
    pub score: f32,
    pub snippet: String,
    /// Cosine similarity of the question and the entry; `None` when the dense stage did not run.
    pub similarity: Option<f32>,
}

/// Which stages a search runs (evaluation compares them; service searches use `Hybrid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Stage {
    /// Query analysis, BM25 fields, coverage and districts.
    Lexical,
    /// Nearest entries by cosine only (filters honoured).
    Dense,
    /// Both, fused; lexical alone when no model or vectors are at hand.
    #[default]
    Hybrid,
}

/// The outcome of one search, before it is logged and turned into a response.
#[derive(Clone, Debug, Default)]
pub struct SearchResults {
    pub hits: Vec<RankedEntry>,
    pub confidence: f32,
    pub no_answer: bool,
    /// What the confidence was judged from.
    pub signals: Signals,
    pub interpretation: QueryInterpretation,
}

/// Rerank's view of the candidates' words: coverage and title match from the store's
/// per-revision word cache.
struct Words<'a> {
    index: &'a SearchIndex,
    analyzed: &'a AnalyzedQuery,
    weights: &'a [Specificity],
    terms: &'a AskedTerms<'a>,
}

impl rerank::Measure for Words<'_> {
    fn coverage(&self, candidate: &Candidate) -> Coverage {
        match &candidate.entry {
            Some(entry) => {
                let words = self.index.entry_words(entry);
                coverage_with(&self.analyzed.concepts, &words, self.weights)
            }
            None => Coverage::default(),
        }
    }

    fn title_match(&self, candidate: &Candidate) -> f32 {
        candidate.entry.as_ref().map_or(0.0, |entry| {
            title_match(&self.index.entry_words(entry), self.terms)
        })
    }
}

impl SearchIndex {
    /// The full search with every stage that can run.
    pub fn search(&self, request: &SearchRequest, today: Date) -> AppResult<SearchResults> {
        self.search_with(request, today, Stage::Hybrid)
    }

    /// A search running the given stages.
    pub fn search_with(
        &self,
        request: &SearchRequest,
        today: Date,
        stage: Stage,
    ) -> AppResult<SearchResults> {
        let searcher = self.reader.searcher();
        let vectors = self.semantic.vectors();
        let fetch = |facts: &EntryFacts| self.fetch(&searcher, facts);
        let dense_runs = stage != Stage::Lexical && self.semantic.active();
        let embed = || {
            dense_runs
                .then(|| self.semantic.query_vector(&request.q))
                .flatten()
        };
        if stage == Stage::Dense {
            return self.dense_alone(embed(), &vectors, request, today, &fetch);
        }

        // Analyse.
        let snapshot = self.current();
        let lexicon = self.lexicon();
        let analyzed = QueryAnalyzer {
            lexicon: &lexicon,
            vocab: &snapshot.vocab,
            regions: &snapshot.regions,
        }
        .analyze(&request.q, request.region.as_deref());

        // Retrieve the lexical candidates and weigh them by what they cover.
        let Some(mut candidates) = self.retrieve_lexical(&searcher, &analyzed, request, today)?
        else {
            return Ok(SearchResults {
                no_answer: true,
                interpretation: analyzed.interpretation,
                ..SearchResults::default()
            });
        };
        let weigher = self.weigher(&searcher, &lexicon);
        let weights: Vec<Specificity> = analyzed
            .concepts
            .iter()
            .map(|c| weigher.specificity(c))
            .collect();
        let terms = AskedTerms::of(&analyzed.concepts);
        let words = Words {
            index: self,
            analyzed: &analyzed,
            weights: &weights,
            terms: &terms,
        };
        let region = analyzed.region.as_deref();
        self.read_entries(&searcher, &mut candidates, PARAMS.rerank.depth)?;
        rerank::rerank_lexical(&mut candidates, &words, region);

        // The cascade: a first hit covering nearly all of the question needs no second opinion.
        let certain = candidates.first().is_some_and(|top| {
            rerank::Measure::coverage(&words, top).share >= PARAMS.fusion.certain_coverage
        });
        let query_vector = if certain { None } else { embed() };

        // Retrieve the dense candidates, fuse and rerank.
        let mut best_cosine = None;
        if let Some(vector) = &query_vector {
            let probe = Probe::new(vector);
            let cosine_of = |id: &str, revision: i64| vectors.cosine_of(&probe, id, revision);
            let dense = fuse::Dense {
                nearest: retrieve::dense(&vectors, &probe, request, today),
                cosine_of: &cosine_of,
                fetch: &fetch,
            };
            let (fused, best) = fuse::fuse(candidates, dense)?;
            candidates = fused;
            best_cosine = best;
            rerank::rerank_fused(&mut candidates, best_cosine, region);
        }
        candidates.truncate(request.limit);
        self.read_entries(&searcher, &mut candidates, request.limit)?;

        // Judge.
        let top_words = candidates
            .first()
            .and_then(|top| top.entry.as_ref())
            .map(|entry| self.entry_words(entry));
        let judged = top_words
            .as_ref()
            .map(|words| coverage_with(&analyzed.concepts, words, &weights));
        let mut signals = Signals::of(
            judged.as_ref(),
            top_words
                .as_ref()
                .map_or(0.0, |words| question_match(words, &terms)),
            candidates.iter().map(|c| c.score),
            analyzed
                .concepts
                .iter()
                .filter(|c| c.replaces.is_empty())
                .count(),
        );
        let mut interpretation = analyzed.interpretation;
        signals.out_of_scope = interpretation.out_of_scope.is_some();
        signals.cosine = candidates.first().and_then(|c| c.cosine);
        signals.best_cosine = best_cosine;
        signals.transcript = interpretation.transcript;
        let no_answer = signals.no_answer(judged.is_some());
        interpretation.semantic = query_vector.is_some();
        interpretation.unmatched = judged.map(|c| c.unmatched).unwrap_or_default();

        let snippets = (!request.skip_snippets).then(|| Snippets::of_question(&analyzed.concepts));
        Ok(SearchResults {
            hits: present::hits(candidates, snippets.as_ref()),
            confidence: signals.coverage,
            no_answer,
            signals,
            interpretation,
        })
    }

    /// The dense stage alone (`--mode dense`): the nearest entries by cosine.
    fn dense_alone(
        &self,
        query_vector: Option<std::sync::Arc<Vec<f32>>>,
        vectors: &VectorSet,
        request: &SearchRequest,
        today: Date,
        fetch: &dyn Fn(&EntryFacts) -> AppResult<Option<Arc<Entry>>>,
    ) -> AppResult<SearchResults> {
        let Some(vector) = query_vector else {
            return Ok(present::dense_only(Vec::new(), request.limit, false));
        };
        let nearest = retrieve::dense(vectors, &Probe::new(&vector), request, today);
        let mut found = Vec::new();
        for (cosine, facts) in nearest.iter().take(request.limit) {
            if let Some(entry) = fetch(facts)? {
                found.push((*cosine, Arc::unwrap_or_clone(entry)));
            }
        }
        Ok(present::dense_only(found, request.limit, true))
    }
}
