//! What routing history teaches: a one-vs-rest linear SVM over TF-IDF character 1–3-grams of
//! past tickets (the department that finally handled each), and the most similar past tickets
//! for the reason shown to the dispatcher.

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
}

const SVM_C: f64 = 2.0;
const SVM_EPOCHS: usize = 10;
const HISTORY_GRAMS: usize = 3;

type SparseVec = Vec<(u32, f32)>;

impl History {
    pub(super) fn train(docs: &[(String, usize)], departments: usize) -> Option<History> {
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
        let vectors: Vec<SparseVec> = raw
            .iter()
            .map(|v| tfidf(v.iter().map(|&(id, c, _)| (id, c)), &idf))
            .collect();
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); idf.len()];
        for (i, (v, r)) in vectors.iter().zip(&raw).enumerate() {
            for (&(id, w), &(_, _, len)) in v.iter().zip(r) {
                if len >= 2 {
                    postings[id as usize].push((i as u32, w));
                }
            }
        }
        let labels: Vec<usize> = docs.iter().map(|(_, d)| *d).collect();
        let order = permutation(docs.len());
        let mut weights: Vec<Vec<(u32, f32)>> = vec![Vec::new(); idf.len()];
        let mut bias = vec![-1.0f32; departments];
        for (class, b) in bias.iter_mut().enumerate() {
            if !labels.contains(&class) {
                continue;
            }
            let (w, wb) = train_class(&vectors, &labels, class, idf.len(), &order);
            *b = wb;
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
        })
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

    /// Each department's SVM margin for a ticket text, and the `k` most similar past tickets;
    /// the text is read once for both.
    pub(super) fn assess(&self, text: &str, k: usize) -> (Vec<f64>, Vec<(usize, f32)>) {
        let (v, lens) = self.vector(&history_chars(text));
        (self.margins(&v), self.similar(&v, &lens, k))
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

/// A fixed-seed permutation of 0..n (xorshift), so training is deterministic.
fn permutation(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

/// One-vs-rest L2-regularised squared-hinge SVM by dual coordinate descent (as liblinear),
/// with a bias feature of value 1. Returns (weights, bias).
fn train_class(
    vectors: &[SparseVec],
    labels: &[usize],
    class: usize,
    features: usize,
    order: &[usize],
) -> (Vec<f32>, f32) {
    let diag = 0.5 / SVM_C;
    let mut w = vec![0.0f64; features];
    let mut b = 0.0f64;
    let mut alpha = vec![0.0f64; vectors.len()];
    let sq: Vec<f64> = vectors
        .iter()
        .map(|v| v.iter().map(|(_, x)| (*x as f64).powi(2)).sum::<f64>() + 1.0 + diag)
        .collect();
    for _ in 0..SVM_EPOCHS {
        let mut largest_step = 0.0f64;
        for &i in order {
            let y = if labels[i] == class { 1.0 } else { -1.0 };
            let dot: f64 = vectors[i]
                .iter()
                .map(|&(id, x)| w[id as usize] * x as f64)
                .sum::<f64>()
                + b;
            let g = y * dot - 1.0 + diag * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            if pg.abs() < 1e-12 {
                continue;
            }
            let old = alpha[i];
            alpha[i] = (old - g / sq[i]).max(0.0);
            let step = (alpha[i] - old) * y;
            largest_step = largest_step.max(step.abs());
            for &(id, x) in &vectors[i] {
                w[id as usize] += step * x as f64;
            }
            b += step;
        }
        if largest_step < 1e-4 {
            break;
        }
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
        let history = History::train(&docs, 2).expect("trained");
        let (asked, _) = history.assess("时间？", 0);
        assert!(asked[0] > asked[1], "{asked:?}");
    }
}
