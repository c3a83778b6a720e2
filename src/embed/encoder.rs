//! The BERT encoder: embeddings, the transformer layers and mean pooling for a batch of token
//! sequences, with the work of every step split across a fixed number of threads.
//!
//! All sequences of a batch are concatenated into one `[tokens, hidden]` matrix, so each
//! weight matrix is streamed once per batch; attention stays within each sequence. Threads are
//! spawned once per batch and meet at a barrier between steps: matrix products split the
//! output rows, attention splits (sequence, head) pairs, the per-token steps split tokens.

use std::marker::PhantomData;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::format::{Dims, ModelFile, BLOCK};
use super::kernels::{self, Isa, Q4Matrix, Q8Rows, GROUP};
use super::EmbedError;

struct Layer {
    /// Query, key and value projections stacked: `3 · hidden` rows.
    qkv: Q4Matrix,
    qkv_bias: Vec<f32>,
    attn_out: Q4Matrix,
    attn_out_bias: Vec<f32>,
    attn_norm: (Vec<f32>, Vec<f32>),
    ffn_in: Q4Matrix,
    ffn_in_bias: Vec<f32>,
    ffn_out: Q4Matrix,
    ffn_out_bias: Vec<f32>,
    out_norm: (Vec<f32>, Vec<f32>),
}

pub(crate) struct Model {
    pub dims: Dims,
    file: ModelFile,
    /// Byte range of the 4-bit word-embedding table in the file.
    words: Range<usize>,
    positions: Vec<f32>,
    /// Token type 0's embedding (every token is type 0).
    token_type: Vec<f32>,
    embed_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
    isa: Isa,
}

impl Model {
    pub fn load(file: ModelFile) -> Result<Model, EmbedError> {
        let d = file.dims;
        let (h, f) = (d.hidden, d.ffn);
        let q4 = |name: &str, rows, cols| {
            file.q4(name, rows, cols)
                .map(|raw| Q4Matrix::from_blocks(raw, rows, cols))
        };
        let mut layers = Vec::with_capacity(d.layers);
        for l in 0..d.layers {
            let name = |s: &str| format!("l{l}.{s}");
            let vector = |s: &str, n| file.f32s(&name(s), n);
            let qkv = Q4Matrix::stack(&[
                q4(&name("q.w"), h, h)?,
                q4(&name("k.w"), h, h)?,
                q4(&name("v.w"), h, h)?,
            ]);
            let mut qkv_bias = vector("q.b", h)?;
            qkv_bias.extend(vector("k.b", h)?);
            qkv_bias.extend(vector("v.b", h)?);
            layers.push(Layer {
                qkv,
                qkv_bias,
                attn_out: q4(&name("ao.w"), h, h)?,
                attn_out_bias: vector("ao.b", h)?,
                attn_norm: (vector("aln.w", h)?, vector("aln.b", h)?),
                ffn_in: q4(&name("fi.w"), f, h)?,
                ffn_in_bias: vector("fi.b", f)?,
                ffn_out: q4(&name("fo.w"), h, f)?,
                ffn_out_bias: vector("fo.b", h)?,
                out_norm: (vector("oln.w", h)?, vector("oln.b", h)?),
            });
        }
        let mut token_type = file.f32s("emb.type", d.token_types * h)?;
        token_type.truncate(h);
        Ok(Model {
            dims: d,
            words: file.q4_range("emb.word", d.vocab, h)?,
            positions: file.f32s("emb.pos", d.positions * h)?,
            token_type,
            embed_norm: (file.f32s("emb.ln.w", h)?, file.f32s("emb.ln.b", h)?),
            layers,
            isa: Isa::detect(),
            file,
        })
    }

    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    #[cfg(test)]
    pub fn set_isa(&mut self, isa: Isa) {
        self.isa = isa;
    }

