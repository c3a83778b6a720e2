//! `hotline search`: the agent's search from a terminal.

use std::process::ExitCode;

use clap::Args;

use crate::app::App;
use crate::config::Config;
use crate::domain::search::SearchRequest;
use crate::error::AppResult;

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// What the caller asked, or the keywords an agent would type
    pub query: String,
    /// The caller's district
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long, default_value_t = 5)]
    pub limit: usize,
    /// Also show expired entries
    #[arg(long)]
    pub include_expired: bool,
    /// Print the JSON the HTTP API returns
    #[arg(long)]
    pub json: bool,
}

pub async fn run(config: Config, args: SearchArgs) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    let result = search(&app, args).await;
    app.close().await;
    result
}

async fn search(app: &App, args: SearchArgs) -> AppResult<ExitCode> {
    app.sync_index(false).await?;
    app.prepare_semantic().await?;
    let request = SearchRequest::new(
        &args.query,
        args.region,
        args.department,
        args.category,
        Some(args.limit),
        args.include_expired,
    )?;
    let outcome = app.search(request, None).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(ExitCode::SUCCESS);
    }
    let i = &outcome.interpretation;
    println!(
        "检索词：{}{}{}{}{}",
        i.terms.join(" "),
        if i.corrections.is_empty() {
            String::new()
        } else {
            format!("；纠正：{}", i.corrections.join("，"))
        },
        if i.synonyms.is_empty() {
            String::new()
        } else {
            format!("；同义：{}", i.synonyms.join("，"))
        },
        i.region
            .as_ref()
            .map(|r| format!("；地区：{r}"))
            .unwrap_or_default(),
        i.out_of_scope
            .as_ref()
            .map(|m| format!("；超出政务知识范围的问法：{m}"))
            .unwrap_or_default(),
    );
    println!(
        "{}（置信度 {:.2}，{}，{:.1} ms，search_id {}）",
        if outcome.no_answer {
            "未找到可靠答案"
        } else {
            "找到答案"
        },
        outcome.confidence,
        if i.semantic {
            "语义检索已参与"
        } else {
            "仅关键词检索"
        },
        outcome.took_ms,
        outcome.search_id
    );
    for (rank, hit) in outcome.hits.iter().enumerate() {
        let expired = if hit.expired { " 【已失效】" } else { "" };
        println!(
            "{}. [{}] {}{}  （{} · {} · {}，得分 {:.2}{}）",
            rank + 1,
            hit.id,
            hit.title,
            expired,
            hit.category,
            hit.region,
            hit.department,
            hit.score,
            hit.similarity
                .map(|c| format!("，语义相似度 {c:.3}"))
                .unwrap_or_default()
        );
        println!(
            "   {}",
            hit.snippet.replace("<b>", "【").replace("</b>", "】")
        );
    }
    Ok(ExitCode::SUCCESS)
}
