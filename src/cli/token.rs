//! `hotline token create|list|revoke`: managing access tokens on the same database as `serve`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::app::App;
use crate::config::Config;
use crate::domain::access::Role;
use crate::error::AppResult;

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a token; the secret is printed once, on the last line
    Create {
        /// agent, dispatcher, department, editor, reviewer, supervisor or admin
        #[arg(long)]
        role: String,
        /// Department code, for (and only for) the department role
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets)
    List,
    /// Revoke a token by name; takes effect on the next request
    Revoke { name: String },
}

pub async fn run(config: Config, args: TokenArgs) -> AppResult<ExitCode> {
    let app = App::open(config).await?;
    let result = token(&app, args.command).await;
    app.close().await;
    result
}

async fn token(app: &App, command: TokenCommand) -> AppResult<ExitCode> {
    match command {
        TokenCommand::Create {
            role,
            department,
            name,
        } => {
            let role = Role::parse(&role)?;
            let (info, secret) = app.create_token(&name, role, department).await?;
            println!(
                "已创建令牌 {}（角色 {}{}）。令牌只显示这一次，请妥善保存：",
                info.name,
                info.role.as_str(),
                info.department
                    .as_ref()
                    .map(|d| format!("，部门 {d}"))
                    .unwrap_or_default()
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            let total = app.db.count_tokens().await?;
            for token in app.db.tokens(total.max(1), 0).await? {
                println!(
                    "{}\t{}\t{}\t创建于 {}\t{}",
                    token.name,
                    token.role.as_str(),
                    token.department.as_deref().unwrap_or("-"),
                    token.created_at,
                    token
                        .revoked_at
                        .map(|at| format!("已吊销 {at}"))
                        .unwrap_or_else(|| "有效".into())
                );
            }
        }
        TokenCommand::Revoke { name } => {
            app.revoke_token(&name).await?;
            println!("已吊销令牌 {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
