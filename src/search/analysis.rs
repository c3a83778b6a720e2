//! Query analysis: from what an agent typed or a transcript said to weighted concepts.
//! Removes caller filler, recognises the caller's district, expands synonyms and adds
//! probable corrections of speech-recognition homophones.

use std::collections::HashMap;

use super::lexicon::Lexicon;
use super::params::PARAMS;
use super::phonetic::is_han;
use super::salience::{is_subject, salience};
use super::tokenizer::{is_wordlike, normalize};
use super::vocab::{PhoneticVocab, RegionSet, MIN_WORD_CHARS};
use crate::domain::search::QueryInterpretation;

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
    /// The dictionary words a compound is made of (注册商标 → 注册, 商标), each with its
    /// synonyms; empty for a word of one or two characters. Matching some parts covers that
    /// share of the compound, so a generic part (注册, 个人) does not stand for the whole.
    pub parts: Vec<Vec<String>>,
    /// How much the word says on its own, 0 to 1: rare nouns and names say much, common
    /// verbs and colloquial glue little (from jieba's part of speech and general frequency).
    pub salience: f32,
    /// Whether the word names a thing a question can be about (a noun other than a person's
    /// or place's name, not a scene-setting word): what makes a question unanswerable when no
    /// entry knows it.
    pub nominal: bool,
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
    /// First character in the normalised query, and length in characters.
    start: usize,
    chars: usize,
    /// jieba part-of-speech tag.
    pos: String,
    /// Which run of kept words it belongs to.
    segment: usize,
}

