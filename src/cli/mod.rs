//! The `hotline` command line (clap): global configuration flags and one file per subcommand.

pub mod bench_kb;
mod eval;
mod gap_eval;
mod knowledge;
mod model;
mod routing_eval;
mod search;
mod serve;
mod tickets;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::error::AppError;

#[derive(Parser, Debug)]
#[command(
    name = "hotline",
    version,
    about = "12345 政务服务便民热线知识库与工单后端"
)]
struct Cli {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(
        long,
        global = true,
        env = "HOTLINE_DATABASE_URL",
        default_value = "sqlite://data/hotline.db"
    )]
    database_url: String,
    /// Directory of the search index (derived data, rebuilt when missing or stale)
    #[arg(
        long,
        global = true,
        env = "HOTLINE_INDEX_DIR",
        default_value = "indexes"
    )]
    index_dir: PathBuf,
    /// Directory of the knowledge base and its dictionaries (dict/)
    #[arg(
        long,
        global = true,
        env = "HOTLINE_KNOWLEDGE_DIR",
        default_value = "knowledge"
    )]
    knowledge_dir: PathBuf,
    /// Where serve writes the admin token it creates on first start (owner-only file);
    /// by default `admin-token` beside the SQLite database, or data/admin-token
    #[arg(long, global = true, env = "HOTLINE_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
    /// Directory of the embedding model file (e5-small-q4.bin)
    #[arg(
        long,
        global = true,
        env = "HOTLINE_MODEL_DIR",
        default_value = "models"
    )]
    model_dir: PathBuf,
    /// Semantic search stage: auto (when the model is installed), on (required), off
    #[arg(
        long,
        global = true,
        env = "HOTLINE_SEMANTIC",
        value_enum,
        default_value = "auto"
    )]
    semantic: crate::config::SemanticMode,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the HTTP service (imports the knowledge directory on first start)
    Serve(serve::ServeArgs),
    /// Import departments and entries from JSON Lines files or directories
    Import(knowledge::ImportArgs),
    /// Export departments.jsonl and entries.jsonl
    Export(knowledge::ExportArgs),
    /// Rebuild the search index from the database
    Reindex,
    /// Search the knowledge base as an agent would
    Search(search::SearchArgs),
    /// Measure search quality on labelled queries
    Eval(eval::EvalArgs),
    /// Measure routing suggestions (first / top-3 department) on labelled calls or Taipei
    EvalRouting(routing_eval::RoutingEvalArgs),
    /// Measure knowledge-gap grouping (paraphrase recall, mixed gaps) on a stream of
    /// unanswered questions; `--semantic on|off` picks sentence vectors or bigrams
    EvalGaps(gap_eval::GapEvalArgs),
    /// Create, list and revoke access tokens
    Token(token::TokenArgs),
    /// Import a previous system's closed tickets (JSON Lines) for routing to learn from
    ImportTickets(tickets::ImportTicketsArgs),
    /// Fetch, install, check and benchmark the embedding model
    Model(model::ModelArgs),
    /// Write the benchmark knowledge base: the sample recombined into district versions
    /// (benches/README.md)
    #[command(hide = true)]
    BenchKb(bench_kb::BenchKbArgs),
    /// Give an imported benchmark knowledge base stored vectors without hours of embedding:
    /// the sample's own entries are embedded, every district version borrows its source's
    /// vectors, slightly moved (benches/README.md)
    #[command(hide = true)]
    BenchVectors,
}

/// Threads for blocking work (searches, index commits, embedding batches): four per core.
/// Tokio's default (512) let 64 concurrent searches run as 64 threads on two cores, each with
/// its own working set, for no more throughput (measured at 100,000 entries: the same
/// searches/s, 30 MB less resident memory with 8).
fn blocking_threads() -> usize {
    4 * std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Parses the command line, runs the command and maps failures to a non-zero exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let is_serve = matches!(cli.command, Command::Serve(_));
    init_tracing(if is_serve { "info" } else { "warn" });
    let mut config = Config {
        database_url: cli.database_url,
        index_dir: cli.index_dir,
        knowledge_dir: cli.knowledge_dir,
        model_dir: cli.model_dir,
        semantic: cli.semantic,
        ..Config::default()
    };
    config.admin_token_file = cli
        .admin_token_file
        .unwrap_or_else(|| config.default_admin_token_file());
    if let Command::Serve(args) = &cli.command {
        config.bind = args.bind.clone();
        config.sync_interval = Duration::from_secs(args.sync_interval_secs.max(1));
        config.review_period_days = args.review_period_days;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(blocking_threads())
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("错误：无法启动运行时：{err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(config, args.metrics_bind).await,
            Command::Import(args) => knowledge::import(config, args).await,
            Command::Export(args) => knowledge::export(config, args).await,
            Command::Reindex => knowledge::reindex(config).await,
            Command::Search(args) => search::run(config, args).await,
            Command::Eval(args) => eval::run(config, args).await,
            Command::EvalRouting(args) => routing_eval::run(config, args).await,
            Command::EvalGaps(args) => gap_eval::run(config, args).await,
            Command::Token(args) => token::run(config, args).await,
            Command::ImportTickets(args) => tickets::import(config, args).await,
            Command::Model(args) => model::run(config, args).await,
            Command::BenchKb(args) => bench_kb::run(config, args).await,
            Command::BenchVectors => bench_kb::vectors(config).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}

fn report(err: &AppError) {
    eprintln!("错误[{}]：{}", err.code, err.message);
    for detail in &err.details {
        eprintln!("{detail}");
    }
}

fn init_tracing(default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let json = std::env::var("HOTLINE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
