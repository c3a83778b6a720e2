//! `hotline import-tickets`: a previous system's closed tickets, for routing to learn from.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::app::App;
use crate::config::Config;
use crate::error::AppResult;

#[derive(Args, Debug)]
pub struct ImportTicketsArgs {
    /// JSON Lines file: content, type, department (code of the department that finally
    /// handled it), created_at, and optionally id
    pub file: PathBuf,
}

pub async fn import(config: Config, args: ImportTicketsArgs) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    eprintln!("正在校验并导入 {} …", args.file.display());
    let result = app.import_ticket_history(&args.file).await;
    app.close().await;
    let (read, inserted) = result?;
    println!(
        "已导入历史工单 {read} 条（新增 {inserted} 条，{} 条此前已导入）",
        read as u64 - inserted
    );
    Ok(ExitCode::SUCCESS)
}
