//! The E5S1 model file: reads and checks the header, the tokenizer tables and the tensor
//! directory of a memory-mapped file, and hands out the tensors by name.
//!
//! Layout (all integers little-endian): `E5S1`, u32 version 1, nine header fields (i32 hidden,
//! layers, heads, ffn, vocab, positions, token types, f32 eps, i32 block 32); the vocabulary
//! (i32 piece count, bos, eos, pad, unk ids, u64 blob length, u32 offsets × (count+1), f32
//! scores × count, the piece bytes); the normalisation table (i32 entries, u32 byte length, then
//! per entry u32 code point, u8 n, u32 × n replacement code points); the tensor directory (i32
//! count, then u16 name length, name, u8 dtype 0 = f32 / 1 = Q4_0, u32 elements, u64 offset,
//! u64 byte length). Q4_0 stores 32 weights in 18 bytes: an f16 scale and 16 bytes of nibbles,
//! byte j holding weight j (low nibble) and weight j + 16 (high nibble), value (q − 8) · scale.

use std::fs::File;
use std::ops::{Deref, Range};
use std::path::Path;

use memmap2::Mmap;

use super::EmbedError;

/// Weights per quantisation block.
pub(crate) const BLOCK: usize = 32;
/// Bytes per Q4_0 block: f16 scale + 16 bytes of nibbles.
pub(crate) const Q4_BLOCK_BYTES: usize = 18;

const MAGIC: &[u8; 4] = b"E5S1";
const VERSION: u32 = 1;

/// The encoder's shape, from the header.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Dims {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub positions: usize,
    pub token_types: usize,
    pub eps: f32,
}

