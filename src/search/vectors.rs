//! The entry vectors the dense stage searches, held compactly: each embedded part as int8 codes
//! with one scale (384 bytes instead of 1,536), a one-bit sketch of it (48 bytes) for a first
//! pass over large knowledge bases, and the few facts of its entry the filters need. Entries
//! themselves are not held here: the pipeline reads the few it keeps from the index store.

use std::collections::HashMap;
use std::sync::Arc;

use time::Date;

mod build;
pub use build::{Names, VectorSetBuilder};

/// Up to this many parts every query is scored exactly; above it the sketches pick a shortlist
/// first (a full exact pass at 100,000 entries would cost more than the rest of the search).
const EXACT_PARTS: usize = 40_000;
/// How many entries per wanted result the sketch pass keeps for exact scoring.
const SHORTLIST_PER_RESULT: usize = 40;
const MIN_SHORTLIST: usize = 2_000;

/// A question's vector prepared for scoring: its int8 codes and their scale, and the vector
/// itself for the sketch.
pub struct Probe<'a> {
    vector: &'a [f32],
    codes: Vec<i8>,
    scale: f32,
}

impl<'a> Probe<'a> {
    pub fn new(vector: &'a [f32]) -> Probe<'a> {
        let (codes, scale) = quantize(vector);
        Probe {
            vector,
            codes,
            scale,
        }
    }
}

/// What the filters of a search need to know of an entry.
#[derive(Clone, Debug)]
pub struct EntryFacts {
    pub id: String,
    pub revision: i64,
    pub department: Arc<str>,
    pub category: Arc<str>,
    pub region: Arc<str>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

impl EntryFacts {
    /// Whether the entry is in force on `day`.
    pub fn current_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// The vectors of all embedded entries.
#[derive(Default)]
pub struct VectorSet {
    dim: usize,
    entries: Vec<EntryFacts>,
    by_id: HashMap<String, usize>,
    /// The parts of entry `i` are `parts[i].0 .. parts[i].1`.
    parts: Vec<(u32, u32)>,
    codes: Vec<i8>,
    scales: Vec<f32>,
    /// One bit per dimension of each part minus the mean part: set when above it.
    sketches: Vec<u64>,
    mean: Vec<f32>,
}

impl VectorSet {
    /// Builds the set from each entry's facts and part vectors (unit length). Vectors of
    /// another dimension than the first one seen are ignored; entries left with none too.
    pub fn build(rows: Vec<(EntryFacts, Vec<Vec<f32>>)>) -> VectorSet {
        let mut builder = VectorSetBuilder::new();
        for (facts, vectors) in rows {
            builder.push(facts, vectors);
        }
        builder.finish()
    }

    /// Number of entries with vectors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn facts(&self, entry: usize) -> &EntryFacts {
        &self.entries[entry]
    }

    /// The `k` entries admitted by `keep` nearest to `query`, by the cosine of their best
    /// part, best first (ties by id).
    pub fn nearest(
        &self,
        probe: &Probe,
        k: usize,
        keep: impl Fn(&EntryFacts) -> bool,
    ) -> Vec<(f32, usize)> {
        if probe.vector.len() != self.dim || self.dim == 0 || k == 0 {
            return Vec::new();
        }
        let shortlist: Vec<usize> = if self.scales.len() <= EXACT_PARTS {
            (0..self.entries.len())
                .filter(|&i| keep(&self.entries[i]))
                .collect()
        } else {
            self.shortlist(
                probe.vector,
                (k * SHORTLIST_PER_RESULT).max(MIN_SHORTLIST),
                &keep,
            )
        };
        let mut scored: Vec<(f32, usize)> = shortlist
            .into_iter()
            .map(|i| (self.best_part(probe, i), i))
            .collect();
        let order = |a: &(f32, usize), b: &(f32, usize)| {
            b.0.total_cmp(&a.0)
                .then_with(|| self.entries[a.1].id.cmp(&self.entries[b.1].id))
        };
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, order);
            scored.truncate(k);
        }
        scored.sort_by(order);
        scored
    }

