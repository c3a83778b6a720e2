//! Two-part phrases (我爸…走了: A, then B at most a few characters later) found in one pass
//! over a text with Aho-Corasick automata, however many of them the dictionaries hold: a
//! 2,000-character transcript is scanned once for every first part and once for every second.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use super::chars::CharOffsets;

/// Separates the two parts of a form (我爸…走了).
pub const GAP: char = '…';
/// Separates alternative wordings of one part (我爸|我妈…走了).
pub const ALTERNATIVE: char = '|';
/// Longest wording of one part, in characters.
pub const MAX_PART: usize = 8;
/// Most characters between the end of the first part and the start of the second.
pub const MAX_GAP: usize = 8;

/// The wordings of the first and of the second part of a two-part form.
pub type Wordings = (Vec<String>, Vec<String>);

/// The wordings of each part of a two-part form `A1|A2…B1|B2`: `None` when `form` has no
/// [`GAP`], else the parts or what is wrong with them (for a `file:line:` error).
pub fn split_pair(form: &str) -> Option<Result<Wordings, String>> {
    let (firsts, thens) = form.split_once(GAP)?;
    let wordings =
        |part: &str| -> Vec<String> { part.split(ALTERNATIVE).map(str::to_string).collect() };
    let (firsts, thens) = (wordings(firsts), wordings(thens));
    let bad = firsts
        .iter()
        .chain(&thens)
        .any(|w| w.is_empty() || w.contains(GAP) || w.chars().count() > MAX_PART);
    Some(if bad {
        Err(format!(
            "“{form}”：{GAP} 两边各要有一段不超过 {MAX_PART} 个字的文字（可用 {ALTERNATIVE} 分隔几种说法），且只能有一个 {GAP}"
        ))
    } else {
        Ok((firsts, thens))
    })
}

/// A two-part phrase found: which one, the (first character, length) of each part, and the
/// two parts as said, joined by [`GAP`] (我爸…走了).
#[derive(Clone, Debug, PartialEq)]
pub struct PairMatch {
    pub id: usize,
    pub first: (usize, usize),
    pub then: (usize, usize),
    pub said: String,
}

/// Every `A…B` form of a dictionary, each with the id it was added under.
#[derive(Debug)]
pub struct PairIndex {
    firsts: Option<AhoCorasick>,
    thens: Option<AhoCorasick>,
    /// For each first part: (second part, id) in the order they were added.
    pairs: Vec<Vec<(usize, usize)>>,
    /// Length in characters of each first and each second part.
    first_chars: Vec<usize>,
    then_chars: Vec<usize>,
}

impl PairIndex {
    /// Builds the automata for `(first, then, id)` triples.
    pub fn new(triples: impl IntoIterator<Item = (String, String, usize)>) -> Self {
        let mut first_ids: HashMap<String, usize> = HashMap::new();
        let mut then_ids: HashMap<String, usize> = HashMap::new();
        let mut first_texts = Vec::new();
        let mut then_texts = Vec::new();
        let mut pairs: Vec<Vec<(usize, usize)>> = Vec::new();
        for (first, then, id) in triples {
            let f = *first_ids.entry(first.clone()).or_insert_with(|| {
                first_texts.push(first);
                pairs.push(Vec::new());
                first_texts.len() - 1
            });
            let t = *then_ids.entry(then.clone()).or_insert_with(|| {
                then_texts.push(then);
                then_texts.len() - 1
            });
            if !pairs[f].contains(&(t, id)) {
                pairs[f].push((t, id));
            }
        }
        let automaton = |texts: &[String]| {
            if texts.is_empty() {
                return None;
            }
            // Every occurrence, overlapping ones included: 走了 inside 老人走了.
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(texts)
                .ok()
        };
        let chars = |texts: &[String]| texts.iter().map(|t| t.chars().count()).collect();
        PairIndex {
            firsts: automaton(&first_texts),
            thens: automaton(&then_texts),
            pairs,
            first_chars: chars(&first_texts),
            then_chars: chars(&then_texts),
        }
    }

