//! Grouping unanswered questions into knowledge gaps, incrementally: each observation joins
//! the open (or dismissed) gap whose members are most similar to it on average (average
//! linkage: the dot product with the members' sum over their number, so a gap that has
//! drifted wide attracts less) when that reaches the threshold, else it opens a new gap. Features are sentence vectors when the model is
//! loaded, else weighted character bigrams of the question's content words; both are compared
//! by cosine. Plain Rust: the app feeds it, the database keeps what it decided.

use std::collections::HashMap;

/// Mean cosine a question must reach with a gap's members to join it, with sentence vectors
/// (fitted on `knowledge/eval/gaps.jsonl`, see the README).
pub const DENSE_THRESHOLD: f32 = 0.905;
/// The same for character-bigram features (fitted on the same set).
pub const LEXICAL_THRESHOLD: f32 = 0.25;
/// Member texts kept per gap in memory for picking its representative question.
const MEMBERS_KEPT: usize = 64;

/// What a question is compared by: unit-length vectors either way.
#[derive(Clone, Debug, PartialEq)]
pub enum Features {
    Dense(Vec<f32>),
    Sparse(HashMap<String, f32>),
}

impl Features {
    /// Character bigrams of the question's content words (run together, so a phrase split
    /// into words still matches) plus the words themselves, L2-normalised.
    pub fn lexical(terms: &[String]) -> Features {
        let mut weights: HashMap<String, f32> = HashMap::new();
        let joined: Vec<char> = terms.concat().chars().collect();
        for pair in joined.windows(2) {
            *weights.entry(pair.iter().collect()).or_default() += 1.0;
        }
        for term in terms {
            *weights.entry(term.clone()).or_default() += 1.0;
        }
        Features::Sparse(weights).normalized()
    }

    pub fn dense(vector: Vec<f32>) -> Features {
        Features::Dense(vector).normalized()
    }

    fn norm(&self) -> f32 {
        match self {
            Features::Dense(v) => v.iter().map(|x| x * x).sum::<f32>().sqrt(),
            Features::Sparse(m) => m.values().map(|x| x * x).sum::<f32>().sqrt(),
        }
    }

    fn normalized(mut self) -> Features {
        let norm = self.norm();
        if norm > 0.0 {
            match &mut self {
                Features::Dense(v) => v.iter_mut().for_each(|x| *x /= norm),
                Features::Sparse(m) => m.values_mut().for_each(|x| *x /= norm),
            }
        }
        self
    }

    fn dot(&self, other: &Features) -> f32 {
        match (self, other) {
            (Features::Dense(a), Features::Dense(b)) => a.iter().zip(b).map(|(x, y)| x * y).sum(),
            (Features::Sparse(a), Features::Sparse(b)) => {
                let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
                small
                    .iter()
                    .filter_map(|(k, x)| large.get(k).map(|y| x * y))
                    .sum()
            }
            _ => 0.0,
        }
    }

    /// Cosine similarity (0 for features of different kinds).
    pub fn cosine(&self, other: &Features) -> f32 {
        let denominator = self.norm() * other.norm();
        if denominator > 0.0 {
            self.dot(other) / denominator
        } else {
            0.0
        }
    }

    fn add(&mut self, other: &Features) {
        match (self, other) {
            (Features::Dense(a), Features::Dense(b)) if a.len() == b.len() => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y)
            }
            (Features::Sparse(a), Features::Sparse(b)) => {
                for (k, y) in b {
                    *a.entry(k.clone()).or_default() += y;
                }
            }
            _ => {}
        }
    }
}

/// One gap as the grouper holds it: the sum of its members' features (the centroid, up to
/// scale) and some member texts.
#[derive(Clone, Debug)]
struct Cluster {
    id: String,
    sum: Features,
    count: usize,
    members: Vec<(String, Features)>,
}

/// Where an observation went.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub gap_id: String,
    /// Whether the observation opened this gap.
    pub opened: bool,
    /// Mean cosine with the members of the gap it joined (1 for a new gap).
    pub similarity: f32,
}

/// The gaps observations may still join, and the threshold.
#[derive(Clone, Debug)]
pub struct Grouper {
    threshold: f32,
    clusters: Vec<Cluster>,
}