impl QueryAnalyzer<'_> {
    pub fn analyze(&self, query: &str, region: Option<&str>) -> AnalyzedQuery {
        let whole = normalize(query);
        let text = searched_part(&whole);
        let mut detected_region = None;
        let mut dropped_bytes = vec![false; text.len()];
        for (range, district) in self.regions.full_names_in(text) {
            detected_region.get_or_insert_with(|| district.to_string());
            dropped_bytes[range].iter_mut().for_each(|d| *d = true);
        }
        let dropped: Vec<bool> = text
            .char_indices()
            .map(|(at, _)| dropped_bytes[at])
            .collect();

        // Words of the default cut, minus filler, stop words and district names; consecutive
        // kept words form the segments for the fuzzy layers.
        let mut words: Vec<Word> = Vec::new();
        let mut segments: Vec<String> = Vec::new();
        let mut open_segment = false;
        for token in self.split_unknown(self.lexicon.jieba.tag(text, true)) {
            let (word, tag, start_char) = (token.0, token.1.as_str(), token.2);
            let is_region_name = dropped.get(start_char).copied().unwrap_or(false);
            let short_region = self.regions.district_named(word);
            if let Some(district) = short_region {
                detected_region.get_or_insert_with(|| district.to_string());
            }
            if !is_wordlike(word)
                || is_region_name
                || short_region.is_some()
                || self.lexicon.is_noise(word)
            {
                open_segment = false;
                continue;
            }
            if !open_segment {
                segments.push(String::new());
                open_segment = true;
            }
            let segment = segments.len() - 1;
            segments[segment].push_str(word);
            words.push(Word {
                text: word.to_string(),
                start: start_char,
                chars: word.chars().count(),
                pos: tag.to_string(),
                segment,
            });
        }

        let mut concepts: Vec<Concept> = Vec::new();
        let mut concept_of_word: Vec<Option<usize>> = Vec::with_capacity(words.len());
        let mut said: HashMap<String, usize> = HashMap::new();
        let mut interpretation = QueryInterpretation::default();
        for word in &words {
            // A word said again, or a synonym of a word already said (小孩 … 孩子), is the same
            // concept: counting it twice would favour whatever entries that concept matches.
            if let Some(&before) = said.get(word.text.as_str()) {
                concept_of_word.push(Some(before));
                continue;
            }
            if concepts.len() >= PARAMS.analysis.max_concepts {
                concept_of_word.push(None);
                continue;
            }
            let mut concept = self.concept(&word.text);
            concept.salience = salience(self.lexicon, &word.text, &word.pos);
            concept.nominal = is_subject(self.lexicon, &word.text, &word.pos);
            let added: Vec<&str> = concept
                .terms
                .iter()
                .skip(1)
                .filter(|(_, weight)| *weight >= PARAMS.analysis.related_weight)
                .map(|(term, _)| term.as_str())
                .collect();
            if !added.is_empty() {
                interpretation
                    .synonyms
                    .push(format!("{} → {}", word.text, added.join("、")));
            }
            interpretation.terms.push(word.text.clone());
            for (term, weight) in &concept.terms {
                if *weight >= PARAMS.analysis.synonym_weight {
                    said.entry(term.clone()).or_insert(concepts.len());
                }
            }
            concept_of_word.push(Some(concepts.len()));
            concepts.push(concept);
        }

        self.add_corrections(&words, &concept_of_word, &mut concepts, &mut interpretation);
        self.add_situations(
            text,
            &words,
            &concept_of_word,
            &mut concepts,
            &mut interpretation,
        );

        interpretation.transcript = text.len() < whole.len();
        if detected_region.is_none() && interpretation.transcript {
            // A district the caller named earlier in the call, the latest one.
            let earlier = &whole[..whole.len() - text.len()];
            detected_region = self
                .regions
                .full_names_in(earlier)
                .into_iter()
                .max_by_key(|(range, _)| range.start)
                .map(|(_, district)| district.to_string());
        }
        let region = region.map(str::to_string).or(detected_region);
        interpretation.region = region.clone();
        interpretation.out_of_scope = self.lexicon.scope.find(text);
        AnalyzedQuery {
            concepts,
            segments,
            region,
            interpretation,
        }
    }

    /// jieba's HMM joins unknown characters into words (钱报, 我想查) that no entry contains;
    /// such a word is split back into its dictionary parts unless the knowledge base uses it.
    /// Yields (word, part-of-speech tag, first character index).
    fn split_unknown<'t>(&self, tags: Vec<jieba_rs::Tag<'t>>) -> Vec<(&'t str, String, usize)> {
        let jieba = &self.lexicon.jieba;
        let mut out = Vec::with_capacity(tags.len());
        for tag in tags {
            let known = tag.word.chars().count() < 2
                || jieba.has_word(tag.word)
                || self.vocab.contains(tag.word)
                || !tag.word.chars().all(is_han);
            if known {
                out.push((tag.word, tag.tag.to_string(), tag.start));
                continue;
            }
            let (mut at, mut byte) = (tag.start, 0);
            for part in jieba.tag(tag.word, false) {
                // The part as a slice of the caller's text, which outlives the tagger's copy.
                let Some(piece) = tag.word.get(byte..byte + part.word.len()) else {
                    break;
                };
                out.push((piece, part.tag.to_string(), at));
                byte += part.word.len();
                at += part.word.chars().count();
            }
        }
        out
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
            push(synonym, PARAMS.analysis.synonym_weight, &mut terms);
        }
        for form in
            std::iter::once(word).chain(self.lexicon.synonyms(word).iter().map(String::as_str))
        {
            for implied in self.lexicon.related(form) {
                push(implied, PARAMS.analysis.related_weight, &mut terms);
            }
        }
        let mut subs: Vec<&str> = Vec::new();
        if word.chars().count() > 2 {
            for sub in self.lexicon.jieba.cut_for_search(word, false) {
                if sub.word != word && sub.word.chars().count() >= 2 && is_wordlike(sub.word) {
                    push(sub.word, PARAMS.analysis.subword_weight, &mut terms);
                    for synonym in self.lexicon.synonyms(sub.word) {
                        push(
                            synonym,
                            PARAMS.analysis.subword_weight * PARAMS.analysis.synonym_weight,
                            &mut terms,
                        );
                    }
                    subs.push(sub.word);
                }
            }
        }
        // The parts are the sub-words no other sub-word contains (社保卡补办 → 社保卡, 补办).
        let parts: Vec<Vec<String>> = subs
            .iter()
            .filter(|sub| {
                !subs
                    .iter()
                    .any(|other| other != *sub && other.contains(**sub))
            })
            .map(|sub| {
                std::iter::once(sub.to_string())
                    .chain(self.lexicon.synonyms(sub).iter().cloned())
                    .collect()
            })
            .collect();
        let importance = if word.chars().count() == 1 {
            PARAMS.analysis.single_char_importance
        } else {
            1.0
        };
        Concept {
            text: word.to_string(),
            terms,
            importance,
            replaces: Vec::new(),
            parts,
            salience: 1.0,
            nominal: false,
        }
    }

    /// Adds the official terms implied by situation phrases of `related.txt` that the caller
    /// said across word boundaries (我爸走了 cut as 我爸/走/了). The phrase stands in for the
    /// words it spans, as a correction does; phrases the segmenter kept whole already carry
    /// their implied terms.
    fn add_situations(
        &self,
        text: &str,
        words: &[Word],
        concept_of_word: &[Option<usize>],
        concepts: &mut Vec<Concept>,
        interpretation: &mut QueryInterpretation,
    ) {
        for situation in self.lexicon.situations_in(text) {
            let phrase = situation.phrase;
            if concepts
                .iter()
                .any(|c| c.text == phrase || c.text == situation.said)
                || concepts.len() >= PARAMS.analysis.max_concepts + 20
            {
                continue;
            }
            let within = |w: &Word| {
                situation
                    .spans
                    .iter()
                    .any(|&(start, len)| w.start < start + len && start < w.start + w.chars)
            };
            let mut spanned: Vec<usize> = words
                .iter()
                .zip(concept_of_word)
                .filter(|(w, _)| within(w))
                .filter_map(|(_, c)| *c)
                .filter(|&c| concepts[c].replaces.is_empty())
                .collect();
            spanned.dedup();
            if spanned.is_empty() {
                continue;
            }
            let implied = self.lexicon.related(phrase);
            interpretation
                .synonyms
                .push(format!("{} → {}", situation.said, implied.join("、")));
            concepts.push(Concept {
                text: situation.said.clone(),
                terms: implied
                    .iter()
                    .map(|term| (term.clone(), PARAMS.analysis.related_weight))
                    .collect(),
                importance: PARAMS.analysis.situation_importance,
                replaces: spanned,
                parts: Vec::new(),
                salience: 1.0,
                nominal: false,
            });
        }
    }

    /// Looks for stretches of ideographs that are not words of the knowledge base but sound
    /// like one, and adds the known word as a concept that stands in for the heard words.
    fn add_corrections(
        &self,
        words: &[Word],
        concept_of_word: &[Option<usize>],
        concepts: &mut Vec<Concept>,
        interpretation: &mut QueryInterpretation,
    ) {
        if self.vocab.is_empty() {
            return;
        }
        // Windows are runs of whole words inside one segment, so a correction never starts or
        // ends in the middle of a word the segmenter recognised.
        let mut i = 0;
        while i < words.len() {
            let mut corrected_until = None;
            let mut j = words.len();
            while j > i {
                j -= 1;
                let span = &words[i..=j];
                if span.iter().any(|w| w.segment != words[i].segment) {
                    continue;
                }
                let window: String = span.iter().map(|w| w.text.as_str()).collect();
                let chars = window.chars().count();
                if !(MIN_WORD_CHARS..=4).contains(&chars)
                    || !window.chars().all(is_han)
                    || self.vocab.contains(&window)
                    || span.iter().all(|w| self.vocab.contains(&w.text))
                {
                    continue;
                }
                let candidates = self.vocab.homophones(&window);
                if candidates.is_empty() || candidates.len() > 2 {
                    continue;
                }
                let overlapped: Vec<usize> = (i..=j).filter_map(|k| concept_of_word[k]).collect();
                let is_word = self.lexicon.jieba.has_word(&window);
                let importance = if is_word {
                    PARAMS.analysis.correction_of_word
                } else {
                    PARAMS.analysis.correction_of_nonword
                };
                let damp = if is_word {
                    PARAMS.analysis.replaced_word_keeps
                } else {
                    PARAMS.analysis.replaced_nonword_keeps
                };
                for &c in &overlapped {
                    if concepts[c].replaces.is_empty() {
                        concepts[c].importance *= damp;
                    }
                }
                for candidate in candidates {
                    let mut concept = self.concept(candidate);
                    concept.importance = importance;
                    concept.replaces = overlapped.clone();
                    interpretation
                        .corrections
                        .push(format!("{window} → {candidate}"));
                    concepts.push(concept);
                }
                corrected_until = Some(j);
                break;
            }
            i = corrected_until.map_or(i + 1, |j| j + 1);
        }
    }
}

