//! Tests only: writes tiny synthetic E5S1 files (a 14-piece vocabulary, 64-wide, two layers,
//! deterministic pseudo-random weights) for the format, tokenizer and encoder tests.

use super::format::{BLOCK, Q4_BLOCK_BYTES};

pub(crate) const HIDDEN: usize = 64;
pub(crate) const FFN: usize = 96;
pub(crate) const LAYERS: usize = 2;
pub(crate) const POSITIONS: usize = 8;

/// (piece, score); ids are positions. `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3.
pub(crate) const PIECES: &[(&str, f32)] = &[
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -3.0),
    ("a", -4.0),
    ("b", -4.0),
    ("ab", -5.0),
    ("▁ab", -4.5),
    ("▁query", -2.0),
    (":", -2.0),
    ("社", -6.0),
    ("保", -6.0),
    ("▁社保", -7.0),
];

/// Tab → space, full-width Ａ → a, U+0001 → nothing.
pub(crate) const NORMALISATION: &[(u32, &[u32])] =
    &[(0x09, &[0x20]), (0xff21, &[0x61]), (0x01, &[])];

pub(crate) fn tiny_model() -> Vec<u8> {
    Builder::default().build()
}

#[derive(Default)]
pub(crate) struct Builder {
    pub version: Option<u32>,
    pub skip_tensor: Option<&'static str>,
}

impl Builder {
    pub fn build(&self) -> Vec<u8> {
        let mut out = b"E5S1".to_vec();
        let i32s =
            |out: &mut Vec<u8>, v: &[i32]| v.iter().for_each(|x| out.extend(x.to_le_bytes()));
        out.extend(self.version.unwrap_or(1).to_le_bytes());
        let (h, f) = (HIDDEN as i32, FFN as i32);
        i32s(&mut out, &[h, LAYERS as i32, 2, f, PIECES.len() as i32 + 2]);
        i32s(&mut out, &[POSITIONS as i32, 2]);
        out.extend(1e-12f32.to_le_bytes());
        i32s(&mut out, &[BLOCK as i32, PIECES.len() as i32, 0, 2, 1, 3]);
        let blob: Vec<u8> = PIECES.iter().flat_map(|(p, _)| p.bytes()).collect();
        out.extend((blob.len() as u64).to_le_bytes());
        let mut offset = 0u32;
        out.extend(offset.to_le_bytes());
        for (p, _) in PIECES {
            offset += p.len() as u32;
            out.extend(offset.to_le_bytes());
        }
        PIECES.iter().for_each(|(_, s)| out.extend(s.to_le_bytes()));
        out.extend(&blob);
        let mut table = Vec::new();
        for (cp, repl) in NORMALISATION {
            table.extend(cp.to_le_bytes());
            table.push(repl.len() as u8);
            repl.iter().for_each(|r| table.extend(r.to_le_bytes()));
        }
        i32s(&mut out, &[NORMALISATION.len() as i32]);
        out.extend((table.len() as u32).to_le_bytes());
        out.extend(&table);

        let tensors: Vec<(String, bool, usize)> = self.tensors();
        let dir_len: usize = 4 + tensors
            .iter()
            .map(|(n, _, _)| 2 + n.len() + 1 + 4 + 16)
            .sum::<usize>();
        let mut data_at = out.len() + dir_len;
        let mut data = Vec::new();
        i32s(&mut out, &[tensors.len() as i32]);
        let mut seed = 1u64;
        for (name, q4, n) in &tensors {
            let bytes = if *q4 {
                q4_tensor(*n, &mut seed)
            } else {
                f32_tensor(name, *n, &mut seed)
            };
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(name.bytes());
            out.push(u8::from(*q4));
            out.extend((*n as u32).to_le_bytes());
            out.extend((data_at as u64).to_le_bytes());
            out.extend((bytes.len() as u64).to_le_bytes());
            data_at += bytes.len();
            data.extend(bytes);
        }
        out.extend(data);
        out
    }

    fn tensors(&self) -> Vec<(String, bool, usize)> {
        let (h, f) = (HIDDEN, FFN);
        let mut t = vec![
            ("emb.word".to_string(), true, (PIECES.len() + 2) * h),
            ("emb.pos".into(), false, POSITIONS * h),
            ("emb.type".into(), false, 2 * h),
            ("emb.ln.w".into(), false, h),
            ("emb.ln.b".into(), false, h),
        ];
        for l in 0..LAYERS {
            for (s, q4, n) in [
                ("q.w", true, h * h),
                ("q.b", false, h),
                ("k.w", true, h * h),
                ("k.b", false, h),
                ("v.w", true, h * h),
                ("v.b", false, h),
                ("ao.w", true, h * h),
                ("ao.b", false, h),
                ("aln.w", false, h),
                ("aln.b", false, h),
                ("fi.w", true, f * h),
                ("fi.b", false, f),
                ("fo.w", true, h * f),
                ("fo.b", false, h),
                ("oln.w", false, h),
                ("oln.b", false, h),
            ] {
                t.push((format!("l{l}.{s}"), q4, n));
            }
        }
        t.retain(|(name, _, _)| Some(name.as_str()) != self.skip_tensor);
        t
    }
}

fn next(seed: &mut u64) -> u32 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 33) as u32
}

fn q4_tensor(n: usize, seed: &mut u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n / BLOCK * Q4_BLOCK_BYTES);
    for _ in 0..n / BLOCK {
        let scale = 0.02 + (next(seed) % 100) as f32 / 2000.0;
        out.extend(half::f16::from_f32(scale).to_le_bytes());
        out.extend((0..16).map(|_| next(seed) as u8));
    }
    out
}

fn f32_tensor(name: &str, n: usize, seed: &mut u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            let r = (next(seed) % 2001) as f32 / 1000.0 - 1.0;
            if name.ends_with("ln.w") {
                1.0 + 0.1 * r
            } else {
                0.5 * r
            }
        })
        .flat_map(f32::to_le_bytes)
        .collect()
}
