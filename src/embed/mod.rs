//! In-process sentence embeddings with multilingual-e5-small (4-bit, E5S1 file): the public
//! API, the `query: ` / `passage: ` prefixes and how texts longer than the model's 512
//! positions are handled.
//!
//! - `format` parses and checks the model file, `tokenizer` turns text into XLM-R token ids,
//!   `encoder` runs BERT over token sequences using the `kernels`, `model_file` finds,
//!   verifies and installs the model file.
//! - A text is prefixed, tokenised whole, and cut into windows of at most 510 tokens (the
//!   prefix belongs to the first). Each window runs as `<s> … </s>`; the text's vector is the
//!   windows' mean-pooled states averaged with their token counts as weights, then
//!   L2-normalised. This is the reference engine's behaviour, and for passages it keeps every
//!   part of a long document. A caller's question sits at the end of a transcript, so
//!   [`LongText::KeepEnd`] instead keeps the prefix and the last tokens that fit one window.

mod encoder;
mod format;
mod kernels;
pub mod model_file;
#[cfg(test)]
mod testmodel;
mod tokenizer;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use encoder::Model;
use format::ModelFile;
use tokenizer::Tokenizer;

/// Tokens per forward batch when embedding many texts; bounds memory (about 14 kB per token).
const BATCH_TOKENS: usize = 2048;

/// Why the model could not be loaded or installed. Messages are for the person running the
/// service.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "未找到模型文件 {0}，请先运行 `hotline model fetch`（或 `hotline model install 文件`）"
    )]
    Missing(PathBuf),
    #[error("无法读取或写入 {path}：{source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("不是 E5S1 模型文件（文件头不符）")]
    NotAModel,
    #[error("模型文件不完整（读取{0}时已到文件末尾），请重新安装模型")]
    Truncated(String),
    #[error("模型文件格式错误：{0}")]
    Format(String),
    #[error("模型文件校验失败：sha256 应为 {expected}，实际为 {actual}")]
    Checksum { expected: String, actual: String },
    #[error("{0}")]
    Install(String),
}

/// Which instruction the model was trained with: questions and the texts that answer them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    Query,
    Passage,
}

impl Prefix {
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::Query => "query: ",
            Prefix::Passage => "passage: ",
        }
    }
}

/// What to do with a text longer than one window (510 tokens after the prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LongText {
    /// Average all windows, weighted by their tokens (the reference behaviour).
    #[default]
    Windows,
    /// Keep the prefix and the text's last tokens: for a question at the end of a transcript.
    KeepEnd,
}

/// A loaded model: immutable and `Sync`, so one instance serves concurrent callers, each
/// embedding using up to [`Encoder::threads`] threads.
pub struct Encoder {
    model: Model,
    tokenizer: Tokenizer,
    threads: usize,
    digest: OnceLock<String>,
}

impl Encoder {
    /// Maps and checks the E5S1 file at `path`. Uses all available cores per embedding until
    /// [`Encoder::with_threads`] says otherwise.
    pub fn open(path: &Path) -> Result<Encoder, EmbedError> {
        if !path.is_file() {
            return Err(EmbedError::Missing(path.to_path_buf()));
        }
        Self::load(ModelFile::open(path)?)
    }

