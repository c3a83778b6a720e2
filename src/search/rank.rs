//! What rerank and judge measure of one candidate: how much of the question and of its own
//! title the entry covers (and what it leaves uncovered), and the caller's district.

use std::collections::HashMap;

use super::analysis::Concept;
use super::params::PARAMS;
use super::word_set::WordSet;
use crate::domain::entry::CITY_WIDE;

/// How telling one concept is across the knowledge base.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Specificity {
    /// BM25 IDF of its most common form.
    pub idf: f32,
    /// Whether any entry is about it: the word or a synonym is in a title, an alternative
    /// question or the keywords, not only somewhere in an answer.
    pub in_head: bool,
    /// The IDF of each of its parts ([`Concept::parts`]).
    pub parts: Vec<f32>,
}

/// Multiplier for an entry's score given the caller's district. The caller's own district wins
/// over city-wide entries, which win over other districts' versions; with no district known,
/// city-wide entries are preferred.
pub fn region_factor(entry_region: &str, caller_region: Option<&str>) -> f32 {
    let p = &PARAMS.rerank;
    let city_wide = entry_region == CITY_WIDE;
    match caller_region {
        Some(region) if region == entry_region => {
            if city_wide {
                1.0
            } else {
                p.own_district
            }
        }
        Some(_) if city_wide => 1.0,
        Some(_) => p.other_district,
        None if city_wide => 1.0,
        None => p.district_unknown,
    }
}

/// Which candidate should move to the front because it is the caller's own district's version
/// of the first hit's topic: same category, from the caller's district, scoring at least
/// `district_promotion` of the first hit, which is not from that district itself. Districts
/// publish their own entries exactly where local practice differs from the city-wide one.
/// `candidates` holds (score, region, category), best first.
pub fn own_district_version(
    candidates: &[(f32, &str, &str)],
    caller_region: Option<&str>,
) -> Option<usize> {
    let region = caller_region?;
    let &(top_score, top_region, top_category) = candidates.first()?;
    if top_region == region || top_score <= 0.0 {
        return None;
    }
    candidates
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, (score, entry_region, category))| {
            *entry_region == region
                && *category == top_category
                && *score >= PARAMS.rerank.district_promotion * top_score
        })
        .map(|(i, _)| i)
}

/// The words of one entry, split into head and body.
#[derive(Debug, Default)]
pub struct EntryWords {
    pub head: WordSet,
    pub body: WordSet,
    /// The words of the title and of each alternative question, one list per question, with
    /// their specificity (IDF) in the knowledge base.
    pub questions: Vec<Vec<(String, f32)>>,
}

/// Every term of the analysed query with the best weight it is looked up with (at least one
/// half: related terms and sub-words count as half a match), and its one-character terms.
#[derive(Debug, Default)]
pub struct AskedTerms<'a> {
    weights: HashMap<&'a str, f32>,
    singles: Vec<&'a str>,
}

