//! Building a [`VectorSet`] one entry at a time, holding only int8 codes: from the rows of a
//! full load read page by page, or from an installed set less the entries that changed plus
//! their new vectors (an editor's change costs a copy of the codes, not a reload).

use std::collections::HashMap;
use std::sync::Arc;

use super::{quantize, sketch, EntryFacts, VectorSet};

/// Parts buffered before the sketches' mean is fixed: a set of at most this many parts is
/// sketched against its exact mean, a larger one against the mean of its first parts.
const MEAN_SAMPLE: usize = 8_192;

/// Shares the department, category and region names of many entries.
#[derive(Default)]
pub struct Names(HashMap<String, Arc<str>>);

impl Names {
    pub fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(name) = self.0.get(text) {
            return name.clone();
        }
        let name: Arc<str> = Arc::from(text);
        self.0.insert(text.to_string(), name.clone());
        name
    }
}

impl VectorSet {
    /// The part vectors of entry `i` as read back from their int8 codes.
    fn decoded(&self, i: usize) -> Vec<Vec<f32>> {
        let (start, end) = (self.parts[i].0 as usize, self.parts[i].1 as usize);
        (start..end)
            .map(|p| {
                let codes = &self.codes[p * self.dim..(p + 1) * self.dim];
                codes
                    .iter()
                    .map(|&c| f32::from(c) * self.scales[p])
                    .collect()
            })
            .collect()
    }
}

/// A [`VectorSet`] under construction.
#[derive(Default)]
pub struct VectorSetBuilder {
    set: VectorSet,
    /// Rows waiting for the mean (only before it is fixed).
    pending: Vec<(EntryFacts, Vec<Vec<f32>>)>,
    pending_parts: usize,
    mean_fixed: bool,
}

impl VectorSetBuilder {
    pub fn new() -> VectorSetBuilder {
        VectorSetBuilder::default()
    }

    /// Starts from the entries of `base` that `keep` admits, with `base`'s mean; or, while
    /// `base` is smaller than the mean's sample (a first embedding installing as it goes),
    /// from their vectors read back from the codes, so the mean is still taken over the first
    /// [`MEAN_SAMPLE`] parts rather than over the first few installed.
    pub fn from_set(base: &VectorSet, keep: impl Fn(&EntryFacts) -> bool) -> VectorSetBuilder {
        if base.scales.len() < MEAN_SAMPLE {
            let mut builder = VectorSetBuilder::new();
            for (i, facts) in base.entries.iter().enumerate() {
                if keep(facts) {
                    builder.push(facts.clone(), base.decoded(i));
                }
            }
            return builder;
        }
        let dim = base.dim;
        let words = dim.div_ceil(64);
        let mut set = VectorSet {
            dim,
            mean: base.mean.clone(),
            ..VectorSet::default()
        };
        for (i, facts) in base.entries.iter().enumerate() {
            if !keep(facts) {
                continue;
            }
            let (start, end) = (base.parts[i].0 as usize, base.parts[i].1 as usize);
            let first = set.scales.len() as u32;
            set.codes
                .extend_from_slice(&base.codes[start * dim..end * dim]);
            set.scales.extend_from_slice(&base.scales[start..end]);
            set.sketches
                .extend_from_slice(&base.sketches[start * words..end * words]);
            set.by_id.insert(facts.id.clone(), set.entries.len());
            set.entries.push(facts.clone());
            set.parts.push((first, set.scales.len() as u32));
        }
        VectorSetBuilder {
            set,
            mean_fixed: dim > 0,
            ..VectorSetBuilder::default()
        }
    }

    /// Adds an entry with its part vectors (unit length). Vectors of another dimension than
    /// the set's are ignored, and an entry left with none; an id already added is ignored
    /// (start [`VectorSetBuilder::from_set`] without the entries that changed).
    pub fn push(&mut self, facts: EntryFacts, vectors: Vec<Vec<f32>>) {
        if self.set.dim == 0 {
            let Some(first) = vectors.first() else {
                return;
            };
            self.set.dim = first.len();
            self.set.mean = vec![0.0; self.set.dim];
        }
        if self.mean_fixed {
            self.add(facts, &vectors);
            return;
        }
        self.pending_parts += vectors.len();
        self.pending.push((facts, vectors));
        if self.pending_parts >= MEAN_SAMPLE {
            self.fix_mean();
        }
    }

    /// Entries added so far.
    pub fn len(&self) -> usize {
        self.set.entries.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn finish(mut self) -> VectorSet {
        if !self.mean_fixed {
            self.fix_mean();
        }
        self.set
    }

    /// Takes the mean of the pending parts, then adds them.
    fn fix_mean(&mut self) {
        let dim = self.set.dim;
        let mut count = 0usize;
        for (_, vectors) in &self.pending {
            for v in vectors.iter().filter(|v| v.len() == dim) {
                for (m, x) in self.set.mean.iter_mut().zip(v) {
                    *m += x;
                }
                count += 1;
            }
        }
        for m in self.set.mean.iter_mut() {
            *m /= count.max(1) as f32;
        }
        self.mean_fixed = true;
        for (facts, vectors) in std::mem::take(&mut self.pending) {
            self.add(facts, &vectors);
        }
        self.pending_parts = 0;
    }

    fn add(&mut self, facts: EntryFacts, vectors: &[Vec<f32>]) {
        let set = &mut self.set;
        if set.by_id.contains_key(&facts.id) {
            return;
        }
        let start = set.scales.len() as u32;
        for v in vectors.iter().filter(|v| v.len() == set.dim) {
            let (codes, scale) = quantize(v);
            set.codes.extend_from_slice(&codes);
            set.scales.push(scale);
            set.sketches.extend(sketch(v, &set.mean));
        }
        let end = set.scales.len() as u32;
        if end > start {
            set.by_id.insert(facts.id.clone(), set.entries.len());
            set.entries.push(facts);
            set.parts.push((start, end));
        }
    }
}
