//! The XLM-R SentencePiece unigram tokenizer, built from the pieces, scores and normalisation
//! table in the model file: normalise, mark word starts with ▁, then choose the segmentation
//! with the highest total piece score (Viterbi).
//!
//! Every detail that decides a token id follows the reference engine, so ids are identical:
//! each code point found in the table is replaced by its (possibly empty) replacement; runs of
//! spaces collapse to one; a ▁ is prepended unless the text starts with a space; every space
//! becomes ▁ (trailing ones included). Scores add up in f32; a candidate replaces the best path
//! to a position only when strictly better, candidates being tried from the leftmost start and
//! shortest piece; a character no piece covers becomes `<unk>`, scored 10 below the lowest piece.
//! The text ends at its first NUL, as a C string would.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::format::Vocab;

const SPACE: u32 = 0x20;
/// U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's word-start mark.
const WORD_START: u32 = 0x2581;
/// Below any reachable path score.
const UNREACHED: f32 = -1e30;

pub(crate) struct Tokenizer {
    pieces: HashMap<Box<[u8]>, u32, BuildHasherDefault<Fnv>>,
    scores: Vec<f32>,
    /// Code point → range of `replacements`.
    normalisation: HashMap<u32, (u32, u32), BuildHasherDefault<Fnv>>,
    replacements: Vec<u32>,
    unk_score: f32,
    longest_piece: usize,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
}

impl Tokenizer {
    pub fn new(vocab: &Vocab) -> Tokenizer {
        let count = vocab.scores.len();
        let mut pieces = HashMap::with_capacity_and_hasher(count, Default::default());
        let mut longest_piece = 1;
        for id in 0..count {
            let piece = &vocab.blob[vocab.offsets[id] as usize..vocab.offsets[id + 1] as usize];
            longest_piece = longest_piece.max(piece.len());
            // The first of two identical pieces wins; empty pieces can never match.
            if !piece.is_empty() {
                pieces.entry(piece.into()).or_insert(id as u32);
            }
        }
        let lowest = vocab.scores.iter().copied().fold(f32::INFINITY, f32::min);
        let mut normalisation = HashMap::with_hasher(Default::default());
        let mut replacements = Vec::new();
        for (cp, out) in &vocab.normalisation {
            let start = replacements.len() as u32;
            replacements.extend_from_slice(out);
            normalisation
                .entry(*cp)
                .or_insert((start, replacements.len() as u32));
        }
        Tokenizer {
            pieces,
            scores: vocab.scores.clone(),
            normalisation,
            replacements,
            unk_score: lowest - 10.0,
            longest_piece,
            bos: vocab.bos,
            eos: vocab.eos,
            unk: vocab.unk,
        }
    }

    /// The content token ids of `text` (no `<s>`/`</s>`).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let (bytes, starts) = self.normalise(text);
        self.viterbi(&bytes, &starts)
    }

    /// Normalised UTF-8 bytes with ▁ word marks, and the byte offset of every character
    /// (plus the end).
    fn normalise(&self, text: &str) -> (Vec<u8>, Vec<usize>) {
        let text = text.split('\0').next().unwrap_or("");
        let mut cps: Vec<u32> = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            let cp = c as u32;
            match self.normalisation.get(&cp) {
                Some(&(a, b)) => {
                    for &out in &self.replacements[a as usize..b as usize] {
                        if !(out == SPACE && cps.last() == Some(&SPACE)) {
                            cps.push(out);
                        }
                    }
                }
                None if cp == SPACE && cps.last() == Some(&SPACE) => {}
                None => cps.push(cp),
            }
        }
        if cps.first() != Some(&SPACE) {
            cps.insert(0, SPACE);
        }
        let mut bytes = Vec::with_capacity(cps.len() * 3);
        let mut starts = Vec::with_capacity(cps.len() + 1);
        for cp in cps {
            starts.push(bytes.len());
            push_utf8(&mut bytes, if cp == SPACE { WORD_START } else { cp });
        }
        starts.push(bytes.len());
        (bytes, starts)
    }

    fn viterbi(&self, bytes: &[u8], starts: &[usize]) -> Vec<u32> {
        let n = starts.len() - 1;
        let mut best = vec![UNREACHED; n + 1];
        // (piece id or `unk`, start character) of the best path ending at each character.
        let mut back = vec![(self.unk, 0usize); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= UNREACHED / 10.0 {
                continue;
            }
            let from = starts[i];
            for end in i + 1..=n {
                let len = starts[end] - from;
                if len > self.longest_piece {
                    break;
                }
                if let Some(&id) = self.pieces.get(&bytes[from..starts[end]]) {
                    if id == self.unk {
                        continue;
                    }
                    let score = best[i] + self.scores[id as usize];
                    if score > best[end] {
                        best[end] = score;
                        back[end] = (id, i);
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (self.unk, i);
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (id, from) = back[at];
            ids.push(id);
            at = from;
        }
        ids.reverse();
        ids
    }
}

/// Encodes any code point the table may produce, surrogates included, as the reference does.
fn push_utf8(out: &mut Vec<u8>, cp: u32) {
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => out.extend_from_slice(&[
            0xe0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xf0 | ((cp >> 18) & 0x07) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
    }
}

/// FNV-1a: fast on the short byte strings and code points this table hashes.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::format::ModelFile;
    use crate::embed::testmodel::tiny_model;

    fn ids(text: &str) -> Vec<u32> {
        let (_, vocab) = ModelFile::from_bytes(tiny_model()).unwrap();
        Tokenizer::new(&vocab).encode(text)
    }

    #[test]
    fn the_best_scoring_segmentation_wins() {
        assert_eq!(ids("ab"), [8]); // ▁ab (−4.5) beats ▁ + ab (−8)
        assert_eq!(ids("a b"), [4, 5, 4, 6]);
        assert_eq!(ids("社保"), [13]);
        assert_eq!(ids("保社"), [4, 12, 11]);
        assert_eq!(ids("query: ab"), [9, 10, 8]);
    }

    #[test]
    fn spaces_collapse_and_mark_words_like_the_reference() {
        assert_eq!(ids(""), [4]);
        assert_eq!(ids("  ab"), [8]); // a leading space is the word mark itself
        assert_eq!(ids("ab  \t b"), [8, 4, 6]);
        assert_eq!(ids("ab "), [8, 4]); // trailing spaces are kept
    }

    #[test]
    fn the_normalisation_table_applies_per_code_point() {
        assert_eq!(ids("Ａb"), [8]);
        assert_eq!(ids("a\u{1}b"), [8]);
    }

    #[test]
    fn unknown_characters_become_unk_and_nul_ends_the_text() {
        assert_eq!(ids("x"), [4, 3]);
        assert_eq!(ids("ax社"), [4, 5, 3, 11]);
        assert_eq!(ids("a\0b"), [4, 5]);
    }
}
