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

/// One term of the scoring query with the product of every boost above it.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub term: Term,
    pub boost: f32,
}

/// The scoring query of the full analysis as groups of leaves: an entry's score is the sum
/// over groups of each group's best leaf plus the tie breaker's share of the others (a
/// concept's forms in one field), and a group of one leaf is that leaf. The nested query
/// ([`ScoringPlan::query`]) scores exactly that; the flat sum of all leaves
/// ([`ScoringPlan::flat_query`]) is never lower, which is what lets a pruned pass over the
/// flat sum find the candidates (see `pipeline/retrieve.rs`).
#[derive(Clone, Debug, Default)]
pub struct ScoringPlan {
    pub groups: Vec<Vec<Leaf>>,
}

impl ScoringPlan {
    /// The plan of the full analysis: concepts over weighted fields, plus character and
    /// pinyin bigrams over the entry head. `None` when the query has nothing to search for.
    pub fn of(fields: &Fields, analyzed: &AnalyzedQuery) -> Option<ScoringPlan> {
        let p = &PARAMS.lexical;
        let mut groups: Vec<Vec<Leaf>> = Vec::new();
        let leaf = |field: Field, text: &str, boost: f32| Leaf {
            term: Term::from_field_text(field, text),
            boost,
        };
        for concept in &analyzed.concepts {
            let concept_boost = concept.importance
                * (p.salience_floor + (1.0 - p.salience_floor) * concept.salience);
            let field_weights = [
                (FieldKind::All, p.all_field),
                (FieldKind::Title, p.title_field),
                (FieldKind::Questions, p.questions_field),
                (FieldKind::Keywords, p.keywords_field),
            ];
            for (kind, field_weight) in field_weights {
                let field = kind.field(fields);
                groups.push(
                    concept
                        .terms
                        .iter()
                        .map(|(term, weight)| {
                            leaf(field, term, concept_boost * field_weight * weight)
                        })
                        .collect(),
                );
            }
        }
        for concept in &analyzed.concepts {
            let mut chars = concept.text.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                if super::phonetic::is_han(c) && concept.replaces.is_empty() {
                    groups.push(vec![leaf(
                        fields.head_chars,
                        &c.to_string(),
                        p.char_weight * concept.importance,
                    )]);
                }
            }
        }
        let mut fuzzy_terms = 0;
        for segment in &analyzed.segments {
            for gram in bigrams(segment) {
                if fuzzy_terms < p.max_fuzzy_terms {
                    groups.push(vec![leaf(fields.head_bigrams, &gram, p.bigram_weight)]);
                    fuzzy_terms += 1;
                }
            }
            for gram in pinyin_bigrams(segment) {
                if fuzzy_terms < 2 * p.max_fuzzy_terms {
                    groups.push(vec![leaf(fields.head_pinyin, &gram, p.pinyin_weight)]);
                    fuzzy_terms += 1;
                }
            }
        }
        groups.retain(|g| !g.is_empty());
        (!groups.is_empty()).then_some(ScoringPlan { groups })
    }

    /// The exact scoring query: the sum of the groups, each a dis-max of its leaves.
    pub fn query(&self) -> Box<dyn Query> {
        let clauses = self
            .groups
            .iter()
            .map(|group| {
                let query: Box<dyn Query> = match group.as_slice() {
                    [one] => leaf_query(one),
                    many => Box::new(DisjunctionMaxQuery::with_tie_breaker(
                        many.iter().map(leaf_query).collect(),
                        PARAMS.lexical.tie_breaker,
                    )),
                };
                (Occur::Should, query)
            })
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }

    /// The sum of every leaf: an upper bound of [`ScoringPlan::query`]'s score that tantivy
    /// can prune with block-max WAND.
    pub fn flat_query(&self) -> Box<dyn Query> {
        self.flat_query_of(|_| true)
    }

    /// The sum of the leaves `keep` accepts.
    pub fn flat_query_of(&self, keep: impl Fn(&Leaf) -> bool) -> Box<dyn Query> {
        let clauses = self
            .groups
            .iter()
            .flatten()
            .filter(|leaf| keep(leaf))
            .map(|leaf| (Occur::Should, leaf_query(leaf)))
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }
}

/// What the exact score of an entry is below the flat sum: for each dis-max group of several
/// forms (`sizes`, in plan order), the tie breaker's complement of all but its best leaf, from
/// the scores the group's leaves got (`None` where a leaf does not match).
pub fn dis_max_gap(sizes: &[usize], leaf_scores: &[Option<f32>]) -> f32 {
    let mut gap = 0.0;
    let mut at = 0;
    for &size in sizes {
        let (sum, max) = leaf_scores[at..at + size]
            .iter()
            .flatten()
            .fold((0.0f32, 0.0f32), |(s, m), &x| (s + x, m.max(x)));
        gap += (1.0 - PARAMS.lexical.tie_breaker) * (sum - max);
        at += size;
    }
    gap
}

fn leaf_query(leaf: &Leaf) -> Box<dyn Query> {
    boosted(
        Box::new(TermQuery::new(
            leaf.term.clone(),
            IndexRecordOption::WithFreqs,
        )),
        leaf.boost,
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flat_sum_less_the_gap_is_the_dis_max_score() {
        // Two groups: a concept's two forms in one field (1.0 and 0.5 matched), and one leaf.
        let sizes = [2, 1];
        let scores = [Some(1.0), Some(0.5), Some(3.0)];
        let flat: f32 = scores.iter().flatten().sum();
        let exact = (1.0 + PARAMS.lexical.tie_breaker * 0.5) + 3.0;
        assert!((flat - dis_max_gap(&sizes, &scores) - exact).abs() < 1e-6);
        // A group with one form matched scores as in the flat sum.
        assert_eq!(dis_max_gap(&sizes, &[None, Some(0.5), Some(3.0)]), 0.0);
        assert_eq!(dis_max_gap(&[], &[]), 0.0);
    }
}
