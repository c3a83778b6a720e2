//! Character positions of a text by byte offset: the matchers report bytes, while the rules
//! about nearness and length are counted in characters.

/// The byte offset of every character of a text, and of its end.
pub struct CharOffsets(Vec<usize>);

impl CharOffsets {
    pub fn of(text: &str) -> CharOffsets {
        CharOffsets(
            text.char_indices()
                .map(|(at, _)| at)
                .chain(std::iter::once(text.len()))
                .collect(),
        )
    }

    /// The character at (or the first after) byte offset `byte`.
    pub fn char_at(&self, byte: usize) -> usize {
        self.0.partition_point(|&b| b < byte)
    }

    /// The byte offset of character `at` (the text's length for its end).
    pub fn byte_at(&self, at: usize) -> usize {
        self.0[at]
    }

    /// Characters in the text.
    pub fn len(&self) -> usize {
        self.0.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_between_bytes_and_characters() {
        let offsets = CharOffsets::of("a社保b");
        assert_eq!(offsets.len(), 4);
        assert_eq!(offsets.char_at(1), 1);
        assert_eq!(offsets.char_at(4), 2);
        assert_eq!(offsets.byte_at(3), 7);
        assert_eq!(offsets.byte_at(4), 8);
    }
}