impl<'a> AskedTerms<'a> {
    pub fn of(concepts: &'a [Concept]) -> AskedTerms<'a> {
        let mut weights: HashMap<&str, f32> = HashMap::new();
        for concept in concepts {
            for (term, weight) in &concept.terms {
                let best = weights.entry(term.as_str()).or_insert(0.0);
                *best = best.max(weight.clamp(0.5, 1.0));
            }
        }
        AskedTerms::from_weights(weights)
    }

    pub fn from_weights(weights: HashMap<&'a str, f32>) -> AskedTerms<'a> {
        let singles = weights
            .keys()
            .copied()
            .filter(|t| t.chars().count() == 1)
            .collect();
        AskedTerms { weights, singles }
    }

    /// How much a word of a question was asked. A one-character word of the caller's inside
    /// it (锁 in 锁定) is half a match: entries write in words what callers say in characters.
    fn asked(&self, word: &str) -> f32 {
        self.weights.get(word).copied().unwrap_or_else(|| {
            if self.singles.iter().any(|c| word.contains(c)) {
                0.5
            } else {
                0.0
            }
        })
    }
}

/// How much of the entry's best-matching question the query's terms cover, each word
/// weighted by its specificity.
pub fn question_match(words: &EntryWords, asked: &AskedTerms) -> f32 {
    words
        .questions
        .iter()
        .map(|question| share_asked(question, asked))
        .fold(0.0, f32::max)
}

/// How much of the entry's standard question (its title) the query's terms cover.
pub fn title_match(words: &EntryWords, asked: &AskedTerms) -> f32 {
    words
        .questions
        .first()
        .map_or(0.0, |title| share_asked(title, asked))
}

/// The specificity-weighted share of a question's words among the query's terms.
fn share_asked(question: &[(String, f32)], asked: &AskedTerms) -> f32 {
    let total: f32 = question.iter().map(|(_, idf)| idf).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let covered: f32 = question
        .iter()
        .map(|(word, idf)| idf * asked.asked(word))
        .sum();
    covered / total
}

impl EntryWords {
    /// How well `term` is matched: 1 in the head, less in the body, 0 when absent.
    fn strength(&self, term: &str) -> f32 {
        if self.head.contains(term) {
            1.0
        } else if self.body.contains(term) {
            PARAMS.coverage.body_match
        } else {
            0.0
        }
    }
}

/// How well one entry covers what the caller asked about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Coverage {
    /// The covered share, 0 to 1, weighted by how specific and how salient each word is.
    pub share: f32,
    /// The caller's words the entry does not cover, most telling first.
    pub unmatched: Vec<String>,
    /// The weightiest subject-like concept of a short question is a word no entry is about.
    pub subject_unknown: bool,
}

/// [`coverage_with`] for tests, with specificity given as a function.
#[cfg(test)]
pub fn coverage(
    concepts: &[Concept],
    words: &EntryWords,
    specificity: &dyn Fn(&Concept) -> f32,
) -> Coverage {
    let weights: Vec<Specificity> = concepts
        .iter()
        .map(|c| Specificity {
            idf: specificity(c),
            in_head: true,
            parts: vec![],
        })
        .collect();
    coverage_with(concepts, words, &weights)
}

/// Judges how much of the question an entry covers. Each concept counts with its salience
/// squared times its specificity (an IDF over the knowledge base), one per concept;
/// corrections of misheard words stand in for the words they replace.
pub fn coverage_with(
    concepts: &[Concept],
    words: &EntryWords,
    specificity: &[Specificity],
) -> Coverage {
    // Whole words, synonyms and implied terms match directly; a compound's parts match
    // together, each for its share of the compound's specificity.
    let matched = |c: &Concept, specific: &Specificity| {
        let direct = c
            .terms
            .iter()
            .filter(|(_, weight)| *weight >= 0.5)
            .map(|(term, weight)| words.strength(term) * weight.min(1.0))
            .fold(0.0f32, f32::max);
        let total: f32 = specific.parts.iter().sum();
        if c.parts.is_empty() || total <= 0.0 || specific.parts.len() != c.parts.len() {
            return direct;
        }
        let by_parts: f32 = c
            .parts
            .iter()
            .zip(&specific.parts)
            .map(|(forms, idf)| {
                idf * forms
                    .iter()
                    .map(|form| words.strength(form))
                    .fold(0.0f32, f32::max)
            })
            .sum();
        direct.max(PARAMS.coverage.parts_match * by_parts / total)
    };
    let none = Specificity::default();
    let specific_of = |i: usize| specificity.get(i).unwrap_or(&none);
    let mut strengths: Vec<f32> = concepts
        .iter()
        .enumerate()
        .map(|(i, c)| matched(c, specific_of(i)))
        .collect();
    for (i, concept) in concepts.iter().enumerate() {
        // Stand-ins (corrections, situations) are never themselves replaced.
        let stand_in = strengths[i];
        for &replaced in &concept.replaces {
            if let Some(s) = strengths.get_mut(replaced) {
                *s = s.max(stand_in);
            }
        }
    }
    let mut total = 0.0;
    let mut covered = 0.0;
    let mut missing: Vec<(f32, &str)> = Vec::new();
    let mut heaviest: Option<(f32, bool)> = None;
    let mut counted = 0;
    for ((concept, strength), specific) in concepts.iter().zip(strengths).zip(specificity) {
        if !concept.replaces.is_empty() {
            continue;
        }
        counted += 1;
        let weight = concept.salience * concept.salience * concept.importance * specific.idf;
        total += weight;
        covered += weight * strength;
        if strength < PARAMS.coverage.subject_covered {
            missing.push((weight, concept.text.as_str()));
        }
        if concept.nominal && heaviest.is_none_or(|(w, _)| weight > w) {
            heaviest = Some((
                weight,
                strength < PARAMS.coverage.subject_covered && !specific.in_head,
            ));
        }
    }
    missing.sort_by(|a, b| b.0.total_cmp(&a.0));
    Coverage {
        share: if total <= 0.0 {
            0.0
        } else {
            (covered / total).clamp(0.0, 1.0)
        },
        unmatched: missing.into_iter().map(|(_, t)| t.to_string()).collect(),
        subject_unknown: counted <= PARAMS.coverage.short_question_concepts
            && heaviest.is_some_and(|(_, unknown)| unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concept(text: &str, terms: &[&str]) -> Concept {
        Concept {
            text: text.into(),
            terms: terms.iter().map(|t| (t.to_string(), 1.0)).collect(),
            importance: 1.0,
            replaces: vec![],
            parts: vec![],
            salience: 1.0,
            nominal: true,
        }
    }

    fn words(head: &[&str], body: &[&str]) -> EntryWords {
        EntryWords {
            head: head.iter().map(|s| s.to_string()).collect(),
            body: body.iter().map(|s| s.to_string()).collect(),
            questions: vec![],
        }
    }

    #[test]
    fn the_callers_district_beats_city_wide_which_beats_other_districts() {
        let own = region_factor("东湖区", Some("东湖区"));
        let city = region_factor("市级", Some("东湖区"));
        let other = region_factor("西山区", Some("东湖区"));
        assert!(own > city && city > other);
        assert!(region_factor("市级", None) > region_factor("西山区", None));
    }

    #[test]
    fn the_callers_district_version_of_the_topic_goes_first() {
        let candidates = [
            (10.0, "市级", "义务教育"),
            (8.0, "西山区", "义务教育"),
            (7.0, "东湖区", "义务教育"),
        ];
        assert_eq!(own_district_version(&candidates, Some("东湖区")), Some(2));
        assert_eq!(own_district_version(&candidates, None), None);
        // another topic, or too weak a match, stays where it is
        let other = [(10.0, "市级", "义务教育"), (9.0, "东湖区", "户籍")];
        assert_eq!(own_district_version(&other, Some("东湖区")), None);
        let weak = [(10.0, "市级", "义务教育"), (3.0, "东湖区", "义务教育")];
        assert_eq!(own_district_version(&weak, Some("东湖区")), None);
        let own = [(10.0, "东湖区", "义务教育"), (9.0, "东湖区", "义务教育")];
        assert_eq!(own_district_version(&own, Some("东湖区")), None);
    }

    #[test]
    fn siblings_are_told_apart_by_what_the_caller_left_unsaid() {
        let entry = |title: &[(&str, f32)], questions: &[&[(&str, f32)]]| EntryWords {
            questions: std::iter::once(title)
                .chain(questions.iter().copied())
                .map(|q| q.iter().map(|(w, idf)| (w.to_string(), *idf)).collect())
                .collect(),
            ..EntryWords::default()
        };
        let general = entry(&[("护照", 2.0)], &[&[("出国", 1.0), ("证件", 1.0)]]);
        let minors = entry(&[("未成年人", 3.0), ("护照", 2.0)], &[]);
        let asked = AskedTerms::from_weights([("护照", 1.0), ("出国", 1.0)].into_iter().collect());
        assert_eq!(title_match(&general, &asked), 1.0);
        assert!((title_match(&minors, &asked) - 0.4).abs() < 1e-6);
        assert!((question_match(&general, &asked) - 1.0).abs() < 1e-6);
        assert_eq!(title_match(&EntryWords::default(), &asked), 0.0);
    }

    #[test]
    fn coverage_counts_head_matches_fully_and_body_matches_partly() {
        let concepts = vec![concept("公积金", &["公积金"]), concept("租房", &["租房"])];
        let flat = |_: &Concept| 1.0;
        assert_eq!(
            coverage(&concepts, &words(&["公积金", "租房"], &[]), &flat).share,
            1.0
        );
        let partial = coverage(&concepts, &words(&["公积金"], &["租房"]), &flat).share;
        assert!((partial - 0.8).abs() < 1e-6);
        assert_eq!(coverage(&concepts, &words(&[], &[]), &flat).share, 0.0);
    }

    #[test]
    fn unknown_specific_words_pull_coverage_down() {
        let concepts = vec![concept("图书馆", &["图书馆"]), concept("开门", &["开门"])];
        let idf = |c: &Concept| if c.text == "图书馆" { 5.0 } else { 1.0 };
        let result = coverage(&concepts, &words(&["开门"], &[]), &idf);
        assert!(result.share < 0.2, "{result:?}");
        assert_eq!(result.unmatched, vec!["图书馆"]);
    }

    #[test]
    fn a_short_question_about_something_no_entry_mentions_has_no_answer() {
        let concepts = vec![concept("演唱会", &["演唱会"]), concept("门票", &["门票"])];
        let stats = [
            Specificity {
                idf: 5.0,
                in_head: false,
                parts: vec![],
            },
            Specificity {
                idf: 2.0,
                in_head: true,
                parts: vec![],
            },
        ];
        let judged = coverage_with(&concepts, &words(&["门票"], &[]), &stats);
        assert!(judged.subject_unknown, "{judged:?}");
        let judged = coverage_with(&concepts, &words(&["门票", "演唱会"], &[]), &stats);
        assert!(!judged.subject_unknown && judged.share > 0.9, "{judged:?}");
    }

    #[test]
    fn a_generic_part_does_not_stand_for_a_whole_compound() {
        let mut compound = concept("注册商标", &["注册商标"]);
        compound.parts = vec![vec!["注册".into()], vec!["商标".into()]];
        let stats = [Specificity {
            idf: 5.0,
            in_head: false,
            parts: vec![1.0, 4.0],
        }];
        let only_generic = coverage_with(&[compound.clone()], &words(&["注册"], &[]), &stats);
        assert!(
            (only_generic.share - 0.9 * 0.2).abs() < 1e-6,
            "{only_generic:?}"
        );
        let both = coverage_with(&[compound], &words(&["注册", "商标"], &[]), &stats);
        assert!((both.share - 0.9).abs() < 1e-6, "{both:?}");
    }

    #[test]
    fn a_correction_stands_in_for_the_misheard_words() {
        let mut correction = concept("公积金", &["公积金"]);
        correction.replaces = vec![0, 1];
        let concepts = vec![
            concept("公", &["公"]),
            concept("基金", &["基金"]),
            correction,
        ];
        let value = coverage(&concepts, &words(&["公积金"], &[]), &|_| 1.0);
        assert_eq!(value.share, 1.0);
    }
}
