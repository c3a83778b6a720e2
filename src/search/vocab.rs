//! What the index knows, for query analysis: its words by pinyin (to correct homophones)
//! and its district names (to recognise a caller's district in the query).

use std::collections::{HashMap, HashSet};

use pinyin::ToPinyin;

use super::phonetic::{is_han, word_key};
use crate::domain::entry::CITY_WIDE;

/// Words of the knowledge base's titles, questions and keywords, and of the synonym table,
/// keyed by their exact and their fuzzy pinyin.
#[derive(Debug, Default)]
pub struct PhoneticVocab {
    words: HashSet<String>,
    by_exact: HashMap<String, Vec<String>>,
    by_fuzzy: HashMap<String, Vec<String>>,
}

/// Shortest and longest words considered for homophone correction, in characters.
pub const MIN_WORD_CHARS: usize = 2;
pub const MAX_WORD_CHARS: usize = 5;

impl PhoneticVocab {
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut vocab = PhoneticVocab::default();
        for word in words {
            let chars = word.chars().count();
            if !(MIN_WORD_CHARS..=MAX_WORD_CHARS).contains(&chars) || !word.chars().all(is_han) {
                continue;
            }
            if !vocab.words.insert(word.to_string()) {
                continue;
            }
            if let Some(fuzzy) = word_key(word) {
                vocab
                    .by_fuzzy
                    .entry(fuzzy)
                    .or_default()
                    .push(word.to_string());
            }
            let exact: Vec<String> = word
                .chars()
                .filter_map(|c| c.to_pinyin().map(|p| p.plain().to_string()))
                .collect();
            vocab
                .by_exact
                .entry(exact.join("_"))
                .or_default()
                .push(word.to_string());
        }
        for list in vocab
            .by_exact
            .values_mut()
            .chain(vocab.by_fuzzy.values_mut())
        {
            list.sort();
        }
        vocab
    }

    pub fn contains(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Known words that sound like `window` (which is not itself known). Two-character windows
    /// need the exact toneless pinyin; longer ones may differ by accent confusions.
    pub fn homophones(&self, window: &str) -> Vec<&str> {
        if self.words.contains(window) {
            return Vec::new();
        }
        let chars = window.chars().count();
        let found = if chars <= 2 {
            let exact: Option<Vec<String>> = window
                .chars()
                .map(|c| c.to_pinyin().map(|p| p.plain().to_string()))
                .collect();
            exact.and_then(|e| self.by_exact.get(&e.join("_")))
        } else {
            word_key(window).and_then(|k| self.by_fuzzy.get(&k))
        };
        found
            .map(|words| {
                words
                    .iter()
                    .map(String::as_str)
                    .filter(|w| *w != window)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// District names found in the knowledge base, with the short forms callers use (东湖区 → 东湖).
#[derive(Debug, Default, Clone)]
pub struct RegionSet {
    /// (name as said, district), longest first.
    names: Vec<(String, String)>,
}

impl RegionSet {
    pub fn new<'a>(regions: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names = Vec::new();
        for region in regions {
            if region == CITY_WIDE || region.trim().is_empty() {
                continue;
            }
            names.push((region.to_string(), region.to_string()));
            if let Some(short) = short_form(region) {
                names.push((short, region.to_string()));
            }
        }
        names.sort_by_key(|(name, _)| std::cmp::Reverse(name.chars().count()));
        names.dedup_by(|a, b| a.0 == b.0);
        RegionSet { names }
    }

    /// The district a name stands for, when it is a full or short district name.
    pub fn district_named(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_str())
    }

    /// Full names (with their 区/县 suffix) found anywhere in `text`, as byte ranges.
    pub fn full_names_in(&self, text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
        let mut found = Vec::new();
        for (name, district) in &self.names {
            if name != district {
                continue;
            }
            for (at, _) in text.match_indices(name.as_str()) {
                found.push((at..at + name.len(), district.as_str()));
            }
        }
        found
    }
}

/// 东湖区 → 东湖, 临江县 → 临江; none when too little would remain.
fn short_form(region: &str) -> Option<String> {
    let trimmed = region
        .strip_suffix('区')
        .or_else(|| region.strip_suffix('县'))
        .or_else(|| region.strip_suffix('市'))
        .or_else(|| region.strip_suffix("新区"))?;
    (trimmed.chars().count() >= 2).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homophones_are_found_for_unknown_words_only() {
        let vocab = PhoneticVocab::new(["公积金", "补办", "驾驶证", "失业"]);
        assert_eq!(vocab.homophones("公基金"), vec!["公积金"]);
        assert_eq!(vocab.homophones("不办"), vec!["补办"]);
        assert_eq!(vocab.homophones("加时证"), vec!["驾驶证"]);
        assert!(vocab.homophones("公积金").is_empty());
    }

    #[test]
    fn two_character_windows_need_exact_pinyin() {
        let vocab = PhoneticVocab::new(["身份", "失业"]);
        // sen fen vs shen fen: fuzzy only, so not offered for two characters
        assert!(vocab.homophones("森分").is_empty());
        assert_eq!(vocab.homophones("事业"), vec!["失业"]);
    }

    #[test]
    fn districts_are_known_by_full_and_short_names() {
        let regions = RegionSet::new(["市级", "东湖区", "临江县", "高新区"]);
        assert_eq!(regions.district_named("东湖"), Some("东湖区"));
        assert_eq!(regions.district_named("临江县"), Some("临江县"));
        assert_eq!(regions.district_named("市级"), None);
        let found = regions.full_names_in("我在东湖区买房");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, "东湖区");
    }
}
