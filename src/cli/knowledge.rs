//! `hotline import`, `hotline export` and `hotline reindex`: moving knowledge in and out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::app::{App, IndexSync};
use crate::config::Config;
use crate::domain::spreadsheet::SheetFormat;
use crate::error::AppResult;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files or directories of JSON Lines (departments*.jsonl hold departments); .csv and .xlsx
    /// files are entry spreadsheets with Chinese headers
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Directory to write into: departments.jsonl and entries.jsonl, or entries.csv / entries.xlsx
    #[arg(long)]
    pub out: PathBuf,
    /// jsonl (departments and entries), csv or xlsx (entries, Chinese headers)
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
}

/// What `hotline export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    Xlsx,
}

pub async fn import(config: Config, args: ImportArgs) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    let result = app.import(&args.paths).await;
    app.close().await;
    let report = result?;
    let w = &report.write;
    println!(
        "已导入 {} 个文件：部门 {} 个；条目新增 {}、更新 {}、未变 {}",
        report.files.len(),
        w.departments,
        w.created,
        w.updated,
        w.unchanged
    );
    println!("{}", describe_sync(report.index));
    Ok(ExitCode::SUCCESS)
}

pub async fn export(config: Config, args: ExportArgs) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    let sheet = match args.format {
        ExportFormat::Jsonl => None,
        ExportFormat::Csv => Some(SheetFormat::Csv),
        ExportFormat::Xlsx => Some(SheetFormat::Xlsx),
    };
    if let Some(format) = sheet {
        let result = app.export_spreadsheet_file(&args.out, format).await;
        app.close().await;
        let (path, entries) = result?;
        println!("已导出条目 {entries} 条到 {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let result = app.export(&args.out).await;
    app.close().await;
    let (departments, entries) = result?;
    println!(
        "已导出部门 {departments} 个、条目 {entries} 条到 {}",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn reindex(config: Config) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    let result = app.reindex().await;
    app.close().await;
    println!("{}", describe_sync(result?));
    Ok(ExitCode::SUCCESS)
}

pub fn describe_sync(sync: IndexSync) -> String {
    match sync {
        IndexSync::UpToDate => "索引已是最新".to_string(),
        IndexSync::Updated(n) => format!("索引已更新 {n} 条"),
        IndexSync::Rebuilt(n) => format!("索引已重建，共 {n} 条已发布条目"),
        IndexSync::Deferred => {
            "索引正由运行中的 hotline serve 使用，它将在几秒内自动同步（或重建）".to_string()
        }
    }
}
