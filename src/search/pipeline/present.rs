//! The hits as returned: each ranked candidate with its snippet and similarity, and the
//! results of the dense stage alone (`--mode dense`).

use std::sync::Arc;

use super::candidate::Candidate;
use super::{RankedEntry, SearchResults};
use crate::domain::search::QueryInterpretation;
use crate::domain::Entry;
use crate::search::params::PARAMS;
use crate::search::snippet::{Snippets, SNIPPET_CHARS};

/// The candidates as hits, with the answer's best passage as snippet (empty without
/// `snippets`: the caller asked for none). Each candidate's entry has been read; the hits get
/// their own copy of it.
pub fn hits(candidates: Vec<Candidate>, snippets: Option<&Snippets>) -> Vec<RankedEntry> {
    candidates
        .into_iter()
        .filter_map(|candidate| Some((candidate.entry?, candidate.score, candidate.cosine)))
        .map(|(entry, score, cosine)| {
            let entry = Arc::unwrap_or_clone(entry);
            let snippet = snippets.map_or_else(String::new, |s| s.of(&entry.content.answer));
            RankedEntry {
                score,
                similarity: cosine,
                snippet,
                entry,
            }
        })
        .collect()
}

/// Results of the dense stage alone.
pub fn dense_only(dense: Vec<(f32, Entry)>, limit: usize, ran: bool) -> SearchResults {
    let top = dense.first().map_or(0.0, |(c, _)| *c);
    let hits = dense
        .into_iter()
        .take(limit)
        .map(|(cosine, entry)| RankedEntry {
            snippet: entry.content.answer.chars().take(SNIPPET_CHARS).collect(),
            entry,
            score: cosine,
            similarity: Some(cosine),
        })
        .collect();
    SearchResults {
        hits,
        confidence: top,
        no_answer: top < PARAMS.dense.alone_no_answer_below,
        interpretation: QueryInterpretation {
            semantic: ran,
            ..QueryInterpretation::default()
        },
        ..SearchResults::default()
    }
}
