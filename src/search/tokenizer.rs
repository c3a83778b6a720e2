//! The tantivy analyzers of the index: jieba words, single characters and character bigrams
//! (for words outside the dictionary) and fuzzy-pinyin syllable bigrams (for
//! speech-recognition homophones).
//! Each holds an `Arc`, so the copies tantivy makes per use are cheap.

use std::sync::Arc;

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::Index;

use super::phonetic::{is_han, syllable};

pub const WORDS: &str = "zh_words";
pub const BIGRAMS: &str = "zh_bigrams";
pub const PINYIN: &str = "zh_pinyin";
pub const CHARS: &str = "zh_chars";

/// Registers the analyzers on an index.
pub fn register(index: &Index, jieba: &Arc<Jieba>) {
    let manager = index.tokenizers();
    manager.register(WORDS, TextAnalyzer::from(WordTokenizer::new(jieba.clone())));
    manager.register(BIGRAMS, TextAnalyzer::from(BigramTokenizer));
    manager.register(PINYIN, TextAnalyzer::from(PinyinTokenizer));
    manager.register(CHARS, TextAnalyzer::from(CharTokenizer));
}

/// Lowercases and folds full-width ASCII (ＡＢＣ１２３) to half-width, as callers' input mixes both.
pub fn normalize(text: &str) -> String {
    normalize_with_offsets(text).0
}

/// [`normalize`], plus for every byte of the result the byte offset it came from in `text`
/// (one extra slot for the end), so highlights land on the original text.
fn normalize_with_offsets(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        let folded = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        for lower in folded.to_lowercase() {
            out.push(lower);
            offsets.resize(out.len(), at);
        }
    }
    offsets.push(text.len());
    (out, offsets)
}

/// Whether a token carries text (letters, digits or ideographs), not just punctuation or space.
pub fn is_wordlike(token: &str) -> bool {
    token.chars().any(|c| c.is_alphanumeric())
}

/// Words as jieba cuts them in search mode (long words also yield their dictionary sub-words).
/// Positions are token ordinals, not character offsets.
#[derive(Clone)]
pub struct WordTokenizer {
    jieba: Arc<Jieba>,
}

impl WordTokenizer {
    pub fn new(jieba: Arc<Jieba>) -> Self {
        WordTokenizer { jieba }
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        let (normalized, offsets) = normalize_with_offsets(text);
        let mut words: Vec<_> = self
            .jieba
            .tokenize(&normalized, TokenizeMode::Search, true)
            .into_iter()
            .filter(|w| is_wordlike(w.word))
            .collect();
        // Search mode yields a long word after its sub-words; highlighting needs tokens in
        // text order.
        words.sort_by_key(|w| (w.byte_start, w.byte_end));
        for word in words {
            let (from, to) = (offsets[word.byte_start], offsets[word.byte_end]);
            push_token(&mut tokens, word.word.to_string(), from, to);
        }
        VecTokenStream::new(tokens)
    }
}

/// Overlapping character bigrams of each run of ideographs; runs of letters and digits stay
/// whole. Finds words the dictionary does not know.
#[derive(Clone, Default)]
pub struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        for gram in bigrams(&normalize(text)) {
            push_token(&mut tokens, gram, 0, 0);
        }
        VecTokenStream::new(tokens)
    }
}

/// Each ideograph on its own. Callers' key words are often single characters the segmenter
/// leaves alone (狗 咬, 腰 闪, 掏 抵) while entries write them inside words (被狗咬, 抵税).
#[derive(Clone, Default)]
pub struct CharTokenizer;

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        for c in text.chars().filter(|c| is_han(*c)) {
            push_token(&mut tokens, c.to_string(), 0, 0);
        }
        VecTokenStream::new(tokens)
    }
}

/// Fuzzy-pinyin syllable bigrams (`gong_ji`, `ji_jin`) of each run of ideographs.
#[derive(Clone, Default)]
pub struct PinyinTokenizer;

impl Tokenizer for PinyinTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        for gram in pinyin_bigrams(text) {
            push_token(&mut tokens, gram, 0, 0);
        }
        VecTokenStream::new(tokens)
    }
}

