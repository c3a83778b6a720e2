//! The search dictionaries under `knowledge/dict/`: jieba user dictionary, synonym groups,
//! one-way associations from callers' situations to official terms, caller filler phrases and
//! stop words, context words and out-of-scope question forms, loaded once into an
//! `Arc<Jieba>` and lookup tables.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use jieba_rs::Jieba;
use sha2::{Digest, Sha256};

use super::pairs::{split_pair, PairIndex, ALTERNATIVE, GAP};
use super::scope::{ScopeMarkers, OUT_OF_SCOPE};
use crate::error::{AppError, AppResult, Code};

const USER_DICT: &str = "user_dict.txt";
const SYNONYMS: &str = "synonyms.txt";
const RELATED: &str = "related.txt";
const CONTEXT: &str = "context.txt";
const FILLERS: &str = "fillers.txt";
const STOPWORDS: &str = "stopwords.txt";

/// The dictionary files, by the names editors and `knowledge/dict/` know them.
pub const DICTIONARY_FILES: [&str; 7] = [
    USER_DICT,
    SYNONYMS,
    RELATED,
    CONTEXT,
    FILLERS,
    STOPWORDS,
    OUT_OF_SCOPE,
];

/// The text of one dictionary file as shipped in `knowledge/dict/` when this binary was built.
fn built_in(name: &str) -> &'static str {
    match name {
        USER_DICT => include_str!("../../knowledge/dict/user_dict.txt"),
        SYNONYMS => include_str!("../../knowledge/dict/synonyms.txt"),
        RELATED => include_str!("../../knowledge/dict/related.txt"),
        CONTEXT => include_str!("../../knowledge/dict/context.txt"),
        FILLERS => include_str!("../../knowledge/dict/fillers.txt"),
        STOPWORDS => include_str!("../../knowledge/dict/stopwords.txt"),
        OUT_OF_SCOPE => include_str!("../../knowledge/dict/out_of_scope.txt"),
        _ => "",
    }
}

/// The text of every dictionary file in `dir`; missing files count as empty. When `dir` does
/// not exist at all (the binary copied elsewhere, run from another directory), the
/// dictionaries shipped with this build, so search never silently loses its synonyms.
pub fn read_dir_texts(dir: &Path) -> AppResult<Vec<(&'static str, String)>> {
    if !dir.is_dir() {
        tracing::warn!(
            dir = %dir.display(),
            "dictionary directory missing, using the dictionaries built into this binary"
        );
        return Ok(DICTIONARY_FILES
            .iter()
            .map(|name| (*name, built_in(name).to_string()))
            .collect());
    }
    DICTIONARY_FILES
        .iter()
        .map(|name| match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => Ok((*name, text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(file = %dir.join(name).display(), "dictionary file missing, using none");
                Ok((*name, String::new()))
            }
            Err(err) => Err(err.into()),
        })
        .collect()
}

/// A situation of `related.txt` found in a query: the phrase or pattern as written in the
/// file, and the stretches of the query it covers as (first character, length).
#[derive(Clone, Debug, PartialEq)]
pub struct Situation<'a> {
    pub phrase: &'a str,
    /// What the caller said of it: the phrase, or the two parts of a pattern (我爸…走了).
    pub said: String,
    pub spans: Vec<(usize, usize)>,
}

/// Dictionaries and the segmenter built from them. Shared by the index analyzers and query
/// analysis so both cut text the same way.
pub struct Lexicon {
    pub jieba: Arc<Jieba>,
    /// Each term to the other members of its synonym groups.
    synonyms: HashMap<String, Vec<String>>,
    /// A caller's word for a situation to the official terms it implies (被辞退 → 失业).
    related: HashMap<String, Vec<String>>,
    /// Length in characters of the longest phrase of `related`.
    longest_related: usize,
    /// The `A…B` patterns of `related.txt` as written, by id in file order, found by `pairs`.
    pattern_words: Vec<String>,
    pairs: PairIndex,
    fillers: HashSet<String>,
    /// Words for who, when and where (我妈, 去年, 老家): searched, but they do not say which
    /// service a question is about.
    context: HashSet<String>,
    stopwords: HashSet<String>,
    /// Question forms no government knowledge base answers (哪个牌子).
    pub scope: ScopeMarkers,
    /// Hash of the dictionary files: an index built with other dictionaries is stale.
    pub digest: String,
}

