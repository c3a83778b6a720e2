//! Question forms no government service knowledge base answers, from `out_of_scope.txt`
//! (哪个牌子, 房价…会不会跌): a call asked this way gets `no_answer` unless an entry covers
//! it closely, however many of its words the entries share.

use aho_corasick::AhoCorasick;

use super::pairs::{split_pair, PairIndex, ALTERNATIVE, GAP, MAX_PART};
use crate::error::{AppError, AppResult, Code};

pub const OUT_OF_SCOPE: &str = "out_of_scope.txt";

/// One marker line: a phrase (`firsts` only) or a first part followed by a second.
#[derive(Debug)]
struct Marker {
    firsts: Vec<String>,
    thens: Vec<String>,
}

/// The markers of `out_of_scope.txt`, found in one pass over a query: the phrases by one
/// automaton, the two-part forms by a [`PairIndex`]; a marker's id is its place in the file.
#[derive(Debug)]
pub struct ScopeMarkers {
    count: usize,
    phrases: Option<AhoCorasick>,
    /// Marker id of each phrase of `phrases`.
    phrase_ids: Vec<usize>,
    pairs: PairIndex,
}

impl Default for ScopeMarkers {
    fn default() -> Self {
        ScopeMarkers::build(Vec::new())
    }
}

impl ScopeMarkers {
    /// Parses the file: one marker per line, `短语` or `A1|A2…B1|B2`; `#` starts a comment.
    /// A malformed line is an error naming file and line.
    pub fn parse(text: &str) -> AppResult<ScopeMarkers> {
        let mut markers = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| {
                AppError::new(
                    Code::InvalidDictionary,
                    format!("{OUT_OF_SCOPE}:{}: {what}", index + 1),
                )
            };
            if line.chars().any(char::is_whitespace) {
                return Err(bad("一行只写一个标记，不含空格"));
            }
            let line = line.to_lowercase();
            let marker = match split_pair(&line) {
                Some(parts) => {
                    let (firsts, thens) = parts.map_err(|what| bad(&what))?;
                    Marker { firsts, thens }
                }
                None if line.contains(ALTERNATIVE) => {
                    return Err(bad(&format!("{ALTERNATIVE} 只用在 A{GAP}B 的两段里")))
                }
                None if line.chars().count() < 2 || line.chars().count() > MAX_PART => {
                    return Err(bad(&format!("单独的短语应为 2–{MAX_PART} 个字")));
                }
                None => Marker {
                    firsts: vec![line],
                    thens: Vec::new(),
                },
            };
            markers.push(marker);
        }
        Ok(ScopeMarkers::build(markers))
    }

    fn build(markers: Vec<Marker>) -> ScopeMarkers {
        let mut phrases = Vec::new();
        let mut phrase_ids = Vec::new();
        let mut triples = Vec::new();
        for (id, marker) in markers.iter().enumerate() {
            for first in &marker.firsts {
                if marker.thens.is_empty() {
                    phrases.push(first.clone());
                    phrase_ids.push(id);
                }
                for then in &marker.thens {
                    triples.push((first.clone(), then.clone(), id));
                }
            }
        }
        ScopeMarkers {
            count: markers.len(),
            phrases: (!phrases.is_empty())
                .then(|| AhoCorasick::new(&phrases).ok())
                .flatten(),
            phrase_ids,
            pairs: PairIndex::new(triples),
        }
    }

    /// The first marker of the file said in `text` (lower-cased, as the analyzer normalises
    /// queries), as the caller said it: the phrase, or its two parts joined by `…`.
    pub fn find(&self, text: &str) -> Option<String> {
        let phrase = self.phrases.as_ref().and_then(|automaton| {
            automaton
                .find_overlapping_iter(text)
                .map(|m| (self.phrase_ids[m.pattern().as_usize()], m.range()))
                .min_by_key(|(id, range)| (*id, range.start))
        });
        let pair = self.pairs.find(text).into_iter().next();
        match (phrase, pair) {
            (Some((id, range)), pair) if pair.as_ref().is_none_or(|p| id < p.id) => {
                Some(text[range].to_string())
            }
            (_, Some(pair)) => Some(pair.said),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers() -> ScopeMarkers {
        ScopeMarkers::parse("# 推荐商家\n哪个牌子\n哪家|哪个…便宜|划算\n\n房价…会不会跌\n").unwrap()
    }

    #[test]
    fn phrases_and_two_part_forms_are_found_as_said() {
        let m = markers();
        assert_eq!(m.len(), 3);
        assert_eq!(m.find("净水器哪个牌子好").as_deref(), Some("哪个牌子"));
        assert_eq!(m.find("去香港的票哪家最便宜").as_deref(), Some("哪家…便宜"));
        assert_eq!(
            m.find("明年房价到底会不会跌").as_deref(),
            Some("房价…会不会跌")
        );
    }

    #[test]
    fn in_scope_questions_and_distant_parts_are_not_marked() {
        let m = markers();
        assert_eq!(m.find("哪家医院能办出生医学证明"), None);
        assert_eq!(m.find("公租房租金便宜吗"), None);
        // 哪家 and 便宜 more than eight characters apart belong to different thoughts
        assert_eq!(m.find("哪家窗口能办理居住证，听说办证费用便宜"), None);
    }

    #[test]
    fn a_malformed_line_names_file_and_line() {
        for (text, line) in [
            ("哪个牌子\n哪家…便宜…划算\n", 2),
            ("哪家|哪个\n", 1),
            ("# x\n\n哪\n", 3),
            ("哪家…\n", 1),
            ("这一段说法超过了八个字…便宜\n", 1),
        ] {
            let err = ScopeMarkers::parse(text).unwrap_err();
            assert!(
                err.message.contains(&format!("out_of_scope.txt:{line}:")),
                "{text:?}: {}",
                err.message
            );
        }
    }
}
