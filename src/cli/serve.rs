//! `hotline serve`: start the HTTP service.

use std::process::ExitCode;

use clap::Args;

use crate::app::prepare_service;
use crate::config::Config;
use crate::error::{AppError, AppResult, Code};
use crate::http;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "HOTLINE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Also serve GET /metrics without a token on this address (e.g. 127.0.0.1:9090)
    #[arg(long, env = "HOTLINE_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Seconds between checks for knowledge changed outside this process
    #[arg(long, env = "HOTLINE_SYNC_INTERVAL_SECS", default_value_t = 5)]
    pub sync_interval_secs: u64,
    /// Days after which an entry nobody approved or confirmed is listed for review
    #[arg(long, env = "HOTLINE_REVIEW_PERIOD_DAYS", default_value_t = 180)]
    pub review_period_days: u32,
}

pub async fn run(config: Config, metrics_bind: Option<String>) -> AppResult<ExitCode> {
    let listener = bind(&config.bind).await?;
    let metrics_listener = match &metrics_bind {
        Some(address) => Some(bind(address).await?),
        None => None,
    };
    let service = prepare_service(config).await?;
    let address = listener.local_addr()?;
    tracing::info!(%address, documents = service.app.index.doc_count(), "hotline is serving");
    eprintln!("hotline 已启动：http://{address}  （Ctrl-C 停止）");
    http::serve_with_metrics(
        listener,
        metrics_listener,
        service.app.clone(),
        shutdown_signal(),
    )
    .await?;
    tracing::info!("shutting down");
    service.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn bind(address: &str) -> AppResult<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|err| AppError::new(Code::BindFailed, format!("无法监听 {address}：{err}")))
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
