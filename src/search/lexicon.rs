//! The search dictionaries under `knowledge/dict/`: jieba user dictionary, synonym groups,
//! caller filler phrases and stop words, loaded once into an `Arc<Jieba>` and lookup tables.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use jieba_rs::Jieba;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

const USER_DICT: &str = "user_dict.txt";
const SYNONYMS: &str = "synonyms.txt";
const FILLERS: &str = "fillers.txt";
const STOPWORDS: &str = "stopwords.txt";

/// Dictionaries and the segmenter built from them. Shared by the index analyzers and query
/// analysis so both cut text the same way.
pub struct Lexicon {
    pub jieba: Arc<Jieba>,
    /// Each term to the other members of its synonym groups.
    synonyms: HashMap<String, Vec<String>>,
    fillers: HashSet<String>,
    stopwords: HashSet<String>,
    /// Hash of the dictionary files: an index built with other dictionaries is stale.
    pub digest: String,
}

impl Lexicon {
    /// Loads the dictionaries from `dir`. Missing files count as empty (the built-in jieba
    /// dictionary still applies); a malformed line is an error naming file and line.
    pub fn load(dir: &Path) -> AppResult<Lexicon> {
        let read = |name: &str| -> AppResult<String> {
            match std::fs::read_to_string(dir.join(name)) {
                Ok(text) => Ok(text),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    tracing::warn!(file = %dir.join(name).display(), "dictionary file missing, using none");
                    Ok(String::new())
                }
                Err(err) => Err(err.into()),
            }
        };
        Lexicon::from_texts(
            &read(USER_DICT)?,
            &read(SYNONYMS)?,
            &read(FILLERS)?,
            &read(STOPWORDS)?,
        )
    }

    /// Builds a lexicon from the text of each dictionary file.
    pub fn from_texts(
        user_dict: &str,
        synonyms: &str,
        fillers: &str,
        stopwords: &str,
    ) -> AppResult<Lexicon> {
        let mut digest = Sha256::new();
        for text in [user_dict, synonyms, fillers, stopwords] {
            digest.update(text.as_bytes());
            digest.update([0u8]);
        }
        let mut jieba = Jieba::new();
        for (line_no, line) in data_lines(user_dict) {
            let mut parts = line.split_whitespace();
            let word = parts.next().unwrap_or_default();
            let freq = match parts.next() {
                Some(f) => Some(f.parse::<usize>().map_err(|_| {
                    AppError::bad_request(
                        "invalid_dictionary",
                        format!("{USER_DICT}:{line_no}: 词频 {f:?} 应为正整数"),
                    )
                })?),
                None => None,
            };
            jieba.add_word(&word.to_lowercase(), freq, parts.next());
        }
        let mut groups: HashMap<String, Vec<String>> = HashMap::new();
        for (_, line) in data_lines(synonyms) {
            let terms: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
            for term in &terms {
                if !jieba.has_word(term) {
                    jieba.add_word(term, None, None);
                }
                let others = groups.entry(term.clone()).or_default();
                for other in &terms {
                    if other != term && !others.contains(other) {
                        others.push(other.clone());
                    }
                }
            }
        }
        let fillers: HashSet<String> = data_lines(fillers).map(|(_, l)| l.to_lowercase()).collect();
        for filler in &fillers {
            if filler.chars().count() > 1 && !jieba.has_word(filler) {
                jieba.add_word(filler, None, None);
            }
        }
        let stopwords = data_lines(stopwords)
            .map(|(_, l)| l.to_lowercase())
            .collect();
        Ok(Lexicon {
            jieba: Arc::new(jieba),
            synonyms: groups,
            fillers,
            stopwords,
            digest: format!("{:x}", digest.finalize()),
        })
    }

    /// The other members of the term's synonym groups.
    pub fn synonyms(&self, term: &str) -> &[String] {
        self.synonyms.get(term).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether a token carries no meaning for search (a filler phrase or a stop word).
    pub fn is_noise(&self, token: &str) -> bool {
        self.fillers.contains(token) || self.stopwords.contains(token)
    }

    /// All terms of the synonym table.
    pub fn synonym_terms(&self) -> impl Iterator<Item = &str> {
        self.synonyms.keys().map(String::as_str)
    }
}

/// Non-blank, non-comment lines with their 1-based numbers.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small lexicon for unit tests across the search module.
    pub fn lexicon() -> Lexicon {
        Lexicon::from_texts(
            "公积金 3000 n\n租房提取 800 n\n",
            "# 同义词\n子女 孩子 娃\n机动车驾驶证 驾驶证 驾照\n提取 取出来\n",
            "请问\n我想问一下\n那个\n",
            "的\n了\n吗\n怎么\n我\n",
        )
        .unwrap()
    }

    #[test]
    fn synonyms_are_symmetric_within_a_group() {
        let lex = lexicon();
        assert!(lex.synonyms("娃").contains(&"子女".to_string()));
        assert!(lex.synonyms("驾驶证").contains(&"驾照".to_string()));
        assert!(lex.synonyms("公积金").is_empty());
    }

    #[test]
    fn synonym_terms_stay_whole_when_segmented() {
        let lex = lexicon();
        let words: Vec<&str> = lex
            .jieba
            .cut("公积金能取出来吗", true)
            .into_iter()
            .map(|t| t.word)
            .collect();
        assert!(words.contains(&"取出来"), "{words:?}");
        assert!(words.contains(&"公积金"), "{words:?}");
    }

    #[test]
    fn fillers_and_stopwords_are_noise() {
        let lex = lexicon();
        assert!(lex.is_noise("请问"));
        assert!(lex.is_noise("的"));
        assert!(!lex.is_noise("补办"));
    }

    #[test]
    fn a_bad_frequency_names_file_and_line() {
        let err = Lexicon::from_texts("公积金 lots n", "", "", "")
            .err()
            .unwrap();
        assert!(err.message.contains("user_dict.txt:1"), "{}", err.message);
    }

    #[test]
    fn different_dictionaries_have_different_digests() {
        let a = Lexicon::from_texts("a 1", "", "", "").unwrap();
        let b = Lexicon::from_texts("b 1", "", "", "").unwrap();
        assert_ne!(a.digest, b.digest);
    }
}