    /// A model held in memory (tests).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Encoder, EmbedError> {
        Self::load(ModelFile::from_bytes(bytes)?)
    }

    fn load((file, vocab): (ModelFile, format::Vocab)) -> Result<Encoder, EmbedError> {
        let tokenizer = Tokenizer::new(&vocab);
        let model = Model::load(file)?;
        Ok(Encoder {
            model,
            tokenizer,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            digest: OnceLock::new(),
        })
    }

    /// Threads one embedding call may use (at least 1). A server answering several requests
    /// at once should keep this below its core count.
    pub fn with_threads(mut self, threads: usize) -> Encoder {
        self.threads = threads.max(1);
        self
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Dimension of the vectors (384).
    pub fn dim(&self) -> usize {
        self.model.dims.hidden
    }

    /// Content tokens per window: the model's positions minus `<s>` and `</s>` (510).
    pub fn window(&self) -> usize {
        self.model.dims.positions - 2
    }

    /// Lower-case hex sha256 of the model file, to key stored vectors (computed once).
    pub fn digest(&self) -> &str {
        self.digest
            .get_or_init(|| hex(&Sha256::digest(self.model.file().bytes())))
    }

    /// The model's input for `text`: `<s>`, the prefixed text's tokens, `</s>` (not windowed).
    pub fn token_ids(&self, text: &str, prefix: Prefix) -> Vec<u32> {
        let mut ids = vec![self.tokenizer.bos];
        ids.extend(self.content(text, prefix));
        ids.push(self.tokenizer.eos);
        ids
    }

    /// A question's vector; long texts are windowed like passages.
    pub fn embed_query(&self, text: &str) -> Vec<f32> {
        self.embed_query_with(text, LongText::Windows)
    }

    /// A question's vector, choosing how a text longer than one window is handled.
    pub fn embed_query_with(&self, text: &str, long: LongText) -> Vec<f32> {
        let mut content = self.content(text, Prefix::Query);
        if long == LongText::KeepEnd && content.len() > self.window() {
            let kept = self.prefix_len(&content, Prefix::Query);
            let tail = content.len() - (self.window() - kept);
            content.drain(kept..tail);
        }
        self.embed_contents(&[content]).pop().unwrap_or_default()
    }

    /// Questions' vectors, in order, batched; long ones are windowed.
    pub fn embed_queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.embed_texts(texts, Prefix::Query)
    }

    /// Passages' vectors, in order; long passages are windowed.
    pub fn embed_passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.embed_texts(texts, Prefix::Passage)
    }

    fn embed_texts(&self, texts: &[&str], prefix: Prefix) -> Vec<Vec<f32>> {
        let contents: Vec<Vec<u32>> = texts.iter().map(|t| self.content(t, prefix)).collect();
        self.embed_contents(&contents)
    }

    fn content(&self, text: &str, prefix: Prefix) -> Vec<u32> {
        self.tokenizer.encode(&format!("{}{text}", prefix.as_str()))
    }

    /// How many leading tokens of `content` spell the prefix (`▁query` `:`), 0 if they differ.
    fn prefix_len(&self, content: &[u32], prefix: Prefix) -> usize {
        let ids = self.tokenizer.encode(prefix.as_str().trim_end());
        if content.starts_with(&ids) {
            ids.len()
        } else {
            0
        }
    }

    /// Windows every text, runs the windows in batches of about [`BATCH_TOKENS`] and
    /// combines each text's windows into its normalised vector.
    fn embed_contents(&self, contents: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let (bos, eos, w) = (self.tokenizer.bos, self.tokenizer.eos, self.window());
        // (text, window input)
        let mut windows: Vec<(usize, Vec<u32>)> = Vec::new();
        for (i, content) in contents.iter().enumerate() {
            let mut chunks: Vec<&[u32]> = content.chunks(w).collect();
            if chunks.is_empty() {
                chunks.push(&[]);
            }
            for chunk in chunks {
                let mut input = Vec::with_capacity(chunk.len() + 2);
                input.push(bos);
                input.extend_from_slice(chunk);
                input.push(eos);
                windows.push((i, input));
            }
        }
        let dim = self.dim();
        let mut sums = vec![vec![0f32; dim]; contents.len()];
        let mut weights = vec![0f64; contents.len()];
        let mut start = 0;
        while start < windows.len() {
            let mut end = start;
            let mut tokens = 0;
            while end < windows.len()
                && (end == start || tokens + windows[end].1.len() <= BATCH_TOKENS)
            {
                tokens += windows[end].1.len();
                end += 1;
            }
            let batch: Vec<&[u32]> = windows[start..end]
                .iter()
                .map(|(_, ids)| &ids[..])
                .collect();
            let means = self.model.forward(&batch, self.threads);
            for ((text, input), mean) in windows[start..end].iter().zip(means) {
                let weight = (input.len() - 2).max(1) as f32;
                for (s, m) in sums[*text].iter_mut().zip(mean) {
                    *s += weight * m;
                }
                weights[*text] += f64::from(weight);
            }
            start = end;
        }
        for (v, weight) in sums.iter_mut().zip(weights) {
            let inv = if weight > 0.0 {
                (1.0 / weight) as f32
            } else {
                1.0
            };
            v.iter_mut().for_each(|x| *x *= inv);
            let norm = v.iter().map(|x| x * x).sum::<f32>().max(1e-12).sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
        }
        sums
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::kernels::Isa;
    use crate::embed::testmodel::tiny_model;

    fn tiny() -> Encoder {
        Encoder::from_bytes(tiny_model()).unwrap()
    }

    fn bits(v: &[Vec<f32>]) -> Vec<Vec<u32>> {
        v.iter()
            .map(|v| v.iter().map(|x| x.to_bits()).collect())
            .collect()
    }

    #[test]
    fn the_scalar_and_simd_paths_give_identical_vectors() {
        let (file, _) = ModelFile::from_bytes(tiny_model()).unwrap();
        let mut model = Model::load(file).unwrap();
        let seqs: [&[u32]; 2] = [&[0, 9, 10, 8, 13, 2], &[0, 4, 5, 2]];
        let simd = model.forward(&seqs, 1);
        model.set_isa(Isa::Scalar);
        assert_eq!(bits(&simd), bits(&model.forward(&seqs, 1)));
    }

    #[test]
    fn threads_and_batching_do_not_change_vectors() {
        let texts = ["ab 社保", "a b a b a b a b a b", "x"];
        let one = tiny().with_threads(1);
        let three = tiny().with_threads(3);
        let batch = one.embed_passages(&texts);
        assert_eq!(bits(&batch), bits(&three.embed_passages(&texts)));
        let singles: Vec<Vec<f32>> = texts
            .iter()
            .map(|t| one.embed_passages(&[t]).remove(0))
            .collect();
        assert_eq!(bits(&batch), bits(&singles));
        for v in &batch {
            let norm: f32 = v.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-5 && v.len() == one.dim());
        }
    }

    #[test]
    fn long_queries_are_windowed_or_keep_their_end() {
        let enc = tiny();
        assert_eq!(enc.window(), 6);
        let long = "b a b ab ab";
        // ▁query : ▁ b ▁ a ▁ b ▁ab ▁ab: ten tokens, two windows.
        assert_eq!(enc.token_ids(long, Prefix::Query).len(), 12);
        let end = enc.embed_query_with(long, LongText::KeepEnd);
        assert_eq!(end, enc.embed_query("b ab ab"));
        assert_ne!(end, enc.embed_query(long));
        assert_eq!(
            enc.embed_query("ab"),
            enc.embed_query_with("ab", LongText::KeepEnd)
        );
    }

    #[test]
    fn one_encoder_serves_many_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Encoder>();
    }

    #[test]
    fn token_ids_carry_the_prefix_and_specials() {
        let enc = tiny();
        assert_eq!(enc.token_ids("ab", Prefix::Query), [0, 9, 10, 8, 2]);
        assert_eq!(enc.digest().len(), 64);
        assert!(enc.embed_passages(&[]).is_empty());
    }
}