    /// The pairs said in `text`, each id once (at its earliest first part that has a second
    /// part close enough), ordered by id.
    pub fn find(&self, text: &str) -> Vec<PairMatch> {
        let (Some(firsts), Some(thens)) = (&self.firsts, &self.thens) else {
            return Vec::new();
        };
        let offsets = CharOffsets::of(text);
        let char_at = |byte: usize| offsets.char_at(byte);
        // Start characters of every second part, per second part, ascending.
        let mut then_starts: Vec<Vec<usize>> = vec![Vec::new(); self.then_chars.len()];
        for m in thens.find_overlapping_iter(text) {
            then_starts[m.pattern().as_usize()].push(char_at(m.start()));
        }
        let mut found: HashMap<usize, PairMatch> = HashMap::new();
        for m in firsts.find_overlapping_iter(text) {
            let first = m.pattern().as_usize();
            let (start, end) = (char_at(m.start()), char_at(m.end()));
            for &(then, id) in &self.pairs[first] {
                if found.contains_key(&id) {
                    continue;
                }
                let starts = &then_starts[then];
                let next = starts.partition_point(|&s| s < end);
                if let Some(&at) = starts.get(next).filter(|&&at| at - end <= MAX_GAP) {
                    let len = self.then_chars[then];
                    found.insert(
                        id,
                        PairMatch {
                            id,
                            first: (start, self.first_chars[first]),
                            then: (at, len),
                            said: format!(
                                "{}{GAP}{}",
                                &text[m.start()..m.end()],
                                &text[offsets.byte_at(at)..offsets.byte_at(at + len)]
                            ),
                        },
                    );
                }
            }
        }
        let mut found: Vec<PairMatch> = found.into_values().collect();
        found.sort_by_key(|m| m.id);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> PairIndex {
        PairIndex::new([
            ("我爸".to_string(), "走了".to_string(), 0),
            ("我妈".to_string(), "走了".to_string(), 0),
            ("老板".to_string(), "跑了".to_string(), 1),
            ("房价".to_string(), "会不会跌".to_string(), 2),
        ])
    }

    #[test]
    fn both_parts_close_together_are_found_with_their_spans() {
        let found = index().find("我爸上个月走了，老板也跑了");
        assert_eq!(
            found,
            vec![
                PairMatch {
                    id: 0,
                    first: (0, 2),
                    then: (5, 2),
                    said: "我爸…走了".into(),
                },
                PairMatch {
                    id: 1,
                    first: (8, 2),
                    then: (11, 2),
                    said: "老板…跑了".into(),
                },
            ]
        );
    }

    #[test]
    fn parts_too_far_apart_or_in_the_wrong_order_are_not_a_match() {
        let index = index();
        assert!(index
            .find("我爸说他那个在外地工作的老同学上个礼拜走了")
            .is_empty());
        assert!(index.find("走了以后我爸").is_empty());
        // a later first part can still pair when the earlier one is too far away
        let found = index.find("我爸身体一直都很好很好很好很好，我妈前天走了");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].first, (16, 2));
    }

    #[test]
    fn a_form_splits_into_its_wordings_or_says_what_is_wrong() {
        assert_eq!(
            split_pair("我爸|我妈…走了"),
            Some(Ok((
                vec!["我爸".into(), "我妈".into()],
                vec!["走了".into()]
            )))
        );
        assert_eq!(split_pair("被辞退"), None);
        for bad in [
            "我爸…",
            "…走了",
            "我爸||我妈…走了",
            "我爸…走了…又",
            "这一段说法超过了八个字…走了",
        ] {
            assert!(matches!(split_pair(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let empty = PairIndex::new(std::iter::empty());
        assert!(empty.find("我爸走了").is_empty());
    }
}
