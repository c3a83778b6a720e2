//! The numeric kernels: Q4_0 weights × 8-bit activations (AVX2 with a scalar twin that gives
//! bit-identical results), activation quantisation, layer norm, GELU and a fast `exp`.
//!
//! A Q4_0 × Q8 product for one 32-weight block is `sw · sa · Σ (w − 8) · a` with 4-bit `w` and
//! 8-bit `a`. The integer part is `Σ w · a − 8 · Σ a`: the AVX2 path multiplies unsigned
//! nibbles by signed bytes (`maddubs`, no overflow at 15 · 127 · 2), keeps eight lane partial
//! sums per output in f32 (one FMA per block) and subtracts `8 · Σ sw · sa · Σa` at the end.
//! The scalar path performs the same operations in the same order, lane by lane.

use super::format::{BLOCK, Q4_BLOCK_BYTES};

/// Output rows computed together: each activation block is loaded once for all of them.
pub(crate) const GROUP: usize = 8;
/// Tokens whose quantised activations are reused from cache across all row groups.
const TILE: usize = 64;

/// The instruction set the kernels run with, chosen once at load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Isa {
    /// AVX2 + FMA when the CPU has them, else the scalar path.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
        Isa::Scalar
    }
}

/// A Q4_0 matrix (`rows` outputs × `cols` inputs) repacked for the kernels: per block, its
/// scale as f32 and its 16 nibble bytes.
pub(crate) struct Q4Matrix {
    pub rows: usize,
    pub cols: usize,
    scales: Vec<f32>,
    nibbles: Vec<u8>,
}

impl Q4Matrix {
    /// From Q4_0 blocks as stored in the file (`raw.len() == rows · cols / 32 · 18`).
    pub fn from_blocks(raw: &[u8], rows: usize, cols: usize) -> Q4Matrix {
        let blocks = rows * cols / BLOCK;
        let mut scales = Vec::with_capacity(blocks);
        let mut nibbles = Vec::with_capacity(blocks * 16);
        for block in raw.chunks_exact(Q4_BLOCK_BYTES).take(blocks) {
            scales.push(half::f16::from_le_bytes([block[0], block[1]]).to_f32());
            nibbles.extend_from_slice(&block[2..]);
        }
        Q4Matrix {
            rows,
            cols,
            scales,
            nibbles,
        }
    }

    /// The matrices' rows one after another (all with the same `cols`).
    pub fn stack(parts: &[Q4Matrix]) -> Q4Matrix {
        Q4Matrix {
            rows: parts.iter().map(|p| p.rows).sum(),
            cols: parts.first().map_or(0, |p| p.cols),
            scales: parts
                .iter()
                .flat_map(|p| p.scales.iter().copied())
                .collect(),
            nibbles: parts
                .iter()
                .flat_map(|p| p.nibbles.iter().copied())
                .collect(),
        }
    }
}

/// Dequantises one Q4_0 row as stored in the file (the word-embedding table stays 4-bit).
pub(crate) fn dequantize_row(raw: &[u8], out: &mut [f32]) {
    for (block, out) in raw
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(BLOCK))
    {
        let scale = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, &byte) in block[2..].iter().enumerate() {
            out[j] = f32::from((byte & 0x0f) as i8 - 8) * scale;
            out[j + 16] = f32::from((byte >> 4) as i8 - 8) * scale;
        }
    }
}

/// Activations of some tokens quantised to 8 bits per 32-block: values, block scales and block
/// sums (as f32), `cols` values per token.
pub(crate) struct Q8Rows<'a> {
    pub cols: usize,
    pub values: &'a [i8],
    pub scales: &'a [f32],
    pub sums: &'a [f32],
}