/// The tokenizer's tables, copied out of the file.
#[derive(Debug)]
pub(crate) struct Vocab {
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// `offsets[i]..offsets[i + 1]` is piece `i` in `blob`.
    pub offsets: Vec<u32>,
    pub scores: Vec<f32>,
    pub blob: Vec<u8>,
    /// (code point, replacement code points), as stored.
    pub normalisation: Vec<(u32, Vec<u32>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DType {
    F32,
    Q4,
}

#[derive(Debug)]
struct Tensor {
    name: String,
    dtype: DType,
    elements: usize,
    offset: usize,
    bytes: usize,
}

/// The file's bytes: memory-mapped, or owned (tests build models in memory).
enum Bytes {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

/// A parsed and checked model file. Tensors stay in the file; f32 tensors are copied out on
/// request, Q4_0 tensors are lent as raw block bytes.
pub(crate) struct ModelFile {
    bytes: Bytes,
    pub dims: Dims,
    tensors: Vec<Tensor>,
}

impl ModelFile {
    /// Maps and parses `path`; returns the file and its vocabulary.
    pub fn open(path: &Path) -> Result<(ModelFile, Vocab), EmbedError> {
        let io = |source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        // SAFETY: the model file is opened read-only and is never written while it is mapped:
        // `model install` writes a temporary file and renames it over the old one, so a live
        // map keeps the old inode.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        Self::parse(Bytes::Mapped(map))
    }

    /// Parses a model held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<(ModelFile, Vocab), EmbedError> {
        Self::parse(Bytes::Owned(bytes))
    }

    fn parse(bytes: Bytes) -> Result<(ModelFile, Vocab), EmbedError> {
        if bytes.len() < 8 || &bytes[..4] != MAGIC {
            return Err(EmbedError::NotAModel);
        }
        let mut r = Reader {
            bytes: &bytes,
            pos: 4,
        };
        let version = r.u32("版本号")?;
        if version != VERSION {
            return Err(EmbedError::Format(format!(
                "不支持的 E5S1 版本 {version}（支持版本 {VERSION}）"
            )));
        }
        let dims = read_dims(&mut r)?;
        let vocab = read_vocab(&mut r, &dims)?;
        let tensors = read_directory(&mut r, bytes.len())?;
        check_tensors(&dims, &tensors)?;
        let file = ModelFile {
            bytes,
            dims,
            tensors,
        };
        Ok((file, vocab))
    }

    /// A checked f32 tensor, copied out.
    pub fn f32s(&self, name: &str, elements: usize) -> Result<Vec<f32>, EmbedError> {
        let t = find(&self.tensors, name, DType::F32, elements)?;
        let raw = &self.bytes[t.offset..t.offset + t.bytes];
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// A checked Q4_0 tensor's block bytes (`rows × cols / 32` blocks, row-major).
    pub fn q4(&self, name: &str, rows: usize, cols: usize) -> Result<&[u8], EmbedError> {
        self.q4_range(name, rows, cols).map(|r| &self.bytes[r])
    }

    /// Where a checked Q4_0 tensor lies in the file, for tensors read row by row.
    pub fn q4_range(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<Range<usize>, EmbedError> {
        let t = find(&self.tensors, name, DType::Q4, rows * cols)?;
        Ok(t.offset..t.offset + t.bytes)
    }

    /// Bytes of the file (ranges come from [`ModelFile::q4_range`]).
    pub fn slice(&self, range: Range<usize>) -> &[u8] {
        &self.bytes[range]
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Every tensor the encoder reads must be present with its dtype and size.
fn check_tensors(d: &Dims, tensors: &[Tensor]) -> Result<(), EmbedError> {
    let (h, f) = (d.hidden, d.ffn);
    find(tensors, "emb.word", DType::Q4, d.vocab * h)?;
    find(tensors, "emb.pos", DType::F32, d.positions * h)?;
    find(tensors, "emb.type", DType::F32, d.token_types * h)?;
    for name in ["emb.ln.w", "emb.ln.b"] {
        find(tensors, name, DType::F32, h)?;
    }
    for l in 0..d.layers {
        for (suffix, dtype, n) in [
            ("q.w", DType::Q4, h * h),
            ("k.w", DType::Q4, h * h),
            ("v.w", DType::Q4, h * h),
            ("ao.w", DType::Q4, h * h),
            ("fi.w", DType::Q4, f * h),
            ("fo.w", DType::Q4, h * f),
            ("fi.b", DType::F32, f),
        ] {
            find(tensors, &format!("l{l}.{suffix}"), dtype, n)?;
        }
        for suffix in [
            "q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fo.b", "oln.w", "oln.b",
        ] {
            find(tensors, &format!("l{l}.{suffix}"), DType::F32, h)?;
        }
    }
    Ok(())
}

fn find<'t>(
    tensors: &'t [Tensor],
    name: &str,
    dtype: DType,
    elements: usize,
) -> Result<&'t Tensor, EmbedError> {
    let tensor = tensors
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| EmbedError::Format(format!("缺少张量 {name}")))?;
    if tensor.dtype != dtype || tensor.elements != elements {
        return Err(EmbedError::Format(format!(
            "张量 {name} 的类型或大小不符：{:?} × {}，应为 {dtype:?} × {elements}",
            tensor.dtype, tensor.elements
        )));
    }
    Ok(tensor)
}

fn read_dims(r: &mut Reader) -> Result<Dims, EmbedError> {
    let mut field = |what| r.i32(what).map(|v| usize::try_from(v).unwrap_or(0));
    let hidden = field("隐藏层维度")?;
    let layers = field("层数")?;
    let heads = field("注意力头数")?;
    let ffn = field("前馈层维度")?;
    let vocab = field("词表大小")?;
    let positions = field("位置数")?;
    let token_types = field("句子类型数")?;
    let eps = r.f32("层归一化 eps")?;
    let block = r.i32("量化块大小")?;
    let dims = Dims {
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        positions,
        token_types,
        eps,
    };
    let sane = block == BLOCK as i32
        && hidden > 0
        && hidden % BLOCK == 0
        && ffn > 0
        && ffn % BLOCK == 0
        && heads > 0
        && hidden % heads == 0
        && (1..=1024).contains(&layers)
        && positions >= 3
        && token_types >= 1
        && vocab >= 1
        && eps.is_finite()
        && eps > 0.0;
    if !sane {
        return Err(EmbedError::Format(format!(
            "文件头数值不合理：{dims:?}，块大小 {block}"
        )));
    }
    Ok(dims)
}

fn read_vocab(r: &mut Reader, dims: &Dims) -> Result<Vocab, EmbedError> {
    let count = r.i32("词表条数")?;
    let count = usize::try_from(count)
        .ok()
        .filter(|&n| n >= 4 && n <= dims.vocab)
        .ok_or_else(|| EmbedError::Format(format!("词表条数 {count} 不合理")))?;
    let mut special = [0u32; 4];
    for (slot, what) in special.iter_mut().zip(["<s>", "</s>", "<pad>", "<unk>"]) {
        let id = r.i32(what)?;
        *slot = u32::try_from(id)
            .ok()
            .filter(|&id| (id as usize) < count)
            .ok_or_else(|| EmbedError::Format(format!("特殊词 {what} 的编号 {id} 越界")))?;
    }
    let blob_len = r.u64("词表正文长度")?;
    let offsets: Vec<u32> = r
        .take((count + 1) * 4, "词表偏移")?
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let scores: Vec<f32> = r
        .take(count * 4, "词表分数")?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let blob_len = usize::try_from(blob_len).unwrap_or(usize::MAX);
    let blob = r.take(blob_len, "词表正文")?.to_vec();
    let ordered = offsets.first() == Some(&0)
        && offsets.windows(2).all(|w| w[0] <= w[1])
        && offsets.last().map(|&end| end as usize) == Some(blob.len());
    if !ordered || scores.iter().any(|s| !s.is_finite()) {
        return Err(EmbedError::Format("词表偏移或分数损坏".into()));
    }
    let entries = r.i32("归一化表条数")?;
    let table_len = r.u32("归一化表长度")? as usize;
    let mut table = Reader {
        bytes: r.take(table_len, "归一化表")?,
        pos: 0,
    };
    let entries = usize::try_from(entries)
        .map_err(|_| EmbedError::Format(format!("归一化表条数 {entries} 不合理")))?;
    let mut normalisation = Vec::with_capacity(entries.min(1 << 20));
    for _ in 0..entries {
        let cp = table.u32("归一化表")?;
        let n = table.take(1, "归一化表")?[0] as usize;
        let out = table
            .take(n * 4, "归一化表")?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        normalisation.push((cp, out));
    }
    Ok(Vocab {
        bos: special[0],
        eos: special[1],
        unk: special[3],
        offsets,
        scores,
        blob,
        normalisation,
    })
}

fn read_directory(r: &mut Reader, file_len: usize) -> Result<Vec<Tensor>, EmbedError> {
    let count = r.i32("张量目录")?;
    let count = usize::try_from(count)
        .ok()
        .filter(|&n| n <= 100_000)
        .ok_or_else(|| EmbedError::Format(format!("张量条数 {count} 不合理")))?;
    let mut tensors = Vec::with_capacity(count);
    for _ in 0..count {
        let name_len = r.u16("张量名")? as usize;
        let name = String::from_utf8_lossy(r.take(name_len, "张量名")?).into_owned();
        let dtype = match r.take(1, "张量类型")?[0] {
            0 => DType::F32,
            1 => DType::Q4,
            other => {
                return Err(EmbedError::Format(format!(
                    "张量 {name} 的类型 {other} 未知"
                )))
            }
        };
        let elements = r.u32("张量大小")? as usize;
        let offset = r.u64("张量位置")?;
        let bytes = r.u64("张量长度")?;
        let expected = match dtype {
            DType::F32 => elements * 4,
            DType::Q4 => elements / BLOCK * Q4_BLOCK_BYTES,
        };
        let (offset, bytes) = (
            usize::try_from(offset).unwrap_or(usize::MAX),
            usize::try_from(bytes).unwrap_or(usize::MAX),
        );
        if (dtype == DType::Q4 && !elements.is_multiple_of(BLOCK)) || bytes != expected {
            return Err(EmbedError::Format(format!("张量 {name} 的长度不符")));
        }
        if offset.checked_add(bytes).is_none_or(|end| end > file_len) {
            return Err(EmbedError::Truncated(format!("张量 {name}")));
        }
        tensors.push(Tensor {
            name,
            dtype,
            elements,
            offset,
            bytes,
        });
    }
    Ok(tensors)
}

/// A bounds-checked little-endian cursor.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EmbedError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| EmbedError::Truncated(what.to_string()))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], EmbedError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u16(&mut self, what: &str) -> Result<u16, EmbedError> {
        self.array(what).map(u16::from_le_bytes)
    }

    fn u32(&mut self, what: &str) -> Result<u32, EmbedError> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn i32(&mut self, what: &str) -> Result<i32, EmbedError> {
        self.array(what).map(i32::from_le_bytes)
    }

    fn u64(&mut self, what: &str) -> Result<u64, EmbedError> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn f32(&mut self, what: &str) -> Result<f32, EmbedError> {
        self.array(what).map(f32::from_le_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::testmodel::{tiny_model, Builder, HIDDEN, PIECES};

    #[test]
    fn the_synthetic_model_parses() {
        let (file, vocab) = ModelFile::from_bytes(tiny_model()).unwrap();
        assert_eq!(file.dims.hidden, HIDDEN);
        assert_eq!(vocab.scores.len(), PIECES.len());
        assert_eq!((vocab.bos, vocab.eos, vocab.unk), (0, 2, 3));
        assert_eq!(file.f32s("l1.fo.b", HIDDEN).unwrap().len(), HIDDEN);
    }

    #[test]
    fn a_truncated_file_is_an_error_never_a_panic() {
        let full = tiny_model();
        let cuts = (0..full.len())
            .step_by(full.len() / 300)
            .chain([full.len() - 1]);
        for cut in cuts {
            match ModelFile::from_bytes(full[..cut].to_vec()) {
                Err(EmbedError::Truncated(_) | EmbedError::NotAModel) => {}
                Err(other) => panic!("cut at {cut}: unexpected {other}"),
                Ok(_) => panic!("cut at {cut} parsed"),
            }
        }
    }

    #[test]
    fn foreign_files_versions_and_missing_tensors_are_named() {
        let err = |bytes| ModelFile::from_bytes(bytes).err().unwrap().to_string();
        assert_eq!(
            err(b"PK\x03\x04 a zip file".to_vec()),
            EmbedError::NotAModel.to_string()
        );
        let v2 = Builder {
            version: Some(2),
            ..Builder::default()
        };
        assert!(err(v2.build()).contains("版本 2"));
        let missing = Builder {
            skip_tensor: Some("l1.oln.b"),
            ..Builder::default()
        };
        assert!(err(missing.build()).contains("缺少张量 l1.oln.b"));
    }
}