    /// The cosine of `query` with the entry of this id and revision, if it has vectors.
    pub fn cosine_of(&self, probe: &Probe, id: &str, revision: i64) -> Option<f32> {
        if probe.vector.len() != self.dim {
            return None;
        }
        let i = *self.by_id.get(id)?;
        if self.entries[i].revision != revision {
            return None;
        }
        Some(self.best_part(probe, i))
    }

    fn best_part(&self, probe: &Probe, entry: usize) -> f32 {
        let (start, end) = self.parts[entry];
        (start as usize..end as usize)
            .map(|p| {
                let row = &self.codes[p * self.dim..(p + 1) * self.dim];
                dot_i8(&probe.codes, row) as f32 * probe.scale * self.scales[p]
            })
            .fold(f32::NEG_INFINITY, f32::max)
    }

    /// The `n` admitted entries whose best part's sketch differs least from the query's.
    fn shortlist(
        &self,
        query: &[f32],
        n: usize,
        keep: &impl Fn(&EntryFacts) -> bool,
    ) -> Vec<usize> {
        let q = sketch(query, &self.mean);
        let words = q.len();
        let mut distances: Vec<(u32, usize)> = Vec::with_capacity(self.entries.len());
        for (i, facts) in self.entries.iter().enumerate() {
            if !keep(facts) {
                continue;
            }
            let (start, end) = self.parts[i];
            let best = (start as usize..end as usize)
                .map(|p| hamming(&q, &self.sketches[p * words..(p + 1) * words]))
                .min()
                .unwrap_or(u32::MAX);
            distances.push((best, i));
        }
        if distances.len() > n {
            distances.select_nth_unstable(n - 1);
            distances.truncate(n);
        }
        distances.into_iter().map(|(_, i)| i).collect()
    }
}

/// Symmetric int8 codes of `v` and the scale that turns them back (value ≈ code · scale).
fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (vec![0; v.len()], 0.0);
    }
    let scale = max / 127.0;
    let codes = v.iter().map(|x| (x / scale).round() as i8).collect();
    (codes, scale)
}

/// One bit per dimension: whether `v` is above the mean there.
fn sketch(v: &[f32], mean: &[f32]) -> Vec<u64> {
    let mut bits = vec![0u64; v.len().div_ceil(64)];
    for (d, (x, m)) in v.iter().zip(mean).enumerate() {
        if x > m {
            bits[d / 64] |= 1 << (d % 64);
        }
    }
    bits
}

fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Dot product of int8 codes. Written so the compiler vectorises it (16-bit products summed
/// into 32-bit lanes).
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str) -> EntryFacts {
        EntryFacts {
            id: id.into(),
            revision: 1,
            department: Arc::from("D"),
            category: Arc::from("C"),
            region: Arc::from("市级"),
            valid_from: None,
            valid_to: None,
        }
    }

    fn unit(v: &[f32]) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    /// A deterministic pseudo-random unit vector.
    fn random(seed: u64, dim: usize) -> Vec<f32> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v: Vec<f32> = (0..dim)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect();
        unit(&v)
    }

    #[test]
    fn nearest_takes_each_entrys_best_part_and_honours_the_filter() {
        let set = VectorSet::build(vec![
            (
                facts("A"),
                vec![unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0])],
            ),
            (facts("B"), vec![unit(&[0.7, 0.7, 0.0])]),
            (facts("C"), vec![unit(&[0.0, 0.0, 1.0])]),
            (facts("X"), vec![vec![1.0, 0.0]]),
        ]);
        assert_eq!(
            set.len(),
            3,
            "the entry with a vector of another size is left out"
        );
        let found = set.nearest(&Probe::new(&unit(&[0.0, 1.0, 0.1])), 2, |_| true);
        let ids: Vec<&str> = found
            .iter()
            .map(|(_, i)| set.facts(*i).id.as_str())
            .collect();
        assert_eq!(ids, ["A", "B"]);
        assert!((found[0].0 - 0.995).abs() < 0.01, "{found:?}");
        let found = set.nearest(&Probe::new(&unit(&[0.0, 1.0, 0.1])), 2, |f| f.id != "A");
        assert_eq!(set.facts(found[0].1).id, "B");
        let cosine = set
            .cosine_of(&Probe::new(&unit(&[0.0, 0.0, 1.0])), "C", 1)
            .unwrap();
        assert!((cosine - 1.0).abs() < 0.01);
        assert_eq!(
            set.cosine_of(&Probe::new(&unit(&[0.0, 0.0, 1.0])), "C", 2),
            None
        );
    }

    #[test]
    fn a_set_built_from_another_keeps_the_rest_and_takes_the_changes() {
        let base = VectorSet::build(vec![
            (facts("A"), vec![unit(&[1.0, 0.0, 0.0])]),
            (facts("B"), vec![unit(&[0.0, 1.0, 0.0])]),
        ]);
        let mut builder = VectorSetBuilder::from_set(&base, |f| f.id != "B");
        let mut changed = facts("B");
        changed.revision = 2;
        builder.push(changed, vec![unit(&[0.0, 0.0, 1.0])]);
        builder.push(facts("C"), vec![unit(&[0.6, 0.8, 0.0])]);
        builder.push(facts("A"), vec![unit(&[0.0, 0.0, 1.0])]);
        let set = builder.finish();
        assert_eq!(set.len(), 3);
        let up = Probe::new(&[0.0, 0.0, 1.0]);
        assert!((set.cosine_of(&up, "B", 2).unwrap() - 1.0).abs() < 0.01);
        assert_eq!(set.cosine_of(&up, "B", 1), None, "the old revision is gone");
        let right = Probe::new(&[1.0, 0.0, 0.0]);
        assert!(
            (set.cosine_of(&right, "A", 1).unwrap() - 1.0).abs() < 0.01,
            "kept as it was; a second push of an id is ignored"
        );
        let found = set.nearest(&Probe::new(&[0.0, 1.0, 0.0]), 1, |_| true);
        assert_eq!(set.facts(found[0].1).id, "C");
    }

    #[test]
    fn a_set_grown_a_little_at_a_time_is_the_set_built_at_once() {
        let dim = 64;
        let rows: Vec<(EntryFacts, Vec<Vec<f32>>)> = (0..300u64)
            .map(|i| (facts(&format!("E{i:04}")), vec![random(i, dim)]))
            .collect();
        let mut grown = VectorSet::default();
        for chunk in rows.chunks(64) {
            let mut builder = VectorSetBuilder::from_set(&grown, |_| true);
            for (facts, vectors) in chunk.iter().cloned() {
                builder.push(facts, vectors);
            }
            grown = builder.finish();
        }
        let whole = VectorSet::build(rows);
        assert_eq!(grown.len(), whole.len());
        let close = grown
            .mean
            .iter()
            .zip(&whole.mean)
            .all(|(a, b)| (a - b).abs() < 1e-3);
        assert!(close, "the mean is taken over every part, not the first 64");
        assert_eq!(grown.codes, whole.codes);
    }

    #[test]
    fn int8_codes_keep_the_cosine_close() {
        let a = random(1, 384);
        let b = random(2, 384);
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let set = VectorSet::build(vec![(facts("B"), vec![b])]);
        let approx = set.cosine_of(&Probe::new(&a), "B", 1).unwrap();
        assert!((exact - approx).abs() < 0.005, "{exact} vs {approx}");
    }

    #[test]
    fn the_sketch_pass_finds_the_same_nearest_entries_in_a_large_set() {
        let dim = 64;
        let rows: Vec<(EntryFacts, Vec<Vec<f32>>)> = (0..EXACT_PARTS as u64 + 500)
            .map(|i| (facts(&format!("E{i:06}")), vec![random(i, dim)]))
            .collect();
        let target = rows[1234].1[0].clone();
        let set = VectorSet::build(rows);
        let found = set.nearest(&Probe::new(&target), 5, |_| true);
        assert_eq!(set.facts(found[0].1).id, "E001234");
        assert!(found[0].0 > 0.99);
    }
}
