//! `hotline eval`: Recall@k, MRR@10 and the no-answer rates per query kind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::app::App;
use crate::config::Config;
use time::Date;

use crate::domain::date::{parse_date, today};
use crate::domain::eval::{evaluate, EvalQuery, EvalRun, KindMetrics};
use crate::domain::search::SearchRequest;
use crate::error::{AppError, AppResult, Code};
use crate::search::Stage;

/// The columns of `hotline eval --compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalMode {
    Bm25,
    Dense,
    Lexical,
    Hybrid,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Labelled queries, JSON Lines: {"qid","query","kind","relevant":[…],"region"?}
    pub file: PathBuf,
    /// Print the metrics as JSON
    #[arg(long)]
    pub json: bool,
    /// Measure plain BM25 over jieba tokens (no query analysis, no districts, no confidence);
    /// the same as `--mode bm25`
    #[arg(long)]
    pub baseline: bool,
    /// Which stages to measure: bm25 (plain baseline), dense (embeddings alone), lexical, or
    /// hybrid (the service's search; lexical alone when the model is not installed)
    #[arg(long, value_enum, default_value = "hybrid")]
    pub mode: EvalMode,
    /// Measure all four modes and print R@1, R@5, MRR@10 and no_answer side by side
    #[arg(long)]
    pub compare: bool,
    /// Also list the queries whose relevant entry is not in the top 3, or whose no-answer flag is wrong
    #[arg(long)]
    pub failures: bool,
    /// Write one JSON line per query (rank, confidence, uncovered words) to this file
    #[arg(long)]
    pub details: Option<PathBuf>,
    /// Judge which policies are in force as of this day (YYYY-MM-DD) instead of today, so a
    /// labelled set keeps its meaning after policies in it expire
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<Date>,
}

pub async fn run(config: Config, args: EvalArgs) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    if args.compare {
        let mut columns = Vec::new();
        for mode in [
            EvalMode::Bm25,
            EvalMode::Dense,
            EvalMode::Lexical,
            EvalMode::Hybrid,
        ] {
            match eval(&app, &args, mode).await {
                Ok(metrics) => columns.push((mode, metrics)),
                Err(err) => {
                    app.close().await;
                    return Err(err);
                }
            }
        }
        app.close().await;
        if args.json {
            let value: BTreeMap<String, _> = columns
                .into_iter()
                .map(|(mode, m)| (format!("{mode:?}").to_lowercase(), m))
                .collect();
            println!("{}", serde_json::to_string_pretty(&value)?);
        } else {
            print_comparison(&columns);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mode = if args.baseline {
        EvalMode::Bm25
    } else {
        args.mode
    };
    let result = eval(&app, &args, mode).await;
    app.close().await;
    let metrics = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&metrics)?);
    } else {
        print_table(&metrics);
    }
    Ok(ExitCode::SUCCESS)
}

/// Warns on stderr when labelled entries are not in the database: the labels were written for
/// another knowledge base (or none was imported), and every figure would read as a miss.
async fn warn_unknown_labels(app: &App, queries: &[EvalQuery]) -> AppResult<()> {
    let mut labels: Vec<&str> = queries
        .iter()
        .flat_map(|q| q.relevant.iter().map(String::as_str))
        .collect();
    labels.sort_unstable();
    labels.dedup();
    let mut missing = Vec::new();
    for id in &labels {
        if app.db_entry_exists(id).await? {
            continue;
        }
        missing.push(*id);
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(5).copied().collect();
        eprintln!(
            "注意：标注的 {} 个条目中有 {} 个不在知识库里（{}{}），它们只会算作未命中；请先用 hotline import 导入这份标注对应的知识库。",
            labels.len(),
            missing.len(),
            shown.join("、"),
            if missing.len() > shown.len() { "…" } else { "" }
        );
    }
    Ok(())
}

