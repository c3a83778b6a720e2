//! How well gaps group paraphrases, for `hotline eval-gaps`: paraphrase recall (the share of
//! paraphrases in the gap holding the plurality of their need) and the mixed-gap rate (the
//! share of gaps holding paraphrases of more than one need). Both can look good when most
//! needs share one big gap, so `pure_recall` also counts only paraphrases whose gap is their
//! need's plurality gap and holds a majority of that need's paraphrases among its own.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// One line of a gap evaluation set.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapSample {
    pub need: String,
    pub text: String,
}

/// The measured grouping.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GapMetrics {
    pub paraphrases: usize,
    pub needs: usize,
    pub gaps: usize,
    pub recall: f64,
    pub mixed_rate: f64,
    pub pure_recall: f64,
}

/// `assigned[i]` is the gap of paraphrase `i` of need `needs[i]`.
pub fn gap_metrics(needs: &[&str], assigned: &[&str]) -> GapMetrics {
    let mut per_need: BTreeMap<&str, HashMap<&str, usize>> = BTreeMap::new();
    let mut per_gap: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (need, gap) in needs.iter().zip(assigned) {
        *per_need.entry(need).or_default().entry(gap).or_default() += 1;
        per_gap.entry(gap).or_default().insert(need);
    }
    let together: usize = per_need
        .values()
        .map(|gaps| gaps.values().copied().max().unwrap_or(0))
        .sum();
    let mixed = per_gap.values().filter(|n| n.len() > 1).count();
    let mut gap_sizes: HashMap<&str, usize> = HashMap::new();
    for gap in assigned {
        *gap_sizes.entry(gap).or_default() += 1;
    }
    let pure: usize = per_need
        .values()
        .filter_map(|gaps| {
            let (gap, n) = gaps
                .iter()
                .max_by_key(|(g, n)| (**n, std::cmp::Reverse(**g)))?;
            (2 * n > gap_sizes[gap]).then_some(*n)
        })
        .sum();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    GapMetrics {
        paraphrases: needs.len(),
        needs: per_need.len(),
        gaps: per_gap.len(),
        recall: ratio(together, needs.len()),
        mixed_rate: ratio(mixed, per_gap.len()),
        pure_recall: ratio(pure, needs.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_grouping_scores_one_and_zero() {
        let m = gap_metrics(&["a", "a", "b"], &["1", "1", "2"]);
        assert_eq!((m.recall, m.mixed_rate, m.gaps), (1.0, 0.0, 2));
        assert_eq!(m.pure_recall, 1.0);
    }

    #[test]
    fn split_needs_lose_recall_and_merged_needs_count_as_mixed() {
        let m = gap_metrics(&["a", "a", "a", "a", "b"], &["1", "1", "1", "2", "1"]);
        assert!((m.recall - 0.8).abs() < 1e-9);
        assert!((m.mixed_rate - 0.5).abs() < 1e-9);
        assert!((m.pure_recall - 0.6).abs() < 1e-9);
        assert_eq!(m.needs, 2);
    }
}
