//! Builds tantivy queries from analysed queries. Never uses `QueryParser`: an unspaced Chinese
//! question would become a phrase query that finds nothing, so clauses come from our tokens.

use std::ops::Bound;

use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use super::analysis::AnalyzedQuery;
use super::params::PARAMS;
use super::schema::Fields;
use super::tokenizer::{bigrams, pinyin_bigrams};

#[derive(Clone, Copy)]
enum FieldKind {
    All,
    Title,
    Questions,
    Keywords,
}

impl FieldKind {
    fn field(self, fields: &Fields) -> Field {
        match self {
            FieldKind::All => fields.all,
            FieldKind::Title => fields.title,
            FieldKind::Questions => fields.questions,
            FieldKind::Keywords => fields.keywords,
        }
    }
}

/// Restrictions that do not affect scores.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub department: Option<String>,
    pub category: Option<String>,
    /// Only entries valid on this day (a day number), unless `None`.
    pub valid_on: Option<i64>,
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

/// The scoring query of the full analysis: concepts over weighted fields, plus character and
/// pinyin bigrams over the entry head. `None` when the query has nothing to search for.
pub fn scoring_query(fields: &Fields, analyzed: &AnalyzedQuery) -> Option<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for concept in &analyzed.concepts {
        let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let p = &PARAMS.lexical;
        let field_weights = [
            (FieldKind::All, p.all_field),
            (FieldKind::Title, p.title_field),
            (FieldKind::Questions, p.questions_field),
            (FieldKind::Keywords, p.keywords_field),
        ];
        for (kind, field_weight) in field_weights {
            let field = kind.field(fields);
            let alternatives: Vec<Box<dyn Query>> = concept
                .terms
                .iter()
                .map(|(term, weight)| boosted(term_query(field, term), *weight))
                .collect();
            let best = Box::new(DisjunctionMaxQuery::with_tie_breaker(
                alternatives,
                p.tie_breaker,
            ));
            per_field.push((Occur::Should, boosted(best, field_weight)));
        }
        clauses.push((
            Occur::Should,
            boosted(
                Box::new(BooleanQuery::new(per_field)),
                concept.importance
                    * (PARAMS.lexical.salience_floor
                        + (1.0 - PARAMS.lexical.salience_floor) * concept.salience),
            ),
        ));
    }
    for concept in &analyzed.concepts {
        let mut chars = concept.text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if super::phonetic::is_han(c) && concept.replaces.is_empty() {
                clauses.push((
                    Occur::Should,
                    boosted(
                        term_query(fields.head_chars, &c.to_string()),
                        PARAMS.lexical.char_weight * concept.importance,
                    ),
                ));
            }
        }
    }
    let mut fuzzy_terms = 0;
    for segment in &analyzed.segments {
        for gram in bigrams(segment) {
            if fuzzy_terms < PARAMS.lexical.max_fuzzy_terms {
                clauses.push((
                    Occur::Should,
                    boosted(
                        term_query(fields.head_bigrams, &gram),
                        PARAMS.lexical.bigram_weight,
                    ),
                ));
                fuzzy_terms += 1;
            }
        }
        for gram in pinyin_bigrams(segment) {
            if fuzzy_terms < 2 * PARAMS.lexical.max_fuzzy_terms {
                clauses.push((
                    Occur::Should,
                    boosted(
                        term_query(fields.head_pinyin, &gram),
                        PARAMS.lexical.pinyin_weight,
                    ),
                ));
                fuzzy_terms += 1;
            }
        }
    }
    if clauses.is_empty() {
        return None;
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// Plain BM25 over jieba tokens in one field: the baseline the README compares against.
pub fn plain_query(fields: &Fields, tokens: &[String]) -> Option<Box<dyn Query>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = tokens
        .iter()
        .map(|t| (Occur::Should, term_query(fields.all, t)))
        .collect();
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// Adds the filters as non-scoring required clauses.
pub fn with_filters(fields: &Fields, scoring: Box<dyn Query>, filters: &Filters) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, scoring)];
    let mut filter = |query: Box<dyn Query>| clauses.push((Occur::Must, boosted(query, 0.0)));
    if let Some(department) = &filters.department {
        filter(term_query(fields.department, department));
    }
    if let Some(category) = &filters.category {
        filter(term_query(fields.category, category));
    }
    if let Some(day) = filters.valid_on {
        filter(Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_i64(fields.valid_from, day)),
        )));
        filter(Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(fields.valid_to, day)),
            Bound::Unbounded,
        )));
    }
    Box::new(BooleanQuery::new(clauses))
}