/// Quantises one row: per block, scale = max |x| / 127, values rounded half to even.
#[inline(always)]
pub(crate) fn quantize_row(x: &[f32], values: &mut [i8], scales: &mut [f32], sums: &mut [f32]) {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding and subtracting it rounds to even
    for (b, (x, q)) in x
        .chunks_exact(BLOCK)
        .zip(values.chunks_exact_mut(BLOCK))
        .enumerate()
    {
        // Comparisons rather than `max`/`clamp` (whose NaN rules keep them from vectorising).
        let mut amax = 0f32;
        for v in x {
            let a = v.abs();
            amax = if a > amax { a } else { amax };
        }
        let scale = amax / 127.0;
        let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let mut sum = 0i32;
        for (q, &v) in q.iter_mut().zip(x) {
            let r = (v * inverse + ROUND) - ROUND;
            let r = if r < -128.0 { -128.0 } else { r };
            let r = if r > 127.0 { 127.0 } else { r } as i32;
            *q = r as i8;
            sum += r;
        }
        scales[b] = scale;
        sums[b] = sum as f32;
    }
}

/// `Y = X · Wᵀ` for the given tokens and output rows (a multiple of [`GROUP`] or the end):
/// calls `emit(token, row, value)` for each result, bias not included.
#[inline(always)]
pub(crate) fn matmul(
    isa: Isa,
    w: &Q4Matrix,
    x: &Q8Rows,
    tokens: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
    mut emit: impl FnMut(usize, usize, f32),
) {
    let nb = w.cols / BLOCK;
    debug_assert_eq!(x.cols, w.cols);
    let mut wexp = vec![0u8; nb * GROUP * BLOCK];
    let mut wscale = vec![0f32; nb * GROUP];
    let mut out = [0f32; GROUP];
    let mut tile = tokens.start;
    while tile < tokens.end {
        let tile_end = (tile + TILE).min(tokens.end);
        let mut row = rows.start;
        while row < rows.end {
            let count = GROUP.min(rows.end - row);
            expand_group(w, row, count, &mut wexp, &mut wscale);
            for t in tile..tile_end {
                let a = Q8Rows {
                    cols: x.cols,
                    values: &x.values[t * x.cols..(t + 1) * x.cols],
                    scales: &x.scales[t * nb..(t + 1) * nb],
                    sums: &x.sums[t * nb..(t + 1) * nb],
                };
                dot_group(isa, &wexp, &wscale, &a, &mut out);
                for (r, &v) in out[..count].iter().enumerate() {
                    emit(t, row + r, v);
                }
            }
            row += count;
        }
        tile = tile_end;
    }
}

/// Unpacks rows `row..row + count` to one byte per weight, laid out block by block
/// (`[block][row][32]`), with their scales (`[block][row]`); missing rows are zero.
#[inline(always)]
fn expand_group(w: &Q4Matrix, row: usize, count: usize, wexp: &mut [u8], wscale: &mut [f32]) {
    let nb = w.cols / BLOCK;
    if count < GROUP {
        wexp.fill(0);
        wscale.fill(0.0);
    }
    for r in 0..count {
        for b in 0..nb {
            let block = (row + r) * nb + b;
            wscale[b * GROUP + r] = w.scales[block];
            let src = &w.nibbles[block * 16..block * 16 + 16];
            let dst = &mut wexp[(b * GROUP + r) * BLOCK..(b * GROUP + r + 1) * BLOCK];
            for j in 0..16 {
                dst[j] = src[j] & 0x0f;
                dst[j + 16] = src[j] >> 4;
            }
        }
    }
}

