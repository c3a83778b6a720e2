//! Fusion: one candidate list from the lexical and the dense retrieval. Each lexical candidate
//! gets its cosine; the dense candidates the lexical stage missed join when they are within
//! the fusion spread of the best cosine (further ones could never score), read from the store.

use std::collections::HashSet;
use std::sync::Arc;

use super::candidate::Candidate;
use crate::domain::Entry;
use crate::error::AppResult;
use crate::search::params::PARAMS;
use crate::search::vectors::EntryFacts;

/// The dense retrieval's result and how to complete it.
pub struct Dense<'a> {
    /// The nearest admitted entries, best first.
    pub nearest: Vec<(f32, EntryFacts)>,
    /// The cosine of any entry (id, revision) with the question.
    pub cosine_of: &'a dyn Fn(&str, i64) -> Option<f32>,
    /// Reads an entry from the store.
    pub fetch: &'a dyn Fn(&EntryFacts) -> AppResult<Option<Arc<Entry>>>,
}

/// The lexical candidates (in lexical order) followed by the dense-only ones, and the best
/// cosine of any entry the filters admit.
pub fn fuse(mut lexical: Vec<Candidate>, dense: Dense) -> AppResult<(Vec<Candidate>, Option<f32>)> {
    let Some(best) = dense.nearest.first().map(|(c, _)| *c) else {
        return Ok((lexical, None));
    };
    let mut seen: HashSet<String> = HashSet::with_capacity(lexical.len());
    for candidate in lexical.iter_mut() {
        let facts = &candidate.facts;
        candidate.cosine = (dense.cosine_of)(&facts.id, facts.revision);
        seen.insert(facts.id.clone());
    }
    for (cosine, facts) in &dense.nearest {
        if best - cosine < PARAMS.fusion.spread && !seen.contains(&facts.id) {
            if let Some(entry) = (dense.fetch)(facts)? {
                lexical.push(Candidate::dense(facts.clone(), entry, *cosine));
            }
        }
    }
    Ok((lexical, Some(best)))
}