/// Character bigrams of the ideograph runs of `text` plus its alphanumeric words.
pub fn bigrams(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in runs(text) {
        let chars: Vec<char> = run.chars().collect();
        if !chars.iter().all(|c| is_han(*c)) || chars.len() == 1 {
            out.push(run.to_string());
        } else {
            out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        }
    }
    out
}

/// Fuzzy-pinyin syllable bigrams of the ideograph runs of `text`.
pub fn pinyin_bigrams(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in runs(text) {
        let syllables: Vec<String> = run.chars().filter_map(syllable).collect();
        match syllables.len() {
            0 => {}
            1 => out.push(syllables[0].clone()),
            _ => out.extend(syllables.windows(2).map(|w| w.join("_"))),
        }
    }
    out
}

/// Maximal runs of ideographs, and maximal runs of ASCII letters/digits, in order.
fn runs(text: &str) -> Vec<&str> {
    let class = |c: char| {
        if is_han(c) {
            Some(true)
        } else if c.is_ascii_alphanumeric() {
            Some(false)
        } else {
            None
        }
    };
    let mut out = Vec::new();
    let mut current: Option<(usize, bool)> = None;
    for (i, c) in text.char_indices() {
        let cls = class(c);
        if let Some((start, han)) = current {
            if cls == Some(han) {
                continue;
            }
            out.push(&text[start..i]);
        }
        current = cls.map(|han| (i, han));
    }
    if let Some((start, _)) = current {
        out.push(&text[start..]);
    }
    out
}

fn push_token(tokens: &mut Vec<Token>, text: String, offset_from: usize, offset_to: usize) {
    let position = tokens.len();
    tokens.push(Token {
        offset_from,
        offset_to,
        position,
        text,
        position_length: 1,
    });
}

/// A token stream over a prepared vector of tokens.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        VecTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect<T: Tokenizer>(mut tokenizer: T, text: &str) -> Vec<String> {
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn words_are_cut_in_search_mode_without_punctuation() {
        let jieba = Arc::new(Jieba::new());
        let words = collect(WordTokenizer::new(jieba), "住房公积金，提取！");
        assert!(words.contains(&"公积金".to_string()), "{words:?}");
        assert!(words.contains(&"提取".to_string()), "{words:?}");
        assert!(!words.iter().any(|w| w == "，" || w == "！"));
    }

    #[test]
    fn word_tokens_come_in_text_order() {
        let jieba = Arc::new(Jieba::new());
        let mut tokenizer = WordTokenizer::new(jieba);
        let mut stream = tokenizer.token_stream("中华人民共和国公民办理住房公积金提取");
        let mut last = 0;
        while stream.advance() {
            assert!(stream.token().offset_from >= last);
            last = stream.token().offset_from;
        }
    }

    #[test]
    fn bigrams_cover_unknown_words_and_keep_latin_whole() {
        assert_eq!(
            bigrams(&normalize("公基金HPV疫苗")),
            vec!["公基", "基金", "hpv", "疫苗"]
        );
        assert_eq!(bigrams("办"), vec!["办"]);
    }

    #[test]
    fn pinyin_bigrams_match_homophones() {
        assert_eq!(pinyin_bigrams("公基金"), pinyin_bigrams("公积金"));
        assert_eq!(pinyin_bigrams("公积金"), vec!["gong_ji", "ji_jin"]);
    }

    #[test]
    fn full_width_input_is_folded_and_offsets_point_at_the_original() {
        assert_eq!(normalize("ＨＰＶ　疫苗"), "hpv 疫苗");
        let jieba = Arc::new(Jieba::new());
        let text = "ＨＰＶ疫苗";
        let mut tokenizer = WordTokenizer::new(jieba);
        let mut stream = tokenizer.token_stream(text);
        let mut spans = Vec::new();
        while stream.advance() {
            let t = stream.token();
            spans.push(text[t.offset_from..t.offset_to].to_string());
        }
        assert!(spans.contains(&"疫苗".to_string()), "{spans:?}");
        assert!(spans.contains(&"ＨＰＶ".to_string()), "{spans:?}");
    }
}
