//! The content words of a text, for grouping questions outside search (knowledge gaps):
//! jieba's default cut minus fillers, stop words and scene-setting words (我妈, 去年), each
//! word folded to one member of its synonym group so 升降梯 and 电梯 count as one word.

use super::lexicon::Lexicon;
use super::tokenizer::{is_wordlike, normalize};

impl Lexicon {
    /// The words of `text` that say what it is about, in order.
    pub fn content_terms(&self, text: &str) -> Vec<String> {
        let text = normalize(text);
        self.jieba
            .cut(&text, true)
            .into_iter()
            .map(|token| token.word)
            .filter(|w| is_wordlike(w) && !self.is_noise(w) && !self.is_context(w))
            .map(|w| {
                self.synonyms(w)
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::once(w))
                    .min()
                    .unwrap_or(w)
                    .to_string()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::search::lexicon::tests::lexicon;

    #[test]
    fn fillers_go_and_content_words_stay() {
        let terms = lexicon().content_terms("请问，那个小区电梯坏了没人修");
        assert!(terms.iter().any(|t| t.contains("电梯")), "{terms:?}");
        assert!(
            !terms.iter().any(|t| t == "请问" || t == "那个"),
            "{terms:?}"
        );
    }
}
