//! Repeated appeals (重复诉求): how alike two calls are, by the problem they describe (shared
//! character pairs of their summaries) and the place (same district, overlapping address).

use std::collections::HashMap;

/// The text features of one call.
#[derive(Clone, Debug, Default)]
pub struct CallText {
    bigrams: HashMap<(char, char), f32>,
    norm: f32,
    region: Option<String>,
    address: Vec<char>,
}

fn is_content(c: char) -> bool {
    c.is_alphanumeric()
}

fn bigrams(text: &str) -> HashMap<(char, char), f32> {
    let chars: Vec<char> = text.chars().filter(|c| is_content(*c)).collect();
    let mut counts = HashMap::new();
    for pair in chars.windows(2) {
        *counts.entry((pair[0], pair[1])).or_insert(0.0) += 1.0;
    }
    counts
}

impl CallText {
    pub fn new(content: &str, region: Option<&str>, address: Option<&str>) -> CallText {
        let bigrams = bigrams(content);
        let norm = bigrams.values().map(|v| v * v).sum::<f32>().sqrt();
        CallText {
            bigrams,
            norm,
            region: region.map(str::to_string),
            address: address
                .unwrap_or_default()
                .chars()
                .filter(|c| is_content(*c))
                .collect(),
        }
    }

    /// Cosine of the character-pair counts of the two summaries.
    fn problem_similarity(&self, other: &CallText) -> f32 {
        if self.norm == 0.0 || other.norm == 0.0 {
            return 0.0;
        }
        let dot: f32 = self
            .bigrams
            .iter()
            .filter_map(|(k, v)| other.bigrams.get(k).map(|w| v * w))
            .sum();
        dot / (self.norm * other.norm)
    }

    /// Share of the shorter address found in the longer one as character pairs.
    fn address_overlap(&self, other: &CallText) -> f32 {
        let (short, long) = if self.address.len() <= other.address.len() {
            (&self.address, &other.address)
        } else {
            (&other.address, &self.address)
        };
        if short.len() < 2 {
            return 0.0;
        }
        let long_pairs: std::collections::HashSet<(char, char)> =
            long.windows(2).map(|p| (p[0], p[1])).collect();
        let shared = short
            .windows(2)
            .filter(|p| long_pairs.contains(&(p[0], p[1])))
            .count();
        shared as f32 / (short.len() - 1) as f32
    }

    /// 0–1: mostly the problem, raised when the place is the same, lowered when the district
    /// differs (the same words about another place are another appeal).
    pub fn similarity(&self, other: &CallText, semantic: Option<f32>) -> f32 {
        let lexical = self.problem_similarity(other);
        let problem = match semantic {
            Some(cosine) => lexical.max((cosine - 0.80).max(0.0) / 0.20),
            None => lexical,
        };
        let place = self.address_overlap(other);
        let mut score = 0.75 * problem + 0.25 * place;
        match (&self.region, &other.region) {
            (Some(a), Some(b)) if a != b => score *= 0.5,
            _ => {}
        }
        score.clamp(0.0, 1.0)
    }
}

/// Below this a ticket is not listed as a possible repeat.
pub const SIMILAR_FLOOR: f32 = 0.30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_problem_at_the_same_place_scores_high() {
        let a = CallText::new(
            "幸福小区3号楼电梯坏了一周没人修",
            Some("东湖区"),
            Some("幸福小区3号楼"),
        );
        let b = CallText::new(
            "反映幸福小区3号楼电梯坏了，物业一直不修",
            Some("东湖区"),
            Some("东湖区幸福小区3号楼"),
        );
        let c = CallText::new("咨询公积金贷款提前还款", Some("东湖区"), None);
        assert!(a.similarity(&b, None) > SIMILAR_FLOOR);
        assert!(a.similarity(&c, None) < SIMILAR_FLOOR);
    }

    #[test]
    fn another_district_halves_the_score() {
        let a = CallText::new("路灯不亮", Some("东湖区"), None);
        let b = CallText::new("路灯不亮", Some("西山区"), None);
        let same = CallText::new("路灯不亮", Some("东湖区"), None);
        assert!(a.similarity(&b, None) < a.similarity(&same, None));
    }

    #[test]
    fn meaning_counts_when_the_words_differ() {
        let a = CallText::new("小区电梯停了好几天", None, None);
        let b = CallText::new("楼里升降梯故障没人管", None, None);
        assert!(a.similarity(&b, Some(0.95)) > a.similarity(&b, None));
    }
}
