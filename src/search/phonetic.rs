//! Toneless, accent-tolerant pinyin keys: the basis for matching speech-recognition homophones
//! (公基金 → 公积金, 加时证 → 驾驶证) and the near-homophones of regional accents.

use pinyin::ToPinyin;

/// The fuzzy pinyin syllable of a Han character, or `None` for anything else.
pub fn syllable(c: char) -> Option<String> {
    c.to_pinyin().map(|p| fuzzy(p.plain()))
}

/// Folds the confusions speech recognisers and southern accents make: zh/z, ch/c, sh/s, n/l
/// initials and -ng/-n finals (except -ong, which has no -on counterpart).
pub fn fuzzy(syllable: &str) -> String {
    let mut s = syllable.to_ascii_lowercase().replace('ü', "v");
    for (from, to) in [("zh", "z"), ("ch", "c"), ("sh", "s")] {
        if let Some(rest) = s.strip_prefix(from) {
            s = format!("{to}{rest}");
            break;
        }
    }
    if s.len() > 1 && s.starts_with('n') && !s.starts_with("ng") {
        s.replace_range(0..1, "l");
    }
    if s.len() > 3 && s.ends_with("ng") && !s.ends_with("ong") {
        s.pop();
    }
    s
}

/// The pinyin key of a word made only of Han characters: fuzzy syllables joined by `_`.
/// `None` when any character is not Han.
pub fn word_key(word: &str) -> Option<String> {
    let mut parts = Vec::new();
    for c in word.chars() {
        parts.push(syllable(c)?);
    }
    (!parts.is_empty()).then(|| parts.join("_"))
}

/// Whether a character is a CJK ideograph.
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homophones_share_a_key() {
        assert_eq!(word_key("公基金"), word_key("公积金"));
        assert_eq!(word_key("加时证"), word_key("驾驶证"));
        assert_eq!(word_key("不办"), word_key("补办"));
        assert_eq!(word_key("身分证"), word_key("身份证"));
    }

    #[test]
    fn accent_confusions_fold_together() {
        assert_eq!(fuzzy("zhang"), "zan");
        assert_eq!(fuzzy("shen"), "sen");
        assert_eq!(fuzzy("nan"), "lan");
        assert_eq!(fuzzy("ying"), "yin");
        assert_eq!(fuzzy("gong"), "gong");
        assert_eq!(word_key("牛奶"), word_key("流来"));
    }

    #[test]
    fn non_han_words_have_no_key() {
        assert_eq!(word_key("HPV"), None);
        assert_eq!(word_key(""), None);
    }
}
