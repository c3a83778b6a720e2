//! What routing history teaches: a one-vs-rest linear SVM over TF-IDF character 1–3-grams of
//! past tickets (the department that finally handled each), with the tickets' sentence vectors
//! as dense features when nearly all have one, and the most similar past tickets for the reason
//! shown to the dispatcher.

use std::collections::HashMap;

use super::for_each_gram;

/// What routing history teaches: a linear classifier and an index of similar past tickets.
pub(super) struct History {
    pub(super) docs: Vec<(String, usize)>,
    vocab: HashMap<u64, u32>,
    idf: Vec<f32>,
    /// Per feature, the non-negligible (department, weight) pairs; the last row is the bias.
    weights: Vec<Vec<(u32, f32)>>,
    bias: Vec<f32>,
    /// Per feature of length ≥ 2, (ticket, tf-idf weight), for the nearest tickets.
    postings: Vec<Vec<(u32, f32)>>,
    departments: usize,
    /// Dimension of the sentence vectors learnt from, 0 when the model is lexical only.
    dense: usize,
}

const SVM_C: f64 = 2.0;
/// Passes over the tickets at most, and the spread of projected gradients that ends training
/// (liblinear's defaults for this solver are 1,000 and 0.1).
const SVM_MAX_PASSES: usize = 1_000;
const SVM_TOLERANCE: f64 = 0.1;
const HISTORY_GRAMS: usize = 3;
/// Sentence vectors are learnt from only when at least this share of past tickets has one.
const DENSE_COVERAGE: f64 = 0.9;
/// Length of a ticket's sentence vector beside its (unit) n-gram vector. Chosen among 1, 1.5
/// and 2 on a validation split of the Taipei history's learnt part (`hotline eval-routing
/// --taipei F --validate`); the three were within half a point of each other.
const DENSE_SCALE: f32 = 1.5;

type SparseVec = Vec<(u32, f32)>;

impl History {
    /// Learns from past tickets (text, department index) and, aligned with them, their
    /// sentence vectors where known.
    pub(super) fn train(
        docs: &[(String, usize)],
        vectors: &[Option<Vec<f32>>],
        departments: usize,
    ) -> Option<History> {
        if docs.is_empty() {
            return None;
        }
        let mut vocab: HashMap<u64, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        let mut raw: Vec<Vec<(u32, f32, usize)>> = Vec::with_capacity(docs.len());
        for (text, _) in docs {
            let mut counts: HashMap<u32, (f32, usize)> = HashMap::new();
            for_each_gram(&history_chars(text), HISTORY_GRAMS, |n, h| {
                let next = vocab.len() as u32;
                let id = *vocab.entry(h).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                counts.entry(id).or_insert((0.0, n)).0 += 1.0;
            });
            for id in counts.keys() {
                df[*id as usize] += 1;
            }
            let mut v: Vec<(u32, f32, usize)> =
                counts.into_iter().map(|(id, (c, n))| (id, c, n)).collect();
            v.sort_unstable_by_key(|x| x.0);
            raw.push(v);
        }
        let n = docs.len() as f32;
        let idf: Vec<f32> = df
            .iter()
            .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        let mut features: Vec<SparseVec> = raw
            .iter()
            .map(|v| tfidf(v.iter().map(|&(id, c, _)| (id, c)), &idf))
            .collect();
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); idf.len()];
        for (i, (v, r)) in features.iter().zip(&raw).enumerate() {
            for (&(id, w), &(_, _, len)) in v.iter().zip(r) {
                if len >= 2 {
                    postings[id as usize].push((i as u32, w));
                }
            }
        }
        let dense = dense_dimension(vectors, docs.len());
        if dense > 0 {
            for (f, v) in features.iter_mut().zip(vectors) {
                if let Some(v) = v.as_deref().filter(|v| v.len() == dense) {
                    append_dense(f, idf.len(), v);
                }
            }
        }
        let labels: Vec<usize> = docs.iter().map(|(_, d)| *d).collect();
        let width = idf.len() + dense;
        let mut weights: Vec<Vec<(u32, f32)>> = vec![Vec::new(); width];
        let mut bias = vec![-1.0f32; departments];
        let classes: Vec<usize> = (0..departments).filter(|c| labels.contains(c)).collect();
        for (class, w, b) in train_classes(&features, &labels, &classes, width) {
            bias[class] = b;
            for (id, x) in w.into_iter().enumerate() {
                if x.abs() > 1e-3 {
                    weights[id].push((class as u32, x));
                }
            }
        }
        Some(History {
            docs: docs.to_vec(),
            vocab,
            idf,
            weights,
            bias,
            postings,
            departments,
            dense,
        })
    }

    /// Whether sentence vectors are among the features.
    pub(super) fn uses_vectors(&self) -> bool {
        self.dense > 0
    }

    /// How much history counts against the profile: grows with tickets per department.
    pub(super) fn weight(&self) -> f64 {
        let n = self.docs.len() as f64;
        n / (n + 5.0 * self.departments as f64)
    }

    fn vector(&self, chars: &[char]) -> (SparseVec, Vec<usize>) {
        let mut counts: HashMap<u32, (f32, usize)> = HashMap::new();
        for_each_gram(chars, HISTORY_GRAMS, |n, h| {
            if let Some(&id) = self.vocab.get(&h) {
                counts.entry(id).or_insert((0.0, n)).0 += 1.0;
            }
        });
        let mut v: Vec<(u32, f32, usize)> =
            counts.into_iter().map(|(id, (c, n))| (id, c, n)).collect();
        v.sort_unstable_by_key(|x| x.0);
        let lens = v.iter().map(|x| x.2).collect();
        (tfidf(v.iter().map(|&(id, c, _)| (id, c)), &self.idf), lens)
    }

    /// Each department's SVM margin for a ticket text (and its sentence vector, when the model
    /// learnt from vectors and one is at hand), and the `k` most similar past tickets; the text
    /// is read once for both.
    pub(super) fn assess(
        &self,
        text: &str,
        vector: Option<&[f32]>,
        k: usize,
    ) -> (Vec<f64>, Vec<(usize, f32)>) {
        let (mut v, lens) = self.vector(&history_chars(text));
        let similar = self.similar(&v, &lens, k);
        if let Some(dense) = vector.filter(|d| self.dense > 0 && d.len() == self.dense) {
            append_dense(&mut v, self.idf.len(), dense);
        }
        (self.margins(&v), similar)
    }

    fn margins(&self, v: &SparseVec) -> Vec<f64> {
        let mut m: Vec<f64> = self.bias.iter().map(|&b| b as f64).collect();
        for &(id, x) in v {
            for &(c, w) in &self.weights[id as usize] {
                m[c as usize] += (x * w) as f64;
            }
        }
        m
    }

    /// The most similar past tickets (cosine over 2–3-grams), best first.
    fn similar(&self, v: &SparseVec, lens: &[usize], k: usize) -> Vec<(usize, f32)> {
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for (&(id, x), &len) in v.iter().zip(lens) {
            if len < 2 {
                continue;
            }
            for &(doc, w) in &self.postings[id as usize] {
                *acc.entry(doc).or_default() += x * w;
            }
        }
        let mut best: Vec<(usize, f32)> = acc.into_iter().map(|(d, s)| (d as usize, s)).collect();
        best.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        best.truncate(k);
        best
    }
}