impl Grouper {
    pub fn new(threshold: f32) -> Grouper {
        Grouper {
            threshold,
            clusters: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// Loads a stored gap with its members (as placed earlier).
    pub fn restore(&mut self, id: &str, members: Vec<(String, Features)>) {
        for (text, features) in members {
            self.join(id, text, features);
        }
    }

    /// Forgets a gap (resolved: its need is answered now).
    pub fn remove(&mut self, id: &str) {
        self.clusters.retain(|c| c.id != id);
    }

    /// The best gap for `features` at or above the threshold, with its mean cosine.
    pub fn best(&self, features: &Features) -> Option<(&str, f32)> {
        self.clusters
            .iter()
            .map(|c| (c.id.as_str(), features.dot(&c.sum) / c.count.max(1) as f32))
            .filter(|(_, sim)| *sim >= self.threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Places one observation: into the best gap, or a new one with id `new_id()`.
    pub fn place(
        &mut self,
        text: &str,
        features: Features,
        new_id: impl FnOnce() -> String,
    ) -> Placement {
        let (gap_id, opened, similarity) = match self.best(&features) {
            Some((id, sim)) => (id.to_string(), false, sim),
            None => (new_id(), true, 1.0),
        };
        self.join(&gap_id, text.to_string(), features);
        Placement {
            gap_id,
            opened,
            similarity,
        }
    }

    fn join(&mut self, id: &str, text: String, features: Features) {
        match self.clusters.iter_mut().find(|c| c.id == id) {
            Some(cluster) => {
                cluster.sum.add(&features);
                cluster.count += 1;
                if cluster.members.len() < MEMBERS_KEPT {
                    cluster.members.push((text, features));
                }
            }
            None => self.clusters.push(Cluster {
                id: id.to_string(),
                sum: features.clone(),
                count: 1,
                members: vec![(text, features)],
            }),
        }
    }

    /// The gap's readable question: the member closest to the centroid, preferring a short
    /// complete sentence (long transcripts and two-word fragments lose a little).
    pub fn representative(&self, id: &str) -> Option<String> {
        let cluster = self.clusters.iter().find(|c| c.id == id)?;
        cluster
            .members
            .iter()
            .map(|(text, f)| (text, f.cosine(&cluster.sum) - length_penalty(text)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(text, _)| text.clone())
    }
}

fn length_penalty(text: &str) -> f32 {
    let chars = text.chars().count();
    match chars {
        0..=5 => 0.15,
        6..=30 => 0.0,
        n => 0.004 * (n - 30) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Features {
        Features::lexical(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn cosine_of_bigram_features_follows_shared_words() {
        let a = words(&["电梯", "坏"]);
        let b = words(&["电梯", "停", "好几天"]);
        let c = words(&["路灯", "坏"]);
        assert!((a.cosine(&a) - 1.0).abs() < 1e-5);
        assert!(a.cosine(&b) > 0.0);
        assert!(a.cosine(&b) > words(&["好几天"]).cosine(&c));
        assert_eq!(Features::dense(vec![1.0, 0.0]).cosine(&a), 0.0);
    }

    #[test]
    fn close_observations_join_and_far_ones_open_a_gap() {
        let mut grouper = Grouper::new(0.5);
        let mut next = 0;
        let mut id = || {
            next += 1;
            format!("g{next}")
        };
        let first = grouper.place("电梯坏了", Features::dense(vec![1.0, 0.1, 0.0]), &mut id);
        let second = grouper.place("电梯停了", Features::dense(vec![0.9, 0.2, 0.0]), &mut id);
        let third = grouper.place("路灯坏了", Features::dense(vec![0.0, 0.1, 1.0]), &mut id);
        assert!(first.opened && !second.opened && third.opened);
        assert_eq!(first.gap_id, second.gap_id);
        assert_ne!(first.gap_id, third.gap_id);
        grouper.remove(&third.gap_id);
        assert_eq!(grouper.len(), 1);
    }

    #[test]
    fn representative_prefers_a_central_short_sentence() {
        let mut grouper = Grouper::new(0.0);
        let long = format!("喂你好，{}我们小区电梯坏了", "那个就是说".repeat(10));
        grouper.restore(
            "g",
            vec![
                ("电梯".into(), Features::dense(vec![1.0, 0.0])),
                (long, Features::dense(vec![1.0, 0.05])),
                ("小区电梯坏了没人修".into(), Features::dense(vec![1.0, 0.1])),
            ],
        );
        assert_eq!(grouper.representative("g").unwrap(), "小区电梯坏了没人修");
        assert_eq!(grouper.representative("none"), None);
    }
}