/// One token against one expanded row group.
#[inline(always)]
fn dot_group(isa: Isa, wexp: &[u8], wscale: &[f32], a: &Q8Rows, out: &mut [f32; GROUP]) {
    match isa {
        Isa::Scalar => dot_group_scalar(wexp, wscale, a, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Isa::Avx2` is only chosen when the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { dot_group_avx2(wexp, wscale, a, out) },
    }
}

/// The lane-by-lane twin of [`dot_group_avx2`]: lane k of a block holds weights 4k..4k + 3.
fn dot_group_scalar(wexp: &[u8], wscale: &[f32], a: &Q8Rows, out: &mut [f32; GROUP]) {
    let nb = a.cols / BLOCK;
    let mut acc = [[0f32; 8]; GROUP];
    let mut corr = [0f32; GROUP];
    for b in 0..nb {
        let av = &a.values[b * BLOCK..(b + 1) * BLOCK];
        for r in 0..GROUP {
            let scale = wscale[b * GROUP + r] * a.scales[b];
            let wv = &wexp[(b * GROUP + r) * BLOCK..(b * GROUP + r + 1) * BLOCK];
            for (k, lane) in acc[r].iter_mut().enumerate() {
                let s: i32 = (4 * k..4 * k + 4)
                    .map(|j| i32::from(wv[j]) * i32::from(av[j]))
                    .sum();
                *lane = (s as f32).mul_add(scale, *lane);
            }
            corr[r] = scale.mul_add(a.sums[b], corr[r]);
        }
    }
    for r in 0..GROUP {
        let v = acc[r];
        let sum = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
        out[r] = sum - 8.0 * corr[r];
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_group_avx2(wexp: &[u8], wscale: &[f32], a: &Q8Rows, out: &mut [f32; GROUP]) {
    use std::arch::x86_64::*;
    let nb = a.cols / BLOCK;
    assert!(wexp.len() >= nb * GROUP * BLOCK && wscale.len() >= nb * GROUP);
    assert!(a.values.len() >= nb * BLOCK && a.scales.len() >= nb && a.sums.len() >= nb);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [_mm256_setzero_ps(); GROUP];
    let mut corr = _mm256_setzero_ps();
    for b in 0..nb {
        // SAFETY (all loads): in bounds by the asserts above; unaligned loads.
        let av = _mm256_loadu_si256(a.values.as_ptr().add(b * BLOCK) as *const __m256i);
        let scales = _mm256_mul_ps(
            _mm256_loadu_ps(wscale.as_ptr().add(b * GROUP)),
            _mm256_set1_ps(a.scales[b]),
        );
        corr = _mm256_fmadd_ps(scales, _mm256_set1_ps(a.sums[b]), corr);
        let base = wexp.as_ptr().add(b * GROUP * BLOCK);
        macro_rules! row {
            ($r:literal) => {
                let wv = _mm256_loadu_si256(base.add($r * BLOCK) as *const __m256i);
                let s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                let scale = _mm256_permutevar8x32_ps(scales, _mm256_set1_epi32($r));
                acc[$r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), scale, acc[$r]);
            };
        }
        row!(0);
        row!(1);
        row!(2);
        row!(3);
        row!(4);
        row!(5);
        row!(6);
        row!(7);
    }
    let mut corrs = [0f32; GROUP];
    _mm256_storeu_ps(corrs.as_mut_ptr(), corr);
    for r in 0..GROUP {
        let v = acc[r];
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        out[r] = _mm_cvtss_f32(s) - 8.0 * corrs[r];
    }
}

/// Sum in eight interleaved lanes (vectorises; the order is fixed, so every build agrees).
#[inline(always)]
pub(crate) fn sum(x: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            lanes[k] += c[k];
        }
    }
    let mut total = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6]))
        + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
    for &v in chunks.remainder() {
        total += v;
    }
    total
}

/// `x = layernorm(x) · weight + bias` over one token.
#[inline(always)]
pub(crate) fn layer_norm(x: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let n = x.len() as f32;
    let mean = sum(x) / n;
    for v in x.iter_mut() {
        *v -= mean;
    }
    let mut squares = [0f32; 8];
    for c in x.chunks_exact(8) {
        for k in 0..8 {
            squares[k] += c[k] * c[k];
        }
    }
    let var = sum(&squares) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, &w), &b) in x.iter_mut().zip(weight).zip(bias) {
        *v = *v * inv * w + b;
    }
}

/// `e^x` to about 2e-7 relative error, branch-free so that loops over it vectorise.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    // The integer n sits in the low mantissa bits of `shifted`.
    let n_int = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Taylor series of e^r for |r| ≤ ln2 / 2, degree 6.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n_int + 127) << 23) as u32)
}

/// `erf(x)` by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-z * z);
    y.copysign(x)
}

/// The exact (erf) GELU of BERT, in place.
#[inline(always)]
pub(crate) fn gelu(x: &mut [f32]) {
    for v in x {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) as u32
    }

    fn random_matrix(rows: usize, cols: usize, seed: &mut u64) -> Vec<u8> {
        let mut raw = Vec::new();
        for _ in 0..rows * cols / BLOCK {
            let scale = half::f16::from_f32((lcg(seed) % 1000) as f32 / 40_000.0);
            raw.extend_from_slice(&scale.to_le_bytes());
            raw.extend((0..16).map(|_| lcg(seed) as u8));
        }
        raw
    }

    #[test]
    fn simd_and_scalar_matmul_agree_bit_for_bit() {
        let (rows, cols, tokens) = (40, 96, 70);
        let mut seed = 7;
        let w = Q4Matrix::from_blocks(&random_matrix(rows, cols, &mut seed), rows, cols);
        let x: Vec<f32> = (0..tokens * cols)
            .map(|_| (lcg(&mut seed) % 2001) as f32 / 100.0 - 10.0)
            .collect();
        let nb = cols / BLOCK;
        let (mut q, mut s, mut sums) = (
            vec![0i8; tokens * cols],
            vec![0f32; tokens * nb],
            vec![0f32; tokens * nb],
        );
        for t in 0..tokens {
            quantize_row(
                &x[t * cols..(t + 1) * cols],
                &mut q[t * cols..(t + 1) * cols],
                &mut s[t * nb..(t + 1) * nb],
                &mut sums[t * nb..(t + 1) * nb],
            );
        }
        let acts = Q8Rows {
            cols,
            values: &q,
            scales: &s,
            sums: &sums,
        };
        let run = |isa| {
            let mut y = vec![0f32; tokens * rows];
            matmul(isa, &w, &acts, 0..tokens, 0..rows, |t, r, v| {
                y[t * rows + r] = v
            });
            y
        };
        let scalar = run(Isa::Scalar);
        // The quantised product is close to the float one.
        let mut wf = vec![0f32; rows * cols];
        let raw = random_matrix(rows, cols, &mut 7);
        for r in 0..rows {
            let per_row = cols / BLOCK * Q4_BLOCK_BYTES;
            dequantize_row(
                &raw[r * per_row..(r + 1) * per_row],
                &mut wf[r * cols..(r + 1) * cols],
            );
        }
        let exact: f32 = (0..cols).map(|i| wf[i] * x[i]).sum();
        assert!(
            (exact - scalar[0]).abs() < 0.02 * (1.0 + exact.abs()),
            "{exact} vs {}",
            scalar[0]
        );
        if Isa::detect() != Isa::Scalar {
            let simd = run(Isa::detect());
            assert!(scalar
                .iter()
                .zip(&simd)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn quantisation_rounds_half_to_even_and_keeps_sums() {
        let mut x = [0f32; 32];
        x[0] = 127.0;
        x[1] = 2.5;
        x[2] = -3.5;
        x[3] = -127.0;
        let (mut q, mut s, mut sums) = ([0i8; 32], [0f32; 1], [0f32; 1]);
        quantize_row(&x, &mut q, &mut s, &mut sums);
        assert_eq!((q[0], q[1], q[2], q[3]), (127, 2, -4, -127));
        assert_eq!(sums[0], -2.0);
        assert_eq!(s[0], 1.0);
    }

    #[test]
    fn fast_exp_and_gelu_are_accurate() {
        for i in -800..=800 {
            let x = i as f32 / 10.0;
            let rel = (exp(x) as f64 / (x as f64).exp() - 1.0).abs();
            assert!(rel < 5e-7, "exp({x}): {rel}");
        }
        let mut g = [-3.0f32, -1.0, 0.0, 0.5, 2.0];
        gelu(&mut g);
        let expected = [-0.004_049_7, -0.158_655_25, 0.0, 0.345_731_3, 1.954_5];
        for (a, b) in g.iter().zip(expected) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