/// The dimension of the past tickets' sentence vectors when enough of them have one (all of
/// the same dimension), else 0.
fn dense_dimension(vectors: &[Option<Vec<f32>>], docs: usize) -> usize {
    let Some(dim) = vectors.iter().flatten().map(Vec::len).next() else {
        return 0;
    };
    let covered = vectors.iter().flatten().filter(|v| v.len() == dim).count();
    if dim > 0 && vectors_usable(docs, covered) {
        dim
    } else {
        0
    }
}

/// Whether past tickets' sentence vectors are learnt from, when `covered` of `lessons` have
/// one: nearly all must, or the tickets without would teach the vectors' weights nothing.
pub fn vectors_usable(lessons: usize, covered: usize) -> bool {
    lessons > 0 && covered as f64 >= DENSE_COVERAGE * lessons as f64
}

/// Appends a sentence vector, scaled, as the features after the n-grams.
fn append_dense(features: &mut SparseVec, offset: usize, vector: &[f32]) {
    features.extend(
        vector
            .iter()
            .enumerate()
            .map(|(i, x)| ((offset + i) as u32, x * DENSE_SCALE)),
    );
}

/// Sub-linear TF × IDF, L2-normalised.
fn tfidf(counts: impl Iterator<Item = (u32, f32)>, idf: &[f32]) -> SparseVec {
    let mut v: SparseVec = counts
        .map(|(id, c)| (id, (1.0 + c.ln()) * idf[id as usize]))
        .collect();
    let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, x) in &mut v {
            *x /= norm;
        }
    }
    v
}

