//! Builds tantivy queries from analysed queries. Never uses `QueryParser`: an unspaced Chinese
//! question would become a phrase query that finds nothing, so clauses come from our tokens.

use std::ops::Bound;

use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use super::analysis::AnalyzedQuery;
use super::schema::Fields;
use super::tokenizer::{bigrams, pinyin_bigrams};

/// Field weights: every word of an entry counts once through `all`; the standard question,
/// its phrasings and keywords say what the entry is about and count again on top.
const FIELD_WEIGHTS: [(FieldKind, f32); 4] = [
    (FieldKind::All, 1.0),
    (FieldKind::Title, 1.2),
    (FieldKind::Questions, 1.1),
    (FieldKind::Keywords, 0.8),
];
/// Share of a concept's weight it keeps however little it says on its own: words that only
/// set the scene (我妈, 去年) or frame the question (弄, 想) still count, but less.
const SALIENCE_FLOOR: f32 = 0.4;
/// Weight of each character bigram and pinyin bigram of the query against the entry head.
const BIGRAM_WEIGHT: f32 = 0.25;
const PINYIN_WEIGHT: f32 = 0.2;
/// Weight of each single ideograph of a one-character word of the query against the head.
const CHAR_WEIGHT: f32 = 0.35;
/// Most bigrams taken from one query (a whole transcript has many).
const MAX_FUZZY_TERMS: usize = 160;

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
        for (kind, field_weight) in FIELD_WEIGHTS {
            let field = kind.field(fields);
            let alternatives: Vec<Box<dyn Query>> = concept
                .terms
                .iter()
                .map(|(term, weight)| boosted(term_query(field, term), *weight))
                .collect();
            let best = Box::new(DisjunctionMaxQuery::with_tie_breaker(alternatives, 0.1));
            per_field.push((Occur::Should, boosted(best, field_weight)));
        }
        clauses.push((
            Occur::Should,
            boosted(
                Box::new(BooleanQuery::new(per_field)),
                concept.importance * (SALIENCE_FLOOR + (1.0 - SALIENCE_FLOOR) * concept.salience),
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
                        CHAR_WEIGHT * concept.importance,
                    ),
                ));
            }
        }
    }
    let mut fuzzy_terms = 0;
    for segment in &analyzed.segments {
        for gram in bigrams(segment) {
            if fuzzy_terms < MAX_FUZZY_TERMS {
                clauses.push((
                    Occur::Should,
                    boosted(term_query(fields.head_bigrams, &gram), BIGRAM_WEIGHT),
                ));
                fuzzy_terms += 1;
            }
        }
        for gram in pinyin_bigrams(segment) {
            if fuzzy_terms < 2 * MAX_FUZZY_TERMS {
                clauses.push((
                    Occur::Should,
                    boosted(term_query(fields.head_pinyin, &gram), PINYIN_WEIGHT),
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
