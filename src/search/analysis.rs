//! Query analysis: from what an agent typed or a transcript said to weighted concepts.
//! Removes caller filler, recognises the caller's district, expands synonyms and adds
//! probable corrections of speech-recognition homophones.

use std::collections::HashSet;

use jieba_rs::TokenizeMode;

use super::lexicon::Lexicon;
use super::phonetic::is_han;
use super::tokenizer::{is_wordlike, normalize};
use super::vocab::{PhoneticVocab, RegionSet, MAX_WORD_CHARS, MIN_WORD_CHARS};
use crate::domain::search::QueryInterpretation;

/// Weight of a synonym relative to the word the caller used.
const SYNONYM_WEIGHT: f32 = 0.85;
/// Weight of a dictionary sub-word of a longer word (社保卡 inside 社保卡补办).
const SUBWORD_WEIGHT: f32 = 0.35;
/// Importance of a one-character word relative to a longer one.
const SINGLE_CHAR_IMPORTANCE: f32 = 0.4;
/// Importance of a homophone correction: high when the heard text is no word at all
/// (公基金), lower when it is a real word that merely sounds like a known one (等级 → 登记).
const CORRECTION_OF_NONWORD: f32 = 0.9;
const CORRECTION_OF_WORD: f32 = 0.6;
/// Most concepts kept from one query; whole transcripts keep their first words.
const MAX_CONCEPTS: usize = 80;

/// One thing the caller asked about, with the index terms that express it.
#[derive(Clone, Debug, PartialEq)]
pub struct Concept {
    /// The word as the caller said it (or the corrected word).
    pub text: String,
    /// Terms to look up, with their weights: the word itself, its sub-words and synonyms.
    pub terms: Vec<(String, f32)>,
    /// How much this concept matters for ranking and for confidence.
    pub importance: f32,
    /// For a homophone correction: the indices of the concepts it replaces.
    pub replaces: Vec<usize>,
}

/// The analysed query.
#[derive(Clone, Debug, Default)]
pub struct AnalyzedQuery {
    pub concepts: Vec<Concept>,
    /// Runs of meaningful text, for the character-bigram and pinyin layers.
    pub segments: Vec<String>,
    /// The district for ranking: the explicit parameter, else one named in the query.
    pub region: Option<String>,
    pub interpretation: QueryInterpretation,
}

/// Analyses queries against the dictionaries and what the index knows.
pub struct QueryAnalyzer<'a> {
    pub lexicon: &'a Lexicon,
    pub vocab: &'a PhoneticVocab,
    pub regions: &'a RegionSet,
}

struct Word {
    text: String,
    /// Character range within its segment.
    start: usize,
    end: usize,
    segment: usize,
}