    /// The mean of the last hidden states of each sequence (not normalised). Every sequence
    /// must be non-empty, at most `positions` long, with ids below the vocabulary size.
    pub fn forward(&self, sequences: &[&[u32]], threads: usize) -> Vec<Vec<f32>> {
        let (h, f) = (self.dims.hidden, self.dims.ffn);
        let mut segments = Vec::with_capacity(sequences.len());
        let mut ids = Vec::new();
        let mut positions = Vec::new();
        for seq in sequences {
            segments.push(ids.len()..ids.len() + seq.len());
            ids.extend_from_slice(seq);
            positions.extend(0..seq.len());
        }
        let n = ids.len();
        let mut x = vec![0f32; n * h];
        let mut qkv = vec![0f32; n * 3 * h];
        let mut ctx = vec![0f32; n * h];
        let mut tmp = vec![0f32; n * h];
        let mut mid = vec![0f32; n * f];
        let mut values = vec![0i8; n * f];
        let mut scales = vec![0f32; n * f / BLOCK];
        let mut sums = vec![0f32; n * f / BLOCK];
        let threads = threads.clamp(1, 64);
        let job = Job {
            ids: &ids,
            positions: &positions,
            segments: &segments,
            x: Shared::new(&mut x),
            qkv: Shared::new(&mut qkv),
            ctx: Shared::new(&mut ctx),
            tmp: Shared::new(&mut tmp),
            mid: Shared::new(&mut mid),
            values: Shared::new(&mut values),
            scales: Shared::new(&mut scales),
            sums: Shared::new(&mut sums),
            barrier: Barrier::new(threads),
            threads,
        };
        if threads == 1 {
            self.run(0, &job);
        } else {
            std::thread::scope(|s| {
                for tid in 1..threads {
                    let job = &job;
                    s.spawn(move || self.run(tid, job));
                }
                self.run(0, &job);
            });
        }
        segments
            .iter()
            .map(|seg| {
                let mut mean = vec![0f32; h];
                for t in seg.clone() {
                    for (m, v) in mean.iter_mut().zip(&x[t * h..(t + 1) * h]) {
                        *m += v;
                    }
                }
                let inv = 1.0 / seg.len() as f32;
                mean.iter_mut().for_each(|m| *m *= inv);
                mean
            })
            .collect()
    }

