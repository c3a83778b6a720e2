//! How much a word of a query says on its own (its salience), and whether it can be what the
//! question is about: from jieba's part of speech and general frequency and the context words.

use super::lexicon::Lexicon;

/// jieba dictionary frequency above which a noun is an everyday word rather than a subject.
const EVERYDAY_NOUN_FREQ: usize = 3000;
/// Share of the salience a word would have that a one-character word keeps.
const SINGLE_CHAR_SALIENCE: f32 = 0.5;
/// Salience of a word that only sets the scene (我妈, 去年, 三千块).
const CONTEXT_SALIENCE: f32 = 0.15;
/// jieba dictionary frequencies of a very common and of a rare word, bounding `salience`.
const GENERAL_FREQ_COMMON: f32 = 50_000.0;
const GENERAL_FREQ_RARE: f32 = 50.0;

/// Whether a word can be what a question is about: a dictionary noun that is neither an
/// everyday word (日子, 感觉 are nouns to jieba) nor a scene-setting one.
pub fn is_subject(lexicon: &Lexicon, word: &str, pos: &str) -> bool {
    let jieba = &lexicon.jieba;
    is_nominal(pos)
        && !lexicon.is_context(word)
        && jieba.has_word(word)
        && jieba.suggest_freq(word) <= EVERYDAY_NOUN_FREQ
}

/// How much a word says on its own. Nouns, names and rare words carry a question
/// (导盲犬, 征信); verbs, adverbs and everyday words mostly frame it (弄, 想, 朋友).
pub fn salience(lexicon: &Lexicon, word: &str, pos: &str) -> f32 {
    if lexicon.is_context(word) {
        return CONTEXT_SALIENCE;
    }
    let chars = word.chars().count();
    let jieba = &lexicon.jieba;
    let rarity = if jieba.has_word(word) {
        let freq = jieba.suggest_freq(word).max(1) as f32;
        ((GENERAL_FREQ_COMMON / freq).ln() / (GENERAL_FREQ_COMMON / GENERAL_FREQ_RARE).ln())
            .clamp(0.0, 1.0)
    } else {
        0.5
    };
    let kind = match pos.chars().next() {
        Some('n') | Some('e') if pos != "nr" && pos != "ns" => 1.0,
        Some('v') if pos == "vn" => 0.9,
        Some('n') => 0.6,
        Some('x') | Some('e') => 0.8,
        Some('a') | Some('v') | Some('i') | Some('l') | Some('j') => 0.5,
        _ => 0.3,
    };
    let salience = (0.2 + 0.8 * kind * (0.4 + 0.6 * rarity)).clamp(0.1, 1.0);
    if chars == 1 {
        // A single character says something (狗, 咬, 腰) but is easily part of another
        // word or a figure of speech.
        salience * SINGLE_CHAR_SALIENCE
    } else {
        salience
    }
}

/// Nouns (but not names of people or places), nominal verbs (登记, 补办 as things) and words
/// the dictionaries added without a part of speech.
fn is_nominal(pos: &str) -> bool {
    match pos {
        "nr" | "nrt" | "nrfg" | "ns" => false,
        "vn" | "x" | "eng" | "nz" => true,
        _ => pos.starts_with('n'),
    }
}
