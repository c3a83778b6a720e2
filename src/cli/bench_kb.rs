//! `hotline bench-kb` (hidden): writes the benchmark knowledge base, the sample recombined into
//! district versions (`domain::synthetic`), as files `hotline import` takes, with its queries.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::app::App;
use crate::config::Config;
use crate::domain::eval::EvalQuery;
use crate::domain::import::{validate, FileKind, SourceFile};
use crate::domain::search::MAX_QUERY_CHARS;
use crate::domain::synthetic::{
    bench_queries, load_questions, recombine, sample_regions, source_id, BenchQuery,
};
use crate::domain::EntryContent;
use crate::error::{AppError, AppResult, Code};

/// Eval files whose questions become benchmark queries, under `knowledge/eval/`.
const EVAL_FILES: [&str; 2] = ["queries.jsonl", "holdout.jsonl"];
/// Copies of each district question for invented districts.
const DISTRICT_COPIES: usize = 4;
/// Distinct questions of `eval/load.tsv`: more than the dense stage's query cache holds.
const LOAD_QUESTIONS: usize = 3_000;

#[derive(Args, Debug)]
pub struct BenchKbArgs {
    /// Entries to write, the sample's own included
    #[arg(long, default_value_t = 100_000)]
    pub entries: usize,
    /// Directory to write into (departments.jsonl, entries.jsonl, eval/queries.jsonl,
    /// eval/load.tsv, districts.tsv); `hotline import DIR` imports it
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the recombination: the same seed writes the same files
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    /// Distinct whole-call transcripts (2,000 characters) among the queries
    #[arg(long, default_value_t = 8)]
    pub transcripts: usize,
}

/// What [`write`] wrote.
#[derive(Clone, Debug)]
pub struct BenchKb {
    /// Entries written, the sample's included.
    pub entries: usize,
    /// Regions with entries (市级 and the districts).
    pub regions: usize,
    /// The queries also written to `eval/queries.jsonl`.
    pub queries: Vec<BenchQuery>,
    /// The files to import: departments, then entries.
    pub files: Vec<PathBuf>,
}

