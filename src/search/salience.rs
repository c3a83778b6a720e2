//! How much a word of a query says on its own (its salience), and whether it can be what the
//! question is about: from jieba's part of speech and general frequency and the context words.

use super::lexicon::Lexicon;
use super::params::PARAMS;

/// Whether a word can be what a question is about: a dictionary noun that is neither an
/// everyday word (日子, 感觉 are nouns to jieba) nor a scene-setting one.
pub fn is_subject(lexicon: &Lexicon, word: &str, pos: &str) -> bool {
    let jieba = &lexicon.jieba;
    is_nominal(pos)
        && !lexicon.is_context(word)
        && jieba.has_word(word)
        && jieba.suggest_freq(word) <= PARAMS.salience.everyday_noun_freq
}

/// How much a word says on its own. Nouns, names and rare words carry a question
/// (导盲犬, 征信); verbs, adverbs and everyday words mostly frame it (弄, 想, 朋友).
pub fn salience(lexicon: &Lexicon, word: &str, pos: &str) -> f32 {
    if lexicon.is_context(word) {
        return PARAMS.salience.context;
    }
    let chars = word.chars().count();
    let jieba = &lexicon.jieba;
    let p = &PARAMS.salience;
    let rarity = if jieba.has_word(word) {
        let freq = jieba.suggest_freq(word).max(1) as f32;
        ((p.freq_common / freq).ln() / (p.freq_common / p.freq_rare).ln()).clamp(0.0, 1.0)
    } else {
        p.unknown_rarity
    };
    let kind = match pos.chars().next() {
        Some('n') | Some('e') if pos != "nr" && pos != "ns" => p.noun,
        Some('v') if pos == "vn" => p.nominal_verb,
        Some('n') => p.name,
        Some('x') | Some('e') => p.added_word,
        Some('a') | Some('v') | Some('i') | Some('l') | Some('j') => p.predicate,
        _ => p.other,
    };
    let salience = (p.base
        + (1.0 - p.base) * kind * (p.rarity_floor + (1.0 - p.rarity_floor) * rarity))
        .clamp(0.1, 1.0);
    if chars == 1 {
        // A single character says something (狗, 咬, 腰) but is easily part of another
        // word or a figure of speech.
        salience * PARAMS.salience.single_char_share
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
