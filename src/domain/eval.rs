//! Retrieval evaluation: labelled queries and the metrics `hotline eval` reports per kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One labelled query of `knowledge/eval/queries.jsonl`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct EvalQuery {
    pub qid: String,
    pub query: String,
    /// `colloquial`, `keywords`, `asr`, `district` or `unanswerable`.
    pub kind: String,
    /// Relevant entry ids, best first; empty for unanswerable questions.
    pub relevant: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
}

/// What the system returned for one query.
#[derive(Clone, Debug)]
pub struct EvalRun {
    pub ranked: Vec<String>,
    pub no_answer: bool,
}

/// Metrics of one kind (or of all answerable queries together).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct KindMetrics {
    pub queries: usize,
    pub recall_at_1: f64,
    pub recall_at_3: f64,
    pub recall_at_5: f64,
    pub recall_at_10: f64,
    pub mrr_at_10: f64,
    /// For `unanswerable`: the share flagged `no_answer` (higher is better).
    /// For other kinds: the share wrongly flagged `no_answer` (lower is better).
    pub no_answer_rate: f64,
}

/// The first rank (1-based) at which a relevant id appears, if any.
fn first_relevant_rank(query: &EvalQuery, run: &EvalRun) -> Option<usize> {
    run.ranked
        .iter()
        .position(|id| query.relevant.iter().any(|r| r == id))
        .map(|p| p + 1)
}

/// Computes per-kind metrics. Recall@k is the share of queries with a relevant entry in the top
/// k; for `district` queries the relevant entry must be the district's own (the first listed),
/// so R@1 there is "the caller's district entry first". MRR@10 uses the first relevant rank.
pub fn evaluate(results: &[(EvalQuery, EvalRun)]) -> BTreeMap<String, KindMetrics> {
    let mut sums: BTreeMap<String, (KindMetrics, usize)> = BTreeMap::new();
    for (query, run) in results {
        let mut kinds = vec![query.kind.clone()];
        if !query.relevant.is_empty() {
            kinds.push("answerable".to_string());
        }
        let rank = if query.kind == "district" {
            run.ranked
                .iter()
                .position(|id| Some(id) == query.relevant.first())
                .map(|p| p + 1)
        } else {
            first_relevant_rank(query, run)
        };
        for kind in kinds {
            let (m, n) = sums.entry(kind).or_default();
            *n += 1;
            if let Some(r) = rank {
                m.recall_at_1 += f64::from(u8::from(r <= 1));
                m.recall_at_3 += f64::from(u8::from(r <= 3));
                m.recall_at_5 += f64::from(u8::from(r <= 5));
                m.recall_at_10 += f64::from(u8::from(r <= 10));
                if r <= 10 {
                    m.mrr_at_10 += 1.0 / r as f64;
                }
            }
            m.no_answer_rate += f64::from(u8::from(run.no_answer));
        }
    }
    sums.into_iter()
        .map(|(kind, (m, n))| {
            let d = n.max(1) as f64;
            let metrics = KindMetrics {
                queries: n,
                recall_at_1: m.recall_at_1 / d,
                recall_at_3: m.recall_at_3 / d,
                recall_at_5: m.recall_at_5 / d,
                recall_at_10: m.recall_at_10 / d,
                mrr_at_10: m.mrr_at_10 / d,
                no_answer_rate: m.no_answer_rate / d,
            };
            (kind, metrics)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: &str, relevant: &[&str]) -> EvalQuery {
        EvalQuery {
            qid: "q".into(),
            query: "x".into(),
            kind: kind.into(),
            relevant: relevant.iter().map(|s| s.to_string()).collect(),
            region: None,
        }
    }

    fn run(ranked: &[&str], no_answer: bool) -> EvalRun {
        EvalRun {
            ranked: ranked.iter().map(|s| s.to_string()).collect(),
            no_answer,
        }
    }

    #[test]
    fn recall_and_mrr_follow_the_first_relevant_rank() {
        let results = vec![
            (q("keywords", &["A"]), run(&["A", "B"], false)),
            (q("keywords", &["B"]), run(&["A", "C", "B"], false)),
            (q("keywords", &["Z"]), run(&["A"], true)),
        ];
        let m = &evaluate(&results)["keywords"];
        assert_eq!(m.queries, 3);
        assert!((m.recall_at_1 - 1.0 / 3.0).abs() < 1e-9);
        assert!((m.recall_at_3 - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.mrr_at_10 - (1.0 + 1.0 / 3.0) / 3.0).abs() < 1e-9);
        assert!((m.no_answer_rate - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn district_queries_need_the_district_entry_itself() {
        let results = vec![(
            q("district", &["D-east", "D-city"]),
            run(&["D-city", "D-east"], false),
        )];
        let m = &evaluate(&results)["district"];
        assert_eq!(m.recall_at_1, 0.0);
        assert_eq!(m.recall_at_3, 1.0);
    }

    #[test]
    fn unanswerable_queries_count_the_no_answer_flag() {
        let results = vec![
            (q("unanswerable", &[]), run(&["A"], true)),
            (q("unanswerable", &[]), run(&["A"], false)),
        ];
        let metrics = evaluate(&results);
        assert_eq!(metrics["unanswerable"].no_answer_rate, 0.5);
        assert!(!metrics.contains_key("answerable"));
    }
}
