//! A department's profile for routing without history: BM25 over character 1–2-grams of its
//! weighted phrases (name, keywords, duties, the general map's matters, its entries).

use std::collections::HashMap;

use super::{for_each_gram, normalize, Phrase};

/// BM25 over character 1–2-grams of each department's weighted phrases.
pub(super) struct Profile {
    postings: HashMap<u64, Vec<(u32, f32)>>,
    idf: HashMap<u64, f32>,
    norms: Vec<f32>,
}

const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;

impl Profile {
    pub(super) fn build(phrases: &[Vec<Phrase>]) -> Profile {
        let n = phrases.len();
        let mut tfs: Vec<HashMap<u64, f32>> = vec![HashMap::new(); n];
        for (d, list) in phrases.iter().enumerate() {
            for p in list {
                let mut seen: Vec<u64> = Vec::new();
                for_each_gram(&normalize(&p.text), 2, |_, h| seen.push(h));
                seen.sort_unstable();
                seen.dedup();
                for h in seen {
                    *tfs[d].entry(h).or_default() += p.weight;
                }
            }
        }
        let lens: Vec<f32> = tfs.iter().map(|t| t.values().sum()).collect();
        let avg = (lens.iter().sum::<f32>() / n.max(1) as f32).max(1.0);
        let mut postings: HashMap<u64, Vec<(u32, f32)>> = HashMap::new();
        for (d, tf) in tfs.iter().enumerate() {
            for (&h, &t) in tf {
                postings.entry(h).or_default().push((d as u32, t));
            }
        }
        let idf = postings
            .iter()
            .map(|(&h, list)| {
                let df = list.len() as f32;
                (h, (1.0 + (n as f32 - df + 0.5) / (df + 0.5)).ln())
            })
            .collect();
        let norms = lens
            .iter()
            .map(|l| BM25_K1 * (1.0 - BM25_B + BM25_B * l / avg))
            .collect();
        Profile {
            postings,
            idf,
            norms,
        }
    }

    pub(super) fn scores(&self, chars: &[char]) -> Vec<f64> {
        let mut grams: Vec<(u64, usize)> = Vec::new();
        for_each_gram(chars, 2, |n, h| grams.push((h, n)));
        grams.sort_unstable();
        grams.dedup();
        let mut scores = vec![0.0f64; self.norms.len()];
        for (h, len) in grams {
            let (Some(list), Some(idf)) = (self.postings.get(&h), self.idf.get(&h)) else {
                continue;
            };
            for &(d, tf) in list {
                let d = d as usize;
                let s = idf * tf * (BM25_K1 + 1.0) / (tf + self.norms[d]) * len as f32;
                scores[d] += s as f64;
            }
        }
        scores
    }
}
