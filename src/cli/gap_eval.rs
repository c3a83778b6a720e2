//! `hotline eval-gaps FILE`: feeds a stream of unanswered questions, in file order, through
//! the knowledge-gap grouping and prints paraphrase recall and the mixed-gap rate; the last
//! line is JSON. `--sweep` also measures a range of thresholds (to fit them).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::app::{threshold_for, App};
use crate::config::Config;
use crate::domain::gap_eval::{gap_metrics, GapMetrics, GapSample};
use crate::domain::gaps::{Features, Grouper};
use crate::error::{AppError, AppResult, Code};

#[derive(Args, Debug)]
pub struct GapEvalArgs {
    /// JSON Lines, one paraphrase a line: {"need": "...", "text": "..."}
    pub file: PathBuf,
    /// Join threshold (cosine); default: the service's for the method in use
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Also print the metrics for thresholds from 0.05 to 0.97
    #[arg(long)]
    pub sweep: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    /// `dense` (sentence vectors) or `lexical` (character bigrams of content words).
    method: &'a str,
    threshold: f32,
    #[serde(flatten)]
    metrics: GapMetrics,
}

fn read_samples(file: &PathBuf) -> AppResult<Vec<GapSample>> {
    let text = std::fs::read_to_string(file).map_err(|err| {
        AppError::new(
            Code::EvalInvalid,
            format!("{}: 无法读取：{err}", file.display()),
        )
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|err| {
                AppError::new(
                    Code::EvalInvalid,
                    format!(
                        "{} 第 {} 行：应为 {{\"need\",\"text\"}}：{err}",
                        file.display(),
                        n + 1
                    ),
                )
            })
        })
        .collect()
}

fn measure(samples: &[GapSample], features: &[Features], threshold: f32) -> GapMetrics {
    let mut grouper = Grouper::new(threshold);
    let mut next = 0usize;
    let assigned: Vec<String> = samples
        .iter()
        .zip(features)
        .map(|(s, f)| {
            grouper
                .place(&s.text, f.clone(), || {
                    next += 1;
                    next.to_string()
                })
                .gap_id
        })
        .collect();
    let needs: Vec<&str> = samples.iter().map(|s| s.need.as_str()).collect();
    let assigned: Vec<&str> = assigned.iter().map(String::as_str).collect();
    gap_metrics(&needs, &assigned)
}

pub async fn run(config: Config, args: GapEvalArgs) -> AppResult<ExitCode> {
    let samples = read_samples(&args.file)?;
    let app = App::open(config).await?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let opened = app.open_encoder(threads, false).await;
    let features = match opened {
        Ok(_) => {
            app.gap_features(samples.iter().map(|s| s.text.clone()).collect())
                .await
        }
        Err(err) => Err(err),
    };
    let dense = app.gap_model().is_some();
    app.close().await;
    let features = features?;
    let method = if dense { "dense" } else { "lexical" };
    if args.sweep {
        for step in 5..=97 {
            let threshold = step as f32 / 100.0;
            let m = measure(&samples, &features, threshold);
            println!(
                "{method} threshold {threshold:.2}: recall {:.3} mixed {:.3} pure {:.3} gaps {}",
                m.recall, m.mixed_rate, m.pure_recall, m.gaps
            );
        }
    }
    let threshold = args.threshold.unwrap_or_else(|| threshold_for(dense));
    let report = Report {
        file: args.file.display().to_string(),
        method,
        threshold,
        metrics: measure(&samples, &features, threshold),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}