pub async fn run(config: Config, args: BenchKbArgs) -> AppResult<ExitCode> {
    let kb = write(
        &config.knowledge_dir,
        &args.out,
        args.entries,
        args.seed,
        args.transcripts,
    )?;
    println!(
        "已写入基准知识库：条目 {} 条，地区 {} 个，查询 {} 条 → {}（用 hotline import {} 导入）",
        kb.entries,
        kb.regions,
        kb.queries.len(),
        args.out.display(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `hotline bench-vectors`: stores vectors for every published entry of an imported benchmark
/// knowledge base, the sample's own embedded and the district versions' borrowed.
pub async fn vectors(config: Config) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    let result = store_vectors(&app).await;
    app.close().await;
    result
}

async fn store_vectors(app: &App) -> AppResult<ExitCode> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Some(encoder) = app.open_encoder(threads, true).await? else {
        return Err(AppError::new(
            Code::ModelMissing,
            "没有可用的嵌入模型：先运行 hotline model fetch，且不要设 HOTLINE_SEMANTIC=off",
        ));
    };
    let borrowed = app.borrow_vectors(&encoder, source_id, true).await?;
    println!("已存入向量：借用来源条目向量的区县版本 {borrowed} 条");
    Ok(ExitCode::SUCCESS)
}

/// Reads the sample knowledge base in `knowledge` (departments.jsonl, entries/, eval/) and
/// writes the recombined knowledge base of `entries` entries and its queries into `out`.
pub fn write(
    knowledge: &Path,
    out: &Path,
    entries: usize,
    seed: u64,
    transcripts: usize,
) -> AppResult<BenchKb> {
    let (departments_text, sample) = read_sample(knowledge)?;
    let kb = recombine(&sample, entries, seed);
    let regions = sample_regions(&sample);
    let eval = read_eval(&knowledge.join("eval"))?;
    let queries = bench_queries(
        &eval,
        &kb.districts,
        &regions,
        DISTRICT_COPIES,
        transcripts,
        MAX_QUERY_CHARS,
        seed,
    );

    std::fs::create_dir_all(out.join("eval"))?;
    let departments = out.join("departments.jsonl");
    std::fs::write(&departments, departments_text)?;
    let entries_file = out.join("entries.jsonl");
    std::fs::write(&entries_file, json_lines(&kb.entries)?)?;
    std::fs::write(
        out.join("eval").join("queries.jsonl"),
        json_lines(&queries)?,
    )?;
    // For wrk: one question a line, a tab and the caller's district when it has one.
    let mut load = String::new();
    for q in load_questions(&queries, &kb.districts, LOAD_QUESTIONS, seed) {
        let text = q.q.replace(['\t', '\n', '\r'], " ");
        let _ = writeln!(load, "{text}\t{}", q.region.unwrap_or_default());
    }
    std::fs::write(out.join("eval").join("load.tsv"), load)?;
    let mut table = String::from("name\tshort\tcity\tcode\n");
    for d in &kb.districts {
        let _ = writeln!(table, "{}\t{}\t{}州市\t{}", d.name, d.short, d.city, d.code);
    }
    std::fs::write(out.join("districts.tsv"), table)?;

    let region_count = kb
        .entries
        .iter()
        .map(|e| e.region.as_str())
        .collect::<HashSet<_>>()
        .len();
    Ok(BenchKb {
        entries: kb.entries.len(),
        regions: region_count,
        queries,
        files: vec![departments, entries_file],
    })
}

/// The sample's departments file as it is, and its entries validated as an import would.
fn read_sample(knowledge: &Path) -> AppResult<(String, Vec<EntryContent>)> {
    let departments = knowledge.join("departments.jsonl");
    let mut files = vec![SourceFile {
        name: departments.display().to_string(),
        kind: FileKind::Departments,
        text: read(&departments)?,
    }];
    let mut entry_files: Vec<PathBuf> = std::fs::read_dir(knowledge.join("entries"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    entry_files.sort();
    for path in entry_files {
        files.push(SourceFile {
            name: path.display().to_string(),
            kind: FileKind::Entries,
            text: read(&path)?,
        });
    }
    let batch = validate(&files, &HashSet::new()).map_err(|problems| {
        AppError::new(Code::ImportInvalid, "样例知识库有错误，无法生成基准知识库")
            .with_details(problems.iter().map(ToString::to_string).collect())
    })?;
    let text = files.swap_remove(0).text;
    Ok((text, batch.entries))
}

/// The labelled questions of the eval files present in `dir`.
fn read_eval(dir: &Path) -> AppResult<Vec<EvalQuery>> {
    let mut out = Vec::new();
    for name in EVAL_FILES {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        for (n, line) in read(&path)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let query: EvalQuery = serde_json::from_str(line).map_err(|err| {
                AppError::new(
                    Code::ImportInvalid,
                    format!("{}:{}: {err}", path.display(), n + 1),
                )
            })?;
            out.push(query);
        }
    }
    Ok(out)
}

fn read(path: &Path) -> AppResult<String> {
    std::fs::read_to_string(path).map_err(|err| {
        AppError::new(
            Code::ImportInvalid,
            format!("{}: 无法读取：{err}", path.display()),
        )
    })
}

fn json_lines<T: serde::Serialize>(items: &[T]) -> AppResult<String> {
    let mut text = String::new();
    for item in items {
        text.push_str(&serde_json::to_string(item)?);
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_knowledge_base_imports_cleanly() {
        let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let dir = tempfile::tempdir().unwrap();
        let kb = write(&knowledge, dir.path(), 1_500, 3, 2).unwrap();
        assert_eq!(kb.entries, 1_500);
        assert!(kb.regions > 10, "{}", kb.regions);
        let files: Vec<SourceFile> = kb
            .files
            .iter()
            .map(|p| SourceFile {
                name: p.display().to_string(),
                kind: if p.ends_with("departments.jsonl") {
                    FileKind::Departments
                } else {
                    FileKind::Entries
                },
                text: std::fs::read_to_string(p).unwrap(),
            })
            .collect();
        let batch = validate(&files, &HashSet::new()).unwrap();
        assert_eq!(batch.entries.len(), 1_500);
        let transcripts = kb.queries.iter().filter(|q| q.kind == "transcript");
        assert_eq!(transcripts.count(), 2);
        assert!(dir.path().join("eval/queries.jsonl").is_file());
        let load = std::fs::read_to_string(dir.path().join("eval/load.tsv")).unwrap();
        assert_eq!(load.lines().count(), LOAD_QUESTIONS);
    }
}