impl QueryAnalyzer<'_> {
    pub fn analyze(&self, query: &str, region: Option<&str>) -> AnalyzedQuery {
        let text = normalize(query);
        let mut detected_region = None;
        let mut dropped = vec![false; text.len()];
        for (range, district) in self.regions.full_names_in(&text) {
            detected_region.get_or_insert_with(|| district.to_string());
            dropped[range].iter_mut().for_each(|d| *d = true);
        }

        // Words of the default cut, minus filler, stop words and district names; consecutive
        // kept words form the segments for the fuzzy layers.
        let mut words: Vec<Word> = Vec::new();
        let mut segments: Vec<String> = Vec::new();
        let mut open_segment = false;
        for token in self.lexicon.jieba.tokenize(&text, TokenizeMode::Default, true) {
            let word = token.word;
            let is_region_name = dropped[token.byte_start];
            let short_region = self.regions.district_named(word);
            if let Some(district) = short_region {
                detected_region.get_or_insert_with(|| district.to_string());
            }
            if !is_wordlike(word) || is_region_name || short_region.is_some() || self.lexicon.is_noise(word) {
                open_segment = false;
                continue;
            }
            if !open_segment {
                segments.push(String::new());
                open_segment = true;
            }
            let segment = segments.len() - 1;
            let start = segments[segment].chars().count();
            segments[segment].push_str(word);
            words.push(Word {
                text: word.to_string(),
                start,
                end: start + word.chars().count(),
                segment,
            });
        }

        let mut concepts: Vec<Concept> = Vec::new();
        let mut concept_of_word: Vec<Option<usize>> = Vec::with_capacity(words.len());
        let mut seen: HashSet<&str> = HashSet::new();
        let mut interpretation = QueryInterpretation::default();
        for word in &words {
            if !seen.insert(word.text.as_str()) || concepts.len() >= MAX_CONCEPTS {
                concept_of_word.push(concepts.iter().position(|c| c.text == word.text));
                continue;
            }
            let concept = self.concept(&word.text);
            let added: Vec<&str> = self.lexicon.synonyms(&word.text).iter().map(String::as_str).collect();
            if !added.is_empty() {
                interpretation
                    .synonyms
                    .push(format!("{} → {}", word.text, added.join("、")));
            }
            interpretation.terms.push(word.text.clone());
            concept_of_word.push(Some(concepts.len()));
            concepts.push(concept);
        }

        self.add_corrections(&words, &segments, &concept_of_word, &mut concepts, &mut interpretation);

        let region = region.map(str::to_string).or(detected_region);
        interpretation.region = region.clone();
        AnalyzedQuery {
            concepts,
            segments,
            region,
            interpretation,
        }
    }

    /// A concept for one word: the word, its dictionary sub-words and its synonyms.
    fn concept(&self, word: &str) -> Concept {
        let mut terms: Vec<(String, f32)> = vec![(word.to_string(), 1.0)];
        let push = |term: &str, weight: f32, terms: &mut Vec<(String, f32)>| {
            if !terms.iter().any(|(t, _)| t == term) {
                terms.push((term.to_string(), weight));
            }
        };
        for synonym in self.lexicon.synonyms(word) {
            push(synonym, SYNONYM_WEIGHT, &mut terms);
        }
        if word.chars().count() > 2 {
            for sub in self.lexicon.jieba.cut_for_search(word, false) {
                if sub.word != word && sub.word.chars().count() >= 2 && is_wordlike(sub.word) {
                    push(sub.word, SUBWORD_WEIGHT, &mut terms);
                    for synonym in self.lexicon.synonyms(sub.word) {
                        push(synonym, SUBWORD_WEIGHT * SYNONYM_WEIGHT, &mut terms);
                    }
                }
            }
        }
        let importance = if word.chars().count() == 1 {
            SINGLE_CHAR_IMPORTANCE
        } else {
            1.0
        };
        Concept {
            text: word.to_string(),
            terms,
            importance,
            replaces: Vec::new(),
        }
    }

    /// Looks for stretches of ideographs that are not words of the knowledge base but sound
    /// like one, and adds the known word as a concept that stands in for the heard words.
    fn add_corrections(
        &self,
        words: &[Word],
        segments: &[String],
        concept_of_word: &[Option<usize>],
        concepts: &mut Vec<Concept>,
        interpretation: &mut QueryInterpretation,
    ) {
        if self.vocab.is_empty() {
            return;
        }
        for (segment_index, segment) in segments.iter().enumerate() {
            let chars: Vec<char> = segment.chars().collect();
            let mut covered_until = 0;
            for start in 0..chars.len() {
                for len in (MIN_WORD_CHARS..=MAX_WORD_CHARS.min(4)).rev() {
                    let end = start + len;
                    if end > chars.len() || start < covered_until {
                        continue;
                    }
                    let window: String = chars[start..end].iter().collect();
                    if !window.chars().all(is_han) || self.vocab.contains(&window) {
                        continue;
                    }
                    // A window that is exactly a word we already match needs no correction.
                    let overlapped: Vec<usize> = words
                        .iter()
                        .enumerate()
                        .filter(|(_, w)| w.segment == segment_index && w.start < end && w.end > start)
                        .filter_map(|(i, _)| concept_of_word[i])
                        .collect();
                    if overlapped.iter().all(|&c| self.vocab.contains(&concepts[c].text))
                        && words.iter().any(|w| w.segment == segment_index && w.start == start && w.end == end)
                    {
                        continue;
                    }
                    let candidates = self.vocab.homophones(&window);
                    if candidates.is_empty() || candidates.len() > 3 {
                        continue;
                    }
                    let is_word = self.lexicon.jieba.has_word(&window);
                    let importance = if is_word { CORRECTION_OF_WORD } else { CORRECTION_OF_NONWORD };
                    let damp = if is_word { 0.7 } else { 0.35 };
                    for &c in &overlapped {
                        if concepts[c].replaces.is_empty() {
                            concepts[c].importance *= damp;
                        }
                    }
                    for candidate in candidates {
                        let mut concept = self.concept(candidate);
                        concept.importance = importance;
                        concept.replaces = overlapped.clone();
                        interpretation.corrections.push(format!("{window} → {candidate}"));
                        concepts.push(concept);
                    }
                    covered_until = end;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::lexicon::tests::lexicon;

    fn analyze(query: &str) -> AnalyzedQuery {
        let lexicon = lexicon();
        let vocab = PhoneticVocab::new(["公积金", "补办", "社保卡", "驾驶证", "提取"]);
        let regions = RegionSet::new(["市级", "东湖区", "西山区"]);
        QueryAnalyzer {
            lexicon: &lexicon,
            vocab: &vocab,
            regions: &regions,
        }
        .analyze(query, None)
    }

    fn texts(q: &AnalyzedQuery) -> Vec<&str> {
        q.concepts.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn filler_and_stop_words_are_dropped() {
        let q = analyze("请问我想问一下那个公积金怎么提取");
        assert_eq!(texts(&q), vec!["公积金", "提取"]);
    }

    #[test]
    fn synonyms_expand_colloquial_words() {
        let q = analyze("娃上学");
        let wa = q.concepts.iter().find(|c| c.text == "娃").unwrap();
        assert!(wa.terms.iter().any(|(t, _)| t == "子女"));
        assert!(!q.interpretation.synonyms.is_empty());
    }

    #[test]
    fn a_named_district_sets_the_region_and_is_not_searched() {
        let q = analyze("东湖区公积金提取");
        assert_eq!(q.region.as_deref(), Some("东湖区"));
        assert!(!texts(&q).iter().any(|t| t.contains("东湖")));
        let q = analyze("我在西山这边公积金");
        assert_eq!(q.region.as_deref(), Some("西山区"));
    }

    #[test]
    fn an_explicit_region_wins_over_one_named_in_the_query() {
        let lexicon = lexicon();
        let vocab = PhoneticVocab::default();
        let regions = RegionSet::new(["东湖区", "西山区"]);
        let analyzer = QueryAnalyzer {
            lexicon: &lexicon,
            vocab: &vocab,
            regions: &regions,
        };
        let q = analyzer.analyze("东湖区公积金", Some("西山区"));
        assert_eq!(q.region.as_deref(), Some("西山区"));
    }

    #[test]
    fn homophones_of_known_words_are_corrected() {
        let q = analyze("公基金怎么提取");
        assert!(texts(&q).contains(&"公积金"), "{:?}", texts(&q));
        assert!(q.interpretation.corrections.iter().any(|c| c.contains("公积金")));
        let q = analyze("社保卡不办");
        assert!(texts(&q).contains(&"补办"), "{:?}", texts(&q));
    }

    #[test]
    fn correct_words_are_left_alone() {
        let q = analyze("公积金提取");
        assert!(q.interpretation.corrections.is_empty(), "{:?}", q.interpretation.corrections);
    }
}