impl Lexicon {
    /// Loads the dictionaries from `dir`. Missing files count as empty (the built-in jieba
    /// dictionary still applies); a malformed line is an error naming file and line. When
    /// `dir` does not exist at all (the binary copied elsewhere, run from another directory),
    /// the dictionaries shipped with this build are used, so search never silently loses its
    /// synonyms and fillers.
    pub fn load(dir: &Path) -> AppResult<Lexicon> {
        let texts: HashMap<&str, String> = read_dir_texts(dir)?.into_iter().collect();
        Lexicon::from_files(|name| Ok(texts.get(name).cloned().unwrap_or_default()))
    }

    /// Builds a lexicon from the text of every dictionary file by name (missing names count
    /// as empty): how the service builds it from the dictionaries stored in the database.
    pub fn from_named(texts: &[(String, String)]) -> AppResult<Lexicon> {
        Lexicon::from_files(|name| {
            Ok(texts
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, text)| text.clone())
                .unwrap_or_default())
        })
    }

    fn from_files(read: impl Fn(&str) -> AppResult<String>) -> AppResult<Lexicon> {
        let mut lexicon = Lexicon::from_texts(
            &read(USER_DICT)?,
            &read(SYNONYMS)?,
            &read(FILLERS)?,
            &read(STOPWORDS)?,
        )?;
        lexicon.add_related(&read(RELATED)?)?;
        lexicon.add_context(&read(CONTEXT)?);
        // Judges answers, not how text is cut: not part of the digest that stamps the index.
        lexicon.scope = ScopeMarkers::parse(&read(OUT_OF_SCOPE)?)?;
        Ok(lexicon)
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
                    AppError::new(
                        Code::InvalidDictionary,
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
        let stopwords: HashSet<String> = data_lines(stopwords)
            .map(|(_, l)| l.to_lowercase())
            .collect();
        // Kept whole, so that 能不能 goes as a question form rather than leaving 不能 behind.
        for stopword in &stopwords {
            if stopword.chars().count() > 1 && !jieba.has_word(stopword) {
                jieba.add_word(stopword, None, None);
            }
        }
        Ok(Lexicon {
            jieba: Arc::new(jieba),
            synonyms: groups,
            related: HashMap::new(),
            longest_related: 0,
            pattern_words: Vec::new(),
            pairs: PairIndex::new(std::iter::empty()),
            fillers,
            context: HashSet::new(),
            stopwords,
            scope: ScopeMarkers::default(),
            digest: format!("{:x}", digest.finalize()),
        })
    }

    /// Adds the associations of `related.txt`: `口语说法… => 业务用语…` per line. The official
    /// terms are kept whole by the segmenter; the dictionary digest covers the file.
    pub fn add_related(&mut self, text: &str) -> AppResult<()> {
        // Unshared while the lexicon is being loaded, so nothing is copied.
        let jieba = Arc::make_mut(&mut self.jieba);
        for (line_no, line) in data_lines(text) {
            let bad = |what: &str| {
                AppError::new(
                    Code::InvalidDictionary,
                    format!("{RELATED}:{line_no}: {what}"),
                )
            };
            let (said, meant) = line
                .split_once("=>")
                .ok_or_else(|| bad("应为“口语说法… => 业务用语…”，缺少 =>"))?;
            let said: Vec<String> = said.split_whitespace().map(str::to_lowercase).collect();
            let meant: Vec<String> = meant.split_whitespace().map(str::to_lowercase).collect();
            if said.is_empty() || meant.is_empty() {
                return Err(bad("=> 两边都至少要有一个词"));
            }
            if let Some(term) = meant
                .iter()
                .find(|t| t.contains(GAP) || t.contains(ALTERNATIVE))
            {
                return Err(bad(&format!(
                    "“{term}”：=> 右边是知识条目里的业务用语，不能用 {GAP} 或 {ALTERNATIVE}"
                )));
            }
            if let Some(word) = said
                .iter()
                .find(|w| w.contains(ALTERNATIVE) && !w.contains(GAP))
            {
                return Err(bad(&format!(
                    "“{word}”：{ALTERNATIVE} 只用在 A{GAP}B 的两段里"
                )));
            }
            for word in said.iter().chain(&meant) {
                if let Some(parts) = split_pair(word) {
                    parts.map_err(|what| bad(&what))?;
                    self.pattern_words.push(word.clone());
                    continue;
                }
                // Official terms stay whole in entries and queries alike. What callers say is
                // found by `situations_in` however it was cut; as a dictionary word it would
                // also re-cut the entries' own text (买了套二手 out of 买了套二手房).
                if meant.contains(word) && !jieba.has_word(word) {
                    jieba.add_word(word, None, None);
                }
            }
            for word in &said {
                if !word.contains(GAP) {
                    self.longest_related = self.longest_related.max(word.chars().count());
                }
                let targets = self.related.entry(word.clone()).or_default();
                for term in &meant {
                    if term != word && !targets.contains(term) {
                        targets.push(term.clone());
                    }
                }
            }
        }
        // Every variant (A, B) of every pattern so far, under the pattern's id.
        let variants = self
            .pattern_words
            .iter()
            .enumerate()
            .flat_map(|(id, word)| {
                let (firsts, thens) = split_pair(word).and_then(Result::ok).unwrap_or_default();
                firsts.into_iter().flat_map(move |first| {
                    thens
                        .clone()
                        .into_iter()
                        .map(move |then| (first.clone(), then, id))
                })
            });
        self.pairs = PairIndex::new(variants);
        self.fold_into_digest(b"", text);
        Ok(())
    }

    /// Adds the words of `context.txt` (whitespace-separated, any number per line).
    pub fn add_context(&mut self, text: &str) {
        // Unshared while the lexicon is being loaded, so nothing is copied.
        let jieba = Arc::make_mut(&mut self.jieba);
        for (_, line) in data_lines(text) {
            for word in line.split_whitespace().map(str::to_lowercase) {
                if word.chars().count() > 1 && !jieba.has_word(&word) {
                    jieba.add_word(&word, None, None);
                }
                self.context.insert(word);
            }
        }
        self.fold_into_digest(b"context", text);
    }

    /// Folds one more dictionary file into the digest that stamps the index.
    fn fold_into_digest(&mut self, label: &[u8], text: &str) {
        let mut digest = Sha256::new();
        digest.update(self.digest.as_bytes());
        digest.update(label);
        digest.update(text.as_bytes());
        self.digest = format!("{:x}", digest.finalize());
    }

    /// Whether a word only sets the scene: a person, time or place of `context.txt`, or a
    /// number or amount (七十多, 三千块, 二十多年, 16岁).
    pub fn is_context(&self, word: &str) -> bool {
        self.context.contains(word) || is_amount(word)
    }

    /// Situations of `related.txt` said anywhere in `text`, however the segmenter cut it:
    /// phrases (longest first where they overlap) and `A…B` patterns (A, then B at most
    /// [`super::pairs::MAX_GAP`] characters later: 我爸…走了 in 我爸上个月走了).
    pub fn situations_in(&self, text: &str) -> Vec<Situation<'_>> {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| at)
            .chain(std::iter::once(text.len()))
            .collect();
        let chars = bounds.len() - 1;
        let mut found = Vec::new();
        let mut covered_until = 0;
        for start in 0..chars {
            for len in (2..=self.longest_related.min(chars - start)).rev() {
                let said = &text[bounds[start]..bounds[start + len]];
                if let Some((phrase, _)) = self.related.get_key_value(said) {
                    if start + len > covered_until {
                        found.push(Situation {
                            phrase,
                            said: phrase.clone(),
                            spans: vec![(start, len)],
                        });
                        covered_until = start + len;
                    }
                    break;
                }
            }
        }
        for pair in self.pairs.find(text) {
            found.push(Situation {
                phrase: &self.pattern_words[pair.id],
                said: pair.said,
                spans: vec![pair.first, pair.then],
            });
        }
        found
    }

    /// The official terms a caller's word implies, from `related.txt`.
    pub fn related(&self, term: &str) -> &[String] {
        self.related.get(term).map(Vec::as_slice).unwrap_or(&[])
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

/// Numbers and amounts as callers say them: numerals with at most a unit or two after them.
fn is_amount(word: &str) -> bool {
    const NUMERALS: &str = "0123456789零一二两三四五六七八九十百千万亿几多半来";
    const UNITS: &str = "个岁年月天日号周块元次遍层楼栋套间家口人分秒小时";
    let numerals = word.chars().take_while(|c| NUMERALS.contains(*c)).count();
    let rest = word.chars().skip(numerals);
    numerals > 0
        && rest.clone().count() <= 2
        && rest.clone().all(|c| UNITS.contains(c))
        && !word.chars().all(|c| "多半来几".contains(c))
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
    fn without_a_dictionary_directory_the_shipped_dictionaries_apply() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge/dict");
        let from_disk = Lexicon::load(&shipped).unwrap();
        let built_in = Lexicon::load(&shipped.join("no-such-directory")).unwrap();
        assert_eq!(built_in.digest, from_disk.digest);
        assert!(built_in.synonyms("驾驶证").contains(&"驾照".to_string()));
        assert!(built_in.scope.find("这个牌子和那个哪个牌子好").is_some());
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
    fn related_terms_point_one_way_and_keep_official_terms_whole() {
        let mut lex = lexicon();
        let before = lex.digest.clone();
        lex.add_related("# 劳动\n被辞退 被裁员 => 失业 失业保险金 失业登记\n")
            .unwrap();
        assert_eq!(lex.related("被裁员"), ["失业", "失业保险金", "失业登记"]);
        assert!(lex.related("失业").is_empty());
        assert_ne!(lex.digest, before);
        let words: Vec<&str> = lex
            .jieba
            .cut("我被裁员了，想办失业登记", true)
            .into_iter()
            .map(|t| t.word)
            .collect();
        // The caller's phrase is found by situations_in, not by the segmenter, so that it
        // does not re-cut the entries' own text.
        assert!(words.contains(&"失业登记"), "{words:?}");
        assert!(!words.contains(&"被裁员"), "{words:?}");
        let spans: Vec<_> = lex
            .situations_in("去年被裁员了，又被辞退")
            .into_iter()
            .map(|s| (s.phrase, s.spans))
            .collect();
        assert_eq!(
            spans,
            vec![("被裁员", vec![(2, 3)]), ("被辞退", vec![(8, 3)])]
        );
    }

    #[test]
    fn patterns_find_two_parts_said_close_together() {
        let mut lex = lexicon();
        lex.add_related("我爸…走了 => 去世\n").unwrap();
        assert_eq!(lex.related("我爸…走了"), ["去世"]);
        let found = lex.situations_in("我爸上个月走了，社保怎么办");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].spans, vec![(0, 2), (5, 2)]);
        assert_eq!(found[0].said, "我爸…走了");
        assert!(lex
            .situations_in("我爸说他那个老同学上个礼拜走了")
            .is_empty());
        assert!(lex.add_related("…走了 => 去世").is_err());
        assert!(lex.add_related("我爸…走了 => 去…世").is_err());
        assert!(lex.add_related("我爸|我妈 => 父母").is_err());
        lex.add_related("老板|包工头…跑了|联系不上 => 拖欠工资\n")
            .unwrap();
        let found = lex.situations_in("干了半年活，包工头一分钱没结就联系不上了");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].phrase, "老板|包工头…跑了|联系不上");
    }

    #[test]
    fn a_related_line_without_arrow_names_file_and_line() {
        let mut lex = lexicon();
        let err = lex.add_related("\n被辞退 失业\n").err().unwrap();
        assert!(err.message.contains("related.txt:2"), "{}", err.message);
    }

    #[test]
    fn people_times_places_and_amounts_are_context() {
        let mut lex = lexicon();
        lex.add_context("我妈 去年\n老家\n");
        for word in [
            "我妈",
            "去年",
            "老家",
            "七十多",
            "三千块",
            "二十多年",
            "16岁",
            "一万多",
        ] {
            assert!(lex.is_context(word), "{word}");
        }
        for word in ["公积金", "多少", "一次性", "十字路口"] {
            assert!(!lex.is_context(word), "{word}");
        }
    }

    #[test]
    fn different_dictionaries_have_different_digests() {
        let a = Lexicon::from_texts("a 1", "", "", "").unwrap();
        let b = Lexicon::from_texts("b 1", "", "", "").unwrap();
        assert_ne!(a.digest, b.digest);
    }
}
