//! Snippets: the passage of an answer that holds most of the question's words, each match
//! wrapped in `<b>…</b>` and the rest HTML-escaped, found with one Aho-Corasick pass over the
//! answer instead of tokenising it (tokenising every returned answer with jieba took a tenth
//! of a search's time).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::analysis::Concept;
use super::chars::CharOffsets;

/// Characters of an answer shown as its snippet.
pub const SNIPPET_CHARS: usize = 120;

/// Characters a passage starts before its first match when a sentence begins there.
const LEAD: usize = 16;

/// Most matches of one answer weighed when choosing the passage.
const MAX_MATCHES: usize = 256;

/// The snippet maker of one question.
pub struct Snippets {
    matcher: Option<AhoCorasick>,
    weights: Vec<f32>,
    chars: usize,
}

impl Snippets {
    /// Snippets highlighting the words of an analysed question (each concept's terms).
    pub fn of_question(concepts: &[Concept]) -> Snippets {
        let terms = concepts
            .iter()
            .flat_map(|c| c.terms.iter().cloned())
            .collect();
        Snippets::new(terms, SNIPPET_CHARS)
    }

    /// Snippets of `chars` characters highlighting `terms` (a word and its weight). Words of
    /// one character are left out when longer ones exist: they match inside too many words.
    fn new(terms: Vec<(String, f32)>, chars: usize) -> Snippets {
        let longer = terms.iter().any(|(t, _)| t.chars().count() > 1);
        let mut terms: Vec<(String, f32)> = terms
            .into_iter()
            .filter(|(t, _)| !t.is_empty() && (!longer || t.chars().count() > 1))
            .collect();
        terms.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        terms.dedup_by(|a, b| a.0 == b.0);
        let matcher = (!terms.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .kind(Some(AhoCorasickKind::NoncontiguousNFA))
                    .match_kind(MatchKind::LeftmostLongest)
                    .ascii_case_insensitive(true)
                    .build(terms.iter().map(|(t, _)| t.as_str()))
                    .ok()
            })
            .flatten();
        Snippets {
            matcher,
            weights: terms.into_iter().map(|(_, w)| w).collect(),
            chars,
        }
    }

    /// The best passage of `text`; its beginning when no word of the question occurs.
    pub fn of(&self, text: &str) -> String {
        let offsets = CharOffsets::of(text);
        let found: Vec<Found> = match &self.matcher {
            Some(matcher) => matcher
                .find_iter(text)
                .take(MAX_MATCHES)
                .map(|m| Found {
                    start: offsets.char_at(m.start()),
                    end: offsets.char_at(m.end()),
                    pattern: m.pattern().as_usize(),
                })
                .collect(),
            None => Vec::new(),
        };
        let total = offsets.len();
        let (start, end) = match self.best_window(&found, total) {
            Some(first) => self.passage(text, &offsets, found[first].start, total),
            None => (0, self.chars.min(total)),
        };
        let bytes = |at: usize| offsets.byte_at(at);
        let mut html = String::with_capacity(bytes(end) - bytes(start) + 32);
        let mut at = start;
        for m in found.iter().filter(|m| m.start >= start && m.end <= end) {
            escape_into(&text[bytes(at)..bytes(m.start)], &mut html);
            html.push_str("<b>");
            escape_into(&text[bytes(m.start)..bytes(m.end)], &mut html);
            html.push_str("</b>");
            at = m.end;
        }
        escape_into(&text[bytes(at)..bytes(end)], &mut html);
        html
    }

    /// The match a passage should start from: the one whose window of `chars` characters
    /// holds the greatest weight of distinct words (the earliest of equals).
    fn best_window(&self, found: &[Found], total: usize) -> Option<usize> {
        let mut best: Option<(usize, f32)> = None;
        let mut seen: Vec<usize> = Vec::new();
        for (i, first) in found.iter().enumerate() {
            let limit = (first.start + self.chars).min(total);
            seen.clear();
            let mut score = 0.0;
            for m in found[i..].iter().take_while(|m| m.end <= limit) {
                if !seen.contains(&m.pattern) {
                    seen.push(m.pattern);
                    score += self.weights[m.pattern];
                }
            }
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((i, score));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Start and end (in characters) of the passage around a first match at `first`: from
    /// the beginning of its sentence when that is near, `chars` long, moved back from the
    /// text's end so that it stays full.
    fn passage(
        &self,
        text: &str,
        offsets: &CharOffsets,
        first: usize,
        total: usize,
    ) -> (usize, usize) {
        let ends_sentence = |at: usize| {
            text[offsets.byte_at(at)..]
                .chars()
                .next()
                .is_some_and(|c| "。！？；\n".contains(c))
        };
        let near = first.saturating_sub(LEAD);
        let start = match (near..first).rev().find(|&at| ends_sentence(at)) {
            Some(end) => end + 1,
            None if near == 0 => 0,
            None => first,
        };
        let end = (start + self.chars).min(total);
        (start.min(end.saturating_sub(self.chars)), end)
    }
}

/// One occurrence of a word of the question, in characters.
struct Found {
    start: usize,
    end: usize,
    pattern: usize,
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippets(terms: &[(&str, f32)], chars: usize) -> Snippets {
        Snippets::new(
            terms.iter().map(|(t, w)| (t.to_string(), *w)).collect(),
            chars,
        )
    }

    #[test]
    fn highlights_the_words_of_the_question() {
        let s = snippets(&[("社保卡", 1.0), ("补办", 1.0)], 40);
        assert_eq!(
            s.of("社保卡丢失后，可到银行网点补办。"),
            "<b>社保卡</b>丢失后，可到银行网点<b>补办</b>。"
        );
    }

    #[test]
    fn chooses_the_passage_with_most_distinct_words() {
        let s = snippets(&[("公积金", 1.0), ("租房", 1.0)], 12);
        let text = "公积金可用于多种用途，说明如下。另外，租房提取公积金需要租赁合同。";
        let snippet = s.of(text);
        assert!(snippet.contains("<b>租房</b>"), "{snippet}");
        assert!(snippet.contains("<b>公积金</b>"), "{snippet}");
    }

    #[test]
    fn starts_at_the_sentence_and_stays_full_length() {
        let s = snippets(&[("材料", 1.0)], 10);
        let text = "第一句话很长很长很长很长很长很长很长很长很长。请带齐材料前往窗口办理业务";
        let snippet = s.of(text);
        assert!(snippet.starts_with("请带齐<b>材料</b>"), "{snippet}");
        let near_end = s.of("很长很长很长很长很长很长很长很长很长很长，办理材料");
        assert_eq!(
            near_end
                .replace("<b>", "")
                .replace("</b>", "")
                .chars()
                .count(),
            10
        );
    }

    #[test]
    fn without_matches_gives_the_beginning_escaped() {
        let s = snippets(&[("户口", 1.0)], 6);
        assert_eq!(s.of("a<b>c 与 d"), "a&lt;b&gt;c ");
        assert_eq!(snippets(&[], 3).of("一二三四"), "一二三");
    }

    #[test]
    fn leaves_out_single_characters_when_longer_words_exist() {
        let s = snippets(&[("房", 1.0), ("公积金", 1.0)], 20);
        assert_eq!(s.of("买房可提取公积金"), "买房可提取<b>公积金</b>");
        assert_eq!(snippets(&[("房", 1.0)], 20).of("买房"), "买<b>房</b>");
    }

    #[test]
    fn matches_latin_letters_in_any_case() {
        let s = snippets(&[("app", 1.0)], 20);
        assert_eq!(s.of("下载APP办理"), "下载<b>APP</b>办理");
    }
}
