//! Rerank: the order of the fused candidates. The lexical score is weighed by how much of the
//! question and of its own title each entry covers; the dense evidence (cosine near the best
//! entry's) is added to it; the caller's own district's version of the first topic goes first.

use super::candidate::{sort_by_score, Candidate};
use crate::search::params::PARAMS;
use crate::search::rank::{own_district_version, region_factor, Coverage};

/// What rerank needs to know of one candidate's words, asked lazily (only the head of the
/// list is weighed).
pub trait Measure {
    /// How much of the question the entry covers.
    fn coverage(&self, candidate: &Candidate) -> Coverage;
    /// How much of the entry's title the question says.
    fn title_match(&self, candidate: &Candidate) -> f32;
}

/// Orders the lexical candidates best first by their lexical score weighed by what they
/// cover (the head of the list only), then the caller's own district's version first.
pub fn rerank_lexical(
    candidates: &mut Vec<Candidate>,
    measure: &dyn Measure,
    region: Option<&str>,
) {
    let p = &PARAMS.rerank;
    for candidate in candidates.iter_mut().take(p.depth) {
        let covered = measure.coverage(candidate).share;
        candidate.score = candidate.lexical
            * (p.coverage_floor + covered)
            * (1.0 - p.title_miss_penalty * (1.0 - measure.title_match(candidate)));
    }
    sort_and_promote_own_district(candidates, region);
}

/// Orders the fused candidates (the lexical ones as [`rerank_lexical`] left them, then those
/// only the dense stage found): each keeps its score over the first one's and gains dense
/// evidence fading linearly with its cosine below `best_cosine`, the best of any admitted
/// entry. Then the caller's own district's version of the first topic goes first again.
pub fn rerank_fused(
    candidates: &mut Vec<Candidate>,
    best_cosine: Option<f32>,
    region: Option<&str>,
) {
    let Some(best) = best_cosine else {
        return;
    };
    let f = &PARAMS.fusion;
    let evidence = |cosine: Option<f32>| {
        cosine.map_or(0.0, |cosine| (1.0 - (best - cosine) / f.spread).max(0.0))
    };
    let (mut lexical, dense_only): (Vec<Candidate>, Vec<Candidate>) =
        candidates.drain(..).partition(|c| c.from_lexical);
    let top = lexical.first().map_or(0.0, |c| c.score).max(1e-6);
    for candidate in lexical.iter_mut() {
        candidate.score = candidate.score / top + f.dense_weight * evidence(candidate.cosine);
    }
    for mut candidate in dense_only {
        let e = evidence(candidate.cosine);
        if e > 0.0 {
            let factor = region_factor(&candidate.facts.region, region);
            candidate.score = f.dense_weight * e * factor.min(1.0);
            lexical.push(candidate);
        }
    }
    *candidates = lexical;
    sort_and_promote_own_district(candidates, region);
}

/// Sorts best first, then puts the caller's own district's version of the first hit's topic
/// first ([`own_district_version`] among the first `depth`).
fn sort_and_promote_own_district(candidates: &mut Vec<Candidate>, region: Option<&str>) {
    sort_by_score(candidates);
    let heads: Vec<(f32, &str, &str)> = candidates
        .iter()
        .take(PARAMS.rerank.depth)
        .map(|c| (c.score, &*c.facts.region, &*c.facts.category))
        .collect();
    if let Some(own) = own_district_version(&heads, region) {
        let top_score = candidates[0].score;
        let mut promoted = candidates.remove(own);
        promoted.score = top_score;
        candidates.insert(0, promoted);
    }
}