/// A fixed-seed xorshift generator, so training is deterministic.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Every class's (weights, bias), the classes shared out over the available cores.
fn train_classes(
    vectors: &[SparseVec],
    labels: &[usize],
    classes: &[usize],
    features: usize,
) -> Vec<(usize, Vec<f32>, f32)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, classes.len().max(1));
    let chunk = classes.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = classes
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&class| {
                            let (w, b) = train_class(vectors, labels, class, features);
                            (class, w, b)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// One-vs-rest L2-regularised squared-hinge SVM by dual coordinate descent with shrinking,
/// as liblinear does it: a fresh fixed-seed order each pass, tickets whose constraint is
/// clearly inactive set aside, and a stop when the projected gradients' spread falls below
/// `SVM_TOLERANCE` on every ticket. A bias feature of value 1. Returns (weights, bias).
fn train_class(
    vectors: &[SparseVec],
    labels: &[usize],
    class: usize,
    features: usize,
) -> (Vec<f32>, f32) {
    let n = vectors.len();
    let diag = 0.5 / SVM_C;
    let mut w = vec![0.0f64; features];
    let mut b = 0.0f64;
    let mut alpha = vec![0.0f64; n];
    let sq: Vec<f64> = vectors
        .iter()
        .map(|v| v.iter().map(|(_, x)| (*x as f64).powi(2)).sum::<f64>() + 1.0 + diag)
        .collect();
    let mut index: Vec<usize> = (0..n).collect();
    let mut active = n;
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15 ^ class as u64);
    let mut pg_max_old = f64::INFINITY;
    for _ in 0..SVM_MAX_PASSES {
        for i in 0..active {
            let j = i + rng.below(active - i);
            index.swap(i, j);
        }
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut s = 0;
        while s < active {
            let i = index[s];
            let y = if labels[i] == class { 1.0 } else { -1.0 };
            let dot: f64 = vectors[i]
                .iter()
                .map(|&(id, x)| w[id as usize] * x as f64)
                .sum::<f64>()
                + b;
            let g = y * dot - 1.0 + diag * alpha[i];
            let pg = if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                }
                g.min(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / sq[i]).max(0.0);
                let step = (alpha[i] - old) * y;
                for &(id, x) in &vectors[i] {
                    w[id as usize] += step * x as f64;
                }
                b += step;
            }
            s += 1;
        }
        if pg_max - pg_min <= SVM_TOLERANCE {
            if active == n {
                break;
            }
            active = n;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
    }
    (w.into_iter().map(|x| x as f32).collect(), b as f32)
}

/// Lower-cased text with runs of white space made one space. Unlike the directory profile's
/// normalisation it keeps punctuation: how a caller or a past system wrote a matter (a
/// question mark, 「」, a bracketed form name) tells which office usually gets it. It is the
/// usual character n-gram classifier's input; on the Taipei history, dropping punctuation
/// cost about a point.
fn history_chars(text: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            if out.last() != Some(&' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_text_keeps_punctuation_and_one_space() {
        let chars: String = history_chars("  “台北人力银行”服务？\n\t介绍 ABC ")
            .into_iter()
            .collect();
        assert_eq!(chars, "“台北人力银行”服务？ 介绍 abc");
    }

    #[test]
    fn a_question_mark_is_a_feature_of_past_tickets() {
        let docs = vec![
            ("办理时间？".to_string(), 0),
            ("办理时间？".to_string(), 0),
            ("办理时间公告".to_string(), 1),
            ("办理时间公告".to_string(), 1),
        ];
        let history = History::train(&docs, &[], 2).expect("trained");
        let (asked, _) = history.assess("时间？", None, 0);
        assert!(asked[0] > asked[1], "{asked:?}");
    }

    #[test]
    fn sentence_vectors_separate_what_the_words_do_not() {
        // Same words, different departments; only the vectors (what the sentences mean, in
        // this test made up) tell them apart.
        let docs: Vec<(String, usize)> = (0..8).map(|i| ("反映情况".to_string(), i % 2)).collect();
        let vectors: Vec<Option<Vec<f32>>> = (0..8)
            .map(|i| {
                Some(if i % 2 == 0 {
                    vec![1.0, 0.0]
                } else {
                    vec![0.0, 1.0]
                })
            })
            .collect();
        let history = History::train(&docs, &vectors, 2).expect("trained");
        assert!(history.uses_vectors());
        let (m, _) = history.assess("反映情况", Some(&[0.0, 1.0]), 0);
        assert!(m[1] > m[0], "{m:?}");
        let (m, _) = history.assess("反映情况", Some(&[1.0, 0.0]), 0);
        assert!(m[0] > m[1], "{m:?}");
    }

    #[test]
    fn vectors_count_only_when_nearly_every_ticket_has_one() {
        let docs: Vec<(String, usize)> = (0..10).map(|i| (format!("事项{i}"), i % 2)).collect();
        let mut vectors: Vec<Option<Vec<f32>>> = vec![Some(vec![1.0, 0.0]); 10];
        vectors[3] = None;
        assert_eq!(dense_dimension(&vectors, docs.len()), 2);
        vectors[4] = None;
        assert_eq!(dense_dimension(&vectors, docs.len()), 0);
        let history = History::train(&docs, &vectors, 2).expect("trained");
        assert!(!history.uses_vectors());
        assert_eq!(dense_dimension(&[], 3), 0);
    }
}