    fn run(&self, tid: usize, job: &Job) {
        let _guard = PoisonOnPanic(&job.barrier);
        match self.isa {
            Isa::Scalar => self.work(Isa::Scalar, tid, job),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Isa::Avx2` is only chosen when the CPU has AVX2 and FMA.
            Isa::Avx2 => unsafe { self.work_avx2(tid, job) },
        }
    }

    /// The same code compiled with AVX2 and FMA enabled, so that its loops vectorise wider.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn work_avx2(&self, tid: usize, job: &Job) {
        self.work(Isa::Avx2, tid, job)
    }

    /// One thread's share of every step. Between barriers, each buffer is either only read or
    /// written in parts that belong to exactly one thread.
    #[inline(always)]
    fn work(&self, isa: Isa, tid: usize, job: &Job) {
        let d = &self.dims;
        let (h, f) = (d.hidden, d.ffn);
        let n = job.ids.len();
        let mine = part(tid, job.threads, n);
        // SAFETY (every `Shared` access below): the ranges follow the partition described
        // above, and each step ends at the barrier before another step touches them.
        unsafe {
            for t in mine.clone() {
                let x = job.x.get_mut(t * h..(t + 1) * h);
                let id = job.ids[t] as usize;
                let row_bytes = h / BLOCK * super::format::Q4_BLOCK_BYTES;
                let start = self.words.start + id * row_bytes;
                kernels::dequantize_row(self.file.slice(start..start + row_bytes), x);
                let p = job.positions[t];
                let pos = &self.positions[p * h..(p + 1) * h];
                for ((x, p), ty) in x.iter_mut().zip(pos).zip(&self.token_type) {
                    *x += p + ty;
                }
                kernels::layer_norm(x, &self.embed_norm.0, &self.embed_norm.1, d.eps);
                job.quantize(t, h, x);
            }
            job.barrier.wait();
            let mut scratch = AttentionScratch::default();
            for layer in &self.layers {
                self.project(isa, job, &layer.qkv, &layer.qkv_bias, &job.qkv, tid);
                job.barrier.wait();
                let tasks = job.segments.len() * d.heads;
                for task in part(tid, job.threads, tasks) {
                    self.attend(job, task / d.heads, task % d.heads, &mut scratch);
                }
                job.barrier.wait();
                for t in mine.clone() {
                    job.quantize(t, h, job.ctx.get(t * h..(t + 1) * h));
                }
                job.barrier.wait();
                self.project(
                    isa,
                    job,
                    &layer.attn_out,
                    &layer.attn_out_bias,
                    &job.tmp,
                    tid,
                );
                job.barrier.wait();
                for t in mine.clone() {
                    job.add_norm(t, h, &layer.attn_norm, d.eps);
                }
                job.barrier.wait();
                self.project(isa, job, &layer.ffn_in, &layer.ffn_in_bias, &job.mid, tid);
                job.barrier.wait();
                for t in mine.clone() {
                    let m = job.mid.get_mut(t * f..(t + 1) * f);
                    kernels::gelu(m);
                    job.quantize(t, f, m);
                }
                job.barrier.wait();
                self.project(isa, job, &layer.ffn_out, &layer.ffn_out_bias, &job.tmp, tid);
                job.barrier.wait();
                for t in mine.clone() {
                    job.add_norm(t, h, &layer.out_norm, d.eps);
                }
                job.barrier.wait();
            }
        }
    }

    /// This thread's output rows of `out = q8 · wᵀ + bias` over all tokens.
    ///
    /// # Safety
    /// Only this thread writes these rows of `out`, and nothing writes the quantised
    /// activations, until the next barrier.
    #[inline(always)]
    unsafe fn project(
        &self,
        isa: Isa,
        job: &Job,
        w: &Q4Matrix,
        bias: &[f32],
        out: &Shared<f32>,
        tid: usize,
    ) {
        let n = job.ids.len();
        let cols = w.cols;
        let nb = cols / BLOCK;
        let acts = Q8Rows {
            cols,
            values: job.values.get(0..n * cols),
            scales: job.scales.get(0..n * nb),
            sums: job.sums.get(0..n * nb),
        };
        let groups = part(tid, job.threads, w.rows.div_ceil(GROUP));
        let rows = (groups.start * GROUP).min(w.rows)..(groups.end * GROUP).min(w.rows);
        let stride = w.rows;
        kernels::matmul(isa, w, &acts, 0..n, rows, |t, r, v| {
            out.set(t * stride + r, v + bias[r])
        });
    }

    /// Scaled dot-product attention of one head within one sequence, into `ctx`.
    ///
    /// # Safety
    /// Nothing writes `qkv` and only this task writes this head's part of `ctx` for these
    /// tokens until the next barrier.
    #[inline(always)]
    unsafe fn attend(&self, job: &Job, segment: usize, head: usize, s: &mut AttentionScratch) {
        let d = &self.dims;
        let (h, hd) = (d.hidden, d.hidden / d.heads);
        let seg = job.segments[segment].clone();
        let len = seg.len();
        let qkv = job.qkv.get(0..job.ids.len() * 3 * h);
        let col = |t: usize, which: usize| (seg.start + t) * 3 * h + which * h + head * hd;
        // Keys transposed, so that the scores of one query against all keys are sums of
        // contiguous `axpy`s.
        s.keys.clear();
        s.keys.resize(hd * len, 0.0);
        for j in 0..len {
            for (e, &k) in qkv[col(j, 1)..col(j, 1) + hd].iter().enumerate() {
                s.keys[e * len + j] = k;
            }
        }
        let scale = 1.0 / (hd as f32).sqrt();
        s.context.resize(hd, 0.0);
        for i in 0..len {
            s.scores.clear();
            s.scores.resize(len, 0.0);
            for (e, &q) in qkv[col(i, 0)..col(i, 0) + hd].iter().enumerate() {
                let q = q * scale;
                for (sc, &k) in s.scores.iter_mut().zip(&s.keys[e * len..(e + 1) * len]) {
                    *sc += q * k;
                }
            }
            let max = s.scores.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            for sc in s.scores.iter_mut() {
                *sc = kernels::exp(*sc - max);
            }
            let inv = 1.0 / kernels::sum(&s.scores);
            s.context.fill(0.0);
            for (j, &p) in s.scores.iter().enumerate() {
                let p = p * inv;
                for (c, &v) in s.context.iter_mut().zip(&qkv[col(j, 2)..col(j, 2) + hd]) {
                    *c += p * v;
                }
            }
            let t = seg.start + i;
            job.ctx
                .get_mut(t * h + head * hd..t * h + (head + 1) * hd)
                .copy_from_slice(&s.context);
        }
    }
}

#[derive(Default)]
struct AttentionScratch {
    keys: Vec<f32>,
    scores: Vec<f32>,
    context: Vec<f32>,
}

/// One batch's inputs and buffers, shared by its threads.
struct Job<'a> {
    ids: &'a [u32],
    positions: &'a [usize],
    segments: &'a [Range<usize>],
    /// Hidden states `[tokens, hidden]`.
    x: Shared<'a, f32>,
    /// Query, key, value `[tokens, 3 · hidden]`.
    qkv: Shared<'a, f32>,
    /// Attention output before its projection `[tokens, hidden]`.
    ctx: Shared<'a, f32>,
    /// A projection's output before the residual `[tokens, hidden]`.
    tmp: Shared<'a, f32>,
    /// Feed-forward activations `[tokens, ffn]`.
    mid: Shared<'a, f32>,
    /// The current matrix product's input, quantised.
    values: Shared<'a, i8>,
    scales: Shared<'a, f32>,
    sums: Shared<'a, f32>,
    barrier: Barrier,
    threads: usize,
}

impl Job<'_> {
    /// Quantises token `t`'s row (`cols` wide) as the next product's input.
    ///
    /// # Safety
    /// Only this thread touches token `t`'s quantised row until the next barrier.
    #[inline(always)]
    unsafe fn quantize(&self, t: usize, cols: usize, row: &[f32]) {
        let nb = cols / BLOCK;
        kernels::quantize_row(
            row,
            self.values.get_mut(t * cols..(t + 1) * cols),
            self.scales.get_mut(t * nb..(t + 1) * nb),
            self.sums.get_mut(t * nb..(t + 1) * nb),
        );
    }

    /// `x = layernorm(x + tmp)` for token `t`, then quantises it.
    ///
    /// # Safety
    /// Only this thread touches token `t` until the next barrier.
    #[inline(always)]
    unsafe fn add_norm(&self, t: usize, h: usize, norm: &(Vec<f32>, Vec<f32>), eps: f32) {
        let x = self.x.get_mut(t * h..(t + 1) * h);
        for (x, y) in x.iter_mut().zip(self.tmp.get(t * h..(t + 1) * h)) {
            *x += y;
        }
        kernels::layer_norm(x, &norm.0, &norm.1, eps);
        self.quantize(t, h, x);
    }
}

/// The `tid`-th of `threads` near-equal parts of `0..n`.
fn part(tid: usize, threads: usize, n: usize) -> Range<usize> {
    (n * tid / threads)..(n * (tid + 1) / threads)
}

/// A buffer that the threads of one batch read and write in disjoint parts between barriers.
struct Shared<'a, T> {
    ptr: *mut T,
    len: usize,
    /// The buffer stays mutably borrowed for as long as the threads may use it.
    _buf: PhantomData<&'a mut [T]>,
}

// SAFETY: access goes through the unsafe methods, whose callers keep parts disjoint.
unsafe impl<T: Send> Sync for Shared<'_, T> {}

impl<'a, T> Shared<'a, T> {
    fn new(buf: &'a mut [T]) -> Self {
        Shared {
            ptr: buf.as_mut_ptr(),
            len: buf.len(),
            _buf: PhantomData,
        }
    }

    /// # Safety
    /// No thread writes any of `range` while the returned slice lives.
    unsafe fn get(&self, range: Range<usize>) -> &[T] {
        assert!(range.start <= range.end && range.end <= self.len);
        std::slice::from_raw_parts(self.ptr.add(range.start), range.len())
    }

    /// # Safety
    /// No other thread reads or writes any of `range` while the returned slice lives.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get_mut(&self, range: Range<usize>) -> &mut [T] {
        assert!(range.start <= range.end && range.end <= self.len);
        std::slice::from_raw_parts_mut(self.ptr.add(range.start), range.len())
    }

    /// # Safety
    /// No other thread reads or writes element `i` until the next barrier.
    unsafe fn set(&self, i: usize, value: T) {
        assert!(i < self.len);
        self.ptr.add(i).write(value);
    }
}

/// A spinning barrier: steps are a few microseconds long, too short to sleep between. A
/// waiter yields its core after a while, and panics if another thread panicked, so that a
/// failure cannot leave the others waiting forever.
struct Barrier {
    threads: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    poisoned: AtomicBool,
}

impl Barrier {
    fn new(threads: usize) -> Barrier {
        Barrier {
            threads,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
        }
    }

    fn wait(&self) {
        if self.threads == 1 {
            return;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.threads {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.poisoned.load(Ordering::Relaxed) {
                panic!("another embedding thread panicked");
            }
            if spins < 2_000 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

struct PoisonOnPanic<'a>(&'a Barrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poisoned.store(true, Ordering::Relaxed);
        }
    }
}