/// Runs every query of the file and returns the metrics per kind.
pub async fn eval(
    app: &App,
    args: &EvalArgs,
    mode: EvalMode,
) -> AppResult<BTreeMap<String, KindMetrics>> {
    app.sync_index(false).await?;
    let semantic =
        mode != EvalMode::Bm25 && mode != EvalMode::Lexical && app.prepare_semantic().await?;
    if mode == EvalMode::Dense && !semantic {
        return Err(AppError::new(
            Code::ModelMissing,
            "--mode dense 需要嵌入模型：请先运行 `hotline model fetch`，且不要设置 HOTLINE_SEMANTIC=off",
        ));
    }
    let stage = match mode {
        EvalMode::Dense => Stage::Dense,
        EvalMode::Lexical => Stage::Lexical,
        _ => Stage::Hybrid,
    };
    let queries = read_queries(&args.file)?;
    warn_unknown_labels(app, &queries).await?;
    let day = args.as_of.unwrap_or_else(today);
    let mut results = Vec::with_capacity(queries.len());
    let mut details = String::new();
    for query in queries {
        let run = if mode == EvalMode::Bm25 {
            let ranked = app.run_plain_search(query.query.clone(), 10, day).await?;
            let rank = ranked
                .iter()
                .position(|id| query.relevant.contains(id))
                .map(|p| p + 1);
            details.push_str(
                &serde_json::json!({"qid": query.qid, "kind": query.kind, "rank": rank})
                    .to_string(),
            );
            details.push('\n');
            EvalRun {
                ranked,
                no_answer: false,
            }
        } else {
            let request = SearchRequest::new(
                &query.query,
                query.region.clone(),
                None,
                None,
                Some(10),
                false,
            )?;
            let found = app.run_search_with(request, day, stage).await?;
            let ranked: Vec<&str> = found
                .hits
                .iter()
                .map(|h| h.entry.content.id.as_str())
                .collect();
            let rank = ranked
                .iter()
                .position(|id| query.relevant.iter().any(|r| r == id))
                .map(|p| p + 1);
            details.push_str(&serde_json::json!({
                "qid": query.qid, "kind": query.kind, "query": query.query, "rank": rank,
                "confidence": found.confidence, "top": ranked.iter().take(3).collect::<Vec<_>>(),
                "unmatched": found.interpretation.unmatched, "terms": found.interpretation.terms,
                "corrections": found.interpretation.corrections, "signals": found.signals,
                "no_answer": found.no_answer, "similarity": found.hits.first().and_then(|h| h.similarity),
            }).to_string());
            details.push('\n');
            EvalRun {
                ranked: found
                    .hits
                    .iter()
                    .map(|h| h.entry.content.id.clone())
                    .collect(),
                no_answer: found.no_answer,
            }
        };
        if args.failures {
            print_failure(&query, &run);
        }
        results.push((query, run));
    }
    if let Some(path) = &args.details {
        std::fs::write(path, details)?;
    }
    Ok(evaluate(&results))
}

fn print_failure(query: &EvalQuery, run: &EvalRun) {
    let top3: Vec<&String> = run.ranked.iter().take(3).collect();
    let answerable = !query.relevant.is_empty();
    let missed = answerable
        && if query.kind == "district" {
            run.ranked.first() != query.relevant.first()
        } else {
            !top3.iter().any(|id| query.relevant.contains(id))
        };
    let wrong_flag = run.no_answer == answerable;
    if missed || wrong_flag {
        eprintln!(
            "{} [{}] {}  期望 {:?}  得到 {:?}  no_answer={}",
            query.qid, query.kind, query.query, query.relevant, top3, run.no_answer
        );
    }
}

fn parse_day(text: &str) -> Result<Date, String> {
    parse_date(text).ok_or_else(|| format!("日期 {text:?} 无效，应为 YYYY-MM-DD"))
}

fn read_queries(path: &PathBuf) -> AppResult<Vec<EvalQuery>> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        AppError::new(
            Code::EvalInvalid,
            format!("{}: 无法读取：{err}", path.display()),
        )
    })?;
    let mut queries = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<EvalQuery>(line) {
            Ok(query) => queries.push(query),
            Err(err) => problems.push(format!("{}:{}: {err}", path.display(), i + 1)),
        }
    }
    if !problems.is_empty() {
        return Err(
            AppError::new(Code::EvalInvalid, "评测文件有无法解析的行").with_details(problems)
        );
    }
    Ok(queries)
}

fn print_comparison(columns: &[(EvalMode, BTreeMap<String, KindMetrics>)]) {
    print!("{:<14}{:>6}", "kind", "n");
    for (mode, _) in columns {
        print!("  {:<27}", format!("{mode:?}").to_lowercase());
    }
    println!();
    print!("{:<20}", "");
    for _ in columns {
        print!("  {:>6}{:>6}{:>7}{:>8}", "R@1", "R@5", "MRR", "no_ans");
    }
    println!();
    let kinds: Vec<&String> = columns
        .first()
        .map(|(_, m)| m.keys().collect())
        .unwrap_or_default();
    for kind in kinds {
        let n = columns[0].1[kind].queries;
        print!("{kind:<14}{n:>6}");
        for (_, metrics) in columns {
            let m = metrics.get(kind).cloned().unwrap_or_default();
            print!(
                "  {:>6.3}{:>6.3}{:>7.3}{:>8.3}",
                m.recall_at_1, m.recall_at_5, m.mrr_at_10, m.no_answer_rate
            );
        }
        println!();
    }
    println!("bm25: plain BM25 baseline; dense: embeddings alone; lexical: the analysed keyword search; hybrid: both, fused");
}

fn print_table(metrics: &BTreeMap<String, KindMetrics>) {
    println!(
        "{:<14}{:>6}{:>8}{:>8}{:>8}{:>8}{:>9}{:>11}",
        "kind", "n", "R@1", "R@3", "R@5", "R@10", "MRR@10", "no_answer"
    );
    for (kind, m) in metrics {
        println!(
            "{:<14}{:>6}{:>8.3}{:>8.3}{:>8.3}{:>8.3}{:>9.3}{:>11.3}",
            kind,
            m.queries,
            m.recall_at_1,
            m.recall_at_3,
            m.recall_at_5,
            m.recall_at_10,
            m.mrr_at_10,
            m.no_answer_rate
        );
    }
    println!("no_answer: share flagged for `unanswerable` (higher is better), share wrongly flagged for the others (lower is better)");
}