/// The part of the text whose words are searched: all of a question; of a longer text (a call
/// transcript pasted by the agent) its last `PARAMS.analysis.transcript_tail` characters,
/// from the first sentence that starts inside them, since the caller's question is what
/// the call ends on. The dense stage embeds the same part.
pub(super) fn searched_part(text: &str) -> &str {
    let keep = PARAMS.analysis.transcript_tail;
    let chars = text.chars().count();
    if chars <= keep {
        return text;
    }
    let start = text
        .char_indices()
        .nth(chars - keep)
        .map_or(0, |(at, _)| at);
    let tail = &text[start..];
    let sentence_end = tail
        .char_indices()
        .find(|(_, c)| matches!(c, '。' | '?' | '!' | ';' | '？' | '！' | '；' | '\n'));
    match sentence_end {
        Some((at, c)) if at < tail.len() / 2 => &tail[at + c.len_utf8()..],
        _ => tail,
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

    /// Analyses `query` with `lexicon` and an empty index vocabulary.
    fn analyze_with(lexicon: &Lexicon, query: &str) -> AnalyzedQuery {
        QueryAnalyzer {
            lexicon,
            vocab: &PhoneticVocab::default(),
            regions: &RegionSet::default(),
        }
        .analyze(query, None)
    }

    fn texts(q: &AnalyzedQuery) -> Vec<&str> {
        q.concepts.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn a_transcript_is_searched_by_its_end_with_the_district_said_before() {
        let mut call = String::from("您好，这里是12345热线。我是东湖区的，想问个事情。");
        while call.chars().count() < 400 {
            call.push_str("驾驶证的事情先不说了，您稍等一下。");
        }
        call.push_str("我的社保卡丢了要补办。好的，我帮您查一下。");
        let q = analyze(&call);
        assert!(q.interpretation.transcript);
        assert_eq!(q.region.as_deref(), Some("东湖区"));
        assert!(texts(&q).contains(&"社保卡"), "{:?}", texts(&q));
        assert!(!texts(&q).contains(&"12345"));
        let tail = searched_part("一二三。四五六");
        assert_eq!(tail, "一二三。四五六");
        assert!(!analyze("社保卡丢了").interpretation.transcript);
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
        assert!(q
            .interpretation
            .corrections
            .iter()
            .any(|c| c.contains("公积金")));
        let q = analyze("社保卡不办");
        assert!(texts(&q).contains(&"补办"), "{:?}", texts(&q));
    }

    #[test]
    fn situations_said_across_word_boundaries_imply_official_terms() {
        let mut lexicon = lexicon();
        lexicon
            .add_related("被辞退 => 失业保险金\n我爸走了 => 丧葬补助金\n")
            .unwrap();
        let analyze = |query: &str| analyze_with(&lexicon, query);
        let q = analyze("我被辞退了");
        let fired = q.concepts.iter().find(|c| c.text == "被辞退").unwrap();
        assert!(fired
            .terms
            .iter()
            .any(|(t, w)| t == "失业保险金" && *w < 1.0));
        // However the segmenter cuts the phrase, its implied term is searched for.
        for query in ["请问我爸走了社保怎么办", "我爸走了"] {
            let q = analyze(query);
            assert!(
                q.concepts
                    .iter()
                    .any(|c| c.terms.iter().any(|(t, _)| t == "丧葬补助金")),
                "{:?}",
                texts(&q)
            );
        }
    }

    #[test]
    fn scene_setting_words_say_little() {
        let mut lexicon = lexicon();
        lexicon.add_context("我妈 去年\n");
        let q = analyze_with(&lexicon, "我妈去年交的公积金");
        let salience = |text: &str| {
            q.concepts
                .iter()
                .find(|c| c.text == text)
                .map(|c| c.salience)
                .unwrap_or_else(|| panic!("{text} missing from {:?}", texts(&q)))
        };
        assert!(salience("我妈") < 0.2 && salience("去年") < 0.2);
        assert!(salience("公积金") > 0.5);
    }

    #[test]
    fn only_nouns_that_are_not_people_places_or_everyday_words_are_subjects() {
        let q = analyze("深圳的彩票感觉怎么兑奖");
        let subject = |text: &str| {
            q.concepts
                .iter()
                .find(|c| c.text == text)
                .map(|c| c.nominal)
                .unwrap_or_else(|| panic!("{text} missing from {:?}", texts(&q)))
        };
        assert!(subject("彩票"));
        assert!(!subject("深圳"), "a place sets the scene");
        assert!(!subject("感觉"), "an everyday noun frames the question");
    }

    #[test]
    fn correct_words_are_left_alone() {
        let q = analyze("公积金提取");
        assert!(
            q.interpretation.corrections.is_empty(),
            "{:?}",
            q.interpretation.corrections
        );
    }
}
